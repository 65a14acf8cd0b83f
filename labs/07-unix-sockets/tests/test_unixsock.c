/* test_unixsock.c - Criterion tests for lab 07 (Unix domain sockets). */
#include "ipclab_shim.h"
#include "ipclab_test.h"
#include "unixsock.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------- */

/* A socket path in this test's private directory (short: sun_path is 108 bytes). */
static char *sock_path(char *buf, size_t len, const char *name)
{
    ipct_path(buf, len, name);
    cr_assert_lt(strlen(buf), sizeof((struct sockaddr_un *)0)->sun_path,
                 "test bug: tmpdir '%s' is too long for a socket path", ipct_tmpdir());
    return buf;
}

/* A listening stream socket at path, made by the test itself (not by us_listen). */
static int test_listen(const char *path, int type)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
    cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0, "bind('%s'): %s",
                 path, strerror(errno));
    cr_assert_eq(listen(fd, 16), 0, "listen: %s", strerror(errno));
    return fd;
}

/* Connect a stream socket to path; -1 (errno set) on failure. For children too. */
static int test_connect(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* A connected pair of stream sockets (close-on-exec); aborts the test on failure. */
static void stream_pair(int sv[2])
{
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0,
                 "socketpair: %s", strerror(errno));
}

/* Close both sockets of a pair. */
static void close_pair(const int sv[2])
{
    close(sv[0]);
    close(sv[1]);
}

/* Leave a stale socket file at path: bound, then closed without unlink. */
static void make_stale(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0, "bind: %s",
                 strerror(errno));
    close(fd);
}

/* Create a file in the tmpdir holding text; return an fd on it (read-write, at offset 0).
 */
static int file_with(const char *name, const char *text)
{
    char path[128];
    ipct_path(path, sizeof path, name);
    int fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0, "open: %s", strerror(errno));
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

/* ---- count_reads --------------------------------------------------------- */

static const char *const three[] = {"one", "two", "three"};

TestSuite(boundaries, .timeout = 10);

/* $begin boundaries_side_by_side */
Test(boundaries, stream_merges_messages)
{
    size_t sizes[8] = {0};
    int reads = count_reads(SOCK_STREAM, three, 3, 4096, sizes, 8);
    cr_assert_eq(reads, 1,
                 "a byte stream has no boundaries: expected 1 read, got %d (%s)", reads,
                 reads < 0 ? strerror(errno) : "ok");
    cr_assert_eq(sizes[0], 11, "all 11 bytes come in one read, got %zu", sizes[0]);
}

/* count_reads of the three messages on a socket of type must take one read per
 * unit ("message", "datagram"): 3 reads, of 3, 3 and 5 bytes. */
static void expect_one_read_each(int type, const char *unit)
{
    size_t sizes[8] = {0};
    int reads = count_reads(type, three, 3, 4096, sizes, 8);
    cr_assert_eq(reads, 3, "one read per %s: expected 3, got %d", unit, reads);
    cr_assert(sizes[0] == 3 && sizes[1] == 3 && sizes[2] == 5,
              "sizes %zu %zu %zu, expected 3 3 5", sizes[0], sizes[1], sizes[2]);
}

Test(boundaries, seqpacket_keeps_boundaries)
{
    expect_one_read_each(SOCK_SEQPACKET, "message");
}

Test(boundaries, dgram_keeps_boundaries)
{
    expect_one_read_each(SOCK_DGRAM, "datagram");
}
/* $end boundaries_side_by_side */

static const char *const long_short[] = {"abcdefghij", "xy"};

Test(boundaries, stream_splits_long_message)
{
    size_t sizes[8] = {0};
    int reads = count_reads(SOCK_STREAM, long_short, 2, 4, sizes, 8);
    cr_assert_eq(reads, 3, "12 bytes through a 4-byte buffer: expected 3 reads, got %d",
                 reads);
    cr_assert(sizes[0] == 4 && sizes[1] == 4 && sizes[2] == 4, "sizes %zu %zu %zu",
              sizes[0], sizes[1], sizes[2]);
}

Test(boundaries, dgram_truncates_long_message)
{
    size_t sizes[8] = {0};
    int reads = count_reads(SOCK_DGRAM, long_short, 2, 4, sizes, 8);
    cr_assert_eq(reads, 2,
                 "the rest of a datagram is discarded: expected 2 reads, got %d", reads);
    cr_assert(sizes[0] == 4 && sizes[1] == 2, "sizes %zu %zu, expected 4 2", sizes[0],
              sizes[1]);
}

Test(boundaries, seqpacket_truncates_long_message)
{
    size_t sizes[8] = {0};
    int reads = count_reads(SOCK_SEQPACKET, long_short, 2, 4, sizes, 8);
    cr_assert_eq(reads, 2, "the rest of a packet is discarded: expected 2 reads, got %d",
                 reads);
    cr_assert(sizes[0] == 4 && sizes[1] == 2, "sizes %zu %zu, expected 4 2", sizes[0],
              sizes[1]);
}

Test(boundaries, empty_datagram_is_a_message)
{
    static const char *const msgs[] = {"", "x"};
    size_t sizes[8] = {9, 9};
    cr_assert_eq(count_reads(SOCK_DGRAM, msgs, 2, 16, sizes, 8), 2,
                 "an empty datagram is still a datagram: 2 reads expected");
    cr_assert(sizes[0] == 0 && sizes[1] == 1);
    cr_assert_eq(count_reads(SOCK_STREAM, msgs, 2, 16, sizes, 8), 1,
                 "an empty send on a stream sends nothing: 1 read expected");
}

Test(boundaries, reads_past_max_are_counted)
{
    static const char *const msgs[] = {"abcdef"};
    size_t sizes[2] = {0, 12345}; /* sizes[1] is past max: it must stay untouched */
    cr_assert_eq(count_reads(SOCK_STREAM, msgs, 1, 2, sizes, 1), 3);
    cr_assert_eq(sizes[0], 2);
    cr_assert_eq(sizes[1], 12345, "sizes[k] is written only for k < max (max 1 here)");
}

Test(boundaries, eight_messages_are_allowed)
{
    static const char *const eight[] = {"a", "bb", "ccc", "d", "ee", "fff", "g", "hh"};
    size_t sizes[8] = {0};
    int reads = count_reads(SOCK_SEQPACKET, eight, 8, 64, sizes, 8);
    cr_assert_eq(reads, 8,
                 "8 messages is the limit, not past it: expected 8 reads, got %d (%s)",
                 reads, reads < 0 ? strerror(errno) : "ok");
    for (size_t i = 0; i < 8; i++)
        cr_assert_eq(sizes[i], strlen(eight[i]), "read %zu: %zu bytes, expected %zu", i,
                     sizes[i], strlen(eight[i]));
}

/*
 * errno is only meaningful after a call that failed: a successful send or
 * recv leaves whatever an earlier call put there (here EINTR or EAGAIN,
 * set before the call). An empty datagram is a send and a recv that return
 * 0 without failing: neither may be taken for an interrupted or empty read.
 */
Test(boundaries, stale_errno_is_ignored)
{
    static const char *const msgs[] = {"", "x"};
    const int stale[] = {EINTR, EAGAIN};
    for (size_t i = 0; i < 2; i++) {
        size_t sizes[8] = {9, 9};
        errno = stale[i];
        int reads = count_reads(SOCK_DGRAM, msgs, 2, 16, sizes, 8);
        cr_assert_eq(
            reads, 2,
            "errno was %s before the call (from an earlier one): an empty datagram "
            "was still sent and read, 2 reads expected, got %d",
            strerror(stale[i]), reads);
        cr_assert(sizes[0] == 0 && sizes[1] == 1, "sizes %zu %zu, expected 0 1", sizes[0],
                  sizes[1]);
    }
}

Test(boundaries, bad_arguments_are_einval)
{
    size_t sizes[8];
    struct {
        int type;
        size_t n, rbuf;
    } bad[] = {{99, 3, 16},
               {SOCK_STREAM, 3, 0},
               {SOCK_STREAM, 3, US_MAX_READ + 1},
               {SOCK_RAW, 3, 16},
               {SOCK_STREAM, 9, 16}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        IPCT_ASSERT_FAILS(
            EINVAL, count_reads(bad[i].type, three, bad[i].n, bad[i].rbuf, sizes, 8),
            "case %zu must fail", i);
    }
    IPCT_ASSERT_FAILS(EINVAL, count_reads(SOCK_STREAM, NULL, 1, 16, sizes, 8),
                      "must fail with EINVAL");
}

Test(boundaries, closes_both_sockets)
{
    struct ipct_fdset before;
    ipct_fd_snapshot(&before);
    size_t sizes[8];
    ipct_calls_record();
    cr_assert_eq(count_reads(SOCK_SEQPACKET, three, 3, 4096, sizes, 8), 3);
    char leaked[512];
    cr_assert_eq(ipct_fds_leaked(&before, leaked, sizeof leaked), 0, "left open: %s",
                 leaked);
    /* Close-on-exec from the start: another thread's exec cannot inherit them. */
    size_t i = 0;
    struct ipct_call copy;
    const struct ipct_call *c = ipct_calls_next("socketpair", getpid(), &i, &copy);
    char calls[512];
    cr_assert_not_null(c, "count_reads must make its sockets with socketpair(2): %s",
                       ipct_calls_describe(calls, sizeof calls));
    cr_assert(c->arg[1] & SOCK_CLOEXEC, "make the pair with type | SOCK_CLOEXEC: %s",
              ipct_calls_describe(calls, sizeof calls));
}

/*
 * The shim makes socketpair, then a send, then a recv fail (out of fds,
 * out of buffer memory: errors a kernel can give). Each failure is
 * returned (-1 and that errno) and leaves no socket open.
 */
Test(boundaries, failures_close_both_sockets)
{
    size_t sizes[8];
    struct {
        const char *call;
        int err;
    } faults[] = {{"socketpair", EMFILE},
                  {"send sendto sendmsg write", ENOBUFS},
                  {"recv recvfrom recvmsg read", ENOMEM}};
    cr_assert_eq(count_reads(SOCK_DGRAM, three, 3, 16, sizes, 8), 3,
                 "count_reads fails with no fault injected: %s", strerror(errno));
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        struct ipct_fdset before;
        ipct_fd_snapshot(&before);
        ipct_fault_clear();
        ipct_fault_fail(faults[i].call, 1, faults[i].err);
        errno = 0;
        int r = count_reads(SOCK_DGRAM, three, 3, 16, sizes, 8);
        int err = errno;
        ipct_fault_clear();
        char leaked[512];
        int nleaked = ipct_fds_leaked(&before, leaked, sizeof leaked);
        cr_assert_eq(r, -1, "%s failed with %s (injected), yet count_reads returned %d",
                     faults[i].call, strerror(faults[i].err), r);
        cr_assert_eq(err, faults[i].err, "%s failed with %s (injected), errno is %s",
                     faults[i].call, strerror(faults[i].err), strerror(err));
        cr_assert_eq(nleaked, 0, "after %s failed, still open: %s", faults[i].call,
                     leaked);
    }
}

/* ---- us_listen / us_connect ---------------------------------------------- */

/* us_listen(path, type, 4), which must succeed (what: said with the error if not). */
static int must_listen(const char *path, int type, const char *what)
{
    int fd = us_listen(path, type, 4);
    cr_assert_geq(fd, 0, "%s: %s", what, strerror(errno));
    return fd;
}

/* us_connect(path, type), which must succeed (what: said with the error if not). */
static int must_connect(const char *path, int type, const char *what)
{
    int fd = us_connect(path, type);
    cr_assert_geq(fd, 0, "%s: %s", what, strerror(errno));
    return fd;
}

/* A connection through us_listen and us_connect at a fresh path: both ends and the
 * listener. */
struct connection {
    char path[128];
    int lfd, client, server;
};

static void connect_through(struct connection *t, const char *name, int type)
{
    sock_path(t->path, sizeof t->path, name);
    t->lfd = must_listen(t->path, type, "us_listen");
    t->client = must_connect(t->path, type, "us_connect");
    t->server = accept(t->lfd, NULL, NULL);
    cr_assert_geq(t->server, 0, "accept: %s", strerror(errno));
}

/* Close all three sockets and remove the socket file. */
static void close_connection(struct connection *t)
{
    close(t->server);
    close(t->client);
    close(t->lfd);
    unlink(t->path);
}

TestSuite(listener, .timeout = 10);

Test(listener, stream_connect_accept)
{
    struct connection t;
    connect_through(&t, "srv.sock", SOCK_STREAM);
    struct stat st;
    cr_assert_eq(stat(t.path, &st), 0, "no socket file at '%s'", t.path);
    cr_assert(S_ISSOCK(st.st_mode), "'%s' is not a socket", t.path);
    cr_assert_eq(ipct_send_all(t.client, "ping", 4), 0);
    char buf[4];
    cr_assert_eq(ipct_read_exact(t.server, buf, 4, 2000), 0);
    cr_assert_eq(memcmp(buf, "ping", 4), 0);
    cr_assert(fcntl(t.lfd, F_GETFD) & FD_CLOEXEC, "make the socket with SOCK_CLOEXEC");
    cr_assert(fcntl(t.client, F_GETFD) & FD_CLOEXEC, "make the socket with SOCK_CLOEXEC");
    close_connection(&t);
}

Test(listener, seqpacket_listener)
{
    struct connection t;
    connect_through(&t, "seq.sock", SOCK_SEQPACKET);
    cr_assert_eq(send(t.client, "ab", 2, 0), 2);
    cr_assert_eq(send(t.client, "cde", 3, 0), 3);
    char buf[16];
    cr_assert_eq(recv(t.server, buf, sizeof buf, 0), 2,
                 "a SOCK_SEQPACKET connection keeps "
                 "message boundaries");
    cr_assert_eq(recv(t.server, buf, sizeof buf, 0), 3);
    close_connection(&t);
}

/* $begin stale_socket */
Test(listener, stale_file_is_replaced)
{
    char path[128];
    sock_path(path, sizeof path, "stale.sock");
    make_stale(path); /* a server bound here, then died without unlink */
    int lfd = must_listen(path, SOCK_STREAM, "a stale socket file must be replaced");
    int c = must_connect(path, SOCK_STREAM, "nobody listens at the new socket");
    close(c);
    close(lfd);
    unlink(path);
}

Test(listener, live_server_is_not_stolen)
{
    char path[128];
    sock_path(path, sizeof path, "live.sock");
    int first = must_listen(path, SOCK_STREAM, "us_listen");
    struct stat before, after;
    cr_assert_eq(stat(path, &before), 0);
    errno = 0;
    int second = us_listen(path, SOCK_STREAM, 4);
    cr_assert_eq(second, -1, "a second server took over a live server's path");
    cr_assert_eq(errno, EADDRINUSE, "errno %s, expected EADDRINUSE", strerror(errno));
    cr_assert_eq(stat(path, &after), 0, "the live server's socket file was removed");
    cr_assert_eq(before.st_ino, after.st_ino, "the live server's file was replaced");
    close(first);
    unlink(path);
}
/* $end stale_socket */

Test(listener, regular_file_is_not_removed)
{
    char path[128];
    sock_path(path, sizeof path, "data.txt");
    close(file_with("data.txt", "data")); /* a regular file where the socket would go */
    IPCT_ASSERT_FAILS(EADDRINUSE, us_listen(path, SOCK_STREAM, 4),
                      "us_listen over a regular file must fail");
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "a regular file was deleted: only stale sockets go");
    cr_assert(S_ISREG(st.st_mode));
}

Test(listener, too_long_path_is_enametoolong)
{
    /* 108 bytes + NUL does not fit in sun_path; the path is in our tmpdir so a
       solution that cuts it short binds a file the test cleans up. */
    char longpath[200];
    size_t dirlen = strlen(ipct_tmpdir());
    cr_assert_lt(dirlen + 2, 108, "test bug: tmpdir too long");
    snprintf(longpath, sizeof longpath, "%s/", ipct_tmpdir());
    memset(longpath + dirlen + 1, 'a', 108 - dirlen - 1);
    longpath[108] = '\0';
    IPCT_ASSERT_FAILS(ENAMETOOLONG, us_listen(longpath, SOCK_STREAM, 4),
                      "a 108-byte path was accepted");
    IPCT_ASSERT_FAILS(ENAMETOOLONG, us_connect(longpath, SOCK_STREAM),
                      "must fail with ENAMETOOLONG");
    char abstract[200];
    abstract[0] = '@';
    memset(abstract + 1, 'b', 108);
    abstract[109] = '\0'; /* 1 NUL + 108 name bytes > 108 */
    IPCT_ASSERT_FAILS(ENAMETOOLONG, us_listen(abstract, SOCK_STREAM, 4),
                      "abstract: must fail");
}

Test(listener, longest_path_fits)
{
    char path[128];
    size_t dirlen = strlen(ipct_tmpdir());
    cr_assert_lt(dirlen + 2, 108, "test bug: tmpdir too long");
    snprintf(path, sizeof path, "%s/", ipct_tmpdir());
    memset(path + dirlen + 1, 'p', 107 - dirlen - 1);
    path[107] = '\0'; /* 107 bytes + NUL = exactly sun_path */
    int lfd = must_listen(path, SOCK_STREAM, "a 107-byte path fits in sun_path");
    int c = must_connect(path, SOCK_STREAM, "us_connect");
    close(c);
    close(lfd);
    cr_assert_eq(unlink(path), 0, "the socket was not bound at the full path");

    /* An abstract name has no NUL to store: '@' + 107 name bytes fill sun_path
       (its leading NUL + 107 bytes) exactly. */
    char at[110];
    ipct_name(at, sizeof at, "@", "longest");
    size_t len = strlen(at);
    cr_assert_lt(len, 108, "test bug: name too long");
    memset(at + len, 'q', 108 - len);
    at[108] = '\0';
    lfd = must_listen(at, SOCK_STREAM, "an abstract name of 107 bytes fits in sun_path");
    c = must_connect(at, SOCK_STREAM, "us_connect to the 107-byte abstract name");
    close(c);
    close(lfd);
}

Test(listener, abstract_name_leaves_no_file)
{
    char name[80], at[84];
    ipct_name(name, sizeof name, "", "abs");
    snprintf(at, sizeof at, "@%s", name);
    int lfd = us_listen(at, SOCK_STREAM, 4);
    cr_assert_geq(lfd, 0, "us_listen('%s'): %s", at, strerror(errno));
    struct sockaddr_un addr;
    socklen_t len = sizeof addr;
    cr_assert_eq(getsockname(lfd, (struct sockaddr *)&addr, &len), 0);
    cr_assert_eq(addr.sun_path[0], '\0', "an abstract name starts with a NUL byte");
    cr_assert_eq(len, offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name),
                 "address length must count the name exactly (no padding): %u", len);
    cr_assert_eq(memcmp(addr.sun_path + 1, name, strlen(name)), 0);
    cr_assert_eq(access(name, F_OK), -1, "an abstract socket creates no file");
    int c = us_connect(at, SOCK_STREAM);
    cr_assert_geq(c, 0, "us_connect('%s'): %s", at, strerror(errno));
    close(c);
    close(lfd);
}

Test(listener, connect_errors)
{
    char path[128];
    sock_path(path, sizeof path, "none.sock");
    IPCT_ASSERT_FAILS(ENOENT, us_connect(path, SOCK_STREAM), "no file there: must fail");
    make_stale(path);
    IPCT_ASSERT_FAILS(ECONNREFUSED, us_connect(path, SOCK_STREAM),
                      "a stale socket: must fail");
    unlink(path);
}

/* us_listen(path) fails with err (what: the cause), leaving no fd open and no file. */
static void listen_fails_cleanly(const char *path, int err, const char *what)
{
    struct stat st;
    bool existed = lstat(path, &st) == 0;
    struct ipct_fdset before;
    ipct_fd_snapshot(&before);
    errno = 0;
    int fd = us_listen(path, SOCK_STREAM, 4);
    int got = errno;
    char leaked[256];
    int nleaked = ipct_fds_leaked(&before, leaked, sizeof leaked);
    bool exists = lstat(path, &st) == 0;
    ipct_fault_clear();
    cr_assert_eq(fd, -1, "%s, yet us_listen returned %d", what, fd);
    cr_assert_eq(got, err, "%s: errno %s, expected %s", what, strerror(got),
                 strerror(err));
    cr_assert_eq(nleaked, 0, "%s: still open: %s", what, leaked);
    if (!existed)
        cr_assert_not(exists, "%s: a socket file was left at '%s'", what, path);
}

/*
 * Every failure of us_listen and us_connect closes what they opened and
 * leaves no socket file. The shim makes socket, the stale probe's socket or
 * listen fail (errors the kernel documents for them).
 */
Test(listener, failures_leave_nothing_behind)
{
    char path[128];
    sock_path(path, sizeof path, "fail.sock");
    ipct_fault_fail("socket", 1, EMFILE);
    listen_fails_cleanly(path, EMFILE, "socket failed with EMFILE (injected)");
    ipct_fault_fail("listen", 1, EADDRINUSE);
    listen_fails_cleanly(path, EADDRINUSE, "listen failed with EADDRINUSE (injected)");
    /* A relative path is a file system path too, whatever its characters. */
    char cwd[256];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    cr_assert_eq(chdir(ipct_tmpdir()), 0);
    ipct_fault_fail("listen", 1, EADDRINUSE);
    listen_fails_cleanly("s@fail.sock", EADDRINUSE,
                         "listen failed with EADDRINUSE (injected) for 's@fail.sock'");
    make_stale("s@fail.sock");
    int rel = must_listen("s@fail.sock", SOCK_STREAM,
                          "a stale 's@fail.sock' (a relative path) must be replaced");
    close(rel);
    unlink("s@fail.sock");
    cr_assert_eq(chdir(cwd), 0);

    int live = must_listen(path, SOCK_STREAM, "us_listen");
    listen_fails_cleanly(path, EADDRINUSE, "a live server holds the path");
    close(live);
    cr_assert_eq(stat(path, &(struct stat){0}), 0, "the live server's file was removed");
    /* Now stale: the probe's socket fails (out of fds): no fd left, file kept. */
    ipct_fault_fail("socket", 2, EMFILE);
    listen_fails_cleanly(path, EMFILE,
                         "the stale probe's socket failed with EMFILE (injected)");

    /* Replacing the stale file succeeds: the listening socket is the only new fd. */
    struct ipct_fdset before;
    ipct_fd_snapshot(&before);
    int lfd = must_listen(path, SOCK_STREAM, "a stale socket file must be replaced");
    close(lfd);
    unlink(path);
    char leaked[256];
    cr_assert_eq(
        ipct_fds_leaked(&before, leaked, sizeof leaked), 0,
        "besides the listening socket, us_listen left open: %s (close the socket "
        "that probed the stale file)",
        leaked);

    ipct_fd_snapshot(&before);
    IPCT_ASSERT_FAILS(ENOENT, us_connect(path, SOCK_STREAM), "no file there: must fail");
    ipct_fault_fail("socket", 1, EMFILE);
    IPCT_ASSERT_FAILS(EMFILE, us_connect(path, SOCK_STREAM),
                      "socket failed with EMFILE (injected): must fail");
    ipct_fault_clear();
    cr_assert_eq(ipct_fds_leaked(&before, leaked, sizeof leaked), 0,
                 "a failed us_connect left open: %s", leaked);
}

Test(listener, bad_arguments_are_einval)
{
    char path[128];
    sock_path(path, sizeof path, "bad.sock");
    const char *paths[] = {NULL, "", "@"};
    ipct_calls_record();
    for (size_t i = 0; i < 3; i++) {
        IPCT_ASSERT_FAILS(EINVAL, us_listen(paths[i], SOCK_STREAM, 4),
                          "case %zu: must fail", i);
        IPCT_ASSERT_FAILS(EINVAL, us_connect(paths[i], SOCK_STREAM),
                          "case %zu: must fail", i);
    }
    IPCT_ASSERT_FAILS(EINVAL, us_listen(path, SOCK_DGRAM, 4),
                      "a datagram socket cannot listen");
    size_t at = 0;
    char calls[512];
    struct ipct_call copy;
    cr_assert_null(ipct_calls_next("socket", 0, &at, &copy),
                   "bad arguments are checked before any socket is made: %s",
                   ipct_calls_describe(calls, sizeof calls));
    cr_assert_eq(access(path, F_OK), -1, "a failed us_listen left a file");
}

/* ---- send_fds / recv_fds ------------------------------------------------- */

TestSuite(fdpass, .timeout = 10);

/* $begin pass_file */
Test(fdpass, receiver_reads_passed_file)
{
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    pid_t pid = ipct_fork();
    if (pid == 0) { /* receiver: gets an fd, reads the file, sends the text back */
        close(sv[0]);
        int fds[US_MAX_FDS];
        size_t nfds = 0;
        char tag, text[64];
        IPCT_CHILD_CHECK(recv_fds(sv[1], &tag, 1, fds, US_MAX_FDS, &nfds) == 1);
        IPCT_CHILD_CHECK(nfds == 1);
        ssize_t n = read(fds[0], text, sizeof text);
        IPCT_CHILD_CHECK(n > 0);
        IPCT_CHILD_CHECK(ipct_send_all(sv[1], text, (size_t)n) == 0);
        _exit(0);
    }
    close(sv[1]);
    int file = file_with("secret.txt", "top secret");
    char path[128];
    unlink(ipct_path(path, sizeof path, "secret.txt")); /* no name left to open */
    cr_assert_eq(send_fds(sv[0], &file, 1, "F", 1), 1, "send_fds: %s", strerror(errno));
    close(file);
    char got[11] = "";
    cr_assert_eq(ipct_read_exact(sv[0], got, 10, 5000), 0,
                 "the receiver sent nothing back");
    cr_assert_str_eq(got, "top secret");
    close(sv[0]);
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0);
}
/* $end pass_file */

Test(fdpass, several_fds_in_one_message)
{
    int sv[2], p[3][2];
    stream_pair(sv);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(pipe2(p[i], O_CLOEXEC), 0);
    pid_t pid = ipct_fork();
    if (pid == 0) { /* writes "0", "1", "2" into the three pipes it receives */
        close(sv[0]);
        for (int i = 0; i < 3; i++)
            close(p[i][1]);
        int fds[US_MAX_FDS];
        size_t nfds = 0;
        char tag;
        IPCT_CHILD_CHECK(recv_fds(sv[1], &tag, 1, fds, US_MAX_FDS, &nfds) == 1);
        IPCT_CHILD_CHECK(nfds == 3);
        for (size_t i = 0; i < nfds; i++) {
            char c = (char)('0' + i);
            IPCT_CHILD_CHECK(write(fds[i], &c, 1) == 1);
            close(fds[i]);
        }
        _exit(0);
    }
    close(sv[1]);
    int ends[3] = {p[0][1], p[1][1], p[2][1]};
    cr_assert_eq(send_fds(sv[0], ends, 3, "P", 1), 1, "send_fds: %s", strerror(errno));
    for (int i = 0; i < 3; i++)
        close(p[i][1]);
    for (int i = 0; i < 3; i++) {
        char buf[4];
        ssize_t n = ipct_drain(p[i][0], buf, sizeof buf, 5000);
        cr_assert_eq(n, 1, "pipe %d: expected 1 byte, got %zd", i, n);
        cr_assert_eq(buf[0], '0' + i, "the fds arrived out of order");
        close(p[i][0]);
    }
    close(sv[0]);
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0);
}

Test(fdpass, offset_is_shared)
{
    int sv[2];
    stream_pair(sv);
    int file = file_with("shared.txt", "0123456789");
    cr_assert_eq(send_fds(sv[0], &file, 1, "x", 1), 1, "send_fds: %s", strerror(errno));
    int fds[US_MAX_FDS];
    size_t nfds = 0;
    char tag;
    cr_assert_eq(recv_fds(sv[1], &tag, 1, fds, US_MAX_FDS, &nfds), 1);
    cr_assert_eq(nfds, 1);
    cr_assert_neq(fds[0], file, "the receiver gets a new descriptor number");
    char buf[5];
    cr_assert_eq(read(fds[0], buf, 5), 5);
    cr_assert_eq(lseek(file, 0, SEEK_CUR), 5,
                 "both fds share one open file description, hence one offset");
    cr_assert(fcntl(fds[0], F_GETFD) & FD_CLOEXEC, "receive with MSG_CMSG_CLOEXEC");
    close(fds[0]);
    close(file);
    close_pair(sv);
}

Test(fdpass, data_comes_with_fds)
{
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    int fds_out[2] = {sv[0], sv[1]};
    cr_assert_eq(send_fds(sv[0], fds_out, 2, "hello", 5), 5);
    char buf[16];
    int fds[US_MAX_FDS];
    size_t nfds = 0;
    cr_assert_eq(recv_fds(sv[1], buf, sizeof buf, fds, US_MAX_FDS, &nfds), 5);
    cr_assert_eq(memcmp(buf, "hello", 5), 0);
    cr_assert_eq(nfds, 2);
    close(fds[0]);
    close(fds[1]);
    close_pair(sv);
}

Test(fdpass, message_without_fds)
{
    int sv[2];
    stream_pair(sv);
    cr_assert_eq(write(sv[0], "hi", 2), 2);
    char buf[8];
    int fds[US_MAX_FDS];
    size_t nfds = 99;
    cr_assert_eq(recv_fds(sv[1], buf, sizeof buf, fds, US_MAX_FDS, &nfds), 2,
                 "recv_fds: %s", strerror(errno));
    cr_assert_eq(nfds, 0, "no fds came: *nfds must be 0");
    close(sv[0]);
    errno = EINTR; /* left by an earlier call: recvmsg returning 0 did not fail */
    cr_assert_eq(recv_fds(sv[1], buf, sizeof buf, fds, US_MAX_FDS, &nfds), 0,
                 "end of file is 0");
    cr_assert_eq(nfds, 0);
    close(sv[1]);
}

/*
 * The shim makes the first blocking recvmsg fail with EINTR (a signal handler
 * ran while it waited; handout: "Faults the tests inject"): not an error.
 */
Test(fdpass, recv_retries_eintr)
{
    int sv[2];
    stream_pair(sv);
    int file = file_with("eintr.txt", "x");
    cr_assert_eq(send_fds(sv[0], &file, 1, "F", 1), 1, "send_fds: %s", strerror(errno));
    close(file);
    ipct_fault_fail("recvmsg recv recvfrom read readv", 1, EINTR);
    char tag = 0;
    int fds[US_MAX_FDS];
    size_t nfds = 0;
    ssize_t n = recv_fds(sv[1], &tag, 1, fds, US_MAX_FDS, &nfds);
    cr_assert_eq(n, 1,
                 "recv_fds returned %zd (%s): the test made recvmsg fail with EINTR, "
                 "retry it",
                 n, n < 0 ? strerror(errno) : "no error");
    cr_assert_eq(nfds, 1, "one fd was sent, %zu arrived", nfds);
    close(fds[0]);
    close_pair(sv);
}

/*
 * The contract's call: ONE sendmsg(2), with MSG_NOSIGNAL (a receiver that has
 * gone away is EPIPE, never a SIGPIPE that kills the sender).
 */
Test(fdpass, one_sendmsg_with_msg_nosignal)
{
    int sv[2];
    stream_pair(sv);
    int file = file_with("nosig.txt", "x");
    ipct_calls_record();
    cr_assert_eq(send_fds(sv[0], &file, 1, "F", 1), 1, "send_fds: %s", strerror(errno));
    int sends = 0;
    bool nosignal = true;
    size_t i = 0;
    struct ipct_call copy;
    const struct ipct_call *c;
    while ((c = ipct_calls_next("sendmsg", getpid(), &i, &copy)) != NULL) {
        sends++;
        nosignal = nosignal && (c->arg[2] & MSG_NOSIGNAL) != 0;
    }
    char calls[512];
    cr_assert_eq(sends, 1, "send_fds must make ONE sendmsg(2), it made %d: %s", sends,
                 ipct_calls_describe(calls, sizeof calls));
    cr_assert(nosignal, "send_fds must pass MSG_NOSIGNAL to sendmsg: %s",
              ipct_calls_describe(calls, sizeof calls));
    close(file);
    close_pair(sv);
}

Test(fdpass, too_many_fds_is_emsgsize)
{
    int sv[2];
    stream_pair(sv);
    int three_fds[3] = {0, 1, 2};
    cr_assert_eq(send_fds(sv[0], three_fds, 3, "x", 1), 1);
    struct ipct_fdset before;
    ipct_fd_snapshot(&before);
    int fds[2];
    size_t nfds = 0;
    char tag;
    IPCT_ASSERT_FAILS(EMSGSIZE, recv_fds(sv[1], &tag, 1, fds, 2, &nfds),
                      "3 fds do not fit in 2");
    char leaked[512];
    cr_assert_eq(ipct_fds_leaked(&before, leaked, sizeof leaked), 0,
                 "fds that arrived must be closed: %s", leaked);
    close_pair(sv);
}

/* US_MAX_FDS descriptors in one message: the most send_fds takes and recv_fds has room
 * for. */
Test(fdpass, most_fds_fit)
{
    int sv[2];
    stream_pair(sv);
    int out[US_MAX_FDS];
    for (int i = 0; i < US_MAX_FDS; i++)
        out[i] = i % 3; /* stdin, stdout, stderr over and over: any open fds will do */
    ssize_t n = send_fds(sv[0], out, US_MAX_FDS, "M", 1);
    cr_assert_eq(n, 1, "send_fds with %d fds (US_MAX_FDS is allowed): %s", US_MAX_FDS,
                 n < 0 ? strerror(errno) : "wrong count");
    int fds[US_MAX_FDS];
    size_t nfds = 0;
    char tag = 0;
    n = recv_fds(sv[1], &tag, 1, fds, US_MAX_FDS, &nfds);
    cr_assert_eq(n, 1, "recv_fds with room for exactly %d fds: %s", US_MAX_FDS,
                 n < 0 ? strerror(errno) : "wrong count");
    cr_assert_eq(nfds, US_MAX_FDS, "%d fds sent, %zu arrived", US_MAX_FDS, nfds);
    for (size_t i = 0; i < nfds; i++) {
        struct stat a, b;
        cr_assert_eq(fstat(fds[i], &a), 0, "fd %zu did not arrive open", i);
        cr_assert_eq(fstat(out[i], &b), 0);
        cr_assert(a.st_dev == b.st_dev && a.st_ino == b.st_ino,
                  "fd %zu is not the file sent in position %zu", i, i);
        close(fds[i]);
    }
    close_pair(sv);
}

Test(fdpass, closed_fd_is_ebadf)
{
    int sv[2];
    stream_pair(sv);
    int p[2];
    cr_assert_eq(pipe(p), 0);
    close(p[0]);
    close(p[1]);
    IPCT_ASSERT_FAILS(EBADF, send_fds(sv[0], &p[0], 1, "x", 1), "must fail with EBADF");
    close_pair(sv);
    int fds[US_MAX_FDS];
    size_t nfds = 0;
    char buf[4];
    IPCT_ASSERT_FAILS(EBADF, recv_fds(sv[1], buf, sizeof buf, fds, US_MAX_FDS, &nfds),
                      "recv_fds on a closed socket: recvmsg's EBADF must be returned");
}

Test(fdpass, bad_arguments_are_einval)
{
    int fd = 0, fds[US_MAX_FDS + 1] = {0};
    size_t nfds;
    char buf[4];
    struct {
        const int *fds;
        size_t n;
        const char *data;
        size_t len;
    } bad[] = {{NULL, 1, "x", 1},
               {&fd, 0, "x", 1},
               {fds, US_MAX_FDS + 1, "x", 1},
               {&fd, 1, NULL, 1},
               {&fd, 1, "x", 0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        IPCT_ASSERT_FAILS(EINVAL,
                          send_fds(0, bad[i].fds, bad[i].n, bad[i].data, bad[i].len),
                          "case %zu: must fail", i);
    }
    IPCT_ASSERT_FAILS(EINVAL, recv_fds(0, NULL, 4, fds, 1, &nfds),
                      "must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, recv_fds(0, buf, 4, fds, 1, NULL), "must fail with EINVAL");
}

/* ---- accept_peer --------------------------------------------------------- */

/* Fork a client that connects to path, then waits for end of file. */
static pid_t client_waiting_for_eof(const char *path)
{
    pid_t pid = ipct_fork();
    if (pid == 0) {
        int fd = test_connect(path);
        IPCT_CHILD_CHECK(fd >= 0);
        char c;
        IPCT_CHILD_CHECK(ipct_readable_within(fd, 8000));
        IPCT_CHILD_CHECK(read(fd, &c, 1) == 0);
        _exit(0);
    }
    return pid;
}

/* A stream listener at a fresh path and a client connected to it, waiting for end of
 * file. */
struct peer_test {
    char path[128];
    int lfd;
    pid_t client;
};

static void start_peer_test(struct peer_test *t, const char *name)
{
    sock_path(t->path, sizeof t->path, name);
    t->lfd = test_listen(t->path, SOCK_STREAM);
    t->client = client_waiting_for_eof(t->path);
}

/* The client read end of file (why: the message if not); close and remove the listener.
 */
static void end_peer_test(struct peer_test *t, const char *why)
{
    cr_assert_eq(ipct_wait_exit(t->client, 5000), 0, "%s", why);
    close(t->lfd);
    unlink(t->path);
}

TestSuite(peercred, .timeout = 10);

Test(peercred, credentials_of_client)
{
    struct peer_test t;
    start_peer_test(&t, "cred.sock");
    struct ucred cred = {0};
    int fd = accept_peer(t.lfd, getuid(), &cred);
    cr_assert_geq(fd, 0, "accept_peer: %s", strerror(errno));
    cr_assert_eq(cred.pid, t.client, "SO_PEERCRED gives the client's pid %d, got %d",
                 (int)t.client, (int)cred.pid);
    cr_assert_eq(cred.uid, getuid());
    cr_assert_eq(cred.gid, getgid());
    cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC, "accept with SOCK_CLOEXEC");
    close(fd);
    end_peer_test(&t, "the client never saw end of file");
}

/* $begin peercred_refuse */
Test(peercred, wrong_uid_is_refused)
{
    struct peer_test t;
    start_peer_test(&t, "deny.sock");
    struct ipct_fdset before;
    ipct_fd_snapshot(&before);
    struct ucred cred = {0};
    errno = 0;
    int fd = accept_peer(t.lfd, getuid() + 1, &cred); /* only another user may come in */
    cr_assert_eq(fd, -1, "a client with the wrong uid was admitted");
    cr_assert_eq(errno, EACCES, "errno %s, expected EACCES", strerror(errno));
    cr_assert_eq(cred.pid, t.client, "*cred is filled even for a refused client");
    char leaked[256];
    cr_assert_eq(ipct_fds_leaked(&before, leaked, sizeof leaked), 0,
                 "the refused connection is still open: %s", leaked);
    end_peer_test(&t, "the refused client must read end of file");
}
/* $end peercred_refuse */

/* The shim makes the first blocking accept fail with EINTR: not an error. */
Test(peercred, accept_retries_eintr)
{
    struct peer_test t;
    start_peer_test(&t, "eintr.sock");
    ipct_fault_fail("accept accept4", 1, EINTR);
    int fd = accept_peer(t.lfd, getuid(), NULL);
    int err = errno;
    close(t.lfd);
    unlink(t.path);
    cr_assert_geq(fd, 0,
                  "accept_peer failed (%s): the test made accept fail with EINTR, "
                  "retry it",
                  strerror(err));
    close(fd);
    cr_assert_eq(ipct_wait_exit(t.client, 5000), 0, "the client never saw end of file");
}

Test(peercred, accept_errors_are_reported)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(s, 0);
    IPCT_ASSERT_FAILS(EINVAL, accept_peer(s, getuid(), NULL),
                      "the socket does not listen");
    close(s);
    IPCT_ASSERT_FAILS(EBADF, accept_peer(s, getuid(), NULL), "must fail with EBADF");
}

/* ---- echo_server --------------------------------------------------------- */

struct server {
    pid_t pid;
    int stop; /* write end of the stop pipe */
    char path[128];
};

/* $begin start_server */
/* Run echo_server in a child on a fresh socket; the test keeps only the stop pipe. */
static void start_server(struct server *srv)
{
    sock_path(srv->path, sizeof srv->path, "echo.sock");
    int lfd = test_listen(srv->path, SOCK_STREAM);
    int stop[2];
    cr_assert_eq(pipe2(stop, O_CLOEXEC), 0);
    srv->pid = ipct_fork();
    if (srv->pid == 0) {
        close(stop[1]);
        struct ipct_fdset before;
        ipct_fd_snapshot(&before);
        int rc = echo_server(lfd, stop[0]);
        /* Every client connection is closed by then: the ones that left too. */
        char leaked[256];
        if (ipct_fds_leaked(&before, leaked, sizeof leaked) != 0) {
            fprintf(stderr, "echo_server returned with client fds still open: %s\n",
                    leaked);
            _exit(2);
        }
        close(lfd);
        close(stop[0]);
        _exit(rc == 0 ? 0 : 1);
    }
    close(lfd); /* if the server dies, clients see it at once */
    close(stop[0]);
    srv->stop = stop[1];
}

/* Close the stop pipe: the server must return 0; remove its socket file. */
static void stop_server(struct server *srv)
{
    close(srv->stop);
    int status = ipct_wait_exit(srv->pid, 5000);
    cr_assert_neq(status, 2, "echo_server returned with client connections still open");
    cr_assert_eq(status, 0, "echo_server did not stop cleanly");
    unlink(srv->path);
}
/* $end start_server */

/* A client connected to the server (the test fails if it cannot connect). */
static int connect_to_server(const struct server *srv)
{
    int fd = test_connect(srv->path);
    cr_assert_geq(fd, 0, "connect: %s (did the server die?)", strerror(errno));
    return fd;
}

/* Send msg, expect its uppercase echo within 5 s. 0 or -1 (children too). */
static int roundtrip(int fd, const char *msg)
{
    char want[128], got[128];
    size_t len = strlen(msg);
    for (size_t i = 0; i <= len; i++)
        want[i] = (msg[i] >= 'a' && msg[i] <= 'z') ? (char)(msg[i] - 'a' + 'A') : msg[i];
    if (ipct_send_all(fd, msg, len) < 0 || ipct_read_exact(fd, got, len, 5000) < 0)
        return -1;
    return memcmp(got, want, len) == 0 ? 0 : -1;
}

TestSuite(server, .timeout = 10);

Test(server, echoes_uppercase)
{
    struct server srv;
    start_server(&srv);
    int c = connect_to_server(&srv);
    cr_assert_eq(roundtrip(c, "hello, World 42"), 0, "no or wrong echo");
    close(c);
    stop_server(&srv);
}

/* $begin idle_client */
Test(server, idle_client_does_not_block_others)
{
    struct server srv;
    start_server(&srv);
    int idle = connect_to_server(&srv);
    int busy = connect_to_server(&srv);
    cr_assert_eq(roundtrip(busy, "abc"), 0,
                 "the server waits on the idle client: poll every fd instead");
    cr_assert_eq(roundtrip(idle, "late"), 0, "the idle client is served when it speaks");
    close(idle);
    close(busy);
    stop_server(&srv);
}
/* $end idle_client */

Test(server, concurrent_clients)
{
    struct server srv;
    start_server(&srv);
    enum { NCLIENTS = 8 };
    /* Under valgrind every client is a slow memcheck process: fewer, shorter. */
    int nclients = ipct_under_valgrind() ? 4 : NCLIENTS;
    int rounds = ipct_under_valgrind() ? 3 : 20;
    int gate[2];
    cr_assert_eq(pipe2(gate, O_CLOEXEC), 0);
    pid_t kids[NCLIENTS];
    for (int k = 0; k < nclients; k++) {
        kids[k] = ipct_fork();
        if (kids[k] == 0) {
            close(gate[1]);
            int fd = test_connect(srv.path);
            IPCT_CHILD_CHECK(fd >= 0);
            char c;
            IPCT_CHILD_CHECK(read(gate[0], &c, 1) == 0); /* all connected: go */
            for (int r = 0; r < rounds; r++) {
                char msg[64];
                snprintf(msg, sizeof msg, "client %d round %d", k, r);
                IPCT_CHILD_CHECK(roundtrip(fd, msg) == 0);
            }
            close(fd);
            _exit(0);
        }
    }
    close(gate[0]);
    close(gate[1]);
    for (int k = 0; k < nclients; k++)
        cr_assert_eq(ipct_wait_exit(kids[k], 8000), 0, "client %d failed", k);
    stop_server(&srv);
}

Test(server, departed_client_does_not_kill_server)
{
    struct server srv;
    start_server(&srv);
    int gone = connect_to_server(&srv);
    /* This client stops receiving, then sends: the server's echo meets a
       socket that receives nothing more (EPIPE, or SIGPIPE without
       MSG_NOSIGNAL), every time, whatever the timing. */
    cr_assert_eq(shutdown(gone, SHUT_RD), 0, "shutdown: %s", strerror(errno));
    cr_assert_eq(send(gone, "bye", 3, MSG_NOSIGNAL), 3, "send: %s", strerror(errno));
    /* POLLHUP once the server has dropped this client, or died: either way
       it has tried to echo before the next client checks on it. */
    struct pollfd hup = {.fd = gone, .events = 0};
    int r = poll(&hup, 1, 3000);
    close(gone);
    cr_assert(r == 1 && (hup.revents & POLLHUP),
              "a client the server's reply cannot reach (EPIPE) must be closed and "
              "forgotten, or the server died");
    int c = connect_to_server(&srv);
    cr_assert_eq(roundtrip(c, "still there?"), 0,
                 "the server died or hangs after a client left (SIGPIPE?)");
    close(c);
    stop_server(&srv);
}

/*
 * The shim interrupts the server's first poll, accept and receive with EINTR
 * and cuts every second send to 1 byte (a full socket buffer does that): the
 * client must still get every byte back.
 */
Test(server, survives_eintr_and_short_sends)
{
    ipct_fault_fail("poll ppoll select epoll_wait", 1, EINTR);
    ipct_fault_fail("accept accept4", 1, EINTR);
    ipct_fault_fail("recv read recvfrom recvmsg readv", 1, EINTR);
    ipct_fault_fail("send write sendto sendmsg writev", 1, EINTR);
    ipct_fault_short("send write sendto sendmsg writev", 2, 1);
    struct server srv;
    start_server(&srv);
    int fd = connect_to_server(&srv);
    const char *msgs[] = {"interrupted", "cut short", "and still every byte comes back"};
    for (int i = 0; i < 3; i++)
        cr_assert_eq(
            roundtrip(fd, msgs[i]), 0,
            "message %d ('%s') did not come back whole: EINTR from poll, accept, "
            "recv or send is not an error, and a short send must be continued",
            i, msgs[i]);
    close(fd);
    stop_server(&srv);
}

/*
 * A client's end of file is end of file even when errno still says EINTR
 * from an earlier call (the shim interrupts the server's first poll; calls
 * that succeed leave errno as it was): recv returning 0 means the client
 * closed, and the server must close its connection (the client, which only
 * shut down its sending side, then reads end of file).
 */
Test(server, eof_after_eintr_closes_client)
{
    ipct_fault_fail("poll ppoll select epoll_wait", 1, EINTR);
    struct server srv;
    start_server(&srv);
    int fd = connect_to_server(&srv);
    cr_assert_eq(roundtrip(fd, "hello"), 0, "no echo");
    cr_assert_eq(shutdown(fd, SHUT_WR), 0, "shutdown: %s", strerror(errno));
    char c;
    bool eof = ipct_readable_within(fd, 5000) && read(fd, &c, 1) == 0;
    close(fd);
    cr_assert(eof,
              "the client shut down its side (the server's recv returned 0), yet its "
              "connection was not closed within 5 s: recv returning 0 is end of file, "
              "whatever errno says (look at errno only after a call returned -1)");
    stop_server(&srv);
}

/*
 * US_MAX_CLIENTS clients are served at once; one more is accepted and closed
 * at once (it reads end of file), and the others are still served.
 */
Test(server, refuses_clients_beyond_max, .timeout = 30)
{
    struct server srv;
    start_server(&srv);
    int c[US_MAX_CLIENTS];
    for (int i = 0; i < US_MAX_CLIENTS; i++) {
        c[i] = connect_to_server(&srv);
        char msg[32];
        snprintf(msg, sizeof msg, "client %d", i);
        cr_assert_eq(roundtrip(c[i], msg), 0, "client %d of %d was not served", i + 1,
                     US_MAX_CLIENTS);
    }
    int extra = connect_to_server(&srv);
    char buf[1];
    bool eof = ipct_readable_within(extra, 5000) && read(extra, buf, 1) == 0;
    close(extra);
    cr_assert(eof, "client %d (past US_MAX_CLIENTS) must be accepted and closed at once",
              US_MAX_CLIENTS + 1);
    cr_assert_eq(roundtrip(c[0], "still served"), 0,
                 "the first client is no longer served after one too many came");
    cr_assert_eq(roundtrip(c[US_MAX_CLIENTS - 1], "me too"), 0,
                 "the last client admitted is no longer served after one too many came");
    for (int i = 0; i < US_MAX_CLIENTS; i++)
        close(c[i]);
    stop_server(&srv);
}

Test(server, stop_closes_clients)
{
    struct server srv;
    start_server(&srv);
    int c = connect_to_server(&srv);
    cr_assert_eq(roundtrip(c, "x"), 0);
    stop_server(&srv);
    char buf[1];
    cr_assert(ipct_readable_within(c, 2000), "the client never saw end of file");
    cr_assert_eq(read(c, buf, 1), 0);
    close(c);
}
