/* clock.h - the two clocks the grader reads, in seconds. */
#ifndef IPCLAB_CLOCK_H
#define IPCLAB_CLOCK_H

/* now_seconds - CLOCK_MONOTONIC in seconds. */
double now_seconds(void);

/* unix_seconds - CLOCK_REALTIME in seconds (comparable between processes and machines).
 */
double unix_seconds(void);

#endif /* IPCLAB_CLOCK_H */
