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

/*
 * collect_run - read one extra run of the native pass (its work directory
 * dir, e.g. a parallel lane or a stress run) into run: a fresh grade that
 * shares g's manifest (not owned), with one result per test as
 * collect_native gives it. Release it with collect_run_free (never
 * grade_free: the manifest stays g's). Exits (status 2) when memory runs out.
 */
void collect_run(struct grade *run, const struct grade *g, const char *dir);

/* collect_run_free - release what collect_run gave run: its results and runner note. */
void collect_run_free(struct grade *run);

#endif /* IPCLAB_COLLECT_H */
