/* vglog.h - reads valgrind's per-process logs and attributes findings to tests. */
#ifndef IPCLAB_VGLOG_H
#define IPCLAB_VGLOG_H

#include "engine/grade.h"

/*
 * vglog_collect - read every DIR/PID.log written by
 * `valgrind --trace-children=yes --log-file=DIR/%p.log`, find each worker's
 * test from its "IPCLAB-TEST suite/name" line (the probe prints it), follow
 * "Parent PID:" chains so a test's forked children count for that test, and
 * add to g->tests[]: vg_ran, vg_errors, vg_leak_bytes/blocks (definitely
 * lost) and the first error and leak as evidence. Logs with no test (the
 * runner itself) are ignored, and so is every log of a test whose worker
 * did not run to its end (its shard was stopped). Returns the number of
 * logs read.
 */
int vglog_collect(struct grade *g, const char *dir);

/*
 * vglog_finished - how many tests memcheck has finished in log directory
 * dir: the logs of a test's process (marked IPCLAB-TEST near their top)
 * that memcheck closed (it writes "ERROR SUMMARY" at the process's exit).
 */
size_t vglog_finished(const char *dir);

#endif /* IPCLAB_VGLOG_H */
