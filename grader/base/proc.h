/* proc.h - run a child with limits, a captured (capped) output and a wall-clock watchdog.
 */
#ifndef IPCLAB_PROC_H
#define IPCLAB_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The seconds a build (make, gcc) gets to clean up after SIGTERM. */
#define PROC_BUILD_GRACE 3.0

/* Resource limits set (setrlimit) in the child before it execs; 0 = leave as is. */
struct proc_limits {
    long cpu_seconds; /* RLIMIT_CPU, per process */
    long as_mb;       /* RLIMIT_AS: address space */
    long fsize_mb;    /* RLIMIT_FSIZE: largest file it may write */
    long nproc;       /* RLIMIT_NPROC: processes of its uid */
    long nofile;      /* RLIMIT_NOFILE: open files */
};

/* How to start a child. */
struct proc_opts {
    const char *cwd; /* working directory (NULL: keep the grader's) */
    char **env;      /* complete environment (NULL: the grader's) */
    struct proc_limits lim;
    int uid;             /* > 0 and root: run as this uid and gid, no extra groups */
    double wall_seconds; /* killed (SIGKILL to its process group) after this */
    double stop_grace;   /* > 0: a stop (deadline or interrupt) sends SIGTERM to the
                            group first and SIGKILL only this many seconds later. For
                            the course's own tools (PROC_BUILD_GRACE), never for code
                            under test: make deletes its half-made target, gcc its
                            temporary files in $TMPDIR */
    size_t out_cap;      /* bytes of stdout+stderr kept; the rest is read and dropped */
    int pass_fd; /* > 2: this fd reaches the command as fd 3 (every other is closed) */
    const char *cgroup_procs; /* a cgroup's cgroup.procs: joined before the uid drops */
};

/* A running or finished child. */
struct proc {
    const char *label;        /* for messages */
    pid_t pid;                /* 0 once reaped */
    int fd;                   /* read end of its stdout+stderr, -1 once closed */
    char *out;                /* captured output, NUL-terminated (owned) */
    size_t len, cap;          /* bytes kept / kept at most */
    unsigned long long total; /* bytes it wrote in all */
    double start, deadline, reaped_at;
    double grace, termed_at; /* opts' stop_grace; when SIGTERM went (0: not yet) */
    bool killed;             /* the wall-clock watchdog killed it */
    int status;              /* wait status once reaped */
};

/*
 * proc_start - fork and exec argv[0] (searched in PATH) with opts.
 *
 * The child gets its own process group, stdin from /dev/null, stdout and
 * stderr into one pipe read by proc_wait_all, the limits, and SIGKILL when
 * the grader dies (PR_SET_PDEATHSIG, set after dropping the uid, which
 * would clear it). Returns 0, or -1 with errno set (nothing left running).
 */
int proc_start(struct proc *p, const char *label, char *const argv[],
               const struct proc_opts *opts);

/*
 * proc_wait_all - drive ps[0..n) until every one has exited and its output
 * is drained: read output (keeping at most out_cap bytes each), reap, and
 * stop the process group of any that passes its deadline (SIGKILL, or
 * SIGTERM then SIGKILL with a stop_grace); on SIGINT/SIGTERM/SIGHUP
 * (proc_install_signals), every one is stopped the same way. tick (if not
 * NULL) is called about every 50 ms with arg. Output still arriving 0.5 s
 * after a child was reaped (a grandchild holds the pipe) is cut off.
 */
void proc_wait_all(struct proc *ps, size_t n, void (*tick)(void *arg), void *arg);

/* proc_kill - SIGKILL p's process group and p (if still running). */
void proc_kill(struct proc *p);

/* proc_free - release p's buffers (after proc_wait_all). */
void proc_free(struct proc *p);

/* proc_describe_status - "exited with status 1", "killed by SIGSEGV"... into buf. */
const char *proc_describe_status(int status, char *buf, size_t len);

/* proc_interrupted - true once SIGINT/SIGTERM/SIGHUP arrived (children are killed). */
bool proc_interrupted(void);

/* proc_install_signals - ignore SIGPIPE; make SIGINT/SIGTERM/SIGHUP set the flag. */
void proc_install_signals(void);

#endif /* IPCLAB_PROC_H */
