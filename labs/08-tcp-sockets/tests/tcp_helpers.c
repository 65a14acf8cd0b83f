/* tcp_helpers.c - test-side TCP helpers for lab 08 (independent of student code). */
#include "tcp_helpers.h"
#include "ipclab_test.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* $begin port_zero */
int th_listener(int backlog, uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0, "bind: %s",
                 strerror(errno));
    cr_assert_eq(listen(fd, backlog), 0, "listen: %s", strerror(errno));
    socklen_t len = sizeof a;
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}
/* $end port_zero */

int th_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    while (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

void th_tcp_pair(int *client, int *server)
{
    uint16_t port;
    int l = th_listener(1, &port);
    *client = th_connect(port);
    cr_assert_geq(*client, 0, "connect: %s", strerror(errno));
    *server = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    cr_assert_geq(*server, 0, "accept: %s", strerror(errno));
    close(l);
}

int th_frame_send(int fd, const void *msg, uint32_t len)
{
    uint32_t wire = htonl(len);
    if (ipct_send_all(fd, &wire, 4) < 0)
        return -1;
    return ipct_send_all(fd, msg, len);
}

ssize_t th_frame_recv(int fd, void *buf, size_t cap)
{
    uint32_t wire;
    if (ipct_read_exact(fd, &wire, 4, -1) < 0)
        return -1;
    uint32_t len = ntohl(wire);
    if (len > cap)
        return -1;
    if (ipct_read_exact(fd, buf, len, -1) < 0)
        return -1;
    return (ssize_t)len;
}

/* State of one trickle thread. */
struct th_trickle {
    pthread_t thread;
    int send_fd, recv_fd;
    const char *buf;
    size_t len, sent;
    atomic_int stop; /* set by th_trickle_join: the reader has returned */
};

/*
 * Wait until t's recv_fd has no unread bytes; false after 3 s, or at once
 * when th_trickle_join says the reader has returned (nobody reads on).
 */
static int wait_consumed(struct th_trickle *t)
{
    long long deadline = ipct_now_ms() + 3000;
    for (;;) {
        int queued = 0;
        if (atomic_load(&t->stop) || ioctl(t->recv_fd, FIONREAD, &queued) < 0)
            return 0;
        if (queued == 0)
            return 1;
        if (ipct_now_ms() > deadline)
            return 0;
        sched_yield();
        usleep(100);
    }
}

static void *trickle_main(void *arg)
{
    struct th_trickle *t = arg;
    int one = 1;
    setsockopt(t->send_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (t->sent = 0; t->sent < t->len; t->sent++) {
        if (!wait_consumed(t))
            break;
        if (send(t->send_fd, t->buf + t->sent, 1, MSG_NOSIGNAL) != 1)
            break;
    }
    return NULL;
}

struct th_trickle *th_trickle_start(int send_fd, int recv_fd, const void *buf, size_t len)
{
    struct th_trickle *t = calloc(1, sizeof *t);
    cr_assert_not_null(t);
    t->send_fd = send_fd;
    t->recv_fd = recv_fd;
    t->buf = buf;
    t->len = len;
    cr_assert_eq(pthread_create(&t->thread, NULL, trickle_main, t), 0);
    return t;
}

size_t th_trickle_join(struct th_trickle *t)
{
    atomic_store(&t->stop, 1);
    pthread_join(t->thread, NULL);
    size_t sent = t->sent;
    free(t);
    return sent;
}

void th_upcase(char *dst, const char *src, size_t len)
{
    for (size_t i = 0; i < len; i++)
        dst[i] = (char)toupper((unsigned char)src[i]);
}
