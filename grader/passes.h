/* passes.h - the stages of one grading run: build, native tests, valgrind shards. */
#ifndef IPCLAB_PASSES_H
#define IPCLAB_PASSES_H

#include "grade.h"

/*
 * pass_build - compile the student files in WORK/src against the lab's
 * pristine headers, tests and support code (make -C LAB all, -Werror) into
 * WORK/build, inside the sandbox. Sets g->build_ok, g->build_log (the
 * compiler's messages, capped) and g->build_seconds.
 */
void pass_build(struct grade *g);

/*
 * pass_native - run the tests natively, one at a time, inside the sandbox
 * (`ipclab grade --inner-native`, see native.h), then collect verdicts,
 * probe data, hangs and watchdog kills into g->tests[].
 */
void pass_native(struct grade *g);

/*
 * pass_valgrind - run the tests that passed natively (except no-valgrind and
 * perf ones) under memcheck, split by --filter into at most jobs shards that
 * run at the same time, each in its own sandbox, then attribute every log to
 * its test (vglog.h). Sets g->valgrind_seconds and g->valgrind_shards.
 */
void pass_valgrind(struct grade *g, int jobs);

/*
 * pass_cleanup_host - after a run without a sandbox: kill every process that
 * still carries this run's IPCLAB_GRADE_ID in its environment, and remove
 * the IPC objects the probe saw left behind. A no-op when sandboxed (the
 * namespaces took everything with them).
 */
void pass_cleanup_host(struct grade *g);

/* pass_grade_id - this run's unique id ("<pid>-<random>"), put in every child's env. */
const char *pass_grade_id(void);

#endif /* IPCLAB_PASSES_H */
