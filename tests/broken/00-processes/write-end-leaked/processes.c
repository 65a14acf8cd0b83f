/* processes.c - BROKEN on purpose: the parent never closes the write ends */
#include "processes.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* waitpid(2) that retries when a signal handler interrupts it. */
static pid_t waitpid_retry(pid_t pid, int *status, int options)
{
    pid_t r;
    do
        r = waitpid(pid, status, options);
    while (r < 0 && errno == EINTR);
    return r;
}

int fork_isolation(int *value, int delta)
{
    if (value == NULL) {
        errno = EINVAL;
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* The child's *value is a private copy: the parent never sees this. */
        *value += delta;
        _exit(*value & 0xff);
    }
    int status;
    if (waitpid_retry(pid, &status, 0) < 0)
        return -1;
    if (!WIFEXITED(status)) {
        errno = ECHILD;
        return -1;
    }
    return WEXITSTATUS(status);
}

int run_and_wait(char *const argv[])
{
    if (argv == NULL || argv[0] == NULL) {
        errno = EINVAL;
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execvp(argv[0], argv);
        /* Only reached if exec failed; _exit skips the parent's atexit work. */
        _exit(127);
    }
    int status;
    if (waitpid_retry(pid, &status, 0) < 0)
        return -1;
    return status;
}

int describe_status(int status, char *buf, size_t len)
{
    if (buf == NULL) {
        errno = EINVAL;
        return -1;
    }
    char text[128];
    if (WIFEXITED(status)) {
        snprintf(text, sizeof text, "exited with status %d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        snprintf(text, sizeof text, "killed by signal %d (%s)%s", sig, strsignal(sig),
                 WCOREDUMP(status) ? ", core dumped" : "");
    } else if (WIFSTOPPED(status)) {
        int sig = WSTOPSIG(status);
        snprintf(text, sizeof text, "stopped by signal %d (%s)", sig, strsignal(sig));
    } else if (WIFCONTINUED(status)) {
        snprintf(text, sizeof text, "continued");
    } else {
        errno = EINVAL;
        return -1;
    }
    size_t n = strlen(text);
    if (n + 1 > len) {
        errno = ERANGE;
        return -1;
    }
    memcpy(buf, text, n + 1);
    return (int)n;
}

int reap_finished(pid_t *pids, int *statuses, size_t max)
{
    int reaped = 0;
    for (;;) {
        int status;
        pid_t pid = waitpid_retry(-1, &status, WNOHANG);
        if (pid == 0)
            return reaped; /* children exist, none has finished */
        if (pid < 0)
            return errno == ECHILD ? reaped : -1;
        if ((size_t)reaped < max) {
            if (pids != NULL)
                pids[reaped] = pid;
            if (statuses != NULL)
                statuses[reaped] = status;
        }
        reaped++;
    }
}

/* Child side of parallel_sum: add values[0..n) and send the sum on fd. */
static void sum_slice_child(const long *values, size_t n, int fd)
{
    long sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += values[i];
    ssize_t w;
    do
        w = write(fd, &sum, sizeof sum);
    while (w < 0 && errno == EINTR);
    _exit(w == (ssize_t)sizeof sum ? 0 : 1);
}

/* Read exactly one long from fd, retrying on EINTR. 0 on success, -1 if short. */
static int read_partial(int fd, long *out)
{
    size_t got = 0;
    while (got < sizeof *out) {
        ssize_t r = read(fd, (char *)out + got, sizeof *out - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

int parallel_sum(const long *values, size_t n, unsigned workers, long *result)
{
    if (workers == 0 || result == NULL || (values == NULL && n > 0)) {
        errno = EINVAL;
        return -1;
    }
    pid_t *pids = calloc(workers, sizeof *pids);
    int *readers = calloc(workers, sizeof *readers);
    unsigned started = 0;
    int err = 0;
    if (pids == NULL || readers == NULL) {
        err = ENOMEM;
        goto out;
    }

    for (unsigned w = 0; w < workers; w++) {
        size_t from = n * w / workers, to = n * (w + 1) / workers;
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0) {
            err = errno;
            break;
        }
        /* $begin find_the_bug */
        pid_t pid = fork();
        if (pid < 0) {
            err = errno;
            close(fds[0]);
            close(fds[1]);
            break;
        }
        if (pid == 0) {
            /* Keep only our own write end; earlier readers are the parent's. */
            close(fds[0]);
            for (unsigned i = 0; i < started; i++)
                close(readers[i]);
            sum_slice_child(values + from, to - from, fds[1]);
        }
        pids[started] = pid;
        readers[started] = fds[0];
        started++;
        /* $end find_the_bug */
    }

    /* Collect every child we started, even after a failure: no zombies. */
    long total = 0;
    for (unsigned i = 0; i < started; i++) {
        long part;
        if (read_partial(readers[i], &part) == 0)
            total += part;
        else if (err == 0)
            err = EIO;
        close(readers[i]);
        int status;
        if (waitpid_retry(pids[i], &status, 0) < 0) {
            if (err == 0)
                err = errno;
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            if (err == 0)
                err = EIO;
        }
    }
    if (err == 0)
        *result = total;
out:
    free(pids);
    free(readers);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}
