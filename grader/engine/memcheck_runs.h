/* memcheck_runs.h - memcheck runs over a grade's tests, and the reruns that leave no
 * natively passed test unchecked. */
#ifndef IPCLAB_MEMCHECK_RUNS_H
#define IPCLAB_MEMCHECK_RUNS_H

#include "base/proc.h"
#include "engine/grade.h"
#include "engine/vgsink.h"

/* One memcheck run: valgrind over the test binary, with one fork runner a CPU. */
struct vg_run {
    bool started;
    int runners;        /* the runners sharing its tests (labs/support/runners.h) */
    struct proc p;      /* valgrind, in its sandbox */
    char dir[4200];     /* its log directory (under WORK/sealed) */
    struct vgsink sink; /* its log channel */
    size_t mounts;      /* g->wfs.nscratch before its scratch mounts (released after) */
    double t0;
    size_t base;     /* memcheck tests finished before this run (for the progress) */
    bool hit_limit;  /* the grader stopped it at its time limit (vg_finish) */
    struct grade *g; /* for its progress ticks */
    double shown;    /* when its progress was last shown */
};

/* vg_allowed - may this test run under memcheck at all (no no-valgrind or perf
 * option in the manifest)? */
bool vg_allowed(const struct test_result *r);

/*
 * vg_start - start one memcheck run over the tests for which want[i] is
 * true, with up to jobs fork runners sharing them (labs/support/runners.h):
 * one valgrind start for all, each runner takes the next test no other has
 * taken, so they end together whatever each test costs, and each test runs
 * once. Its logs come over the run's channel (vgsink.h) into
 * WORK/sealed/vg-TAG/. tag "s" is the grade's first run (it sets the
 * progress's memcheck total). Returns true if it started.
 */
bool vg_start(struct grade *g, int jobs, const bool *want, const char *tag,
              struct vg_run *run);

/* vg_run_finished - the memcheck tests finished so far (run->base plus the run's),
 * at most g->prog.vg_total. */
size_t vg_run_finished(const struct grade *g, const struct vg_run *run);

/*
 * vg_finish - wait for the run (kill it first if kill_first; else show its
 * progress meanwhile), read its logs into g->tests[] (vglog.h) and release
 * its mounts. A run the grader killed leaves no test started (vg_started),
 * only those it finished. Returns the run's wait status (0 if it never
 * started).
 */
int vg_finish(struct grade *g, struct vg_run *run, bool kill_first);

/* vg_forget - drop what memcheck recorded for r (as if it never ran). */
void vg_forget(struct test_result *r);

/*
 * vg_settle - after the grade's memcheck runs, leave no test that passed
 * natively (and may run under memcheck) without memcheck's data. A run can
 * end before it finished its tests: code under test may kill its runner
 * (whose siblings then stop too) or hang under valgrind past its timeout,
 * and a grade must not gain from memory that went unchecked. The tests a
 * run never started run again together; a test that started and did not
 * finish runs again alone, and one that does not finish alone either is
 * charged (r->vg_unchecked says why: the `unchecked` deduction), as is
 * every test left when max_wall_seconds (the policy's) have passed since
 * memcheck's first run began. Runs that start no test at all (valgrind
 * cannot run) charge nothing: g->runner_note says which tests have no
 * memory data.
 */
void vg_settle(struct grade *g, int jobs);

#endif /* IPCLAB_MEMCHECK_RUNS_H */
