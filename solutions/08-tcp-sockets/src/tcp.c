/* tcp.c - lab 08 reference solution: TCP, framing, servers, timeouts, UDP, IPv6. */
#include "tcp.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* Fill *addr with host:port; -1 with EINVAL if host is not a dotted quad. */
static int make_addr(const char *host, uint16_t port, struct sockaddr_in *addr)
{
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_port = htons(port);
    if (host == NULL || inet_pton(AF_INET, host, &addr->sin_addr) != 1) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* close(2) that keeps the caller's errno. */
static void close_keep_errno(int fd)
{
    int saved = errno;
    close(fd);
    errno = saved;
}

/*
 * The port fd is bound to, in host order, in *port (what port 0 became at
 * bind). 0, or -1 with errno set by getsockname.
 */
static int bound_port_of(int fd, uint16_t *port)
{
    struct sockaddr_storage got; /* either family */
    socklen_t len = sizeof got;
    if (getsockname(fd, (struct sockaddr *)&got, &len) < 0)
        return -1;
    if (got.ss_family == AF_INET6)
        *port = ntohs(((const struct sockaddr_in6 *)&got)->sin6_port);
    else
        *port = ntohs(((const struct sockaddr_in *)&got)->sin_port);
    return 0;
}

/*
 * Bind fd to addr (len bytes), listen with backlog and, if bound_port is not
 * NULL, store the port bound (see bound_port_of). Returns fd, or -1 with errno
 * set. Takes over fd: closes it on failure.
 */
static int bind_and_listen(int fd, const struct sockaddr *addr, socklen_t len,
                           int backlog, uint16_t *bound_port)
{
    if (bind(fd, addr, len) < 0 || listen(fd, backlog) < 0 ||
        (bound_port != NULL && bound_port_of(fd, bound_port) < 0)) {
        close_keep_errno(fd);
        return -1;
    }
    return fd;
}

int tcp_listen(const char *host, uint16_t port, int backlog, uint16_t *bound_port)
{
    struct sockaddr_in addr;
    if (backlog < 0 || make_addr(host, port, &addr) < 0) {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        goto fail;
    return bind_and_listen(fd, (struct sockaddr *)&addr, sizeof addr, backlog,
                           bound_port);
fail:
    close_keep_errno(fd);
    return -1;
}

int tcp_connect(const char *host, uint16_t port, int timeout_ms)
{
    struct sockaddr_in addr;
    if (timeout_ms < 0 || make_addr(host, port, &addr) < 0) {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        if (errno != EINPROGRESS)
            goto fail;
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int r;
        while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
            ; /* a signal restarts the whole wait: acceptable for a lab */
        if (r < 0)
            goto fail;
        if (r == 0) {
            errno = ETIMEDOUT;
            goto fail;
        }
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            goto fail;
        if (err != 0) {
            errno = err;
            goto fail;
        }
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
        goto fail;
    return fd;
fail:
    close_keep_errno(fd);
    return -1;
}

ssize_t send_all(int fd, const void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = send(fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

ssize_t recv_all(int fd, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = recv(fd, (char *)buf + done, len - done, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break; /* the peer shut down its sending side */
        done += (size_t)n;
    }
    return (ssize_t)done;
}

int frame_send(int fd, const void *msg, uint32_t len)
{
    if (msg == NULL && len > 0) {
        errno = EINVAL;
        return -1;
    }
    if (len > FRAME_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    uint32_t wire = htonl(len);
    if (send_all(fd, &wire, sizeof wire) < 0)
        return -1;
    if (len > 0 && send_all(fd, msg, len) < 0)
        return -1;
    return 0;
}

ssize_t frame_recv(int fd, void *buf, size_t cap)
{
    uint32_t wire;
    ssize_t n = recv_all(fd, &wire, sizeof wire);
    if (n < 0)
        return -1;
    if (n == 0) {
        errno = ENODATA;
        return -1;
    }
    if ((size_t)n < sizeof wire) {
        errno = EPROTO;
        return -1;
    }
    uint32_t len = ntohl(wire);
    if (len > cap || len > FRAME_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    n = recv_all(fd, buf, len);
    if (n < 0)
        return -1;
    if ((size_t)n < len) {
        errno = EPROTO;
        return -1;
    }
    return (ssize_t)len;
}

ssize_t request_reply(int fd, const void *req, size_t len, void *reply, size_t cap)
{
    if (send_all(fd, req, len) < 0)
        return -1;
    /* Half-close: the server sees EOF, yet we can still read its answer. */
    if (shutdown(fd, SHUT_WR) < 0)
        return -1;
    ssize_t n = recv_all(fd, reply, cap);
    if (n < 0)
        return -1;
    if ((size_t)n == cap) {
        char extra;
        ssize_t more;
        while ((more = recv(fd, &extra, 1, 0)) < 0 && errno == EINTR)
            ;
        if (more < 0)
            return -1;
        if (more > 0) {
            errno = EMSGSIZE;
            return -1;
        }
    }
    return n;
}

/* Upper-case len bytes of buf in place. */
static void upcase(char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)toupper((unsigned char)buf[i]);
}

int serve_upper_once(int listen_fd)
{
    int client;
    while ((client = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (client < 0)
        return -1;
    int rc = -1;
    char *buf = malloc(UPPER_MAX + 1);
    if (buf == NULL)
        goto out;
    ssize_t n = recv_all(client, buf, UPPER_MAX + 1);
    if (n < 0)
        goto out;
    if (n > UPPER_MAX) {
        errno = EMSGSIZE;
        goto out;
    }
    upcase(buf, (size_t)n);
    if (send_all(client, buf, (size_t)n) < 0)
        goto out;
    rc = 0;
out:
    free(buf);
    close_keep_errno(client);
    return rc;
}

/* Serve framed upper-case requests on fd until the client closes or fails. */
static void serve_frames(int fd)
{
    char buf[SERVE_FRAME_MAX];
    for (;;) {
        ssize_t n = frame_recv(fd, buf, sizeof buf);
        if (n < 0)
            return;
        upcase(buf, (size_t)n);
        if (frame_send(fd, buf, (uint32_t)n) < 0)
            return;
    }
}

/* ---- threaded server ----------------------------------------------------- */

/* One client of the threaded server. */
struct client_thread {
    pthread_t thread;
    int fd;
    atomic_bool done; /* set by the thread when its client is finished */
    struct client_thread *next;
};

static void *client_main(void *arg)
{
    struct client_thread *c = arg;
    serve_frames(c->fd);
    /* The client sees EOF now; the main thread closes the fd when it reaps us. */
    shutdown(c->fd, SHUT_RDWR);
    atomic_store_explicit(&c->done, true, memory_order_release);
    return NULL;
}

/* Join and free the threads whose clients are finished; keep the others. */
static struct client_thread *reap_done(struct client_thread *list)
{
    struct client_thread **link = &list;
    while (*link != NULL) {
        struct client_thread *c = *link;
        if (atomic_load_explicit(&c->done, memory_order_acquire)) {
            *link = c->next;
            pthread_join(c->thread, NULL);
            close(c->fd);
            free(c);
        } else {
            link = &c->next;
        }
    }
    return list;
}

/*
 * Wait until fd has something for us (1: a client to accept, a datagram, or
 * an error to collect) or stop_fd fired (0, first); -1 on error.
 */
static int wait_input_or_stop(int fd, int stop_fd)
{
    struct pollfd p[2] = {{.fd = stop_fd, .events = POLLIN},
                          {.fd = fd, .events = POLLIN}};
    int r;
    while ((r = poll(p, 2, -1)) < 0 && errno == EINTR)
        ;
    if (r < 0)
        return -1;
    return p[0].revents != 0 ? 0 : 1;
}

int serve_threaded(int listen_fd, int stop_fd)
{
    struct client_thread *clients = NULL;
    int rc = 0;
    for (;;) {
        clients = reap_done(clients);
        int ready = wait_input_or_stop(listen_fd, stop_fd);
        if (ready <= 0) {
            rc = ready;
            break;
        }
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            rc = -1;
            break;
        }
        struct client_thread *c = malloc(sizeof *c);
        if (c == NULL) {
            close(fd);
            continue; /* drop this client, keep serving the others */
        }
        c->fd = fd;
        atomic_init(&c->done, false);
        int err = pthread_create(&c->thread, NULL, client_main, c);
        if (err != 0) {
            close(fd);
            free(c);
            continue;
        }
        c->next = clients;
        clients = c;
    }
    int saved = errno;
    /* shutdown wakes a thread blocked in recv; only then is close safe. */
    for (struct client_thread *c = clients; c != NULL; c = c->next)
        shutdown(c->fd, SHUT_RDWR);
    while (clients != NULL) {
        struct client_thread *c = clients;
        clients = c->next;
        pthread_join(c->thread, NULL);
        close(c->fd);
        free(c);
    }
    errno = saved;
    return rc;
}

/* ---- poll server --------------------------------------------------------- */

/* One client of the poll server, with the bytes of its unfinished frame. */
struct poll_client {
    int fd;
    size_t have;                   /* bytes buffered in buf */
    char buf[4 + SERVE_FRAME_MAX]; /* header + payload of the frame in progress */
};

/*
 * Read what client c has ready and answer every complete frame.
 * Returns 0 to keep the client, -1 to drop it (closed, error or bad frame).
 */
static int poll_client_input(struct poll_client *c)
{
    ssize_t n;
    while ((n = recv(c->fd, c->buf + c->have, sizeof c->buf - c->have, 0)) < 0 &&
           errno == EINTR)
        ;
    if (n <= 0)
        return -1;
    c->have += (size_t)n;
    for (;;) {
        if (c->have < 4)
            return 0;
        uint32_t wire;
        memcpy(&wire, c->buf, 4);
        uint32_t len = ntohl(wire);
        if (len > SERVE_FRAME_MAX)
            return -1;
        if (c->have < 4 + (size_t)len)
            return 0;
        upcase(c->buf + 4, len);
        if (send_all(c->fd, c->buf, 4 + (size_t)len) < 0)
            return -1;
        c->have -= 4 + (size_t)len;
        memmove(c->buf, c->buf + 4 + len, c->have);
    }
}

int serve_poll(int listen_fd, int stop_fd)
{
    size_t nclients = 0, cap = 0;
    struct poll_client **clients = NULL;
    struct pollfd *pfds = NULL;
    int rc = -1;
    for (;;) {
        if (nclients + 2 > cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct poll_client **nc = realloc(clients, ncap * sizeof *nc);
            if (nc == NULL)
                goto out;
            clients = nc;
            struct pollfd *np = realloc(pfds, (ncap + 2) * sizeof *np);
            if (np == NULL)
                goto out;
            pfds = np;
            cap = ncap;
        }
        pfds[0] = (struct pollfd){.fd = stop_fd, .events = POLLIN};
        pfds[1] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
        for (size_t i = 0; i < nclients; i++)
            pfds[2 + i] = (struct pollfd){.fd = clients[i]->fd, .events = POLLIN};
        int r = poll(pfds, 2 + nclients, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            goto out;
        if (pfds[0].revents != 0)
            break;
        /* Clients first, from the end, so removing one keeps indices valid. */
        for (size_t i = nclients; i-- > 0;) {
            if (pfds[2 + i].revents == 0)
                continue;
            if (poll_client_input(clients[i]) < 0) {
                close(clients[i]->fd);
                free(clients[i]);
                clients[i] = clients[--nclients];
            }
        }
        if (pfds[1].revents & POLLIN) {
            int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) {
                struct poll_client *c = malloc(sizeof *c);
                if (c == NULL) {
                    close(fd);
                } else {
                    c->fd = fd;
                    c->have = 0;
                    clients[nclients++] = c;
                }
            } else if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN) {
                goto out;
            }
        }
    }
    rc = 0;
out:;
    int saved = errno;
    for (size_t i = 0; i < nclients; i++) {
        close(clients[i]->fd);
        free(clients[i]);
    }
    free(clients);
    free(pfds);
    errno = saved;
    return rc;
}

/* ---- timeouts without poll ----------------------------------------------- */

/* ms as a struct timeval: tv_usec must stay below one second (else EDOM). */
static struct timeval ms_to_timeval(int ms)
{
    return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

int sock_timeouts(int fd, int rcv_ms, int snd_ms)
{
    if (rcv_ms < 0 || snd_ms < 0) {
        errno = EINVAL;
        return -1;
    }
    struct timeval rcv = ms_to_timeval(rcv_ms), snd = ms_to_timeval(snd_ms);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rcv, sizeof rcv) < 0)
        return -1;
    return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof snd);
}

/* ---- UDP ------------------------------------------------------------------- */

int udp_bind(const char *host, uint16_t port, uint16_t *bound_port)
{
    struct sockaddr_in addr;
    if (make_addr(host, port, &addr) < 0)
        return -1;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    /* No SO_REUSEADDR: on UDP it would let another socket share the port. */
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        goto fail;
    if (bound_port != NULL && bound_port_of(fd, bound_port) < 0)
        goto fail;
    return fd;
fail:
    close_keep_errno(fd);
    return -1;
}

long udp_serve(int fd, int stop_fd)
{
    long answered = 0;
    for (;;) {
        int ready = wait_input_or_stop(fd, stop_fd);
        if (ready <= 0)
            return ready < 0 ? -1 : answered;
        char buf[UDP_MSG_MAX];
        struct sockaddr_storage from;
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
        struct msghdr msg = {.msg_name = &from,
                             .msg_namelen = sizeof from,
                             .msg_iov = &iov,
                             .msg_iovlen = 1};
        /* MSG_DONTWAIT: readable now does not promise a datagram later. */
        ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n < 0)
            return -1;
        if (msg.msg_flags & MSG_TRUNC)
            continue; /* longer than UDP_MSG_MAX: the rest is gone, drop it */
        upcase(buf, (size_t)n);
        ssize_t w;
        while ((w = sendto(fd, buf, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&from,
                           msg.msg_namelen)) < 0 &&
               errno == EINTR)
            ;
        if (w == n)
            answered++;
    }
}

ssize_t udp_request(const char *host, uint16_t port, const void *req, size_t len,
                    void *reply, size_t cap, int timeout_ms)
{
    struct sockaddr_in addr;
    if ((req == NULL && len > 0) || (reply == NULL && cap > 0) || timeout_ms <= 0 ||
        make_addr(host, port, &addr) < 0) {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    /* Connected: only host:port's datagrams reach us, and ICMP errors do too. */
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        goto fail;
    if (sock_timeouts(fd, timeout_ms, 0) < 0)
        goto fail;
    ssize_t n;
    while ((n = send(fd, req, len, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    if (n < 0)
        goto fail;
    /* MSG_TRUNC makes recv return the datagram's real length, even past cap. */
    while ((n = recv(fd, reply, cap, MSG_TRUNC)) < 0 && errno == EINTR)
        ;
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            errno = ETIMEDOUT; /* SO_RCVTIMEO ran out */
        goto fail;
    }
    if ((size_t)n > cap) {
        errno = EMSGSIZE;
        goto fail;
    }
    close(fd);
    return n;
fail:
    close_keep_errno(fd);
    return -1;
}

/* ---- IPv6 ------------------------------------------------------------------ */

int tcp_listen6(uint16_t port, int backlog, uint16_t *bound_port)
{
    if (backlog < 0) {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1; /* EAFNOSUPPORT: no IPv6 in this kernel */
    int one = 1, zero = 0;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        goto fail;
    /* Dual stack whatever /proc/sys/net/ipv6/bindv6only says. */
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) < 0)
        goto fail;
    struct sockaddr_in6 addr = {
        .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = in6addr_any};
    return bind_and_listen(fd, (struct sockaddr *)&addr, sizeof addr, backlog,
                           bound_port);
fail:
    close_keep_errno(fd);
    return -1;
}

int accept_from(int lfd, char *host, size_t hostlen, uint16_t *port)
{
    if (host == NULL) {
        errno = EINVAL;
        return -1;
    }
    /* sockaddr_storage holds either family; sockaddr_in would cut IPv6 short. */
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    int fd;
    while ((fd = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC)) < 0 &&
           errno == EINTR)
        len = sizeof peer;
    if (fd < 0)
        return -1;
    const void *where;
    uint16_t nport;
    if (peer.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&peer;
        where = &a6->sin6_addr;
        nport = a6->sin6_port;
    } else {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)&peer;
        where = &a4->sin_addr;
        nport = a4->sin_port;
    }
    if (hostlen > INT32_MAX)
        hostlen = INT32_MAX; /* inet_ntop takes a socklen_t */
    if (inet_ntop(peer.ss_family, where, host, (socklen_t)hostlen) == NULL)
        goto fail; /* ENOSPC: the text does not fit */
    if (port != NULL)
        *port = ntohs(nport);
    return fd;
fail:
    close_keep_errno(fd);
    return -1;
}
