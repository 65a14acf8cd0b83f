/* grade.c - `ipclab grade`: grade one submission of one lab, end to end (`grade NN`: this
 * checkout). */
#include "cli/cli.h"
#include "base/fs.h"
#include "base/term.h"
#include "class/progress_bar.h"
#include "engine/course.h"
#include "engine/build_pass.h"
#include "engine/cleanup.h"
#include "engine/gates_pass.h"
#include "engine/grade.h"
#include "engine/native.h"
#include "engine/passes.h"
#include "base/proc.h"
#include "engine/progress_file.h"
#include "engine/provenance.h"
#include "report/report.h"
#include "engine/sandbox.h"
#include "engine/score.h"
#include "engine/stress_pass.h"
#include "engine/submission.h"
#include "engine/vglog.h"
#include "engine/timeouts.h"
#include "engine/trace_failures.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: ipclab grade --lab NN --submission DIR [options]\n"
        "\n"
        "Builds DIR's student files against the lab's own headers and tests, runs\n"
        "the tests in a sandbox (natively, then under valgrind), and scores them\n"
        "with the policy file. DIR may be a checkout (labs/NN-x/src/F), the\n"
        "solutions/ tree (NN-x/src/F) or a directory with the files at its top.\n"
        "\n"
        "options:\n"
        "  --json FILE         Gradescope results.json\n"
        "  --junit FILE        JUnit XML\n"
        "  --csv FILE          a CSV gradebook row (with its header)\n"
        "  --report-json FILE  everything measured (for grade-all and tools)\n"
        "  --student NAME      first CSV column (default: DIR's name)\n"
        "  --policy FILE       score policy (default: grader/policy.ini)\n"
        "  --jobs N            CPUs to use (default: all; grade-all uses 1)\n"
        "  --no-sandbox        run without bubblewrap (the report says so)\n"
        "  --no-valgrind       skip the memcheck pass (no memory deductions)\n"
        "  --keep-work         keep the work directory (its path is printed)\n"
        "  --trace-failures DIR  run each failed test (at most 5) once more under\n"
        "                      strace and write its timeline to DIR/SUITE--TEST.html\n"
        "                      (the chart of `ipclab trace`; the grade is unchanged)\n"
        "  -q, --quiet         no terminal report (and no progress line)\n"
        "  --progress          the progress line on a terminal even with -q\n"
        "  -v, --verbose       also print why-it-hung details\n"
        "\n"
        "Exit status: 0 full marks, 1 graded with less, 2 could not grade.\n");
}

/* `ipclab grade NN` (the student's own checkout): its outcome goes to the progress file.
 */
static bool record_progress;

/*
 * Make WORK, on its capped tmpfs where the grader may mount one (unless it
 * is to be kept), and its subdirectories, owned by nobody when we are root.
 */
static int make_work(struct grade *g, bool keep)
{
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] != '/')
        base = "/tmp";
    snprintf(g->work, sizeof g->work, "%s/ipclab-grade-XXXXXX", base);
    if (mkdtemp(g->work) == NULL)
        return -1;
    workfs_mount(&g->wfs, g->work, g->pol.work_mb, g->pol.work_inodes, keep);
    /* sealed/ stays the grader's: what only the grader writes (memcheck's
     * logs), read-only in every sandbox too. */
    const char *subs[] = {"", "/src", "/build", "/native", "/tmp", "/sealed"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s%s", g->work, subs[i]);
        if (i > 0 && mkdir(p, 0755) < 0 && !(errno == EEXIST && g->wfs.on))
            return -1;
        if (chmod(p, 0755) < 0)
            return -1;
        if (strcmp(subs[i], "/sealed") != 0 && grade_chown(p) < 0)
            return -1;
    }
    return 0;
}

/* Write every requested output; returns -1 if one could not be written. */
static int write_outputs(const struct grade *g, const char *const outs[4])
{
    int (*writers[4])(const struct grade *, const char *) = {
        report_gradescope, report_junit, report_csv, report_json};
    int rc = 0;
    for (int i = 0; i < 4; i++)
        if (outs[i] != NULL && writers[i](g, outs[i]) < 0) {
            fprintf(stderr, "ipclab: cannot write '%s': %s\n", outs[i], strerror(errno));
            rc = -1;
        }
    return rc;
}

/* What grade's progress display keeps between calls (a terminal only). */
struct display {
    struct progress_bar bar;
    const char *phase; /* the phase shown last, NULL before the first */
    double phase_began;
};

/* left - seconds a pass still needs at its rate so far; 0 when done, -1 unknown. */
static double left(size_t done, size_t total, double began)
{
    if (done >= total)
        return 0;
    if (done == 0 || began <= 0)
        return -1;
    return (now_seconds() - began) / (double)done * (double)(total - done);
}

/*
 * show_progress - the grade's progress on a terminal (engine/grade.h's
 * progress hook): a line for each phase done ("build  2.3 s"), and one bar
 * redrawn in place: the phase, then during the tests "tests n/N  memcheck
 * n/N" and the time left, the slower of the two passes (they overlap).
 */
static void show_progress(const struct grade *g, const struct grade_progress *p,
                          void *arg)
{
    struct display *d = arg;
    double now = now_seconds();
    if (d->phase != p->phase) {
        if (d->phase != NULL) {
            char line[128];
            snprintf(line, sizeof line, "%-9s %.1f s", d->phase, now - d->phase_began);
            progress_bar_note(&d->bar, line);
        }
        d->phase = p->phase;
        d->phase_began = now;
    }
    char cap[256];
    double eta = -1;
    if (strcmp(p->phase, "tests") == 0) {
        int k = snprintf(cap, sizeof cap, "tests %zu/%zu", p->tests_done, p->tests_total);
        if (p->vg_total > 0 && k > 0 && (size_t)k < sizeof cap)
            snprintf(cap + k, sizeof cap - (size_t)k, "  memcheck %zu/%zu", p->vg_done,
                     p->vg_total);
        double a = left(p->tests_done, p->tests_total, p->tests_began);
        double b = p->vg_total > 0 ? left(p->vg_done, p->vg_total, p->vg_began) : 0;
        eta = a < 0 || b < 0 ? -1 : (a > b ? a : b);
    } else {
        snprintf(cap, sizeof cap, "%s (lab %s)", p->phase, g->m.id);
    }
    progress_bar_steps(&d->bar, p->tests_done + p->vg_done, p->tests_total + p->vg_total,
                       cap, eta);
}

/* end_progress - the last phase's line ("tests 52/52, memcheck 40/40  9.2 s"), bar
 * cleared. */
static void end_progress(struct display *d, const struct grade *g)
{
    if (d->phase != NULL && strcmp(d->phase, "tests") == 0) {
        char line[160], vg[64] = "";
        const struct grade_progress *p = &g->prog;
        if (p->vg_total > 0)
            snprintf(vg, sizeof vg, ", memcheck %zu/%zu", p->vg_done, p->vg_total);
        snprintf(line, sizeof line, "tests %zu/%zu%s  %.1f s", p->tests_done,
                 p->tests_total, vg, now_seconds() - d->phase_began);
        progress_bar_note(&d->bar, line);
    } else if (d->phase != NULL) {
        char line[128];
        snprintf(line, sizeof line, "%-9s %.1f s", d->phase,
                 now_seconds() - d->phase_began);
        progress_bar_note(&d->bar, line);
    }
    progress_bar_end(&d->bar);
}

/* parse_jobs - --jobs N (N >= 1) into *(long *)dst; -1 (after saying why) otherwise. */
static int parse_jobs(char *arg, void *dst)
{
    long jobs = strtol(arg, NULL, 10);
    if (jobs < 1) {
        fprintf(stderr, "ipclab: --jobs wants a number >= 1\n");
        return -1;
    }
    *(long *)dst = jobs;
    return 0;
}

int cmd_grade(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--inner-native") == 0)
        return native_inner(argc, argv);
    const char *lab = NULL, *sub = NULL, *policy = NULL, *student = NULL, *traces = NULL;
    const char *outs[4] = {NULL, NULL, NULL, NULL};
    bool sandbox = true, valgrind = true, keep = false, quiet = false, verbose = false,
         progress = false;
    long jobs = sysconf(_SC_NPROCESSORS_ONLN);
    const struct cli_opt opts[] = {CLI_ROW("lab", 0, CLI_STRING, &lab),
                                   CLI_ROW("submission", 0, CLI_STRING, &sub),
                                   CLI_ROW("json", 0, CLI_STRING, &outs[0]),
                                   CLI_ROW("junit", 0, CLI_STRING, &outs[1]),
                                   CLI_ROW("csv", 0, CLI_STRING, &outs[2]),
                                   CLI_ROW("report-json", 0, CLI_STRING, &outs[3]),
                                   CLI_ROW("student", 0, CLI_STRING, &student),
                                   CLI_ROW("policy", 0, CLI_STRING, &policy),
                                   CLI_WITH("jobs", 'j', &jobs, parse_jobs),
                                   CLI_ROW("no-sandbox", 0, CLI_FALSE, &sandbox),
                                   CLI_ROW("no-valgrind", 0, CLI_FALSE, &valgrind),
                                   CLI_ROW("keep-work", 0, CLI_TRUE, &keep),
                                   CLI_ROW("trace-failures", 0, CLI_STRING, &traces),
                                   CLI_ROW("quiet", 'q', CLI_TRUE, &quiet),
                                   CLI_ROW("progress", 0, CLI_TRUE, &progress),
                                   CLI_ROW("verbose", 'v', CLI_TRUE, &verbose)};
    int rc = cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], usage);
    if (rc >= 0)
        return rc;
    if (lab == NULL || sub == NULL || optind != argc) {
        usage(stderr);
        return 2;
    }
    struct stat st;
    int bad = stat(sub, &st) < 0 ? errno : (S_ISDIR(st.st_mode) ? 0 : ENOTDIR);
    if (bad != 0) {
        fprintf(stderr, "ipclab: cannot grade '%s': %s\n", sub, strerror(bad));
        return 2;
    }
    static struct grade g;
    memset(&g, 0, sizeof g);
    double t0 = now_seconds();
    snprintf(g.submission, sizeof g.submission, "%s", sub);
    if (student != NULL) {
        snprintf(g.student, sizeof g.student, "%s", student);
    } else {
        char real[PATH_MAX], *copy = NULL;
        if (realpath(sub, real) != NULL)
            copy = real;
        snprintf(g.student, sizeof g.student, "%s", copy ? basename(copy) : sub);
    }
    if (resolve_lab(lab, g.lab_dir, sizeof g.lab_dir) < 0 ||
        manifest_load(g.lab_dir, &g.m) < 0 || timeouts_load(&g.m) < 0 ||
        policy_load(&g.pol, policy) < 0)
        return 2;
    grade_init(&g);
    /* Progress on a terminal only: a pipe or a file gets the report alone. */
    static struct display disp;
    progress_bar_init(&disp.bar, stderr, 0, quiet && !progress);
    if (disp.bar.bar) {
        g.progress = show_progress;
        g.progress_arg = &disp;
    }
    proc_install_signals();
    if (make_work(&g, keep) < 0) {
        fprintf(stderr, "ipclab: cannot make a work directory: %s\n", strerror(errno));
        workfs_unmount(&g.wfs);
        if (g.work[0] != '\0' && strstr(g.work, "XXXXXX") == NULL)
            fs_rm_rf(g.work);
        grade_free(&g);
        return 2;
    }
    sandbox_probe(&g.sb, g.work, sandbox);
    g.sb.capped = g.wfs.on ? &g.wfs : NULL; /* each run's /tmp, /dev/shm ... from it */
    memcg_create(&g.mem, g.pol.memory_mb);  /* its note says what holds */
    if (g.sb.on)
        snprintf(g.sb.note + strlen(g.sb.note), sizeof g.sb.note - strlen(g.sb.note),
                 "; %s; %s", g.mem.note, g.wfs.note);
    char src[4200];
    snprintf(src, sizeof src, "%s/src", g.work);
    if (submission_collect(&g.m, sub, src, &g.missing_files) < 0) {
        g.build_ok = false;
    } else {
        if (geteuid() == 0) /* the copies must be readable by the build as nobody */
            for (size_t i = 0; i < g.m.nstudent_files; i++) {
                char p[4400];
                snprintf(p, sizeof p, "%s/%s", src, g.m.student_files[i]);
                if (grade_chown(p) < 0)
                    fprintf(stderr, "ipclab: cannot chown '%s': %s\n", p,
                            strerror(errno));
            }
        pass_build(&g);
        if (g.build_ok && !proc_interrupted())
            pass_audit(&g); /* before any of the submission's code runs */
    }
    if (g.build_ok && !g.audit_refused && g.infra_error == NULL && !proc_interrupted()) {
        pass_tests(&g, (int)jobs, valgrind);
        if (g.gates_pending && g.infra_error == NULL && !proc_interrupted())
            pass_gates(&g); /* the speed gates, alone, after memcheck */
        if (g.infra_error == NULL && !proc_interrupted())
            pass_stress(&g); /* policy.ini [stress] runs: off by default */
    }
    if (traces != NULL && g.build_ok && !g.audit_refused && g.infra_error == NULL &&
        !proc_interrupted()) {
        g.prog.phase = "tracing";
        if (g.progress != NULL)
            g.progress(&g, &g.prog, g.progress_arg);
        trace_failures(&g, traces);
    }
    if (g.progress != NULL)
        end_progress(&disp, &g);
    pass_cleanup_host(&g);
    if (memcg_hit(&g.mem)) {
        char *was = g.runner_note;
        g.runner_note =
            xasprintf("%s%sthe grade's processes reached its memory bound (%ld MiB: "
                      "policy memory_mb), where the kernel refuses memory or "
                      "kills one of them",
                      was ? was : "", was ? "; " : "", g.mem.mb);
        free(was);
    }
    memcg_destroy(&g.mem);
    provenance_check(&g); /* ipclab submit's MANIFEST: warn about edited provided files */
    if (proc_interrupted() && g.infra_error == NULL)
        g.infra_error = xasprintf("interrupted");
    score_compute(&g);
    g.seconds = now_seconds() - t0;
    int status = g.infra_error != NULL ? 2 : (g.score >= g.max_score ? 0 : 1);
    if (write_outputs(&g, outs) < 0)
        status = 2;
    if (record_progress && g.infra_error == NULL) { /* for the status screen */
        json_t *p = progress_load();
        progress_record_grade(p, g.m.id, &g);
        progress_save(p);
        json_decref(p);
    }
    if (g.infra_error != NULL)
        fprintf(stderr, "ipclab: could not grade: %s\n", g.infra_error);
    if (!quiet)
        report_term(&g, stdout, term_colour_wanted(stdout), verbose);
    if (keep)
        fprintf(stderr, "ipclab: work directory kept: %s\n", g.work);
    else {
        workfs_unmount(&g.wfs); /* its files go with it */
        fs_rm_rf(g.work);
    }
    grade_free(&g);
    return status;
}

/*
 * cmd_grade_student - `ipclab grade NN [opts]` becomes `ipclab grade --lab NN
 * --submission ROOT [opts]`; any other form goes to cmd_grade unchanged.
 */
int cmd_grade_student(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        fprintf(stdout,
                "usage: ipclab grade NN [options]     (a student: grade this checkout)\n"
                "       ipclab grade --lab NN --submission DIR [options]\n\n"
                "`ipclab grade NN` is exactly `ipclab grade --lab NN --submission "
                "ROOT`:\nthe instructor's grader (sandbox, valgrind, deductions, why "
                "it hung)\nrun on your own checkout, so the grade holds no "
                "surprises.\n\n");
        return cmd_grade(argc, argv);
    }
    if (argc < 2 || argv[1][0] == '-')
        return cmd_grade(argc, argv);
    /* grade NN [opts...] -> grade --lab NN --submission ROOT [opts...] */
    char **nargv = xcalloc((size_t)argc + 4, sizeof *nargv);
    int k = 0;
    nargv[k++] = argv[0];
    nargv[k++] = "--lab";
    nargv[k++] = argv[1];
    nargv[k++] = "--submission";
    nargv[k++] = (char *)course_root();
    for (int i = 2; i < argc; i++)
        nargv[k++] = argv[i];
    nargv[k] = NULL;
    record_progress = true;
    int rc = cmd_grade(k, nargv);
    record_progress = false;
    free(nargv);
    return rc;
}
