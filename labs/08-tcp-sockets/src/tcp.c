/* tcp.c - lab 08 skeleton: your TCP code goes here. */
#include "tcp.h"

#include <errno.h>

/* ===================================================================== */
/*  Functions you implement                                              */
/* ===================================================================== */

int tcp_listen(const char *host, uint16_t port, int backlog, uint16_t *bound_port)
{
    /* TODO(lab08): socket, SO_REUSEADDR, bind, listen, getsockname. */
    (void)host;
    (void)port;
    (void)backlog;
    (void)bound_port;
    errno = ENOSYS;
    return -1;
}

int tcp_connect(const char *host, uint16_t port, int timeout_ms)
{
    /* TODO(lab08): non-blocking connect, poll for POLLOUT, then SO_ERROR. */
    (void)host;
    (void)port;
    (void)timeout_ms;
    errno = ENOSYS;
    return -1;
}

ssize_t send_all(int fd, const void *buf, size_t len)
{
    /* TODO(lab08): loop on send(..., MSG_NOSIGNAL) until every byte is out. */
    (void)fd;
    (void)buf;
    (void)len;
    errno = ENOSYS;
    return -1;
}

ssize_t recv_all(int fd, void *buf, size_t len)
{
    /* TODO(lab08): loop on recv until len bytes or end of stream. */
    (void)fd;
    (void)buf;
    (void)len;
    errno = ENOSYS;
    return -1;
}

int frame_send(int fd, const void *msg, uint32_t len)
{
    /* TODO(lab08): htonl(len), then the payload, both with send_all. */
    (void)fd;
    (void)msg;
    (void)len;
    errno = ENOSYS;
    return -1;
}

ssize_t frame_recv(int fd, void *buf, size_t cap)
{
    /* TODO(lab08): 4 header bytes (ntohl), then exactly len payload bytes. */
    (void)fd;
    (void)buf;
    (void)cap;
    errno = ENOSYS;
    return -1;
}

ssize_t request_reply(int fd, const void *req, size_t len, void *reply, size_t cap)
{
    /* TODO(lab08): send, shutdown(SHUT_WR), then read until EOF. */
    (void)fd;
    (void)req;
    (void)len;
    (void)reply;
    (void)cap;
    errno = ENOSYS;
    return -1;
}

int serve_upper_once(int listen_fd)
{
    /* TODO(lab08): accept, read until EOF, toupper, send back, close. */
    (void)listen_fd;
    errno = ENOSYS;
    return -1;
}

int serve_threaded(int listen_fd, int stop_fd)
{
    /* TODO(lab08): poll listen_fd + stop_fd; one pthread per client; join all. */
    (void)listen_fd;
    (void)stop_fd;
    errno = ENOSYS;
    return -1;
}

int serve_poll(int listen_fd, int stop_fd)
{
    /* TODO(lab08): poll over every fd; a buffer per client for partial frames. */
    (void)listen_fd;
    (void)stop_fd;
    errno = ENOSYS;
    return -1;
}
