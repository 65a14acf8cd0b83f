/* fifos.c - lab 02 reference solution: FIFOs, a logger and a client/server. */
#include "fifos.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ===================================================================== */
/*  Helpers (private to this file)                                        */
/* ===================================================================== */

/* Close fd keeping errno: the first failure is the one worth reporting. */
static void close_keep_errno(int fd)
{
    int saved = errno;
    if (fd >= 0)
        close(fd);
    errno = saved;
}

/*
 * A FIFO server's orderly end: close its fd, then remove its FIFO at path.
 * Returns served (what the server counted), or -1 with errno set; the FIFO
 * is removed even if close fails.
 */
static long server_end(int fd, const char *path, long served)
{
    if (close(fd) < 0) {
        unlink(path);
        return -1;
    }
    if (unlink(path) < 0)
        return -1;
    return served;
}

/* A FIFO server's failure path: close fd and remove the FIFO, keeping errno. */
static void server_abandon(int fd, const char *path)
{
    close_keep_errno(fd);
    int saved = errno;
    unlink(path);
    errno = saved;
}

/* Write all len bytes, retrying short writes and EINTR. */
static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* read(2) retried on EINTR. */
static ssize_t read_retry(int fd, void *buf, size_t len)
{
    ssize_t n;
    do
        n = read(fd, buf, len);
    while (n < 0 && errno == EINTR);
    return n;
}

/* Read exactly len bytes unless EOF comes first; returns the bytes read. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read_retry(fd, (char *)buf + got, len - got);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/*
 * write(2) once with SIGPIPE blocked, so a vanished reader gives EPIPE
 * instead of killing the process. A SIGPIPE raised by this write is
 * consumed; one that was already pending stays pending.
 */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t len)
{
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    if (sigprocmask(SIG_BLOCK, &pipe_set, &old) < 0)
        return -1;
    sigset_t pending;
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE) == 1;
    ssize_t n;
    do
        n = write(fd, buf, len);
    while (n < 0 && errno == EINTR);
    int saved = errno;
    if (n < 0 && saved == EPIPE && !was_pending) {
        const struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return n;
}

/* ===================================================================== */
/*  Functions you implement                                              */
/* ===================================================================== */

int fifo_create(const char *path, mode_t mode)
{
    if (path == NULL) {
        errno = EINVAL;
        return -1;
    }
    if (mkfifo(path, mode) == 0)
        return 0;
    if (errno != EEXIST)
        return -1;
    /* Something is there already: only a FIFO is acceptable. */
    struct stat st;
    if (lstat(path, &st) < 0)
        return -1;
    if (!S_ISFIFO(st.st_mode)) {
        errno = EEXIST;
        return -1;
    }
    return 1;
}

int fifo_open(const char *path, int access, bool wait)
{
    if (path == NULL || (access != O_RDONLY && access != O_WRONLY)) {
        errno = EINVAL;
        return -1;
    }
    int flags = access | O_CLOEXEC | (wait ? 0 : O_NONBLOCK);
    int fd;
    do
        fd = open(path, flags);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -1;
    if (!wait) {
        /* O_NONBLOCK was for the open only: later reads and writes block. */
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
            goto fail;
    }
    return fd;
fail:
    close_keep_errno(fd);
    return -1;
}

ssize_t fifo_read_session(const char *path, void *buf, size_t cap)
{
    if (path == NULL || (buf == NULL && cap > 0)) {
        errno = EINVAL;
        return -1;
    }
    int fd = fifo_open(path, O_RDONLY, true);
    if (fd < 0)
        return -1;
    size_t got = 0;
    char scratch[512];
    for (;;) {
        /* Past cap, keep reading into scratch: the session ends at EOF only. */
        ssize_t n;
        if (got < cap)
            n = read_retry(fd, (char *)buf + got, cap - got);
        else
            n = read_retry(fd, scratch, sizeof scratch);
        if (n < 0)
            goto fail;
        if (n == 0)
            break; /* every writer has closed its end */
        if (got < cap)
            got += (size_t)n;
    }
    if (close(fd) < 0)
        return -1;
    return (ssize_t)got;
fail:
    close_keep_errno(fd);
    return -1;
}

int log_write(const char *path, const char *line, bool wait)
{
    if (path == NULL || line == NULL) {
        errno = EINVAL;
        return -1;
    }
    size_t len = strlen(line);
    if (len > LOG_LINE_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    if (len == 0 || line[len - 1] != '\n' || memchr(line, '\n', len - 1) != NULL) {
        errno = EINVAL;
        return -1;
    }
    int fd = fifo_open(path, O_WRONLY, wait);
    if (fd < 0)
        return -1;
    /* One write of at most PIPE_BUF bytes: atomic, never interleaved. */
    ssize_t n = write_nosigpipe(fd, line, len);
    if (n < 0)
        goto fail;
    if ((size_t)n != len) {
        errno = EIO;
        goto fail;
    }
    return close(fd);
fail:
    close_keep_errno(fd);
    return -1;
}

/* Open a service FIFO with the keep-alive trick, creating it if needed. */
static int open_keepalive(const char *path)
{
    if (fifo_create(path, 0600) < 0)
        return -1;
    /* O_RDWR on a FIFO never blocks on Linux and makes us a writer too. */
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        unlink(path);
    return fd;
}

long log_serve(const char *path, int out_fd)
{
    if (path == NULL || out_fd < 0) {
        errno = EINVAL;
        return -1;
    }
    int fd = open_keepalive(path);
    if (fd < 0)
        return -1;
    /* One line (at most PIPE_BUF) can be pending plus one more read. */
    char buf[2 * LOG_LINE_MAX];
    size_t used = 0;
    long lines = 0;
    for (;;) {
        ssize_t n = read_retry(fd, buf + used, sizeof buf - used);
        if (n < 0)
            goto fail;
        if (n == 0) { /* cannot happen while we hold a write end */
            errno = EIO;
            goto fail;
        }
        used += (size_t)n;
        size_t start = 0;
        char *nl;
        while ((nl = memchr(buf + start, '\n', used - start)) != NULL) {
            size_t len = (size_t)(nl - (buf + start)) + 1;
            if (len == strlen(LOG_SHUTDOWN) &&
                memcmp(buf + start, LOG_SHUTDOWN, len) == 0)
                goto done;
            if (write_all(out_fd, buf + start, len) < 0)
                goto fail;
            lines++;
            start += len;
        }
        memmove(buf, buf + start, used - start);
        used -= start;
        if (used >= LOG_LINE_MAX) { /* longer than any valid line: pass it on */
            if (write_all(out_fd, buf, used) < 0)
                goto fail;
            used = 0;
        }
    }
done:
    return server_end(fd, path, lines);
fail:
    server_abandon(fd, path);
    return -1;
}

int rpc_call(const char *server_path, const char *reply_path, long value, long *result)
{
    if (server_path == NULL || reply_path == NULL || result == NULL ||
        strlen(reply_path) >= RPC_PATH_MAX) {
        errno = EINVAL;
        return -1;
    }
    if (mkfifo(reply_path, 0600) < 0)
        return -1;
    int sfd = -1, rfd = -1;
    struct rpc_request req = {.op = RPC_SQUARE, .pid = getpid(), .value = value};
    strcpy(req.reply_path, reply_path);

    sfd = fifo_open(server_path, O_WRONLY, false);
    if (sfd < 0)
        goto fail;
    ssize_t n = write_nosigpipe(sfd, &req, sizeof req);
    if (n < 0)
        goto fail;
    if ((size_t)n != sizeof req) {
        errno = EIO;
        goto fail;
    }
    if (close(sfd) < 0) {
        sfd = -1;
        goto fail;
    }
    sfd = -1;

    /* Blocks until the server opens our FIFO to answer. */
    rfd = fifo_open(reply_path, O_RDONLY, true);
    if (rfd < 0)
        goto fail;
    struct rpc_reply rep;
    n = read_full(rfd, &rep, sizeof rep);
    if (n < 0)
        goto fail;
    if ((size_t)n != sizeof rep || rep.pid != req.pid) {
        errno = EIO;
        goto fail;
    }
    if (close(rfd) < 0) {
        rfd = -1;
        goto fail;
    }
    if (unlink(reply_path) < 0)
        return -1;
    *result = rep.result;
    return 0;
fail:
    close_keep_errno(sfd);
    close_keep_errno(rfd);
    {
        int saved = errno;
        unlink(reply_path);
        errno = saved;
    }
    return -1;
}

long rpc_serve(const char *path)
{
    if (path == NULL) {
        errno = EINVAL;
        return -1;
    }
    int fd = open_keepalive(path);
    if (fd < 0)
        return -1;
    long answered = 0;
    for (;;) {
        struct rpc_request req;
        ssize_t n = read_full(fd, &req, sizeof req);
        if (n < 0)
            goto fail;
        if ((size_t)n != sizeof req) { /* impossible with atomic requests */
            errno = EIO;
            goto fail;
        }
        if (req.op == RPC_SHUTDOWN)
            break;
        if (req.op != RPC_SQUARE)
            continue;
        req.reply_path[RPC_PATH_MAX - 1] = '\0';
        /* Blocking open: the client opens its end right after sending. */
        int rfd = fifo_open(req.reply_path, O_WRONLY, true);
        if (rfd < 0) {
            if (errno == ENOENT)
                continue; /* that client is gone: serve the others */
            goto fail;
        }
        struct rpc_reply rep;
        memset(&rep, 0, sizeof rep); /* no uninitialised padding on the wire */
        rep.pid = req.pid;
        rep.result = req.value * req.value;
        ssize_t w = write_nosigpipe(rfd, &rep, sizeof rep);
        int saved = errno;
        close(rfd);
        if (w == (ssize_t)sizeof rep)
            answered++;
        else if (w < 0 && saved != EPIPE) {
            errno = saved;
            goto fail;
        }
    }
    return server_end(fd, path, answered);
fail:
    server_abandon(fd, path);
    return -1;
}
