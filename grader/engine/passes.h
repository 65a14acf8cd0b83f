/* passes.h - the test stages of one grading run: native tests, memcheck runs. */
#ifndef IPCLAB_PASSES_H
#define IPCLAB_PASSES_H

#include "engine/grade.h"

/*
 * pass_tests - the two test passes, overlapped on jobs CPUs. The native pass
 * (`ipclab grade --inner-native`, see native.h) runs the tests one at a time
 * in its sandbox: verdicts, probe data, hangs, watchdog kills. Meanwhile
 * (jobs > 1) memcheck runs the tests it may (not no-valgrind or perf ones)
 * in its own sandbox: one valgrind start, whose fork runners (jobs of them,
 * labs/support/runners.h) share the tests; a lab's perf tests are then left
 * out of the native pass (g->gates_pending), for pass_gates to run alone.
 * If every such test passed natively that run just finishes; otherwise it
 * is stopped, the tests it completed are kept and the passed tests still
 * missing run again. With jobs = 1, memcheck runs after the native pass,
 * on the passed tests only. Then no passed test is left unchecked
 * (memcheck_runs.h: vg_settle).
 * Logs are attributed to tests (vglog.h). valgrind = false: native only.
 */
void pass_tests(struct grade *g, int jobs, bool valgrind);

/*
 * pass_run_lane - run the native pass once more on a lane folder under
 * g->work (made with check_make_lane or alike, owned by grade_uid()), in the
 * same sandbox, limits, uid and capped TMPDIR as the grade's own native pass,
 * with extra_env ("NAME=value", or NULL) added to its environment, for at
 * most seconds plus the start-up margin; wait for it. Nothing it produces
 * changes g: *report is the watchdog's report (native_report.h; NULL if it
 * wrote none) for collect_run, and the lane's files are hostile input.
 * Returns 0, or -1 when it could not start (g->infra_error is left as it
 * was, *report is NULL).
 */
int pass_run_lane(struct grade *g, const char *lane, double seconds,
                  const char *extra_env, json_t **report);

#endif /* IPCLAB_PASSES_H */
