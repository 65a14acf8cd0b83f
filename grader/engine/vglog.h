/* vglog.h - reads valgrind's per-process logs and attributes findings to tests. */
#ifndef IPCLAB_VGLOG_H
#define IPCLAB_VGLOG_H

#include "engine/grade.h"

/*
 * vglog_collect - read every DIR/PID.log (valgrind --trace-children=yes,
 * one log per process: vgsink.h writes them), find each worker's test from
 * its "IPCLAB-TEST suite/name" line (the probe prints it), follow "Parent
 * PID:" chains so a test's forked children count for that test, and add to
 * g->tests[]: vg_ran, vg_errors, vg_leak_bytes/blocks (definitely lost) and
 * the first error and leak as evidence, and with mark_started vg_started
 * (its worker's log began, finished or not). Logs with no test (the runner
 * itself) are ignored, and so is every log of a test whose worker did not
 * run to its end (its run was stopped). Returns the number of logs read. A
 * process in which valgrind itself aborted (an assertion of its own: the
 * code under test wrote valgrind's pipes) has one error, the abort, since
 * its real findings are lost.
 */
int vglog_collect(struct grade *g, const char *dir, bool mark_started);

#endif /* IPCLAB_VGLOG_H */
