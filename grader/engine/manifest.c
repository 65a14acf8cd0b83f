/* manifest.c - lab.ini parsing with inih; strict, so typos fail loudly. */
#include "engine/manifest.h"
#include "base/err.h"
#include "engine/ini_error.h"
#include <shim_calls.h> /* labs/support: the calls the shim wraps, shared with it */

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Parser state passed to the inih callback. */
struct parse_ctx {
    struct manifest *m;
    const char *path;
    int error;          /* set once a problem was reported */
    char last_key[128]; /* key of the previous line, for continuations */
    char last_section[256];
};

/* Append " more" to *field (for multi-line values). */
static void append_text(char **field, const char *more)
{
    size_t a = strlen(*field), b = strlen(more);
    char *s = xrealloc(*field, a + b + 2);
    s[a] = ' ';
    memcpy(s + a + 1, more, b + 1);
    *field = s;
}

/* Split "a.c, b.c c.c" into m->student_files. */
static void set_student_files(struct manifest *m, const char *value)
{
    char *copy = xstrdup(value), *save = NULL;
    for (char *tok = strtok_r(copy, ", \t", &save); tok;
         tok = strtok_r(NULL, ", \t", &save)) {
        m->student_files =
            xrealloc(m->student_files, (m->nstudent_files + 1) * sizeof(char *));
        m->student_files[m->nstudent_files++] = xstrdup(tok);
    }
    free(copy);
}

#define SHIM_NAME(name) #name,
static const char *const shim_calls[] = {SHIM_CALLS(SHIM_NAME)};
#undef SHIM_NAME

/* Is name[0..len) a call the shim sees (labs/support/shim_calls.h)? */
static bool shim_call(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof shim_calls / sizeof shim_calls[0]; i++)
        if (strlen(shim_calls[i]) == len && strncmp(shim_calls[i], name, len) == 0)
            return true;
    return false;
}

/*
 * Check a test's require (groups "a|b" separated by spaces) or forbid (names
 * separated by spaces): every name one the shim sees. Returns NULL, or the
 * first offending word (its length in *len).
 */
static const char *bad_call_word(const char *value, bool alternatives, size_t *len)
{
    for (const char *w = value; *w != '\0';) {
        w += strspn(w, " \t");
        size_t n = strcspn(w, alternatives ? "| \t" : " \t");
        if (n == 0 && *w == '|')
            n = 1; /* an empty alternative */
        if (*w != '\0' && !shim_call(w, n)) {
            *len = n == 0 ? 1 : n;
            return w;
        }
        w += n;
        if (*w == '|')
            w++;
    }
    return NULL;
}

/* Parse "no-valgrind, hidden, stress" into option bits; -1 on an unknown word. */
static int parse_options(const char *value, unsigned *out)
{
    char *copy = xstrdup(value), *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(copy, ", \t", &save); tok;
         tok = strtok_r(NULL, ", \t", &save)) {
        if (strcmp(tok, "no-valgrind") == 0)
            *out |= OPT_NO_VALGRIND;
        else if (strcmp(tok, "hidden") == 0)
            *out |= OPT_HIDDEN;
        else if (strcmp(tok, "perf") == 0)
            *out |= OPT_PERF | OPT_NO_VALGRIND;
        else if (strcmp(tok, "stress") == 0)
            *out |= OPT_STRESS;
        else
            rc = -1;
    }
    free(copy);
    return rc;
}

/* The test section currently being filled (created on first key). */
static struct manifest_test *current_test(struct manifest *m, const char *name)
{
    if (m->ntests > 0 && strcmp(m->tests[m->ntests - 1].name, name) == 0)
        return &m->tests[m->ntests - 1];
    if (manifest_find_test(m, name) != NULL)
        return NULL; /* the same test twice */
    m->tests = xrealloc(m->tests, (m->ntests + 1) * sizeof *m->tests);
    struct manifest_test *t = &m->tests[m->ntests++];
    memset(t, 0, sizeof *t);
    t->name = xstrdup(name);
    t->points = -1;
    return t;
}

/* inih callback: one key = value line (continuation lines repeat the key). */
static int on_entry(void *user, const char *section, const char *key, const char *value)
{
    struct parse_ctx *ctx = user;
    struct manifest *m = ctx->m;
    bool continuation =
        strcmp(key, ctx->last_key) == 0 && strcmp(section, ctx->last_section) == 0;
    snprintf(ctx->last_key, sizeof ctx->last_key, "%s", key);
    snprintf(ctx->last_section, sizeof ctx->last_section, "%s", section);

#define FAIL(...)                                                                        \
    do {                                                                                 \
        fprintf(stderr, "manifest: %s: [%s] %s: ", ctx->path, section, key);             \
        fprintf(stderr, __VA_ARGS__);                                                    \
        fputc('\n', stderr);                                                             \
        ctx->error = 1;                                                                  \
        return 1;                                                                        \
    } while (0)

    if (strcmp(section, "lab") == 0) {
        if (strcmp(key, "title") == 0) {
            if (continuation)
                append_text(&m->title, value);
            else {
                free(m->title);
                m->title = xstrdup(value);
            }
        } else if (strcmp(key, "student_files") == 0) {
            set_student_files(m, value);
        } else if (strcmp(key, "allow") == 0 || strcmp(key, "forbid") == 0 ||
                   strcmp(key, "require") == 0) {
            /* Names for the submission audit (engine/audit.h), space-separated. */
            char **to = key[0] == 'a'   ? &m->allow
                        : key[0] == 'f' ? &m->forbid
                                        : &m->require;
            for (const char *c = value; *c != '\0'; c++)
                if (!isalnum((unsigned char)*c) && *c != '_' && *c != ' ' && *c != '\t')
                    FAIL("'%s' is not a list of C names separated by spaces", value);
            if (continuation)
                append_text(to, value);
            else {
                free(*to);
                *to = xstrdup(value);
            }
        } else if (strcmp(key, "timeout") == 0) {
            FAIL("is gone: a test's time limit has one source, its own Criterion "
                 "timeout (TestSuite(suite, .timeout = N), or Test(..., .timeout = N)); "
                 "`ipclab manifest --timeout LAB` lists them. Remove this line");
        } else {
            FAIL("unknown key '%s' in [lab]", key);
        }
        return 1;
    }
    if (strcmp(section, "mutants") == 0) {
        /* An equivalent mutant (scripts/mutants.sh): its id = the one-line reason. */
        for (const char *c = key; *c != '\0'; c++)
            if (!isalnum((unsigned char)*c) && strchr("_.-/", *c) == NULL)
                FAIL("'%s' is not a mutant id (as scripts/mutants.sh prints it)", key);
        if (continuation) {
            append_text(&m->mutants[m->nmutants - 1].reason, value);
            return 1;
        }
        for (size_t i = 0; i < m->nmutants; i++)
            if (strcmp(m->mutants[i].id, key) == 0)
                FAIL("mutant '%s' is marked twice", key);
        if (*value == '\0')
            FAIL("mutant '%s' needs a reason (why no test can tell it apart)", key);
        m->mutants = xrealloc(m->mutants, (m->nmutants + 1) * sizeof *m->mutants);
        m->mutants[m->nmutants].id = xstrdup(key);
        m->mutants[m->nmutants++].reason = xstrdup(value);
        return 1;
    }
    if (strncmp(section, "test ", 5) != 0)
        FAIL("unknown section [%s] (expected [lab], [mutants] or [test suite/name])",
             section);
    const char *name = section + 5;
    /* inih keeps 49 bytes of a section name: a longer one arrives truncated. */
    if (strlen(section) >= 49)
        FAIL("test name '%s...' is too long (at most 43 characters: inih cuts a longer "
             "section header)",
             name);
    if (strchr(name, '/') == NULL)
        FAIL("test name '%s' must be suite/name", name);
    struct manifest_test *t = current_test(m, name);
    if (t == NULL)
        FAIL("test '%s' appears twice", name);
    if (strcmp(key, "points") == 0) {
        char *end;
        double p = strtod(value, &end);
        if (*end != '\0' || p < 0)
            FAIL("points must be a number >= 0, not '%s'", value);
        t->points = p;
    } else if (strncmp(key, "hint", 4) == 0) {
        int idx = key[4] == '\0' ? 0 : atoi(key + 4) - 1;
        if (idx < 0 || idx >= MANIFEST_MAX_HINTS || (key[4] != '\0' && idx == 0))
            FAIL("hint keys are hint, hint2 .. hint%d, not '%s'", MANIFEST_MAX_HINTS,
                 key);
        if (t->hints[idx] != NULL && continuation)
            append_text(&t->hints[idx], value);
        else if (t->hints[idx] != NULL)
            FAIL("'%s' given twice for '%s'", key, name);
        else
            t->hints[idx] = xstrdup(value);
        if (idx + 1 > t->nhints)
            t->nhints = idx + 1;
    } else if (strncmp(key, "when", 4) == 0 || strncmp(key, "then", 4) == 0) {
        /* A hint keyed to the failure: when = REGEX, then = HINT (when2/then2 ..). */
        int idx = key[4] == '\0' ? 0 : atoi(key + 4) - 1;
        if (idx < 0 || idx >= MANIFEST_MAX_WHENS || (key[4] != '\0' && idx == 0))
            FAIL("keyed hints are when/then, when2/then2 .. when%d/then%d, not '%s'",
                 MANIFEST_MAX_WHENS, MANIFEST_MAX_WHENS, key);
        char **field = key[0] == 'w' ? &t->when[idx] : &t->then[idx];
        if (*field != NULL && continuation)
            append_text(field, value);
        else if (*field != NULL)
            FAIL("'%s' given twice for '%s'", key, name);
        else
            *field = xstrdup(value);
    } else if (strcmp(key, "require") == 0 || strcmp(key, "forbid") == 0) {
        /* The calls this exercise must (or may not) make, checked as the test
         * runs (labs/support/ipclab_shim.h, "An exercise's calls"). */
        bool require = key[0] == 'r';
        size_t n = 0;
        const char *bad = bad_call_word(value, require, &n);
        if (bad != NULL)
            FAIL("'%.*s' is not a call the shim sees (the names in "
                 "labs/support/shim_calls.h%s)",
                 (int)n, bad, require ? "; alternatives are joined by '|'" : "");
        char **to = require ? &t->require : &t->forbid;
        if (*to != NULL && continuation)
            append_text(to, value);
        else if (*to != NULL)
            FAIL("'%s' given twice for '%s'", key, name);
        else
            *to = xstrdup(value);
    } else if (strcmp(key, "options") == 0) {
        if (parse_options(value, &t->options) < 0)
            FAIL("unknown option in '%s' (known: no-valgrind, hidden, perf, stress)",
                 value);
    } else {
        FAIL("unknown key '%s' in [test %s]", key, name);
    }
    return 1;
#undef FAIL
}

/* Every when has its then and compiles as a regex, every then has its when; 0 or -1. */
static int check_whens(const char *path, const struct manifest_test *t)
{
    for (int w = 0; w < MANIFEST_MAX_WHENS; w++) {
        if ((t->when[w] == NULL) != (t->then[w] == NULL)) {
            fprintf(stderr,
                    "manifest: %s: test '%s': when%.0d without then%.0d (or the "
                    "reverse): a keyed hint needs both\n",
                    path, t->name, w ? w + 1 : 0, w ? w + 1 : 0);
            return -1;
        }
        regex_t re;
        int rc = t->when[w] ? regcomp(&re, t->when[w], REG_EXTENDED | REG_NOSUB) : 0;
        if (rc != 0) {
            char why[128];
            regerror(rc, &re, why, sizeof why);
            fprintf(stderr, "manifest: %s: test '%s': when '%s' is not a regex: %s\n",
                    path, t->name, t->when[w], why);
            return -1;
        }
        if (t->when[w])
            regfree(&re);
    }
    return 0;
}

/* Does the extended regex pattern match text (NULL never matches)? */
static bool matches(const char *pattern, const char *text)
{
    regex_t re;
    if (text == NULL || regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    bool hit = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return hit;
}

const char *manifest_hint_for(const struct manifest_test *t, const char *message,
                              const char *hang, bool *keyed)
{
    for (int w = 0; w < MANIFEST_MAX_WHENS; w++) {
        if (t->when[w] != NULL && t->then[w] != NULL &&
            (matches(t->when[w], message) || matches(t->when[w], hang))) {
            if (keyed)
                *keyed = true;
            return t->then[w];
        }
    }
    if (keyed)
        *keyed = false;
    return t->nhints > 0 ? t->hints[0] : NULL;
}

int manifest_load(const char *lab_dir, struct manifest *m)
{
    memset(m, 0, sizeof *m);
    m->timeout = 10; /* until timeouts_load() reads the tests' own */
    m->dir = xstrdup(lab_dir);
    char *dircopy = xstrdup(lab_dir);
    size_t len = strlen(dircopy);
    while (len > 1 && dircopy[len - 1] == '/')
        dircopy[--len] = '\0';
    m->slug = xstrdup(basename(dircopy));
    free(dircopy);
    m->id = strndup(m->slug, strcspn(m->slug, "-"));

    char path[4096];
    snprintf(path, sizeof path, "%s/lab.ini", lab_dir);
    struct parse_ctx ctx = {.m = m, .path = path};
    if (access(path, R_OK) == 0 && ini_lines_fit("manifest", path) < 0)
        return -1;
    int rc = ini_parse(path, (ini_handler)on_entry, &ctx);
    if (rc < 0) {
        fprintf(stderr, "manifest: cannot read '%s': %s\n", path, strerror(errno));
        return -1;
    }
    if (rc > 0 && !ctx.error) {
        fprintf(stderr, "manifest: %s:%d: syntax error\n", path, rc);
        return -1;
    }
    if (ctx.error)
        return -1;
    if (m->title == NULL || m->nstudent_files == 0) {
        fprintf(stderr, "manifest: %s: [lab] needs title and student_files\n", path);
        return -1;
    }
    for (size_t i = 0; i < m->ntests; i++) {
        if (m->tests[i].points < 0) {
            fprintf(stderr, "manifest: %s: test '%s' has no points\n", path,
                    m->tests[i].name);
            return -1;
        }
        if (m->tests[i].nhints == 0 || m->tests[i].hints[0] == NULL) {
            fprintf(stderr, "manifest: %s: test '%s' has no hint\n", path,
                    m->tests[i].name);
            return -1;
        }
        if (check_whens(path, &m->tests[i]) < 0)
            return -1;
    }
    return 0;
}

void manifest_free(struct manifest *m)
{
    free(m->dir);
    free(m->id);
    free(m->slug);
    free(m->title);
    for (size_t i = 0; i < m->nstudent_files; i++)
        free(m->student_files[i]);
    free(m->student_files);
    free(m->allow);
    free(m->forbid);
    free(m->require);
    for (size_t i = 0; i < m->ntests; i++) {
        free(m->tests[i].name);
        free(m->tests[i].require);
        free(m->tests[i].forbid);
        for (int h = 0; h < MANIFEST_MAX_HINTS; h++)
            free(m->tests[i].hints[h]);
        for (int w = 0; w < MANIFEST_MAX_WHENS; w++) {
            free(m->tests[i].when[w]);
            free(m->tests[i].then[w]);
        }
    }
    free(m->tests);
    for (size_t i = 0; i < m->nmutants; i++) {
        free(m->mutants[i].id);
        free(m->mutants[i].reason);
    }
    free(m->mutants);
    memset(m, 0, sizeof *m);
}

const struct manifest_test *manifest_find_test(const struct manifest *m, const char *name)
{
    for (size_t i = 0; i < m->ntests; i++)
        if (strcmp(m->tests[i].name, name) == 0)
            return &m->tests[i];
    return NULL;
}

double manifest_max_points(const struct manifest *m)
{
    double sum = 0;
    for (size_t i = 0; i < m->ntests; i++)
        sum += m->tests[i].points;
    return sum;
}

bool manifest_has_perf(const struct manifest *m)
{
    for (size_t i = 0; i < m->ntests; i++)
        if (m->tests[i].options & OPT_PERF)
            return true;
    return false;
}

char *manifest_perf_names(const struct manifest *m)
{
    char *names = NULL;
    for (size_t i = 0; i < m->ntests; i++) {
        if (!(m->tests[i].options & OPT_PERF))
            continue;
        char *n =
            xasprintf("%s%s%s", names ? names : "", names ? "|" : "", m->tests[i].name);
        free(names);
        names = n;
    }
    return names;
}
