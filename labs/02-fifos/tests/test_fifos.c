/* test_fifos.c - Criterion tests for lab 02 (FIFOs). */
#include "fifos.h"
#include "ipclab_shim.h"
#include "ipclab_test.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TestSuite(create, .timeout = 10);
TestSuite(open, .timeout = 10);
TestSuite(session, .timeout = 10);
TestSuite(log_write, .timeout = 10);
TestSuite(log_serve, .timeout = 10);
TestSuite(rpc, .timeout = 10);

/* ---- helpers ----------------------------------------------------------- */

/* A fresh path for a FIFO in the test's private directory. */
static char *fifo_path(char *buf, size_t len, const char *tag)
{
    char name[64];
    return ipct_path(buf, len, ipct_name(name, sizeof name, "", tag));
}

static void make_fifo(const char *path)
{
    cr_assert_eq(mkfifo(path, 0600), 0, "mkfifo '%s': %s", path, strerror(errno));
}

/* Make a fresh FIFO in the test's private directory: its path in buf. */
static char *fresh_fifo(char *buf, size_t len, const char *tag)
{
    fifo_path(buf, len, tag);
    make_fifo(buf);
    return buf;
}

/* Make a fresh FIFO at path and open a non-blocking reader on it (returned). */
static int fifo_with_reader(char *path, size_t len, const char *tag)
{
    fresh_fifo(path, len, tag);
    int rfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    cr_assert_geq(rfd, 0, "open '%s' for reading: %s", path, strerror(errno));
    return rfd;
}

/*
 * Make a fresh FIFO at path and hold it open with O_RDWR (returned): the
 * function under test, run in this process, opens it without waiting for a
 * partner, and what the test writes to it waits there to be read.
 */
static int held_fifo(char *path, size_t len, const char *tag)
{
    fresh_fifo(path, len, tag);
    int keep = open(path, O_RDWR | O_CLOEXEC);
    cr_assert_geq(keep, 0, "open '%s': %s", path, strerror(errno));
    return keep;
}

/* Open path for writing (a reader is there or comes), write text, close. */
static void write_fifo(const char *path, const char *text)
{
    int wfd = open(path, O_WRONLY | O_CLOEXEC);
    cr_assert_geq(wfd, 0, "open '%s' for writing: %s", path, strerror(errno));
    size_t len = strlen(text);
    cr_assert_eq(write(wfd, text, len), (ssize_t)len);
    close(wfd);
}

/*
 * Open path for writing once a process (the server child pid) reads it:
 * non-blocking attempts while pid runs, so a server that failed at once
 * makes the test fail at once instead of hanging in open(2).
 */
static int writer_when_ready(const char *path, pid_t pid, int timeout_ms)
{
    for (long end = ipct_now_ms() + timeout_ms; ipct_now_ms() < end;) {
        int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
            int fl = fcntl(fd, F_GETFL);
            fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
            return fd;
        }
        if ((errno != ENXIO && errno != ENOENT) || !ipct_child_running(pid))
            return -1;
        ipct_pause_ms(1);
    }
    return -1;
}

/*
 * fd 0 is an fd like any other: a caller that closed its stdin (a daemon)
 * gets 0 from its next open. close_stdin() frees it for the student's code
 * and returns the saved stdin for restore_stdin().
 */
static int close_stdin(void)
{
    int saved = fcntl(0, F_DUPFD_CLOEXEC, 3);
    cr_assert_geq(saved, 0, "dup of stdin: %s", strerror(errno));
    close(0);
    return saved;
}

static void restore_stdin(int saved)
{
    cr_assert_eq(dup2(saved, 0), 0, "dup2 to stdin: %s", strerror(errno));
    close(saved);
}

/*
 * What a call under test left in this process: fds_before notes the open
 * fds before it, fds_after, right after it, which fds it left open.
 */
struct fd_watch {
    struct ipct_fdset before; /* the fds open before the call */
    int err;                  /* errno as the call left it */
    int leaked;               /* how many fds the call left open */
    char desc[256];           /* which ones */
};

static void fds_before(struct fd_watch *fw)
{
    ipct_fd_snapshot(&fw->before);
}

/* Returns errno as the call left it (fds_after itself leaves errno alone). */
static int fds_after(struct fd_watch *fw)
{
    fw->err = errno;
    fw->leaked = ipct_fds_leaked(&fw->before, fw->desc, sizeof fw->desc);
    errno = fw->err;
    return fw->err;
}

/*
 * The function under test, fn, failed because the test made one of its calls
 * fail with error (what failed, for the messages): it must have returned r =
 * -1 with that errno, left no fd open (fw: watched around the call) and no
 * FIFO behind (left: fifo, named so in the message, is still there).
 */
static void assert_failed_cleanly(const char *fn, const char *what, int error, long r,
                                  const struct fd_watch *fw, bool left, const char *fifo)
{
    const char *name = strerrorname_np(error);
    cr_assert_eq(r, -1, "%s failed with %s (injected), yet %s returned %ld", what, name,
                 fn, r);
    cr_assert_eq(fw->err, error, "%s failed with %s, errno is %s", what, name,
                 strerror(fw->err));
    cr_assert_eq(fw->leaked, 0, "fd left open after %s failed: %s", what, fw->desc);
    cr_assert_not(left, "%s was left behind after %s failed", fifo, what);
}

/* A child's answer: the function's return value and errno, through a pipe. */
struct answer {
    long ret;
    int err;
    char data[256];
    size_t len;
};

static void send_answer(int fd, long ret, const void *data, size_t len)
{
    struct answer a = {.ret = ret, .err = errno, .len = len};
    if (len > sizeof a.data)
        len = a.len = sizeof a.data;
    if (data != NULL)
        memcpy(a.data, data, len);
    IPCT_CHILD_CHECK(write(fd, &a, sizeof a) == (ssize_t)sizeof a);
}

/* Read a child's answer (false if it died without sending one). */
static bool get_answer(int fd, struct answer *a, int timeout_ms)
{
    if (!ipct_readable_within(fd, timeout_ms))
        return false;
    return read(fd, a, sizeof *a) == (ssize_t)sizeof *a;
}

/*
 * The answer of the child pid into *a, within 5 s; closes its answer pipe
 * ans and asserts that the child exited 0. False if no answer came.
 */
static bool finish_child(pid_t pid, int ans, struct answer *a)
{
    bool got = get_answer(ans, a, 5000);
    close(ans);
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0);
    return got;
}

/*
 * The test cannot go on with the answering child pid: stop it, close its
 * answer pipe ans, and fail with the message (a printf format and its values).
 */
static void give_up(pid_t pid, int ans, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void give_up(pid_t pid, int ans, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    ipct_stop_child(pid);
    close(ans);
    cr_assert_fail("%s", why);
}

/* An answering child's work: the function under test on path, its answer sent on ans. */
typedef void answer_fn(const char *path, int ans);

/* Run fn in a child that sends its answer through a pipe (read end in *ans_fd). */
static pid_t spawn_answering(const char *path, answer_fn *fn, int *ans_fd)
{
    int ans;
    pid_t pid = ipct_fork_answering(&ans);
    if (pid == 0) {
        fn(path, ans);
        _exit(0);
    }
    *ans_fd = ans;
    return pid;
}

/*
 * Start reader on a fresh FIFO (tag) in an answering child. Once it sleeps in
 * open(2), waiting for a writer (else stop it and fail with why), write text
 * to the FIFO. The child's answer in *a (false if none came); it must exit 0.
 * The FIFO is removed.
 */
static bool write_to_waiting_reader(const char *tag, answer_fn *reader, const char *text,
                                    const char *why, struct answer *a)
{
    char path[256];
    fresh_fifo(path, sizeof path, tag);
    int ans;
    pid_t pid = spawn_answering(path, reader, &ans);
    if (!ipct_blocked_in(pid, SYS_openat, 5000))
        give_up(pid, ans, "%s", why);
    write_fifo(path, text);
    bool got = finish_child(pid, ans, a);
    unlink(path);
    return got;
}

/*
 * A service child (log_serve or rpc_serve, named fn) is running at path:
 * return the test's own writer on its FIFO, once the service reads it, or
 * stop the child and fail.
 */
static int service_writer(const char *path, pid_t pid, int ans, const char *fn)
{
    int ctl = writer_when_ready(path, pid, 5000);
    if (ctl < 0)
        give_up(pid, ans, "%s never opened its FIFO for reading", fn);
    return ctl;
}

/*
 * The shutdown request went out on ctl: wait (8 s) for the service child's
 * answer, close ans and ctl, and reap the child (or stop it and fail with
 * why). Returns what the service returned, with errno set to its errno.
 */
static long service_result(pid_t pid, int ans, int ctl, const char *why)
{
    struct answer a;
    bool got = get_answer(ans, &a, 8000);
    close(ans);
    close(ctl);
    if (!got)
        ipct_stop_child(pid);
    else
        cr_assert_eq(ipct_wait_exit(pid, 5000), 0);
    cr_assert(got, "%s", why);
    errno = a.err;
    return a.ret;
}

/* ---- fifo_create ------------------------------------------------------- */

Test(create, creates_a_fifo)
{
    char path[256];
    fifo_path(path, sizeof path, "new");
    int r = fifo_create(path, 0600);
    cr_assert_eq(r, 0, "fifo_create returned %d (%s)", r, strerror(errno));
    struct stat st;
    cr_assert_eq(lstat(path, &st), 0, "no file at '%s' after fifo_create", path);
    cr_assert(S_ISFIFO(st.st_mode), "'%s' is not a FIFO (mode %o)", path, st.st_mode);
    cr_assert_eq(st.st_mode & 0777, 0600, "mode should be 0600, got %o",
                 st.st_mode & 0777);
    unlink(path);
}

Test(create, existing_fifo_returns_1)
{
    char path[256];
    fresh_fifo(path, sizeof path, "old");
    errno = 0;
    int r = fifo_create(path, 0600);
    cr_assert_eq(r, 1, "an existing FIFO is not an error: expected 1, got %d (%s)", r,
                 strerror(errno));
    unlink(path);
}

Test(create, regular_file_is_eexist)
{
    char path[256];
    fifo_path(path, sizeof path, "file");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "data", 4), 4);
    close(fd);
    errno = 0;
    cr_assert_eq(fifo_create(path, 0600), -1,
                 "a regular file at the path must be an error");
    cr_assert_eq(errno, EEXIST, "errno should be EEXIST, got %s", strerror(errno));
    struct stat st;
    cr_assert_eq(lstat(path, &st), 0, "the regular file was removed");
    cr_assert(S_ISREG(st.st_mode) && st.st_size == 4, "the regular file was changed");
    unlink(path);
}

Test(create, directory_is_eexist)
{
    char path[256];
    fifo_path(path, sizeof path, "dir");
    cr_assert_eq(mkdir(path, 0700), 0);
    errno = 0;
    cr_assert_eq(fifo_create(path, 0600), -1);
    cr_assert_eq(errno, EEXIST, "errno should be EEXIST, got %s", strerror(errno));
    rmdir(path);
}

Test(create, missing_dir_is_enoent)
{
    char path[300], dir[256];
    fifo_path(dir, sizeof dir, "nodir");
    snprintf(path, sizeof path, "%s/fifo", dir);
    errno = 0;
    cr_assert_eq(fifo_create(path, 0600), -1);
    cr_assert_eq(errno, ENOENT, "errno should be ENOENT, got %s", strerror(errno));
    errno = 0;
    cr_assert_eq(fifo_create(NULL, 0600), -1);
    cr_assert_eq(errno, EINVAL, "NULL path: errno should be EINVAL, got %s",
                 strerror(errno));
}

/* ---- fifo_open --------------------------------------------------------- */

Test(open, nb_reader_opens_without_writer)
{
    char path[256];
    fresh_fifo(path, sizeof path, "nbr");
    int fd = fifo_open(path, O_RDONLY, false);
    cr_assert_geq(fd, 0, "a non-blocking reader must open at once: %s", strerror(errno));
    char c;
    cr_assert_eq(read(fd, &c, 1), 0, "no writer ever: read should report EOF (0)");
    close(fd);
    unlink(path);
}

/* A call of the function under test on path that must not wait for a reader. */
typedef long nowait_fn(const char *path);

/*
 * fn on a fresh FIFO (tag) that no process reads must fail at once with
 * ENXIO (else fail with why), leaving no fd open.
 */
static void expect_enxio(const char *tag, nowait_fn *fn, const char *why)
{
    char path[256];
    fresh_fifo(path, sizeof path, tag);
    struct fd_watch fw;
    fds_before(&fw);
    errno = 0;
    long r = fn(path);
    int err = fds_after(&fw);
    unlink(path);
    cr_assert_eq(r, -1, "%s", why);
    cr_assert_eq(err, ENXIO, "errno should be ENXIO, got %s", strerror(err));
    cr_assert_eq(fw.leaked, 0, "fd left open: %s", fw.desc);
}

static long open_writer_nowait(const char *path)
{
    return fifo_open(path, O_WRONLY, false);
}

Test(open, nb_writer_without_reader_enxio)
{
    expect_enxio("nbw", open_writer_nowait,
                 "no reader: a non-blocking writer open must fail");
}

Test(open, nb_writer_with_reader_succeeds)
{
    char path[256];
    int rfd = fifo_with_reader(path, sizeof path, "nbwr");
    int wfd = fifo_open(path, O_WRONLY, false);
    cr_assert_geq(wfd, 0, "a reader is there: the writer must open (%s)",
                  strerror(errno));
    cr_assert_eq(write(wfd, "x", 1), 1);
    char c = 0;
    cr_assert_eq(read(rfd, &c, 1), 1);
    cr_assert_eq(c, 'x');
    close(wfd);
    close(rfd);
    unlink(path);
}

Test(open, nb_fds_end_up_blocking)
{
    char path[256];
    fresh_fifo(path, sizeof path, "nbfl");
    int rfd = fifo_open(path, O_RDONLY, false);
    cr_assert_geq(rfd, 0, "fifo_open(O_RDONLY, false): %s", strerror(errno));
    int wfd = fifo_open(path, O_WRONLY, false);
    cr_assert_geq(wfd, 0, "fifo_open(O_WRONLY, false): %s", strerror(errno));
    cr_assert_eq(fcntl(rfd, F_GETFL) & O_NONBLOCK, 0, "the reader still has O_NONBLOCK");
    cr_assert_eq(fcntl(wfd, F_GETFL) & O_NONBLOCK, 0, "the writer still has O_NONBLOCK");
    cr_assert_neq(fcntl(rfd, F_GETFD) & FD_CLOEXEC, 0, "the reader lacks FD_CLOEXEC");
    cr_assert_neq(fcntl(wfd, F_GETFD) & FD_CLOEXEC, 0, "the writer lacks FD_CLOEXEC");
    close(wfd);
    close(rfd);
    unlink(path);
}

/* $begin rendezvous */
/* A reader: a blocking fifo_open, then one read; the answer is what it read. */
static void open_and_read(const char *path, int ans)
{
    int fd = fifo_open(path, O_RDONLY, true);
    char buf[16] = {0};
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
    send_answer(ans, fd < 0 ? -1 : (long)n, buf, n > 0 ? (size_t)n : 0);
}

Test(open, reader_waits_for_writer)
{
    struct answer a;
    bool got =
        write_to_waiting_reader("rdv", open_and_read, "hi",
                                "the reader did not wait in open(2) for a writer", &a);
    cr_assert(got, "the reader sent no answer");
    cr_assert_eq(a.ret, 2, "the reader got %ld (%s)", a.ret, strerror(a.err));
    cr_assert_eq(memcmp(a.data, "hi", 2), 0);
}
/* $end rendezvous */

Test(open, bad_access_is_einval)
{
    char path[256];
    fresh_fifo(path, sizeof path, "acc");
    errno = 0;
    cr_assert_eq(fifo_open(path, O_RDWR, false), -1, "O_RDWR is not a valid access here");
    cr_assert_eq(errno, EINVAL, "errno should be EINVAL, got %s", strerror(errno));
    errno = 0;
    cr_assert_eq(fifo_open(NULL, O_RDONLY, false), -1);
    cr_assert_eq(errno, EINVAL, "NULL path: errno should be EINVAL, got %s",
                 strerror(errno));
    unlink(path);
}

Test(open, missing_path_is_enoent)
{
    char path[256];
    fifo_path(path, sizeof path, "none");
    errno = 0;
    cr_assert_eq(fifo_open(path, O_RDONLY, false), -1);
    cr_assert_eq(errno, ENOENT, "errno should be ENOENT, got %s", strerror(errno));
}

/*
 * The shim makes a fault the kernel is allowed to cause (handout: "Faults the
 * tests inject"): the first blocking open fails with EINTR, as when a signal
 * handler runs while the open waits for the other end.
 */
Test(open, blocking_open_retries_eintr)
{
    char path[256];
    int rfd = fifo_with_reader(path, sizeof path, "eintr");
    /* stdin is closed: the retried open gets fd 0, errno still says EINTR. */
    int saved = close_stdin();
    struct fd_watch fw;
    fds_before(&fw);
    ipct_fault_fail("open", 1, EINTR);
    int wfd = fifo_open(path, O_WRONLY, true);
    int err = errno;
    if (wfd >= 0)
        close(wfd);
    fds_after(&fw);
    restore_stdin(saved);
    cr_assert_eq(
        wfd, 0,
        "fifo_open(O_WRONLY, true) returned %d (%s): the test made the first "
        "blocking open fail with EINTR, which must be retried, and closed stdin, "
        "so the retry gets fd 0, a valid fd",
        wfd, wfd < 0 ? strerror(err) : "not 0");
    cr_assert_eq(fw.leaked, 0, "fd left open: %s", fw.desc);
    close(rfd);
    unlink(path);
}

/* ---- fifo_read_session ------------------------------------------------- */

/* A writer child: open path (blocking), write text, close, _exit(0). */
static pid_t spawn_writer(const char *path, const char *text)
{
    pid_t pid = ipct_fork();
    if (pid == 0) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        IPCT_CHILD_CHECK(fd >= 0);
        size_t len = strlen(text);
        IPCT_CHILD_CHECK(write(fd, text, len) == (ssize_t)len);
        IPCT_CHILD_CHECK(close(fd) == 0);
        _exit(0);
    }
    return pid;
}

Test(session, returns_what_was_written)
{
    char path[256], buf[64] = {0};
    fresh_fifo(path, sizeof path, "ses");
    pid_t pid = spawn_writer(path, "hello fifo");
    ssize_t n = fifo_read_session(path, buf, sizeof buf);
    if (n < 0)
        ipct_stop_child(pid);
    cr_assert_eq(n, 10, "expected 10 bytes, got %zd (%s)", n, strerror(errno));
    cr_assert_eq(memcmp(buf, "hello fifo", 10), 0);
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0, "the writer failed");
    unlink(path);
}

Test(session, closes_its_fd)
{
    char path[256], buf[64];
    fresh_fifo(path, sizeof path, "sfd");
    pid_t pid = spawn_writer(path, "abc");
    int saved = close_stdin(); /* the session's fd is 0: still an fd to close */
    struct fd_watch fw;
    fds_before(&fw);
    ssize_t n = fifo_read_session(path, buf, sizeof buf);
    int err = fds_after(&fw);
    restore_stdin(saved);
    if (n < 0)
        ipct_stop_child(pid);
    cr_assert_eq(n, 3, "got %zd (%s), with stdin closed (the FIFO's fd is 0)", n,
                 strerror(err));
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0);
    cr_assert_eq(fw.leaked, 0, "fd left open: %s", fw.desc);
    unlink(path);
}

Test(session, open_errors_are_returned)
{
    char path[256], buf[16];
    fifo_path(path, sizeof path, "nosession");
    errno = 0;
    ssize_t n = fifo_read_session(path, buf, sizeof buf);
    cr_assert_eq(n, -1, "no FIFO at the path: expected -1, got %zd", n);
    cr_assert_eq(errno, ENOENT, "errno should be ENOENT (from open), got %s",
                 strerror(errno));
    errno = 0;
    cr_assert_eq(fifo_read_session(NULL, buf, sizeof buf), -1);
    cr_assert_eq(errno, EINVAL, "NULL path: errno should be EINVAL, got %s",
                 strerror(errno));
}

Test(session, reopens_for_next_session)
{
    /* A reopen-on-EOF server: one session per writer, one after the other. */
    char path[256];
    fresh_fifo(path, sizeof path, "reo");
    const char *texts[] = {"first", "second", "third"};
    for (int i = 0; i < 3; i++) {
        char buf[32] = {0};
        pid_t pid = spawn_writer(path, texts[i]);
        ssize_t n = fifo_read_session(path, buf, sizeof buf);
        if (n < 0)
            ipct_stop_child(pid);
        cr_assert_eq(n, (ssize_t)strlen(texts[i]), "session %d: got %zd (%s)", i, n,
                     strerror(errno));
        cr_assert_str_eq(buf, texts[i]);
        cr_assert_eq(ipct_wait_exit(pid, 5000), 0);
    }
    unlink(path);
}

Test(session, extra_bytes_are_drained)
{
    char path[256], buf[4];
    fresh_fifo(path, sizeof path, "cap");
    static char big[100000]; /* more than the pipe holds: the writer must wait */
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    pid_t pid = spawn_writer(path, big); /* fails if the reader stops early */
    ssize_t n = fifo_read_session(path, buf, sizeof buf);
    if (n < 0)
        ipct_stop_child(pid);
    cr_assert_eq(n, 4, "cap is 4: expected 4 bytes, got %zd (%s)", n, strerror(errno));
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0,
                 "the writer failed: read to EOF, discarding bytes past cap");
    errno = 0;
    cr_assert_eq(fifo_read_session(path, NULL, 5), -1);
    cr_assert_eq(errno, EINVAL, "NULL buf: errno should be EINVAL, got %s",
                 strerror(errno));
    unlink(path);
}

/*
 * The first blocking read fails with EINTR and every second read moves at most
 * 1 byte (the shim, in this process only: the writer is the test's own code).
 */
Test(session, survives_eintr_and_short_reads)
{
    char path[256], buf[64] = {0};
    fresh_fifo(path, sizeof path, "sfault");
    ipct_fault_fail("read readv", 1, EINTR);
    ipct_fault_short("read readv", 2, 1);
    pid_t pid = spawn_writer(path, "interrupted, then cut short");
    ssize_t n = fifo_read_session(path, buf, sizeof buf);
    if (n < 0)
        ipct_stop_child(pid);
    cr_assert_eq(n, 27,
                 "expected 27 bytes, got %zd (%s): a read that fails with EINTR or "
                 "returns fewer bytes is not the end of the session",
                 n, n < 0 ? strerror(errno) : "no error");
    cr_assert_str_eq(buf, "interrupted, then cut short");
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0, "the writer failed");
    unlink(path);
}

/* A reader: fifo_read_session; the answer is what the session read. */
static void read_session(const char *path, int ans)
{
    char buf[64];
    ssize_t n = fifo_read_session(path, buf, sizeof buf);
    send_answer(ans, n, buf, n > 0 ? (size_t)n : 0);
}

Test(session, waits_for_first_writer)
{
    struct answer a;
    bool got = write_to_waiting_reader(
        "wfw", read_session, "late",
        "the session did not wait in open(2) for its first writer", &a);
    cr_assert(got && a.ret == 4, "expected the 4 bytes of the late writer");
}

Test(session, eof_only_after_last_writer)
{
    char path[256];
    fresh_fifo(path, sizeof path, "eof");
    int ans;
    pid_t pid = spawn_answering(path, read_session, &ans);
    int w1 = writer_when_ready(path, pid, 5000);
    if (w1 < 0)
        give_up(pid, ans, "the session never opened the FIFO for reading");
    int w2 = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    cr_assert_geq(w2, 0);
    cr_assert_eq(write(w1, "one,", 4), 4);
    close(w1);
    /* Wait until the reader took "one," and sleeps in read(2) again. */
    int queued = 1;
    for (long end = ipct_now_ms() + 5000; queued > 0 && ipct_now_ms() < end;) {
        cr_assert_eq(ioctl(w2, FIONREAD, &queued), 0);
        if (queued > 0)
            ipct_pause_ms(1);
    }
    bool still_reading = ipct_blocked_in(pid, SYS_read, 5000);
    if (still_reading)
        cr_assert_eq(write(w2, "two", 3), 3);
    close(w2);
    struct answer a;
    bool got = finish_child(pid, ans, &a);
    cr_assert(still_reading, "the session ended while a writer still had the FIFO open");
    cr_assert(got && a.ret == 7, "expected \"one,two\" (7 bytes), got %ld",
              got ? a.ret : -1);
    cr_assert_eq(memcmp(a.data, "one,two", 7), 0);
    unlink(path);
}

/* ---- log_write --------------------------------------------------------- */

Test(log_write, sends_one_line)
{
    char path[256], buf[64] = {0};
    int rfd = fifo_with_reader(path, sizeof path, "lw");
    int saved = close_stdin(); /* the FIFO's fd is 0 */
    struct fd_watch fw;
    fds_before(&fw);
    int r = log_write(path, "started\n", false);
    int err = fds_after(&fw);
    restore_stdin(saved);
    cr_assert_eq(r, 0, "log_write failed (%s), with stdin closed (the FIFO's fd is 0)",
                 strerror(err));
    cr_assert_eq(fw.leaked, 0, "fd left open: %s", fw.desc);
    cr_assert_eq(read(rfd, buf, sizeof buf), 8);
    cr_assert_str_eq(buf, "started\n");
    close(rfd);
    unlink(path);
}

static long log_nowait(const char *path)
{
    return log_write(path, "anyone?\n", false);
}

Test(log_write, no_logger_is_enxio)
{
    expect_enxio("nolog", log_nowait,
                 "no logger: log_write(wait=false) must fail, not hang or succeed");
}

/* A writer that waits for its logger: the answer is what log_write returned. */
static void write_patiently(const char *path, int ans)
{
    int r = log_write(path, "patient\n", true);
    send_answer(ans, r, NULL, 0);
}

Test(log_write, waits_for_logger)
{
    char path[256];
    fresh_fifo(path, sizeof path, "wlog");
    int ans;
    pid_t pid = spawn_answering(path, write_patiently, &ans);
    if (!ipct_blocked_in(pid, SYS_openat, 5000))
        give_up(pid, ans, "log_write(wait=true) did not wait in open(2) for the logger");
    int rfd = open(path, O_RDONLY | O_CLOEXEC);
    cr_assert_geq(rfd, 0);
    char buf[64] = {0};
    ssize_t n = ipct_drain(rfd, buf, sizeof buf - 1, 5000);
    close(rfd);
    struct answer a;
    bool got = finish_child(pid, ans, &a);
    cr_assert(got && a.ret == 0, "log_write failed");
    cr_assert_eq(n, 8);
    cr_assert_str_eq(buf, "patient\n");
    unlink(path);
}

Test(log_write, not_one_line_is_einval)
{
    char path[256];
    int rfd = fifo_with_reader(path, sizeof path, "inv");
    const char *bad[] = {"no newline", "two\nlines\n", ""};
    for (int i = 0; i < 3; i++) {
        errno = 0;
        cr_assert_eq(log_write(path, bad[i], false), -1, "\"%s\" is not one line",
                     bad[i]);
        cr_assert_eq(errno, EINVAL, "errno should be EINVAL, got %s", strerror(errno));
    }
    errno = 0;
    cr_assert_eq(log_write(NULL, "x\n", false), -1);
    cr_assert_eq(errno, EINVAL);
    int queued = -1;
    cr_assert_eq(ioctl(rfd, FIONREAD, &queued), 0);
    cr_assert_eq(queued, 0, "nothing may be written for a rejected line");
    close(rfd);
    unlink(path);
}

Test(log_write, longest_line_is_pipe_buf)
{
    char path[256];
    int rfd = fifo_with_reader(path, sizeof path, "long");
    static char line[PIPE_BUF + 2];
    memset(line, 'L', PIPE_BUF);
    line[PIPE_BUF - 1] = '\n'; /* exactly PIPE_BUF bytes: accepted */
    cr_assert_eq(log_write(path, line, false), 0, "a PIPE_BUF line is valid: %s",
                 strerror(errno));
    static char got[PIPE_BUF + 2];
    cr_assert_eq(read(rfd, got, sizeof got), PIPE_BUF);
    line[PIPE_BUF - 1] = 'L';
    line[PIPE_BUF] = '\n'; /* PIPE_BUF + 1 bytes: too long to be atomic */
    errno = 0;
    cr_assert_eq(log_write(path, line, false), -1);
    cr_assert_eq(errno, EMSGSIZE, "errno should be EMSGSIZE, got %s", strerror(errno));
    close(rfd);
    unlink(path);
}

Test(log_write, missing_fifo_is_enoent)
{
    char path[256];
    fifo_path(path, sizeof path, "gone");
    errno = 0;
    cr_assert_eq(log_write(path, "x\n", false), -1);
    cr_assert_eq(errno, ENOENT, "errno should be ENOENT, got %s", strerror(errno));
}

/*
 * The logger goes away between log_write's open and its write: the shim makes
 * that write fail with EPIPE (it raises no SIGPIPE: only the error is tested).
 */
Test(log_write, vanished_logger_is_epipe)
{
    char path[256];
    int rfd = fifo_with_reader(path, sizeof path, "epipe");
    int saved = close_stdin(); /* the FIFO's fd is 0: close it on failure too */
    struct fd_watch fw;
    fds_before(&fw);
    ipct_fault_fail("write writev", 1, EPIPE);
    errno = 0;
    int r = log_write(path, "nobody reads this\n", false);
    int err = fds_after(&fw);
    restore_stdin(saved);
    cr_assert_eq(r, -1, "the test made the write fail with EPIPE: log_write must fail");
    cr_assert_eq(err, EPIPE, "the write failed with EPIPE, log_write reported %s",
                 strerror(err));
    cr_assert_eq(fw.leaked, 0,
                 "fd left open (stdin was closed, so the FIFO's fd was 0): %s", fw.desc);
    close(rfd);
    unlink(path);
}

/* Fill the FIFO that wfd writes to until not one more byte fits (wfd: O_NONBLOCK). */
static void fill_fifo(int wfd)
{
    static const char block[4096];
    while (write(wfd, block, sizeof block) > 0)
        ;
    while (write(wfd, block, 1) > 0)
        ;
    cr_assert_eq(errno, EAGAIN, "filling the FIFO: %s", strerror(errno));
}

/* What the child of blocked_write_gets_epipe saw. */
struct epipe_report {
    int ret, err;
    bool mask_kept;    /* the signal mask after log_write is the one before */
    bool pipe_pending; /* SIGPIPE is pending after log_write */
    bool usr2_pending; /* the SIGUSR2 pending before is still pending */
};

/*
 * The logger is there when log_write opens the FIFO, but its FIFO is full,
 * so the write blocks; then the logger leaves: the write fails with EPIPE
 * and the kernel sends SIGPIPE, whose default action kills. The caller
 * blocks SIGUSR2 and has one pending: it must stay blocked and pending. The
 * first write is interrupted as well (EINTR, injected): it is retried.
 */
Test(log_write, blocked_write_gets_epipe)
{
    char path[256];
    int rfd = fifo_with_reader(path, sizeof path, "bepipe");
    int wfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    cr_assert_geq(wfd, 0, "open '%s' for writing: %s", path, strerror(errno));
    fill_fifo(wfd);
    close(wfd);
    int ans;
    ipct_fault_fail("write writev", 1, EINTR);
    pid_t pid = ipct_fork_answering(&ans);
    if (pid == 0) {
        close(rfd); /* the test's reader is the logger's only one */
        sigset_t usr2, before, after, pending;
        sigemptyset(&usr2);
        sigaddset(&usr2, SIGUSR2);
        IPCT_CHILD_CHECK(sigprocmask(SIG_BLOCK, &usr2, NULL) == 0);
        IPCT_CHILD_CHECK(sigprocmask(SIG_BLOCK, NULL, &before) == 0);
        raise(SIGUSR2);
        struct epipe_report rep = {0};
        rep.ret = log_write(path, "too late\n", false);
        rep.err = errno;
        IPCT_CHILD_CHECK(sigprocmask(SIG_BLOCK, NULL, &after) == 0);
        IPCT_CHILD_CHECK(sigpending(&pending) == 0);
        rep.mask_kept = true;
        for (int sig = 1; sig < NSIG; sig++)
            if (sigismember(&before, sig) != sigismember(&after, sig))
                rep.mask_kept = false;
        rep.pipe_pending = sigismember(&pending, SIGPIPE) == 1;
        rep.usr2_pending = sigismember(&pending, SIGUSR2) == 1;
        IPCT_CHILD_CHECK(write(ans, &rep, sizeof rep) == (ssize_t)sizeof rep);
        _exit(0);
    }
    ipct_fault_clear();
    bool blocked = ipct_blocked_in(pid, SYS_write, 5000);
    close(rfd); /* the logger leaves: the blocked write fails with EPIPE */
    struct epipe_report rep;
    bool got = ipct_readable_within(ans, 5000) &&
               read(ans, &rep, sizeof rep) == (ssize_t)sizeof rep;
    close(ans);
    int status = 0;
    cr_assert_eq(ipct_wait(pid, &status, 5000), 0);
    unlink(path);
    cr_assert_not(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE,
                  "the caller was killed by SIGPIPE: block it around the write, and "
                  "consume the one the write raised before unblocking");
    cr_assert_not(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR2,
                  "the caller was killed by the SIGUSR2 it had blocked: add SIGPIPE to "
                  "the mask (SIG_BLOCK), never replace the mask");
    cr_assert(got, "the caller died (status %#x) before log_write returned", status);
    cr_assert(blocked,
              "log_write returned %d (%s) before its write blocked on the full FIFO: "
              "the test made the first write fail with EINTR, which must be retried",
              rep.ret, strerror(rep.err));
    cr_assert_eq(rep.ret, -1, "the logger left during the write: log_write must fail");
    cr_assert_eq(rep.err, EPIPE, "the write failed with EPIPE, log_write reported %s",
                 strerror(rep.err));
    cr_assert(rep.mask_kept, "log_write changed the caller's signal mask");
    cr_assert_not(rep.pipe_pending, "the SIGPIPE of the failed write is left pending: "
                                    "consume it (sigtimedwait) before unblocking");
    cr_assert(rep.usr2_pending, "the caller's pending SIGUSR2 was lost");
}

/* ---- log_serve --------------------------------------------------------- */

struct logger {
    char path[256]; /* the service FIFO */
    char out[256];  /* the log file it copies lines to */
    pid_t pid;      /* the log_serve child */
    int ans;        /* its answer pipe */
    int ctl;        /* our own writer: rendezvous done, sends the shutdown */
};

/* Run log_serve in a child, copying to out (closed here once the child has it). */
static void start_logger_to(struct logger *lg, bool precreate, int out)
{
    fifo_path(lg->path, sizeof lg->path, "logger");
    if (precreate)
        make_fifo(lg->path);
    int ans;
    lg->pid = ipct_fork_answering(&ans);
    if (lg->pid == 0) {
        long r = log_serve(lg->path, out);
        send_answer(ans, r, NULL, 0);
        _exit(0);
    }
    close(out);
    lg->ans = ans;
    lg->ctl = service_writer(lg->path, lg->pid, ans, "log_serve");
}

/* Run log_serve in a child, copying to the file lg->out. */
static void start_logger(struct logger *lg, bool precreate)
{
    fifo_path(lg->out, sizeof lg->out, "log.txt");
    int out = open(lg->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert_geq(out, 0);
    start_logger_to(lg, precreate, out);
}

/* Send the shutdown line; return log_serve's result. */
static long stop_logger(struct logger *lg)
{
    size_t len = strlen(LOG_SHUTDOWN);
    cr_assert_eq(write(lg->ctl, LOG_SHUTDOWN, len), (ssize_t)len);
    return service_result(lg->pid, lg->ans, lg->ctl,
                          "log_serve did not stop at the shutdown line");
}

static char *read_log(const struct logger *lg, size_t *len)
{
    int fd = open(lg->out, O_RDONLY | O_CLOEXEC);
    cr_assert_geq(fd, 0);
    struct stat st;
    cr_assert_eq(fstat(fd, &st), 0);
    char *buf = malloc((size_t)st.st_size + 1);
    cr_assert_not_null(buf);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        cr_assert_gt(n, 0);
        got += (size_t)n;
    }
    buf[got] = '\0';
    close(fd);
    *len = got;
    return buf;
}

/* Stop the logger and check it counted lines and wrote exactly text. */
static void assert_logged(struct logger *lg, long lines, const char *text)
{
    long n = stop_logger(lg);
    cr_assert_eq(n, lines, "%ld lines were sent, log_serve counted %ld", lines, n);
    size_t len;
    char *log = read_log(lg, &len);
    cr_assert_str_eq(log, text);
    free(log);
}

Test(log_serve, copies_lines_and_counts)
{
    struct logger lg;
    start_logger(&lg, true);
    cr_assert_eq(log_write(lg.path, "alpha\n", false), 0, "%s", strerror(errno));
    cr_assert_eq(log_write(lg.path, "beta\n", false), 0, "%s", strerror(errno));
    assert_logged(&lg, 2, "alpha\nbeta\n");
}

Test(log_serve, splits_and_joins_reads)
{
    /* One write may hold several lines, and a line may come in pieces. */
    struct logger lg;
    start_logger(&lg, true);
    cr_assert_eq(write(lg.ctl, "a\nb\nhal", 7), 7);
    cr_assert_eq(write(lg.ctl, "f line\n", 7), 7);
    assert_logged(&lg, 3, "a\nb\nhalf line\n");
}

Test(log_serve, survives_writers_leaving)
{
    /* Keep-alive: after the last writer leaves, new writers still get in. */
    struct logger lg;
    start_logger(&lg, true);
    for (int i = 0; i < 5; i++) {
        pid_t w = ipct_fork();
        if (w == 0) {
            char line[32];
            snprintf(line, sizeof line, "writer %d\n", i);
            _exit(log_write(lg.path, line, false) == 0 ? 0 : 1);
        }
        cr_assert_eq(ipct_wait_exit(w, 5000), 0, "writer %d got an error (ENXIO?)", i);
    }
    close(lg.ctl); /* no writer at all is left but the service itself */
    /* The service must still be waiting for lines, not gone after an EOF. */
    bool alive = ipct_blocked_in(lg.pid, SYS_read, 5000);
    lg.ctl = alive ? open(lg.path, O_WRONLY | O_NONBLOCK | O_CLOEXEC) : -1;
    int err = alive ? errno : EPIPE;
    if (lg.ctl < 0)
        give_up(lg.pid, lg.ans, "after every writer left, opening a writer failed: %s",
                strerror(err));
    long n = stop_logger(&lg);
    cr_assert_eq(n, 5, "expected 5 lines, got %ld", n);
}

/* The line number seq of writer w: variable length, up to PIPE_BUF bytes. */
static size_t make_line(char *buf, int w, int seq)
{
    size_t len = 16 + (size_t)((w * 977 + seq * 131) % (PIPE_BUF - 16));
    if (seq % 7 == 0)
        len = PIPE_BUF;
    int head = snprintf(buf, len, "w%02d n%04d ", w, seq);
    for (size_t i = (size_t)head; i < len - 1; i++)
        buf[i] = (char)('a' + (w + seq) % 26);
    buf[len - 1] = '\n';
    buf[len] = '\0';
    return len;
}

/* What each writer of many_writers_no_torn_lines writes, and where. */
struct writer_load {
    const char *path; /* the service FIFO */
    int per;          /* lines per writer */
};

/* Writer w (a child): per lines from make_line, each with one log_write. */
static void write_lines(int w, void *arg)
{
    const struct writer_load *load = arg;
    static char line[PIPE_BUF + 1];
    for (int s = 0; s < load->per; s++) {
        make_line(line, w, s);
        IPCT_CHILD_CHECK(log_write(load->path, line, false) == 0);
    }
}

Test(log_serve, many_writers_no_torn_lines, .timeout = 30)
{
    struct logger lg;
    start_logger(&lg, true);
    int writers = ipct_under_valgrind() ? 3 : 8;
    int per = ipct_under_valgrind() ? 8 : 60;
    struct writer_load load = {lg.path, per};
    int failed = ipct_fork_all(writers, write_lines, &load, 20000);
    cr_assert_eq(failed, 0, "%d of %d writers failed", failed, writers);
    long n = stop_logger(&lg);
    cr_assert_eq(n, (long)writers * per, "expected %d lines, log_serve counted %ld",
                 writers * per, n);
    size_t len;
    char *log = read_log(&lg, &len);
    int next[8] = {0};
    static char want[PIPE_BUF + 1];
    char *p = log;
    long lines = 0;
    while (p < log + len) {
        char *nl = memchr(p, '\n', (size_t)(log + len - p));
        cr_assert_not_null(nl, "the log ends in the middle of a line");
        int w = -1, s = -1;
        cr_assert_eq(sscanf(p, "w%d n%d ", &w, &s), 2, "line %ld is torn", lines);
        cr_assert(w >= 0 && w < writers && s == next[w],
                  "line %ld: writer %d line %d out of order or repeated", lines, w, s);
        size_t wl = make_line(want, w, s);
        cr_assert((size_t)(nl - p + 1) == wl && memcmp(p, want, wl) == 0,
                  "line %ld (writer %d, #%d) is torn or mixed with another", lines, w, s);
        next[w]++;
        lines++;
        p = nl + 1;
    }
    free(log);
    cr_assert_eq(lines, (long)writers * per, "lines were lost");
}

/*
 * out_fd is a stream socket, where a write may move fewer bytes than asked:
 * the shim cuts every second write of the logger to 1 byte.
 */
Test(log_serve, completes_short_writes)
{
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ipct_fault_fail("write writev send", 1, EINTR);
    ipct_fault_short("write writev send", 2, 1);
    struct logger lg;
    start_logger_to(&lg, true, sv[1]);
    static char line[PIPE_BUF + 1], want[6 * (PIPE_BUF + 1)];
    size_t wantlen = 0;
    for (int i = 0; i < 6; i++) {
        size_t len = make_line(line, 1, i);
        cr_assert_eq(write(lg.ctl, line, len), (ssize_t)len);
        memcpy(want + wantlen, line, len);
        wantlen += len;
    }
    long n = stop_logger(&lg);
    cr_assert_eq(n, 6,
                 "6 lines were sent, log_serve counted %ld (%s): the first write to "
                 "out_fd was interrupted (EINTR), every second one cut to 1 byte",
                 n, n < 0 ? strerror(errno) : "no error");
    static char got[sizeof want + 1];
    size_t gotlen = 0;
    ssize_t r;
    while ((r = read(sv[0], got + gotlen, sizeof got - gotlen)) > 0)
        gotlen += (size_t)r;
    close(sv[0]);
    cr_assert(gotlen == wantlen && memcmp(got, want, wantlen) == 0,
              "out_fd received %zu bytes of %zu, or different ones: a write that "
              "moves fewer bytes than asked must be continued with the rest, one "
              "interrupted (EINTR) retried",
              gotlen, wantlen);
}

/* A service under test, run in this process on the FIFO at path. */
typedef long service_fn(const char *path);

/*
 * With a regular file (not a FIFO) at path, the service fn (named name)
 * must fail with EEXIST and leave the file as it was. The file is removed.
 */
static void expect_file_left_alone(const char *path, service_fn *fn, const char *name)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0, "create '%s': %s", path, strerror(errno));
    close(fd);
    errno = 0;
    long r = fn(path);
    int err = errno;
    struct stat st;
    bool left = lstat(path, &st) == 0 && S_ISREG(st.st_mode);
    unlink(path);
    cr_assert_eq(r, -1, "a regular file is at the path: %s must fail, got %ld", name, r);
    cr_assert_eq(err, EEXIST, "errno should be EEXIST, got %s", strerror(err));
    cr_assert(left, "the regular file at the path was removed or changed");
}

/* log_serve copying to stdout (fd 1). */
static long serve_log_to_stdout(const char *path)
{
    return log_serve(path, 1);
}

/*
 * log_serve fails in this process: a write to out_fd fails with ENOSPC (the
 * disk is full; injected), or path is a regular file. The line waits in the
 * FIFO, which the test holds open with O_RDWR.
 */
Test(log_serve, failure_cleans_up)
{
    char path[256], out[256];
    int keep = held_fifo(path, sizeof path, "lfail");
    cr_assert_eq(write(keep, "lost\n", 5), 5);
    fifo_path(out, sizeof out, "lfail.txt");
    int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert_geq(ofd, 0);
    struct fd_watch fw;
    fds_before(&fw);
    ipct_fault_fail("write writev", 1, ENOSPC);
    errno = 0;
    long r = log_serve(path, ofd);
    fds_after(&fw);
    struct stat st;
    bool left = lstat(path, &st) == 0;
    close(ofd);
    close(keep);
    unlink(out);
    unlink(path);
    assert_failed_cleanly("log_serve", "writing the line to out_fd", ENOSPC, r, &fw, left,
                          "the FIFO");

    /* Opening the FIFO fails (EMFILE: out of fds; injected): unlinked as well. */
    make_fifo(path);
    ipct_fault_clear();
    ipct_fault_fail("open", 1, EMFILE);
    errno = 0;
    r = log_serve(path, 0); /* out_fd 0 is an fd like any other: not EINVAL */
    int err = errno;
    left = lstat(path, &st) == 0;
    unlink(path);
    ipct_fault_clear();
    cr_assert_eq(r, -1,
                 "opening the FIFO failed with EMFILE (injected), yet log_serve "
                 "returned %ld",
                 r);
    cr_assert_eq(err, EMFILE, "the open failed with EMFILE, errno is %s", strerror(err));
    cr_assert_not(left, "the FIFO was not unlinked after its open failed");

    /* Something that is not a FIFO at path: EEXIST, and the file is left alone. */
    expect_file_left_alone(path, serve_log_to_stdout, "log_serve");
}

/*
 * One log_serve of a line and the shutdown line, in this process, with the
 * first `call` of its code failing with EIO (injected). Returns what it
 * returned, its errno in *err, whether the FIFO is still there in *left, and
 * whether the fault hit in *hit. The FIFO is removed.
 */
static long serve_with_failing(const char *call, int *err, bool *left, bool *hit)
{
    char path[256];
    int keep = held_fifo(path, sizeof path, "lend");
    const char *text = "one\n" LOG_SHUTDOWN;
    cr_assert_eq(write(keep, text, strlen(text)), (ssize_t)strlen(text));
    int out = open("/dev/null", O_WRONLY | O_CLOEXEC);
    cr_assert_geq(out, 0);
    int hits = ipct_faults_count();
    ipct_fault_fail(call, 1, EIO);
    errno = 0;
    long r = log_serve(path, out);
    *err = errno;
    ipct_fault_clear();
    *hit = ipct_faults_count() > hits;
    struct stat st;
    *left = lstat(path, &st) == 0;
    close(out);
    close(keep);
    unlink(path);
    return r;
}

/*
 * The service's last steps can fail too: closing the FIFO's fd (EIO; Linux
 * frees the fd all the same) or unlinking the FIFO (EIO). Either is a failed
 * call: log_serve returns -1 with its errno, and after a failed close the
 * FIFO is still unlinked.
 */
Test(log_serve, failed_end_is_reported)
{
    int err;
    bool left, hit;
    long r = serve_with_failing("close", &err, &left, &hit);
    cr_assert(hit, "log_serve never closed the FIFO's fd (the test failed its close)");
    cr_assert(r == -1 && err == EIO,
              "closing the FIFO's fd failed with EIO (injected), yet log_serve returned "
              "%ld (%s): a failed call makes it -1 with that errno",
              r, strerror(err));
    cr_assert_not(left, "the FIFO was not unlinked after its close failed");

    r = serve_with_failing("unlink", &err, &left, &hit);
    cr_assert(hit, "log_serve never unlinked the FIFO (the test failed its unlink)");
    cr_assert(r == -1 && err == EIO,
              "unlinking the FIFO failed with EIO (injected), yet log_serve returned "
              "%ld (%s): a failed call makes it -1 with that errno",
              r, strerror(err));
}

/*
 * log_serve runs in this process, where a forgotten fd stays visible: the
 * test holds the FIFO open with O_RDWR and has put two lines and the
 * shutdown line in it before the call.
 */
Test(log_serve, closes_its_fd)
{
    char path[256], out[256];
    int keep = held_fifo(path, sizeof path, "lfd");
    const char *text = "one\ntwo\n" LOG_SHUTDOWN;
    cr_assert_eq(write(keep, text, strlen(text)), (ssize_t)strlen(text));
    fifo_path(out, sizeof out, "lfd.txt");
    int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert_geq(ofd, 0);
    int saved = close_stdin(); /* the FIFO's fd is 0 */
    struct fd_watch fw;
    fds_before(&fw);
    long r = log_serve(path, ofd);
    int err = fds_after(&fw);
    restore_stdin(saved);
    bool out_open = ipct_fd_is_open(ofd);
    close(ofd);
    close(keep);
    unlink(out);
    unlink(path);
    cr_assert_eq(r, 2,
                 "2 lines then the shutdown line: expected 2, got %ld (%s), with stdin "
                 "closed (the FIFO's fd is 0)",
                 r, strerror(err));
    cr_assert_eq(fw.leaked, 0, "fd left open by log_serve: %s", fw.desc);
    cr_assert(out_open, "out_fd was closed: it belongs to the caller");
}

Test(log_serve, unlinks_fifo_on_shutdown)
{
    struct logger lg;
    start_logger(&lg, true);
    long n = stop_logger(&lg);
    cr_assert_eq(n, 0, "no line was logged, got %ld (%s)", n, strerror(errno));
    struct stat st;
    cr_assert_eq(lstat(lg.path, &st), -1, "the FIFO is still there after shutdown");
    cr_assert_eq(errno, ENOENT);
}

Test(log_serve, creates_missing_fifo)
{
    struct logger lg;
    start_logger(&lg, false);
    cr_assert_eq(log_write(lg.path, "made it\n", false), 0, "%s", strerror(errno));
    cr_assert_eq(stop_logger(&lg), 1);
    errno = 0;
    cr_assert_eq(log_serve(NULL, 1), -1);
    cr_assert_eq(errno, EINVAL, "NULL path: errno should be EINVAL, got %s",
                 strerror(errno));
}

/* ---- rpc_call / rpc_serve ---------------------------------------------- */

struct server {
    char path[256];
    pid_t pid;
    int ans;
    int ctl;
};

static void start_server(struct server *sv)
{
    fresh_fifo(sv->path, sizeof sv->path, "srv");
    int ans;
    sv->pid = ipct_fork_answering(&ans);
    if (sv->pid == 0) {
        long r = rpc_serve(sv->path);
        send_answer(ans, r, NULL, 0);
        _exit(0);
    }
    sv->ans = ans;
    sv->ctl = service_writer(sv->path, sv->pid, ans, "rpc_serve");
}

/* rpc_call(sv's FIFO, value) with a fresh reply path; the result in *result. */
static int call_server(const struct server *sv, long value, long *result)
{
    char reply[256];
    fifo_path(reply, sizeof reply, "reply");
    return rpc_call(sv->path, reply, value, result);
}

static long stop_server(struct server *sv)
{
    struct rpc_request req = {.op = RPC_SHUTDOWN, .pid = getpid()};
    cr_assert_eq(write(sv->ctl, &req, sizeof req), (ssize_t)sizeof req);
    return service_result(sv->pid, sv->ans, sv->ctl,
                          "rpc_serve did not stop at RPC_SHUTDOWN");
}

Test(rpc, one_call_gets_the_square)
{
    struct server sv;
    start_server(&sv);
    long result = 0;
    int r = call_server(&sv, 12, &result);
    int err = errno;
    long served = stop_server(&sv);
    cr_assert_eq(r, 0, "rpc_call failed: %s", strerror(err));
    cr_assert_eq(result, 144);
    cr_assert_eq(served, 1, "rpc_serve should count 1 answer, got %ld", served);
}

Test(rpc, reply_fifo_is_removed)
{
    struct server sv;
    start_server(&sv);
    char reply[256];
    fifo_path(reply, sizeof reply, "reply");
    int saved = close_stdin(); /* the FIFOs' fds are 0 */
    struct fd_watch fw;
    fds_before(&fw);
    long result = 0;
    int r = rpc_call(sv.path, reply, 3, &result);
    int err = fds_after(&fw);
    restore_stdin(saved);
    struct stat st;
    bool exists = lstat(reply, &st) == 0;
    stop_server(&sv);
    cr_assert_eq(r, 0, "rpc_call failed (%s), with stdin closed (the FIFOs' fds are 0)",
                 strerror(err));
    cr_assert_not(exists, "the reply FIFO was not unlinked");
    cr_assert_eq(fw.leaked, 0, "fd left open: %s", fw.desc);
}

/* What each client of clients_get_their_own_answers asks, and whom. */
struct client_load {
    const char *path; /* the server's FIFO */
    int calls;        /* calls per client */
};

/* Client c (a child): calls squares of values no other client sends, on its own reply
 * FIFO. */
static void rpc_client(int c, void *arg)
{
    const struct client_load *load = arg;
    char reply[256], tag[32];
    snprintf(tag, sizeof tag, "reply%d", c);
    fifo_path(reply, sizeof reply, tag);
    for (int i = 0; i < load->calls; i++) {
        long v = 1000L * (c + 1) + i, result = -1;
        IPCT_CHILD_CHECK(rpc_call(load->path, reply, v, &result) == 0);
        IPCT_CHILD_CHECK(result == v * v);
    }
}

Test(rpc, clients_get_their_own_answers, .timeout = 30)
{
    struct server sv;
    start_server(&sv);
    int clients = ipct_under_valgrind() ? 3 : 6;
    struct client_load load = {sv.path, ipct_under_valgrind() ? 4 : 40};
    int bad = ipct_fork_all(clients, rpc_client, &load, 25000);
    int calls = load.calls;
    long served = stop_server(&sv);
    cr_assert_eq(bad, 0, "%d clients got an error or someone else's answer", bad);
    cr_assert_eq(served, (long)clients * calls, "expected %d answers, got %ld",
                 clients * calls, served);
}

Test(rpc, no_server_is_enxio)
{
    char path[256], reply[256];
    fifo_path(path, sizeof path, "srv");
    fifo_path(reply, sizeof reply, "reply");
    make_fifo(path);
    struct ipct_fdset before;
    ipct_fd_snapshot(&before);
    long result;
    errno = 0;
    cr_assert_eq(rpc_call(path, reply, 2, &result), -1, "no server: rpc_call must fail");
    cr_assert_eq(errno, ENXIO, "errno should be ENXIO, got %s", strerror(errno));
    struct stat st;
    cr_assert_neq(lstat(reply, &st), 0, "the reply FIFO was left behind");
    char desc[256];
    cr_assert_eq(ipct_fds_leaked(&before, desc, sizeof desc), 0, "fd left open: %s",
                 desc);
    unlink(path);
}

Test(rpc, existing_reply_path_is_eexist)
{
    char path[256], reply[256];
    fifo_path(path, sizeof path, "srv");
    fifo_path(reply, sizeof reply, "taken");
    int fd = open(reply, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0);
    close(fd);
    long result;
    errno = 0;
    cr_assert_eq(rpc_call(path, reply, 2, &result), -1);
    cr_assert_eq(errno, EEXIST, "errno should be EEXIST, got %s", strerror(errno));
    struct stat st;
    cr_assert_eq(lstat(reply, &st), 0, "someone else's file at reply_path was removed");
    unlink(reply);
    errno = 0;
    cr_assert_eq(rpc_call(path, NULL, 2, &result), -1);
    cr_assert_eq(errno, EINVAL, "NULL reply_path: errno should be EINVAL, got %s",
                 strerror(errno));
    /* RPC_PATH_MAX characters leave no room for the NUL in the request. */
    char toolong[RPC_PATH_MAX + 1];
    memset(toolong, 'r', RPC_PATH_MAX);
    toolong[RPC_PATH_MAX] = '\0';
    errno = 0;
    cr_assert_eq(rpc_call(path, toolong, 2, &result), -1);
    cr_assert_eq(errno, EINVAL,
                 "a reply_path of RPC_PATH_MAX characters does not fit the request with "
                 "its NUL: errno should be EINVAL, got %s",
                 strerror(errno));
}

Test(rpc, server_skips_a_vanished_client)
{
    struct server sv;
    start_server(&sv);
    struct rpc_request ghost = {.op = RPC_SQUARE, .pid = 1, .value = 5};
    fifo_path(ghost.reply_path, sizeof ghost.reply_path, "ghost");
    cr_assert_eq(write(sv.ctl, &ghost, sizeof ghost), (ssize_t)sizeof ghost);
    long result = 0;
    int r = call_server(&sv, 7, &result);
    int err = errno;
    long served = stop_server(&sv);
    cr_assert_eq(r, 0, "the server stopped serving after a vanished client: %s",
                 strerror(err));
    cr_assert_eq(result, 49);
    cr_assert_eq(served, 1, "only one request was answered, got %ld", served);
}

/*
 * The test stands in for the server: a fresh server FIFO at path (tag), held
 * open by the test (returned: rpc_call's open does not wait, its request
 * waits there), and a fresh reply path in reply (rpc_call makes that FIFO).
 * Both buffers hold len bytes.
 */
static int held_server(char *path, char *reply, size_t len, const char *tag)
{
    int keep = held_fifo(path, len, tag);
    fifo_path(reply, len, "reply");
    return keep;
}

/*
 * A fake server (a child of the test) reads a request from the server FIFO,
 * which the test holds open, and answers with reply: a short one, or one
 * addressed to another pid.
 */
static pid_t fake_server(int keep, const void *reply, size_t len, bool wrong_pid)
{
    pid_t pid = ipct_fork();
    if (pid == 0) {
        struct rpc_request req;
        IPCT_CHILD_CHECK(read(keep, &req, sizeof req) == (ssize_t)sizeof req);
        struct rpc_reply rep;
        memset(&rep, 0, sizeof rep); /* no uninitialised padding on the wire */
        rep.pid = req.pid + (wrong_pid ? 1 : 0);
        rep.result = 1;
        int fd = open(req.reply_path, O_WRONLY | O_CLOEXEC);
        IPCT_CHILD_CHECK(fd >= 0);
        if (len > 0)
            IPCT_CHILD_CHECK(write(fd, reply != NULL ? reply : (const void *)&rep, len) ==
                             (ssize_t)len);
        close(fd);
        _exit(0);
    }
    return pid;
}

Test(rpc, bad_reply_is_eio)
{
    char path[256], reply[256];
    int keep = held_server(path, reply, sizeof path, "fake");
    struct ipct_fdset before;
    ipct_fd_snapshot(&before);
    const char *whats[] = {"a reply of 4 bytes, then end of file",
                           "no reply at all, only end of file",
                           "a whole reply addressed to another pid"};
    for (int round = 0; round < 3; round++) {
        const char *what = whats[round];
        pid_t srv = round == 0 ? fake_server(keep, "half", 4, false)
                    : round == 1
                        ? fake_server(keep, "", 0, false)
                        : fake_server(keep, NULL, sizeof(struct rpc_reply), true);
        long result = -7;
        errno = 0;
        int r = rpc_call(path, reply, 3, &result);
        int err = errno;
        if (r != -1 || err != EIO)
            ipct_stop_child(srv);
        else
            cr_assert_eq(ipct_wait_exit(srv, 5000), 0, "the fake server failed");
        cr_assert_eq(r, -1, "the server sent %s, yet rpc_call returned %d (result %ld)",
                     what, r, result);
        cr_assert_eq(err, EIO, "the server sent %s: errno should be EIO, got %s", what,
                     strerror(err));
        struct stat st;
        cr_assert_neq(lstat(reply, &st), 0, "the reply FIFO was left behind after %s",
                      what);
        char desc[256];
        cr_assert_eq(ipct_fds_leaked(&before, desc, sizeof desc), 0,
                     "fd left open after %s: %s", what, desc);
    }
    close(keep);
    unlink(path);
}

/*
 * The request cannot be sent: the write to the server FIFO fails with EPIPE
 * (the server left after the open; injected). The test holds the server FIFO
 * open, so the open itself succeeds.
 */
Test(rpc, failed_request_cleans_up)
{
    char path[256], reply[256];
    int keep = held_server(path, reply, sizeof path, "reqfail");
    struct fd_watch fw;
    fds_before(&fw);
    ipct_fault_fail("write writev", 1, EPIPE);
    long result = -7;
    errno = 0;
    int r = rpc_call(path, reply, 3, &result);
    fds_after(&fw);
    struct stat st;
    bool left = lstat(reply, &st) == 0;
    close(keep);
    unlink(path);
    unlink(reply);
    assert_failed_cleanly("rpc_call", "the request's write", EPIPE, r, &fw, left,
                          "the reply FIFO");
}

/*
 * rpc_serve fails in this process: opening a client's reply FIFO fails with
 * EMFILE (out of fds; injected on the server's second open, the first being
 * its own FIFO's). The request waits in the FIFO, which the test holds open.
 */
Test(rpc, server_failure_cleans_up)
{
    char path[256];
    int keep = held_fifo(path, sizeof path, "sfail");
    struct rpc_request req = {.op = RPC_SQUARE, .pid = getpid(), .value = 4};
    fresh_fifo(req.reply_path, sizeof req.reply_path, "reply");
    cr_assert_eq(write(keep, &req, sizeof req), (ssize_t)sizeof req);
    struct fd_watch fw;
    fds_before(&fw);
    ipct_fault_fail("open", 2, EMFILE);
    errno = 0;
    long r = rpc_serve(path);
    fds_after(&fw);
    struct stat st;
    bool left = lstat(path, &st) == 0;
    close(keep);
    unlink(path);
    unlink(req.reply_path);
    assert_failed_cleanly("rpc_serve", "opening the reply FIFO", EMFILE, r, &fw, left,
                          "the server FIFO");

    /* A regular file at path (EEXIST: left alone), and no path at all (EINVAL). */
    ipct_fault_clear();
    expect_file_left_alone(path, rpc_serve, "rpc_serve");
    errno = 0;
    cr_assert_eq(rpc_serve(NULL), -1);
    cr_assert_eq(errno, EINVAL, "NULL path: errno should be EINVAL, got %s",
                 strerror(errno));
}

/*
 * rpc_serve in this process, where its fds stay visible: a request whose
 * client is gone (no reply FIFO: skipped), one answered (the test holds the
 * reply FIFO open with O_RDWR, so the server's open does not wait), then
 * RPC_SHUTDOWN, all in the FIFO before the call.
 */
Test(rpc, server_closes_its_fds)
{
    char path[256];
    int keep = held_fifo(path, sizeof path, "sfd");
    struct rpc_request req[3] = {{.op = RPC_SQUARE, .pid = 1, .value = 2},
                                 {.op = RPC_SQUARE, .pid = getpid(), .value = 9},
                                 {.op = RPC_SHUTDOWN, .pid = getpid()}};
    fifo_path(req[0].reply_path, sizeof req[0].reply_path, "gone");
    fifo_path(req[1].reply_path, sizeof req[1].reply_path, "here");
    make_fifo(req[1].reply_path);
    int rfd = open(req[1].reply_path, O_RDWR | O_CLOEXEC);
    cr_assert_geq(rfd, 0);
    cr_assert_eq(write(keep, req, sizeof req), (ssize_t)sizeof req);
    int saved = close_stdin(); /* the server FIFO's fd is 0 */
    struct fd_watch fw;
    fds_before(&fw);
    long r = rpc_serve(path);
    int err = fds_after(&fw);
    restore_stdin(saved);
    struct rpc_reply rep = {0};
    bool answered = ipct_readable_within(rfd, 0) &&
                    read(rfd, &rep, sizeof rep) == (ssize_t)sizeof rep;
    close(rfd);
    close(keep);
    unlink(req[1].reply_path);
    unlink(path);
    cr_assert_eq(r, 1,
                 "one of the two requests could be answered: expected 1, got %ld (%s), "
                 "with stdin closed (the server FIFO's fd is 0)",
                 r, strerror(err));
    cr_assert(answered && rep.pid == getpid() && rep.result == 81,
              "the answer to 9 * 9 is missing or wrong");
    cr_assert_eq(fw.leaked, 0, "fd left open by rpc_serve: %s", fw.desc);
}

Test(rpc, server_unlinks_on_shutdown)
{
    struct server sv;
    start_server(&sv);
    long served = stop_server(&sv);
    cr_assert_eq(served, 0, "expected 0 answers, got %ld (%s)", served, strerror(errno));
    struct stat st;
    cr_assert_neq(lstat(sv.path, &st), 0, "the server FIFO is still there");
}
