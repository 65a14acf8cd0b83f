/* test_passcred.c - lab 07 tests: SCM_CREDENTIALS with SO_PASSCRED (send_creds,
 * recv_creds). */
#include "ipclab_shim.h"
#include "ipclab_test.h"
#include "unixsock.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

TestSuite(passcred, .timeout = 10);

/* A socketpair of type (close-on-exec); aborts the test on failure. */
static void pair(int type, int sv[2])
{
    cr_assert_eq(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0, "socketpair: %s",
                 strerror(errno));
}

/* Control buffer for one struct ucred, aligned (test side). */
union creds_buf {
    char buf[CMSG_SPACE(sizeof(struct ucred))];
    struct cmsghdr align;
};

/* Test-side send with SCM_CREDENTIALS *c attached; sendmsg's result. */
static ssize_t test_send_creds(int sock, const char *data, const struct ucred *c)
{
    union creds_buf u;
    memset(&u, 0, sizeof u);
    struct iovec iov = {.iov_base = (void *)data, .iov_len = strlen(data)};
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = u.buf,
                         .msg_controllen = sizeof u.buf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_CREDENTIALS;
    cm->cmsg_len = CMSG_LEN(sizeof *c);
    memcpy(CMSG_DATA(cm), c, sizeof *c);
    return sendmsg(sock, &msg, MSG_NOSIGNAL);
}

/*
 * Test-side receive (SO_PASSCRED turned on first): one recvmsg within 5 s.
 * Returns its result; *c gets the credentials, or pid -1 if none came.
 */
static ssize_t test_recv_creds(int sock, char *buf, size_t len, struct ucred *c)
{
    int one = 1;
    cr_assert_eq(setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &one, sizeof one), 0);
    cr_assert(ipct_readable_within(sock, 5000), "no message arrived");
    union creds_buf u;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = u.buf,
                         .msg_controllen = sizeof u.buf};
    ssize_t n = recvmsg(sock, &msg, MSG_DONTWAIT);
    c->pid = -1;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS)
            memcpy(c, CMSG_DATA(cm), sizeof *c);
    return n;
}

/* This process's own credentials. */
static struct ucred own_creds(void)
{
    return (struct ucred){.pid = getpid(), .uid = getuid(), .gid = getgid()};
}

/* The sender children of a test, kept alive while the test reads. */
struct senders {
    int hold[2]; /* children wait for end of file here before they exit */
};

static void senders_init(struct senders *s)
{
    cr_assert_eq(pipe2(s->hold, O_CLOEXEC), 0);
}

/*
 * Fork a child that sends msg on sock, with its own credentials attached
 * (test side) when attach is true, or through the student's send_creds
 * (NULL claim) when it is false; returns once the message is queued. The
 * child lives until senders_release, so its pid stays its own meanwhile.
 */
static pid_t child_sends(struct senders *s, int sock, const char *msg, bool attach)
{
    int sent[2]; /* the child writes a byte once its message is queued */
    cr_assert_eq(pipe2(sent, O_CLOEXEC), 0);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(s->hold[1]);
        close(sent[0]);
        struct ucred me = own_creds();
        ssize_t n = attach ? test_send_creds(sock, msg, &me)
                           : send_creds(sock, msg, strlen(msg), NULL);
        IPCT_CHILD_CHECK(n == (ssize_t)strlen(msg));
        IPCT_CHILD_CHECK(write(sent[1], "s", 1) == 1);
        char c;
        IPCT_CHILD_CHECK(read(s->hold[0], &c, 1) == 0);
        _exit(0);
    }
    close(sent[1]); /* a child that fails closes its end: end of file at once */
    char c;
    cr_assert(ipct_readable_within(sent[0], 5000), "the sender child is stuck");
    ssize_t n = read(sent[0], &c, 1);
    close(sent[0]);
    cr_assert_eq(n, 1, "the sender child failed (exit code %d)",
                 ipct_wait_exit(pid, 5000));
    return pid;
}

/* Let the children go and check each of them did its part. */
static void senders_release(struct senders *s, const pid_t *pids, int n)
{
    close(s->hold[1]);
    close(s->hold[0]);
    for (int i = 0; i < n; i++)
        cr_assert_eq(ipct_wait_exit(pids[i], 5000), 0, "sender child %d failed", i);
}

/* ---- recv_creds ------------------------------------------------------------ */

Test(passcred, receiver_learns_sender)
{
    int sv[2];
    pair(SOCK_STREAM, sv);
    struct senders s;
    senders_init(&s);
    pid_t pid = child_sends(&s, sv[0], "hello", true);
    char buf[16];
    struct ucred cred = {.pid = -1};
    ssize_t n = recv_creds(sv[1], buf, sizeof buf, &cred);
    cr_assert_eq(n, 5, "recv_creds: %zd (%s)", n, n < 0 ? strerror(errno) : "ok");
    cr_assert_eq(memcmp(buf, "hello", 5), 0);
    cr_assert_eq(cred.pid, pid, "the sender is child %d, got pid %d", (int)pid,
                 (int)cred.pid);
    cr_assert_eq(cred.uid, getuid(), "uid %d, expected %d", (int)cred.uid, (int)getuid());
    cr_assert_eq(cred.gid, getgid(), "gid %d, expected %d", (int)cred.gid, (int)getgid());
    senders_release(&s, &pid, 1);
    close(sv[0]);
    close(sv[1]);
}

/* $begin each_message_test */
Test(passcred, each_message_names_its_sender)
{
    /* The test process made the pair, so SO_PEERCRED names it for both ends;
       the two messages come from two other processes. */
    int sv[2];
    pair(SOCK_STREAM, sv);
    struct senders s;
    senders_init(&s);
    pid_t pids[2];
    pids[0] = child_sends(&s, sv[0], "one", true);
    pids[1] = child_sends(&s, sv[0], "two", true);
    const char *want[2] = {"one", "two"};
    for (int i = 0; i < 2; i++) {
        char buf[64] = "";
        struct ucred cred = {.pid = -1};
        ssize_t n = recv_creds(sv[1], buf, sizeof buf, &cred);
        cr_assert_eq(
            n, 3, "message %d: %zd bytes: one read must not mix two senders' bytes (%s)",
            i, n, n < 0 ? strerror(errno) : "ok");
        cr_assert_eq(memcmp(buf, want[i], 3), 0);
        cr_assert_eq(cred.pid, pids[i],
                     "message %d came from pid %d, got %d: read the SCM_CREDENTIALS "
                     "message, not SO_PEERCRED",
                     i, (int)pids[i], (int)cred.pid);
    }
    senders_release(&s, pids, 2);
    close(sv[0]);
    close(sv[1]);
}
/* $end each_message_test */

Test(passcred, passcred_applies_from_then_on)
{
    int sv[2];
    pair(SOCK_DGRAM, sv);
    /* Sent with no credentials while SO_PASSCRED is off on both ends. */
    cr_assert_eq(send(sv[0], "early", 5, 0), 5);
    char buf[16];
    struct ucred cred = {.pid = -1};
    cr_assert_eq(recv_creds(sv[1], buf, sizeof buf, &cred), 5, "recv_creds: %s",
                 strerror(errno));
    cr_assert_eq(cred.pid, 0,
                 "nobody attached credentials to this one: the kernel says pid 0, got %d",
                 (int)cred.pid);
    /* SO_PASSCRED is on now: the kernel attaches them even to a plain send. */
    cr_assert_eq(send(sv[0], "late", 4, 0), 4);
    cred.pid = -1;
    cr_assert_eq(recv_creds(sv[1], buf, sizeof buf, &cred), 4, "recv_creds: %s",
                 strerror(errno));
    cr_assert_eq(
        cred.pid, getpid(),
        "SO_PASSCRED must stay on: the kernel then names the sender (%d), got %d",
        (int)getpid(), (int)cred.pid);
    close(sv[0]);
    close(sv[1]);
}

Test(passcred, end_of_file_reads_zero)
{
    int sv[2];
    pair(SOCK_STREAM, sv);
    close(sv[0]);
    char buf[8];
    struct ucred cred = {.pid = -1};
    errno = EINTR; /* left by an earlier call: recvmsg returning 0 did not fail */
    cr_assert_eq(recv_creds(sv[1], buf, sizeof buf, &cred), 0, "end of file is 0 (%s)",
                 strerror(errno));
    cr_assert_eq(cred.pid, 0, "no sender at end of file: pid 0, got %d", (int)cred.pid);
    close(sv[1]);
}

/* ---- send_creds ------------------------------------------------------------ */

Test(passcred, send_attaches_own_credentials)
{
    /* The receiver turns SO_PASSCRED on only after the message is queued:
       only credentials the sender attached itself can be there. */
    int sv[2];
    pair(SOCK_STREAM, sv);
    struct senders s;
    senders_init(&s);
    pid_t pid = child_sends(&s, sv[0], "mine", false);
    char buf[16];
    struct ucred cred;
    cr_assert_eq(test_recv_creds(sv[1], buf, sizeof buf, &cred), 4);
    cr_assert_eq(memcmp(buf, "mine", 4), 0);
    cr_assert_eq(
        cred.pid, pid,
        "expected the child's pid %d, got %d (0: no SCM_CREDENTIALS was attached)",
        (int)pid, (int)cred.pid);
    cr_assert_eq(cred.uid, getuid());
    cr_assert_eq(cred.gid, getgid());
    senders_release(&s, &pid, 1);
    close(sv[0]);
    close(sv[1]);
}

/* Exit codes of the claiming child beyond IPCT_CHILD_CHECK's. */
enum { CLAIM_OK = 0, CLAIM_PRIVILEGED = 77 };

/*
 * In a child without privileges (it gives them up first when it has
 * some), try false claims with send_creds: each must fail with the errno
 * the kernel gives the same claim made directly. Then one true claim.
 */
static void claiming_child(int sock)
{
    /* Root may claim anything: become nobody if we can. If we cannot (a
       user namespace without that id), the probe below decides. */
    if (geteuid() == 0 && setgroups(0, NULL) == 0 && setresgid(65534, 65534, 65534) == 0)
        (void)setresuid(65534, 65534, 65534);
    struct ucred me = own_creds();
    struct ucred lies[2] = {me, me};
    lies[0].pid = getppid();  /* the test process: not us */
    lies[1].uid = me.uid ^ 1; /* someone else's uid */
    for (int i = 0; i < 2; i++) {
        int sv[2];
        IPCT_CHILD_CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0);
        errno = 0;
        ssize_t probe = test_send_creds(sv[0], "p", &lies[i]);
        int want = errno;
        close(sv[0]);
        close(sv[1]);
        if (probe >= 0)
            _exit(CLAIM_PRIVILEGED); /* the kernel lets us claim it: nothing to check */
        errno = 0;
        IPCT_CHILD_CHECK(send_creds(sock, "x", 1, &lies[i]) == -1);
        IPCT_CHILD_CHECK(errno == want);
    }
    IPCT_CHILD_CHECK(send_creds(sock, "t", 1, &me) == 1);
    _exit(CLAIM_OK);
}

/* $begin false_claims_test */
Test(passcred, kernel_refuses_false_claims)
{
    int sv[2];
    pair(SOCK_DGRAM, sv);
    pid_t pid = ipct_fork();
    if (pid == 0)
        claiming_child(sv[0]);
    int rc = ipct_wait_exit(pid, 5000);
    if (rc == CLAIM_PRIVILEGED) {
        cr_log_warn("this process may claim other ids: the refusal cannot be checked");
    } else {
        cr_assert_eq(rc, CLAIM_OK,
                     "send_creds must pass the claim to sendmsg as it is, and return the "
                     "kernel's -1 and errno (EPERM) for a false one");
        /* Only the true message may have gone out. */
        char buf[8];
        struct ucred cred;
        cr_assert_eq(test_recv_creds(sv[1], buf, sizeof buf, &cred), 1);
        cr_assert_eq(buf[0], 't', "a false claim was sent anyway");
        cr_assert_eq(cred.pid, pid, "the true claim names the child %d, got %d", (int)pid,
                     (int)cred.pid);
    }
    close(sv[0]);
    close(sv[1]);
}
/* $end false_claims_test */

/*
 * The shim makes the first blocking sendmsg and recvmsg fail with EINTR (a
 * signal handler ran while they waited; handout: "Faults the tests inject").
 */
Test(passcred, send_and_recv_retry_eintr)
{
    int sv[2];
    pair(SOCK_STREAM, sv);
    ipct_fault_fail("sendmsg send sendto write writev", 1, EINTR);
    ipct_fault_fail("recvmsg recv recvfrom read readv", 1, EINTR);
    ssize_t n = send_creds(sv[0], "hi", 2, NULL);
    cr_assert_eq(n, 2,
                 "send_creds returned %zd (%s): the test made sendmsg fail with EINTR, "
                 "retry it",
                 n, n < 0 ? strerror(errno) : "no error");
    char buf[8];
    struct ucred c = {0};
    n = recv_creds(sv[1], buf, sizeof buf, &c);
    cr_assert_eq(n, 2,
                 "recv_creds returned %zd (%s): the test made recvmsg fail with EINTR, "
                 "retry it",
                 n, n < 0 ? strerror(errno) : "no error");
    cr_assert_eq(c.pid, getpid(), "the credentials name pid %d, the sender is %d",
                 (int)c.pid, (int)getpid());
    close(sv[0]);
    close(sv[1]);
}

/*
 * A peer that has gone is EPIPE from send_creds (MSG_NOSIGNAL: without it
 * SIGPIPE kills the test), and a recvmsg that fails (the shim makes it fail
 * with ECONNRESET, as a reset connection does) is returned as it is.
 */
Test(passcred, errors_are_reported)
{
    int sv[2];
    pair(SOCK_STREAM, sv);
    close(sv[1]);
    IPCT_ASSERT_FAILS(EPIPE, send_creds(sv[0], "x", 1, NULL),
                      "the receiver has closed its socket: must fail");
    close(sv[0]);
    pair(SOCK_STREAM, sv);
    cr_assert_eq(send(sv[0], "y", 1, 0), 1);
    ipct_fault_fail("recvmsg recv recvfrom read readv", 1, ECONNRESET);
    char buf[4];
    struct ucred cred;
    IPCT_ASSERT_FAILS(ECONNRESET, recv_creds(sv[1], buf, sizeof buf, &cred),
                      "recvmsg failed with ECONNRESET (injected): must fail");
    close(sv[0]);
    close(sv[1]);
}

Test(passcred, bad_arguments_are_einval)
{
    int sv[2];
    pair(SOCK_STREAM, sv);
    char buf[4];
    struct ucred cred;
    IPCT_ASSERT_FAILS(EINVAL, send_creds(sv[0], NULL, 1, NULL), "data NULL: must fail");
    IPCT_ASSERT_FAILS(EINVAL, send_creds(sv[0], "x", 0, NULL), "len 0: must fail");
    IPCT_ASSERT_FAILS(EINVAL, recv_creds(sv[1], NULL, 4, &cred), "buf NULL: must fail");
    IPCT_ASSERT_FAILS(EINVAL, recv_creds(sv[1], buf, 4, NULL), "cred NULL: must fail");
    IPCT_ASSERT_FAILS(EINVAL, recv_creds(sv[1], buf, 0, &cred), "len 0: must fail");
    close(sv[0]);
    close(sv[1]);
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    IPCT_ASSERT_FAILS(ENOTSOCK, recv_creds(p[0], buf, 4, &cred),
                      "a pipe is not a socket");
    close(p[0]);
    close(p[1]);
}
