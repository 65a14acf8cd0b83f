/* trace.c - `ipclab trace`: one test's IPC timeline, in the terminal and as a chart.
 *
 * Usage: ipclab trace NN TEST [--svg FILE] [--html FILE] [--all] [--log FILE]
 */
#include "cli/cli.h"
#include "base/clock.h"
#include "base/fs.h"
#include "base/proc.h"
#include "base/term.h"
#include "engine/check.h"
#include "engine/course.h"
#include "engine/timeouts.h"
#include "trace/trace.h"

#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Print the command's help to out. */
static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: ipclab trace NN TEST [--svg FILE] [--html FILE] [--all] [--log FILE]\n"
        "                           [--src DIR]\n"
        "       ipclab trace --replay LOG [--svg FILE] [--html FILE]\n"
        "\n"
        "Builds your labs/NN-x/src as check does, runs the one test TEST (its full\n"
        "name, suite/test) under strace with the grader's own runner (watchdog and\n"
        "why-it-hung), and draws what its processes did: one lane per process from\n"
        "fork to exit, and the IPC between them matched by kernel object: bytes\n"
        "through each pipe, EOF when the last write end closed, FIFO opens, queue\n"
        "messages, semaphore operations, shared memory, socket connections and fd\n"
        "passing, signals, wait, and what was blocked or still open at the end.\n"
        "Criterion's own processes and the dynamic loader are left out.\n"
        "\n"
        "  --svg FILE   also write the timeline as an SVG sequence chart\n"
        "  --html FILE  also write a page with the chart and the text timeline\n"
        "  --all        every event; a failed test otherwise shows its last %d\n"
        "  --log FILE   keep strace's own log (what the timeline is read from)\n"
        "  --src DIR    trace the student files in DIR instead of labs/NN-x/src\n"
        "               (built in a temporary folder: the reference, a submission)\n"
        "  --replay LOG draw a log kept with --log again, running nothing\n"
        "\n"
        "Example: ipclab trace 01 'pipeline/three_stages_match_sh' --svg pipeline.svg\n"
        "Exit status: 0 when the test passed, 1 when it failed, 2 when it could not\n"
        "be traced.\n",
        TRACE_LAST_EVENTS);
}

/* True when strace can be found in PATH. */
static bool have_strace(void)
{
    const char *path = getenv("PATH");
    char copy[4096], exe[4200];
    snprintf(copy, sizeof copy, "%s", path ? path : "/usr/bin:/bin");
    for (char *save = NULL, *d = strtok_r(copy, ":", &save); d != NULL;
         d = strtok_r(NULL, ":", &save)) {
        snprintf(exe, sizeof exe, "%s/strace", d);
        if (access(exe, X_OK) == 0)
            return true;
    }
    return false;
}

/*
 * build - make the lab's test binary as check does (warnings are errors):
 * from o->src into tmp/build when o->src is set, else from the lab's src/
 * into its build/. Writes the binary's path into bin. Returns 0 when it
 * built; -1 after printing make's last lines.
 */
static int build(const char *lab_dir, const char *src, const char *tmp, char *bin,
                 size_t len)
{
    char sdir[4200], bdir[4200];
    snprintf(sdir, sizeof sdir, "SRC_DIR=%s", src != NULL ? src : "");
    if (src != NULL)
        snprintf(bdir, sizeof bdir, "BUILD_DIR=%s/build", tmp);
    else
        snprintf(bdir, sizeof bdir, "BUILD_DIR=%s/build", lab_dir);
    snprintf(bin, len, "%s/run-tests", bdir + strlen("BUILD_DIR="));
    char *argv[] = {
        "make",     "-s", "--no-print-directory",    "-C", (char *)lab_dir, "all",
        "WERROR=1", bdir, src != NULL ? sdir : NULL, NULL};
    struct proc_opts po = {
        .wall_seconds = 300, .stop_grace = PROC_BUILD_GRACE, .out_cap = 4096};
    struct proc p;
    if (proc_start(&p, "build", argv, &po) < 0)
        return -1;
    proc_wait_all(&p, 1, NULL, NULL);
    int ok = !p.killed && WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0;
    if (!ok)
        fprintf(stderr, "%s", p.out);
    proc_free(&p);
    return ok ? 0 : -1;
}

/* Write the drawing into file with draw; returns 0, or -1 after saying why. */
static int write_chart(const char *file, const struct trace *tr, const struct tr_draw *d,
                       void (*draw)(const struct trace *, const struct tr_draw *, FILE *))
{
    FILE *f = fopen(file, "we");
    if (f == NULL) {
        fprintf(stderr, "ipclab trace: cannot write '%s': %s\n", file, strerror(errno));
        return -1;
    }
    draw(tr, d, f);
    if (fclose(f) != 0) {
        fprintf(stderr, "ipclab trace: cannot write '%s': %s\n", file, strerror(errno));
        return -1;
    }
    return 0;
}

/* What the command line asked for. */
struct trace_opts {
    const char *svg, *html, *log, *src, *replay;
    bool all;
};

/* Draw the SVG and HTML files o asks for; -1 when one could not be written. */
static int write_files(const struct trace_opts *o, const struct trace *tr,
                       const struct tr_draw *d)
{
    struct tr_draw plain = *d;
    plain.colour = false;
    int rc = 0;
    if (o->svg != NULL)
        rc |= write_chart(o->svg, tr, &plain, trace_svg);
    if (o->html != NULL)
        rc |= write_chart(o->html, tr, &plain, trace_html);
    return rc;
}

/* `ipclab trace --replay LOG`: draw a kept log again. */
static int replay(const struct trace_opts *o)
{
    struct trace tr;
    if (trace_parse(o->replay, "/native/probe.jsonl", &tr) < 0) {
        fprintf(stderr, "ipclab trace: cannot read '%s': %s\n", o->replay,
                strerror(errno));
        return 2;
    }
    char sub[200];
    snprintf(sub, sizeof sub, "(%zu processes, %zu events in %.2f s)", tr.nprocs, tr.nev,
             tr.length);
    struct tr_draw d = {
        .colour = term_colour_wanted(stdout), .title = o->replay, .sub = sub};
    trace_text(&tr, &d, stdout);
    int rc = write_files(o, &tr, &d);
    int found = tr.found_test;
    trace_free(&tr);
    return rc < 0 || !found ? 2 : 0;
}

/* Run test of lab_dir's built binary under strace, then draw it. */
static int trace_one(const char *lab_dir, const char *test, const struct trace_opts *o)
{
    static struct grade g;
    memset(&g, 0, sizeof g);
    if (manifest_load(lab_dir, &g.m) < 0 || timeouts_load(&g.m) < 0)
        return 2;
    int status = 2;
    char tmp[4096], log[4200], bin[4300] = "";
    const char *base = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/ipclab-trace-XXXXXX",
             base && base[0] == '/' ? base : "/tmp");
    if (mkdtemp(tmp) == NULL) {
        fprintf(stderr, "ipclab trace: cannot make a folder in %s: %s\n", tmp,
                strerror(errno));
        goto out;
    }
    if (build(lab_dir, o->src, tmp, bin, sizeof bin) < 0) {
        fprintf(stderr,
                "ipclab trace: lab %s does not compile: `ipclab check %s` shows why\n",
                g.m.id, g.m.id);
        status = 1;
        goto out;
    }
    snprintf(log, sizeof log, "%s/strace.log", tmp);
    grade_init(&g);
    double t0 = now_seconds();
    if (check_trace_test(&g, bin, test, log) < 0) {
        fprintf(stderr, "ipclab trace: %s\n",
                errno == ENOENT ? "no such test (names look like suite/test: "
                                  "`ipclab check NN` lists the failing ones)"
                                : strerror(errno));
        goto out;
    }
    double secs = now_seconds() - t0;
    if (proc_interrupted())
        goto out;
    const struct test_result *r = NULL;
    for (size_t i = 0; i < g.m.ntests; i++)
        if (strcmp(g.m.tests[i].name, test) == 0)
            r = &g.tests[i];
    struct trace tr;
    if (trace_parse(log, "/native/probe.jsonl", &tr) < 0) {
        fprintf(stderr, "ipclab trace: strace wrote no log: %s\n", strerror(errno));
        goto out;
    }
    if (o->log != NULL && fs_copy_file(log, o->log, NULL) < 0)
        fprintf(stderr, "ipclab trace: cannot keep the log in '%s': %s\n", o->log,
                strerror(errno));
    bool passed = r != NULL && r->verdict == V_PASSED;
    char title[300], sub[200];
    snprintf(title, sizeof title, "lab %s %s: %s", g.m.id, test,
             r != NULL ? verdict_name(r->verdict) : "not run");
    snprintf(sub, sizeof sub, "(%zu processes, %zu events in %.2f s; traced in %.1f s)",
             tr.nprocs, tr.nev, tr.length, secs);
    struct tr_draw d = {.colour = term_colour_wanted(stdout),
                        .last = passed || o->all ? 0 : TRACE_LAST_EVENTS,
                        .title = title,
                        .sub = sub,
                        .why = r != NULL ? r->hang : NULL};
    trace_text(&tr, &d, stdout);
    if (!passed && r != NULL && r->message != NULL && r->message[0] != '\0')
        printf("\nthe test said: %s\n", r->message);
    int wrote = write_files(o, &tr, &d);
    trace_free(&tr);
    status = wrote < 0 ? 2 : passed ? 0 : 1;
out:
    if (strstr(tmp, "XXXXXX") == NULL)
        fs_rm_rf(tmp);
    grade_free(&g);
    return status;
}

/* `ipclab trace NN TEST [...]`. */
int cmd_trace(int argc, char **argv)
{
    static const struct option opts[] = {
        {"svg", required_argument, NULL, 's'}, {"html", required_argument, NULL, 'H'},
        {"log", required_argument, NULL, 'l'}, {"all", no_argument, NULL, 'a'},
        {"src", required_argument, NULL, 'S'}, {"replay", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0}};
    struct trace_opts o = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            o.svg = optarg;
            break;
        case 'H':
            o.html = optarg;
            break;
        case 'l':
            o.log = optarg;
            break;
        case 'a':
            o.all = true;
            break;
        case 'S':
            o.src = optarg;
            break;
        case 'r':
            o.replay = optarg;
            break;
        default: /* 'h' (--help) or an unknown option */
            return cli_help_or_usage(c, usage);
        }
    }
    if (o.replay != NULL && argc == optind)
        return replay(&o);
    if (argc - optind != 2 || o.replay != NULL) {
        usage(stderr);
        return 2;
    }
    if (!have_strace()) {
        fprintf(stderr,
                "ipclab trace: strace is not installed (Debian: apt install strace)\n");
        return 2;
    }
    char dir[4096], src[4096];
    if (resolve_lab(argv[optind], dir, sizeof dir) < 0)
        return 2;
    if (o.src != NULL) { /* make runs in the lab's folder: the path must be absolute */
        if (realpath(o.src, src) == NULL || !fs_is_dir(src)) {
            fprintf(stderr, "ipclab trace: '%s' is not a folder\n", o.src);
            return 2;
        }
        o.src = src;
    }
    proc_install_signals();
    return trace_one(dir, argv[optind + 1], &o);
}
