/* collect.h - reads the native pass's outputs (verdicts, probe records, watch data). */
#ifndef IPCLAB_COLLECT_H
#define IPCLAB_COLLECT_H

#include "engine/grade.h"

/*
 * collect_native - fill g->tests[] from WORK/native/: results.json (the
 * verdict hook), probe.jsonl (what each test left behind) and watch.json
 * (why-it-hung, tests killed by the grader's watchdog). A test with no
 * verdict is "timeout" if the watchdog killed it, else "not run" (the runner
 * died first). A test that "passed" without the probe's end record left the
 * test early (exit() in the code under test) and is turned into a failure.
 * Sets g->runner_note when the runner died or was killed.
 */
void collect_native(struct grade *g);

#endif /* IPCLAB_COLLECT_H */
