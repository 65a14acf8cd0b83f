/* passes.h - the stages of one grading run: build, native tests, valgrind shards. */
#ifndef IPCLAB_PASSES_H
#define IPCLAB_PASSES_H

#include "engine/grade.h"

/*
 * pass_build - compile the student files in WORK/src against the lab's
 * pristine headers, tests and support code (make -C LAB all, -Werror) into
 * WORK/build, inside the sandbox. Sets g->build_ok, g->build_log (the
 * compiler's messages, capped) and g->build_seconds.
 */
void pass_build(struct grade *g);

/*
 * pass_audit - after a successful build, before any student code runs:
 * audit what the compiler made of the student files (engine/audit.h) into
 * g->audit. A refusing finding sets g->audit_refused (policy [audit]
 * action = refuse: the caller runs no test, the score is 0) or
 * g->audit_flagged (action = review: graded as usual). An audit that cannot
 * run sets g->infra_error.
 */
void pass_audit(struct grade *g);

/*
 * pass_tests - the two test passes, overlapped on jobs CPUs. The native pass
 * (`ipclab grade --inner-native`, see native.h) runs the tests one at a time
 * in its sandbox: verdicts, probe data, hangs, watchdog kills. Meanwhile
 * (jobs > 1, and no perf test to disturb) memcheck runs the tests it may
 * (not no-valgrind or perf ones) in jobs shards, each in its own sandbox.
 * If every such test passed natively the shards just finish; otherwise they
 * are stopped, the tests they completed are kept and the passed tests still
 * missing run again. With jobs = 1, memcheck runs after the native pass,
 * on the passed tests only.
 * Logs are attributed to tests (vglog.h). valgrind = false: native only.
 */
void pass_tests(struct grade *g, int jobs, bool valgrind);

/*
 * pass_run_lane - run the native pass once more on a lane folder under
 * g->work (made with check_make_lane or alike, owned by grade_uid()), in the
 * same sandbox, limits, uid and capped TMPDIR as the grade's own native pass,
 * with extra_env ("NAME=value", or NULL) added to its environment, for at
 * most seconds plus the start-up margin; wait for it. Nothing it produces
 * changes g: the caller reads the lane's files, as hostile input. Returns 0,
 * or -1 when it could not start (g->infra_error is left as it was).
 */
int pass_run_lane(struct grade *g, const char *lane, double seconds,
                  const char *extra_env);

/* pass_grade_id - this run's unique id ("<pid>-<random>"), put in every child's env. */
const char *pass_grade_id(void);

#endif /* IPCLAB_PASSES_H */
