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
 * Writes WORK/native/watch.json:
 *   {"hangs": {"suite/test": {"summary": s, "details": s}},
 *    "killed": ["suite/test", ...], "runner_status": "exited with status 1",
 *    "runner_killed": bool, "output_bytes": N}
 * Returns 0, or 2 if it could not run at all.
 */
int native_inner(int argc, char **argv);

#endif /* IPCLAB_NATIVE_H */
