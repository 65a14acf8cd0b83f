/* test_basics.c - lab 08 tests: listen, connect, send/recv, framing. */
#include "ipclab_shim.h"
#include "ipclab_test.h"
#include "tcp.h"
#include "tcp_helpers.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

TestSuite(listen, .timeout = 10);
TestSuite(connect, .timeout = 10);
TestSuite(transfer, .timeout = 15);
TestSuite(framing, .timeout = 10);

/* Port bound by fd, read with getsockname, host byte order. */
static uint16_t port_of(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    return ntohs(a.sin_port);
}

/* ---- tcp_listen ---------------------------------------------------------- */

Test(listen, port_zero_gets_a_free_port)
{
    uint16_t port = 0;
    int fd = tcp_listen("127.0.0.1", 0, 8, &port);
    cr_assert_geq(fd, 0, "tcp_listen: %s", strerror(errno));
    cr_assert_neq(port, 0, "port 0 asks the kernel for a port: report the one bound");
    cr_assert_eq(port, port_of(fd),
                 "bound_port must be getsockname's port in host order "
                 "(ntohs), got %u for %u",
                 port, port_of(fd));
    close(fd);
}

Test(listen, accepts_connections)
{
    uint16_t port;
    int fd = tcp_listen("127.0.0.1", 0, 8, &port);
    cr_assert_geq(fd, 0, "tcp_listen: %s", strerror(errno));
    int c = th_connect(port);
    cr_assert_geq(c, 0, "connect to the listener: %s", strerror(errno));
    int s = accept(fd, NULL, NULL);
    cr_assert_geq(s, 0, "accept: %s", strerror(errno));
    close(s);
    close(c);
    close(fd);
}

Test(listen, descriptor_is_cloexec)
{
    int fd = tcp_listen("127.0.0.1", 0, 1, NULL);
    cr_assert_geq(fd, 0, "tcp_listen (bound_port NULL is allowed): %s", strerror(errno));
    cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC, "use SOCK_CLOEXEC");
    close(fd);
}

Test(listen, bad_address_is_einval)
{
    const char *bad[] = {"localhost", "999.1.1.1", "1.2.3", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        IPCT_ASSERT_FAILS(EINVAL, tcp_listen(bad[i], 0, 1, NULL),
                          "'%s' is not a dotted quad", bad[i]);
    }
    IPCT_ASSERT_FAILS(EINVAL, tcp_listen(NULL, 0, 1, NULL),
                      "tcp_listen(NULL, 0, 1, NULL) must fail with EINVAL");
}

Test(listen, negative_backlog_is_einval)
{
    IPCT_ASSERT_FAILS(EINVAL, tcp_listen("127.0.0.1", 0, -1, NULL),
                      "tcp_listen(\"127.0.0.1\", 0, -1, NULL) must fail with EINVAL");
}

Test(listen, backlog_zero_is_allowed)
{
    /* Only a negative backlog is EINVAL: 0 is a valid (minimal) accept queue. */
    int fd = tcp_listen("127.0.0.1", 0, 0, NULL);
    cr_assert_geq(fd, 0, "tcp_listen with backlog 0: %s", strerror(errno));
    close(fd);
}

/*
 * Every call tcp_listen makes can fail (the shim makes it: out of fds, out
 * of memory): its errno comes back, and the socket is closed.
 */
Test(listen, failures_close_the_socket)
{
    FAILS_CLEANLY(tcp_listen("127.0.0.1", 0, 1, NULL), "socket", 1, EMFILE);
    FAILS_CLEANLY(tcp_listen("127.0.0.1", 0, 1, NULL), "setsockopt", 1, ENOMEM);
    FAILS_CLEANLY(tcp_listen("127.0.0.1", 0, 1, NULL), "bind", 1, EADDRINUSE);
    FAILS_CLEANLY(tcp_listen("127.0.0.1", 0, 1, NULL), "listen", 1, EADDRINUSE);
}

Test(listen, port_in_use_is_eaddrinuse)
{
    uint16_t port;
    int first = th_listener(1, &port);
    struct ipct_fdset before;
    ipct_fd_snapshot(&before);
    IPCT_ASSERT_FAILS(EADDRINUSE, tcp_listen("127.0.0.1", port, 1, NULL),
                      "port %u already has a listener", port);
    char leaked[256];
    cr_assert_eq(ipct_fds_leaked(&before, leaked, sizeof leaked), 0,
                 "the socket must be closed on failure: %s", leaked);
    close(first);
}

Test(listen, restarts_despite_time_wait)
{
    /* The side that closes first keeps the port in TIME_WAIT for a minute.
       Both the old and the new listener need SO_REUSEADDR for a restart. */
    uint16_t port;
    int l = tcp_listen("127.0.0.1", 0, 1, &port);
    cr_assert_geq(l, 0, "tcp_listen: %s", strerror(errno));
    int c = th_connect(port);
    int s = accept(l, NULL, NULL);
    cr_assert(c >= 0 && s >= 0);
    close(s); /* server closes first: its port enters TIME_WAIT */
    char byte;
    cr_assert(ipct_readable_within(c, 5000));
    cr_assert_eq(read(c, &byte, 1), 0);
    close(c);
    close(l);
    int again = tcp_listen("127.0.0.1", port, 1, NULL);
    cr_assert_geq(again, 0,
                  "restart on port %u failed (%s): set SO_REUSEADDR before bind", port,
                  strerror(errno));
    close(again);
}

/* ---- tcp_connect ----------------------------------------------------------- */

Test(connect, connects_and_is_blocking)
{
    uint16_t port;
    int l = th_listener(4, &port);
    int fd = tcp_connect("127.0.0.1", port, 5000);
    cr_assert_geq(fd, 0, "tcp_connect: %s", strerror(errno));
    cr_assert_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0,
                 "the returned socket must be blocking again");
    cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC, "use SOCK_CLOEXEC");
    int s = accept(l, NULL, NULL);
    cr_assert_geq(s, 0);
    cr_assert_eq(write(fd, "x", 1), 1);
    char c;
    cr_assert_eq(read(s, &c, 1), 1);
    close(s);
    close(fd);
    close(l);
}

Test(connect, nothing_listening_is_econnrefused)
{
    /* A bound but not listening socket reserves a port nobody answers on. */
    int holder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(holder, (struct sockaddr *)&a, sizeof a), 0);
    uint16_t port = port_of(holder);
    struct ipct_fdset before;
    ipct_fd_snapshot(&before);
    IPCT_ASSERT_FAILS(
        ECONNREFUSED, tcp_connect("127.0.0.1", port, 5000),
        "tcp_connect(\"127.0.0.1\", port, 5000) must fail with ECONNREFUSED");
    cr_assert_eq(ipct_fds_leaked(&before, NULL, 0), 0, "the socket must be closed");
    close(holder);
}

Test(connect, full_backlog_times_out)
{
    /* listen(fd, 0) queues one connection; Linux drops further SYNs, so a
       second connect gets no answer at all: only a timeout can end it. */
    uint16_t port;
    int l = th_listener(0, &port);
    int first = th_connect(port);
    cr_assert_geq(first, 0);
    struct ipct_fdset before;
    ipct_fd_snapshot(&before);
    /* The first poll is interrupted (the shim): the wait is resumed, and the
       poll that then times out returns 0 with errno still EINTR: no failure. */
    ipct_fault_fail("poll ppoll select epoll_wait", 1, EINTR);
    long long start = ipct_now_ms();
    errno = 0;
    cr_assert_eq(tcp_connect("127.0.0.1", port, 300), -1, "the accept queue is full");
    long long elapsed = ipct_now_ms() - start;
    cr_assert_eq(errno, ETIMEDOUT, "errno %s, expected ETIMEDOUT", strerror(errno));
    cr_assert_geq(elapsed, 250, "gave up after %lld ms, before the 300 ms timeout",
                  elapsed);
    cr_assert_lt(elapsed, 5000, "took %lld ms for a 300 ms timeout", elapsed);
    cr_assert_eq(ipct_fds_leaked(&before, NULL, 0), 0, "the socket must be closed");
    close(first);
    close(l);
}

Test(connect, bad_arguments_are_einval)
{
    IPCT_ASSERT_FAILS(EINVAL, tcp_connect("not-an-address", 80, 100),
                      "tcp_connect(\"not-an-address\", 80, 100) must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, tcp_connect(NULL, 80, 100),
                      "tcp_connect(NULL, 80, 100) must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, tcp_connect("127.0.0.1", 80, -5),
                      "tcp_connect(\"127.0.0.1\", 80, -5) must fail with EINVAL");
    /* Timeout 0 is allowed (do not wait at all): connected at once, or ETIMEDOUT. */
    uint16_t port;
    int l = th_listener(4, &port);
    errno = 0;
    int fd = tcp_connect("127.0.0.1", port, 0);
    int err = errno;
    if (fd >= 0)
        close(fd);
    close(l);
    cr_assert(fd >= 0 || err == ETIMEDOUT,
              "timeout_ms 0 is not negative: connect or time out at once, got %s",
              strerror(err));
}

/* The shim makes the poll that waits for the connection fail with EINTR: it is resumed.
 */
Test(connect, poll_eintr_is_resumed)
{
    uint16_t port;
    int l = th_listener(4, &port);
    ipct_fault_fail("poll ppoll select epoll_wait", 1, EINTR);
    int fd = tcp_connect("127.0.0.1", port, 5000);
    int err = errno;
    ipct_fault_clear();
    close(l);
    cr_assert_geq(fd, 0, "poll failed with EINTR (injected): wait again (%s)",
                  strerror(err));
    close(fd);
}

/*
 * Every call tcp_connect makes can fail (the shim makes it): its errno comes
 * back and the socket is closed.
 */
Test(connect, failures_close_the_socket)
{
    uint16_t port;
    int l = th_listener(8, &port);
    FAILS_CLEANLY(tcp_connect("127.0.0.1", port, 5000), "socket", 1, EMFILE);
    FAILS_CLEANLY(tcp_connect("127.0.0.1", port, 5000), "connect", 1, ENETUNREACH);
    FAILS_CLEANLY(tcp_connect("127.0.0.1", port, 5000), "fcntl", 1, EBADF);
    FAILS_CLEANLY(tcp_connect("127.0.0.1", port, 5000), "fcntl", 2, EBADF);
    close(l);
}

/* ---- send_all / recv_all ----------------------------------------------------- */

static void on_usr1(int sig)
{
    (void)sig;
}

/* What the interrupter thread needs: the sending thread and its socket. */
struct interrupter {
    pthread_t target;
    int fd;
    int release;     /* write end of the reader's start gate */
    atomic_int done; /* the sender's send_all has returned: nothing to interrupt */
};

/*
 * Wait until the sender is stuck with a full send buffer (nothing is being
 * read yet), then interrupt its send(2) with a signal: having sent part of
 * the data, send returns that short count. Then let the reader start. A
 * send_all that returns without blocking (never sends) ends the wait.
 */
static void *interrupt_sender(void *arg)
{
    struct interrupter *in = arg;
    int last = -1, stable = 0;
    while (stable < 20 && !atomic_load(&in->done)) {
        int queued = 0;
        ioctl(in->fd, SIOCOUTQ, &queued);
        stable = queued > 0 && queued == last ? stable + 1 : 0;
        last = queued;
        usleep(1000);
    }
    if (!atomic_load(&in->done))
        pthread_kill(in->target, SIGUSR1);
    close(in->release);
    return NULL;
}

Test(transfer, send_all_survives_short_sends)
{
    /* No SA_RESTART: the signal cuts the blocked send short. */
    struct sigaction sa = {.sa_handler = on_usr1};
    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
    size_t len = 8u << 20; /* far more than the socket buffers hold */
    int c, s, gate[2];
    th_tcp_pair(&c, &s);
    cr_assert_eq(pipe(gate), 0);
    pid_t reader = ipct_fork();
    if (reader == 0) {
        close(c);
        close(gate[1]);
        char go;
        IPCT_CHILD_CHECK(read(gate[0], &go, 1) == 0);
        unsigned char buf[65536];
        size_t got = 0;
        int ok = 1;
        ssize_t n;
        while ((n = read(s, buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; i++, got++)
                ok &= buf[i] == (unsigned char)(got * 7 + got / 251);
        }
        _exit(ok && got == len ? 0 : 1);
    }
    close(s);
    close(gate[0]);
    unsigned char *data = malloc(len);
    cr_assert_not_null(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (unsigned char)(i * 7 + i / 251);
    struct interrupter in = {.target = pthread_self(), .fd = c, .release = gate[1]};
    pthread_t thread;
    cr_assert_eq(pthread_create(&thread, NULL, interrupt_sender, &in), 0);
    ssize_t sent = send_all(c, data, len);
    int err = errno;
    atomic_store(&in.done, 1);
    pthread_join(thread, NULL);
    free(data);
    close(c);
    cr_assert_eq(sent, (ssize_t)len, "send_all returned %zd (%s)", sent, strerror(err));
    cr_assert_eq(
        ipct_wait_exit(reader, 20000), 0,
        "the reader got wrong or missing bytes: after a short send, send the rest");
}

Test(transfer, recv_all_collects_pieces)
{
    int c, s;
    th_tcp_pair(&c, &s);
    const char msg[] = "0123456789abcdef";
    struct th_trickle *t = th_trickle_start(c, s, msg, 16);
    char buf[16];
    ssize_t n = recv_all(s, buf, 16);
    th_trickle_join(t);
    cr_assert_eq(n, 16, "the bytes arrive one by one: keep reading (got %zd)", n);
    cr_assert_eq(memcmp(buf, msg, 16), 0);
    close(c);
    close(s);
}

Test(transfer, recv_all_stops_at_end_of_stream)
{
    int c, s;
    th_tcp_pair(&c, &s);
    cr_assert_eq(write(c, "abc", 3), 3);
    close(c);
    char buf[10];
    cr_assert_eq(recv_all(s, buf, 10), 3, "the peer sent 3 bytes and closed");
    cr_assert_eq(memcmp(buf, "abc", 3), 0);
    errno = EINTR; /* left by an earlier call: recv returning 0 did not fail */
    cr_assert_eq(recv_all(s, buf, 10), 0, "end of stream reads as 0");
    close(s);
}

/* A send or recv that fails (the shim makes it fail) ends send_all / recv_all with its
 * errno. */
Test(transfer, errors_are_returned)
{
    int c, s;
    th_tcp_pair(&c, &s);
    cr_assert_eq(write(c, "abc", 3), 3);
    ipct_fault_fail("recv read recvfrom recvmsg", 1, ECONNRESET);
    char buf[8];
    IPCT_ASSERT_FAILS(ECONNRESET, recv_all(s, buf, sizeof buf),
                      "recv failed with ECONNRESET (injected): recv_all must fail");
    ipct_fault_clear();
    ipct_fault_fail("send write sendto sendmsg", 1, ENOBUFS);
    IPCT_ASSERT_FAILS(ENOBUFS, send_all(s, "xyz", 3),
                      "send failed with ENOBUFS (injected): send_all must fail");
    /* The frame functions pass those errors on, for the header and for the payload. */
    for (int nth = 1; nth <= 2; nth++) {
        ipct_fault_clear();
        ipct_fault_fail("send write sendto sendmsg", nth, ENOBUFS);
        IPCT_ASSERT_FAILS(ENOBUFS, frame_send(s, "xyz", 3),
                          "send #%d failed with ENOBUFS (injected): frame_send must fail",
                          nth);
    }
    ipct_fault_clear();
    close(c);
    close(s);
    th_tcp_pair(&c, &s); /* a fresh stream: only whole frames in it */
    th_frame_send(c, "abc", 3);
    th_frame_send(c, "abc", 3);
    for (int nth = 1; nth <= 2; nth++) {
        ipct_fault_clear();
        ipct_fault_fail("recv read recvfrom recvmsg", nth, ECONNRESET);
        IPCT_ASSERT_FAILS(
            ECONNRESET, frame_recv(s, buf, sizeof buf),
            "recv #%d failed with ECONNRESET (injected): frame_recv must fail", nth);
    }
    ipct_fault_clear();
    close(c);
    close(s);
}

Test(transfer, closed_peer_is_epipe_not_sigpipe)
{
    signal(SIGPIPE, SIG_DFL); /* the default action would kill this test */
    int c, s;
    th_tcp_pair(&c, &s);
    close(s);
    char chunk[4096];
    memset(chunk, 'x', sizeof chunk);
    ssize_t r = 0;
    for (int i = 0; i < 200 && r >= 0; i++)
        r = send_all(c, chunk, sizeof chunk);
    cr_assert_eq(r, -1, "sending to a closed peer must fail eventually");
    cr_assert_eq(errno, EPIPE, "errno %s, expected EPIPE (use MSG_NOSIGNAL)",
                 strerror(errno));
    close(c);
}

/* ---- framing ----------------------------------------------------------------- */

Test(framing, length_is_big_endian)
{
    int c, s;
    th_tcp_pair(&c, &s);
    cr_assert_eq(frame_send(c, "abc", 3), 0, "frame_send: %s", strerror(errno));
    unsigned char wire[7];
    cr_assert_eq(ipct_read_exact(s, wire, 7, -1), 0);
    const unsigned char want[7] = {0, 0, 0, 3, 'a', 'b', 'c'};
    cr_assert_eq(
        memcmp(wire, want, 7), 0,
        "wire bytes %02x %02x %02x %02x: the length goes first, in network order",
        wire[0], wire[1], wire[2], wire[3]);
    close(c);
    close(s);
}

Test(framing, round_trip_of_many_sizes)
{
    int c, s;
    th_tcp_pair(&c, &s);
    char out[65536], in[65536];
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (char)(i % 253);
    const uint32_t sizes[] = {0, 1, 5, 1000, 65536};
    pid_t sender = ipct_fork();
    if (sender == 0) {
        close(s);
        for (size_t i = 0; i < 5; i++)
            IPCT_CHILD_CHECK(th_frame_send(c, out, sizes[i]) == 0);
        _exit(0);
    }
    close(c);
    for (size_t i = 0; i < 5; i++) {
        ssize_t n = frame_recv(s, in, sizeof in);
        cr_assert_eq(n, (ssize_t)sizes[i], "frame %zu: expected %u bytes, got %zd (%s)",
                     i, sizes[i], n, strerror(errno));
        cr_assert_eq(memcmp(in, out, sizes[i]), 0, "frame %zu: payload differs", i);
    }
    cr_assert_eq(ipct_wait_exit(sender, 5000), 0);
    close(s);
}

/* pair_with_sent - a connected TCP pair (*c, *s) with the len bytes at wire already
 * sent from *c, all of them, before the test reads at *s. */
static void pair_with_sent(int *c, int *s, const void *wire, size_t len)
{
    th_tcp_pair(c, s);
    cr_assert_eq(ipct_send_all(*c, wire, len), 0, "send: %s", strerror(errno));
}

Test(framing, survives_one_byte_at_a_time)
{
    int c, s;
    th_tcp_pair(&c, &s);
    const unsigned char wire[] = {0, 0, 0, 6, 'f', 'r', 'a', 'm', 'e', '!'};
    struct th_trickle *t = th_trickle_start(c, s, wire, sizeof wire);
    char buf[16];
    ssize_t n = frame_recv(s, buf, sizeof buf);
    th_trickle_join(t);
    cr_assert_eq(n, 6, "each recv returns one byte here: loop (got %zd, %s)", n,
                 strerror(errno));
    cr_assert_eq(memcmp(buf, "frame!", 6), 0);
    close(c);
    close(s);
}

Test(framing, two_frames_in_one_segment)
{
    const unsigned char wire[] = {0, 0, 0, 2, 'h', 'i', 0, 0, 0, 3, 'y', 'o', 'u'};
    int c, s;
    pair_with_sent(&c, &s, wire, sizeof wire);
    char buf[16];
    cr_assert_eq(frame_recv(s, buf, sizeof buf), 2, "read no further than this frame");
    cr_assert_eq(memcmp(buf, "hi", 2), 0);
    cr_assert_eq(frame_recv(s, buf, sizeof buf), 3);
    cr_assert_eq(memcmp(buf, "you", 3), 0);
    close(c);
    close(s);
}

/* A frame of FRAME_MAX bytes is allowed, into a buffer of exactly that size. */
Test(framing, largest_frame_round_trip)
{
    int c, s;
    th_tcp_pair(&c, &s);
    char *out = ipct_scratch(FRAME_MAX), *in = ipct_scratch(FRAME_MAX);
    for (size_t i = 0; i < FRAME_MAX; i++)
        out[i] = (char)(i % 251);
    pid_t sender = ipct_fork();
    if (sender == 0) {
        close(s);
        IPCT_CHILD_CHECK(frame_send(c, out, FRAME_MAX) == 0);
        _exit(0);
    }
    close(c);
    ssize_t n = frame_recv(s, in, FRAME_MAX);
    cr_assert_eq(n, (ssize_t)FRAME_MAX,
                 "a FRAME_MAX frame into a FRAME_MAX buffer: got %zd (%s)", n,
                 n < 0 ? strerror(errno) : "wrong length");
    cr_assert_eq(memcmp(in, out, FRAME_MAX), 0, "the payload differs");
    cr_assert_eq(ipct_wait_exit(sender, 5000), 0,
                 "frame_send of FRAME_MAX bytes failed (only more is EMSGSIZE)");
    close(s);
}

Test(framing, oversized_frame_is_emsgsize)
{
    const unsigned char header[] = {0, 0, 0, 100};
    int c, s;
    pair_with_sent(&c, &s, header, sizeof header);
    char buf[10];
    IPCT_ASSERT_FAILS(EMSGSIZE, frame_recv(s, buf, sizeof buf),
                      "100 bytes do not fit in 10");
    close(c);
    close(s);
}

Test(framing, clean_close_is_enodata)
{
    int c, s;
    th_tcp_pair(&c, &s);
    close(c);
    char buf[8];
    IPCT_ASSERT_FAILS(
        ENODATA, frame_recv(s, buf, sizeof buf),
        "EOF before a frame: frame_recv(s, buf, sizeof buf) must fail with ENODATA");
    close(s);
}

Test(framing, close_mid_frame_is_eproto)
{
    const unsigned char cut_payload[] = {0, 0, 0, 10, 'a', 'b', 'c'};
    const unsigned char cut_header[] = {0, 0};
    const unsigned char one_short[] = {0xff, 0xff, 0xff}; /* 3 of the 4 header bytes */
    const unsigned char *cases[] = {cut_payload, cut_header, one_short};
    const size_t lens[] = {sizeof cut_payload, sizeof cut_header, sizeof one_short};
    for (int i = 0; i < 3; i++) {
        int c, s;
        pair_with_sent(&c, &s, cases[i], lens[i]);
        close(c);
        char buf[16];
        IPCT_ASSERT_FAILS(EPROTO, frame_recv(s, buf, sizeof buf),
                          "case %d: the frame is cut", i);
        close(s);
    }
}

Test(framing, send_rejects_bad_arguments)
{
    int c, s;
    th_tcp_pair(&c, &s);
    IPCT_ASSERT_FAILS(EINVAL, frame_send(c, NULL, 4),
                      "frame_send(c, NULL, 4) must fail with EINVAL");
    IPCT_ASSERT_FAILS(EMSGSIZE, frame_send(c, "x", FRAME_MAX + 1),
                      "frame_send(c, \"x\", FRAME_MAX + 1) must fail with EMSGSIZE");
    cr_assert_eq(frame_send(c, NULL, 0), 0, "an empty frame needs no buffer");
    unsigned char wire[4];
    cr_assert_eq(ipct_read_exact(s, wire, 4, -1), 0);
    cr_assert(wire[0] == 0 && wire[1] == 0 && wire[2] == 0 && wire[3] == 0,
              "only the empty frame was sent");
    close(c);
    close(s);
}
