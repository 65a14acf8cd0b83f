/* passes.c - runs the native pass and the memcheck runs in sandboxes. */
#include "engine/passes.h"
#include "engine/pass_common.h"
#include "base/fs.h"
#include "engine/audit.h"
#include "engine/build_cache.h"
#include "engine/class_lock.h"
#include "engine/collect.h"
#include "engine/course.h"
#include "engine/native.h"
#include "engine/native_report.h"
#include "base/proc.h"
#include "engine/sandbox.h"
#include "engine/memcheck_runs.h"
#include "engine/timeouts.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * tests_finished - how many tests the native pass has finished: the probe's
 * end records in WORK/native/probe.jsonl (one a test, see probe.h).
 */
static size_t tests_finished(const struct grade *g)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/native/probe.jsonl", g->work);
    size_t n = fs_count_in_file(path, "\"event\":\"end\"", 4u << 20);
    return n < g->prog.tests_total ? n : g->prog.tests_total;
}

/* This very binary, which runs inside the sandboxes (the host is visible read-only
 * there). */
static char *self_path(void)
{
    static char self[4200];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0)
        self[len] = '\0';
    else
        snprintf(self, sizeof self, "%s/build/ipclab", course_root());
    return self;
}

/*
 * Start the native pass (`ipclab grade --inner-native LANE`) in its sandbox:
 * LANE is g->work for the grade's own, or a lane folder under it
 * (check_make_lane) for one more run of a test; each test up to its own
 * timeout, the whole run up to budget seconds.
 */
static int native_start(struct grade *g, struct proc *p, const char *lane, double budget,
                        const char *extra_env, int *report)
{
    static char timeout[32], wall[32], ro_build[4200], ro_src[4200], ro_sealed[4200];
    static char *table;
    snprintf(timeout, sizeof timeout, "%d", g->m.timeout);
    free(table);
    table = timeouts_table(&g->m);
    snprintf(wall, sizeof wall, "%g", budget - 5);
    char *argv[] = {self_path(), "grade", "--inner-native", (char *)lane, timeout, wall,
                    table,       NULL};
    char report_env[64];
    *report = native_report_open(); /* the watchdog's report: fd 3 (native_report.h) */
    if (*report < 0) {
        if (g->infra_error == NULL)
            g->infra_error = xasprintf("cannot make the native pass's report channel: %s",
                                       strerror(errno));
        return -1;
    }
    struct proc_opts o = {
        .env =
            pass_env(g, extra_env, native_report_env(report_env, sizeof report_env, 3)),
        .pass_fd = *report,
        .lim = {.cpu_seconds = (long)budget,
                .as_mb = 2048,
                .fsize_mb = 64,
                .nproc = 256,
                .nofile = 1024},
        .wall_seconds = budget,
        .out_cap = 16 * 1024};
    /* The tests must not touch the binary or sources the valgrind pass uses,
     * nor the memcheck logs the grader writes meanwhile. */
    snprintf(ro_build, sizeof ro_build, "%s/build", g->work);
    snprintf(ro_src, sizeof ro_src, "%s/src", g->work);
    snprintf(ro_sealed, sizeof ro_sealed, "%s/sealed", g->work);
    const char *ro[] = {ro_build, ro_src, ro_sealed, NULL};
    static const char *hidden[2], *scratch[2], *rw[2];
    static char tmp[4200], native[4200];
    hidden[0] = pass_lab_tests_dir(g);
    snprintf(tmp, sizeof tmp, "%s/tmp", lane); /* the tests' TMPDIR: capped */
    scratch[0] = tmp;
    /* A lane of its own (workfs_lane) lies in WORK/sealed, read-only to the
     * sandbox: its runner writes its native/ folder (probe, output, trace). */
    snprintf(native, sizeof native, "%s/native", lane);
    rw[0] = strcmp(lane, g->work) != 0 ? native : NULL;
    struct sandbox_opts so = {ro, true, hidden, scratch, rw};
    if (pass_start(g, p, "native test run", argv, &o, &so) < 0) {
        close(*report);
        *report = -1;
        return -1;
    }
    return 0;
}

/* pass_run_lane - see passes.h. */
int pass_run_lane(struct grade *g, const char *lane, double seconds,
                  const char *extra_env, json_t **report)
{
    struct proc p;
    int fd = -1;
    *report = NULL;
    char *before =
        g->infra_error; /* one more run that cannot start is no grading error */
    size_t mounts = g->wfs.nscratch;
    if (native_start(g, &p, lane, pass_budget(g, seconds), extra_env, &fd) < 0) {
        if (g->infra_error != before)
            free(g->infra_error);
        g->infra_error = before;
        workfs_scratch_release(&g->wfs, mounts);
        return -1;
    }
    proc_wait_all(&p, 1, NULL, NULL);
    proc_free(&p);
    workfs_scratch_release(&g->wfs, mounts); /* its /tmp, /dev/shm ...: the run is over */
    *report = native_report_read(fd);
    return 0;
}

/* After the native pass ended: note how it ended, collect its results (report: its
 * channel, closed here). */
static void native_finish(struct grade *g, struct proc *p, int report)
{
    if (p->killed || !WIFEXITED(p->status) || WEXITSTATUS(p->status) != 0) {
        char st[64];
        char *clean = text_clean(p->out);
        g->runner_note =
            xasprintf("the native test run %s%s%.200s",
                      p->killed ? "hit the whole-run time limit"
                                : proc_describe_status(p->status, st, sizeof st),
                      p->len ? ": " : "", clean);
        free(clean);
    }
    proc_free(p);
    collect_native(g, native_report_read(report));
}

/* What a progress tick needs while a pass runs. */
struct prog_tick {
    struct grade *g;
    const struct vg_run *run; /* the memcheck run (if started) */
    bool native;              /* the native pass is running */
    double last;              /* when it was last shown */
};

/*
 * progress_tick - about 4 times a second: count the tests each running pass
 * has finished and show them (nothing without a display: the logs are not read).
 */
static void progress_tick(struct prog_tick *t)
{
    struct grade *g = t->g;
    if (g->progress == NULL || now_seconds() - t->last < 0.25)
        return;
    t->last = now_seconds();
    if (t->native)
        g->prog.tests_done = tests_finished(g);
    if (t->run != NULL && t->run->started)
        g->prog.vg_done = vg_run_finished(g, t->run);
    pass_show_progress(g, NULL);
}

/*
 * Memcheck starts this long after the native pass: a submission whose tests
 * all fail at once is done natively by then and never pays for it. Later
 * failures stop the memcheck run (below): they cost CPU, never the grade's time,
 * while every passing submission gains the delay (make grade-solutions: 85.9 s
 * with 1 s, 83.7 and 80.8 s with 0.25 s).
 */
#define SPECULATE_AFTER 0.25

/* What spec_tick needs to start the speculative memcheck run. */
struct spec_ctx {
    struct grade *g;
    int jobs;
    const bool *want;
    struct vg_run *run;
    double at; /* when to start them */
    bool started;
    struct prog_tick prog; /* the progress of both passes meanwhile */
};

/* proc_wait_all tick during the native pass: start memcheck once it is time. */
static void spec_tick(void *arg)
{
    struct spec_ctx *c = arg;
    progress_tick(&c->prog);
    if (c->started || now_seconds() < c->at)
        return;
    c->started = true;
    vg_start(c->g, c->jobs, c->want, "s", c->run);
}

void pass_tests(struct grade *g, int jobs, bool valgrind)
{
    bool *want = calloc(g->m.ntests + 1, sizeof *want);
    if (want == NULL)
        return;
    struct proc native;
    /*
     * A speed-gated lab's gates must not share the CPUs with memcheck, nor, in
     * a class, with other grades (class_lock.h). When memcheck overlaps the
     * native pass (valgrind, jobs > 1), that pass leaves the gates out and
     * they run alone once memcheck is done (gates_pass.h); else the whole
     * native pass runs alone. Everything else shares the machine.
     */
    bool gated = manifest_has_perf(&g->m);
    bool split = gated && valgrind && jobs > 1;
    int lock = gated ? class_lock(split ? CLASS_LOCK_SHARED : CLASS_LOCK_ALONE) : -1;
    char *skip = NULL; /* NATIVE_SKIP_ENV=the gates, when split */
    if (split) {
        char *names = manifest_perf_names(&g->m);
        skip = xasprintf("%s=%s", NATIVE_SKIP_ENV, names);
        free(names);
    }
    double t0 = now_seconds();
    g->native_began = unix_seconds();
    g->prog.tests_began = t0;
    g->prog.tests_total = 0;
    double each = 0; /* every test up to its own timeout, plus 3 s of start and kill */
    for (size_t i = 0; i < g->m.ntests; i++)
        if (!split || !(g->m.tests[i].options & OPT_PERF)) {
            each += g->m.tests[i].timeout + 3;
            g->prog.tests_total++;
        }
    pass_show_progress(g, "tests");
    int report = -1;
    int started = native_start(g, &native, g->work, pass_budget(g, each), skip, &report);
    free(skip);
    if (started < 0) {
        class_unlock(lock);
        free(want);
        return;
    }
    /*
     * Memcheck is the slow part: start it at once, on the other cores, for
     * every test it may run, instead of after the native pass. If some test
     * then fails natively, that run is stopped, the tests it finished
     * are kept, and only the passed tests still missing are run again.
     */
    struct vg_run spec = {0};
    for (size_t i = 0; i < g->m.ntests; i++)
        want[i] = valgrind && vg_allowed(&g->tests[i]);
    struct spec_ctx sc = {
        g, jobs, want, &spec, t0 + SPECULATE_AFTER, false, {g, &spec, true, 0}};
    bool speculate = valgrind && jobs > 1; /* with no gate in this pass (above) */
    if (!speculate)
        sc.started = true; /* the tick only shows the progress */
    proc_wait_all(&native, 1, spec_tick, &sc);
    speculate = speculate && sc.started;
    g->native_seconds = now_seconds() - t0;
    native_finish(g, &native, report);
    g->prog.tests_done = g->prog.tests_total;
    g->native_ended = unix_seconds();
    if (gated && !split) { /* the gates ran in it, alone */
        g->gates_began = g->native_began;
        g->gates_ended = g->native_ended;
    }
    if (!split) {
        class_unlock(lock);
        lock = -1;
    }
    if (!valgrind || g->infra_error != NULL || proc_interrupted()) {
        class_unlock(lock);
        vg_finish(g, &spec, true);
        g->valgrind_skipped = !valgrind;
        free(want);
        return;
    }
    if (!split) /* a gated lab's memcheck shares the class (split: held already) */
        lock = gated ? class_lock(CLASS_LOCK_SHARED) : -1;
    bool all_passed = speculate;
    for (size_t i = 0; i < g->m.ntests; i++)
        if (vg_allowed(&g->tests[i]) && g->tests[i].verdict != V_PASSED)
            all_passed = false;
    double vt0 = spec.started ? spec.t0 : now_seconds();
    vg_finish(g, &spec, !all_passed);
    if (!all_passed) {
        bool any = false;
        size_t kept = 0, total = 0; /* for the progress: memcheck covers the passed */
        for (size_t i = 0; i < g->m.ntests; i++) {
            const struct test_result *r = &g->tests[i];
            want[i] = vg_allowed(r) && r->verdict == V_PASSED && !r->vg_ran;
            any = any || want[i];
            total += vg_allowed(r) && r->verdict == V_PASSED;
            kept += vg_allowed(r) && r->verdict == V_PASSED && r->vg_ran;
        }
        g->prog.vg_total = total;
        g->prog.vg_done = kept;
        if (g->prog.vg_began == 0)
            g->prog.vg_began = now_seconds();
        struct vg_run rest;
        if (any && vg_start(g, jobs, want, "r", &rest)) {
            rest.base = kept;
            vg_finish(g, &rest, false);
        }
    }
    vg_settle(g, jobs);
    g->prog.vg_done = g->prog.vg_total;
    g->valgrind_seconds = now_seconds() - vt0;
    g->valgrind_ended = unix_seconds();
    class_unlock(lock);
    /* Memory data belongs to the tests that passed natively: the speculative
     * run may have finished others, and a grade must not depend on how
     * far they got. */
    for (size_t i = 0; i < g->m.ntests; i++)
        if (g->tests[i].verdict != V_PASSED)
            vg_forget(&g->tests[i]);
    /* Say which passed tests have no memory data and no charge (vg_settle:
     * valgrind started none of them). */
    char *missing = NULL;
    size_t nmissing = 0;
    for (size_t i = 0; i < g->m.ntests; i++) {
        const struct test_result *r = &g->tests[i];
        if (!vg_allowed(r) || r->verdict != V_PASSED || r->vg_ran || r->vg_unchecked)
            continue;
        char *m =
            xasprintf("%s%s%s", missing ? missing : "", missing ? ", " : "", r->mt->name);
        free(missing);
        missing = m;
        nmissing++;
    }
    if (missing != NULL) {
        char *note = xasprintf("%s%smemcheck did not finish %zu test(s), which have no "
                               "memory data (valgrind ran none of them): %.300s",
                               g->runner_note ? g->runner_note : "",
                               g->runner_note ? "; " : "", nmissing, missing);
        free(g->runner_note);
        g->runner_note = note;
        free(missing);
    }
    free(want);
    g->gates_pending = split;
}
