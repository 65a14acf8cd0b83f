/* native_report.h - how the native pass's watchdog hands its report to the grader. */
#ifndef IPCLAB_NATIVE_REPORT_H
#define IPCLAB_NATIVE_REPORT_H

#include <jansson.h>

/*
 * The watchdog (native.h) reports on a memfd the grader made and passed to
 * it, whose number is in $IPCLAB_NATIVE_REPORT_FD; the watchdog marks it
 * close-on-exec at once, so no test process holds it, and neither it nor the
 * runner is dumpable, so none can reopen it through /proc. Nothing of the
 * report lies in a folder the tests can write: they can neither replace it
 * nor, by filling that folder, keep it from being written. The report is
 *   {"results": the runner's report (labs/support/results.h) or null,
 *    "watch": what the watchdog saw (native.h)}.
 */
#define NATIVE_REPORT_ENV "IPCLAB_NATIVE_REPORT_FD"

/* native_report_open - a new report channel (a close-on-exec memfd); -1/errno. */
int native_report_open(void);

/*
 * native_report_env - "IPCLAB_NATIVE_REPORT_FD=N" into buf, for a command
 * that will hold the channel as fd N.
 */
const char *native_report_env(char *buf, size_t len, int fd);

/*
 * native_report_take - the watchdog's side: the channel named by the
 * environment, made close-on-exec. -1 (errno EBADF) when there is none.
 */
int native_report_take(void);

/*
 * native_report_write - the watchdog's side: write {results, watch} to fd
 * (it takes both references; results may be NULL). 0 or -1/errno.
 */
int native_report_write(int fd, json_t *results, json_t *watch);

/*
 * native_report_read - the grader's side, once the watchdog has ended: the
 * report, or NULL when it wrote none (it was killed, or failed). Closes fd.
 */
json_t *native_report_read(int fd);

#endif
