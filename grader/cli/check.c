/* check.c - `ipclab check`: build and run one lab's tests fast, with hints. */
#include "engine/audit.h"
#include "engine/collect.h"
#include "cli/cli.h"
#include "engine/native.h"
#include "engine/passes.h"
#include "base/proc.h"
#include "base/term.h"
#include "base/text.h"
#include "engine/course.h"
#include "engine/progress_file.h"
#include "engine/timeouts.h"

#include <errno.h>
#include <fnmatch.h>
#include <ftw.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DETAILED 5 /* failures shown in full; the rest by name */

static const char usage[] =
    "usage: ipclab check [--asan] [--memcheck] [-v] [--stress N [--seed S]] NN\n"
    "                    [TEST-GLOB]\n"
    "\n"
    "Builds your labs/NN-x/src (warnings are errors, as in the grader) and runs\n"
    "the lab's tests natively with the grader's own runner: each failure is\n"
    "shown with its assertion message, the hint and, for a test that hung,\n"
    "where it was blocked and why. No valgrind: `ipclab grade NN` adds it.\n"
    "\n"
    "  --asan      build with AddressSanitizer and UBSan (memory bugs in seconds)\n"
    "  --memcheck  once every test passes, the grader's own memcheck, leak, fd\n"
    "              and leftover checks (its whole run, valgrind included): what\n"
    "              each test would lose, with valgrind's own lines\n"
    "  -v          also show the tests' raw output (what `make check` prints)\n"
    "  --stress N  run the tests marked for stress (or TEST-GLOB's) N times with\n"
    "              seeded delays at your synchronisation calls, one CPU then all;\n"
    "              a failure names its seed; --seed S starts from S (replays it)\n"
    "  TEST-GLOB   only the tests matching it, e.g. 'pipeline/*' or '*/eof_*'\n"
    "\n"
    "A test that crashes (SIGSEGV, SIGBUS, SIGFPE, abort) is run again at once\n"
    "under the sanitizers, which name the file and line where it happened.\n"
    "\n"
    "The tests run in parallel lanes, each one test at a time under the\n"
    "grader's watchdog (IPCLAB_CHECK_JOBS=N lanes; default two per CPU).\n"
    "\n"
    "Exit status: 0 when every test run passed, 1 otherwise, 2 on a usage error.\n";

/* True for a compiler line that starts a diagnostic worth showing first. */
static bool is_error_line(const char *line, size_t len)
{
    static const char *const keys[] = {
        ": error:", ": fatal error:", "undefined reference", ": warning:"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (memmem(line, len, keys[k], strlen(keys[k])) != NULL)
            return true;
    return false;
}

/*
 * Print the compiler's diagnostics first: every error line with the source
 * excerpt under it (indented lines), leaving out make's own chatter.
 */
static void print_build_errors(const char *log, const struct colours *c)
{
    int shown = 0;
    bool in_block = false;
    for (const char *p = log; p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (is_error_line(p, len)) {
            in_block = true;
            shown++;
            fprintf(stdout, "  %s%.*s%s\n", c->red, (int)len, p, c->off);
        } else if (in_block && len > 0 && p[0] == ' ') {
            fprintf(stdout, "  %.*s\n", (int)len, p);
        } else {
            in_block = false;
        }
        p = nl ? nl + 1 : NULL;
    }
    if (shown == 0) /* not a compiler diagnostic: show everything */
        fprintf(stdout, "%s\n", log);
}

/* Run make for the lab; returns 0 when it built. *log gets its output (malloc'd). */
static int build(const char *lab_dir, bool asan, char **log)
{
    char bdir[4300];
    snprintf(bdir, sizeof bdir, "BUILD_DIR=%s/build%s", lab_dir, asan ? "/asan" : "");
    char *argv[] = {
        "make",     "-s", "--no-print-directory", "-C", (char *)lab_dir, "all",
        "WERROR=1", bdir, asan ? "SAN=1" : NULL,  NULL};
    struct proc_opts o = {
        .wall_seconds = 300, .stop_grace = PROC_BUILD_GRACE, .out_cap = 64 * 1024};
    struct proc p;
    if (proc_start(&p, "build", argv, &o) < 0) {
        *log = xasprintf("cannot run make: %s", strerror(errno));
        return -1;
    }
    proc_wait_all(&p, 1, NULL, NULL);
    int ok = !p.killed && WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0;
    *log = xasprintf("%s", p.out);
    proc_free(&p);
    return ok ? 0 : -1;
}

/*
 * Print one failed test compactly: verdict, messages, why it hung, the hint.
 * brief: the name and verdict only (past the first few failures).
 */
static void print_failure(const struct test_result *r, const struct colours *c,
                          bool brief)
{
    fprintf(stdout, "%s✗ %s%s  %s(%s, %g pt)%s\n", c->red, r->mt->name, c->off, c->dim,
            verdict_name(r->verdict), r->mt->points, c->off);
    if (brief)
        return;
    print_message_and_hang(r, c, 0);
    /* The hint keyed to what this failure shows (lab.ini's when/then), else the first. */
    const char *hint = manifest_hint_for(r->mt, r->message, r->hang, NULL);
    if (hint != NULL)
        fprintf(stdout, "    %shint:%s %s\n", c->bold, c->off, hint);
}

/* Sanitizer reports in the runners' output: the lines that say what and where. */
static void print_sanitizer(const char *text, const struct colours *c)
{
    int shown = 0, frames = 0;
    for (const char *p = text; p != NULL && *p != '\0' && shown < 40;) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        bool head = memmem(p, (size_t)len, "ERROR: AddressSanitizer", 23) != NULL ||
                    memmem(p, (size_t)len, "runtime error:", 14) != NULL ||
                    memmem(p, (size_t)len, "ERROR: LeakSanitizer", 20) != NULL;
        if (head) {
            if (shown == 0)
                fprintf(stdout, "\n%sSanitizer reports:%s\n", c->bold, c->off);
            fprintf(stdout, "  %s%.*s%s\n", c->red, len, p, c->off);
            frames = 4;
            shown++;
        } else if (frames > 0 && len > 5 && strncmp(p, "    #", 5) == 0) {
            fprintf(stdout, "    %.*s\n", len - 4, p + 4);
            frames--;
            shown++;
        }
        p = nl ? nl + 1 : NULL;
    }
}

/* memory_fault - r crashed of a signal the sanitizers can place in the source. */
static bool memory_fault(const struct test_result *r)
{
    int s = r->signal;
    return r->verdict == V_CRASHED &&
           (s == SIGSEGV || s == SIGBUS || s == SIGFPE || s == SIGILL || s == SIGABRT);
}

/*
 * student_frame - the first line of a sanitizer report's stack in text that
 * is in one of the student's files: "pipes.c:92:40 (in fill_pipe)" into buf.
 * Returns false when no frame is (a crash in libc called with bad arguments
 * still has the student's caller further down, so every frame is read).
 */
static bool student_frame(const struct manifest *m, const char *text, char *buf,
                          size_t len)
{
    for (const char *p = text; p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        const char *in = memmem(p, (size_t)n, " in ", 4);
        if (strncmp(p, "    #", 5) == 0 && in != NULL)
            for (size_t f = 0; f < m->nstudent_files; f++) {
                char key[300];
                snprintf(key, sizeof key, "/%s:", m->student_files[f]);
                const char *at = memmem(p, (size_t)n, key, strlen(key));
                if (at == NULL)
                    continue;
                int loc = (int)strcspn(at + 1, " \n");
                int fn = (int)strcspn(in + 4, " \n");
                snprintf(buf, len, "%.*s (in %.*s)", loc, at + 1, fn, in + 4);
                return true;
            }
        p = nl ? nl + 1 : NULL;
    }
    return false;
}

/*
 * crash_where - a selected test crashed of a memory fault (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL, SIGABRT): build the sanitizer edition (build/asan) and run
 * that test again there, then show the sanitizers' report and the student's
 * file:line it names. A plain crash never says where; when the sanitizers
 * do not see it either, the `--asan` command is named for a closer look.
 */
static void crash_where(const struct grade *g, const char *lab_dir, const char *glob,
                        const struct colours *c)
{
    const struct test_result *r = NULL;
    for (size_t i = 0; i < g->m.ntests && r == NULL; i++)
        if ((glob == NULL || fnmatch(glob, g->tests[i].mt->name, FNM_EXTMATCH) == 0) &&
            memory_fault(&g->tests[i]))
            r = &g->tests[i];
    if (r == NULL)
        return;
    bool tty = isatty(1);
    if (tty) {
        fprintf(stdout, "%s%s crashed: running it again under ASan/UBSan...%s", c->dim,
                r->mt->name, c->off);
        fflush(stdout);
    }
    char *log = NULL, *output = NULL, where[512] = "";
    static struct grade again;
    memset(&again, 0, sizeof again);
    again.m = g->m; /* shared, not owned */
    /* abort() too (ASan leaves SIGABRT alone by default); the caller's options kept */
    const char *old = getenv("ASAN_OPTIONS");
    char *opts = xasprintf("%s%shandle_abort=1", old ? old : "", old ? ":" : "");
    if (build(lab_dir, true, &log) == 0 && !proc_interrupted()) {
        char bin[4300];
        snprintf(bin, sizeof bin, "%s/build/asan/run-tests", lab_dir);
        grade_init(&again);
        setenv("ASAN_OPTIONS", opts, 1);
        check_run_tests(&again, bin, r->mt->name, NULL, &output);
        if (old != NULL)
            setenv("ASAN_OPTIONS", old, 1);
        else
            unsetenv("ASAN_OPTIONS");
        free(again.tests);
        free(again.runner_note);
    }
    free(opts);
    free(log);
    if (tty)
        fputs("\r\033[K", stdout);
    if (output != NULL && student_frame(&g->m, output, where, sizeof where)) {
        print_sanitizer(output, c);
        fprintf(stdout,
                "\n%swhere it crashed:%s %s, in %s (%s; run again under the "
                "sanitizers)\n",
                c->yellow, c->off, where, r->mt->name, strsignal(r->signal));
    } else {
        fprintf(stdout,
                "\n%swhere it crashed:%s the sanitizers did not place it; `ipclab check "
                "--asan %s '%s'` shows their report (%s)\n",
                c->yellow, c->off, g->m.id, r->mt->name, strsignal(r->signal));
    }
    free(output);
}

/*
 * suggest_trace - name the command that draws what a failed test's processes
 * did: a selected test that hung (timeout) if any, else the first failure
 * (IPC mistakes are about who did what when, which one assertion never says).
 */
static void suggest_trace(const struct grade *g, const char *glob,
                          const struct colours *c)
{
    const struct test_result *pick = NULL;
    for (size_t i = 0; i < g->m.ntests; i++) {
        const struct test_result *r = &g->tests[i];
        if ((glob != NULL && fnmatch(glob, r->mt->name, FNM_EXTMATCH) != 0) ||
            r->verdict == V_PASSED || r->verdict == V_SKIPPED || r->verdict == V_NOT_RUN)
            continue;
        if (pick == NULL || (r->verdict == V_TIMEOUT && pick->verdict != V_TIMEOUT))
            pick = r;
    }
    if (pick != NULL)
        fprintf(stdout,
                "\n%swhat its processes did:%s `ipclab trace %s '%s'` draws the %stest's "
                "IPC timeline\n",
                c->yellow, c->off, g->m.id, pick->mt->name,
                pick->verdict == V_TIMEOUT ? "hung " : "");
}

/*
 * report - count the tests of g matching glob (all when NULL) into *res
 * (whose counts the caller zeroed) and, unless o->quiet, print their failures
 * (with o->verbose, the raw output too; where a crash happened, see
 * crash_where) and the result line, "(filtered)" when glob is not NULL, then
 * the next step. lab_dir is NULL for an early report (watch: the tests that
 * failed last time), which leaves the crash and the next step to the full
 * one. secs: the time taken so far.
 */
static void report(const struct grade *g, const char *glob, const struct check_opts *o,
                   struct check_result *res, double secs, const char *output,
                   const char *lab_dir)
{
    struct colours c = term_colours(stdout);
    FILE *out = stdout;
    size_t shown = 0;
    for (size_t i = 0; i < g->m.ntests; i++) {
        const struct test_result *r = &g->tests[i];
        if (glob != NULL && fnmatch(glob, r->mt->name, FNM_EXTMATCH) != 0)
            continue; /* not selected: check_run_tests did not run it */
        res->run++;
        res->max += r->mt->points;
        if (r->verdict == V_PASSED || r->verdict == V_SKIPPED) {
            res->passed++;
            res->points += r->verdict == V_PASSED ? r->mt->points : 0;
            continue;
        }
        if (res->first_failing[0] == '\0')
            snprintf(res->first_failing, sizeof res->first_failing, "%s", r->mt->name);
        if (o->quiet)
            continue;
        if (shown == 0)
            fprintf(out, "\n");
        if (shown == MAX_DETAILED)
            fprintf(out,
                    "%s(the other failures, briefly: `ipclab check %s 'suite/*'` "
                    "details one suite)%s\n",
                    c.dim, g->m.id, c.off);
        print_failure(r, &c, shown >= MAX_DETAILED);
        shown++;
    }
    if (o->quiet)
        return;
    if (o->verbose && output != NULL)
        fprintf(out, "\n%sraw test output:%s\n%s", c.bold, c.off, output);
    if (o->asan)
        print_sanitizer(output, &c);
    else if (lab_dir != NULL)
        crash_where(g, lab_dir, glob, &c);
    suggest_trace(g, glob, &c);
    if (g->runner_note != NULL)
        fprintf(out, "\n%snote:%s %s\n", c.yellow, c.off, g->runner_note);
    if (!g->sb.on && (g->cleaned != NULL || g->left_behind != NULL))
        fprintf(out, "\n%snote:%s the tests ran without private namespaces (%s)\n",
                c.yellow, c.off, g->sb.note);
    if (!g->sb.on && g->cleaned != NULL)
        fprintf(out, "  cleaned up after them: %s\n", g->cleaned);
    if (!g->sb.on && g->left_behind != NULL)
        fprintf(out,
                "  new on this machine since the run began (the tests' or another "
                "program's), not removed: %s\n",
                g->left_behind);
    char b[256];
    term_bar(b, sizeof b, res->points, res->max, 20);
    bool all = res->passed == res->run && res->run > 0;
    fprintf(out,
            "\n%slab %s%s: %s%zu/%zu tests pass%s, %g/%g points  %s%s%s  %s[%.1f "
            "s%s]%s\n",
            c.bold, g->m.id, glob ? " (filtered)" : "", all ? c.green : c.red,
            res->passed, res->run, c.off, res->points, res->max, all ? c.green : c.red, b,
            c.off, c.dim, secs, o->asan ? ", asan" : "", c.off);
    if (lab_dir == NULL) /* an early report: the rest follows */
        return;
    if (res->run == 0)
        fprintf(out, "no test matches '%s' (names look like suite/test)\n",
                glob ? glob : "*");
    else if (all)
        fprintf(out,
                "%sall pass%s: `ipclab grade %s` shows what the grader would "
                "give (valgrind, deductions)%s%s%s\n",
                c.green, c.off, g->m.id, o->memcheck ? "" : ", `ipclab check --memcheck ",
                o->memcheck ? "" : g->m.id,
                o->memcheck ? "" : "` its memory checks per test");
    else
        fprintf(out, "next: %s, run `ipclab hint %s`\n", res->first_failing, g->m.id);
}

/* print_lines - text's lines, each after prefix (valgrind's own report). */
static void print_lines(const char *text, const char *prefix)
{
    for (const char *p = text; p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(stdout, "%s%.*s\n", prefix, len, p);
        p = nl ? nl + 1 : NULL;
    }
}

/*
 * memcheck - `check --memcheck`, once every test passed: the grader's own
 * run (`ipclab grade NN`: sandbox, memcheck, leak, fd and leftover checks),
 * recorded for the status screen, shown test by test (those matching glob):
 * valgrind's own lines, then each deduction with the command that shows it.
 * Returns 0 when it found nothing, 1 when it did, 2 when it could not run.
 */
static int memcheck(const struct grade *g, const char *glob, const struct colours *c)
{
    const char *base = getenv("TMPDIR");
    char path[4200];
    snprintf(path, sizeof path, "%s/ipclab-memcheck-XXXXXX",
             base && base[0] == '/' ? base : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        fprintf(stderr, "ipclab: cannot make a temporary file: %s\n", strerror(errno));
        return 2;
    }
    close(fd);
    fprintf(stdout,
            "\n%smemcheck:%s the grader's own run (valgrind, leaks, fds, what is left "
            "behind)...\n",
            c->bold, c->off);
    fflush(stdout);
    char *argv[] = {"grade", (char *)g->m.id, "--report-json", path, "-q", "--progress",
                    NULL};
    int rc = cmd_grade_student(6, argv);
    json_t *doc = json_load_file(path, 0, NULL);
    unlink(path);
    if (rc == 2 || doc == NULL) {
        json_decref(doc);
        fprintf(stdout, "memcheck could not run: `ipclab grade %s` says why\n", g->m.id);
        return 2;
    }
    size_t i, shown = 0;
    json_t *t;
    json_array_foreach(json_object_get(doc, "tests"), i, t)
    {
        const char *name = json_string_value(json_object_get(t, "name"));
        json_t *vg = json_object_get(t, "valgrind");
        json_int_t errors = json_integer_value(json_object_get(vg, "errors"));
        json_int_t bytes = json_integer_value(json_object_get(vg, "leak_bytes"));
        if (name == NULL || (glob != NULL && fnmatch(glob, name, FNM_EXTMATCH) != 0) ||
            (errors == 0 && bytes == 0))
            continue;
        fprintf(stdout, "%s✗ %s%s  %s(memcheck: %lld error%s, %lld bytes lost)%s\n",
                c->red, name, c->off, c->dim, (long long)errors, errors == 1 ? "" : "s",
                (long long)bytes, c->off);
        print_lines(json_string_value(json_object_get(vg, "first_error")), "    ");
        print_lines(json_string_value(json_object_get(vg, "first_leak")), "    ");
        shown++;
    }
    json_t *d, *deds = json_object_get(doc, "deductions");
    size_t nded = 0;
    json_array_foreach(deds, i, d)
    {
        const char *test = json_string_value(json_object_get(d, "test"));
        if (test != NULL && glob != NULL && fnmatch(glob, test, FNM_EXTMATCH) != 0)
            continue;
        if (nded++ == 0)
            fprintf(stdout, "\n%sthe grader would deduct:%s\n", c->bold, c->off);
        double pts = json_number_value(json_object_get(d, "points"));
        const char *cat = json_string_value(json_object_get(d, "category"));
        fprintf(stdout, "  -%g  %s  %s%s\n", pts,
                json_string_value(json_object_get(d, "title")), test ? test : "",
                pts == 0 ? "  (0: the category's cap is reached)" : "");
        /* valgrind's own lines are above; the rest is shown here */
        if (cat == NULL ||
            (strcmp(cat, "leaks") != 0 && strcmp(cat, "memory-errors") != 0))
            print_lines(json_string_value(json_object_get(d, "evidence")), "      ");
        const char *cmd = json_string_value(json_object_get(d, "command"));
        if (cmd != NULL && cmd[0] != '\0')
            fprintf(stdout, "      %sshow it:%s %s\n", c->dim, c->off, cmd);
    }
    double score = json_number_value(json_object_get(doc, "score"));
    double max = json_number_value(json_object_get(doc, "max_score"));
    bool clean = shown == 0 && nded == 0;
    fprintf(stdout, "%smemcheck: %s%s; the grade would be %g/%g\n",
            clean ? c->green : c->red, clean ? "nothing found" : "found the above",
            c->off, score, max);
    json_decref(doc);
    return clean ? 0 : 1;
}

/*
 * The grader's audit of the build in lab_dir/build (engine/audit.h), shown
 * at once: a student learns that the grader would refuse the submission
 * before grading, not after. Returns true when a finding refuses it (said
 * again after the tests; the exit status stays the tests'). An
 * audit that cannot run is said and ignored (the grader will say more).
 */
static bool check_audit(const struct grade *g, const char *lab_dir, bool quiet,
                        const struct colours *c)
{
    char bdir[4300];
    snprintf(bdir, sizeof bdir, "%s/build", lab_dir);
    struct audit a;
    if (audit_build(&g->m, bdir, bdir, &a) < 0) {
        if (!quiet)
            fprintf(stdout, "%snote:%s the submission audit could not run: %s\n",
                    c->yellow, c->off, strerror(errno));
        return false;
    }
    bool refused = audit_refused(&a);
    if (!quiet && a.n > 0) {
        if (refused)
            fprintf(stdout,
                    "%sthe grader would refuse this code (score 0, no test run):%s fix "
                    "each of these first\n",
                    c->red, c->off);
        else
            fprintf(stdout, "%snotes from the grader's audit:%s\n", c->yellow, c->off);
        for (size_t i = 0; i < a.n; i++) {
            char *line = audit_finding_text(&a.f[i]);
            char *v = text_visible(line ? line : a.f[i].what);
            fprintf(stdout, "  %s%s\n", a.f[i].refused ? "" : "note: ", v);
            free(v);
            free(line);
        }
        fputc('\n', stdout);
        fflush(stdout);
    }
    audit_free(&a);
    return refused;
}

/* What the early report of a check needs (check_early's arg). */
struct early_ctx {
    const struct check_opts *o;
    double t0;
    bool tty;
};

/* report_early - print the verdict of o->first's tests, then say the rest follows. */
static void report_early(struct grade *g, void *arg)
{
    const struct early_ctx *e = arg;
    struct colours c = term_colours(stdout);
    struct check_result res = {.build_ok = true};
    if (e->tty)
        fputs("\r\033[K", stdout);
    fprintf(stdout, "the tests that failed last time, first:\n");
    report(g, e->o->first, e->o, &res, now_seconds() - e->t0, NULL, NULL);
    fprintf(stdout, "\nnow every test:\n");
    if (e->tty)
        fprintf(stdout, "%slab %s: running the other tests...%s", c.dim, g->m.id, c.off);
    fflush(stdout);
}

int check_lab(const char *lab_dir, const struct check_opts *o, struct check_result *res)
{
    static struct grade g;
    memset(&g, 0, sizeof g);
    memset(res, 0, sizeof *res);
    struct colours c = term_colours(stdout);
    if (o->quiet)
        c = term_no_colours();
    FILE *out = stdout;
    char *log = NULL;
    if (manifest_load(lab_dir, &g.m) < 0)
        return 2;
    if (timeouts_load(&g.m) < 0) { /* it builds the tests: Ctrl-C may come there */
        if (proc_interrupted())
            goto stopped;
        return 2;
    }
    double t0 = now_seconds();
    bool tty = !o->quiet && isatty(1);
    if (tty) { /* at once, so a save in watch mode shows at once; erased below */
        fprintf(out, "%slab %s: building and running the tests...%s", c.dim, g.m.id,
                c.off);
        fflush(out);
    }
    const char *gone = course_missing_file(&g.m); /* make would blame a missing .s */
    int built = gone != NULL ? -1 : build(lab_dir, o->asan, &log);
    if (tty && built < 0)
        fputs("\r\033[K", out);
    int status = 1;
    if (proc_interrupted())
        goto stopped;
    if (built < 0) {
        if (!o->quiet && gone != NULL) {
            fprintf(out,
                    "%slab %s: labs/%s/src/%s is missing%s: put it back, or `ipclab "
                    "reset %s %s`\n",
                    c.bold, g.m.id, g.m.slug, gone, c.off, g.m.id, gone);
        } else if (!o->quiet) {
            fprintf(out,
                    "%slab %s (%s) does not compile%s (warnings are errors, as in the "
                    "grader):\n",
                    c.bold, g.m.id, g.m.title, c.off);
            print_build_errors(log, &c);
            fprintf(out, "\nfix the first error, then run `ipclab check %s` again\n",
                    g.m.id);
        }
        free(log);
        res->max = manifest_max_points(&g.m);
        goto record;
    }
    free(log);
    log = NULL;
    res->build_ok = true;
    if (tty)
        fputs("\r\033[K", out);
    /* The sanitizers' own calls would be findings: the grader builds without them. */
    bool refused = !o->asan && check_audit(&g, lab_dir, o->quiet, &c);
    if (tty) {
        fprintf(out, "%slab %s: running the tests...%s", c.dim, g.m.id, c.off);
        fflush(out);
    }
    char bin[4300];
    snprintf(bin, sizeof bin, "%s/build%s/run-tests", lab_dir, o->asan ? "/asan" : "");
    if (o->stress > 0) { /* stress.c; nothing recorded: not a normal check */
        if (tty)
            fputs("\r\033[K", out);
        status = check_stress(&g, bin, o);
        grade_free(&g);
        return status;
    }
    grade_init(&g);
    char *output = NULL;
    struct early_ctx ectx = {.o = o, .t0 = t0, .tty = tty};
    struct check_early early = {.glob = o->first, .report = report_early, .arg = &ectx};
    check_run_tests(&g, bin, o->glob, o->first && !o->quiet ? &early : NULL,
                    o->asan || o->verbose ? &output : NULL);
    if (tty)
        fputs("\r\033[K", out);
    if (proc_interrupted()) {
        free(output);
        goto stopped;
    }
    report(&g, o->glob, o, res, now_seconds() - t0, output, lab_dir);
    /* The exit status stays the tests' (the same verdicts as `make check`). */
    status = res->passed == res->run && res->run > 0 ? 0 : 1;
    if (o->memcheck && !o->quiet) {
        if (status == 0 && !refused)
            status = memcheck(&g, o->glob, &c) == 0 ? 0 : 1;
        else
            fprintf(out, "(memcheck runs once every test passes)\n");
    }
    if (refused && !o->quiet)
        fprintf(out,
                "%sbut the grader refuses this code as it is:%s see the audit's "
                "findings above\n",
                c.red, c.off);
    free(output);
record:
    if (o->record) {
        json_t *p = progress_load();
        progress_record(p, g.m.id, &g, res, o->glob != NULL);
        progress_save(p);
        json_decref(p);
    }
    grade_free(&g);
    return status;
stopped:
    /* Ctrl-C (or SIGTERM/SIGHUP): the tests were stopped by us, not by the
     * student's code; a half run says nothing and is not recorded. */
    free(log);
    if (!o->quiet)
        fprintf(out, "\nstopped: the run was interrupted; nothing was recorded\n");
    grade_free(&g);
    return 130;
}

int check_args(int argc, char **argv, const char *usage, const char *fallback,
               struct check_opts *o, char *dir, size_t len)
{
    *o = (struct check_opts){.record = true};
    if (cli_help(argc, argv, usage) == 0)
        return 0;
    const char *lab = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--asan") == 0)
            o->asan = true;
        else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0)
            o->verbose = true;
        else if (strcmp(argv[i], "--memcheck") == 0)
            o->memcheck = true;
        else if (strcmp(argv[i], "--stress") == 0 || strcmp(argv[i], "--seed") == 0) {
            if (stress_arg(argv[i], i + 1 < argc ? argv[i + 1] : NULL, o) < 0)
                return 2;
            i++;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "ipclab: unknown option '%s'\n%s", argv[i], usage);
            return 2;
        } else if (lab == NULL)
            lab = argv[i];
        else if (o->glob == NULL)
            o->glob = argv[i];
        else {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (lab == NULL)
        lab = fallback;
    if (lab == NULL) {
        fputs(usage, stderr);
        return 2;
    }
    return resolve_lab(lab, dir, len) < 0 ? 2 : -1;
}

/* cmd_check - `ipclab check [--asan] NN [GLOB]`; exit status of check_lab. */
int cmd_check(int argc, char **argv)
{
    struct check_opts o;
    char dir[4096];
    int rc = check_args(argc, argv, usage, NULL, &o, dir, sizeof dir);
    if (rc >= 0)
        return rc;
    proc_install_signals();
    struct check_result res;
    return check_lab(dir, &o, &res);
}
