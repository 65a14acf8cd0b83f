/* native.h - the native pass, run inside the sandbox: tests, watchdog, why-it-hung. */
#ifndef IPCLAB_NATIVE_H
#define IPCLAB_NATIVE_H

/*
 * native_inner - `ipclab grade --inner-native WORK TIMEOUT WALL`, started by
 * the grader inside the sandbox. Runs WORK/build/run-tests --jobs 1 with
 * IPCLAB_RESULTS_FILE=WORK/native/results.json and
 * IPCLAB_PROBE_FILE=WORK/native/probe.jsonl, its output in
 * WORK/native/runner.out (capped), for at most WALL seconds. It follows the
 * probe's start records to know which worker runs which test; when a test
 * has run 90% of TIMEOUT seconds it asks hang_explain() where the test's
 * processes are blocked, and at TIMEOUT + 2 s it kills the worker's whole
 * tree itself (Criterion's own timeout can be defeated by blocking SIGPROF).
 * As PID 1 of the sandbox it also reaps orphans and, between tests, kills
 * every process outside the runner's tree (charged to the test before). If
 * the runner dies without reporting (kill(-1, SIGKILL) in a test), the test
 * that was running is blamed and the tests run again without it.
 * Writes WORK/native/watch.json:
 *   {"hangs": {"suite/test": {"summary": s, "details": s}},
 *    "killed": ["suite/test", ...],
 *    "orphans": {"suite/test": {"count": N, "desc": "pid state, ..."}},
 *    "runner_killers": {"suite/test": "killed by SIGKILL"},
 *    "runner_status": "exited with status 1", "runner_killed": bool,
 *    "output_bytes": N}
 * Returns 0, or 2 if it could not run at all.
 */
int native_inner(int argc, char **argv);

#endif /* IPCLAB_NATIVE_H */
