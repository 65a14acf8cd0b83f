/* audit.c - the submission audit: includes, inline assembly, sections, definitions and
 * calls. */
#include "engine/audit.h"
#include "base/fs.h"
#include "engine/manifest.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_TEXT (16L << 20) /* bytes read from one .s or .d file, at most */

/* ---- findings ------------------------------------------------------------- */

/* ---- includes (NAME.d) ---------------------------------------------------- */

/* True if path is dir itself or lies below it. */
static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static bool system_header(const char *path)
{
    static const char *const dirs[] = {"/usr/include", "/usr/local/include",
                                       "/usr/lib/gcc", "/usr/lib/llvm", NULL};
    if (strstr(path, "/../") != NULL)
        return false;
    for (int i = 0; dirs[i] != NULL; i++)
        if (under(path, dirs[i]))
            return true;
    return false;
}

/*
 * The line of the compiled file that includes dep, from the line markers of
 * the preprocessed file (ipath): "# LINE \"DEP\" 1" enters dep, and the
 * compiled file's line counted so far is the #include's. 0 when not found.
 */
static int include_line(const char *ipath, const char *dep)
{
    char *text = fs_read_text(ipath, MAX_TEXT);
    if (text == NULL)
        return 0;
    char main_path[4096] = "", cur[4096] = "", path[4096];
    int line = 0, found = 0;
    for (const char *p = text; p != NULL && *p != '\0' && found == 0;) {
        int n, flag = 0;
        if (p[0] == '#' && sscanf(p, "# %d \"%4095[^\"]\" %d", &n, path, &flag) >= 2) {
            if (flag == 1 && strcmp(path, dep) == 0 && strcmp(cur, main_path) == 0)
                found = line;
            if (main_path[0] == '\0')
                snprintf(main_path, sizeof main_path, "%s", path);
            snprintf(cur, sizeof cur, "%s", path);
            line = n;
        } else {
            line++;
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    free(text);
    return found;
}

/*
 * Check every file the compiler read for file (its dependency file lists
 * them: "target: dep dep \" with "\ " for a space in a name).
 */
static int check_includes(const struct audit_input *in, const char *file,
                          const char *dpath, const char *ipath, struct audit *a)
{
    char *text = fs_read_text(dpath, MAX_TEXT);
    if (text == NULL)
        return audit_add(a, true, file, 0,
                         "the compiler's list of the files %s includes is missing (%s)",
                         file, strerror(errno));
    int rc = 0;
    char dep[4096];
    size_t len = 0;
    bool seen_self = false;
    for (const char *p = text;; p++) {
        if (*p == '\\' && p[1] == '\n') {
            p++;
            continue;
        }
        if (*p == '\\' && p[1] == ' ') {
            if (len < sizeof dep - 1)
                dep[len++] = ' ';
            p++;
            continue;
        }
        if (*p != '\0' && !isspace((unsigned char)*p)) {
            if (len < sizeof dep - 1)
                dep[len++] = *p;
            continue;
        }
        dep[len] = '\0';
        /* A word ending in ':' is a target, not something the compiler read. */
        if (len > 0 && dep[len - 1] != ':') {
            const char *base = strrchr(dep, '/');
            base = base ? base + 1 : dep;
            /* The compiler lists the file it compiles first, then what it included. */
            bool self = !seen_self && strcmp(base, file) == 0;
            seen_self = true;
            bool ok = self || system_header(dep) ||
                      (under(dep, in->include_dir) && strstr(dep, "/../") == NULL);
            /* The same file by another spelling (a link, a "/../" on the way). */
            char real[PATH_MAX];
            if (!ok && !self && realpath(dep, real) != NULL)
                ok = system_header(real) || under(real, in->include_dir);
            if (!ok) {
                rc = audit_add(
                    a, true, file, include_line(ipath, dep),
                    "%s includes '%s': a submission may include only system headers "
                    "and the lab's include/ headers",
                    file, dep);
                if (rc < 0)
                    break;
            }
        }
        len = 0;
        if (*p == '\0')
            break;
    }
    free(text);
    return rc;
}

/* ---- inline assembly (NAME.s) --------------------------------------------- */

/*
 * GCC brackets the text of every asm statement, in a function or at file
 * scope, with "#APP" and "#NO_APP" lines in its assembly output; the last
 * ".loc FILE LINE" before it says where it came from.
 */
static int check_asm(const char *file, const char *spath, struct audit *a)
{
    char *text = fs_read_text(spath, MAX_TEXT);
    if (text == NULL)
        return audit_add(a, true, file, 0,
                         "the compiler's assembly for %s is missing (%s)", file,
                         strerror(errno));
    int rc = 0, line = 0;
    char func[128] = "";
    char reported[128] = "\001";
    for (char *p = text; p != NULL && *p != '\0';) {
        char *nl = strchr(p, '\n');
        if (nl != NULL)
            *nl = '\0';
        int fileno, l;
        if (sscanf(p, "\t.loc %d %d", &fileno, &l) == 2)
            line = l;
        else if (isalpha((unsigned char)p[0]) || p[0] == '_') {
            size_t n = strcspn(p, ":");
            if (p[n] == ':' && p[n + 1] == '\0' && n < sizeof func)
                snprintf(func, sizeof func, "%.*s", (int)n, p);
        } else if (strcmp(p, "#APP") == 0 && strcmp(func, reported) != 0) {
            snprintf(reported, sizeof reported, "%s", func);
            /* GCC follows #APP with the statement's own place: # LINE "FILE" 1 */
            if (nl != NULL && sscanf(nl + 1, "# %d \"", &l) == 1)
                line = l;
            if (func[0] != '\0')
                rc = audit_add(
                    a, true, file, line,
                    "inline assembly in %s() (line %d): not allowed in a submission "
                    "(use C11 atomics or a compiler builtin such as "
                    "__builtin_ia32_pause)",
                    func, line);
            else
                rc = audit_add(
                    a, true, file, line,
                    "inline assembly at file scope: not allowed in a submission");
            if (rc < 0)
                break;
        }
        p = nl ? nl + 1 : NULL;
    }
    free(text);
    return rc;
}

/*
 * The preprocessed file (NAME.i): an asm statement the compiler emits no
 * instruction for (an empty template, a compiler barrier) leaves no #APP in
 * NAME.s, but its keyword is here. Only the lines of the student's own file
 * count (the line markers say whose lines follow); string and character
 * literals are skipped. Under -std=c11 only __asm and __asm__ are keywords.
 * Returns 0 or -1; *found counts the findings.
 */
static int check_asm_source(const char *file, const char *ipath, struct audit *a,
                            int *found)
{
    char *text = fs_read_text(ipath, MAX_TEXT);
    if (text == NULL)
        return audit_add(a, true, file, 0,
                         "the compiler's preprocessed %s is missing (%s)", file,
                         strerror(errno));
    char main_path[4096] = "", cur[4096] = "";
    int rc = 0, line = 1, last = 0;
    bool bol = true;
    for (const char *p = text; *p != '\0' && rc == 0;) {
        if (bol && *p == '#') {
            int n, used = 0;
            if (sscanf(p, "# %d \"%4095[^\"]\"%n", &n, cur, &used) == 2 && used > 0) {
                line = n;
                if (main_path[0] == '\0')
                    snprintf(main_path, sizeof main_path, "%s", cur);
            }
            const char *nl = strchr(p, '\n');
            p = nl ? nl + 1 : p + strlen(p);
            continue; /* a marker names the line after it */
        }
        bol = false;
        bool mine = main_path[0] != '\0' && strcmp(cur, main_path) == 0;
        if (*p == '\n') {
            line++;
            bol = true;
            p++;
        } else if (*p == '"' || *p == '\'') {
            char q = *p++;
            while (*p != '\0' && *p != q && *p != '\n')
                p += (*p == '\\' && p[1] != '\0') ? 2 : 1;
            if (*p == q)
                p++;
        } else if (isalpha((unsigned char)*p) || *p == '_') {
            const char *w = p;
            while (isalnum((unsigned char)*p) || *p == '_')
                p++;
            size_t n = (size_t)(p - w);
            bool kw = (n == 5 && strncmp(w, "__asm", 5) == 0) ||
                      (n == 7 && strncmp(w, "__asm__", 7) == 0);
            if (kw && mine && line != last && *found < 8) {
                last = line;
                (*found)++;
                rc = audit_add(a, true, file, line,
                               "inline assembly (%.*s) at line %d: not allowed in a "
                               "submission (use C11 atomics, or atomic_signal_fence for "
                               "a compiler barrier)",
                               (int)n, w, line);
            }
        } else {
            p++;
        }
    }
    free(text);
    return rc;
}

/* ---- the rules ------------------------------------------------------------ */

static int load_rules(const struct audit_input *in, struct audit_rules *r)
{
    char *course = fs_read_text(in->allowed_path, MAX_TEXT);
    if (course == NULL)
        return -1;
    struct strset forbid_tmp = {0};
    int rc = strset_add_words(&forbid_tmp, in->forbid);
    struct strset allowed_all = {0};
    if (rc == 0)
        rc = strset_add_words(&allowed_all, course);
    if (rc == 0)
        rc = strset_add_words(&allowed_all, in->allow);
    free(course);
    for (size_t i = 0; rc == 0 && i < allowed_all.n; i++)
        if (!strset_has(&forbid_tmp, allowed_all.v[i]))
            rc = strset_add(&r->allowed, allowed_all.v[i], strlen(allowed_all.v[i]));
    strset_free(&allowed_all);
    r->forbidden = forbid_tmp;
    for (size_t i = 0; rc == 0 && in->contract && in->contract[i] != NULL; i++)
        rc = strset_add(&r->contract, in->contract[i], strlen(in->contract[i]));
    for (size_t i = 0; rc == 0 && in->harness && in->harness[i] != NULL; i++)
        rc = audit_object_dir_names(in->harness[i], &r->harness, &r->harness);
    if (rc == 0)
        rc = audit_object_libc(&r->libc);
    for (size_t i = 0; rc == 0 && in->files[i] != NULL; i++) {
        char path[4352];
        size_t len = strlen(in->files[i]);
        snprintf(path, sizeof path, "%s/%.*s.o", in->student_dir,
                 (int)(len > 2 ? len - 2 : len), in->files[i]);
        rc = audit_object_names(path, &r->student, &r->called);
    }
    return rc;
}

static void free_rules(struct audit_rules *r)
{
    strset_free(&r->allowed);
    strset_free(&r->forbidden);
    strset_free(&r->contract);
    strset_free(&r->harness);
    strset_free(&r->libc);
    strset_free(&r->student);
    strset_free(&r->called);
}

/* ---- the audit ------------------------------------------------------------ */

int audit_run(const struct audit_input *in, struct audit *out)
{
    memset(out, 0, sizeof *out);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (elf_version(EV_CURRENT) == EV_NONE) {
        errno = ENOSYS;
        return -1;
    }
    struct audit_rules r = {0};
    if (load_rules(in, &r) < 0) {
        int err = errno;
        free_rules(&r);
        errno = err;
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && in->files[i] != NULL; i++) {
        const char *file = in->files[i];
        size_t len = strlen(file);
        int stem = (int)(len > 2 && strcmp(file + len - 2, ".c") == 0 ? len - 2 : len);
        char path[4352];
        char ipath[4352];
        snprintf(ipath, sizeof ipath, "%s/%.*s.i", in->student_dir, stem, file);
        snprintf(path, sizeof path, "%s/%.*s.d", in->student_dir, stem, file);
        rc = check_includes(in, file, path, ipath, out);
        int found = 0;
        snprintf(path, sizeof path, "%s/%.*s.i", in->student_dir, stem, file);
        if (rc == 0)
            rc = check_asm_source(file, path, out, &found);
        snprintf(path, sizeof path, "%s/%.*s.s", in->student_dir, stem, file);
        if (rc == 0 && found == 0) /* what NAME.i showed, NAME.s would repeat */
            rc = check_asm(file, path, out);
        snprintf(path, sizeof path, "%s/%.*s.o", in->student_dir, stem, file);
        if (rc == 0) {
            char spath[4352];
            snprintf(spath, sizeof spath, "%s/%.*s.s", in->student_dir, stem, file);
            rc = audit_object_check(file, path, spath, &r, out);
        }
    }
    struct strset need = {0};
    if (rc == 0)
        rc = strset_add_words(&need, in->require);
    for (size_t i = 0; rc == 0 && i < need.n; i++)
        if (!strset_has(&r.called, need.v[i]))
            rc = audit_add(
                out, true, in->files[0], 0,
                "this lab requires your code to use '%s' (lab.ini: require), and "
                "none of your files calls it",
                need.v[i]);
    strset_free(&need);
    free_rules(&r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    out->seconds =
        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (rc < 0) {
        audit_free(out);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

char *audit_finding_text(const struct audit_finding *f)
{
    char *out = NULL;
    int n = f->line > 0 ? asprintf(&out, "%s:%d: %s", f->file, f->line, f->what)
                        : asprintf(&out, "%s: %s", f->file, f->what);
    return n < 0 ? NULL : out;
}

bool audit_refused(const struct audit *a)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->f[i].refused)
            return true;
    return false;
}

void audit_free(struct audit *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->f[i].file);
        free(a->f[i].what);
    }
    free(a->f);
    a->f = NULL;
    a->n = 0;
}

/* ---- the contract --------------------------------------------------------- */

void audit_strv_free(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        free(v[i]);
    free(v);
}

/*
 * Run cc over a file that includes every header of include_dir, with
 * -aux-info: GCC writes each function declaration it saw as
 *   / * PATH:LINE:NC * / extern int name (int, ...);
 * and those whose PATH lies in include_dir are the lab's contract.
 */
char **audit_contract(const char *cc, const char *include_dir, const char *support_dir)
{
    char dir[] = "/tmp/ipclab-contract.XXXXXX";
    const char *tmp = getenv("TMPDIR");
    char tdir[4096];
    snprintf(tdir, sizeof tdir, "%s/ipclab-contract.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    char *made = mkdtemp(tdir);
    if (made == NULL && (made = mkdtemp(dir)) == NULL)
        return NULL;
    char tu[4200], aux[4200], incl[4200], supp[4200];
    snprintf(tu, sizeof tu, "%s/all.c", made);
    snprintf(aux, sizeof aux, "%s/all.aux", made);
    snprintf(incl, sizeof incl, "-I%s", include_dir);
    snprintf(supp, sizeof supp, "-I%s", support_dir);
    char **out = NULL;
    size_t n = 0;
    FILE *f = fopen(tu, "we");
    DIR *dp = opendir(include_dir);
    if (f == NULL || dp == NULL)
        goto done;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 2 && strcmp(e->d_name + len - 2, ".h") == 0)
            fprintf(f, "#include \"%s\"\n", e->d_name);
    }
    if (fclose(f) != 0) {
        f = NULL;
        goto done;
    }
    f = NULL;
    char *argv[] = {(char *)cc,
                    "-std=c11",
                    "-D_GNU_SOURCE",
                    "-fsyntax-only",
                    "-aux-info",
                    aux,
                    incl,
                    supp,
                    tu,
                    NULL};
    pid_t pid;
    int st;
    if (posix_spawnp(&pid, cc, NULL, NULL, argv, environ) != 0 ||
        waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        errno = ENOEXEC;
        goto done;
    }
    char *text = fs_read_text(aux, MAX_TEXT);
    if (text == NULL)
        goto done;
    out = calloc(1, sizeof *out);
    for (char *p = text; out != NULL && p != NULL && *p != '\0';) {
        char *nl = strchr(p, '\n');
        if (nl != NULL)
            *nl = '\0';
        char *close = strstr(p, "*/");
        char *paren = close ? strstr(close, " (") : NULL;
        if (strncmp(p, "/* ", 3) == 0 && close != NULL && paren != NULL &&
            under(p + 3, include_dir)) {
            char *end = paren;
            while (end > close && (isalnum((unsigned char)end[-1]) || end[-1] == '_'))
                end--;
            size_t len = (size_t)(paren - end);
            char **grown = len ? realloc(out, (n + 2) * sizeof *out) : out;
            if (grown == NULL) {
                audit_strv_free(out);
                out = NULL;
                break;
            }
            out = grown;
            if (len && (out[n] = strndup(end, len)) != NULL)
                out[++n] = NULL;
        }
        p = nl ? nl + 1 : NULL;
    }
    free(text);
done:
    if (f != NULL)
        fclose(f);
    if (dp != NULL)
        closedir(dp);
    unlink(tu);
    unlink(aux);
    rmdir(made);
    return out;
}

/* ---- one lab's build ------------------------------------------------------ */

int audit_build(const struct manifest *m, const char *build_dir, const char *harness_dir,
                struct audit *out)
{
    memset(out, 0, sizeof *out);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char lab[PATH_MAX];
    if (realpath(m->dir, lab) == NULL)
        return -1;
    char include[PATH_MAX + 16], support[PATH_MAX + 16], allowed[PATH_MAX + 32];
    char student[PATH_MAX + 16], tests[PATH_MAX + 16], sobjs[PATH_MAX + 16];
    snprintf(include, sizeof include, "%s/include", lab);
    snprintf(support, sizeof support, "%s/../support", lab);
    snprintf(allowed, sizeof allowed, "%s/../allowed-calls.txt", lab);
    /* The course's own file, which may be a link (a lab checked out elsewhere). */
    char allowed_real[PATH_MAX];
    if (realpath(allowed, allowed_real) != NULL)
        snprintf(allowed, sizeof allowed, "%s", allowed_real);
    snprintf(student, sizeof student, "%s/student", build_dir);
    snprintf(tests, sizeof tests, "%s/tests", harness_dir);
    snprintf(sobjs, sizeof sobjs, "%s/support", harness_dir);
    char **contract = audit_contract("cc", include, support);
    if (contract == NULL)
        return -1;
    const char *harness[] = {tests, sobjs, NULL};
    const char **files = calloc(m->nstudent_files + 1, sizeof *files);
    if (files == NULL) {
        audit_strv_free(contract);
        return -1;
    }
    /* Only C files compile to an object; a header among them is checked by its includer.
     */
    size_t nfiles = 0;
    for (size_t i = 0; i < m->nstudent_files; i++) {
        size_t len = strlen(m->student_files[i]);
        if (len > 2 && strcmp(m->student_files[i] + len - 2, ".c") == 0)
            files[nfiles++] = m->student_files[i];
    }
    struct audit_input in = {.student_dir = student,
                             .files = files,
                             .include_dir = include,
                             .harness = harness,
                             .allowed_path = allowed,
                             .allow = m->allow,
                             .forbid = m->forbid,
                             .require = m->require,
                             .contract = (const char *const *)contract};
    int rc = nfiles > 0 ? audit_run(&in, out) : 0;
    int err = errno;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* The whole audit's time, the contract's compilation included. */
    out->seconds =
        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    free(files);
    audit_strv_free(contract);
    errno = err;
    return rc;
}
