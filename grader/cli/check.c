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
    "usage: ipclab check [--asan] NN [TEST-GLOB]\n"
    "\n"
    "Builds your labs/NN-x/src (warnings are errors, as in the grader) and runs\n"
    "the lab's tests natively with the grader's own runner: each failure is\n"
    "shown with its assertion message, the hint and, for a test that hung,\n"
    "where it was blocked and why. No valgrind: `ipclab grade NN` adds it.\n"
    "\n"
    "  --asan      build with AddressSanitizer and UBSan (memory bugs in seconds)\n"
    "  TEST-GLOB   only the tests matching it, e.g. 'pipeline/*' or '*/eof_*'\n"
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
    struct proc_opts o = {.wall_seconds = 300, .out_cap = 64 * 1024};
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
    for (const char *p = r->message; p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(stdout, "    %.*s\n", len, p);
        p = nl ? nl + 1 : NULL;
    }
    if (r->hang != NULL)
        fprintf(stdout, "    %swhy it hung:%s %s\n", c->yellow, c->off, r->hang);
    if (r->mt->nhints > 0)
        fprintf(stdout, "    %shint:%s %s\n", c->bold, c->off, r->mt->hints[0]);
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

/*
 * suggest_asan - when a selected test crashed of a memory fault (SIGSEGV,
 * SIGBUS, SIGFPE, SIGILL, SIGABRT), name the command that shows where:
 * the sanitizers stop at the faulty line, which a plain crash never says.
 */
static void suggest_asan(const struct grade *g, const char *glob, const struct colours *c)
{
    for (size_t i = 0; i < g->m.ntests; i++) {
        const struct test_result *r = &g->tests[i];
        if (glob != NULL && fnmatch(glob, r->mt->name, FNM_EXTMATCH) != 0)
            continue;
        int s = r->signal;
        if (r->verdict != V_CRASHED ||
            !(s == SIGSEGV || s == SIGBUS || s == SIGFPE || s == SIGILL || s == SIGABRT))
            continue;
        fprintf(stdout,
                "\n%swhere it crashed:%s `ipclab check --asan %s '%s'` stops at the line "
                "(%s)\n",
                c->yellow, c->off, g->m.id, r->mt->name, strsignal(s));
        return;
    }
}

/*
 * report - count the tests of g matching glob (all when NULL) into *res
 * (whose counts the caller zeroed) and, unless o->quiet, print their failures
 * and the result line, "(filtered)" when glob is not NULL, then (advice)
 * the next step. secs: the time taken so far.
 */
static void report(const struct grade *g, const char *glob, const struct check_opts *o,
                   struct check_result *res, double secs, const char *output, bool advice)
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
    if (o->asan)
        print_sanitizer(output, &c);
    else
        suggest_asan(g, glob, &c);
    if (g->runner_note != NULL)
        fprintf(out, "\n%snote:%s %s\n", c.yellow, c.off, g->runner_note);
    char b[256];
    term_bar(b, sizeof b, res->points, res->max, 20);
    bool all = res->passed == res->run && res->run > 0;
    fprintf(out,
            "\n%slab %s%s: %s%zu/%zu tests pass%s, %g/%g points  %s%s%s  %s[%.1f "
            "s%s]%s\n",
            c.bold, g->m.id, glob ? " (filtered)" : "", all ? c.green : c.red,
            res->passed, res->run, c.off, res->points, res->max, all ? c.green : c.red, b,
            c.off, c.dim, secs, o->asan ? ", asan" : "", c.off);
    if (!advice)
        return;
    if (res->run == 0)
        fprintf(out, "no test matches '%s' (names look like suite/test)\n",
                glob ? glob : "*");
    else if (all)
        fprintf(out,
                "%sall pass%s: `ipclab grade %s` shows what the grader would "
                "give (valgrind, deductions)\n",
                c.green, c.off, g->m.id);
    else
        fprintf(out, "next: %s, run `ipclab hint %s`\n", res->first_failing, g->m.id);
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
    report(g, e->o->first, e->o, &res, now_seconds() - e->t0, NULL, false);
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
    if (manifest_load(lab_dir, &g.m) < 0 || timeouts_load(&g.m) < 0)
        return 2;
    double t0 = now_seconds();
    bool tty = !o->quiet && isatty(1);
    if (tty) { /* at once, so a save in watch mode shows at once; erased below */
        fprintf(out, "%slab %s: building and running the tests...%s", c.dim, g.m.id,
                c.off);
        fflush(out);
    }
    char *log = NULL;
    int built = build(lab_dir, o->asan, &log);
    if (tty && built < 0)
        fputs("\r\033[K", out);
    int status = 1;
    if (proc_interrupted())
        goto stopped;
    if (built < 0) {
        if (!o->quiet) {
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
    grade_init(&g);
    char *output = NULL;
    struct early_ctx ectx = {.o = o, .t0 = t0, .tty = tty};
    struct check_early early = {.glob = o->first, .report = report_early, .arg = &ectx};
    check_run_tests(&g, bin, o->glob, o->first && !o->quiet ? &early : NULL,
                    o->asan ? &output : NULL);
    if (tty)
        fputs("\r\033[K", out);
    if (proc_interrupted()) {
        free(output);
        goto stopped;
    }
    report(&g, o->glob, o, res, now_seconds() - t0, output, true);
    /* The exit status stays the tests' (the same verdicts as `make check`). */
    status = res->passed == res->run && res->run > 0 ? 0 : 1;
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
        else if (argv[i][0] == '-') {
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
