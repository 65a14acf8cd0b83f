/* memcheck_runs.c - memcheck runs over a grade's tests, and the reruns that leave no
 * natively passed test unchecked (memcheck_runs.h). */
#include "engine/memcheck_runs.h"
#include "engine/course.h"
#include "engine/pass_common.h"
#include "engine/vgargs.h"
#include "engine/vglog.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_RUNNERS 16 /* labs/support/runners.h: RUNNERS_MAX */

bool vg_allowed(const struct test_result *r)
{
    return (r->mt->options & (OPT_NO_VALGRIND | OPT_PERF)) == 0;
}

bool vg_start(struct grade *g, int jobs, const bool *want, const char *tag,
              struct vg_run *run)
{
    memset(run, 0, sizeof *run);
    size_t n = 0;
    double limit = 0; /* any runner may run them all: each up to its timeout */
    char *filter = NULL;
    for (size_t i = 0; i < g->m.ntests; i++) {
        if (!want[i])
            continue;
        char *f = xasprintf("%s%s%s", filter ? filter : "", filter ? "|" : "",
                            g->tests[i].mt->name);
        free(filter);
        filter = f;
        limit += g->m.tests[i].timeout + 5;
        n++;
    }
    if (n == 0)
        return false;
    if (strcmp(tag, "s") == 0) { /* the first memcheck run: it covers every test it may */
        g->prog.vg_total = n;
        g->prog.vg_began = now_seconds();
    }
    int runners = jobs < 1 ? 1 : (jobs > MAX_RUNNERS ? MAX_RUNNERS : jobs);
    if ((size_t)runners > n)
        runners = (int)n;
    char **opts, **vars;
    int nopts = vg_options(&opts), nvars = vg_environment(&vars);
    if (nopts < 0 || nvars < 0) {
        if (g->infra_error == NULL)
            g->infra_error =
                xasprintf("cannot read labs/support/valgrind.args: %s", strerror(errno));
        free(filter);
        return false;
    }
    char supp[4200], bin[4200];
    snprintf(supp, sizeof supp, "--suppressions=%s/labs/support/valgrind.supp",
             course_root());
    snprintf(bin, sizeof bin, "%s/build/run-tests", g->work);
    run->t0 = now_seconds();
    run->runners = runners;
    char *filt = xasprintf("--filter=@(%s)", filter);
    free(filter);
    /* The run's own files in a fresh tmpfs on sealed/own-TAG: made where no
     * sandbox can write, so tests that fill the work folder cannot keep
     * memcheck from starting; its logs come over a socket (vgsink.h) and go
     * to sealed/vg-TAG, which no sandbox can write. */
    char own[4300];
    snprintf(run->dir, sizeof run->dir, "%s/sealed/vg-%s", g->work, tag);
    snprintf(own, sizeof own, "%s/sealed/own-%s", g->work, tag);
    char results[4400], nrunners[64];
    snprintf(results, sizeof results, "IPCLAB_RESULTS_FILE=%s/results.json", own);
    snprintf(nrunners, sizeof nrunners, "IPCLAB_RUNNERS=%d", runners);
    char *argv[VG_MAX_OPTIONS + 6];
    int a = 0;
    argv[a++] = "valgrind";
    for (int i = 0; i < nopts; i++)
        argv[a++] = opts[i];
    argv[a++] = supp;
    argv[a++] = "--log-fd=3";
    argv[a++] = bin;
    argv[a++] = filt;
    argv[a] = NULL;
    char *env[PASS_ENV_MAX + VG_MAX_OPTIONS + 3];
    int k = 0;
    for (char **e = pass_env(g, results, "IPCLAB_FORK_RUNNER=1"); *e != NULL; e++)
        env[k++] = *e;
    env[k++] = "IPCLAB_VG_LOG_FD=3"; /* the test binary closes it (forkrun.c) */
    env[k++] = nrunners;
    for (int i = 0; i < nvars; i++)
        env[k++] = vars[i];
    env[k] = NULL;
    if (mkdir(run->dir, 0755) < 0 || vgsink_open(&run->sink) < 0) {
        if (g->infra_error == NULL)
            g->infra_error =
                xasprintf("cannot set up memcheck's log channel: %s", strerror(errno));
        free(filt);
        return false;
    }
    struct proc_opts o = {.env = env,
                          .pass_fd = run->sink.send_fd,
                          .lim = {.cpu_seconds = g->pol.max_wall_seconds,
                                  .fsize_mb = 64,
                                  .nproc = 256,
                                  .nofile = 1024},
                          .wall_seconds = pass_budget(g, limit),
                          .out_cap = 16 * 1024};
    char ro_build[4200], ro_native[4200], ro_sealed[4200];
    snprintf(ro_build, sizeof ro_build, "%s/build", g->work);
    snprintf(ro_native, sizeof ro_native, "%s/native", g->work);
    snprintf(ro_sealed, sizeof ro_sealed, "%s/sealed", g->work);
    const char *ro[] = {ro_build, ro_native, ro_sealed, NULL};
    const char *hidden[] = {pass_lab_tests_dir(g), NULL};
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s/tmp", g->work); /* the tests' TMPDIR: capped */
    const char *scratch[] = {tmp, own, NULL};
    struct sandbox_opts so = {ro, false, hidden, scratch, NULL};
    run->mounts = g->wfs.nscratch;
    if (mkdir(own, 0755) == 0 && grade_chown(own) == 0 &&
        pass_start(g, &run->p, "valgrind run", argv, &o, &so) == 0) {
        close(run->sink.send_fd); /* valgrind has it now */
        run->sink.send_fd = -1;
        run->started = true;
    } else {
        vgsink_close(&run->sink, NULL);
    }
    free(filt);
    return run->started;
}

void vg_forget(struct test_result *r)
{
    r->vg_ran = false;
    r->vg_errors = 0;
    r->vg_leak_bytes = 0;
    r->vg_leak_blocks = 0;
    free(r->vg_error_text);
    r->vg_error_text = NULL;
    free(r->vg_leak_text);
    r->vg_leak_text = NULL;
    r->vg_started = false;
    free(r->vg_unchecked);
    r->vg_unchecked = NULL;
}

size_t vg_run_finished(const struct grade *g, const struct vg_run *run)
{
    size_t n = run->started ? run->base + vgsink_finished(&run->sink) : run->base;
    return n < g->prog.vg_total ? n : g->prog.vg_total;
}

/* proc_wait_all's tick while a run goes on: show its progress, a few times a second. */
static void vg_tick(void *arg)
{
    struct vg_run *run = arg;
    struct grade *g = run->g;
    if (g->progress == NULL || now_seconds() - run->shown < 0.25)
        return;
    run->shown = now_seconds();
    g->prog.vg_done = vg_run_finished(g, run);
    pass_show_progress(g, NULL);
}

int vg_finish(struct grade *g, struct vg_run *run, bool kill_first)
{
    if (!run->started)
        return 0;
    if (kill_first)
        proc_kill(&run->p);
    run->g = g;
    proc_wait_all(&run->p, 1, kill_first ? NULL : vg_tick, run);
    if (run->runners > g->valgrind_runners)
        g->valgrind_runners = run->runners;
    const char *why = NULL;
    run->hit_limit = !kill_first && run->p.killed;
    if (run->hit_limit)
        why = "a memcheck run hit its time limit";
    if (vgsink_close(&run->sink, run->dir) < 0 && !kill_first)
        why = "the grader could not write valgrind's logs";
    /* A test the grader's kill cut short did nothing wrong: not "started". */
    if (vglog_collect(g, run->dir, !kill_first) == 0 && !kill_first)
        why = "valgrind wrote no logs";
    if (why != NULL) {
        char *out = text_clean(run->p.out);
        char *note = xasprintf("%s%s%s (%.200s)", g->runner_note ? g->runner_note : "",
                               g->runner_note ? "; " : "", why, out ? out : "");
        free(out);
        free(g->runner_note);
        g->runner_note = note;
    }
    int status = run->p.status;
    proc_free(&run->p);
    workfs_scratch_release(&g->wfs, run->mounts); /* its /tmp and own/: it is over */
    run->started = false;
    return status;
}

/* Is r a natively passed test memcheck has neither checked nor charged yet? */
static bool unsettled(const struct test_result *r)
{
    return vg_allowed(r) && r->verdict == V_PASSED && !r->vg_ran &&
           r->vg_unchecked == NULL;
}

/* How a run of one test ended, from its sandbox's wait status (bwrap exits
 * 128 + N when the runner died of signal N). */
static const char *run_end(int status, bool time_limit, char *buf, size_t len)
{
    if (time_limit)
        snprintf(buf, len, "hit its time limit");
    else if (WIFEXITED(status) && WEXITSTATUS(status) > 128)
        snprintf(buf, len, "ended when its test runner was killed by SIG%s",
                 sigabbrev_np(WEXITSTATUS(status) - 128)
                     ? sigabbrev_np(WEXITSTATUS(status) - 128)
                     : "?");
    else
        proc_describe_status(status, buf, len);
    return buf;
}

/* Charge r: memcheck could not check it, alone either (status: that run's end). */
static void charge_alone(struct test_result *r, int status, bool time_limit)
{
    char end[96];
    r->vg_unchecked = xasprintf(
        "memcheck could not check it: it did not finish under valgrind among the other "
        "tests, nor in a run of its own (which %s). Under valgrind, where code runs "
        "20 to 50 times slower, a test is still stopped at its timeout (%g s); code "
        "that kills its test runner ends the run",
        run_end(status, time_limit, end, sizeof end), r->mt->timeout);
}

void vg_settle(struct grade *g, int jobs)
{
    /* Memcheck as a whole (its first run on) gets max_wall_seconds for its
     * reruns to start in: code that ends every run cannot stretch a grade. */
    double began = g->prog.vg_began > 0 ? g->prog.vg_began : now_seconds();
    double deadline = began + g->pol.max_wall_seconds;
    bool *want = calloc(g->m.ntests + 1, sizeof *want);
    for (int round = 1; want != NULL && g->infra_error == NULL && !proc_interrupted();
         round++) {
        /* Tests no run started go together; else the first that started and
         * did not finish goes alone. */
        size_t fresh = 0, suspect = SIZE_MAX;
        for (size_t i = 0; i < g->m.ntests; i++) {
            const struct test_result *r = &g->tests[i];
            want[i] = unsettled(r) && !r->vg_started;
            fresh += want[i];
            if (unsettled(r) && r->vg_started && suspect == SIZE_MAX)
                suspect = i;
        }
        if (fresh == 0 && suspect == SIZE_MAX)
            break;
        if (now_seconds() >= deadline) {
            for (size_t i = 0; i < g->m.ntests; i++)
                if (unsettled(&g->tests[i]))
                    g->tests[i].vg_unchecked = xasprintf(
                        "memcheck could not check it: memcheck's time in this grade "
                        "(the policy's max_wall_seconds, %d s) ran out before it could "
                        "run the test again",
                        g->pol.max_wall_seconds);
            break;
        }
        if (fresh == 0)
            want[suspect] = true;
        char tag[32];
        snprintf(tag, sizeof tag, "again-%d", round);
        struct vg_run run;
        if (!vg_start(g, fresh > 0 ? jobs : 1, want, tag, &run))
            break;
        run.base = g->prog.vg_done;
        int status = vg_finish(g, &run, false);
        if (fresh == 0) {
            if (!g->tests[suspect].vg_ran)
                charge_alone(&g->tests[suspect], status, run.hit_limit);
            continue;
        }
        bool any = false; /* a run that started none of them cannot make progress */
        for (size_t i = 0; i < g->m.ntests; i++)
            any = any || (want[i] && (g->tests[i].vg_started || g->tests[i].vg_ran));
        if (!any)
            break;
    }
    free(want);
}
