/* policy.c - reads the score policy (grader/policy.ini) with inih. */
#include "engine/policy.h"
#include "engine/course.h"
#include "engine/ini_error.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const keys[CAT_COUNT] = {"memory-errors", "leaks",       "fd-leaks",
                                            "processes",     "ipc-objects", "stress",
                                            "unchecked"};
static const char *const titles[CAT_COUNT] = {
    "memory errors (valgrind)", "memory leaks (valgrind)", "file descriptors left open",
    "processes left behind",    "IPC objects left behind", "failed under race stress",
    "not checked by memcheck"};

const char *policy_key(enum policy_category c)
{
    return keys[c];
}

const char *policy_title(enum policy_category c)
{
    return titles[c];
}

const char *policy_audit_action(enum audit_action a)
{
    return a == AUDIT_REVIEW ? "review" : "refuse";
}

void policy_defaults(struct policy *p)
{
    memset(p, 0, sizeof *p);
    p->rules[CAT_MEMORY_ERRORS] = (struct policy_rule){2, 6};
    p->rules[CAT_LEAKS] = (struct policy_rule){1, 4};
    p->rules[CAT_FD_LEAKS] = (struct policy_rule){1, 4};
    p->rules[CAT_PROCESSES] = (struct policy_rule){2, 6};
    p->rules[CAT_IPC_OBJECTS] = (struct policy_rule){1, 4};
    p->rules[CAT_STRESS] = (struct policy_rule){2, 6};
    p->rules[CAT_UNCHECKED] = (struct policy_rule){2, 6};
    p->stress_runs = 0; /* off: the stress pass costs N native runs of those tests */
    p->stress_fails_test = false;
    p->memory_error_fails_test = false;
    p->deduct_on_failed_tests = false;
    p->max_wall_seconds = 600;
    p->memory_mb = 3072;
    p->work_mb = 1024;
    p->work_inodes = 65536;
    p->audit = AUDIT_REFUSE;
    snprintf(p->source, sizeof p->source, "built-in defaults");
}

/* Parser state for the inih callback. */
struct policy_ctx {
    struct policy *p;
    const char *path;
    int error;
};

/* Parse a non-negative number into *out; false if value is not one. */
static bool parse_number(const char *value, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(value, &end);
    if (errno != 0 || end == value || *end != '\0' || d < 0)
        return false;
    *out = d;
    return true;
}

/* Parse true/false/yes/no/1/0 into *out; false if value is none of these. */
static bool parse_bool(const char *value, bool *out)
{
    if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 ||
        strcmp(value, "1") == 0)
        *out = true;
    else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
             strcmp(value, "0") == 0)
        *out = false;
    else
        return false;
    return true;
}

/* inih callback: one key; returns 0 (and reports) on anything unknown. */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
    struct policy_ctx *c = user;
    struct policy *p = c->p;
    double d = 0;
    bool ok = false;
    if (strcmp(section, "score") == 0) {
        if (strcmp(name, "memory_error_fails_test") == 0)
            ok = parse_bool(value, &p->memory_error_fails_test);
        else if (strcmp(name, "deduct_on_failed_tests") == 0)
            ok = parse_bool(value, &p->deduct_on_failed_tests);
        else if (strcmp(name, "max_wall_seconds") == 0) {
            ok = parse_number(value, &d) && d >= 10;
            p->max_wall_seconds = (int)d;
        } else if (strcmp(name, "memory_mb") == 0) {
            ok = parse_number(value, &d) && (d == 0 || (d >= 256 && d <= 1 << 20));
            p->memory_mb = (long)d;
        } else if (strcmp(name, "work_mb") == 0) {
            ok = parse_number(value, &d) && (d == 0 || (d >= 64 && d <= 1 << 20));
            p->work_mb = (long)d;
        } else if (strcmp(name, "work_inodes") == 0) {
            ok = parse_number(value, &d) && d >= 1024 && d <= 1 << 30;
            p->work_inodes = (long)d;
        }
    } else if (strcmp(section, "audit") == 0) {
        if (strcmp(name, "action") == 0) {
            ok = strcmp(value, "refuse") == 0 || strcmp(value, "review") == 0;
            p->audit = strcmp(value, "review") == 0 ? AUDIT_REVIEW : AUDIT_REFUSE;
        }
    } else {
        for (int i = 0; i < CAT_COUNT; i++) {
            if (strcmp(section, keys[i]) != 0)
                continue;
            if (strcmp(name, "per_test") == 0)
                ok = parse_number(value, &p->rules[i].per_test);
            else if (strcmp(name, "cap") == 0)
                ok = parse_number(value, &p->rules[i].cap);
            else if (i == CAT_STRESS && strcmp(name, "runs") == 0) {
                ok = parse_number(value, &d) && d <= 1000 && d == (int)d;
                p->stress_runs = (int)d;
            } else if (i == CAT_STRESS && strcmp(name, "fails_test") == 0)
                ok = parse_bool(value, &p->stress_fails_test);
        }
    }
    if (!ok) {
        fprintf(stderr, "policy: %s: unknown key or bad value: [%s] %s = %s\n", c->path,
                section, name, value);
        c->error = 1;
    }
    return ok;
}

int policy_load(struct policy *p, const char *path)
{
    char def[4096];
    policy_defaults(p);
    if (path == NULL) {
        snprintf(def, sizeof def, "%s/grader/policy.ini", course_root());
        if (access(def, R_OK) != 0)
            return 0;
        path = def;
    }
    struct policy_ctx c = {p, path, 0};
    if (access(path, R_OK) == 0 && ini_lines_fit("policy", path) < 0)
        return -1;
    int rc = ini_parse(path, on_key, &c);
    if (rc < 0) {
        fprintf(stderr, "policy: cannot read '%s'\n", path);
        return -1;
    }
    if (rc > 0 && !c.error)
        fprintf(stderr, "policy: %s:%d: syntax error\n", path, rc);
    if (rc != 0 || c.error)
        return -1;
    snprintf(p->source, sizeof p->source, "%s", path);
    return 0;
}
