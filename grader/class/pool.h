/* pool.h - run up to N child processes at once and report each as it ends. */
#ifndef IPCLAB_CLASS_POOL_H
#define IPCLAB_CLASS_POOL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* One running child. */
struct pool_job {
    pid_t pid;             /* 0 when the slot is free; also its process group */
    struct timespec start; /* CLOCK_MONOTONIC when it was started */
    double timeout;        /* seconds of wall time before it is killed (0: none) */
    bool timed_out;        /* we killed it for taking too long */
    void *data;            /* the caller's, handed back when the job ends */
};

/* A job that ended. */
struct pool_done {
    void *data;     /* as given to pool_start */
    int status;     /* wait status (WIFEXITED, WTERMSIG, ...) */
    bool timed_out; /* killed by the pool after its timeout */
    double seconds; /* wall time it ran */
};

/* The pool. Fields are read-only for callers. */
struct pool {
    struct pool_job *jobs;     /* max slots */
    size_t max;                /* at most this many children at once */
    size_t running;            /* slots in use */
    int sigpipe[2];            /* self-pipe: signal handlers write, pool_next polls */
    int stop_signal;           /* SIGINT or SIGTERM once received, else 0 */
    struct sigaction saved[3]; /* dispositions of SIGCHLD, SIGINT, SIGTERM before */
};

/*
 * pool_init - prepare a pool of max slots and take over SIGCHLD, SIGINT and
 * SIGTERM (their handlers only write to a self-pipe, so the main loop sees
 * them in poll(2) without races). Only one pool may exist at a time.
 * Returns 0, or -1 with errno set.
 */
int pool_init(struct pool *p, size_t max);

/*
 * pool_start - fork and execv(path, argv) in a free slot (the caller checks
 * p->running < p->max). The child leads a new process group, reads
 * /dev/null, writes stdout to out_path and stderr to err_path (created or
 * truncated, mode 0644), is sent SIGKILL if this process dies, and is
 * killed after timeout seconds of wall time (0: never). data comes back in
 * pool_next. Returns 0, or -1 with errno set (nothing was started).
 */
int pool_start(struct pool *p, const char *path, char *const argv[], const char *out_path,
               const char *err_path, double timeout, void *data);

/*
 * pool_next - wait at most timeout_ms milliseconds for a child to end,
 * reaping it and killing children past their timeout meanwhile.
 * Returns 1 and fills *done when a job ended, 0 when the time passed (or
 * nothing is running), -1 once SIGINT or SIGTERM arrived (p->stop_signal
 * says which; the children still run: call pool_kill_all).
 */
int pool_next(struct pool *p, int timeout_ms, struct pool_done *done);

/*
 * pool_kill_all - stop every running child: SIGTERM to each process group,
 * up to grace seconds for them to exit, then SIGKILL, and reap them all.
 * The data pointers of the killed jobs are passed to forget (if not NULL)
 * so the caller can clean up after them.
 */
void pool_kill_all(struct pool *p, double grace, void (*forget)(void *data));

/* pool_destroy - free the pool and restore the three signal dispositions. */
void pool_destroy(struct pool *p);

/* pool_elapsed - seconds from *since to now (CLOCK_MONOTONIC). */
double pool_elapsed(const struct timespec *since);

#endif /* IPCLAB_CLASS_POOL_H */
