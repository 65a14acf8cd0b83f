/* timeouts.h - every test's time limit, read from the tests' own Criterion declarations.
 */
#ifndef IPCLAB_TIMEOUTS_H
#define IPCLAB_TIMEOUTS_H

#include "engine/manifest.h"

/*
 * timeouts_load - fill m->tests[i].timeout with each test's effective
 * Criterion timeout (its Test(..., .timeout = N), else its suite's
 * TestSuite(..., .timeout = N)), and m->timeout with the largest of them.
 *
 * The one source is the lab's test code: `make timeouts` (labs/lab.mk)
 * builds labs/support/timeouts.c with the lab's tests and support code,
 * never the student's files, in ROOT/build/grade-cache/SLUG (under that
 * cache's lock), and prints "suite/test SECONDS" lines; no student code runs
 * to decide a limit. Returns 0, or -1 after printing to stderr why (the
 * tests do not build, or a test of the manifest has no timeout).
 */
int timeouts_load(struct manifest *m);

/*
 * timeouts_table - the loaded timeouts as "suite/test SECONDS\n" lines
 * (malloc'd), the form `ipclab grade --inner-native` takes them in.
 */
char *timeouts_table(const struct manifest *m);

#endif /* IPCLAB_TIMEOUTS_H */
