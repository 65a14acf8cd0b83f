/* collect.h - reads the native pass's outputs (verdicts, probe records, watch data). */
#ifndef IPCLAB_COLLECT_H
#define IPCLAB_COLLECT_H

#include "engine/grade.h"

/*
 * collect_native - fill g->tests[] from the watchdog's report (it takes the
 * reference; NULL: the run was stopped before it reported, see
 * native_report.h): the runner's results (verdicts and, sealed, what each
 * test left behind; else WORK/native/probe.jsonl, which the tests write) and
 * the watch data (why-it-hung, tests killed by the watchdog). A test with no
 * verdict is "timeout" if the watchdog killed it, else "not run" (the runner
 * died first). A test that "passed" without the probe's end record left the
 * test early (exit() in the code under test) and is turned into a failure.
 * Sets g->runner_note when the runner died or was killed.
 */
void collect_native(struct grade *g, json_t *report);

/*
 * collect_run - read one extra run of the native pass (its work directory
 * dir, e.g. a parallel lane or a stress run, and its watchdog's report,
 * whose reference it takes) into run: a fresh grade that
 * shares g's manifest (not owned), with one result per test as
 * collect_native gives it. Release it with collect_run_free (never
 * grade_free: the manifest stays g's). Exits (status 2) when memory runs out.
 */
void collect_run(struct grade *run, const struct grade *g, const char *dir,
                 json_t *report);

/* collect_run_free - release what collect_run gave run: its results and runner note. */
void collect_run_free(struct grade *run);

#endif /* IPCLAB_COLLECT_H */
