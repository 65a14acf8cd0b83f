/* vgsink.h - receives valgrind's logs on a socket the code under test cannot reach. */
#ifndef IPCLAB_VGSINK_H
#define IPCLAB_VGSINK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * One memcheck run's log channel. valgrind gets the send end as
 * `--log-fd=3` (proc_opts.pass_fd); the test binary's main closes fd 3 at
 * once ($IPCLAB_VG_LOG_FD), so only valgrind's own copy (an fd the client
 * may not use) stays, and a socket cannot be reopened through /proc. A
 * thread of the grader reads the datagrams, tells processes apart by the
 * kernel's SCM_CREDENTIALS (not by what a line claims), and at the end
 * writes one DIR/PID.log per process, in a folder no sandbox can write, in
 * the shape vglog_collect reads.
 */
struct vgsink {
    int recv_fd, send_fd;
    pthread_t thread;
    bool running;
    volatile bool stop;
    struct vgsink_proc *procs; /* one per sending process */
    size_t nprocs, cap;
    size_t total;    /* bytes kept, all processes */
    bool cut;        /* some output was dropped at the caps */
    size_t finished; /* tests' processes whose log has ended (vgsink_finished) */
};

/* vgsink_open - make the channel and start its reader. Returns 0 or -1 (errno). */
int vgsink_open(struct vgsink *s);

/*
 * vgsink_finished - how many tests memcheck has finished on this channel so
 * far: processes that named their test (IPCLAB-TEST) and whose log reached
 * valgrind's "ERROR SUMMARY" (written at the process's exit). Safe to call
 * while the reader runs.
 */
size_t vgsink_finished(const struct vgsink *s);

/*
 * vgsink_close - after the run has ended: read what is left, stop the
 * reader, write each process's log as DIR/PID.log (PID as valgrind named
 * it), free everything. Returns the number of logs written, or -1.
 */
int vgsink_close(struct vgsink *s, const char *dir);

#endif /* IPCLAB_VGSINK_H */
