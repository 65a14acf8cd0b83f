/* pipes.c - lab 01 skeleton: your pipe code goes here. */
#include "pipes.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ===================================================================== */
/*  Functions you implement                                              */
/* ===================================================================== */

ssize_t write_all(int fd, const void *buf, size_t len)
{
    /* TODO(lab01): loop on write(2): resume after short writes, retry EINTR. */
    (void)fd, (void)buf, (void)len;
    errno = ENOSYS;
    return -1;
}

ssize_t read_all(int fd, void *buf, size_t len)
{
    /* TODO(lab01): loop on read(2) until len bytes or EOF (0), retry EINTR. */
    (void)fd, (void)buf, (void)len;
    errno = ENOSYS;
    return -1;
}

int pipe_set_capacity(int fd, int size)
{
    /* TODO(lab01): reject size <= 0, then fcntl(fd, F_SETPIPE_SZ, size). */
    (void)fd, (void)size;
    errno = ENOSYS;
    return -1;
}

ssize_t fill_pipe(int wfd)
{
    /* TODO(lab01): O_NONBLOCK, write until EAGAIN, restore the flags. */
    (void)wfd;
    errno = ENOSYS;
    return -1;
}

ssize_t write_record(int fd, const void *rec, size_t len)
{
    /* TODO(lab01): refuse len > PIPE_BUF, then one write(2) (retry EINTR). */
    (void)fd, (void)rec, (void)len;
    errno = ENOSYS;
    return -1;
}

ssize_t capture_output(char *const argv[], char *buf, size_t cap, int *status)
{
    /* TODO(lab01): pipe2(O_CLOEXEC), fork, dup2 onto stdout, exec; read to EOF. */
    (void)argv, (void)buf, (void)cap, (void)status;
    errno = ENOSYS;
    return -1;
}

ssize_t filter_through(char *const argv[], const void *in, size_t inlen, void *out,
                       size_t outcap, int *status)
{
    /* TODO(lab01): two pipes; poll both so neither side fills up and blocks. */
    (void)argv, (void)in, (void)inlen, (void)out, (void)outcap, (void)status;
    errno = ENOSYS;
    return -1;
}

int run_pipeline(char *const *cmds[], size_t n, int in_fd, int out_fd)
{
    /* TODO(lab01): one pipe between neighbours, one child per command. */
    (void)cmds, (void)n, (void)in_fd, (void)out_fd;
    errno = ENOSYS;
    return -1;
}

ssize_t popen_capture(const char *cmd, char *buf, size_t cap, int *code)
{
    /* TODO(lab01): popen(cmd, "re"), fread to end of file, pclose, decode the status. */
    (void)cmd, (void)buf, (void)cap, (void)code;
    errno = ENOSYS;
    return -1;
}

int popen_feed(const char *cmd, const void *data, size_t len)
{
    /* TODO(lab01): ignore SIGPIPE, popen(cmd, "we"), fwrite, pclose, restore SIGPIPE. */
    (void)cmd, (void)data, (void)len;
    errno = ENOSYS;
    return -1;
}
