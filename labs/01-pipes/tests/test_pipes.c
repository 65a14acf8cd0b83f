/* test_pipes.c - Criterion tests for lab 01 (pipes). */
#include "ipclab_shim.h"
#include "ipclab_test.h"
#include "pipes.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long a test waits for something that should take milliseconds. */
#define DEADLINE_MS 6000

/* ===================================================================== */
/*  Helpers                                                              */
/* ===================================================================== */

static void make_pipe(int fds[2])
{
    cr_assert_eq(pipe2(fds, O_CLOEXEC), 0, "pipe2: %s", strerror(errno));
}

/* Bytes waiting in a pipe (FIONREAD), -1 on error. */
static int pipe_bytes(int fd)
{
    int n;
    return ioctl(fd, FIONREAD, &n) < 0 ? -1 : n;
}

/* A recognisable byte pattern: byte i of a stream is pattern_at(i). */
static char pattern_at(size_t i)
{
    return (char)('a' + (i * 7 + i / 251) % 26);
}

static void fill_pattern(char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = pattern_at(i);
}

/* Offset of the first byte that breaks the pattern, or len if none does. */
static size_t pattern_mismatch(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && buf[i] == pattern_at(i))
        i++;
    return i;
}

/* The state letter of /proc/PID/stat: R running, S sleeping, Z zombie... */
static char proc_state(pid_t pid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return '?';
    ssize_t n = read(fd, line, sizeof line - 1);
    close(fd);
    if (n <= 0)
        return '?';
    line[n] = '\0';
    const char *p = strrchr(line, ')'); /* the command name may hold spaces */
    return p != NULL && p[1] == ' ' ? p[2] : '?';
}

/*
 * wait_asleep - wait until pid sleeps in a system call while the pipe behind
 * fd holds exactly `bytes` bytes: a writer blocked on a full pipe, or a
 * reader blocked on an empty one. Polls /proc (no guessing with sleep).
 * Returns false if pid ended or DEADLINE_MS passed first.
 */
static bool wait_asleep(pid_t pid, int fd, int bytes)
{
    long long deadline = ipct_now_ms() + DEADLINE_MS;
    long delay_ns = 50000;
    for (;;) {
        char state = proc_state(pid);
        if (state == 'Z' || state == 'X' || state == '?')
            return false;
        if (state == 'S' && pipe_bytes(fd) == bytes)
            return true;
        if (ipct_now_ms() > deadline)
            return false;
        struct timespec pause = {0, delay_ns};
        nanosleep(&pause, NULL);
        if (delay_ns < 2000000)
            delay_ns *= 2;
    }
}

/* In a child: SIGUSR1 handler (no SA_RESTART) that writes '!' to ack_fd. */
static int ack_fd = -1;

static void ack_signal(int sig)
{
    (void)sig;
    int saved = errno;
    ssize_t r = write(ack_fd, "!", 1);
    (void)r;
    errno = saved;
}

/* $begin eintr_handler */
/* Install handler for sig WITHOUT SA_RESTART: blocking calls fail with EINTR. */
static int catch_without_restart(int sig, void (*handler)(int))
{
    struct sigaction sa = {.sa_handler = handler};
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART */
    return sigaction(sig, &sa, NULL);
}
/* $end eintr_handler */

/*
 * In a forked child that runs the function under test while the test signals
 * it: close the test's ends (test_end, one end of the data pipe, and ack[0])
 * and catch SIGUSR1 without SA_RESTART, each signal acknowledged on ack[1].
 */
static void child_catches_usr1(int test_end, const int ack[2])
{
    close(test_end);
    close(ack[0]);
    ack_fd = ack[1];
    IPCT_CHILD_CHECK(catch_without_restart(SIGUSR1, ack_signal) == 0);
}

/* Send SIGUSR1 to pid and wait until its handler has run (it writes to ack). */
static bool signal_and_wait_ack(pid_t pid, int ack)
{
    if (kill(pid, SIGUSR1) < 0 || !ipct_readable_within(ack, DEADLINE_MS))
        return false;
    char c;
    return read(ack, &c, 1) == 1;
}

/* Fill the pipe behind wfd without blocking (test-side, independent of fill_pipe). */
static size_t stuff_pipe(int wfd)
{
    int flags = fcntl(wfd, F_GETFL);
    cr_assert_eq(fcntl(wfd, F_SETFL, flags | O_NONBLOCK), 0);
    static const char page[4096];
    size_t total = 0;
    ssize_t n;
    while ((n = write(wfd, page, sizeof page)) > 0)
        total += (size_t)n;
    cr_assert_eq(errno, EAGAIN);
    cr_assert_eq(fcntl(wfd, F_SETFL, flags), 0);
    return total;
}

/* ===================================================================== */
/*  io: write_all and read_all                                           */
/* ===================================================================== */

TestSuite(io, .timeout = 10);

Test(io, write_all_writes_everything)
{
    int fds[2];
    make_pipe(fds);
    size_t len = 1 << 20; /* 16 times the pipe: the writer blocks many times */
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(fds[1]);
        char *got = malloc(len + 1);
        IPCT_CHILD_CHECK(got != NULL);
        size_t total = 0;
        ssize_t n;
        while ((n = read(fds[0], got + total, len + 1 - total)) > 0)
            total += (size_t)n;
        IPCT_CHILD_CHECK(total == len);
        IPCT_CHILD_CHECK(pattern_mismatch(got, len) == len);
        free(got);
        _exit(0);
    }
    close(fds[0]);
    char *buf = malloc(len);
    cr_assert_not_null(buf);
    fill_pattern(buf, len);
    ssize_t n = write_all(fds[1], buf, len);
    int err = errno;
    free(buf);
    close(fds[1]);
    int code = ipct_wait_exit(pid, DEADLINE_MS);
    cr_assert_eq(n, (ssize_t)len, "write_all returned %zd (%s), expected %zu", n,
                 strerror(err), len);
    cr_assert_eq(code, 0, "the reader did not get exactly the bytes written");
}

/*
 * The writer (a child running write_all) fills the pipe and blocks; we send
 * it `signals` signals, each while it sleeps in write(2), then read it all.
 * The first interrupts a write that has already moved a pipe-full: a short
 * write. The second interrupts a write that has moved nothing: EINTR.
 */
static void interrupted_writer(int signals)
{
    int data[2], ack[2];
    make_pipe(data);
    make_pipe(ack);
    int cap = fcntl(data[0], F_GETPIPE_SZ);
    cr_assert_gt(cap, 0);
    size_t len = 4 * (size_t)cap;
    pid_t pid = ipct_fork();
    if (pid == 0) {
        child_catches_usr1(data[0], ack);
        char *buf = malloc(len);
        IPCT_CHILD_CHECK(buf != NULL);
        fill_pattern(buf, len);
        ssize_t n = write_all(data[1], buf, len);
        free(buf);
        if (n != (ssize_t)len)
            dprintf(STDERR_FILENO, "write_all returned %zd (%s)\n", n, strerror(errno));
        _exit(n == (ssize_t)len ? 0 : 1);
    }
    close(data[1]);
    close(ack[1]);
    int sent = 0;
    while (sent < signals && wait_asleep(pid, data[0], cap) &&
           signal_and_wait_ack(pid, ack[0]))
        sent++;
    char *got = malloc(len + 1);
    cr_assert_not_null(got);
    ssize_t n = ipct_drain(data[0], got, len + 1, DEADLINE_MS);
    int code = ipct_wait_exit(pid, DEADLINE_MS);
    close(data[0]);
    close(ack[0]);
    size_t bad = n > 0 ? pattern_mismatch(got, (size_t)n) : 0;
    free(got);
    cr_assert_eq(code, 0,
                 "write_all gave up after signal %d of %d: a short write means "
                 "'send the rest', EINTR means 'try again'",
                 sent, signals);
    cr_assert_eq(sent, signals, "the writer never blocked on the full pipe");
    cr_assert_eq(n, (ssize_t)len, "the reader got %zd bytes, expected %zu", n, len);
    cr_assert_eq(bad, len, "byte %zu differs from what was written", bad);
}

Test(io, write_all_resumes_after_short_write)
{
    interrupted_writer(1);
}

Test(io, write_all_retries_on_eintr)
{
    interrupted_writer(3);
}

Test(io, write_all_epipe_when_sigpipe_ignored)
{
    int fds[2];
    make_pipe(fds);
    close(fds[0]);
    cr_assert_neq(signal(SIGPIPE, SIG_IGN), SIG_ERR);
    errno = 0;
    ssize_t n = write_all(fds[1], "hello", 5);
    int err = errno;
    close(fds[1]);
    cr_assert_eq(n, -1, "writing to a pipe without readers must fail");
    cr_assert_eq(err, EPIPE, "errno should be EPIPE, got %s", strerror(err));
}

Test(io, write_all_killed_by_sigpipe_by_default)
{
    int fds[2];
    make_pipe(fds);
    close(fds[0]);
    pid_t pid = ipct_fork(); /* SIGPIPE at its default action in the child */
    if (pid == 0) {
        /* Survived: exit with write_all's errno, so the message names what it did. */
        _exit(write_all(fds[1], "hello", 5) < 0 ? errno & 0xff : 0);
    }
    close(fds[1]);
    int status;
    cr_assert_eq(ipct_wait(pid, &status, DEADLINE_MS), 0);
    cr_assert(!WIFEXITED(status) || WEXITSTATUS(status) == 0,
              "the writer survived: write_all returned -1 (%s), but writing to a "
              "pipe with no reader should have killed it with SIGPIPE",
              strerror(WEXITSTATUS(status)));
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE,
              "the writer should die of SIGPIPE, status %#x: leave SIGPIPE alone",
              status);
}

Test(io, read_all_stops_at_eof)
{
    int fds[2];
    make_pipe(fds);
    cr_assert_eq(write(fds[1], "0123456789", 10), 10);
    close(fds[1]); /* the only writer is gone: after the data comes EOF */
    char buf[64];
    ssize_t n = read_all(fds[0], buf, sizeof buf);
    cr_assert_eq(n, 10, "expected the 10 bytes before EOF, got %zd (%s)", n,
                 strerror(errno));
    cr_assert_eq(memcmp(buf, "0123456789", 10), 0);
    cr_assert_eq(read_all(fds[0], buf, sizeof buf), 0, "at EOF, read_all returns 0");
    cr_assert_eq(read_all(fds[0], buf, 0), 0);
    close(fds[0]);
}

/*
 * The reader (a child running read_all for 200 bytes) is fed in two halves;
 * each time it is asleep on the empty pipe, optionally signalled first.
 */
static void interrupted_reader(bool with_signals)
{
    int data[2], ack[2];
    make_pipe(data);
    make_pipe(ack);
    char msg[200];
    fill_pattern(msg, sizeof msg);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        child_catches_usr1(data[1], ack);
        char buf[sizeof msg];
        ssize_t n = read_all(data[0], buf, sizeof buf);
        if (n != (ssize_t)sizeof buf)
            dprintf(STDERR_FILENO, "read_all returned %zd (%s)\n", n, strerror(errno));
        IPCT_CHILD_CHECK(n == (ssize_t)sizeof buf);
        IPCT_CHILD_CHECK(memcmp(buf, msg, sizeof msg) == 0);
        _exit(0);
    }
    close(data[0]);
    close(ack[1]);
    bool ok = true;
    for (int half = 0; half < 2 && ok; half++) {
        ok = wait_asleep(pid, data[1], 0);
        if (ok && with_signals)
            ok = signal_and_wait_ack(pid, ack[0]) && wait_asleep(pid, data[1], 0);
        if (ok)
            ok = write(data[1], msg + half * 100, 100) == 100;
    }
    close(data[1]);
    close(ack[0]);
    int code = ipct_wait_exit(pid, DEADLINE_MS);
    cr_assert_eq(code, 0, "read_all returned early: %s",
                 with_signals ? "EINTR means 'try again'"
                              : "keep reading until len or EOF");
    cr_assert(ok, "the reader never blocked on the empty pipe");
}

Test(io, read_all_collects_short_reads)
{
    interrupted_reader(false);
}

Test(io, read_all_retries_on_eintr)
{
    interrupted_reader(true);
}

Test(io, bad_fd_is_ebadf)
{
    char buf[4];
    IPCT_ASSERT_FAILS(EBADF, write_all(-1, "x", 1),
                      "write_all: write_all(-1, \"x\", 1) must fail with EBADF");
    IPCT_ASSERT_FAILS(EBADF, read_all(-1, buf, sizeof buf),
                      "read_all: read_all(-1, buf, sizeof buf) must fail with EBADF");
    int fds[2];
    make_pipe(fds);
    cr_assert_eq(write_all(fds[1], buf, 0), 0, "writing 0 bytes is a success");
    close(fds[0]);
    close(fds[1]);
}

/* ===================================================================== */
/*  capacity: pipe_set_capacity and fill_pipe                            */
/* ===================================================================== */

TestSuite(capacity, .timeout = 10);

Test(capacity, default_pipe_holds_64k)
{
    int fds[2];
    make_pipe(fds);
    cr_assert_eq(fcntl(fds[0], F_GETPIPE_SZ), 65536, "a new pipe holds 64 KiB on Linux");
    ssize_t n = fill_pipe(fds[1]);
    int err = errno;
    int held = pipe_bytes(fds[0]);
    close(fds[0]);
    close(fds[1]);
    cr_assert_eq(n, 65536, "fill_pipe returned %zd (%s), expected 65536", n,
                 strerror(err));
    cr_assert_eq(held, 65536, "the pipe holds %d bytes, fill_pipe said %zd", held, n);
}

Test(capacity, full_pipe_returns_zero)
{
    int fds[2];
    make_pipe(fds);
    stuff_pipe(fds[1]);
    errno = 0;
    ssize_t n = fill_pipe(fds[1]);
    int err = errno;
    close(fds[0]);
    close(fds[1]);
    cr_assert_eq(n, 0, "a full pipe takes nothing more: expected 0, got %zd (%s)", n,
                 strerror(err));
}

Test(capacity, fill_restores_fd_flags)
{
    int fds[2];
    make_pipe(fds);
    int before = fcntl(fds[1], F_GETFL);
    cr_assert_gt(fill_pipe(fds[1]), 0);
    int after = fcntl(fds[1], F_GETFL);
    cr_assert_eq(after, before, "flags were %#o, now %#o: restore them (O_NONBLOCK?)",
                 before, after);
    /* A caller that wanted O_NONBLOCK keeps it. */
    cr_assert_eq(fcntl(fds[1], F_SETFL, before | O_NONBLOCK), 0);
    char page[4096];
    cr_assert_eq(read(fds[0], page, sizeof page), (ssize_t)sizeof page);
    cr_assert_eq(fill_pipe(fds[1]), (ssize_t)sizeof page);
    after = fcntl(fds[1], F_GETFL);
    close(fds[0]);
    close(fds[1]);
    cr_assert(after & O_NONBLOCK, "the caller's O_NONBLOCK was cleared");
}

Test(capacity, full_pipe_blocks_the_writer)
{
    int fds[2];
    make_pipe(fds);
    int cap = fcntl(fds[0], F_GETPIPE_SZ);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(fds[0]);
        IPCT_CHILD_CHECK(fill_pipe(fds[1]) == cap);
        /* Back in blocking mode: this write waits for room instead of EAGAIN. */
        IPCT_CHILD_CHECK(write(fds[1], "!", 1) == 1);
        _exit(0);
    }
    close(fds[1]);
    bool blocked = wait_asleep(pid, fds[0], cap);
    char *buf = malloc((size_t)cap + 2);
    cr_assert_not_null(buf);
    ssize_t n = ipct_drain(fds[0], buf, (size_t)cap + 2, DEADLINE_MS);
    bool bang = n == cap + 1 && buf[cap] == '!';
    free(buf);
    close(fds[0]);
    int code = ipct_wait_exit(pid, DEADLINE_MS);
    cr_assert(blocked,
              "the writer should sleep on a full pipe (is wfd still O_NONBLOCK?)");
    cr_assert_eq(code, 0, "the writer failed (exit code %d)", code);
    cr_assert(bang, "expected %d filler bytes then '!', got %zd bytes", cap, n);
}

Test(capacity, fill_read_end_is_ebadf)
{
    int fds[2];
    make_pipe(fds);
    int before = fcntl(fds[0], F_GETFL);
    errno = 0;
    ssize_t n = fill_pipe(fds[0]);
    int err = errno;
    int after = fcntl(fds[0], F_GETFL);
    close(fds[0]);
    close(fds[1]);
    cr_assert_eq(n, -1);
    cr_assert_eq(err, EBADF, "errno should be EBADF, got %s", strerror(err));
    cr_assert_eq(after, before, "the flags must be restored on failure too");
}

Test(capacity, set_capacity_rounds_up_to_pages)
{
    int fds[2];
    make_pipe(fds);
    long page = sysconf(_SC_PAGESIZE);
    int got = pipe_set_capacity(fds[1], (int)page + 1);
    int err = errno;
    int now = fcntl(fds[0], F_GETPIPE_SZ);
    ssize_t filled = fill_pipe(fds[1]);
    close(fds[0]);
    close(fds[1]);
    cr_assert_eq(got, 2 * page, "asking for %ld bytes gives 2 pages (%ld), got %d (%s)",
                 page + 1, 2 * page, got, strerror(err));
    cr_assert_eq(now, got, "F_GETPIPE_SZ says %d", now);
    cr_assert_eq(filled, (ssize_t)got, "fill_pipe wrote %zd into a %d-byte pipe", filled,
                 got);
}

Test(capacity, set_capacity_can_grow)
{
    int fds[2];
    make_pipe(fds);
    int got = pipe_set_capacity(fds[0], 256 * 1024);
    int err = errno;
    ssize_t filled = fill_pipe(fds[1]);
    close(fds[0]);
    close(fds[1]);
    cr_assert_eq(got, 256 * 1024, "got %d (%s)", got, strerror(err));
    cr_assert_eq(filled, 256 * 1024);
}

Test(capacity, bad_size_or_fd_is_error)
{
    int fds[2];
    make_pipe(fds);
    IPCT_ASSERT_FAILS(EINVAL, pipe_set_capacity(fds[1], 0), "size 0 must be refused");
    IPCT_ASSERT_FAILS(
        EINVAL, pipe_set_capacity(fds[1], -4096),
        "negative size: pipe_set_capacity(fds[1], -4096) must fail with EINVAL");
    cr_assert_eq(fcntl(fds[0], F_GETPIPE_SZ), 65536, "a refused size changed the pipe");
    close(fds[0]);
    close(fds[1]);
    int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    cr_assert_geq(null_fd, 0);
    errno = 0;
    int r = pipe_set_capacity(null_fd, 8192);
    int err = errno;
    close(null_fd);
    cr_assert_eq(r, -1, "/dev/null is not a pipe");
    cr_assert_eq(err, EBADF, "not a pipe: errno should be EBADF, got %s", strerror(err));
}

Test(capacity, shrink_below_data_is_ebusy)
{
    int fds[2];
    make_pipe(fds);
    static const char page[4096];
    for (int i = 0; i < 8; i++)
        cr_assert_eq(write(fds[1], page, sizeof page), (ssize_t)sizeof page);
    errno = 0;
    int r = pipe_set_capacity(fds[1], 4096);
    int err = errno;
    int held = pipe_bytes(fds[0]);
    int cap = fcntl(fds[0], F_GETPIPE_SZ);
    int fit = pipe_set_capacity(fds[1], 8 * 4096); /* exactly what it holds: fine */
    close(fds[0]);
    close(fds[1]);
    cr_assert_eq(r, -1, "32 KiB of data cannot fit in one page");
    cr_assert_eq(err, EBUSY, "errno should be EBUSY, got %s", strerror(err));
    cr_assert_eq(held, 8 * 4096, "the data must survive a refused resize");
    cr_assert_eq(cap, 65536, "the capacity must not change on failure");
    cr_assert_eq(fit, 8 * 4096, "shrinking to exactly the data held is allowed");
}

/*
 * Every fcntl(2) fill_pipe makes fails in turn (the shim injects EINVAL into
 * the 1st, then the 2nd, ...): whichever it is, fill_pipe must report it as
 * -1 with fcntl's errno, never as a count of bytes.
 */
Test(capacity, fcntl_failure_is_reported)
{
    int nth;
    for (nth = 1; nth <= 8; nth++) {
        int fds[2];
        make_pipe(fds);
        int hits = ipct_faults_count();
        ipct_fault_fail("fcntl", nth, EINVAL);
        errno = 0;
        ssize_t n = fill_pipe(fds[1]);
        int err = errno;
        ipct_fault_clear();
        close(fds[0]);
        close(fds[1]);
        if (ipct_faults_count() == hits)
            break; /* fill_pipe makes fewer than nth fcntl calls: all were tried */
        cr_assert_eq(n, -1, "fcntl #%d failed with EINVAL, yet fill_pipe returned %zd",
                     nth, n);
        cr_assert_eq(err, EINVAL, "fcntl #%d failed with EINVAL, errno is %s", nth,
                     strerror(err));
    }
    cr_assert_gt(nth, 1,
                 "fill_pipe made no fcntl call: F_GETFL, then F_SETFL with O_NONBLOCK");
}

/* In a child: drop CAP_SYS_RESOURCE from the effective set (root or not). */
static bool drop_cap_sys_resource(void)
{
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &hdr, data) < 0)
        return false;
    data[CAP_SYS_RESOURCE / 32].effective &= ~(1u << (CAP_SYS_RESOURCE % 32));
    return syscall(SYS_capset, &hdr, data) == 0;
}

Test(capacity, above_max_unprivileged_is_eperm)
{
    FILE *f = fopen("/proc/sys/fs/pipe-max-size", "re");
    cr_assert_not_null(f);
    long max = 0;
    cr_assert_eq(fscanf(f, "%ld", &max), 1);
    fclose(f);
    cr_assert(max > 0 && max < INT_MAX / 2);
    int fds[2];
    make_pipe(fds);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        IPCT_CHILD_CHECK(drop_cap_sys_resource());
        errno = 0;
        int r = pipe_set_capacity(fds[1], (int)max + 1);
        if (r != -1 || errno != EPERM)
            dprintf(STDERR_FILENO, "pipe_set_capacity(%ld) = %d (%s)\n", max + 1, r,
                    strerror(errno));
        IPCT_CHILD_CHECK(r == -1 && errno == EPERM);
        _exit(0);
    }
    close(fds[0]);
    close(fds[1]);
    cr_assert_eq(ipct_wait_exit(pid, DEADLINE_MS), 0,
                 "above pipe-max-size (%ld) without CAP_SYS_RESOURCE: expect -1/EPERM",
                 max);
}

/* ===================================================================== */
/*  record: write_record                                                 */
/* ===================================================================== */

TestSuite(record, .timeout = 10);

Test(record, many_writers_never_tear_lines)
{
    int writers = ipct_under_valgrind() ? 4 : 8;
    int lines = ipct_under_valgrind() ? 25 : 200;
    int data[2], gate[2];
    make_pipe(data);
    make_pipe(gate);
    pid_t pids[8];
    for (int w = 0; w < writers; w++) {
        pids[w] = ipct_fork();
        if (pids[w] == 0) {
            close(data[0]);
            close(gate[1]);
            char c;
            IPCT_CHILD_CHECK(read(gate[0], &c, 1) == 0); /* all start together */
            char line[PIPE_BUF];
            memset(line, 'A' + w, sizeof line - 1);
            line[sizeof line - 1] = '\n';
            for (int i = 0; i < lines; i++)
                IPCT_CHILD_CHECK(write_record(data[1], line, sizeof line) == PIPE_BUF);
            _exit(0);
        }
    }
    close(data[1]);
    close(gate[0]);
    close(gate[1]); /* EOF on the gate: go */

    int count[8] = {0}, torn = 0, letter = -1;
    size_t len = 0;
    bool eof = false;
    char buf[65536];
    while (ipct_readable_within(data[0], DEADLINE_MS)) {
        ssize_t n = read(data[0], buf, sizeof buf);
        if (n <= 0) {
            eof = n == 0;
            break;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                if (letter >= 0 && letter < writers && len == PIPE_BUF - 1)
                    count[letter]++;
                else
                    torn++;
                letter = -1;
                len = 0;
                continue;
            }
            if (len == 0)
                letter = buf[i] - 'A';
            else if (buf[i] - 'A' != letter)
                letter = -2; /* bytes from two writers in one line */
            len++;
        }
    }
    close(data[0]);
    int failed = 0;
    for (int w = 0; w < writers; w++)
        if (ipct_wait_exit(pids[w], DEADLINE_MS) != 0)
            failed++;
    cr_assert(eof, "the writers never finished");
    cr_assert_eq(failed, 0, "%d writers saw write_record fail", failed);
    cr_assert_eq(torn, 0, "%d lines were torn: a record must go out in ONE write(2)",
                 torn);
    for (int w = 0; w < writers; w++)
        cr_assert_eq(count[w], lines, "writer %c: %d whole lines, expected %d", 'A' + w,
                     count[w], lines);
}

Test(record, over_pipe_buf_is_emsgsize)
{
    int fds[2];
    make_pipe(fds);
    char rec[PIPE_BUF + 1];
    memset(rec, 'r', sizeof rec);
    errno = 0;
    ssize_t r = write_record(fds[1], rec, PIPE_BUF + 1);
    int err = errno;
    int held = pipe_bytes(fds[0]);
    ssize_t ok = write_record(fds[1], rec, PIPE_BUF);
    close(fds[0]);
    close(fds[1]);
    cr_assert_eq(r, -1, "PIPE_BUF + 1 bytes cannot be written atomically");
    cr_assert_eq(err, EMSGSIZE, "errno should be EMSGSIZE, got %s", strerror(err));
    cr_assert_eq(held, 0, "nothing may be written when the record is refused");
    cr_assert_eq(ok, PIPE_BUF, "exactly PIPE_BUF bytes is allowed");
}

Test(record, empty_or_null_is_einval)
{
    int fds[2];
    make_pipe(fds);
    IPCT_ASSERT_FAILS(EINVAL, write_record(fds[1], "x", 0),
                      "len 0: write_record(fds[1], \"x\", 0) must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, write_record(fds[1], NULL, 4),
                      "NULL: write_record(fds[1], NULL, 4) must fail with EINVAL");
    close(fds[0]);
    close(fds[1]);
}

Test(record, retries_on_eintr)
{
    int data[2], ack[2];
    make_pipe(data);
    make_pipe(ack);
    size_t filler = stuff_pipe(data[1]); /* the record must wait for room */
    char rec[100];
    memset(rec, 'R', sizeof rec);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        child_catches_usr1(data[0], ack);
        ssize_t n = write_record(data[1], rec, sizeof rec);
        if (n != (ssize_t)sizeof rec)
            dprintf(STDERR_FILENO, "write_record returned %zd (%s)\n", n,
                    strerror(errno));
        _exit(n == (ssize_t)sizeof rec ? 0 : 1);
    }
    close(data[1]);
    close(ack[1]);
    bool signalled = wait_asleep(pid, data[0], (int)filler) &&
                     signal_and_wait_ack(pid, ack[0]) &&
                     wait_asleep(pid, data[0], (int)filler);
    size_t cap = filler + sizeof rec + 1;
    char *got = malloc(cap);
    cr_assert_not_null(got);
    ssize_t n = ipct_drain(data[0], got, cap, DEADLINE_MS);
    bool whole =
        n == (ssize_t)(filler + sizeof rec) && memcmp(got + filler, rec, sizeof rec) == 0;
    free(got);
    close(data[0]);
    close(ack[0]);
    int code = ipct_wait_exit(pid, DEADLINE_MS);
    cr_assert_eq(code, 0, "write_record gave up on EINTR: retry the write");
    cr_assert(signalled, "the writer never blocked on the full pipe");
    cr_assert(whole, "the record did not arrive whole after the filler (%zd bytes)", n);
}

/* ===================================================================== */
/*  Running the function under test in a child, with a deadline          */
/* ===================================================================== */

/*
 * capture_output, filter_through and run_pipeline wait for something: a
 * leaked write end makes them wait forever. So they run in a child that
 * reports back through a pipe, and the test gives up after DEADLINE_MS
 * with an explanation instead of a bare timeout.
 */
#define JOB_OUT_MAX (1100 * 1024)

struct outcome {
    long rc;        /* what the function returned */
    int err;        /* errno right after it returned */
    int status;     /* the wait status it reported */
    int leaked;     /* fds open after the call that were not open before */
    int children;   /* children (running or zombie) left after the call */
    int extra;      /* job-specific check, 1 = fine */
    int other;      /* pipeline: an unrelated child was left alone, 1 = fine */
    long heap_kept; /* heap blocks the call allocated and still held (ipct_heap_blocks) */
    char leaks[256]; /* which fds leaked */
    size_t outlen;   /* bytes of output following this header */
};

typedef void (*job_fn)(const void *arg, struct outcome *o, char *out, size_t cap);

/* The last job's output, JOB_OUT_MAX + 1 bytes: in run_job's report, after its
 * header. */
static char *job_out;

/* Set while a test makes the wait fail: the job reaps what it could not. */
static bool job_reaps_leftovers;

/* assert_left_nothing - the job's call to fn left no fd open and no child unreaped. */
static void assert_left_nothing(const struct outcome *o, const char *fn)
{
    cr_assert_eq(o->leaked, 0, "fds left open by %s: %s", fn, o->leaks);
    cr_assert_eq(o->children, 0, "children left unreaped by %s (zombies)", fn);
}

/* assert_closed_once - no close(2) of the function under test hit a closed fd. */
static void assert_closed_once(const char *fn, const char *when)
{
    size_t from = 0;
    struct ipct_call copy;
    const struct ipct_call *c;
    while ((c = ipct_calls_next("close", 0, &from, &copy)) != NULL)
        cr_assert(c->ret != -1 || c->err != EBADF,
                  "%s: %s closed fd %ld, which was not open: closed twice? (a second "
                  "close can close an fd another thread just opened)",
                  when, fn, c->arg[0]);
}

static struct outcome run_job(const char *what, job_fn fn, const void *arg)
{
    static char *raw; /* the report: struct outcome, then the output */
    const size_t raw_len = sizeof(struct outcome) + JOB_OUT_MAX;
    if (raw == NULL) {
        /* One buffer, not two: the output arrives where job_out points (memcheck's
         * leak check reads all of it at the exit of every process of the test). */
        raw = ipct_scratch(raw_len + 1);
        job_out = raw + sizeof(struct outcome);
    }
    int report[2];
    make_pipe(report);
    ipct_calls_record(); /* the job's close calls: each fd closed once */
    pid_t pid = ipct_fork();
    if (pid == 0) {
        setpgid(0, 0); /* its own group: a timeout kills the programs it started */
        close(report[0]);
        struct ipct_fdset before;
        ipct_fd_snapshot(&before);
        struct outcome o = {.extra = 1, .other = 1};
        long heap = ipct_heap_blocks();
        fn(arg, &o, job_out, JOB_OUT_MAX);
        o.heap_kept = ipct_heap_kept(heap);
        o.leaked = ipct_fds_leaked(&before, o.leaks, sizeof o.leaks);
        o.children = ipct_children_left();
        IPCT_CHILD_CHECK(write(report[1], &o, sizeof o) == (ssize_t)sizeof o);
        size_t off = 0;
        while (off < o.outlen) {
            ssize_t n = write(report[1], job_out + off, o.outlen - off);
            IPCT_CHILD_CHECK(n > 0);
            off += (size_t)n;
        }
        if (job_reaps_leftovers) { /* the test's own fault left a child: not a leak */
            close(report[1]);
            while (wait(NULL) > 0 || errno == EINTR)
                ;
        }
        /* The output is sent: without the buffer, memcheck's leak check at this
         * exit has 1.1 MB less to read (it holds text, never a pointer). */
        munmap(raw, raw_len + 1);
        _exit(0);
    }
    setpgid(pid, pid); /* whichever of us runs first */
    close(report[1]);
    ssize_t n = ipct_drain(report[0], raw, raw_len, DEADLINE_MS);
    close(report[0]);
    int status;
    if (n < 0) {
        kill(-pid, SIGKILL); /* the caller and every program still stuck */
        ipct_wait(pid, &status, 0);
        cr_assert_fail("%s did not return within %d s. Is a write end still open "
                       "somewhere (so a reader never sees EOF), or is it waiting "
                       "for a full pipe?",
                       what, DEADLINE_MS / 1000);
    }
    cr_assert_eq(ipct_wait(pid, &status, DEADLINE_MS), 0);
    cr_assert(!WIFSIGNALED(status), "the process calling %s was killed by signal %d (%s)",
              what, WTERMSIG(status), strsignal(WTERMSIG(status)));
    cr_assert_geq(n, (ssize_t)sizeof(struct outcome),
                  "the process calling %s exited (code %d) before it returned", what,
                  WEXITSTATUS(status));
    assert_closed_once(what, "after the call");
    struct outcome o;
    memcpy(&o, raw, sizeof o);
    cr_assert_eq((size_t)n, sizeof o + o.outlen);
    job_out[o.outlen] = '\0';
    return o;
}

static void assert_exit(int status, int code, const char *what)
{
    cr_assert(WIFEXITED(status), "%s: status %#x is not a normal exit", what, status);
    cr_assert_eq(WEXITSTATUS(status), code, "%s: exit status %d, expected %d", what,
                 WEXITSTATUS(status), code);
}

/*
 * The calls that ended in the error paths: one call the shim makes fail. A
 * function that fails must say so (-1 and that errno) and still clean up:
 * every fd it made closed, each exactly once, and every child reaped.
 */
struct fault_case {
    const char *calls; /* the shim's names for the call */
    int nth;           /* its nth call in the process calling the function */
    int error;         /* fails with this errno */
    bool keeps_child;  /* the failing call is the wait: the child cannot be reaped */
    bool keeps_extra;  /* the failing call is what the job's extra check needs */
};

/* fault - the case in which the nth call named calls fails with error. */
static struct fault_case fault(const char *calls, int nth, int error)
{
    return (struct fault_case){.calls = calls, .nth = nth, .error = error};
}

/* pipe_fault - the nth pipe2 fails with EMFILE: out of fds. */
static struct fault_case pipe_fault(int nth)
{
    return fault("pipe pipe2", nth, EMFILE);
}

/* fork_fault - the nth fork fails with EAGAIN: out of processes. */
static struct fault_case fork_fault(int nth)
{
    return fault("fork", nth, EAGAIN);
}

/* wait_fault - the nth wait fails with ECHILD: the child cannot be reaped. */
static struct fault_case wait_fault(int nth)
{
    struct fault_case c = fault("wait waitpid waitid wait4", nth, ECHILD);
    c.keeps_child = true;
    return c;
}

/*
 * run_faulted - run the job once per case with that case's failure injected
 * (in the process calling fn and the children it forks). A case whose call
 * fn never makes is skipped: another correct solution may not make it.
 */
static void run_faulted(const char *fn, job_fn job, const void *arg,
                        const struct fault_case *cases, size_t n)
{
    struct outcome plain = run_job(fn, job, arg); /* first: it works with no fault */
    cr_assert_neq(plain.rc, -1, "%s failed with no fault injected: %s", fn,
                  strerror(plain.err));
    size_t hit = 0;
    for (size_t i = 0; i < n; i++) {
        const struct fault_case *c = &cases[i];
        char when[128];
        snprintf(when, sizeof when, "when %s #%d failed with %s", c->calls, c->nth,
                 strerrorname_np(c->error));
        int hits = ipct_faults_count();
        ipct_fault_fail(c->calls, c->nth, c->error);
        job_reaps_leftovers = c->keeps_child;
        struct outcome o = run_job(fn, job, arg);
        job_reaps_leftovers = false;
        ipct_fault_clear();
        if (ipct_faults_count() == hits)
            continue;
        hit++;
        cr_assert_eq(o.rc, -1, "%s: %s returned %ld, expected -1", when, fn, o.rc);
        cr_assert_eq(o.err, c->error, "%s: errno is %s, expected %s", when,
                     strerrorname_np(o.err), strerrorname_np(c->error));
        cr_assert_eq(o.leaked, 0, "%s: fds left open by %s: %s", when, fn, o.leaks);
        cr_assert(c->keeps_child || o.children == 0,
                  "%s: %s left %d children unreaped (wait for the ones it started)", when,
                  fn, o.children);
        cr_assert(c->keeps_extra || o.extra, "%s: %s", when,
                  strcmp(fn, "filter_through") == 0
                      ? "the caller's SIGPIPE disposition was not restored"
                      : "the caller's in_fd or out_fd was closed");
        cr_assert(o.other, "%s: %s reaped a child it did not start", when, fn);
        assert_closed_once(fn, when);
    }
    cr_assert_gt(hit, 0,
                 "%s made none of the calls its contract names (pipe2, fork, ...)", fn);
}

/* ===================================================================== */
/*  capture: capture_output                                              */
/* ===================================================================== */

struct capture_job {
    char *const *argv;
    size_t cap; /* buffer size handed to capture_output */
};

static void capture_job(const void *arg, struct outcome *o, char *out, size_t cap)
{
    const struct capture_job *j = arg;
    size_t size = j->cap < cap ? j->cap : cap;
    errno = 0;
    o->rc = capture_output(j->argv, out, size, &o->status);
    o->err = errno;
    o->outlen = o->rc > 0 ? (size_t)o->rc : 0;
}

static struct outcome capture(char *const argv[], size_t cap)
{
    struct capture_job j = {argv, cap};
    struct outcome o = run_job("capture_output", capture_job, &j);
    cr_assert_geq(o.rc, 0, "capture_output failed: %s", strerror(o.err));
    return o;
}

TestSuite(capture, .timeout = 10);

/* capture_pattern - capture (into cap bytes) a program writing total bytes of a
 * 16-byte pattern: every byte must arrive, in order, and the program exit 0. */
static void capture_pattern(size_t total, size_t cap)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, "yes 0123456789abcde | head -c %zu", total);
    char *argv[] = {"sh", "-c", cmd, NULL};
    struct outcome o = capture(argv, cap);
    cr_assert_eq(o.rc, (long)total, "got %ld bytes of %zu", o.rc, total);
    for (size_t i = 0; i < total; i++)
        if (job_out[i] != "0123456789abcde\n"[i % 16])
            cr_assert_fail("byte %zu is wrong", i);
    assert_exit(o.status, 0, "the program");
}

Test(capture, captures_stdout)
{
    char *argv[] = {"echo", "hello, pipe", NULL};
    struct outcome o = capture(argv, 4096);
    cr_assert_str_eq(job_out, "hello, pipe\n");
    cr_assert_eq(o.rc, 12);
    assert_exit(o.status, 0, "echo");
}

Test(capture, reads_more_than_pipe_capacity)
{
    /* 300000 bytes: the program blocks until we read, so read before waiting. */
    capture_pattern(300000, 400000);
}

/*
 * The kernel may interrupt any blocking call and cut any read short: the shim
 * makes it happen (handouts: "Faults the tests inject"), in the process that
 * calls capture_output and its children. The first blocking read and the
 * first wait fail with EINTR, every second read moves at most 1 byte.
 */
Test(capture, survives_eintr_and_short_reads)
{
    ipct_fault_fail("read readv", 1, EINTR);
    ipct_fault_fail("wait waitpid waitid", 1, EINTR);
    ipct_fault_short("read", 2, 1);
    capture_pattern(20000, 30000);
}

Test(capture, small_buffer_truncates_but_drains)
{
    char *argv[] = {"sh", "-c", "yes 0123456789abcde | head -c 300000", NULL};
    struct outcome o = capture(argv, 16);
    cr_assert_eq(o.rc, 15, "cap 16 stores 15 bytes and a NUL, got %ld", o.rc);
    cr_assert_str_eq(job_out, "0123456789abcde");
    /* Stopping early would leave head blocked or kill it with SIGPIPE. */
    assert_exit(o.status, 0, "the program (was it cut off?)");
}

Test(capture, returns_exit_status)
{
    char *argv[] = {"sh", "-c", "printf abc; exit 3", NULL};
    struct outcome o = capture(argv, 64);
    cr_assert_str_eq(job_out, "abc");
    assert_exit(o.status, 3, "sh");
}

Test(capture, missing_program_exits_127)
{
    char *argv[] = {"ipclab-no-such-program", NULL};
    struct outcome o = capture(argv, 64);
    cr_assert_eq(o.rc, 0);
    /* Reaped first: an unreaped child's status was never stored, whatever it was. */
    cr_assert_eq(o.children, 0,
                 "the child that failed exec was not reaped: *status was never "
                 "set by waitpid");
    assert_exit(o.status, 127, "a program that cannot be executed");
}

/* $begin fd_listing */
/* The program lists its own fds: a leaked copy of the pipe shows up twice. */
static char *list_fds[] = {"sh", "-c", "ls -l /proc/$$/fd", NULL};
/* $end fd_listing */

/* How many lines of an `ls -l /proc/PID/fd` listing point at fd's target. */
static int copies_of_fd(const char *listing, int fd)
{
    char name[16];
    snprintf(name, sizeof name, " %d -> ", fd);
    const char *one = strstr(listing, name);
    if (one == NULL)
        return -1;
    char target[512];
    if (sscanf(one + strlen(name), "%511s", target) != 1)
        return -1;
    int copies = 0;
    for (const char *p = listing; (p = strstr(p, target)) != NULL; p += strlen(target))
        copies++;
    return copies;
}

/*
 * assert_only_fds_0_and_1 - in job_out, the `ls -l /proc/PID/fd` listing of
 * who (a program the function started), its input (named input in the
 * message) shows up only as fd 0 and its output (output) only as fd 1.
 */
static void assert_only_fds_0_and_1(const char *who, const char *input,
                                    const char *output)
{
    int in = copies_of_fd(job_out, 0), out = copies_of_fd(job_out, 1);
    cr_assert_eq(in, 1, "%s holds %d fds on %s (only fd 0 should):\n%s", who, in, input,
                 job_out);
    cr_assert_eq(out, 1, "%s holds %d fds on %s (only fd 1 should):\n%s", who, out,
                 output, job_out);
}

Test(capture, program_holds_only_its_stdout)
{
    struct outcome o = capture(list_fds, 4096);
    assert_exit(o.status, 0, "ls");
    int copies = copies_of_fd(job_out, 1);
    cr_assert_eq(copies, 1,
                 "the program holds %d fds on the capture pipe (only fd 1 should):\n%s",
                 copies, job_out);
}

Test(capture, parent_end_is_cloexec)
{
    /* The program looks at its parent's fds on the same pipe and their flags. */
    char *argv[] = {"sh", "-c",
                    "p=$(readlink /proc/$$/fd/1); for f in /proc/$PPID/fd/*; do "
                    "if [ \"$(readlink $f)\" = \"$p\" ]; then "
                    "grep '^flags' /proc/$PPID/fdinfo/${f##*/}; fi; done",
                    NULL};
    capture(argv, 4096);
    int lines = 0, cloexec = 0;
    for (const char *p = job_out; (p = strstr(p, "flags:")) != NULL; p++) {
        unsigned long flags = strtoul(p + 6, NULL, 8);
        lines++;
        if (flags & O_CLOEXEC)
            cloexec++;
    }
    cr_assert_gt(lines, 0, "could not find the parent's read end:\n%s", job_out);
    cr_assert_eq(cloexec, lines,
                 "the parent's end of the pipe lacks O_CLOEXEC (use pipe2):\n%s",
                 job_out);
}

Test(capture, eof_comes_when_program_exits)
{
    /* Fails by deadline, not timeout, if the parent kept the write end. */
    char *argv[] = {"true", NULL};
    struct outcome o = capture(argv, 64);
    cr_assert_eq(o.rc, 0);
    assert_exit(o.status, 0, "true");
}

Test(capture, leaves_no_fds_or_children)
{
    char *argv[] = {"echo", "x", NULL};
    struct outcome o = capture(argv, 64);
    assert_left_nothing(&o, "capture_output");
}

/*
 * The shim makes one call fail per run: pipe2, fork, the first read, the
 * wait. capture_output returns -1 with that errno, closes what it opened
 * (once each) and reaps the child it started.
 */
/* One run per case: under valgrind that takes longer than the suite allows. */
Test(capture, failed_calls_are_cleaned_up, .timeout = 60)
{
    const struct fault_case cases[] = {
        pipe_fault(1),
        fork_fault(1),
        fault("read readv", 1, EIO),
        wait_fault(1),
    };
    char *argv[] = {"echo", "x", NULL};
    struct capture_job j = {argv, 64};
    run_faulted("capture_output", capture_job, &j, cases, sizeof cases / sizeof cases[0]);
}

Test(capture, bad_arguments_are_einval)
{
    char *argv[] = {"true", NULL}, *empty[] = {NULL};
    char buf[8];
    int status;
    struct {
        char *const *argv;
        char *buf;
        size_t cap;
        int *status;
    } bad[] = {{NULL, buf, 8, &status},
               {empty, buf, 8, &status},
               {argv, NULL, 8, &status},
               {argv, buf, 0, &status},
               {argv, buf, 8, NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        IPCT_ASSERT_FAILS(
            EINVAL, capture_output(bad[i].argv, bad[i].buf, bad[i].cap, bad[i].status),
            "case %zu must fail", i);
    }
    cr_assert_eq(ipct_children_left(), 0, "nothing may start when arguments are bad");
}

/* ===================================================================== */
/*  filter: filter_through                                               */
/* ===================================================================== */

struct filter_job {
    char *const *argv;
    const char *in;
    size_t inlen;
    size_t outcap;
    void (*old)(int); /* SIGPIPE disposition to set before, expect after */
};

static void on_sigpipe(int sig)
{
    (void)sig;
}

static void filter_job(const void *arg, struct outcome *o, char *out, size_t cap)
{
    const struct filter_job *j = arg;
    size_t size = j->outcap < cap ? j->outcap : cap;
    struct sigaction sa = {.sa_handler = j->old}, now;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
    errno = 0;
    o->rc = filter_through(j->argv, j->in, j->inlen, size ? out : NULL, size, &o->status);
    o->err = errno;
    o->outlen = o->rc > 0 ? (size_t)o->rc : 0;
    o->extra = sigaction(SIGPIPE, NULL, &now) == 0 && now.sa_handler == j->old;
}

static struct outcome filter(char *const argv[], const char *in, size_t inlen,
                             size_t outcap)
{
    struct filter_job j = {argv, in, inlen, outcap, SIG_DFL};
    struct outcome o = run_job("filter_through", filter_job, &j);
    cr_assert_geq(o.rc, 0, "filter_through failed: %s", strerror(o.err));
    return o;
}

TestSuite(filter, .timeout = 10);

Test(filter, transforms_small_input)
{
    char *argv[] = {"tr", "a-z", "A-Z", NULL};
    struct outcome o = filter(argv, "hello, pipes\n", 13, 100);
    cr_assert_str_eq(job_out, "HELLO, PIPES\n");
    assert_exit(o.status, 0, "tr");
}

/*
 * cat_pattern - filter len bytes of the test pattern through cat (room for
 * one byte more in the output): all of them must come back unchanged, and
 * cat exit 0.
 */
static void cat_pattern(size_t len)
{
    char *in = malloc(len);
    cr_assert_not_null(in);
    fill_pattern(in, len);
    char *argv[] = {"cat", NULL};
    struct outcome o = filter(argv, in, len, len + 1);
    free(in);
    cr_assert_eq(o.rc, (long)len, "got %ld bytes back of %zu", o.rc, len);
    cr_assert_eq(pattern_mismatch(job_out, len), len, "the data came back changed");
    assert_exit(o.status, 0, "cat");
}

Test(filter, megabyte_each_way_does_not_deadlock)
{
    cat_pattern(1 << 20); /* far more than both pipes hold together */
}

/*
 * filter_through under the faults a kernel may cause (the shim injects them
 * in the calling process and its children): the first blocking poll, read
 * and wait fail with EINTR, and every second long write moves 1 byte.
 */
Test(filter, retries_eintr_in_poll_read_and_wait)
{
    ipct_fault_fail("poll ppoll select epoll_wait", 1, EINTR);
    ipct_fault_fail("read readv", 1, EINTR);
    ipct_fault_fail("wait waitpid waitid", 1, EINTR);
    ipct_fault_short("write", 2, 1);
    cat_pattern(200000); /* more than both pipes hold */
}

Test(filter, program_that_stops_reading)
{
    size_t len = 1 << 20;
    char *in = malloc(len);
    cr_assert_not_null(in);
    memset(in, 'z', len);
    char *argv[] = {"head", "-c", "5", NULL};
    struct outcome o = filter(argv, in, len, 100);
    free(in);
    cr_assert_str_eq(job_out, "zzzzz");
    assert_exit(o.status, 0, "head");
    cr_assert(o.extra, "the SIGPIPE disposition was not restored");
}

Test(filter, sigpipe_disposition_is_restored)
{
    char *argv[] = {"true", NULL};
    char in[200000] = {0};
    struct filter_job j = {argv, in, sizeof in, 0, on_sigpipe};
    struct outcome o = run_job("filter_through", filter_job, &j);
    cr_assert_eq(o.rc, 0, "filter_through: %s", strerror(o.err));
    cr_assert(o.extra, "the caller's SIGPIPE handler was replaced");
}

Test(filter, empty_input_means_eof)
{
    char *argv[] = {"sh", "-c", "cat; echo done", NULL};
    struct outcome o = filter(argv, NULL, 0, 100);
    cr_assert_str_eq(job_out, "done\n", "the program must see EOF on stdin at once");
    assert_exit(o.status, 0, "sh");
}

Test(filter, output_past_outcap_is_drained)
{
    char in[300000];
    memset(in, 'q', sizeof in);
    char *argv[] = {"cat", NULL};
    struct outcome o = filter(argv, in, sizeof in, 10);
    cr_assert_eq(o.rc, 10);
    cr_assert_str_eq(job_out, "qqqqqqqqqq");
    assert_exit(o.status, 0, "cat (was it cut off?)");
}

Test(filter, missing_program_exits_127)
{
    char *argv[] = {"ipclab-no-such-program", NULL};
    struct outcome o = filter(argv, "data", 4, 16);
    cr_assert_eq(o.rc, 0);
    assert_exit(o.status, 127, "a program that cannot be executed");
}

Test(filter, leaves_no_fds_or_children)
{
    char *argv[] = {"cat", NULL};
    struct outcome o = filter(argv, "abc", 3, 16);
    cr_assert_str_eq(job_out, "abc");
    assert_left_nothing(&o, "filter_through");
}

/*
 * The shim makes one call fail per run. filter_through returns -1 with that
 * errno, closes its four pipe ends (once each), reaps the program and puts
 * the caller's SIGPIPE disposition back.
 */
/* One run per case: under valgrind that takes longer than the suite allows. */
Test(filter, failed_calls_are_cleaned_up, .timeout = 60)
{
    const struct fault_case cases[] = {
        fault("sigaction", 1, EINVAL),
        pipe_fault(1),
        pipe_fault(2),
        fork_fault(1),
        fault("fcntl", 1, EINVAL),
        fault("poll ppoll select epoll_wait", 1, ENOMEM),
        fault("read readv", 1, EIO),
        fault("write writev", 1, EIO),
        wait_fault(1),
        /* The restore itself fails: the disposition cannot be what it was. */
        {"sigaction", 2, EINVAL, false, true},
    };
    char in[100000];
    memset(in, 'f', sizeof in);
    char *argv[] = {"cat", NULL};
    /* More than the pipe holds, except under valgrind (a slow copy loop). */
    size_t len = ipct_under_valgrind() ? 20000 : sizeof in;
    struct filter_job j = {argv, in, len, len, on_sigpipe};
    run_faulted("filter_through", filter_job, &j, cases, sizeof cases / sizeof cases[0]);
    /* The output ends before the input is sent: the input end is closed after the
       loop, then the wait fails. */
    const struct fault_case wait_fails[] = {wait_fault(1)};
    char *closes_output[] = {"sh", "-c", "exec >&-; cat >/dev/null", NULL};
    j.argv = closes_output;
    j.inlen = sizeof in; /* more than the pipe holds: input is unsent when output ends */
    run_faulted("filter_through", filter_job, &j, wait_fails, 1);
}

/*
 * The program closes its stdout first and reads its stdin to the end: the
 * output loop ends while input is still unsent. Whatever is done with the
 * rest (sent or dropped), the program must get end of file on its stdin.
 */
Test(filter, output_closed_before_input_is_sent)
{
    char in[1 << 20];
    memset(in, 'c', sizeof in);
    char *argv[] = {"sh", "-c", "exec >&-; cat >/dev/null", NULL};
    struct outcome o = filter(argv, in, sizeof in, 16);
    cr_assert_eq(o.rc, 0);
    assert_exit(o.status, 0, "the program (did its stdin ever reach end of file?)");
    assert_left_nothing(&o, "filter_through");
}

/*
 * The program is started as the caller would start it: the two pipes only
 * as its fds 0 and 1 (both O_CLOEXEC), and SIGPIPE as the caller had it, not
 * ignored because filter_through ignores it for itself.
 */
Test(filter, program_gets_clean_fds_and_sigpipe)
{
    char *argv[] = {"sh", "-c", "ls -l /proc/$$/fd; grep SigIgn /proc/$$/status", NULL};
    struct outcome o = filter(argv, NULL, 0, 8192);
    assert_exit(o.status, 0, "the program");
    assert_only_fds_0_and_1("the program", "its stdin pipe", "its stdout pipe");
    const char *ign = strstr(job_out, "SigIgn:");
    cr_assert_not_null(ign, "no SigIgn line:\n%s", job_out);
    unsigned long long mask = strtoull(ign + 7, NULL, 16);
    cr_assert_eq(mask & (1ULL << (SIGPIPE - 1)), 0,
                 "the program runs with SIGPIPE ignored, the caller had it at SIG_DFL: "
                 "restore the disposition in the child before exec");
}

Test(filter, bad_arguments_are_einval)
{
    char *argv[] = {"cat", NULL}, *empty[] = {NULL};
    char out[4];
    int status;
    IPCT_ASSERT_FAILS(
        EINVAL, filter_through(NULL, "x", 1, out, 4, &status),
        "filter_through(NULL, \"x\", 1, out, 4, &status) must fail with EINVAL");
    IPCT_ASSERT_FAILS(
        EINVAL, filter_through(empty, "x", 1, out, 4, &status),
        "filter_through(empty, \"x\", 1, out, 4, &status) must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, filter_through(argv, NULL, 1, out, 4, &status),
                      "in NULL with inlen 1: EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, filter_through(argv, "x", 1, NULL, 4, &status),
                      "out NULL with outcap 4: EINVAL");
    IPCT_ASSERT_FAILS(
        EINVAL, filter_through(argv, "x", 1, out, 4, NULL),
        "filter_through(argv, \"x\", 1, out, 4, NULL) must fail with EINVAL");
    cr_assert_eq(ipct_children_left(), 0, "nothing may start when arguments are bad");
}

/* ===================================================================== */
/*  pipeline: run_pipeline, checked against /bin/sh                      */
/* ===================================================================== */

struct pipeline_job {
    char *const *const *cmds;
    size_t n;
    const char *in_path; /* the first command's stdin */
    const char *out_path;
    bool other_child; /* start an unrelated child first; it must not be reaped */
    bool inherited;   /* open in_fd and out_fd without O_CLOEXEC */
};

static void pipeline_job(const void *arg, struct outcome *o, char *out, size_t cap)
{
    const struct pipeline_job *j = arg;
    int cloexec = j->inherited ? 0 : O_CLOEXEC;
    int in = open(j->in_path, O_RDONLY | cloexec);
    int fd = open(j->out_path, O_RDWR | O_CREAT | O_TRUNC | cloexec, 0600);
    IPCT_CHILD_CHECK(in >= 0 && fd >= 0);
    pid_t other = -1;
    if (j->other_child) {
        other = fork();
        if (other == 0)
            _exit(7);
        siginfo_t info; /* wait until it is a zombie, without reaping it */
        IPCT_CHILD_CHECK(other > 0 &&
                         waitid(P_PID, (id_t)other, &info, WEXITED | WNOWAIT) == 0);
    }
    errno = 0;
    o->rc = run_pipeline((char *const **)j->cmds, j->n, in, fd);
    o->err = errno;
    if (other > 0) {
        int st;
        o->other = waitpid(other, &st, WNOHANG) == other && WIFEXITED(st) &&
                   WEXITSTATUS(st) == 7;
        if (!o->other)
            waitpid(other, NULL, 0);
    }
    o->status = (int)o->rc;
    /* The caller's fds stay the caller's. */
    o->extra = ipct_fd_is_open(in) && ipct_fd_is_open(fd);
    ssize_t n = o->extra ? pread(fd, out, cap, 0) : 0;
    o->outlen = n > 0 ? (size_t)n : 0;
    close(in);
    close(fd);
}

/* Write the pipeline's input file; its path and the output file's go to j. */
static void pipeline_files(struct pipeline_job *j, const char *in, size_t inlen)
{
    static char in_path[512], out_path[512];
    ipct_path(in_path, sizeof in_path, "in");
    ipct_path(out_path, sizeof out_path, "out");
    int fd = open(in_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, in, inlen), (ssize_t)inlen);
    close(fd);
    j->in_path = in_path;
    j->out_path = out_path;
}

/* Run the pipeline on input and store its outcome; the output is in job_out. */
static struct outcome pipeline_with(char *const *const cmds[], size_t n, const char *in,
                                    size_t inlen, bool other_child)
{
    struct pipeline_job j = {cmds, n, NULL, NULL, other_child, false};
    pipeline_files(&j, in, inlen);
    struct outcome o = run_job("run_pipeline", pipeline_job, &j);
    cr_assert_neq(o.rc, -1, "run_pipeline failed: %s", strerror(o.err));
    cr_assert(o.extra, "run_pipeline closed the caller's in_fd or out_fd");
    return o;
}

static struct outcome pipeline(char *const *const cmds[], size_t n, const char *in,
                               size_t inlen)
{
    return pipeline_with(cmds, n, in, inlen, false);
}

/* $begin compare_with_sh */
/*
 * Run `script` with /bin/sh and the same pipeline with run_pipeline on the
 * same input: the output and the exit status must agree.
 */
static void same_as_sh(const char *script, char *const *const cmds[], size_t n,
                       const char *in, size_t inlen)
{
    char want[JOB_OUT_MAX];
    char *sh[] = {"sh", "-c", (char *)script, NULL};
    int want_status;
    ssize_t want_len =
        ipct_run(sh, in, inlen, want, sizeof want, &want_status, DEADLINE_MS);
    cr_assert_geq(want_len, 0, "sh -c '%s' failed: %s", script, strerror(errno));

    struct outcome o = pipeline(cmds, n, in, inlen);
    cr_assert_eq(o.outlen, (size_t)want_len, "'%s': %zu bytes out, sh wrote %zd", script,
                 o.outlen, want_len);
    cr_assert_eq(memcmp(job_out, want, o.outlen), 0,
                 "'%s': output differs from sh's:\n%s", script, job_out);
    cr_assert(WIFEXITED(o.status), "'%s': status %#x is not a normal exit", script,
              o.status);
    cr_assert_eq(WEXITSTATUS(o.status), WEXITSTATUS(want_status),
                 "'%s': status %d, sh says %d", script, WEXITSTATUS(o.status),
                 WEXITSTATUS(want_status));
}
/* $end compare_with_sh */

static const char words[] = "the quick brown fox\njumps over the lazy dog\n"
                            "the dog sleeps\nthe fox runs\n";

TestSuite(pipeline, .timeout = 10);

Test(pipeline, single_command_matches_sh)
{
    char *tr[] = {"tr", "a-z", "A-Z", NULL};
    char *const *cmds[] = {tr, NULL}; /* n says how many: cmds[1] is not looked at */
    same_as_sh("tr a-z A-Z", cmds, 1, words, strlen(words));
}

/* $begin three_stages */
Test(pipeline, three_stages_match_sh)
{
    char *split[] = {"tr", " ", "\\n", NULL};
    char *sort[] = {"sort", NULL};
    char *count[] = {"uniq", "-c", NULL};
    char *const *cmds[] = {split, sort, count};
    same_as_sh("tr ' ' '\\n' | sort | uniq -c", cmds, 3, words, strlen(words));
}
/* $end three_stages */

Test(pipeline, megabyte_through_three_stages)
{
    size_t len = 1 << 20;
    char *in = malloc(len);
    cr_assert_not_null(in);
    fill_pattern(in, len);
    char *cat[] = {"cat", NULL};
    char *tr[] = {"tr", "a-m", "n-z", NULL};
    char *sum[] = {"cksum", NULL};
    char *const *cmds[] = {cat, tr, sum};
    same_as_sh("cat | tr a-m n-z | cksum", cmds, 3, in, len);
    free(in);
}

/*
 * The first two waits for a child fail with EINTR (the shim injects it):
 * each must be retried, or a stage is left a zombie and the status is lost.
 */
Test(pipeline, retries_eintr_while_waiting)
{
    ipct_fault_add(&(struct ipct_fault){.calls = "wait waitpid waitid",
                                        .nth = 1,
                                        .every = 1,
                                        .times = 2,
                                        .error = EINTR});
    char *split[] = {"tr", " ", "\\n", NULL};
    char *sort[] = {"sort", NULL};
    /* The last status is not 0, so a status lost to EINTR cannot pass for it. */
    char *count[] = {"sh", "-c", "uniq -c; exit 3", NULL};
    char *const *cmds[] = {split, sort, count};
    same_as_sh("tr ' ' '\\n' | sort | (uniq -c; exit 3)", cmds, 3, words, strlen(words));
}

Test(pipeline, last_status_is_returned)
{
    char *ok[] = {"sh", "-c", "cat >/dev/null; exit 0", NULL};
    char *three[] = {"sh", "-c", "cat >/dev/null; exit 3", NULL};
    char *five[] = {"sh", "-c", "cat >/dev/null; exit 5", NULL};
    char *const *fail_last[] = {ok, three, five};
    same_as_sh("(cat >/dev/null; exit 0) | (cat >/dev/null; exit 3) | "
               "(cat >/dev/null; exit 5)",
               fail_last, 3, "x\n", 2);
    char *const *fail_first[] = {five, three, ok};
    same_as_sh("(cat >/dev/null; exit 5) | (cat >/dev/null; exit 3) | "
               "(cat >/dev/null; exit 0)",
               fail_first, 3, "x\n", 2);
}

Test(pipeline, exec_failure_exits_127)
{
    char *cat[] = {"cat", NULL};
    char *missing[] = {"ipclab-no-such-program", NULL};
    char *const *last_missing[] = {cat, missing};
    struct outcome o = pipeline(last_missing, 2, words, strlen(words));
    assert_exit(o.status, 127, "a last command that cannot be executed");
    char *const *first_missing[] = {missing, cat};
    o = pipeline(first_missing, 2, words, strlen(words));
    assert_exit(o.status, 0, "cat after a missing command (it just sees EOF)");
    cr_assert_eq(o.outlen, 0);
}

Test(pipeline, upstream_stops_when_reader_exits)
{
    /* yes never ends by itself: only SIGPIPE from a closed pipe stops it. */
    char *yes[] = {"yes", NULL};
    char *head[] = {"head", "-n", "3", NULL};
    char *const *cmds[] = {yes, head};
    same_as_sh("yes | head -n 3", cmds, 2, "", 0);
}

Test(pipeline, every_reader_sees_eof)
{
    /*
     * The pipeline's output is a pipe we read. EOF comes only once every
     * copy of every write end is closed: a copy left in run_pipeline or in a
     * child keeps a `cat` waiting for input forever.
     */
    int in[2], out[2];
    make_pipe(in);
    make_pipe(out);
    cr_assert_eq(write(in[1], "one\ntwo\n", 8), 8);
    close(in[1]);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        setpgid(0, 0);
        close(out[0]);
        char *cat[] = {"cat", NULL};
        char *const *cmds[] = {cat, cat, cat, cat};
        int status = run_pipeline(cmds, 4, in[0], out[1]);
        close(out[1]);
        _exit(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1);
    }
    setpgid(pid, pid);
    close(in[0]);
    close(out[1]);
    char buf[64];
    ssize_t n = ipct_drain(out[0], buf, sizeof buf - 1, DEADLINE_MS);
    close(out[0]);
    int status;
    if (n < 0) {
        kill(-pid, SIGKILL); /* the stuck cats too, not only their parent */
        ipct_wait(pid, &status, 0);
    }
    cr_assert_geq(n, 0,
                  "no EOF on the pipeline's output after %d s: a write end of one of "
                  "the pipes is still open in run_pipeline or in a child",
                  DEADLINE_MS / 1000);
    cr_assert_eq(ipct_wait_exit(pid, DEADLINE_MS), 0, "the pipeline did not succeed");
    buf[n] = '\0';
    cr_assert_str_eq(buf, "one\ntwo\n");
}

Test(pipeline, leaves_no_fds_or_zombies)
{
    char *cat[] = {"cat", NULL};
    char *wc[] = {"wc", "-l", NULL};
    char *const *cmds[] = {cat, cat, wc};
    struct outcome o = pipeline(cmds, 3, words, strlen(words));
    assert_left_nothing(&o, "run_pipeline");
    cr_assert_eq(atoi(job_out), 4);
}

Test(pipeline, waits_only_for_its_own_children)
{
    /* The caller has another child, already finished: not ours to reap. */
    char *cat[] = {"cat", NULL};
    char *const *cmds[] = {cat, cat};
    struct outcome o = pipeline_with(cmds, 2, words, strlen(words), true);
    cr_assert(o.other, "run_pipeline reaped a child it did not start: wait by pid");
    assert_exit(o.status, 0, "cat | cat");
    cr_assert_eq(o.children, 0, "children left unreaped");
    cr_assert_str_eq(job_out, words);
}

/*
 * The shim makes one call fail per run: a pipe2 or a fork at each stage, a
 * wait. run_pipeline returns -1 with that errno, closes every pipe end (once
 * each), reaps the stages already started and no other child of the caller.
 */
/* One run per case: under valgrind that takes longer than the suite allows. */
Test(pipeline, failed_calls_are_cleaned_up, .timeout = 60)
{
    const struct fault_case cases[] = {
        pipe_fault(1), pipe_fault(2), fork_fault(1), fork_fault(2),
        fork_fault(3), wait_fault(1), wait_fault(3),
    };
    char *cat[] = {"cat", NULL};
    char *const *cmds[] = {cat, cat, cat};
    struct pipeline_job j = {cmds, 3, NULL, NULL, true, false};
    pipeline_files(&j, words, strlen(words));
    run_faulted("run_pipeline", pipeline_job, &j, cases, sizeof cases / sizeof cases[0]);
}

/* run_pipeline frees what it allocates, on success and when its second fork fails. */
Test(pipeline, frees_what_it_allocates)
{
    char *cat[] = {"cat", NULL};
    char *const *cmds[] = {cat, cat, cat};
    struct pipeline_job j = {cmds, 3, NULL, NULL, false, false};
    pipeline_files(&j, words, strlen(words));
    struct outcome o = run_job("run_pipeline", pipeline_job, &j);
    cr_assert_neq(o.rc, -1, "run_pipeline failed: %s", strerror(o.err));
    cr_assert_eq(o.heap_kept, 0,
                 "run_pipeline returned with %ld block(s) it allocated (malloc, calloc, "
                 "realloc) not freed",
                 o.heap_kept);
    ipct_fault_fail("fork", 2, EAGAIN);
    o = run_job("run_pipeline", pipeline_job, &j);
    ipct_fault_clear();
    cr_assert_eq(o.rc, -1,
                 "the second fork failed (EAGAIN, injected): run_pipeline must "
                 "fail");
    cr_assert_eq(o.heap_kept, 0,
                 "run_pipeline failed (its second fork, injected) with %ld block(s) it "
                 "allocated (malloc, calloc, realloc) not freed",
                 o.heap_kept);
}

/*
 * With no memory (every malloc, calloc and realloc of the student's code
 * fails), run_pipeline either runs the pipeline without the heap or fails
 * with ENOMEM; either way it leaves no fd open and no child unreaped.
 */
Test(pipeline, no_memory_is_enomem)
{
    char *cat[] = {"cat", NULL};
    char *const *cmds[] = {cat, cat, cat};
    struct pipeline_job j = {cmds, 3, NULL, NULL, false, false};
    pipeline_files(&j, words, strlen(words));
    ipct_fault_add(&(struct ipct_fault){
        .calls = "malloc calloc realloc", .every = 1, .error = ENOMEM});
    struct outcome o = run_job("run_pipeline", pipeline_job, &j);
    ipct_fault_clear();
    cr_assert(o.rc != -1 || o.err == ENOMEM,
              "run_pipeline with no memory returned -1 with %s: the error must be ENOMEM",
              strerror(o.err));
    assert_left_nothing(&o, "run_pipeline");
    if (o.rc == -1)
        return;
    assert_exit(o.status, 0, "the last cat");
    cr_assert(o.outlen == strlen(words) && memcmp(job_out, words, o.outlen) == 0,
              "run_pipeline with no memory returned %ld, as if the pipeline ran, but its "
              "output is %zu byte(s), not the %zu of its input: fail with ENOMEM instead",
              o.rc, o.outlen, strlen(words));
}

/*
 * in_fd and out_fd are the caller's, and they may lack O_CLOEXEC: each
 * command holds its input and output only as fds 0 and 1, so a command
 * that closes its stdout is really done writing.
 */
Test(pipeline, commands_hold_only_fds_0_and_1)
{
    char *list[] = {"sh", "-c", "ls -l /proc/$$/fd", NULL};
    char *const *cmds[] = {list};
    struct pipeline_job j = {cmds, 1, NULL, NULL, false, true};
    pipeline_files(&j, "", 0);
    struct outcome o = run_job("run_pipeline", pipeline_job, &j);
    cr_assert_neq(o.rc, -1, "run_pipeline failed: %s", strerror(o.err));
    assert_exit(o.status, 0, "the command");
    assert_only_fds_0_and_1("the command", "in_fd's file", "out_fd's file");
}

/*
 * in_fd or out_fd may be one of the caller's standard fds: a command's
 * output may go where errors go (out_fd 2), its input come from fd 2. Only
 * the caller's copies above fd 2 are closed in the children: stderr stays.
 */
static void std_fds_job(const void *arg, struct outcome *o, char *out, size_t cap)
{
    const struct pipeline_job *j = arg;
    char *list[] = {"sh", "-c", "ls -l /proc/$$/fd", NULL};
    char *const *cmds[] = {list};
    int saved = dup(STDERR_FILENO);
    int in = open(j->in_path, O_RDONLY | O_CLOEXEC);
    int fd = open(j->out_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    IPCT_CHILD_CHECK(saved >= 0 && in >= 0 && fd >= 0);
    /* out_fd 2: the listing goes to fd 1 = fd 2 = the output file */
    IPCT_CHILD_CHECK(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
    errno = 0;
    o->rc = run_pipeline(cmds, 1, in, STDERR_FILENO);
    o->err = errno;
    IPCT_CHILD_CHECK(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
    ssize_t n = pread(fd, out, cap / 2, 0);
    size_t first = n > 0 ? (size_t)n : 0;
    out[first++] = '\0';
    /* in_fd 2: fd 0 = fd 2 = the input file, the listing goes to the output file */
    IPCT_CHILD_CHECK(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0 &&
                     dup2(in, STDERR_FILENO) == STDERR_FILENO);
    long rc = run_pipeline(cmds, 1, STDERR_FILENO, fd);
    IPCT_CHILD_CHECK(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
    if (o->rc != -1 && rc == -1) {
        o->rc = -1;
        o->err = errno;
    }
    o->status = rc == -1 ? (int)o->rc : (int)(o->rc | rc);
    n = pread(fd, out + first, cap / 2 - 1, 0);
    o->outlen = first + (n > 0 ? (size_t)n : 0);
    close(saved);
    close(in);
    close(fd);
}

Test(pipeline, stderr_stays_with_std_fds_as_ends)
{
    struct pipeline_job j = {NULL, 1, NULL, NULL, false, false};
    pipeline_files(&j, "", 0);
    struct outcome o = run_job("run_pipeline", std_fds_job, &j);
    cr_assert_neq(o.rc, -1, "run_pipeline failed: %s", strerror(o.err));
    assert_exit(o.status, 0, "the command");
    const char *second = job_out + strlen(job_out) + 1;
    int to_out = copies_of_fd(job_out, 1);
    cr_assert_eq(to_out, 2,
                 "out_fd 2: the command should hold the output on fds 1 and 2 (stderr "
                 "stays), it holds %d:\n%s",
                 to_out, job_out);
    int to_in = copies_of_fd(second, 0);
    cr_assert_eq(to_in, 2,
                 "in_fd 2: the command should hold the input on fds 0 and 2 (stderr "
                 "stays), it holds %d:\n%s",
                 to_in, second);
}

Test(pipeline, bad_arguments_are_einval)
{
    char *cat[] = {"cat", NULL}, *empty[] = {NULL};
    char *const *with_null[] = {cat, NULL};
    char *const *with_empty[] = {cat, empty};
    char *const *one[] = {cat};
    /* /dev/null on both ends: a stray child must not read Criterion's stdin. */
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    cr_assert_geq(null_fd, 0);
    IPCT_ASSERT_FAILS(EINVAL, run_pipeline(NULL, 1, null_fd, null_fd),
                      "cmds NULL: errno should be EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, run_pipeline(one, 0, null_fd, null_fd),
                      "n 0: errno should be EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, run_pipeline(with_null, 2, null_fd, null_fd),
                      "cmds[1] NULL: errno should be EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, run_pipeline(with_empty, 2, null_fd, null_fd),
                      "cmds[1][0] NULL: errno should be EINVAL");
    close(null_fd);
    cr_assert_eq(ipct_children_left(), 0, "check every command before starting any");
}
