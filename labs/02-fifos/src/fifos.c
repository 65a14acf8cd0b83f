/* fifos.c - lab 02 skeleton: your FIFO code goes here. */
#include "fifos.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ===================================================================== */
/*  Functions you implement                                              */
/* ===================================================================== */

int fifo_create(const char *path, mode_t mode)
{
    /* TODO(lab02): mkfifo; on EEXIST, lstat and accept only a FIFO. */
    (void)path, (void)mode;
    errno = ENOSYS;
    return -1;
}

int fifo_open(const char *path, int access, bool wait)
{
    /* TODO(lab02): open, with O_NONBLOCK when !wait, then clear O_NONBLOCK. */
    (void)path, (void)access, (void)wait;
    errno = ENOSYS;
    return -1;
}

ssize_t fifo_read_session(const char *path, void *buf, size_t cap)
{
    /* TODO(lab02): open for reading, read until read() returns 0, close. */
    (void)path, (void)buf, (void)cap;
    errno = ENOSYS;
    return -1;
}

int log_write(const char *path, const char *line, bool wait)
{
    /* TODO(lab02): validate the line, open, one write, close. */
    (void)path, (void)line, (void)wait;
    errno = ENOSYS;
    return -1;
}

long log_serve(const char *path, int out_fd)
{
    /* TODO(lab02): open with O_RDWR, cut the bytes into lines, stop at LOG_SHUTDOWN. */
    (void)path, (void)out_fd;
    errno = ENOSYS;
    return -1;
}

int rpc_call(const char *server_path, const char *reply_path, long value, long *result)
{
    /* TODO(lab02): mkfifo the reply FIFO, send the request, read the reply. */
    (void)server_path, (void)reply_path, (void)value, (void)result;
    errno = ENOSYS;
    return -1;
}

long rpc_serve(const char *path)
{
    /* TODO(lab02): read requests, answer each on its client's reply FIFO. */
    (void)path;
    errno = ENOSYS;
    return -1;
}
