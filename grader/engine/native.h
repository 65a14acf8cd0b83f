/* native.h - the native pass, run inside the sandbox: tests, watchdog, why-it-hung. */
#ifndef IPCLAB_NATIVE_H
#define IPCLAB_NATIVE_H

/*
 * native_inner - `ipclab grade --inner-native WORK TIMEOUT WALL [TABLE]`, started by
 * the grader inside the sandbox. Runs WORK/build/run-tests --jobs 1 with
 * IPCLAB_FORK_RUNNER=1 (a forked child per test), its report on a memfd
 * (IPCLAB_RESULTS_FD=3, labs/support/seal.h) that it hands to the grader,
 * with its own watch data, on the report channel the grader passed it
 * (native_report.h) once every other process of the sandbox is dead, and
 * IPCLAB_PROBE_FILE=WORK/native/probe.jsonl, its output in
 * WORK/native/runner.out (capped), for at most WALL seconds. It follows the
 * probe's start records to know which worker runs which test; when a test
 * has run 90% of its own timeout (TABLE: "suite/test SECONDS" lines, see
 * timeouts.h; TIMEOUT, the lab's largest, for a test not in it) it asks
 * hang_explain() where the test's processes are blocked, and at its timeout
 * + 2 s it kills the worker's whole tree itself (Criterion's own timeout can
 * be defeated by blocking SIGPROF). The runner's start is watched the same
 * way: when no test has started within TIMEOUT seconds (code that blocks or
 * forks at load time), the runner's processes are explained and killed.
 * As PID 1 of the sandbox it also reaps orphans and, between tests, kills
 * every process outside the runner's tree (charged to the test before). If
 * the runner dies without reporting (kill(-1, SIGKILL) in a test), the test
 * that was running is blamed and the tests run again without it.
 * Its watch data:
 *   {"hangs": {"suite/test": {"summary": s, "details": s}},
 *    "killed": ["suite/test", ...],
 *    "orphans": {"suite/test": {"count": N, "desc": "pid state, ..."}},
 *    "runner_killers": {"suite/test": "killed by SIGKILL"},
 *    "runner_status": "exited with status 1", "runner_killed": bool,
 *    "output_bytes": N,
 *    "startup": {"summary": s, "details": s, "stopped": bool, "seconds": N}}
 * where "startup" is there only when no test ever started: the runner was
 * stopped at start-up (stopped), or died before its first test.
 * The tests named in $NATIVE_SKIP_ENV ("a|b|c") are left out of the run
 * (the grader runs a lab's speed gates on their own, after memcheck).
 * Returns 0, or 2 if it could not run at all.
 */
int native_inner(int argc, char **argv);

/* NATIVE_SKIP_ENV - the variable naming the tests native_inner leaves out. */
#define NATIVE_SKIP_ENV "IPCLAB_NATIVE_SKIP"

#endif /* IPCLAB_NATIVE_H */
