/* trace_failures.h - `grade --trace-failures DIR`: a traced timeline of each failed test.
 */
#ifndef IPCLAB_TRACE_FAILURES_H
#define IPCLAB_TRACE_FAILURES_H

#include "engine/grade.h"

/* The failed tests traced at most, in manifest order (each is run once more). */
#define TRACE_FAILURES_MAX 5

/*
 * trace_failures - after the test passes: run each test that did not pass
 * (failed, crashed, timed out; at most TRACE_FAILURES_MAX) once more under
 * strace, in the grade's own sandbox, limits and uid (pass_run_lane), and
 * write its timeline as DIR/SUITE--TEST.html (the SVG chart and the text;
 * a failed test's last TRACE_LAST_EVENTS events, with why-it-hung's
 * sentence). The rerun decides nothing: the chart is titled with the
 * graded verdict, and its log is read as hostile input. Sets each traced
 * test's r->trace to its page. Returns the number of pages written; a test
 * that could not be traced is said on stderr and skipped.
 */
int trace_failures(struct grade *g, const char *dir);

#endif /* IPCLAB_TRACE_FAILURES_H */
