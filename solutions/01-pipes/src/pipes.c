/* pipes.c - lab 01 reference solution: complete transfers, capacity, plumbing. */
#include "pipes.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ===================================================================== */
/*  Helpers                                                              */
/* ===================================================================== */

/* close(2) that keeps the caller's errno: for cleanup paths. */
static void close_quietly(int fd)
{
    int saved = errno;
    if (fd >= 0)
        close(fd);
    errno = saved;
}

/* waitpid(2) that retries when a signal handler interrupts it. */
static pid_t waitpid_retry(pid_t pid, int *status)
{
    pid_t r;
    do
        r = waitpid(pid, status, 0);
    while (r < 0 && errno == EINTR);
    return r;
}

/* ===================================================================== */
/*  Exercise 1: complete transfers                                       */
/* ===================================================================== */

ssize_t write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue; /* interrupted before writing anything */
            return -1;
        }
        done += (size_t)n; /* a short write: send the rest */
    }
    return (ssize_t)done;
}

ssize_t read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = read(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break; /* end of file: every write end is closed */
        done += (size_t)n;
    }
    return (ssize_t)done;
}

/* ===================================================================== */
/*  Exercise 2: capacity and blocking                                    */
/* ===================================================================== */

int pipe_set_capacity(int fd, int size)
{
    if (size <= 0) {
        errno = EINVAL;
        return -1;
    }
    return fcntl(fd, F_SETPIPE_SZ, size);
}

ssize_t fill_pipe(int wfd)
{
    int flags = fcntl(wfd, F_GETFL);
    if (flags < 0)
        return -1;
    if (fcntl(wfd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -1;

    static const char filler[4096]; /* one page: whole pipe buffers fill up */
    ssize_t total = 0;
    for (;;) {
        ssize_t n = write(wfd, filler, sizeof filler);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break; /* full: the next write would block */
            goto fail;
        }
        total += n;
    }
    if (fcntl(wfd, F_SETFL, flags) < 0)
        return -1;
    return total;

fail:;
    int saved = errno;
    fcntl(wfd, F_SETFL, flags);
    errno = saved;
    return -1;
}

/* ===================================================================== */
/*  Exercise 3: atomic records                                           */
/* ===================================================================== */

ssize_t write_record(int fd, const void *rec, size_t len)
{
    if (rec == NULL || len == 0) {
        errno = EINVAL;
        return -1;
    }
    if (len > PIPE_BUF) {
        errno = EMSGSIZE;
        return -1;
    }
    ssize_t n;
    do
        n = write(fd, rec, len); /* one call: atomic up to PIPE_BUF */
    while (n < 0 && errno == EINTR);
    if (n >= 0 && (size_t)n != len) {
        /* Only possible on something that is not a pipe. */
        errno = EIO;
        return -1;
    }
    return n;
}

/* ===================================================================== */
/*  Exercise 4: capturing a program's output                             */
/* ===================================================================== */

ssize_t capture_output(char *const argv[], char *buf, size_t cap, int *status)
{
    if (argv == NULL || argv[0] == NULL || buf == NULL || cap == 0 || status == NULL) {
        errno = EINVAL;
        return -1;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;

    pid_t pid = fork();
    if (pid < 0)
        goto fail;
    if (pid == 0) {
        /* dup2 clears FD_CLOEXEC on fd 1; the originals close at exec. */
        if (dup2(fds[1], STDOUT_FILENO) < 0)
            _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }

    /* Our copy of the write end would keep the pipe from ever reaching EOF. */
    close(fds[1]);
    fds[1] = -1;

    size_t got = 0;
    char scratch[4096];
    for (;;) {
        char *dst = got < cap - 1 ? buf + got : scratch;
        size_t room = got < cap - 1 ? cap - 1 - got : sizeof scratch;
        ssize_t n = read(fds[0], dst, room);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto fail_reap;
        }
        if (n == 0)
            break;
        if (dst != scratch)
            got += (size_t)n;
    }
    buf[got] = '\0';
    close(fds[0]);
    if (waitpid_retry(pid, status) < 0)
        return -1;
    return (ssize_t)got;

fail_reap:
    close_quietly(fds[0]);
    fds[0] = -1;
    {
        int saved = errno;
        waitpid_retry(pid, NULL);
        errno = saved;
    }
fail:
    close_quietly(fds[0]);
    close_quietly(fds[1]);
    return -1;
}

/* ===================================================================== */
/*  Exercise 5: a two-way exchange without deadlock                      */
/* ===================================================================== */

ssize_t filter_through(char *const argv[], const void *in, size_t inlen, void *out,
                       size_t outcap, int *status)
{
    if (argv == NULL || argv[0] == NULL || status == NULL || (in == NULL && inlen > 0) ||
        (out == NULL && outcap > 0)) {
        errno = EINVAL;
        return -1;
    }
    int to_child[2] = {-1, -1}, from_child[2] = {-1, -1};
    pid_t pid = -1;
    struct sigaction ignore = {.sa_handler = SIG_IGN}, old_pipe;
    sigemptyset(&ignore.sa_mask);
    /* A program that exits early makes our writes fail: EPIPE, not death. */
    if (sigaction(SIGPIPE, &ignore, &old_pipe) < 0)
        return -1;

    if (pipe2(to_child, O_CLOEXEC) < 0 || pipe2(from_child, O_CLOEXEC) < 0)
        goto fail;
    pid = fork();
    if (pid < 0)
        goto fail;
    if (pid == 0) {
        sigaction(SIGPIPE, &old_pipe, NULL); /* the program gets what we had */
        if (dup2(to_child[0], STDIN_FILENO) < 0 || dup2(from_child[1], STDOUT_FILENO) < 0)
            _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    to_child[0] = from_child[1] = -1;
    if (inlen == 0) {
        close(to_child[1]); /* nothing to send: EOF right away */
        to_child[1] = -1;
    } else if (fcntl(to_child[1], F_SETFL, O_NONBLOCK) < 0) {
        goto fail;
    }

    const char *src = in;
    char *dst = out;
    size_t sent = 0, got = 0;
    char scratch[4096];
    while (from_child[0] >= 0) {
        struct pollfd p[2] = {{.fd = from_child[0], .events = POLLIN},
                              {.fd = to_child[1], .events = POLLOUT}};
        nfds_t count = to_child[1] >= 0 ? 2 : 1;
        if (poll(p, count, -1) < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        if (count == 2 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = write(to_child[1], src + sent, inlen - sent);
            if (n < 0 && errno != EINTR && errno != EAGAIN) {
                if (errno != EPIPE)
                    goto fail;
                sent = inlen; /* the program stopped reading: drop the rest */
            } else if (n > 0) {
                sent += (size_t)n;
            }
            if (sent == inlen) {
                close(to_child[1]); /* the program sees end of file */
                to_child[1] = -1;
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            char *where = got < outcap ? dst + got : scratch;
            size_t room = got < outcap ? outcap - got : sizeof scratch;
            ssize_t n = read(from_child[0], where, room);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                goto fail;
            }
            if (n == 0) {
                close(from_child[0]);
                from_child[0] = -1;
            } else if (where != scratch) {
                got += (size_t)n;
            }
        }
    }
    close_quietly(to_child[1]);
    to_child[1] = -1;
    pid_t reaped = waitpid_retry(pid, status);
    pid = -1;
    if (reaped < 0)
        goto fail;
    if (sigaction(SIGPIPE, &old_pipe, NULL) < 0)
        return -1;
    return (ssize_t)got;

fail:;
    int saved = errno;
    for (int i = 0; i < 2; i++) {
        if (to_child[i] >= 0)
            close(to_child[i]);
        if (from_child[i] >= 0)
            close(from_child[i]);
    }
    if (pid > 0)
        waitpid_retry(pid, NULL); /* its pipes are closed: it ends soon */
    sigaction(SIGPIPE, &old_pipe, NULL);
    errno = saved;
    return -1;
}

/* ===================================================================== */
/*  Exercise 6: pipelines                                                */
/* ===================================================================== */

int run_pipeline(char *const *cmds[], size_t n, int in_fd, int out_fd)
{
    if (cmds == NULL || n == 0) {
        errno = EINVAL;
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (cmds[i] == NULL || cmds[i][0] == NULL) {
            errno = EINVAL;
            return -1;
        }
    /* Wait for our own children only, never for the caller's others. */
    pid_t *pids = calloc(n, sizeof *pids);
    if (pids == NULL)
        return -1;

    int read_end = -1; /* what the next command reads; -1 means in_fd */
    int fds[2] = {-1, -1};
    size_t started = 0;
    for (size_t i = 0; i < n; i++) {
        bool is_last = i == n - 1;
        if (!is_last && pipe2(fds, O_CLOEXEC) < 0)
            goto fail;
        pid_t pid = fork();
        if (pid < 0)
            goto fail;
        if (pid == 0) {
            free(pids); /* the parent's bookkeeping: this copy is not needed */
            int src = read_end >= 0 ? read_end : in_fd;
            int dst = is_last ? out_fd : fds[1];
            /* dup2 clears FD_CLOEXEC on 0 and 1; every pipe end we made
               is O_CLOEXEC and disappears at exec. */
            if ((src != STDIN_FILENO && dup2(src, STDIN_FILENO) < 0) ||
                (dst != STDOUT_FILENO && dup2(dst, STDOUT_FILENO) < 0))
                _exit(127);
            /* The caller's fds are not ours to pass on to every command. */
            if (in_fd > STDERR_FILENO)
                close(in_fd);
            if (out_fd > STDERR_FILENO && out_fd != in_fd)
                close(out_fd);
            execvp(cmds[i][0], cmds[i]);
            _exit(127);
        }
        pids[started++] = pid;
        /* The parent keeps no pipe end: the children hold the ones they use. */
        close_quietly(read_end);
        read_end = -1;
        if (!is_last) {
            close(fds[1]);
            read_end = fds[0];
            fds[0] = fds[1] = -1;
        }
    }

    int last_status = 0, err = 0;
    for (size_t i = 0; i < started; i++) {
        int status;
        if (waitpid_retry(pids[i], &status) < 0)
            err = errno;
        else if (i == n - 1)
            last_status = status;
    }
    free(pids);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return last_status;

fail:;
    int saved = errno;
    close_quietly(read_end);
    close_quietly(fds[0]);
    close_quietly(fds[1]);
    /* Their input pipes are closed now, so the children see EOF and end. */
    for (size_t i = 0; i < started; i++)
        waitpid_retry(pids[i], NULL);
    free(pids);
    errno = saved;
    return -1;
}

/* ===================================================================== */
/*  Exercise 7: popen(3) and pclose(3)                                   */
/* ===================================================================== */

/* A wait status as a shell's $?: the exit status, or 128 + the signal. */
static int shell_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 255; /* stopped: pclose waits only for termination, so never here */
}

/* pclose(3) that keeps the caller's errno: for cleanup paths. */
static void pclose_quietly(FILE *f)
{
    int saved = errno;
    pclose(f);
    errno = saved;
}

/* $begin popen_capture */
ssize_t popen_capture(const char *cmd, char *buf, size_t cap, int *code)
{
    if (cmd == NULL || buf == NULL || cap == 0 || code == NULL) {
        errno = EINVAL;
        return -1;
    }
    /* "e": the read end is O_CLOEXEC, as capture_output's pipe2 made it. */
    FILE *f = popen(cmd, "re");
    if (f == NULL)
        return -1;
    size_t got = 0;
    char scratch[4096];
    for (;;) {
        char *dst = got < cap - 1 ? buf + got : scratch;
        size_t room = got < cap - 1 ? cap - 1 - got : sizeof scratch;
        size_t n = fread(dst, 1, room, f);
        if (dst != scratch)
            got += n;
        if (n == room)
            continue;
        if (feof(f))
            break;
        if (errno != EINTR) /* ferror: the read failed */
            goto fail;
        clearerr(f); /* a handler interrupted read(2): go on */
    }
    buf[got] = '\0';
    int status = pclose(f); /* waits for the shell: no zombie */
    if (status < 0)
        return -1;
    *code = shell_code(status);
    return (ssize_t)got;

fail:
    pclose_quietly(f);
    return -1;
}
/* $end popen_capture */

/* $begin popen_feed */
int popen_feed(const char *cmd, const void *data, size_t len)
{
    if (cmd == NULL || (data == NULL && len > 0)) {
        errno = EINVAL;
        return -1;
    }
    /* A command that stops reading must not kill us: EPIPE instead. */
    struct sigaction ign, old;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    if (sigaction(SIGPIPE, &ign, &old) < 0)
        return -1;
    FILE *f = popen(cmd, "we");
    if (f == NULL)
        goto fail_signal;
    const char *p = data;
    size_t off = 0;
    bool reader_gone = false;
    while (off < len && !reader_gone) {
        off += fwrite(p + off, 1, len - off, f);
        if (off == len)
            break;
        if (errno == EPIPE)
            reader_gone = true; /* the command exited: drop the rest */
        else if (errno != EINTR)
            goto fail;
        clearerr(f);
    }
    /* Flush here, so that EPIPE is ours to forgive, and drop what a reader
       that is gone will never take: pclose must only close and wait. */
    while (!reader_gone && fflush(f) == EOF) {
        if (errno == EPIPE)
            reader_gone = true;
        else if (errno != EINTR)
            goto fail;
        clearerr(f);
    }
    if (reader_gone)
        __fpurge(f);
    int status = pclose(f);
    if (status < 0)
        goto fail_signal;
    sigaction(SIGPIPE, &old, NULL);
    return shell_code(status);

fail:
    pclose_quietly(f);
fail_signal : {
    int saved = errno;
    sigaction(SIGPIPE, &old, NULL);
    errno = saved;
}
    return -1;
}
/* $end popen_feed */
