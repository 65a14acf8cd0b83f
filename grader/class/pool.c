/* pool.c - run up to N child processes at once and report each as it ends. */
#include "class/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const int pool_signals[3] = {SIGCHLD, SIGINT, SIGTERM};

/* The write end of the current pool's self-pipe, for the signal handler. */
static int sig_wfd = -1;
/* SIGINT or SIGTERM once received (set only by the handler). */
static volatile sig_atomic_t stop_sig;

/*
 * on_signal - async-signal-safe: note a stop request, then wake poll(2) by
 * writing one byte (the pipe is non-blocking; a full pipe already wakes it).
 */
static void on_signal(int sig)
{
    int saved = errno;
    if (sig != SIGCHLD)
        stop_sig = sig;
    char c = (char)sig;
    if (write(sig_wfd, &c, 1) < 0) {
        /* EAGAIN: the pipe is full, so poll will wake anyway */
    }
    errno = saved;
}

double pool_elapsed(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) + (now.tv_nsec - since->tv_nsec) / 1e9;
}

int pool_init(struct pool *p, size_t max)
{
    memset(p, 0, sizeof *p);
    p->sigpipe[0] = p->sigpipe[1] = -1;
    p->jobs = calloc(max, sizeof *p->jobs);
    if (p->jobs == NULL)
        return -1;
    p->max = max;
    if (pipe2(p->sigpipe, O_CLOEXEC | O_NONBLOCK) < 0)
        goto fail;
    sig_wfd = p->sigpipe[1];
    stop_sig = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    for (int i = 0; i < 3; i++)
        if (sigaction(pool_signals[i], &sa, &p->saved[i]) < 0)
            goto fail;
    return 0;
fail:;
    int saved = errno;
    pool_destroy(p);
    errno = saved;
    return -1;
}

/* open_out - open path for a child's output: created or truncated, close-on-exec. */
static int open_out(const char *path)
{
    return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

int pool_start(struct pool *p, const char *path, char *const argv[], const char *out_path,
               const char *err_path, double timeout, void *data)
{
    struct pool_job *slot = NULL;
    for (size_t i = 0; i < p->max && slot == NULL; i++)
        if (p->jobs[i].pid == 0)
            slot = &p->jobs[i];
    if (slot == NULL) {
        errno = EAGAIN;
        return -1;
    }
    /* Open everything the child needs first, so failures are reported here. */
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int out = open_out(out_path);
    int err = open_out(err_path);
    int rc = -1;
    if (in < 0 || out < 0 || err < 0)
        goto done;

    /* Block our signals across fork so no handler runs in the child. */
    sigset_t block, old;
    sigemptyset(&block);
    for (int i = 0; i < 3; i++)
        sigaddset(&block, pool_signals[i]);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0); /* its own group: one kill(-pid) reaches its children */
        for (int i = 0; i < 3; i++)
            signal(pool_signals[i], SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) /* we died before prctl took effect */
            _exit(127);
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(127);
        execv(path, argv);
        dprintf(2, "ipclab: cannot run '%s': %s\n", path, strerror(errno));
        _exit(127);
    }
    int fork_errno = errno;
    if (pid > 0)
        setpgid(pid, pid); /* also here, so the group exists before we signal it */
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) {
        errno = fork_errno;
        goto done;
    }
    slot->pid = pid;
    clock_gettime(CLOCK_MONOTONIC, &slot->start);
    slot->timeout = timeout;
    slot->timed_out = false;
    slot->data = data;
    p->running++;
    rc = 0;
done:;
    int saved = errno;
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    if (err >= 0)
        close(err);
    errno = saved;
    return rc;
}

/*
 * reap - if job's child has ended, kill what is left of its process group
 * (while the unreaped leader keeps the group id from being reused), reap
 * it, fill *done and free the slot. Returns 1 if it ended, else 0.
 */
static int reap(struct pool *p, struct pool_job *job, struct pool_done *done)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid(P_PID, (id_t)job->pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0 ||
        info.si_pid == 0)
        return 0;
    kill(-job->pid, SIGKILL); /* grandchildren it left behind, if any */
    int status = 0;
    while (waitpid(job->pid, &status, 0) < 0 && errno == EINTR)
        ;
    done->data = job->data;
    done->status = status;
    done->timed_out = job->timed_out;
    done->seconds = pool_elapsed(&job->start);
    job->pid = 0;
    p->running--;
    return 1;
}

/* drain - empty the self-pipe (non-blocking) after poll said it is readable. */
static void drain(int fd)
{
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

int pool_next(struct pool *p, int timeout_ms, struct pool_done *done)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        for (size_t i = 0; i < p->max; i++)
            if (p->jobs[i].pid != 0 && reap(p, &p->jobs[i], done))
                return 1;
        if (stop_sig != 0) {
            p->stop_signal = stop_sig;
            return -1;
        }
        for (size_t i = 0; i < p->max; i++) {
            struct pool_job *job = &p->jobs[i];
            if (job->pid != 0 && job->timeout > 0 && !job->timed_out &&
                pool_elapsed(&job->start) > job->timeout) {
                job->timed_out = true;
                kill(-job->pid, SIGKILL);
            }
        }
        int left = timeout_ms - (int)(pool_elapsed(&start) * 1000);
        if (left <= 0 || p->running == 0)
            return 0;
        struct pollfd pfd = {.fd = p->sigpipe[0], .events = POLLIN};
        int n = poll(&pfd, 1, left < 200 ? left : 200); /* 200 ms: timeout checks */
        if (n > 0)
            drain(p->sigpipe[0]);
    }
}

void pool_kill_all(struct pool *p, double grace, void (*forget)(void *data))
{
    for (size_t i = 0; i < p->max; i++)
        if (p->jobs[i].pid != 0)
            kill(-p->jobs[i].pid, SIGTERM);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (p->running > 0) {
        bool late = pool_elapsed(&start) > grace;
        for (size_t i = 0; i < p->max; i++) {
            struct pool_job *job = &p->jobs[i];
            struct pool_done done;
            if (job->pid == 0)
                continue;
            if (late)
                kill(-job->pid, SIGKILL);
            if (reap(p, job, &done) && forget != NULL)
                forget(done.data);
        }
        if (p->running > 0) {
            struct pollfd pfd = {.fd = p->sigpipe[0], .events = POLLIN};
            if (poll(&pfd, 1, 100) > 0)
                drain(p->sigpipe[0]);
        }
    }
}

void pool_destroy(struct pool *p)
{
    for (int i = 0; i < 3 && p->jobs != NULL; i++)
        sigaction(pool_signals[i], &p->saved[i], NULL);
    for (int i = 0; i < 2; i++)
        if (p->sigpipe[i] >= 0)
            close(p->sigpipe[i]);
    sig_wfd = -1;
    free(p->jobs);
    memset(p, 0, sizeof *p);
    p->sigpipe[0] = p->sigpipe[1] = -1;
}
