/* test_servers.c - lab 08 tests: half-close exchange and multi-client servers. */
#include "ipclab_shim.h"
#include "ipclab_test.h"
#include "tcp.h"
#include "tcp_helpers.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

TestSuite(halfclose, .timeout = 15);
TestSuite(threaded, .timeout = 20);
TestSuite(polled, .timeout = 20);

/* ---- request_reply / serve_upper_once ------------------------------------- */

/*
 * A reference server in a child: reads until EOF (at most 3 s), then answers
 * "got N bytes" and closes. Without a half-close from the client it answers
 * "no EOF" instead, so a missing shutdown fails quickly instead of hanging.
 */
static pid_t start_counting_server(int listener)
{
    pid_t pid = ipct_fork();
    if (pid != 0)
        return pid;
    int fd = accept(listener, NULL, NULL);
    IPCT_CHILD_CHECK(fd >= 0);
    size_t total = 0;
    char buf[4096];
    int eof = 0;
    while (!eof && ipct_readable_within(fd, 3000)) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            eof = 1;
        else
            total += (size_t)n;
    }
    char reply[64];
    int len = eof ? snprintf(reply, sizeof reply, "got %zu bytes", total)
                  : snprintf(reply, sizeof reply, "no EOF");
    IPCT_CHILD_CHECK(ipct_send_all(fd, reply, (size_t)len) == 0);
    close(fd);
    _exit(0);
}

/*
 * spawn_server - a listener on a free loopback port (into *port) served by
 * start(listener) in a child. The child's copy of the listener is then the
 * only one, so the server's death refuses connects. Returns its pid.
 */
static pid_t spawn_server(pid_t (*start)(int listener), uint16_t *port)
{
    int l = th_listener(1, port);
    pid_t server = start(l);
    close(l);
    return server;
}

/* connect_to_server - spawn_server(start), then a client connected to it (asserted):
 * returns the client's fd, the server's pid in *server. */
static int connect_to_server(pid_t (*start)(int listener), pid_t *server)
{
    uint16_t port;
    *server = spawn_server(start, &port);
    int fd = th_connect(port);
    cr_assert_geq(fd, 0, "the server is gone: %s", strerror(errno));
    return fd;
}

/* Close the test's client fd: the counting server (its pid) must then end with exit 0. */
static void end_counting_exchange(int fd, pid_t server)
{
    close(fd);
    cr_assert_eq(ipct_wait_exit(server, 5000), 0);
}

Test(halfclose, request_reply_half_closes)
{
    pid_t server;
    int fd = connect_to_server(start_counting_server, &server);
    char reply[64] = "";
    ssize_t n = request_reply(fd, "hello, server", 13, reply, sizeof reply - 1);
    cr_assert_geq(n, 0, "request_reply: %s", strerror(errno));
    reply[n] = '\0';
    cr_assert_str_eq(reply, "got 13 bytes",
                     "the server must see EOF: shutdown(fd, SHUT_WR) after sending");
    end_counting_exchange(fd, server);
}

Test(halfclose, reply_too_long_is_emsgsize)
{
    pid_t server;
    int fd = connect_to_server(start_counting_server, &server);
    char reply[4];
    IPCT_ASSERT_FAILS(EMSGSIZE, request_reply(fd, "abc", 3, reply, sizeof reply),
                      "\"got 3 bytes\" does not fit in 4 bytes");
    end_counting_exchange(fd, server);
}

/* The reply is exactly cap bytes: it fits (end of stream comes right after it). */
Test(halfclose, reply_of_exactly_cap_fits)
{
    pid_t server;
    int fd = connect_to_server(start_counting_server, &server);
    char reply[12]; /* "got 13 bytes" */
    errno = EINTR;  /* left by an earlier call: a recv returning 0 did not fail */
    ssize_t n = request_reply(fd, "hello, server", 13, reply, sizeof reply);
    cr_assert_eq(n, 12, "a 12-byte reply into 12 bytes: got %zd (%s)", n,
                 n < 0 ? strerror(errno) : "wrong length");
    cr_assert_eq(memcmp(reply, "got 13 bytes", 12), 0);
    end_counting_exchange(fd, server);
}

/*
 * request_reply passes on the error of each call it makes (the shim makes
 * send, shutdown, the reply's recv, then the recv that looks past cap fail).
 */
Test(halfclose, errors_are_returned)
{
    struct {
        const char *calls;
        int nth, err;
    } faults[] = {{"send write sendto sendmsg", 1, ENOBUFS},
                  {"shutdown", 1, ENOTCONN},
                  {"recv read recvfrom recvmsg", 1, ECONNRESET},
                  {"recv read recvfrom recvmsg", 2, ECONNRESET}};
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        int c, s;
        th_tcp_pair(&c, &s);
        cr_assert_eq(write(s, "abcd", 4), 4); /* a reply of exactly cap bytes waits */
        ipct_fault_fail(faults[i].calls, faults[i].nth, faults[i].err);
        char reply[4];
        errno = 0;
        ssize_t n = request_reply(c, "x", 1, reply, sizeof reply);
        int err = errno;
        ipct_fault_clear();
        close(c);
        close(s);
        cr_assert_eq(n, -1,
                     "%s #%d failed with %s (injected), request_reply returned %zd",
                     faults[i].calls, faults[i].nth, strerror(faults[i].err), n);
        cr_assert_eq(err, faults[i].err, "%s #%d failed with %s (injected), errno is %s",
                     faults[i].calls, faults[i].nth, strerror(faults[i].err),
                     strerror(err));
    }
}

/* Nothing to send and nothing back: an empty exchange is a reply of 0 bytes. */
Test(halfclose, empty_request_and_reply)
{
    int c, s;
    th_tcp_pair(&c, &s);
    cr_assert_eq(shutdown(s, SHUT_WR), 0); /* the server answers nothing */
    char reply[4];
    errno = EINTR; /* an earlier call's: a 0-byte send or recv does not fail */
    ssize_t n = request_reply(c, "", 0, reply, sizeof reply);
    cr_assert_eq(n, 0, "an empty request, an empty reply: got %zd (%s)", n,
                 n < 0 ? strerror(errno) : "wrong length");
    char byte;
    cr_assert(ipct_readable_within(s, 5000), "the server never saw EOF");
    cr_assert_eq(read(s, &byte, 1), 0, "the server must see EOF, nothing else");
    close(c);
    close(s);
}

/*
 * Every other send and recv of request_reply fails with EINTR (each call it
 * makes is interrupted once): the exchange still succeeds, including the
 * recv that looks past a reply of exactly cap bytes.
 */
Test(halfclose, survives_eintr)
{
    int c, s;
    th_tcp_pair(&c, &s);
    cr_assert_eq(write(s, "abcd", 4), 4); /* a reply of exactly cap bytes, then EOF */
    cr_assert_eq(shutdown(s, SHUT_WR), 0);
    ipct_fault_add(&(struct ipct_fault){
        .calls = "recv read recvfrom recvmsg", .nth = 1, .every = 2, .error = EINTR});
    ipct_fault_add(&(struct ipct_fault){
        .calls = "send write sendto sendmsg", .nth = 1, .every = 2, .error = EINTR});
    char reply[4];
    ssize_t n = request_reply(c, "xyz", 3, reply, sizeof reply);
    int err = errno;
    ipct_fault_clear();
    cr_assert_eq(n, 4, "EINTR must be retried: got %zd (%s)", n,
                 n < 0 ? strerror(err) : "wrong length");
    cr_assert_eq(memcmp(reply, "abcd", 4), 0);
    char req[4];
    cr_assert_eq(ipct_read_exact(s, req, 3, 5000), 0, "the request was not sent whole");
    cr_assert_eq(memcmp(req, "xyz", 3), 0);
    close(c);
    close(s);
}

/* Run serve_upper_once(listener) in a child; its exit code is 0 on success,
   1 + errno on failure (so the test can check the errno), 200 if it
   succeeded but left an fd open. */
static pid_t start_upper_server(int listener)
{
    pid_t pid = ipct_fork();
    if (pid == 0) {
        struct ipct_fdset before;
        ipct_fd_snapshot(&before);
        int rc = serve_upper_once(listener);
        int err = errno;
        if (rc == 0 && ipct_fds_leaked(&before, NULL, 0) > 0)
            _exit(200); /* the client socket was left open */
        _exit(rc == 0 ? 0 : 1 + (err & 0x7f));
    }
    return pid;
}

/* Run serve_upper_once(listener) in a child that counts the heap: it exits
   3 if the call returned holding blocks it allocated, else 0 on success and
   1 on failure. */
static pid_t start_counted_upper_server(int listener)
{
    pid_t pid = ipct_fork();
    if (pid == 0) {
        long before = ipct_heap_blocks();
        int rc = serve_upper_once(listener);
        _exit(ipct_heap_kept(before) != 0 ? 3 : rc == 0 ? 0 : 1);
    }
    return pid;
}

/* The request buffer serve_upper_once allocates is freed on success and when
 * the request is too long (EMSGSIZE). */
Test(halfclose, upper_server_frees_its_buffer)
{
    pid_t server;
    int fd = connect_to_server(start_counted_upper_server, &server);
    cr_assert_eq(ipct_send_all(fd, "abc", 3), 0);
    cr_assert_eq(shutdown(fd, SHUT_WR), 0);
    char reply[8];
    cr_assert(ipct_readable_within(fd, 5000), "no answer after the half-close");
    cr_assert_eq(ipct_read_exact(fd, reply, 3, -1), 0, "short answer");
    close(fd);
    cr_assert_eq(ipct_wait_exit(server, 5000), 0,
                 "serve_upper_once answered, then returned holding heap blocks it "
                 "allocated (exit 3) or failed (exit 1)");
    fd = connect_to_server(start_counted_upper_server, &server);
    char *big = calloc(UPPER_MAX + 1, 1);
    cr_assert_not_null(big);
    cr_assert_eq(ipct_send_all(fd, big, UPPER_MAX + 1), 0);
    free(big);
    shutdown(fd, SHUT_WR);
    cr_assert(ipct_readable_within(fd, 5000), "no end after an oversized request");
    close(fd);
    cr_assert_eq(
        ipct_wait_exit(server, 5000), 1,
        "serve_upper_once refused a request of UPPER_MAX + 1 bytes: it must fail "
        "(exit 1) and free its buffer first (exit 3: it kept heap blocks)");
}

Test(halfclose, upper_server_answers_at_eof)
{
    pid_t server;
    int fd = connect_to_server(start_upper_server, &server);
    cr_assert_eq(ipct_send_all(fd, "Mixed Case 123", 14), 0);
    cr_assert_eq(shutdown(fd, SHUT_WR), 0);
    char reply[32];
    cr_assert(ipct_readable_within(fd, 5000), "no answer after the half-close");
    cr_assert_eq(ipct_read_exact(fd, reply, 14, -1), 0, "short answer");
    cr_assert_eq(memcmp(reply, "MIXED CASE 123", 14), 0);
    cr_assert(ipct_readable_within(fd, 5000));
    cr_assert_eq(read(fd, reply, 1), 0, "the server must close after answering");
    close(fd);
    cr_assert_eq(ipct_wait_exit(server, 5000), 0,
                 "serve_upper_once failed (exit 200: it left the client socket open)");
}

Test(halfclose, upper_server_talks_to_socat)
{
    /* A real peer: socat sends its stdin, half-closes, prints the answer. */
    uint16_t port;
    pid_t server = spawn_server(start_upper_server, &port);
    char target[64];
    snprintf(target, sizeof target, "TCP:127.0.0.1:%u", port);
    char *argv[] = {"socat", "-t", "10", "-", target, NULL};
    char out[256];
    int status;
    const char in[] = "hello from socat\nsecond line\n";
    ssize_t n = ipct_run(argv, in, sizeof in - 1, out, sizeof out, &status, 10000);
    cr_assert_geq(n, 0, "socat did not finish: %s", strerror(errno));
    cr_assert_str_eq(out, "HELLO FROM SOCAT\nSECOND LINE\n");
    cr_assert_eq(ipct_wait_exit(server, 5000), 0, "serve_upper_once failed");
}

/*
 * UPPER_MAX bytes (the most serve_upper_once takes) under the faults a
 * kernel may cause, injected by the shim in the server's process: its first
 * accept, receive and send fail with EINTR, and every second receive and
 * send moves one byte. The whole answer must still come back.
 */
Test(halfclose, upper_server_survives_faults)
{
    ipct_fault_fail("accept accept4", 1, EINTR);
    ipct_fault_fail("recv read recvfrom recvmsg readv", 1, EINTR);
    ipct_fault_fail("send write sendto sendmsg writev", 1, EINTR);
    ipct_fault_short("recv read recvfrom", 2, 1);
    ipct_fault_short("send write sendto", 2, 1);
    pid_t server;
    int fd = connect_to_server(start_upper_server, &server);
    ipct_fault_clear(); /* the server has the plan (the test's calls are not wrapped) */
    char big[UPPER_MAX],
        back[UPPER_MAX]; /* on the stack: the writer child frees nothing */
    for (size_t i = 0; i < UPPER_MAX; i++)
        big[i] = (char)('a' + i % 26);
    pid_t writer = ipct_fork();
    if (writer == 0) { /* the request fills the socket buffers: send it from a child */
        IPCT_CHILD_CHECK(ipct_send_all(fd, big, UPPER_MAX) == 0);
        IPCT_CHILD_CHECK(shutdown(fd, SHUT_WR) == 0);
        _exit(0);
    }
    int rc = ipct_read_exact(fd, back, UPPER_MAX, 8000);
    bool same = rc == 0;
    for (size_t i = 0; same && i < UPPER_MAX; i++)
        same = back[i] == (char)('A' + i % 26);
    close(fd);
    cr_assert_eq(ipct_wait_exit(writer, 5000), 0, "the test's writer failed");
    cr_assert(
        same,
        "the %d-byte answer is missing or wrong: UPPER_MAX bytes are allowed, EINTR is "
        "retried and short transfers are continued",
        UPPER_MAX);
    cr_assert_eq(ipct_wait_exit(server, 5000), 0, "serve_upper_once failed under faults");
}

/*
 * serve_upper_once passes on the error of accept, recv and send (the shim
 * makes them fail in the server's process): it returns -1 with that errno,
 * and a client it did accept reads end of file.
 */
Test(halfclose, upper_server_errors_are_returned)
{
    struct {
        const char *calls;
        int err;
    } faults[] = {{"accept accept4", EMFILE},
                  {"recv read recvfrom recvmsg", ECONNRESET},
                  {"send write sendto sendmsg", EPIPE}};
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        ipct_fault_fail(faults[i].calls, 1, faults[i].err);
        pid_t server;
        if (i == 0) { /* accept fails at once: the server is gone before any client */
            uint16_t port;
            server = spawn_server(start_upper_server, &port);
        } else {
            int fd = connect_to_server(start_upper_server, &server);
            /* The server may already have failed and gone: these may fail too. */
            (void)ipct_send_all(fd, "abc", 3);
            (void)shutdown(fd, SHUT_WR);
            char c;
            cr_assert(ipct_readable_within(fd, 5000), "%s failed: the client saw no end",
                      faults[i].calls);
            cr_assert_leq(read(fd, &c, 1), 0, "%s failed (injected), yet an answer came",
                          faults[i].calls);
            close(fd);
        }
        ipct_fault_clear();
        int code = ipct_wait_exit(server, 5000);
        cr_assert_eq(code, 1 + faults[i].err,
                     "%s failed with %s (injected): serve_upper_once must return -1 with "
                     "that errno (child exit %d, expected %d)",
                     faults[i].calls, strerror(faults[i].err), code, 1 + faults[i].err);
    }
}

Test(halfclose, upper_server_refuses_too_much)
{
    pid_t server;
    int fd = connect_to_server(start_upper_server, &server);
    char *big = malloc(UPPER_MAX + 1);
    cr_assert_not_null(big);
    memset(big, 'a', UPPER_MAX + 1);
    cr_assert_eq(ipct_send_all(fd, big, UPPER_MAX + 1), 0);
    free(big);
    shutdown(fd, SHUT_WR);
    char c;
    cr_assert(ipct_readable_within(fd, 5000));
    cr_assert_leq(read(fd, &c, 1), 0, "no answer is sent for an oversized request");
    close(fd);
    cr_assert_eq(ipct_wait_exit(server, 5000), 1 + EMSGSIZE,
                 "serve_upper_once should fail with EMSGSIZE");
}

/* A client that half-closes at once sent an empty request: its answer is empty too. */
Test(halfclose, upper_server_empty_request)
{
    pid_t server;
    int fd = connect_to_server(start_upper_server, &server);
    cr_assert_eq(shutdown(fd, SHUT_WR), 0);
    char c;
    cr_assert(ipct_readable_within(fd, 5000), "no end after the half-close");
    cr_assert_eq(read(fd, &c, 1), 0, "an empty request gets an empty answer");
    close(fd);
    cr_assert_eq(ipct_wait_exit(server, 5000), 0,
                 "serve_upper_once must return 0 for an empty request "
                 "(exit 200: it left the client socket open)");
}

/*
 * Whether every socket process pid accepted was close-on-exec from the start
 * (accept4 with SOCK_CLOEXEC) or made so by fcntl(F_SETFD) before its close;
 * *accepted: how many it accepted.
 */
static bool accepts_cloexec(pid_t pid, int *accepted)
{
    long pending[64]; /* accepted fds not close-on-exec yet */
    size_t npending = 0;
    bool ok = true;
    *accepted = 0;
    struct ipct_call copy;
    const struct ipct_call *c;
    for (size_t i = 0; (c = ipct_calls_get(i, &copy)) != NULL; i++) {
        if (c->name == NULL || c->pid != pid || c->ret < 0)
            continue;
        bool is_accept4 = strcmp(c->name, "accept4") == 0;
        if (is_accept4 || strcmp(c->name, "accept") == 0) {
            ++*accepted;
            if (!(is_accept4 && (c->arg[3] & SOCK_CLOEXEC)) && npending < 64)
                pending[npending++] = c->ret;
            continue;
        }
        bool sets = strcmp(c->name, "fcntl") == 0 && c->arg[1] == F_SETFD &&
                    (c->arg[2] & FD_CLOEXEC);
        bool closes = strcmp(c->name, "close") == 0;
        for (size_t k = 0; (sets || closes) && k < npending; k++)
            if (pending[k] == c->arg[0]) {
                ok = ok && sets; /* closed before it was made close-on-exec */
                pending[k] = pending[--npending];
                break;
            }
    }
    return ok && npending == 0;
}

/*
 * Call check: the client's socket lives only inside serve_upper_once, so only
 * the calls show whether a program another thread execs meanwhile inherits it.
 */
Test(halfclose, upper_server_client_is_cloexec)
{
    ipct_calls_record();
    pid_t server;
    int fd = connect_to_server(start_upper_server, &server);
    cr_assert_eq(ipct_send_all(fd, "abc", 3), 0);
    cr_assert_eq(shutdown(fd, SHUT_WR), 0);
    char reply[3];
    cr_assert_eq(ipct_read_exact(fd, reply, 3, 5000), 0, "short answer");
    close(fd);
    cr_assert_eq(ipct_wait_exit(server, 5000), 0, "serve_upper_once failed");
    int accepted;
    cr_assert(accepts_cloexec(server, &accepted) && accepted == 1,
              "the client's socket must be close-on-exec: accept4 with SOCK_CLOEXEC");
}

/* ---- servers: shared scenarios ------------------------------------------------ */

typedef int (*server_fn)(int listen_fd, int stop_fd);

/* A server under test, running in a child process. */
struct server {
    pid_t pid;
    int listener;
    uint16_t port;
    int stop_w; /* closing it tells the server to stop */
};

/* Start fn in a child; the child exits 0 if fn returned 0 and left no fd
 * open (1: it failed, 2: it left fds open), and with count_heap, 3 if it
 * returned 0 holding heap blocks it allocated. */
static struct server server_child(server_fn fn, bool count_heap)
{
    struct server s;
    int stop[2];
    cr_assert_eq(pipe(stop), 0);
    s.listener = th_listener(64, &s.port);
    s.stop_w = stop[1];
    s.pid = ipct_fork();
    if (s.pid == 0) {
        close(stop[1]);
        struct ipct_fdset before;
        ipct_fd_snapshot(&before);
        long heap = ipct_heap_blocks();
        int rc = fn(s.listener, stop[0]);
        char leaked[256];
        int nleaked = ipct_fds_leaked(&before, leaked, sizeof leaked);
        if (nleaked > 0)
            dprintf(2, "server left fds open: %s\n", leaked);
        long kept = count_heap ? ipct_heap_kept(heap) : 0;
        if (kept != 0)
            dprintf(2, "server returned holding %ld heap block(s) it allocated\n", kept);
        _exit(rc != 0 ? 1 : nleaked > 0 ? 2 : kept != 0 ? 3 : 0);
    }
    /* Only the server holds the listener: if it dies, connects are refused
       at once instead of waiting in a queue nobody accepts from. */
    close(stop[0]);
    close(s.listener);
    s.listener = -1;
    return s;
}

/* Start fn in a child; the child exits 0 if fn returned 0 and left no fd open. */
static struct server start_server(server_fn fn)
{
    return server_child(fn, false);
}

/* Stop the server and return its exit code (0: clean stop). */
static int stop_server(struct server *s)
{
    close(s->stop_w);
    return ipct_wait_exit(s->pid, 10000);
}

/* start_faulted_server - start_server(fn) with the first of calls failing with err: the
 * plan is the server's alone (cleared in the test once the server has it). */
static struct server start_faulted_server(server_fn fn, const char *calls, int err)
{
    ipct_fault_fail(calls, 1, err);
    struct server s = start_server(fn);
    ipct_fault_clear();
    return s;
}

/* client_of - a client connected to s (asserted): its fd. */
static int client_of(const struct server *s)
{
    int fd = th_connect(s->port);
    cr_assert_geq(fd, 0, "the server is gone: %s", strerror(errno));
    return fd;
}

/* expect_dropped - the server ends fd's connection within 8 s (else: why), then fd is
 * closed. */
static void expect_dropped(int fd, const char *why)
{
    cr_assert(ipct_readable_within(fd, 8000), "%s", why);
    char c;
    cr_assert_leq(read(fd, &c, 1), 0, "expected the server to end that connection");
    close(fd);
}

/* One exchange as a client: send frames, check the upper-case replies. */
static int client_session(uint16_t port, int id, int frames)
{
    int fd = th_connect(port);
    if (fd < 0)
        return 10;
    for (int f = 0; f < frames; f++) {
        char msg[64], want[64], got[64];
        int len = snprintf(msg, sizeof msg, "client %d frame %d says hi", id, f);
        th_upcase(want, msg, (size_t)len);
        if (th_frame_send(fd, msg, (uint32_t)len) < 0)
            return 11;
        if (!ipct_readable_within(fd, 8000))
            return 12;
        if (th_frame_recv(fd, got, sizeof got) != len ||
            memcmp(got, want, (size_t)len) != 0)
            return 13;
    }
    close(fd);
    return 0;
}

static void serves_one_client(server_fn fn)
{
    struct server s = start_server(fn);
    cr_assert_eq(client_session(s.port, 0, 5), 0, "wrong or missing replies");
    cr_assert_eq(stop_server(&s), 0,
                 "the server did not stop cleanly (exit 1: it failed, "
                 "2: it left fds open)");
}

/*
 * Many clients at once, plus one that stalls in the middle of a frame until
 * all the others are done: a server that serves one client at a time, or
 * that blocks on a partial frame, never finishes.
 */
static void serves_concurrent_clients(server_fn fn)
{
    enum { CLIENTS = 24 };
    /* Under memcheck (errors and leaks, not the verdict) 8 client processes
       (each costs 0.1 s there), and as many idle connections as clients left
       out: the server still holds 25 at once, so its tables grow past 16. */
    const int clients = ipct_under_valgrind() ? 8 : CLIENTS;
    struct server s = start_server(fn);
    int idle[CLIENTS];
    for (int i = clients; i < CLIENTS; i++)
        idle[i] = client_of(&s);
    int go[2];
    cr_assert_eq(pipe(go), 0);

    int staller = client_of(&s);
    const unsigned char half[] = {0, 0, 0, 8, 's', 'l'};
    cr_assert_eq(ipct_send_all(staller, half, sizeof half), 0);

    pid_t kids[CLIENTS];
    for (int i = 0; i < clients; i++) {
        kids[i] = ipct_fork();
        if (kids[i] == 0) {
            close(go[1]);
            char c;
            IPCT_CHILD_CHECK(read(go[0], &c, 1) == 0); /* all start together */
            int rc = client_session(s.port, i + 1, 4);
            _exit(rc);
        }
    }
    close(go[0]);
    close(go[1]); /* release every client at once */
    for (int i = 0; i < clients; i++)
        cr_assert_eq(ipct_wait_exit(kids[i], 15000), 0, "client %d failed", i + 1);

    const unsigned char rest[] = {'o', 'w', 'p', 'o', 'k', 'e'};
    cr_assert_eq(ipct_send_all(staller, rest, sizeof rest), 0);
    char got[16];
    cr_assert(ipct_readable_within(staller, 5000), "the stalled client got no reply");
    cr_assert_eq(th_frame_recv(staller, got, sizeof got), 8);
    cr_assert_eq(memcmp(got, "SLOWPOKE", 8), 0);
    close(staller);
    for (int i = clients; i < CLIENTS; i++)
        close(idle[i]);
    cr_assert_eq(stop_server(&s), 0, "the server did not stop cleanly");
}

static void stops_and_closes_clients(server_fn fn)
{
    struct server s = start_server(fn);
    int idle = client_of(&s);
    cr_assert_eq(client_session(s.port, 1, 1), 0);
    close(s.stop_w);
    s.stop_w = -1;
    cr_assert(ipct_readable_within(idle, 8000), "the server kept the idle client open");
    char c;
    cr_assert_leq(read(idle, &c, 1), 0, "expected EOF on the idle client");
    close(idle);
    cr_assert_eq(ipct_wait_exit(s.pid, 8000), 0,
                 "the server did not stop cleanly (1: failed, 2: left fds open)");
}

static void drops_bad_clients_only(server_fn fn)
{
    struct server s = start_server(fn);
    /* One client announces a frame that is too long, one vanishes mid-frame. */
    int huge = client_of(&s);
    const unsigned char big_header[] = {0, 0, 0x20, 0}; /* 8192 > SERVE_FRAME_MAX */
    cr_assert_eq(ipct_send_all(huge, big_header, 4), 0);
    int quitter = th_connect(s.port);
    const unsigned char partial[] = {0, 0, 0, 9, 'a'};
    cr_assert_eq(ipct_send_all(quitter, partial, sizeof partial), 0);
    close(quitter);
    cr_assert(ipct_readable_within(huge, 8000),
              "an oversized frame must drop the client");
    char c;
    cr_assert_leq(read(huge, &c, 1), 0, "expected the server to close that connection");
    close(huge);
    cr_assert_eq(client_session(s.port, 2, 3), 0, "a good client must still be served");
    cr_assert_eq(stop_server(&s), 0, "the server did not stop cleanly");
}

/*
 * What a server allocates for a client is freed once the client is gone and
 * the rest before it returns: clients that finish one after another while it
 * runs (a threaded server joins each finished thread when it next accepts),
 * one it drops for a frame that is too long, and one still connected at the
 * stop. With first_thread_fails, pthread_create fails for the first client
 * (injected), which is dropped. The server's child counts the heap blocks
 * the student's code holds before and after the call.
 */
static void frees_what_it_allocates(server_fn fn, bool first_thread_fails)
{
    if (first_thread_fails)
        ipct_fault_fail("pthread_create", 1, EAGAIN);
    struct server s = server_child(fn, true);
    ipct_fault_clear();
    if (first_thread_fails)
        expect_dropped(client_of(&s),
                       "pthread_create failed (injected): drop that client");
    for (int i = 0; i < 4; i++)
        cr_assert_eq(client_session(s.port, i, 2), 0,
                     "client %d: wrong or missing replies", i);
    int huge = client_of(&s);
    const unsigned char big_header[] = {0, 0, 0x20, 0}; /* 8192 > SERVE_FRAME_MAX */
    cr_assert_eq(ipct_send_all(huge, big_header, 4), 0);
    expect_dropped(huge, "a frame longer than SERVE_FRAME_MAX: drop that client");
    cr_assert_eq(client_session(s.port, 5, 1), 0, "wrong or missing replies");
    int idle = client_of(&s);
    cr_assert_eq(client_session(s.port, 6, 1), 0, "wrong or missing replies");
    int code = stop_server(&s);
    close(idle);
    cr_assert_eq(code, 0,
                 "the server did not stop cleanly (exit 1: it failed, 2: it left fds "
                 "open, 3: it returned holding heap blocks it allocated: free a client's "
                 "memory once it is gone, and the rest before returning)");
}

static void empty_frames_are_echoed(server_fn fn)
{
    struct server s = start_server(fn);
    int fd = client_of(&s);
    cr_assert_eq(th_frame_send(fd, "", 0), 0);
    cr_assert_eq(th_frame_send(fd, "ok", 2), 0);
    char buf[8];
    cr_assert(ipct_readable_within(fd, 8000));
    cr_assert_eq(th_frame_recv(fd, buf, sizeof buf), 0,
                 "an empty frame gets an empty reply");
    cr_assert_eq(th_frame_recv(fd, buf, sizeof buf), 2);
    cr_assert_eq(memcmp(buf, "OK", 2), 0);
    close(fd);
    cr_assert_eq(stop_server(&s), 0);
}

/*
 * The faults a kernel may cause, injected by the shim in the server's
 * process (it inherits the plan at fork; the test's client calls libc
 * directly): its first blocking poll, accept and receive fail with EINTR,
 * every second send and receive of more than one byte moves one byte. A
 * server that ignores a short send leaves the client with half a reply:
 * the client gives up after 5 s without the rest.
 */
static void survives_faults(server_fn fn)
{
    ipct_fault_fail("poll ppoll select epoll_wait", 1, EINTR);
    ipct_fault_fail("accept accept4", 1, EINTR);
    ipct_fault_fail("recv read recvfrom recvmsg readv", 1, EINTR);
    ipct_fault_fail("send write sendto sendmsg writev", 1, EINTR);
    ipct_fault_short("send write sendto", 2, 1);
    ipct_fault_short("recv read recvfrom", 2, 1);
    struct server s = start_server(fn);
    int fd = client_of(&s);
    struct timeval limit = {.tv_sec = 5};
    cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit), 0);
    for (int f = 0; f < 6; f++) {
        char msg[64], want[64], got[64];
        int len = snprintf(msg, sizeof msg, "frame %d of a client under faults", f);
        th_upcase(want, msg, (size_t)len);
        cr_assert_eq(th_frame_send(fd, msg, (uint32_t)len), 0);
        ssize_t n = th_frame_recv(fd, got, sizeof got);
        cr_assert(n == len && memcmp(got, want, (size_t)len) == 0,
                  "reply %d is missing or wrong (%s): was a short send or receive "
                  "taken for the whole, or an EINTR for a failure?",
                  f, n < 0 ? strerror(errno) : "wrong bytes");
    }
    close(fd);
    cr_assert_eq(stop_server(&s), 0,
                 "the server did not stop cleanly (exit 1: it failed, "
                 "2: it left fds open)");
}

/* A frame of exactly SERVE_FRAME_MAX bytes is served (only a longer one is dropped). */
static void largest_frame_is_echoed(server_fn fn)
{
    struct server s = start_server(fn);
    int fd = client_of(&s);
    char msg[SERVE_FRAME_MAX], got[SERVE_FRAME_MAX];
    memset(msg, 'w', sizeof msg);
    cr_assert_eq(th_frame_send(fd, msg, SERVE_FRAME_MAX), 0);
    struct timeval limit = {.tv_sec = 5};
    cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit), 0);
    ssize_t n = th_frame_recv(fd, got, sizeof got);
    cr_assert_eq(n, SERVE_FRAME_MAX, "a frame of SERVE_FRAME_MAX bytes got %zd back (%s)",
                 n, n < 0 ? strerror(errno) : "wrong length");
    cr_assert_eq(got[0], 'W');
    cr_assert_eq(got[SERVE_FRAME_MAX - 1], 'W');
    close(fd);
    cr_assert_eq(stop_server(&s), 0, "the server did not stop cleanly");
}

/*
 * The server's own poll fails (the shim makes its first one fail with
 * ENOMEM, before any client came): the server itself failed, so it returns
 * -1 (the child exits 1), with nothing left open.
 */
static void failing_poll_is_reported(server_fn fn)
{
    struct server s = start_faulted_server(fn, "poll ppoll select epoll_wait", ENOMEM);
    int code = stop_server(&s);
    cr_assert_geq(ipct_faults_count(), 1, "the server never called poll (exit %d)", code);
    cr_assert_eq(code, 1,
                 "poll failed with ENOMEM (injected): the server must return -1, and "
                 "it exited %d (0: it returned 0, 2: it left fds open)",
                 code);
}

/*
 * A lone client that announces a too-long frame is dropped at once: it sees
 * its connection end while no other client comes to wake the server.
 */
static void drops_lone_bad_client(server_fn fn)
{
    struct server s = start_server(fn);
    int huge = client_of(&s);
    cr_assert_eq(th_frame_send(huge, "hi", 2), 0);
    char got[8];
    cr_assert(ipct_readable_within(huge, 8000), "no reply");
    cr_assert_eq(th_frame_recv(huge, got, sizeof got), 2);
    /* The server is idle now (unless it never sleeps): a drop that waits for
       its next wake-up would not come. */
    (void)ipct_all_asleep(s.pid, 2000);
    const unsigned char big_header[] = {0, 0, 0x20, 0}; /* 8192 > SERVE_FRAME_MAX */
    cr_assert_eq(ipct_send_all(huge, big_header, 4), 0);
    expect_dropped(huge, "a dropped client's connection must end at once, not when "
                         "another client comes");
    cr_assert_eq(stop_server(&s), 0, "the server did not stop cleanly");
}

/* A reply's send fails (injected ECONNRESET): that client is dropped, others served. */
static void drops_client_whose_send_fails(server_fn fn)
{
    struct server s =
        start_faulted_server(fn, "send write sendto sendmsg writev", ECONNRESET);
    int fd = client_of(&s);
    cr_assert_eq(th_frame_send(fd, "hi", 2), 0);
    expect_dropped(fd, "the reply's send failed with ECONNRESET (injected): drop that "
                       "client");
    cr_assert_eq(client_session(s.port, 2, 1), 0, "the other clients are still served");
    cr_assert_eq(stop_server(&s), 0, "the server did not stop cleanly");
}

/*
 * A client that half-closes after its reply is dropped: it reads the end of
 * its connection. The server's first recv was interrupted (EINTR), so errno
 * still says EINTR when the recv that meets the end returns 0.
 */
static void drops_client_at_its_eof(server_fn fn)
{
    struct server s = start_faulted_server(fn, "recv read recvfrom recvmsg readv", EINTR);
    int fd = client_of(&s);
    cr_assert_eq(th_frame_send(fd, "bye", 3), 0);
    char got[8];
    cr_assert(ipct_readable_within(fd, 8000), "no reply");
    cr_assert_eq(th_frame_recv(fd, got, sizeof got), 3);
    cr_assert_eq(shutdown(fd, SHUT_WR), 0);
    expect_dropped(fd, "the client half-closed: recv returning 0 is its end (whatever "
                       "errno holds), so drop it");
    cr_assert_eq(stop_server(&s), 0, "the server did not stop cleanly");
}

/* survives_no_memory's check with every call of calls failing with ENOMEM. */
static void no_memory_for(server_fn fn, const char *calls)
{
    int hits = ipct_faults_count();
    ipct_fault_add(&(struct ipct_fault){.calls = calls, .every = 1, .error = ENOMEM});
    struct server s = start_server(fn);
    ipct_fault_clear(); /* the server has the plan */
    bool answered = false;
    int fd = th_connect(s.port);
    if (fd >= 0) { /* else refused: the server failed, and is gone */
        (void)th_frame_send(fd, "hi", 2); /* the server may be gone: this may fail */
        cr_assert(ipct_readable_within(fd, 8000),
                  "no memory for a client (%s failed with ENOMEM, injected): the "
                  "client got neither a reply nor the end of its connection: drop it "
                  "(close its socket)",
                  calls);
        char got[8];
        answered = th_frame_recv(fd, got, sizeof got) == 2 && memcmp(got, "HI", 2) == 0;
        close(fd);
    }
    int code = stop_server(&s);
    bool refused = ipct_faults_count() > hits;
    cr_assert(code == 0 || code == 1,
              "with no memory (%s failed with ENOMEM, injected) the server may fail "
              "(-1) or drop the client, but it exited %d (2: it left fds open)",
              calls, code);
    cr_assert(refused || (answered && code == 0),
              "no %s failed, so the client must be served and the server stop with "
              "0; it %s and exited %d",
              calls, answered ? "was answered" : "got no answer", code);
}

/*
 * Without memory: every malloc, calloc and realloc of the server fails with ENOMEM
 * (the shim), then every malloc alone (so a server that grows its tables with realloc
 * gets as far as a client's own malloc). A server that needs memory before it serves
 * anyone fails at once (-1); one that needs it per client drops that client (closes
 * its socket) and serves on; one that needs none answers. Whichever it is, a client
 * is never left hanging, and nothing is left open.
 */
static void survives_no_memory(server_fn fn)
{
    no_memory_for(fn, "malloc calloc realloc");
    no_memory_for(fn, "malloc");
}

/* Call check: every client socket the server accepts is close-on-exec. */
static void clients_are_cloexec(server_fn fn)
{
    ipct_calls_record();
    struct server s = start_server(fn);
    cr_assert_eq(client_session(s.port, 1, 1), 0, "wrong or missing replies");
    cr_assert_eq(client_session(s.port, 2, 1), 0, "wrong or missing replies");
    cr_assert_eq(stop_server(&s), 0, "the server did not stop cleanly");
    int accepted;
    cr_assert(accepts_cloexec(s.pid, &accepted) && accepted == 2,
              "every client socket must be close-on-exec (accept4 with SOCK_CLOEXEC): "
              "a program another thread execs would inherit it");
}

/* How many threads process pid created, and how many it joined (successful calls). */
static void count_threads(pid_t pid, int *created, int *joined)
{
    *created = *joined = 0;
    size_t from = 0;
    struct ipct_call copy;
    const struct ipct_call *c;
    while ((c = ipct_calls_next("pthread_create", pid, &from, &copy)) != NULL)
        *created += c->ret == 0;
    from = 0;
    while ((c = ipct_calls_next("pthread_join", pid, &from, &copy)) != NULL)
        *joined += c->ret == 0;
}

/* Whether process pid's log shows a pthread_join that worked, within timeout_ms. */
static bool joined_within(pid_t pid, int timeout_ms)
{
    for (long long end = ipct_now_ms() + timeout_ms;; ipct_pause_ms(1)) {
        int created, joined;
        count_threads(pid, &created, &joined);
        if (joined > 0)
            return true;
        if (ipct_now_ms() >= end)
            return false;
    }
}

/*
 * Call check: every thread the server starts is joined, the one of a client
 * that left while the server ran as well as the one still serving at the stop.
 * The first client's thread has ended (every thread of the server sleeps)
 * when the second client connects and is served: by then, or within 5 s, the
 * server must have joined the first thread, while it still runs.
 */
Test(threaded, joins_every_thread)
{
    ipct_calls_record();
    struct server s = start_server(serve_threaded);
    cr_assert_eq(client_session(s.port, 1, 1), 0, "wrong or missing replies");
    ipct_all_asleep(s.pid, 2000); /* the first client's thread has ended */
    int open_client = client_of(&s);
    cr_assert_eq(th_frame_send(open_client, "hi", 2), 0);
    char got[8];
    cr_assert(ipct_readable_within(open_client, 8000), "no reply");
    cr_assert_eq(th_frame_recv(open_client, got, sizeof got), 2);
    cr_assert(joined_within(s.pid, 5000),
              "the thread of a client that left was not joined while the server ran "
              "(another client came and was served, and 5 s passed): join a client's "
              "thread once its client is gone, not only at the stop");
    cr_assert_eq(stop_server(&s), 0, "the server did not stop cleanly");
    close(open_client);
    int created, joined;
    count_threads(s.pid, &created, &joined);
    cr_assert_geq(created, 2, "one thread per client: %d threads for 2 clients", created);
    cr_assert_eq(joined, created, "%d client threads created, %d joined: join each one",
                 created, joined);
}

/* pthread_create fails for the first client: that client is dropped, the next served. */
Test(threaded, failed_thread_drops_the_client)
{
    struct server s = start_faulted_server(serve_threaded, "pthread_create", EAGAIN);
    int first = client_of(&s);
    expect_dropped(first, "pthread_create failed (injected): close that client's socket");
    cr_assert_eq(client_session(s.port, 2, 2), 0, "the next client must be served");
    cr_assert_eq(stop_server(&s), 0,
                 "the server did not stop cleanly (exit 1: it failed, "
                 "2: it left fds open)");
}

Test(threaded, serves_one_client)
{
    serves_one_client(serve_threaded);
}
Test(threaded, serves_24_clients_at_once)
{
    serves_concurrent_clients(serve_threaded);
}
Test(threaded, stop_closes_every_client)
{
    stops_and_closes_clients(serve_threaded);
}
Test(threaded, drops_only_bad_clients)
{
    drops_bad_clients_only(serve_threaded);
}
Test(threaded, empty_frame_is_echoed)
{
    empty_frames_are_echoed(serve_threaded);
}

Test(threaded, survives_eintr_and_short_transfers)
{
    survives_faults(serve_threaded);
}

Test(polled, serves_one_client)
{
    serves_one_client(serve_poll);
}
Test(polled, serves_24_clients_at_once)
{
    serves_concurrent_clients(serve_poll);
}
Test(polled, stop_closes_every_client)
{
    stops_and_closes_clients(serve_poll);
}
Test(polled, drops_only_bad_clients)
{
    drops_bad_clients_only(serve_poll);
}
Test(polled, empty_frame_is_echoed)
{
    empty_frames_are_echoed(serve_poll);
}
Test(polled, survives_eintr_and_short_transfers)
{
    survives_faults(serve_poll);
}

Test(threaded, largest_frame_is_echoed)
{
    largest_frame_is_echoed(serve_threaded);
}
Test(threaded, failing_poll_is_reported)
{
    failing_poll_is_reported(serve_threaded);
}
Test(polled, largest_frame_is_echoed)
{
    largest_frame_is_echoed(serve_poll);
}
Test(polled, failing_poll_is_reported)
{
    failing_poll_is_reported(serve_poll);
}
Test(threaded, drops_lone_bad_client)
{
    drops_lone_bad_client(serve_threaded);
}
Test(threaded, clients_are_cloexec)
{
    clients_are_cloexec(serve_threaded);
}
Test(polled, clients_are_cloexec)
{
    clients_are_cloexec(serve_poll);
}
Test(threaded, drops_client_whose_send_fails)
{
    drops_client_whose_send_fails(serve_threaded);
}
Test(polled, drops_client_whose_send_fails)
{
    drops_client_whose_send_fails(serve_poll);
}
Test(threaded, survives_no_memory)
{
    survives_no_memory(serve_threaded);
}
Test(polled, survives_no_memory)
{
    survives_no_memory(serve_poll);
}
Test(polled, drops_client_at_its_eof)
{
    drops_client_at_its_eof(serve_poll);
}
Test(threaded, frees_what_it_allocates)
{
    frees_what_it_allocates(serve_threaded, true);
}
Test(polled, frees_what_it_allocates)
{
    frees_what_it_allocates(serve_poll, false);
}
