/* results.h - the results file every run of the test binary writes. */
#ifndef IPCLAB_RESULTS_H
#define IPCLAB_RESULTS_H

#include <jansson.h>

/*
 * results_write - write doc ({"tests": [...]}) to the fd $IPCLAB_RESULTS_FD
 * when set (the grader's sealed channel: truncated, then written), else to
 * $IPCLAB_RESULTS_FILE, if set: into a new file next to it, renamed over
 * it, so whatever is at that path (a FIFO, a link left by the code under
 * test) is replaced, never opened. Returns 0, or -1 (a message on stderr).
 */
int results_write(json_t *doc);

#endif /* IPCLAB_RESULTS_H */
