/* tcp.c - lab 08 skeleton: your TCP code goes here. */
#include "tcp.h"

#include <errno.h>

/* ===================================================================== */
/*  Functions you implement                                              */
/* ===================================================================== */

int tcp_listen(const char *host, uint16_t port, int backlog, uint16_t *bound_port)
{
    /* TODO(lab08): socket, SO_REUSEADDR, bind, listen, getsockname. */
    (void)host, (void)port, (void)backlog, (void)bound_port;
    errno = ENOSYS;
    return -1;
}

int tcp_connect(const char *host, uint16_t port, int timeout_ms)
{
    /* TODO(lab08): non-blocking connect, poll for POLLOUT, then SO_ERROR. */
    (void)host, (void)port, (void)timeout_ms;
    errno = ENOSYS;
    return -1;
}

ssize_t send_all(int fd, const void *buf, size_t len)
{
    /* TODO(lab08): loop on send(..., MSG_NOSIGNAL) until every byte is out. */
    (void)fd, (void)buf, (void)len;
    errno = ENOSYS;
    return -1;
}

ssize_t recv_all(int fd, void *buf, size_t len)
{
    /* TODO(lab08): loop on recv until len bytes or end of stream. */
    (void)fd, (void)buf, (void)len;
    errno = ENOSYS;
    return -1;
}

int frame_send(int fd, const void *msg, uint32_t len)
{
    /* TODO(lab08): htonl(len), then the payload, both with send_all. */
    (void)fd, (void)msg, (void)len;
    errno = ENOSYS;
    return -1;
}

ssize_t frame_recv(int fd, void *buf, size_t cap)
{
    /* TODO(lab08): 4 header bytes (ntohl), then exactly len payload bytes. */
    (void)fd, (void)buf, (void)cap;
    errno = ENOSYS;
    return -1;
}

ssize_t request_reply(int fd, const void *req, size_t len, void *reply, size_t cap)
{
    /* TODO(lab08): send, shutdown(SHUT_WR), then read until EOF. */
    (void)fd, (void)req, (void)len, (void)reply, (void)cap;
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
    (void)listen_fd, (void)stop_fd;
    errno = ENOSYS;
    return -1;
}

int serve_poll(int listen_fd, int stop_fd)
{
    /* TODO(lab08): poll over every fd; a buffer per client for partial frames. */
    (void)listen_fd, (void)stop_fd;
    errno = ENOSYS;
    return -1;
}

int sock_timeouts(int fd, int rcv_ms, int snd_ms)
{
    /* TODO(lab08): SO_RCVTIMEO and SO_SNDTIMEO, each a struct timeval. */
    (void)fd, (void)rcv_ms, (void)snd_ms;
    errno = ENOSYS;
    return -1;
}

int udp_bind(const char *host, uint16_t port, uint16_t *bound_port)
{
    /* TODO(lab08): socket(SOCK_DGRAM), bind (no SO_REUSEADDR), getsockname. */
    (void)host, (void)port, (void)bound_port;
    errno = ENOSYS;
    return -1;
}

long udp_serve(int fd, int stop_fd)
{
    /* TODO(lab08): poll fd + stop_fd; recvmsg, check MSG_TRUNC, sendto the sender. */
    (void)fd, (void)stop_fd;
    errno = ENOSYS;
    return -1;
}

ssize_t udp_request(const char *host, uint16_t port, const void *req, size_t len,
                    void *reply, size_t cap, int timeout_ms)
{
    /* TODO(lab08): connect a UDP socket, send one datagram, recv with a timeout. */
    (void)host, (void)port, (void)req, (void)len, (void)reply, (void)cap,
        (void)timeout_ms;
    errno = ENOSYS;
    return -1;
}

int tcp_listen6(uint16_t port, int backlog, uint16_t *bound_port)
{
    /* TODO(lab08): AF_INET6, SO_REUSEADDR, IPV6_V6ONLY = 0, bind ::, listen. */
    (void)port, (void)backlog, (void)bound_port;
    errno = ENOSYS;
    return -1;
}

int accept_from(int lfd, char *host, size_t hostlen, uint16_t *port)
{
    /* TODO(lab08): accept4 into a sockaddr_storage, inet_ntop by its family. */
    (void)lfd, (void)host, (void)hostlen, (void)port;
    errno = ENOSYS;
    return -1;
}
