/* check.h - the student's fast check: a lab's tests as parallel native runs. */
#ifndef IPCLAB_CHECK_H
#define IPCLAB_CHECK_H

#include "engine/grade.h"

#include <stdbool.h>
#include <stddef.h>

/* The outcome of a check: counts over the tests that were run. */
struct check_result {
    bool build_ok;
    size_t passed, run;     /* tests passed / tests run (the glob's) */
    double points, max;     /* points of passed tests / of the tests run */
    char first_failing[64]; /* the first failing test in manifest order, or "" */
};

/*
 * Tests to report early: those matching glob run in a lane of their own,
 * started before the others; when it ends, report(g, arg) is called with
 * their results already in g->tests[], while the other lanes still run.
 */
struct check_early {
    const char *glob;
    void (*report)(struct grade *g, void *arg);
    void *arg;
};

/*
 * check_make_lane - make a lane's work folder, WORK = PARENT/ipclab-check-XXXXXX
 * (parent NULL: $TMPDIR, else /tmp), holding native/, tmp/ and
 * build/run-tests: a tiny script running bin with --filter=FILTER and the
 * native pass's own arguments, under the command wrap (NULL-terminated, e.g.
 * strace and its options) when wrap is not NULL. Its path goes to work (len
 * bytes). Returns 0, or -1 with errno set.
 */
int check_make_lane(char *work, size_t len, const char *parent, const char *bin,
                    const char *filter, const char *const *wrap);

/*
 * check_run_tests - run the tests of g->m matching glob (all when NULL) with
 * the test binary bin, as parallel lanes ($IPCLAB_CHECK_JOBS, else two per
 * CPU, at most 7; perf tests run last, in a lane of their own; early's tests,
 * when early is not NULL, first in another): each lane is the grader's own
 * native pass (native_inner: one test at a time, watchdog, why-it-hung) in
 * its own work directory, with a --filter naming its tests, so nothing is
 * misattributed; its results are read with collect_native into g->tests[]
 * (grade_init'ed by the caller) and g->runner_note. Where the grader's
 * sandbox works (g->sb says), each lane runs in it: fresh IPC and PID
 * namespaces take whatever the tests leave. Elsewhere the processes and IPC
 * objects the tests left are removed (g->cleaned says which) and the IPC
 * objects new after the run named (g->left_behind). If output is not NULL, *output gets
 * the runners' output (malloc'd; test output and sanitizer reports). Returns the number
 * of tests selected.
 */
size_t check_run_tests(struct grade *g, const char *bin, const char *glob,
                       const struct check_early *early, char **output);

/*
 * check_trace_test - run the one test named test (exactly "suite/name") of
 * g->m with the test binary bin under strace (trace_strace_args: its log
 * goes to log_file) inside the grader's own native pass, as check runs it
 * (watchdog, why-it-hung, leftovers killed and IPC objects removed), and
 * read its result into g->tests[] (grade_init'ed by the caller). Returns 0,
 * or -1 with errno set (ENOENT: no such test) when it could not run.
 */
int check_trace_test(struct grade *g, const char *bin, const char *test,
                     const char *log_file);

#endif /* IPCLAB_CHECK_H */
