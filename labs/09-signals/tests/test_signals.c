/* test_signals.c - Criterion tests for lab 09 (signals). */
#include "ipclab_shim.h"
#include "ipclab_test.h"
#include "sigsafety.h"
#include "signals.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------- */

static volatile sig_atomic_t hits;        /* count_hit's counter */
static volatile sig_atomic_t hit_fd = -1; /* count_hit also writes a byte here */

static void count_hit(int sig)
{
    (void)sig;
    hits++;
    if (hit_fd >= 0) {
        char c = 'h';
        (void)!write(hit_fd, &c, 1); /* write(2) is async-signal-safe */
    }
}

/* Install count_hit for sig (no SA_RESTART): hits from 0, a byte to fd (-1: none). */
static void count_hits_of(int sig, int fd)
{
    hits = 0;
    hit_fd = fd;
    struct sigaction sa = {.sa_handler = count_hit};
    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(sig, &sa, NULL), 0);
}

static void other_hit(int sig)
{
    (void)sig;
}

/*
 * In a child: wait until process pid sleeps in read(fd, ...), by reading
 * /proc/PID/syscall ("0 0x3 ..." while blocked in read on fd 3). This is how
 * a test makes sure a signal interrupts a read and does not come before it.
 */
static bool wait_in_read(pid_t pid, int fd)
{
    char path[64], want[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/syscall", (long)pid);
    snprintf(want, sizeof want, "%ld 0x%x ", (long)SYS_read, (unsigned)fd);
    long long deadline = ipct_now_ms() + 8000;
    while (ipct_now_ms() < deadline) {
        int f = open(path, O_RDONLY | O_CLOEXEC);
        if (f < 0)
            return false;
        ssize_t n = read(f, line, sizeof line - 1);
        close(f);
        if (n > 0) {
            line[n] = '\0';
            if (strncmp(line, want, strlen(want)) == 0)
                return true;
        }
        struct timespec pause_ = {.tv_nsec = 1000000};
        nanosleep(&pause_, NULL); /* polling a condition, not sleeping as sync */
    }
    return false;
}

/* The set {a} or {a, b} (b 0: just a). */
static sigset_t set_of(int a, int b)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, a);
    if (b != 0)
        sigaddset(&set, b);
    return set;
}

/* In a forked child (no cr_assert): catch sig with handler, no flags; false if not. */
static bool child_catch(int sig, void (*handler)(int))
{
    struct sigaction sa = {.sa_handler = handler};
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL) == 0;
}

/* In a forked child (no cr_assert): add sig to the blocked mask; false if not. */
static bool child_block(int sig)
{
    sigset_t one = set_of(sig, 0);
    return sigprocmask(SIG_BLOCK, &one, NULL) == 0;
}

/* Block (how = SIG_BLOCK) or unblock one signal; returns the previous mask. */
static sigset_t mask_one(int how, int sig)
{
    sigset_t one = set_of(sig, 0), old;
    cr_assert_eq(sigprocmask(how, &one, &old), 0);
    return old;
}

static sigset_t current_mask(void)
{
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    return cur;
}

static bool same_mask(const sigset_t *a, const sigset_t *b)
{
    for (int s = 1; s < NSIG; s++)
        if (sigismember(a, s) != sigismember(b, s))
            return false;
    return true;
}

static void (*handler_of(int sig))(int)
{
    struct sigaction cur;
    cr_assert_eq(sigaction(sig, NULL, &cur), 0);
    return cur.sa_handler;
}

/* Wait (without sleeping blindly) until *counter reaches want or 5 s pass. */
static long wait_count(long (*counter)(void), long want)
{
    long long deadline = ipct_now_ms() + 5000;
    while (counter() < want && ipct_now_ms() < deadline) {
        struct timespec tick = {.tv_nsec = 2000000};
        sigset_t none;
        sigemptyset(&none);
        ppoll(NULL, 0, &tick, &none); /* handlers run here */
    }
    return counter();
}

/*
 * Close in (the child's input: it reads end of file), wait up to 5 s for
 * child pid, then close out (its output). Returns ipct_wait_exit's result:
 * the exit code, or -1 if it was killed or did not end in time.
 */
static int end_input_and_wait(pid_t pid, int in, int out)
{
    close(in);
    int got = ipct_wait_exit(pid, 5000);
    close(out);
    return got;
}

/* Block SIGUSR2 with one pending (counted by count_hit): a signal the caller blocked. */
static sigset_t hold_usr2(void)
{
    count_hits_of(SIGUSR2, -1);
    sigset_t old = mask_one(SIG_BLOCK, SIGUSR2);
    cr_assert_eq(raise(SIGUSR2), 0);
    return old;
}

/* After fn returned: SIGUSR2 was never let in and is still pending. Puts back old. */
static void expect_usr2_held(sigset_t old, const char *fn)
{
    sigset_t pending;
    sigpending(&pending);
    int during = hits;
    sigprocmask(SIG_SETMASK, &old, NULL); /* SIGUSR2 reaches count_hit here */
    cr_assert_eq(
        during, 0,
        "SIGUSR2, blocked by the caller and pending, was delivered during %s: add "
        "your signals to the caller's mask (SIG_BLOCK), never replace it",
        fn);
    cr_assert(sigismember(&pending, SIGUSR2), "SIGUSR2 is no longer pending after %s",
              fn);
}

/*
 * Arm the faults a kernel may cause in a loop over a stream socket: the first
 * poll-family call and the first read fail with EINTR, so does the second
 * write, and every write then moves at most 1 byte. The processes forked
 * after it (the loop's) inherit the plan; it injects at least 4 faults.
 */
static void fault_eintr_and_short_writes(void)
{
    ipct_fault_fail("poll ppoll select epoll_wait", 1, EINTR);
    ipct_fault_fail("read", 1, EINTR);
    ipct_fault_fail("write send", 2, EINTR); /* before the cut: it counts every write */
    ipct_fault_short("write send", 1, 1);
}

/* ---- sig_install --------------------------------------------------------- */

TestSuite(handlers, .timeout = 10);

Test(handlers, handler_runs)
{
    hits = 0;
    cr_assert_eq(sig_install(SIGUSR1, count_hit, 0, NULL), 0, "sig_install: %s",
                 strerror(errno));
    cr_assert_eq(raise(SIGUSR1), 0);
    cr_assert_eq(hits, 1, "the handler ran %d times, expected 1", (int)hits);
    cr_assert_eq(handler_of(SIGUSR1), count_hit);
}

Test(handlers, old_action_is_returned)
{
    cr_assert_eq(sig_install(SIGUSR2, count_hit, SA_RESTART, NULL), 0);
    struct sigaction old;
    memset(&old, 0, sizeof old);
    cr_assert_eq(sig_install(SIGUSR2, other_hit, 0, &old), 0);
    cr_assert_eq(old.sa_handler, count_hit, "*old must hold the previous handler");
    cr_assert(old.sa_flags & SA_RESTART, "*old must hold the previous flags");
}

Test(handlers, flags_and_mask_are_exact)
{
    struct sigaction cur;
    cr_assert_eq(sig_install(SIGUSR1, count_hit, 0, NULL), 0);
    cr_assert_eq(sigaction(SIGUSR1, NULL, &cur), 0);
    cr_assert_eq(cur.sa_flags & SA_RESTART, 0,
                 "flags 0 must not set SA_RESTART (signal(3) would)");
    cr_assert(sigisemptyset(&cur.sa_mask), "sa_mask must be empty");
    cr_assert_eq(sig_install(SIGUSR1, count_hit, SA_RESTART, NULL), 0);
    cr_assert_eq(sigaction(SIGUSR1, NULL, &cur), 0);
    cr_assert(cur.sa_flags & SA_RESTART, "SA_RESTART was asked for");
}

/*
 * A read that a signal interrupts: the test reads from the empty pipe p
 * while a child waits until it sleeps there, sends SIGUSR1, waits for the
 * handler's byte on pipe h, then writes 'D' into p (which wakes a read
 * that was restarted).
 */
struct interrupted_read {
    int p[2], h[2];
    pid_t child;
};

/* Install count_hit for SIGUSR1 with flags and fork the child that interrupts the read.
 */
static void interrupt_next_read(struct interrupted_read *t, int flags)
{
    cr_assert_eq(pipe2(t->p, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(t->h, O_CLOEXEC), 0);
    hits = 0;
    hit_fd = t->h[1];
    cr_assert_eq(sig_install(SIGUSR1, count_hit, flags, NULL), 0);
    pid_t me = getpid();
    t->child = ipct_fork();
    if (t->child == 0) {
        close(t->h[1]);
        IPCT_CHILD_CHECK(wait_in_read(me, t->p[0]));
        IPCT_CHILD_CHECK(kill(me, SIGUSR1) == 0);
        char c;
        IPCT_CHILD_CHECK(ipct_readable_within(t->h[0], 5000));
        IPCT_CHILD_CHECK(read(t->h[0], &c, 1) == 1);
        IPCT_CHILD_CHECK(write(t->p[1], "D", 1) == 1);
        _exit(0);
    }
    close(t->p[1]);
}

/* The handler ran once and the child finished; close the pipes. */
static void end_interrupted_read(struct interrupted_read *t)
{
    cr_assert_eq(hits, 1);
    cr_assert_eq(ipct_wait_exit(t->child, 5000), 0);
    close(t->p[0]);
    close(t->h[0]);
    close(t->h[1]);
}

/* $begin eintr_test */
Test(handlers, interrupted_read_fails_with_eintr)
{
    struct interrupted_read t;
    interrupt_next_read(&t, 0); /* no SA_RESTART */
    char c;
    ssize_t r = read(t.p[0], &c, 1); /* the child signals us while we sleep here */
    int err = errno;
    cr_assert_eq(r, -1, "without SA_RESTART the read must fail, it returned %zd", r);
    cr_assert_eq(err, EINTR, "errno %s, expected EINTR", strerror(err));
    end_interrupted_read(&t);
}
/* $end eintr_test */

Test(handlers, sa_restart_resumes_read)
{
    struct interrupted_read t;
    interrupt_next_read(&t, SA_RESTART);
    char c = 0;
    ssize_t r = read(t.p[0], &c, 1);
    cr_assert_eq(r, 1, "with SA_RESTART the read goes on after the handler (got %zd, %s)",
                 r, strerror(errno));
    cr_assert_eq(c, 'D');
    end_interrupted_read(&t);
}

Test(handlers, sigkill_and_sigstop_are_einval)
{
    int sigs[] = {SIGKILL, SIGSTOP};
    for (int i = 0; i < 2; i++) {
        IPCT_ASSERT_FAILS(EINVAL, sig_install(sigs[i], count_hit, 0, NULL),
                          "the action of signal %d can never be changed", sigs[i]);
        IPCT_ASSERT_FAILS(EINVAL, sig_install(sigs[i], SIG_IGN, 0, NULL),
                          "signal %d cannot be ignored either", sigs[i]);
    }
}

Test(handlers, bad_arguments_are_einval)
{
    int bad[] = {0, -1, NSIG, NSIG + 10};
    for (int i = 0; i < 4; i++) {
        IPCT_ASSERT_FAILS(EINVAL, sig_install(bad[i], count_hit, 0, NULL), "signal %d",
                          bad[i]);
    }
    cr_assert_eq(sig_install(SIGUSR1, other_hit, 0, NULL), 0);
    IPCT_ASSERT_FAILS(EINVAL, sig_install(SIGUSR1, count_hit, SA_SIGINFO, NULL),
                      "SA_SIGINFO with a one-argument handler must be refused");
    cr_assert_eq(handler_of(SIGUSR1), other_hit, "a refused call must change nothing");
}

Test(handlers, ignore_and_default)
{
    cr_assert_eq(sig_install(SIGUSR1, SIG_IGN, 0, NULL), 0);
    cr_assert_eq(raise(SIGUSR1), 0); /* ignored: we are still alive */
    cr_assert_eq(handler_of(SIGUSR1), SIG_IGN);
    cr_assert_eq(sig_install(SIGUSR1, SIG_DFL, 0, NULL), 0);
    cr_assert_eq(handler_of(SIGUSR1), SIG_DFL);
}

/* ---- run_service --------------------------------------------------------- */

/* Start run_service(tmpdir) in a child; *ready gets the read end of its ready pipe. */
/*
 * spawn_service_with - fork a child that runs run_service in the test's
 * directory; *ready gets the read end of its ready pipe. term_pending: the
 * child blocks SIGTERM and sends it to itself first, so run_service starts
 * with it blocked and already pending, whatever the scheduler does.
 */
static pid_t spawn_service_with(int *ready, bool term_pending)
{
    ipct_tmpdir(); /* made before fork: the child uses the same directory */
    int r[2];
    cr_assert_eq(pipe2(r, O_CLOEXEC), 0);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(r[0]);
        if (term_pending) {
            IPCT_CHILD_CHECK(child_block(SIGTERM));
            IPCT_CHILD_CHECK(kill(getpid(), SIGTERM) == 0);
        }
        int rc = run_service(ipct_tmpdir(), r[1]);
        _exit(rc == 0 ? 0 : 1);
    }
    close(r[1]);
    *ready = r[0];
    return pid;
}

/* spawn_service - spawn_service_with, no signal pending. */
static pid_t spawn_service(int *ready)
{
    return spawn_service_with(ready, false);
}

static void expect_ready(int ready)
{
    char c;
    cr_assert(ipct_readable_within(ready, 5000), "run_service never said it was ready");
    cr_assert_eq(read(ready, &c, 1), 1, "run_service ended before it was ready");
    close(ready);
}

/* Wait for the service to end and require a clean exit 0. */
static void expect_clean_exit(pid_t pid)
{
    int status;
    cr_assert_eq(ipct_wait(pid, &status, 5000), 0,
                 "the service did not stop within 5 s (signal lost?)");
    cr_assert(!WIFSIGNALED(status), "the service was killed by signal %d: %s",
              WTERMSIG(status), "handle it and return 0 instead");
    cr_assert_neq(WEXITSTATUS(status), SIGSAFETY_EXIT,
                  "a handler called a function that is not async-signal-safe");
    cr_assert_eq(WEXITSTATUS(status), 0, "run_service failed (exit status %d)",
                 WEXITSTATUS(status));
}

static bool exists(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", ipct_tmpdir(), name);
    struct stat st;
    return lstat(path, &st) == 0;
}

static void check_running_service(pid_t pid)
{
    char path[256], text[32] = "", want[32];
    snprintf(path, sizeof path, "%s/service.pid", ipct_tmpdir());
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    cr_assert_geq(fd, 0, "no service.pid: %s", strerror(errno));
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    cr_assert_gt(n, 0);
    snprintf(want, sizeof want, "%ld\n", (long)pid);
    cr_assert_str_eq(text, want, "service.pid must hold the pid and a newline");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s/service.sock", ipct_tmpdir());
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(c, 0);
    cr_assert_eq(connect(c, (struct sockaddr *)&addr, sizeof addr), 0,
                 "nobody listens on service.sock: %s", strerror(errno));
    close(c);
}

TestSuite(shutdown, .timeout = 10);

/* $begin sigterm_test */
Test(shutdown, sigterm_removes_everything)
{
    int ready;
    pid_t pid = spawn_service(&ready);
    expect_ready(ready);
    check_running_service(pid);
    cr_assert_eq(kill(pid, SIGTERM), 0);
    expect_clean_exit(pid);
    cr_assert(!exists("service.pid"), "service.pid is left behind");
    cr_assert(!exists("service.sock"), "service.sock is left behind");
}
/* $end sigterm_test */

Test(shutdown, sigint_also_shuts_down)
{
    int ready;
    pid_t pid = spawn_service(&ready);
    expect_ready(ready);
    cr_assert_eq(kill(pid, SIGINT), 0);
    expect_clean_exit(pid);
    cr_assert(!exists("service.pid") && !exists("service.sock"), "files left behind");
}

Test(shutdown, early_sigterm_is_not_lost)
{
    /* The child starts with SIGTERM blocked and already pending. */
    int ready;
    pid_t pid = spawn_service_with(&ready, true);
    expect_ready(ready);
    expect_clean_exit(pid);
    cr_assert(!exists("service.pid") && !exists("service.sock"), "files left behind");
}

Test(shutdown, mask_and_handlers_restored)
{
    ipct_tmpdir();
    int r[2];
    cr_assert_eq(pipe2(r, O_CLOEXEC), 0);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(r[0]);
        IPCT_CHILD_CHECK(child_catch(SIGTERM, count_hit));
        IPCT_CHILD_CHECK(child_block(SIGUSR2));
        sigset_t before = current_mask();
        IPCT_CHILD_CHECK(run_service(ipct_tmpdir(), r[1]) == 0);
        struct sigaction now;
        IPCT_CHILD_CHECK(sigaction(SIGTERM, NULL, &now) == 0);
        IPCT_CHILD_CHECK(now.sa_handler == count_hit); /* our handler is back */
        sigset_t after = current_mask();
        IPCT_CHILD_CHECK(same_mask(&before, &after)); /* and our mask */
        _exit(0);
    }
    close(r[1]);
    expect_ready(r[0]);
    cr_assert_eq(kill(pid, SIGTERM), 0);
    expect_clean_exit(pid);
}

Test(shutdown, existing_pid_file_is_kept)
{
    char path[256];
    snprintf(path, sizeof path, "%s/service.pid", ipct_tmpdir());
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "1\n", 2), 2);
    close(fd);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        int rc = run_service(ipct_tmpdir(), STDERR_FILENO);
        _exit(rc == -1 && errno == EEXIST ? 0 : 1);
    }
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0,
                 "another service's pid file must make run_service fail with EEXIST");
    cr_assert(exists("service.pid"), "a file run_service did not create was removed");
    cr_assert(!exists("service.sock"), "service.sock is left behind after a failure");
    unlink(path);
}

Test(shutdown, missing_dir_fails_cleanly)
{
    pid_t pid = ipct_fork();
    if (pid == 0) {
        sigset_t before = current_mask();
        int rc = run_service("/nonexistent-ipclab-dir", STDERR_FILENO);
        IPCT_CHILD_CHECK(rc == -1 && errno == ENOENT);
        sigset_t after = current_mask();
        IPCT_CHILD_CHECK(same_mask(&before, &after));
        struct sigaction now;
        IPCT_CHILD_CHECK(sigaction(SIGTERM, NULL, &now) == 0 &&
                         now.sa_handler == SIG_DFL);
        _exit(0);
    }
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0,
                 "expected -1/ENOENT with mask and handlers restored");
}

/* What spawn_checked_service's child found wrong once run_service returned. */
enum svc_wrong {
    SVC_OK,
    SVC_RESULT,  /* not the return value and errno expected */
    SVC_FD,      /* a descriptor run_service opened is still open */
    SVC_MASK,    /* the signal mask is not the caller's */
    SVC_BLOCKED, /* SIGUSR2, blocked by the caller and pending, was let in */
    SVC_ACTIONS, /* SIGTERM's or SIGINT's action is not the caller's */
    SVC_NWRONG
};

static const char *const svc_wrong_text[SVC_NWRONG] = {
    "",
    "run_service did not return what the test expects (see the test's message)",
    "run_service left a descriptor open (the pid file's or the socket's)",
    "run_service did not restore the signal mask",
    "SIGUSR2, blocked by the caller and pending, was delivered while run_service ran: "
    "add SIGTERM and SIGINT to the caller's mask (SIG_BLOCK), never replace it",
    "run_service did not put back the caller's SIGTERM and SIGINT actions",
};

/*
 * spawn_checked_service - run run_service(dir, ready[1]) in a child that checks
 * what the contract promises once it returns: 0 (want_errno 0) or -1 with
 * errno want_errno, no descriptor left open, the mask and the SIGTERM and
 * SIGINT actions the caller had. The child first closes its stdin, so fd 0 is
 * the first descriptor run_service opens (a daemon often runs so: 0 is a fd
 * like any other), and blocks SIGUSR2 with one pending (a signal the caller
 * blocked stays blocked). fsize_zero: the pid file cannot be written
 * (RLIMIT_FSIZE 0 while run_service runs: its write fails with EFBIG). The
 * child exits with an enum svc_wrong; ready[0] is left to the test.
 */
static pid_t spawn_checked_service(const char *dir, int ready[2], int want_errno,
                                   bool fsize_zero)
{
    pid_t pid = ipct_fork();
    if (pid != 0) {
        close(ready[1]);
        return pid;
    }
    close(ready[0]);
    close(STDIN_FILENO);
    IPCT_CHILD_CHECK(child_catch(SIGTERM, other_hit));
    IPCT_CHILD_CHECK(child_catch(SIGINT, other_hit));
    hits = 0;
    hit_fd = -1;
    IPCT_CHILD_CHECK(child_catch(SIGUSR2, count_hit));
    IPCT_CHILD_CHECK(child_block(SIGUSR2));
    IPCT_CHILD_CHECK(raise(SIGUSR2) == 0);
    struct rlimit limit, zero;
    IPCT_CHILD_CHECK(getrlimit(RLIMIT_FSIZE, &limit) == 0);
    zero = (struct rlimit){.rlim_cur = 0, .rlim_max = limit.rlim_max};
    if (fsize_zero) /* a write past the limit raises SIGXFSZ, then fails with EFBIG */
        IPCT_CHILD_CHECK(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
    sigset_t before = current_mask();
    struct ipct_fdset fds;
    ipct_fd_snapshot(&fds);

    if (fsize_zero) /* only around the call: valgrind writes its log after it */
        IPCT_CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &zero) == 0);
    errno = 0;
    int rc = run_service(dir, ready[1]);
    int err = errno;
    IPCT_CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &limit) == 0);

    if (want_errno == 0 ? rc != 0 : rc != -1 || err != want_errno) {
        fprintf(stderr, "run_service returned %d (errno %s), expected %d (errno %s)\n",
                rc, strerror(err), want_errno ? -1 : 0, strerror(want_errno));
        _exit(SVC_RESULT);
    }
    close(ready[1]);
    if (ipct_fds_leaked(&fds, NULL, 0) != 0)
        _exit(SVC_FD);
    sigset_t after = current_mask(), pending;
    if (!same_mask(&before, &after))
        _exit(SVC_MASK);
    sigpending(&pending);
    if (hits != 0 || !sigismember(&pending, SIGUSR2))
        _exit(SVC_BLOCKED);
    struct sigaction now;
    IPCT_CHILD_CHECK(sigaction(SIGTERM, NULL, &now) == 0);
    if (now.sa_handler != other_hit)
        _exit(SVC_ACTIONS);
    IPCT_CHILD_CHECK(sigaction(SIGINT, NULL, &now) == 0);
    if (now.sa_handler != other_hit)
        _exit(SVC_ACTIONS);
    _exit(SVC_OK);
}

/* The checked service's child must end (within 5 s) having found nothing wrong. */
static void expect_checked_exit(pid_t pid, const char *what)
{
    int status;
    cr_assert_eq(ipct_wait(pid, &status, 5000), 0,
                 "%s: the service did not stop within 5 s", what);
    cr_assert(!WIFSIGNALED(status), "%s: the service was killed by signal %d", what,
              WTERMSIG(status));
    int code = WEXITSTATUS(status);
    cr_assert_neq(code, SIGSAFETY_EXIT,
                  "%s: a handler called a function that is not async-signal-safe", what);
    cr_assert_eq(code, SVC_OK, "%s: %s", what,
                 code < SVC_NWRONG ? svc_wrong_text[code]
                                   : "a check in the child failed");
}

/* run_service in the checked child must fail (want_errno), never say ready. */
static void expect_checked_failure(pid_t pid, int ready_rd, int want_errno,
                                   const char *what)
{
    char c;
    cr_assert(ipct_readable_within(ready_rd, 5000),
              "%s: run_service neither failed nor started", what);
    ssize_t n = read(ready_rd, &c, 1);
    close(ready_rd);
    if (n == 1) {
        kill(pid, SIGKILL);
        ipct_wait(pid, NULL, 5000);
        cr_assert_fail(
            "%s: run_service started (wrote its ready byte): it must fail with %s", what,
            strerror(want_errno));
    }
    expect_checked_exit(pid, what);
}

Test(shutdown, restores_everything_it_changed)
{
    int ready[2];
    cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
    pid_t pid = spawn_checked_service(ipct_tmpdir(), ready, 0, false);
    expect_ready(ready[0]);
    cr_assert_eq(kill(pid, SIGTERM), 0);
    expect_checked_exit(pid, "after SIGTERM (the child's stdin closed, SIGUSR2 pending)");
    cr_assert(!exists("service.pid") && !exists("service.sock"), "files left behind");
}

Test(shutdown, failure_undoes_everything)
{
    /* The ready byte's write fails: everything is made by then. */
    int ready[2];
    cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
    ipct_fault_fail("write", 1, EPIPE);
    pid_t pid = spawn_checked_service(ipct_tmpdir(), ready, EPIPE, false);
    ipct_fault_clear();
    expect_checked_failure(pid, ready[0], EPIPE,
                           "the ready byte's write failed (EPIPE injected by the test)");
    cr_assert(!exists("service.pid"), "service.pid is left behind after a failure");
    cr_assert(!exists("service.sock"), "service.sock is left behind after a failure");

    /* The pid file cannot be written: only it exists by then, open. */
    cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
    pid = spawn_checked_service(ipct_tmpdir(), ready, EFBIG, true);
    expect_checked_failure(pid, ready[0], EFBIG,
                           "the pid file's write failed (EFBIG: RLIMIT_FSIZE is 0)");
    cr_assert(!exists("service.pid"), "service.pid is left behind after a failure");
    cr_assert(!exists("service.sock"), "service.sock is left behind after a failure");
}

/* Make a directory in the test's own whose path is exactly len bytes long, into path. */
static void dir_of_length(char *path, size_t cap, size_t len)
{
    size_t base = strlen(ipct_tmpdir());
    cr_assert_lt(base + 2, len, "the test's directory %s is too long for this test",
                 ipct_tmpdir());
    cr_assert_lt(len, cap);
    snprintf(path, cap, "%s/", ipct_tmpdir());
    memset(path + base + 1, 'd', len - base - 1);
    path[len] = '\0';
    cr_assert_eq(mkdir(path, 0700), 0, "mkdir %s: %s", path, strerror(errno));
}

Test(shutdown, socket_path_limit)
{
    /* sun_path holds 108 bytes with the NUL: "DIR/service.sock" of 107 fits. */
    const size_t fits =
        sizeof((struct sockaddr_un *)0)->sun_path - 1 - strlen("/service.sock");
    char dir[256], file[300];
    dir_of_length(dir, sizeof dir, fits);
    int ready[2];
    cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
    pid_t pid = spawn_checked_service(dir, ready, 0, false);
    expect_ready(ready[0]);
    snprintf(file, sizeof file, "%s/service.sock", dir);
    struct stat st;
    cr_assert(lstat(file, &st) == 0 && S_ISSOCK(st.st_mode),
              "a service.sock path of 107 bytes fits in sun_path: no socket at %s", file);
    cr_assert_eq(kill(pid, SIGTERM), 0);
    expect_checked_exit(pid, "after SIGTERM");
    cr_assert_eq(rmdir(dir), 0, "files left behind in %s", dir);

    /* One byte longer cannot be bound: ENAMETOOLONG, and nothing is made. */
    dir_of_length(dir, sizeof dir, fits + 1);
    cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
    pid = spawn_checked_service(dir, ready, ENAMETOOLONG, false);
    expect_checked_failure(pid, ready[0], ENAMETOOLONG,
                           "DIR/service.sock is 108 bytes: too long for sun_path");
    cr_assert_eq(rmdir(dir), 0, "files left behind in %s", dir);
}

/* ---- reaper -------------------------------------------------------------- */

/* Fork n children that exit together when *gate closes; they stay zombies
   until SIGCHLD is unblocked (the caller blocks it first). */
static void make_zombies(int n, pid_t *pids)
{
    int gate[2];
    cr_assert_eq(pipe2(gate, O_CLOEXEC), 0);
    for (int i = 0; i < n; i++) {
        pids[i] = ipct_fork();
        if (pids[i] == 0) {
            close(gate[1]);
            char c;
            _exit(read(gate[0], &c, 1) == 0 ? 0 : 1);
        }
    }
    close(gate[0]);
    close(gate[1]); /* all of them exit now */
    for (int i = 0; i < n; i++) {
        siginfo_t info;
        int r;
        do
            r = waitid(P_PID, (id_t)pids[i], &info, WEXITED | WNOWAIT);
        while (r < 0 && errno == EINTR);
        cr_assert_eq(r, 0, "waitid: %s", strerror(errno));
    }
}

TestSuite(reaper, .timeout = 10);

/* $begin fifty_zombies */
Test(reaper, fifty_children_no_zombie)
{
    pid_t pids[50];
    int n = ipct_under_valgrind() ? 10 : 50; /* each child's exit costs a leak check */
    sigset_t old = mask_one(SIG_BLOCK, SIGCHLD);
    cr_assert_eq(reaper_install(), 0, "reaper_install: %s", strerror(errno));
    make_zombies(n, pids); /* n children have ended: one SIGCHLD is pending */
    sigprocmask(SIG_SETMASK, &old, NULL); /* the handler runs once, here */
    cr_assert_eq(reaper_count(), n,
                 "one SIGCHLD stands for many children: loop on waitpid(WNOHANG)");
    cr_assert_eq(ipct_children_left(), 0, "zombies are left");
    cr_assert_eq(reaper_uninstall(), 0);
}
/* $end fifty_zombies */

Test(reaper, errno_is_preserved)
{
    pid_t pid;
    sigset_t old = mask_one(SIG_BLOCK, SIGCHLD);
    cr_assert_eq(reaper_install(), 0);
    make_zombies(1, &pid);
    errno = EDOM;
    sigprocmask(SIG_SETMASK, &old, NULL);
    int err = errno;
    cr_assert_eq(reaper_count(), 1);
    cr_assert_eq(err, EDOM, "the handler changed errno to %s: save and restore it",
                 strerror(err));
    cr_assert_eq(reaper_uninstall(), 0);
}

Test(reaper, reads_go_on)
{
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    cr_assert_eq(reaper_install(), 0);
    pid_t me = getpid();
    pid_t quitter = ipct_fork();
    if (quitter == 0) { /* ends while we sleep in read: SIGCHLD interrupts it */
        IPCT_CHILD_CHECK(wait_in_read(me, p[0]));
        _exit(0);
    }
    pid_t writer = ipct_fork();
    if (writer == 0) { /* once the quitter is reaped, feed the (restarted) read */
        long long deadline = ipct_now_ms() + 8000;
        while (kill(quitter, 0) == 0 && ipct_now_ms() < deadline) {
            struct timespec tick = {.tv_nsec = 1000000};
            nanosleep(&tick, NULL);
        }
        IPCT_CHILD_CHECK(write(p[1], "D", 1) == 1);
        _exit(0);
    }
    close(p[1]);
    char c = 0;
    ssize_t r = read(p[0], &c, 1);
    cr_assert_eq(r, 1,
                 "the read was interrupted by SIGCHLD (%s): install with SA_RESTART",
                 r < 0 ? strerror(errno) : "EOF");
    cr_assert_eq(wait_count(reaper_count, 2), 2, "both children must be reaped");
    close(p[0]);
    cr_assert_eq(reaper_uninstall(), 0);
}

Test(reaper, no_children_is_harmless)
{
    cr_assert_eq(reaper_install(), 0);
    errno = EDOM;
    cr_assert_eq(raise(SIGCHLD), 0);
    int err = errno;
    cr_assert_eq(reaper_count(), 0);
    cr_assert_eq(err, EDOM, "ECHILD from waitpid leaked out of the handler");
    cr_assert_eq(reaper_uninstall(), 0);
}

Test(reaper, handler_is_async_signal_safe)
{
    sigsafety_reset();
    cr_assert_eq(reaper_install(), 0);
    for (int i = 0; i < 3; i++)
        if (ipct_fork() == 0)
            _exit(0);
    cr_assert_eq(wait_count(reaper_count, 3), 3);
    cr_assert_eq(sigsafety_violations(), 0,
                 "the SIGCHLD handler called %s(), which is not async-signal-safe",
                 sigsafety_last());
    cr_assert_eq(reaper_uninstall(), 0);
}

Test(reaper, flags_are_restart_and_nocldstop)
{
    cr_assert_eq(reaper_install(), 0, "reaper_install: %s", strerror(errno));
    struct sigaction cur;
    cr_assert_eq(sigaction(SIGCHLD, NULL, &cur), 0);
    cr_assert_eq(reaper_uninstall(), 0);
    cr_assert(cur.sa_flags & SA_RESTART, "the SIGCHLD handler needs SA_RESTART");
    cr_assert(
        cur.sa_flags & SA_NOCLDSTOP,
        "the SIGCHLD handler needs SA_NOCLDSTOP: a stopped child is not a child to reap");
}

Test(reaper, uninstall_restores_previous)
{
    struct sigaction mine = {.sa_handler = other_hit};
    sigemptyset(&mine.sa_mask);
    cr_assert_eq(sigaction(SIGCHLD, &mine, NULL), 0);
    cr_assert_eq(reaper_install(), 0);
    cr_assert_neq(handler_of(SIGCHLD), other_hit, "reaper_install installed nothing");
    cr_assert_eq(reaper_uninstall(), 0);
    cr_assert_eq(handler_of(SIGCHLD), other_hit,
                 "the previous SIGCHLD action is not back");
}

/* Whether call is one of the wait family, and the options it passed (wait: 0). */
static bool wait_call(const struct ipct_call *call, long *options)
{
    if (strcmp(call->name, "waitpid") == 0 || strcmp(call->name, "wait4") == 0)
        *options = call->arg[2];
    else if (strcmp(call->name, "wait3") == 0)
        *options = call->arg[1];
    else if (strcmp(call->name, "waitid") == 0)
        *options = call->arg[3];
    else if (strcmp(call->name, "wait") == 0)
        *options = 0;
    else
        return false;
    return true;
}

/*
 * Call check: three children have ended and one still runs when the handler
 * runs. It must call waitpid(WNOHANG) until it returns 0: three reaps, then
 * 0 for the running child. A wait that could block fails at once with EINTR
 * (injected), so a handler that would block on the running child returns and
 * the log shows what it did instead of the test hanging.
 */
Test(reaper, handler_waits_with_wnohang)
{
    int release;
    ipct_fork_held(&release); /* the child that still runs */
    sigset_t old = mask_one(SIG_BLOCK, SIGCHLD);
    cr_assert_eq(reaper_install(), 0, "reaper_install: %s", strerror(errno));
    pid_t ended[3];
    make_zombies(3, ended);
    ipct_fault_wait_eintr(1, 0); /* every blocking wait */
    ipct_calls_record();
    sigprocmask(SIG_SETMASK, &old, NULL); /* the handler runs once, here */
    ipct_fault_clear();
    char calls[1024];
    ipct_calls_describe(calls, sizeof calls);
    size_t waits = 0;
    long options = 0, last = -2;
    for (size_t i = 0; i < ipct_calls_count(); i++) {
        struct ipct_call copy;
        const struct ipct_call *c = ipct_calls_get(i, &copy);
        if (!wait_call(c, &options))
            continue;
        waits++;
        last = c->ret;
        cr_assert(options & WNOHANG,
                  "the SIGCHLD handler called %s without WNOHANG: with a child still "
                  "running it would block inside the handler (the test made that wait "
                  "fail with EINTR instead). Your calls: %s",
                  c->name, calls);
    }
    cr_assert_geq(waits, 4,
                  "3 children had ended and 1 still ran: expected 3 waitpid(WNOHANG) "
                  "that reap and a 4th that returns 0, got %zu wait calls: %s",
                  waits, calls);
    cr_assert_eq(last, 0,
                 "the handler's last waitpid(WNOHANG) returned %ld: loop until it "
                 "returns 0 (children still running) or -1. Your calls: %s",
                 last, calls);
    cr_assert_eq(reaper_count(), 3, "3 children ended, the handler counted %ld",
                 reaper_count());
    close(release); /* the last child ends: the handler reaps it too */
    cr_assert_eq(wait_count(reaper_count, 4), 4, "the running child was not reaped");
    cr_assert_eq(reaper_uninstall(), 0);
}

/* ---- wait_signal --------------------------------------------------------- */

TestSuite(waiting, .timeout = 10);

/*
 * Make the ready pipe r and fork a peer that waits for wait_signal's ready
 * byte on r[0], then sends the test SIGUSR1 and exits 0. The test keeps r[1]
 * (the ready_fd to pass) and closes it; returns the peer's pid.
 */
static pid_t fork_usr1_on_ready(int r[2])
{
    cr_assert_eq(pipe2(r, O_CLOEXEC), 0);
    pid_t me = getpid();
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(r[1]);
        char c;
        IPCT_CHILD_CHECK(ipct_readable_within(r[0], 5000));
        IPCT_CHILD_CHECK(read(r[0], &c, 1) == 1);
        IPCT_CHILD_CHECK(kill(me, SIGUSR1) == 0);
        _exit(0);
    }
    close(r[0]);
    return pid;
}

Test(waiting, pending_signal_is_not_lost)
{
    sigsafety_reset();
    sigset_t old = mask_one(SIG_BLOCK, SIGUSR1);
    cr_assert_eq(raise(SIGUSR1), 0); /* pending before the call */
    sigset_t before = current_mask();
    cr_assert_eq(wait_signal(SIGUSR1, -1), 0, "wait_signal: %s", strerror(errno));
    cr_assert_eq(sigsafety_lost_wakeups(), 0, "pause() slept through the pending signal");
    sigset_t after = current_mask(), pending;
    cr_assert(same_mask(&before, &after), "the signal mask was not restored");
    sigpending(&pending);
    cr_assert(!sigismember(&pending, SIGUSR1), "the signal is still pending");
    sigprocmask(SIG_SETMASK, &old, NULL);
}

Test(waiting, peer_signals_after_ready)
{
    int r[2];
    pid_t pid = fork_usr1_on_ready(r);
    cr_assert_eq(wait_signal(SIGUSR1, r[1]), 0, "wait_signal: %s", strerror(errno));
    close(r[1]);
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0);
}

/* Move fd onto descriptor 0 (the test's stdin, saved in *saved): 0 is an fd like any
 * other, and a check like ready_fd > 0 skips it. */
static void onto_fd_zero(int fd, int *saved)
{
    *saved = fcntl(0, F_DUPFD_CLOEXEC, 3);
    cr_assert_eq(dup2(fd, 0), 0, "dup2: %s", strerror(errno));
    close(fd);
}

/* Put the test's stdin back on descriptor 0. */
static void restore_fd_zero(int saved)
{
    if (saved >= 0) {
        dup2(saved, 0);
        close(saved);
    } else {
        close(0);
    }
}

Test(waiting, ready_fd_zero_is_written)
{
    int r[2], saved;
    cr_assert_eq(pipe2(r, O_CLOEXEC), 0);
    pid_t me = getpid();
    pid_t pid = ipct_fork();
    if (pid == 0) { /* sends SIGUSR1 in any case, so that wait_signal returns */
        close(r[1]);
        char c;
        bool ready = ipct_readable_within(r[0], 3000) && read(r[0], &c, 1) == 1;
        IPCT_CHILD_CHECK(kill(me, SIGUSR1) == 0);
        _exit(ready ? 0 : 1);
    }
    close(r[0]);
    onto_fd_zero(r[1], &saved);
    int rc = wait_signal(SIGUSR1, 0);
    int err = errno;
    restore_fd_zero(saved);
    int code = ipct_wait_exit(pid, 5000);
    cr_assert_eq(rc, 0, "wait_signal: %s", strerror(err));
    cr_assert_eq(code, 0,
                 "ready_fd 0 is a descriptor (>= 0): wait_signal must write its byte "
                 "there, or the peer never sends");
}

/* $begin lost_wakeup */
Test(waiting, signal_before_sleep_is_not_lost)
{
    sigsafety_reset();
    sigsafety_inject(SIGUSR1, 0); /* sent the moment wait_signal starts to wait */
    cr_assert_eq(wait_signal(SIGUSR1, -1), 0, "wait_signal: %s", strerror(errno));
    cr_assert_eq(sigsafety_injected(), 1, "wait_signal must wait in sigsuspend");
    cr_assert_eq(sigsafety_lost_wakeups(), 0,
                 "a signal that came between the flag check and pause() was lost: "
                 "keep it blocked and wait with sigsuspend");
}
/* $end lost_wakeup */

Test(waiting, other_signals_do_not_end_wait)
{
    sigsafety_reset();
    count_hits_of(SIGUSR2, -1);
    sigsafety_inject(SIGUSR2, SIGUSR1); /* first a stranger, then the one we want */
    cr_assert_eq(wait_signal(SIGUSR1, -1), 0, "wait_signal: %s", strerror(errno));
    cr_assert_eq(hits, 1, "SIGUSR2 should have been handled by its own handler");
    cr_assert_eq(sigsafety_injected(), 2,
                 "wait_signal returned after SIGUSR2: loop until your flag is set");
}

Test(waiting, mask_and_action_restored)
{
    sigsafety_reset();
    count_hits_of(SIGUSR1, -1);
    sigset_t old = mask_one(SIG_BLOCK, SIGUSR2);
    sigset_t before = current_mask();
    sigsafety_inject(SIGUSR1, 0);
    cr_assert_eq(wait_signal(SIGUSR1, -1), 0);
    sigset_t after = current_mask();
    cr_assert(same_mask(&before, &after), "the signal mask was not restored");
    cr_assert_eq(handler_of(SIGUSR1), count_hit,
                 "the previous SIGUSR1 action is not back");
    cr_assert_eq(hits, 0, "wait_signal must catch the signal with its own handler");
    sigprocmask(SIG_SETMASK, &old, NULL);
}

Test(waiting, caller_blocked_signal_stays_blocked)
{
    sigsafety_reset();
    sigset_t old = hold_usr2();
    sigsafety_inject(SIGUSR1, 0);
    cr_assert_eq(wait_signal(SIGUSR1, -1), 0, "wait_signal: %s", strerror(errno));
    expect_usr2_held(old, "wait_signal");
}

Test(waiting, ready_write_eintr_is_retried)
{
    int r[2];
    pid_t pid = fork_usr1_on_ready(r);
    ipct_fault_fail("write", 1, EINTR);
    errno = 0;
    int rc = wait_signal(SIGUSR1, r[1]);
    int err = errno;
    close(r[1]);
    cr_assert_eq(rc, 0,
                 "the ready byte's write failed with EINTR (injected by the test): a "
                 "signal interrupted it, write it again; wait_signal returned %d (%s)",
                 rc, strerror(err));
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0, "the peer never got the ready byte");
}

/* A pipe whose write end's first write by the student's code fails with EPIPE
 * (injected: as if the reader had gone), for the ready byte; [0] then [1]. */
static void ready_pipe_that_fails(int p[2])
{
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    ipct_fault_fail("write", 1, EPIPE);
}

/* Close the pipe p; fn's call (rc, errno err) must have failed with the write's EPIPE. */
static void expect_ready_failure(int p[2], int rc, int err, const char *fn)
{
    close(p[0]);
    close(p[1]);
    cr_assert_eq(rc, -1,
                 "the ready byte's write failed with EPIPE (injected by the "
                 "test): %s must fail",
                 fn);
    cr_assert_eq(err, EPIPE, "errno %s, expected the write's EPIPE", strerror(err));
}

Test(waiting, failure_restores_mask_and_action)
{
    count_hits_of(SIGUSR1, -1);
    sigset_t old = mask_one(SIG_BLOCK, SIGUSR2);
    sigset_t before = current_mask();
    int p[2];
    ready_pipe_that_fails(p);
    errno = 0;
    int rc = wait_signal(SIGUSR1, p[1]);
    expect_ready_failure(p, rc, errno, "wait_signal");
    sigset_t after = current_mask();
    cr_assert(same_mask(&before, &after),
              "after the failed write (EPIPE injected) the signal mask was not restored");
    cr_assert_eq(handler_of(SIGUSR1), count_hit,
                 "after the failed write (EPIPE injected) the previous SIGUSR1 action "
                 "is not back");
    sigprocmask(SIG_SETMASK, &old, NULL);
}

Test(waiting, uncatchable_is_einval)
{
    int bad[] = {SIGKILL, SIGSTOP, 0, NSIG};
    for (int i = 0; i < 4; i++) {
        IPCT_ASSERT_FAILS(EINVAL, wait_signal(bad[i], -1),
                          "signal %d cannot be waited for", bad[i]);
    }
}

/* ---- tally_signals ------------------------------------------------------- */

TestSuite(tally, .timeout = 10);

/* $begin coalesce_vs_queue */
Test(tally, standard_signals_coalesce)
{
    struct tally t;
    int n = tally_signals(SIGUSR1, 10, &t);
    cr_assert_eq(n, 1, "10 SIGUSR1 sent while blocked are delivered once, got %d", n);
    cr_assert_eq(t.values[0], 1, "the first one is kept, the others are dropped");
}

Test(tally, realtime_signals_queue)
{
    struct tally t;
    int n = tally_signals(SIGRTMIN, 10, &t);
    cr_assert_eq(n, 10, "10 real-time signals queue: expected 10 deliveries, got %d", n);
    for (int i = 0; i < 10; i++)
        cr_assert_eq(t.values[i], i + 1, "delivery %d carried %d, expected %d (in order)",
                     i, t.values[i], i + 1);
}
/* $end coalesce_vs_queue */

Test(tally, sender_and_code_are_recorded)
{
    struct tally t;
    cr_assert_eq(tally_signals(SIGRTMIN + 1, 3, &t), 3);
    cr_assert_eq(t.last_pid, getpid(), "si_pid is the sender: us");
    cr_assert_eq(t.last_code, SI_QUEUE, "sigqueue sets si_code to SI_QUEUE, got %d",
                 t.last_code);
    cr_assert_eq(t.values[2], 3);
    cr_assert_eq(tally_signals(SIGRTMIN + 1, 1, &t), 1,
                 "n = 1: one signal, one delivery");
    cr_assert_eq(t.values[0], 1);
}

Test(tally, queues_up_to_tally_max)
{
    /* Not SIGRTMAX: valgrind keeps the highest real-time signal for itself. */
    struct tally t;
    cr_assert_eq(tally_signals(SIGRTMIN + 2, TALLY_MAX, &t), TALLY_MAX);
    cr_assert_eq(t.values[TALLY_MAX - 1], TALLY_MAX);
}

Test(tally, action_and_mask_restored)
{
    count_hits_of(SIGUSR2, -1);
    sigset_t old = mask_one(SIG_BLOCK, SIGUSR1);
    sigset_t before = current_mask();
    struct tally t;
    cr_assert_eq(tally_signals(SIGUSR2, 3, &t), 1);
    sigset_t after = current_mask(), pending;
    cr_assert(same_mask(&before, &after), "the signal mask was not restored");
    cr_assert_eq(handler_of(SIGUSR2), count_hit, "the previous action is not back");
    cr_assert_eq(hits, 0, "a copy reached the old handler: deliver all before restoring");
    sigpending(&pending);
    cr_assert(!sigismember(&pending, SIGUSR2), "a copy is still pending");
    sigprocmask(SIG_SETMASK, &old, NULL);
}

Test(tally, caller_blocked_signal_stays_blocked)
{
    sigset_t old = hold_usr2();
    sigset_t rt =
        mask_one(SIG_BLOCK, SIGRTMIN); /* sig itself, blocked by the caller too */
    sigset_t before = current_mask();
    struct tally t;
    cr_assert_eq(tally_signals(SIGRTMIN, 3, &t), 3, "tally_signals: %s", strerror(errno));
    sigset_t after = current_mask();
    sigprocmask(SIG_SETMASK, &rt, NULL);
    cr_assert(same_mask(&before, &after),
              "the signal mask was not restored (sig was blocked by the caller)");
    expect_usr2_held(old, "tally_signals");
}

Test(tally, queue_limit_is_eagain)
{
    pid_t pid = ipct_fork();
    if (pid == 0) {
        int sig = SIGRTMIN + 3;
        hits = 0;
        hit_fd = -1;
        struct sigaction mine = {.sa_handler = count_hit}, now;
        sigemptyset(&mine.sa_mask);
        IPCT_CHILD_CHECK(sigaction(sig, &mine, NULL) == 0);
        /* Far fewer queued signals than TALLY_MAX: a sigqueue fails with EAGAIN. */
        struct rlimit few = {.rlim_cur = 4, .rlim_max = 4};
        IPCT_CHILD_CHECK(setrlimit(RLIMIT_SIGPENDING, &few) == 0);
        sigset_t before = current_mask();
        struct tally t;
        errno = 0;
        int rc = tally_signals(sig, TALLY_MAX, &t);
        IPCT_CHILD_CHECK(rc == -1 && errno == EAGAIN);
        sigset_t after = current_mask(), pending;
        IPCT_CHILD_CHECK(same_mask(&before, &after));
        IPCT_CHILD_CHECK(sigaction(sig, NULL, &now) == 0 && now.sa_handler == count_hit);
        sigpending(&pending);
        IPCT_CHILD_CHECK(!sigismember(&pending, sig));
        IPCT_CHILD_CHECK(hits == 0); /* no queued copy reached the previous handler */
        _exit(0);
    }
    cr_assert_eq(
        ipct_wait_exit(pid, 5000), 0,
        "with RLIMIT_SIGPENDING at 4, tally_signals(SIGRTMIN + 3, %d) must fail with "
        "EAGAIN, mask and action restored, no copy left pending or delivered to the "
        "previous handler (the child's check above says which)",
        TALLY_MAX);
}

Test(tally, bad_arguments_are_einval)
{
    struct tally t;
    struct {
        int sig, n;
        struct tally *t;
    } bad[] = {{SIGUSR1, 1, NULL}, {SIGUSR1, 0, &t}, {SIGUSR1, TALLY_MAX + 1, &t},
               {SIGKILL, 1, &t},   {SIGSTOP, 1, &t}, {0, 1, &t}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        IPCT_ASSERT_FAILS(EINVAL, tally_signals(bad[i].sig, bad[i].n, bad[i].t),
                          "case %zu", i);
    }
}

Test(tally, handler_is_async_signal_safe)
{
    sigsafety_reset();
    struct tally t;
    cr_assert_eq(tally_signals(SIGRTMIN, 5, &t), 5);
    cr_assert_eq(sigsafety_violations(), 0,
                 "the handler called %s(), which is not async-signal-safe",
                 sigsafety_last());
}

/* ---- signal_loop --------------------------------------------------------- */

struct loop {
    pid_t pid;
    int in;  /* we write here: the loop's in_fd */
    int out; /* we read here: the loop's out_fd */
};

/* $begin start_loop */
/* Block (how = SIG_BLOCK) or unblock signal_loop's three signals, SIGUSR1,
 * SIGUSR2 and SIGTERM; returns the previous mask. */
static sigset_t mask_loop_signals(int how)
{
    sigset_t three = set_of(SIGUSR1, SIGUSR2), old;
    sigaddset(&three, SIGTERM);
    cr_assert_eq(sigprocmask(how, &three, &old), 0);
    return old;
}

/* Run signal_loop in a child that starts with the signals already blocked,
   so a signal sent at any time waits for the signalfd instead of killing it.
   The child's stdin is closed (fd 0 is free for the signalfd) and it keeps a
   SIGWINCH of its own blocked and pending, which must stay so. The child
   exits with the loop's result (200+ if a check after it failed). */
static void start_loop_on(struct loop *l, bool socket_out)
{
    int in[2], out[2];
    cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
    if (socket_out) /* a stream socket: a write to it may be cut short */
        cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, out), 0);
    else
        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
    sigset_t old = mask_loop_signals(SIG_BLOCK);
    l->pid = ipct_fork();
    if (l->pid == 0) {
        close(in[1]);
        close(out[0]);
        close(STDIN_FILENO);
        IPCT_CHILD_CHECK(child_block(SIGWINCH));
        IPCT_CHILD_CHECK(raise(SIGWINCH) == 0); /* ignored by default if let in */
        struct ipct_fdset fds;
        ipct_fd_snapshot(&fds);
        sigset_t before = current_mask();
        int n = signal_loop(in[0], out[1]);
        sigset_t after = current_mask(), pending;
        if (!same_mask(&before, &after))
            _exit(201);
        if (ipct_fds_leaked(&fds, NULL, 0) != 0)
            _exit(202);
        sigpending(&pending);
        if (!sigismember(&pending, SIGWINCH))
            _exit(203);
        _exit(n < 0 ? 255 : n);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(in[0]);
    close(out[1]);
    l->in = in[1];
    l->out = out[0];
}
/* $end start_loop */

static void start_loop(struct loop *l)
{
    start_loop_on(l, false);
}

/* Expect exactly text on the loop's output. */
static void expect_out(struct loop *l, const char *text)
{
    char buf[128] = "";
    size_t len = strlen(text);
    cr_assert_eq(ipct_read_exact(l->out, buf, len, 5000), 0,
                 "expected \"%s\" from the loop, got \"%s\"", text, buf);
    cr_assert_eq(memcmp(buf, text, len), 0, "expected \"%s\", got \"%.*s\"", text,
                 (int)len, buf);
}

/* Close our ends and require the loop's exit status. */
static void expect_end(struct loop *l, int code)
{
    int got = end_input_and_wait(l->pid, l->in, l->out);
    cr_assert_neq(got, 201, "signal_loop did not restore the signal mask");
    cr_assert_neq(got, 202, "signal_loop left an fd open (the signalfd?)");
    cr_assert_neq(got, 203,
                  "SIGWINCH, blocked by the caller and pending, was let in during "
                  "signal_loop: block with SIG_BLOCK (added to the caller's mask), never "
                  "replace the mask");
    cr_assert_eq(got, code, "signal_loop returned %d, expected %d", got, code);
}

TestSuite(loop, .timeout = 10);

Test(loop, copies_data)
{
    struct loop l;
    start_loop(&l);
    cr_assert_eq(write(l.in, "hello", 5), 5);
    expect_out(&l, "hello");
    expect_end(&l, 0); /* end of file on in_fd ends the loop */
}

Test(loop, reports_sigqueue_values)
{
    struct loop l;
    start_loop(&l);
    cr_assert_eq(sigqueue(l.pid, SIGUSR1, (union sigval){.sival_int = 7}), 0);
    expect_out(&l, "USR1 7\n");
    cr_assert_eq(sigqueue(l.pid, SIGUSR2, (union sigval){.sival_int = -3}), 0);
    expect_out(&l, "USR2 -3\n");
    cr_assert_eq(kill(l.pid, SIGTERM), 0);
    int got = ipct_wait_exit(l.pid, 5000);
    cr_assert_eq(got, 2, "SIGTERM ends the loop, which reported 2 lines; got %d", got);
    close(l.in);
    close(l.out);
}

Test(loop, kill_reports_zero)
{
    struct loop l;
    start_loop(&l);
    cr_assert_eq(kill(l.pid, SIGUSR1), 0);
    expect_out(&l, "USR1 0\n");
    expect_end(&l, 1);
}

Test(loop, sigterm_stops_loop)
{
    struct loop l;
    start_loop(&l);
    cr_assert_eq(kill(l.pid, SIGTERM), 0); /* in_fd is still open */
    int status;
    cr_assert_eq(ipct_wait(l.pid, &status, 5000), 0, "SIGTERM did not end the loop");
    cr_assert(WIFEXITED(status), "killed by signal %d: it must come through the signalfd",
              WTERMSIG(status));
    cr_assert_eq(WEXITSTATUS(status), 0);
    close(l.in);
    close(l.out);
}

Test(loop, data_and_signals_interleave)
{
    struct loop l;
    start_loop(&l);
    cr_assert_eq(write(l.in, "a", 1), 1);
    expect_out(&l, "a");
    cr_assert_eq(sigqueue(l.pid, SIGUSR2, (union sigval){.sival_int = 5}), 0);
    expect_out(&l, "USR2 5\n");
    cr_assert_eq(write(l.in, "b", 1), 1);
    expect_out(&l, "b");
    expect_end(&l, 1);
}

Test(loop, mask_restored_and_fds_closed)
{
    struct loop l;
    start_loop(&l);
    cr_assert_eq(kill(l.pid, SIGUSR1), 0);
    expect_out(&l, "USR1 0\n");
    expect_end(&l, 1); /* the child checks its mask and fds after the loop */
}

/*
 * The kernel may interrupt poll and read, and cut a write to a socket short:
 * the shim makes it happen in the loop's process (handout: "Faults the tests
 * inject"). out_fd is a stream socket, every write to it moves at most 1 byte.
 */
Test(loop, survives_eintr_and_short_writes)
{
    fault_eintr_and_short_writes();
    struct loop l;
    start_loop_on(&l, true);
    cr_assert_eq(write(l.in, "hello", 5), 5);
    expect_out(&l, "hello");
    cr_assert_eq(sigqueue(l.pid, SIGUSR1, (union sigval){.sival_int = 42}), 0);
    expect_out(&l, "USR1 42\n");
    expect_end(&l, 1);
    cr_assert_geq(ipct_faults_count(), 4, "faults injected: %s", ipct_faults_injected());
}

Test(loop, restores_unblocked_mask)
{
    /* The caller blocks none of the three: they must be unblocked again after. */
    int in[2], out[2];
    cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
    close(in[1]); /* end of file at once: the loop returns 0 */
    sigset_t old = mask_loop_signals(SIG_UNBLOCK);
    sigset_t before = current_mask();
    int n = signal_loop(in[0], out[1]);
    sigset_t after = current_mask();
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(in[0]);
    close(out[0]);
    close(out[1]);
    cr_assert_eq(n, 0, "signal_loop: %s", strerror(errno));
    cr_assert(
        same_mask(&before, &after),
        "SIGUSR1, SIGUSR2 and SIGTERM were unblocked before signal_loop and are not "
        "after it: restore the previous mask");
}

Test(loop, write_failure_is_an_error)
{
    ipct_fault_fail("write send", 1, EPIPE); /* as if out_fd's reader had gone */
    struct loop l;
    start_loop(&l);
    cr_assert_eq(write(l.in, "hello", 5), 5);
    int got = end_input_and_wait(l.pid, l.in, l.out);
    cr_assert_geq(ipct_faults_count(), 1, "signal_loop never wrote to out_fd");
    cr_assert_neq(got, 201, "after the failed write the signal mask was not restored");
    cr_assert_neq(got, 202, "after the failed write an fd was left open (the signalfd?)");
    cr_assert_eq(
        got, 255,
        "the write to out_fd failed with EPIPE (injected by the test): signal_loop "
        "must return -1, it returned %d",
        got);
}

/* ---- reload_service ------------------------------------------------------ */

TestSuite(reload, .timeout = 10);

struct svc {
    pid_t pid;
    int in;         /* we write requests here: the service's in_fd */
    int out;        /* we read its lines here: its out_fd */
    char path[256]; /* its configuration file */
};

/* Replace the configuration file's contents (a new file renamed over the
   old one, as configuration tools do: the service never sees half of it). */
static void write_config(const char *path, const char *contents)
{
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    cr_assert_geq(fd, 0, "%s: %s", tmp, strerror(errno));
    size_t len = strlen(contents);
    cr_assert_eq(write(fd, contents, len), (ssize_t)len);
    close(fd);
    cr_assert_eq(rename(tmp, path), 0);
}

enum svc_start {
    SVC_PLAIN,       /* SIGHUP and SIGTERM unblocked, nothing pending */
    SVC_EARLY_HUP,   /* the caller blocked them and SIGHUP is already pending */
    SVC_EARLY_TERM,  /* the caller blocked them and SIGTERM is already pending */
    SVC_INJECT_HUP,  /* SIGHUP arrives the moment the loop first waits */
    SVC_OWN_ACTIONS, /* the caller has its own SIGHUP handler and blocks SIGUSR2 */
    SVC_TERM_AT_EOF, /* in_fd is at end of file and SIGTERM comes as the loop first
                        waits: both ready at once, the signal may stay pending */
    SVC_SOCKET_OUT,  /* out_fd is a stream socket (a write to it may be cut short) */
    SVC_LATE_TERM,   /* SIGTERM arrives as the loop starts its second wait */
};

/* $begin start_service */
/*
 * Run reload_service in a child with the configuration text. The child
 * runs with its stdin closed (fd 0 is free) and a SIGWINCH of its own
 * blocked and pending. It checks, after it returns, that the mask, the
 * SIGHUP and SIGTERM actions and the fds are as before, that no wakeup was
 * lost and that SIGWINCH is still pending; it exits with the service's
 * result (201..206 for those checks, 255 for -1).
 */
static void start_service(struct svc *s, const char *text, enum svc_start how)
{
    int in[2], out[2];
    ipct_path(s->path, sizeof s->path, "service.conf");
    write_config(s->path, text);
    cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
    if (how == SVC_SOCKET_OUT)
        cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, out), 0);
    else
        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
    s->pid = ipct_fork();
    if (s->pid == 0) {
        close(in[1]);
        close(out[0]);
        close(STDIN_FILENO); /* fd 0 is free: open may return it */
        IPCT_CHILD_CHECK(child_block(SIGWINCH));
        IPCT_CHILD_CHECK(raise(SIGWINCH) == 0); /* the caller's: must stay pending */
        sigsafety_reset();
        if (how == SVC_OWN_ACTIONS) {
            IPCT_CHILD_CHECK(child_catch(SIGHUP, count_hit));
            IPCT_CHILD_CHECK(child_block(SIGUSR2));
        }
        if (how == SVC_EARLY_HUP || how == SVC_EARLY_TERM) {
            sigset_t both = set_of(SIGHUP, SIGTERM);
            IPCT_CHILD_CHECK(sigprocmask(SIG_BLOCK, &both, NULL) == 0);
            IPCT_CHILD_CHECK(raise(how == SVC_EARLY_HUP ? SIGHUP : SIGTERM) == 0);
        }
        struct ipct_fdset fds;
        ipct_fd_snapshot(&fds);
        sigset_t before = current_mask();
        struct sigaction hup0, term0, hup1, term1;
        sigaction(SIGHUP, NULL, &hup0);
        sigaction(SIGTERM, NULL, &term0);
        if (how == SVC_INJECT_HUP)
            sigsafety_inject(SIGHUP, 0);
        if (how == SVC_LATE_TERM)
            sigsafety_inject_later(1, SIGTERM);
        if (how == SVC_TERM_AT_EOF) {
            int eof[2];
            IPCT_CHILD_CHECK(pipe2(eof, O_CLOEXEC) == 0);
            close(eof[1]);
            close(in[0]);
            in[0] = eof[0];
            ipct_fd_snapshot(&fds);
            sigsafety_inject(SIGTERM, 0);
        }
        int n = reload_service(s->path, in[0], out[1]);
        sigset_t after = current_mask();
        sigaction(SIGHUP, NULL, &hup1);
        sigaction(SIGTERM, NULL, &term1);
        if (sigsafety_lost_wakeups() != 0)
            _exit(203);
        if ((how == SVC_INJECT_HUP || how == SVC_TERM_AT_EOF || how == SVC_LATE_TERM) &&
            sigsafety_injected() != 1)
            _exit(204);
        if (!same_mask(&before, &after))
            _exit(201);
        if (ipct_fds_leaked(&fds, NULL, 0) != 0)
            _exit(202);
        if (hup0.sa_handler != hup1.sa_handler || term0.sa_handler != term1.sa_handler)
            _exit(205);
        sigset_t pending;
        sigpending(&pending);
        if (!sigismember(&pending, SIGWINCH))
            _exit(206);
        _exit(n < 0 ? 255 : n);
    }
    close(in[0]);
    close(out[1]);
    s->in = in[1];
    s->out = out[0];
}
/* $end start_service */

/* Read one line (up to '\n') from the service, waiting at most 5 s. */
static void svc_line(struct svc *s, char *line, size_t cap)
{
    size_t len = 0;
    while (len + 1 < cap) {
        char c;
        if (ipct_read_exact(s->out, &c, 1, 5000) < 0)
            break;
        line[len++] = c;
        if (c == '\n')
            break;
    }
    line[len] = '\0';
}

/* Expect exactly the line want (with its '\n') from the service. */
static void svc_expect(struct svc *s, const char *want, const char *why)
{
    char line[CONFIG_MAX + 32];
    svc_line(s, line, sizeof line);
    cr_assert_str_eq(line, want, "%s", why);
}

/* Send one request and expect the text in effect as the answer. */
static void svc_ask(struct svc *s, const char *want)
{
    cr_assert_eq(write(s->in, "?", 1), 1);
    svc_expect(s, want, "a request is answered with the configuration in effect");
}

/* Close in_fd (end of file ends the service, if SIGTERM has not), wait for
   the service to end and require the exit code (its result). */
static void svc_end(struct svc *s, int code)
{
    int status;
    if (s->in >= 0)
        close(s->in);
    cr_assert_eq(ipct_wait(s->pid, &status, 5000), 0,
                 "the service did not stop within 5 s");
    close(s->out);
    cr_assert(!WIFSIGNALED(status), "the service was killed by signal %d (%s)",
              WTERMSIG(status), strsignal(WTERMSIG(status)));
    int got = WEXITSTATUS(status);
    cr_assert_neq(got, SIGSAFETY_EXIT,
                  "a handler did work or called an unsafe function (see stderr): "
                  "it must only set a flag");
    cr_assert_neq(got, 201, "reload_service did not restore the signal mask");
    cr_assert_neq(got, 202, "reload_service left an fd open");
    cr_assert_neq(got, 203, "a SIGHUP that came just before the loop slept was lost");
    cr_assert_neq(got, 204, "the loop must wait in poll or ppoll");
    cr_assert_neq(got, 205, "the previous SIGHUP/SIGTERM actions are not back");
    cr_assert_neq(
        got, 206,
        "SIGWINCH, blocked by the caller and pending, was let in during "
        "reload_service: block with SIG_BLOCK (added to the caller's mask), never "
        "replace the mask");
    cr_assert_neq(got, 255, "reload_service failed");
    cr_assert_eq(got, code, "reload_service returned %d, expected %d reloads", got, code);
}

/* Replace the file with contents, send SIGHUP and expect the line ack (why: what it
 * shows). */
static void svc_reload(struct svc *s, const char *contents, const char *ack,
                       const char *why)
{
    write_config(s->path, contents);
    cr_assert_eq(kill(s->pid, SIGHUP), 0);
    svc_expect(s, ack, why);
}

/* $begin sighup_test */
Test(reload, sighup_rereads_config)
{
    struct svc s;
    start_service(&s, "hello\n", SVC_PLAIN);
    svc_expect(&s, "ready hello\n", "first the service says ready with its text");
    svc_ask(&s, "hello\n");
    write_config(s.path, "bonjour\n");
    svc_ask(&s, "hello\n"); /* nothing changes before SIGHUP */
    cr_assert_eq(kill(s.pid, SIGHUP), 0);
    svc_expect(&s, "reload bonjour\n", "SIGHUP re-reads the file and acknowledges");
    svc_ask(&s, "bonjour\n");
    cr_assert_eq(kill(s.pid, SIGTERM), 0);
    svc_end(&s, 1);
}
/* $end sighup_test */

/*
 * The kernel may interrupt ppoll and read, and cut a write to a socket short:
 * the shim makes it happen in the service's process (handout: "Faults the
 * tests inject"). out_fd is a stream socket, every write to it moves at most
 * 1 byte.
 */
Test(reload, survives_eintr_and_short_writes)
{
    fault_eintr_and_short_writes();
    struct svc s;
    start_service(&s, "hello\n", SVC_SOCKET_OUT);
    svc_expect(&s, "ready hello\n", "the ready line, written 1 byte at a time");
    svc_ask(&s, "hello\n");
    svc_reload(&s, "bonjour\n", "reload bonjour\n",
               "the reload line, written 1 byte at a time");
    svc_ask(&s, "bonjour\n");
    svc_end(&s, 1);
    cr_assert_geq(ipct_faults_count(), 4, "faults injected: %s", ipct_faults_injected());
}

Test(reload, every_reload_is_acknowledged)
{
    struct svc s;
    const char *texts[] = {"one", "two", "three"};
    start_service(&s, "zero\n", SVC_PLAIN);
    svc_expect(&s, "ready zero\n", "ready first");
    for (int i = 0; i < 3; i++) {
        char file[32], ack[48], answer[32];
        snprintf(file, sizeof file, "%s\nsecond line is ignored\n", texts[i]);
        snprintf(ack, sizeof ack, "reload %s\n", texts[i]);
        snprintf(answer, sizeof answer, "%s\n", texts[i]);
        svc_reload(&s, file, ack,
                   "each SIGHUP re-reads the first line and acknowledges it");
        svc_ask(&s, answer);
    }
    svc_end(&s, 3); /* closes in_fd: end of file ends the service */
}

Test(reload, bad_config_keeps_old)
{
    struct svc s;
    start_service(&s, "good", SVC_PLAIN); /* a last line without '\n' counts */
    svc_expect(&s, "ready good\n", "ready first");
    cr_assert_eq(unlink(s.path), 0);
    cr_assert_eq(kill(s.pid, SIGHUP), 0);
    svc_expect(&s, "reload failed\n", "a missing file is a failed reload");
    svc_ask(&s, "good\n");
    char longer[CONFIG_MAX + 8];
    memset(longer, 'x', CONFIG_MAX);
    strcpy(longer + CONFIG_MAX, "\n");
    svc_reload(&s, longer, "reload failed\n", "a line of CONFIG_MAX bytes is too long");
    svc_ask(&s, "good\n");
    svc_reload(&s, "\nsecond\n", "reload failed\n",
               "an empty first line is a failed reload");
    svc_ask(&s, "good\n");
    svc_reload(&s, "better\n", "reload better\n", "a good file loads again");
    svc_ask(&s, "better\n");
    cr_assert_eq(kill(s.pid, SIGTERM), 0);
    svc_end(&s, 1); /* only one reload loaded */
}

Test(reload, answers_every_request)
{
    struct svc s;
    start_service(&s, "hi\n", SVC_PLAIN);
    svc_expect(&s, "ready hi\n", "ready first");
    cr_assert_eq(write(s.in, "abc", 3), 3); /* three requests in one write */
    for (int i = 0; i < 3; i++)
        svc_expect(&s, "hi\n", "every byte read is a request");
    svc_end(&s, 0); /* svc_end closes in: end of file ends the loop */
}

Test(reload, sigterm_ends_cleanly)
{
    struct svc s;
    start_service(&s, "bye\n", SVC_PLAIN);
    svc_expect(&s, "ready bye\n", "ready first");
    cr_assert_eq(kill(s.pid, SIGTERM), 0); /* in_fd is still open */
    int status;
    cr_assert_eq(ipct_wait(s.pid, &status, 5000), 0, "SIGTERM did not end the service");
    cr_assert(WIFEXITED(status), "killed by signal %d: catch SIGTERM and return",
              WTERMSIG(status));
    cr_assert_eq(WEXITSTATUS(status), 0,
                 "exit %d: expected 0 reloads and everything restored",
                 WEXITSTATUS(status));
    close(s.in);
    close(s.out);
}

/* $begin term_at_eof */
Test(reload, sigterm_at_end_of_file_is_caught)
{
    struct svc s;
    start_service(&s, "x\n", SVC_TERM_AT_EOF); /* in_fd at end of file from the start */
    svc_expect(&s, "ready x\n", "ready first");
    svc_end(&s, 0); /* killed by SIGTERM if it was left to the default action */
}
/* $end term_at_eof */

Test(reload, early_sighup_is_not_lost)
{
    struct svc s;
    start_service(&s, "early\n", SVC_EARLY_HUP);
    svc_expect(&s, "ready early\n", "ready first");
    svc_expect(&s, "reload early\n",
               "a SIGHUP pending when the service starts must cause a reload");
    svc_end(&s, 1);
}

Test(reload, early_sigterm_is_not_lost)
{
    struct svc s;
    start_service(&s, "early\n", SVC_EARLY_TERM);
    svc_expect(&s, "ready early\n", "ready first");
    int status;
    cr_assert_eq(ipct_wait(s.pid, &status, 5000), 0,
                 "a SIGTERM pending when the service starts was lost");
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the service must end cleanly (status 0x%x)", status);
    close(s.in);
    close(s.out);
}

/* $begin hup_before_sleep */
Test(reload, sighup_before_sleep_is_not_lost)
{
    struct svc s;
    start_service(&s, "race\n", SVC_INJECT_HUP); /* SIGHUP as the loop starts to wait */
    svc_expect(&s, "ready race\n", "ready first");
    svc_expect(&s, "reload race\n", "the SIGHUP must be acknowledged");
    svc_end(&s, 1); /* the child reports a poll that slept through it (203) */
}
/* $end hup_before_sleep */

/*
 * The same race later: after the service has answered a request, SIGTERM
 * arrives just as the loop starts its next wait. A loop that lets signals in
 * at its safe point must block them again before it tests its flags, or the
 * handler runs between the test and the wait, and the wait sleeps through it.
 * in_fd stays open: only the signal can end the service.
 */
Test(reload, late_sigterm_is_not_lost)
{
    struct svc s;
    start_service(&s, "late\n", SVC_LATE_TERM);
    svc_expect(&s, "ready late\n", "ready first");
    svc_ask(&s, "late\n");
    int in = s.in;
    s.in = -1; /* closed after the service ended: end of file must not end it */
    int status;
    bool ended = ipct_wait(s.pid, &status, 5000) == 0;
    if (ended)
        s.pid = 0;
    close(in);
    cr_assert(ended, "the service did not end after SIGTERM");
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 203,
              "a SIGTERM that came just before the loop slept again (after a request) "
              "was lost: block the signals again at once after letting them in");
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the service must end cleanly after SIGTERM (status 0x%x)", status);
    close(s.out);
}

/* Write requests to the non-blocking fd until its pipe is full. */
static void top_up_requests(int fd)
{
    char many[4096];
    memset(many, '?', sizeof many);
    while (write(fd, many, sizeof many) > 0)
        ;
}

/*
 * Read what the service wrote (fd non-blocking) for up to ms milliseconds;
 * returns whether the line want went by. *tail keeps the end of the last read,
 * so a line cut between two reads is found too.
 */
static bool line_went_by(int fd, const char *want, char tail[32], int ms)
{
    char buf[8192 + 32];
    size_t keep = strlen(tail);
    memcpy(buf, tail, keep);
    if (!ipct_readable_within(fd, ms))
        return false;
    ssize_t n = read(fd, buf + keep, sizeof buf - keep - 1);
    if (n <= 0)
        return false;
    size_t len = keep + (size_t)n;
    buf[len] = '\0';
    bool found = strstr(buf, want) != NULL;
    size_t t = len < 31 ? len : 31;
    memcpy(tail, buf + len - t, t);
    tail[t] = '\0';
    return found;
}

/*
 * A SIGHUP while requests keep coming: the test keeps in_fd's pipe full, so
 * the loop always finds a request waiting, and reads the answers as they
 * come. The reload must still happen, within 5 s. (ppoll that finds an fd
 * ready returns without letting a blocked signal in.)
 */
Test(reload, sighup_amid_busy_requests)
{
    struct svc s;
    start_service(&s, "busy\n", SVC_PLAIN);
    svc_expect(&s, "ready busy\n", "ready first");
    cr_assert_eq(fcntl(s.in, F_SETFL, O_NONBLOCK), 0);
    cr_assert_eq(fcntl(s.out, F_SETFL, O_NONBLOCK), 0);
    write_config(s.path, "calm\n");
    top_up_requests(s.in);
    cr_assert_eq(kill(s.pid, SIGHUP), 0);
    char tail[32] = "";
    bool reloaded = false;
    for (long long end = ipct_now_ms() + 5000; !reloaded && ipct_now_ms() < end;) {
        reloaded = line_went_by(s.out, "reload calm\n", tail, 100);
        top_up_requests(s.in);
    }
    /* Stop the stream: the service answers what is left, then ends at end of file. */
    close(s.in);
    s.in = -1;
    for (long long end = ipct_now_ms() + 10000; ipct_now_ms() < end;) {
        char buf[8192];
        if (!ipct_readable_within(s.out, 1000))
            continue;
        if (read(s.out, buf, sizeof buf) == 0)
            break;
    }
    cr_assert(reloaded,
              "a SIGHUP sent while requests kept coming was not acted on within 5 s: "
              "let the signals in at a safe point of the loop, since ppoll returns "
              "without delivering them while in_fd is ready");
    svc_end(&s, 1);
}

Test(reload, mask_and_handlers_restored)
{
    struct svc s;
    start_service(&s, "mine\n", SVC_OWN_ACTIONS);
    svc_expect(&s, "ready mine\n", "ready first");
    cr_assert_eq(kill(s.pid, SIGHUP), 0);
    svc_expect(&s, "reload mine\n",
               "the service's own handler takes SIGHUP while it runs");
    cr_assert_eq(kill(s.pid, SIGTERM), 0);
    svc_end(&s, 1); /* the child compares its actions and mask (205, 201) */
}

Test(reload, handler_only_sets_flag)
{
    struct svc s;
    start_service(&s, "calm\n", SVC_PLAIN);
    svc_expect(&s, "ready calm\n", "ready first");
    write_config(s.path, "quiet\n");
    cr_assert_eq(kill(s.pid, SIGHUP), 0);
    char line[CONFIG_MAX + 32];
    svc_line(&s, line, sizeof line); /* the ack, or nothing if the child died */
    cr_assert_eq(kill(s.pid, SIGTERM), 0);
    svc_end(&s, 1); /* SIGSAFETY_EXIT if the handler opened the file itself */
    cr_assert_str_eq(line, "reload quiet\n");
}

Test(reload, longest_line_loads)
{
    char text[CONFIG_MAX + 8], want[CONFIG_MAX + 16];
    memset(text, 'z', CONFIG_MAX - 1); /* CONFIG_MAX - 1 bytes: the longest allowed */
    strcpy(text + CONFIG_MAX - 1, "\n");
    struct svc s;
    start_service(&s, text, SVC_PLAIN);
    snprintf(want, sizeof want, "ready %s", text);
    svc_expect(&s, want, "a first line of CONFIG_MAX - 1 bytes loads");
    svc_ask(&s, text);
    cr_assert_eq(kill(s.pid, SIGTERM), 0);
    svc_end(&s, 0);
}

Test(reload, write_failure_is_an_error)
{
    ipct_fault_fail("write send", 1,
                    EPIPE); /* the ready line: as if out_fd's reader had gone */
    struct svc s;
    start_service(&s, "hello\n", SVC_PLAIN);
    int got = end_input_and_wait(s.pid, s.in, s.out);
    cr_assert_geq(ipct_faults_count(), 1, "reload_service never wrote its ready line");
    cr_assert_neq(got, 201, "after the failed write the signal mask was not restored");
    cr_assert_neq(got, 202, "after the failed write an fd was left open");
    cr_assert_neq(got, 205, "after the failed write the previous actions are not back");
    cr_assert_neq(got, 206, "a signal the caller blocked was let in");
    cr_assert_eq(got, 255,
                 "the write to out_fd failed with EPIPE (injected by the test): "
                 "reload_service must return -1, it returned %d",
                 got);
}

Test(reload, bad_first_config_fails)
{
    char path[256];
    ipct_path(path, sizeof path, "service.conf");
    char longer[CONFIG_MAX + 8];
    memset(longer, 'y', CONFIG_MAX);
    strcpy(longer + CONFIG_MAX, "\n");
    struct {
        const char *contents; /* NULL: no file; "/": a directory (read fails, EISDIR) */
        int err;
    } cases[] = {
        {NULL, ENOENT}, {"", EINVAL}, {"\nx\n", EINVAL}, {longer, EINVAL}, {"/", EISDIR}};
    void (*hup_before)(int) = handler_of(SIGHUP);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unlink(path);
        if (cases[i].contents != NULL && strcmp(cases[i].contents, "/") == 0)
            cr_assert_eq(mkdir(path, 0700), 0);
        else if (cases[i].contents != NULL)
            write_config(path, cases[i].contents);
        int in[2], out[2];
        cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        close(in[1]); /* a service that wrongly starts ends at once */
        struct ipct_fdset fds;
        ipct_fd_snapshot(&fds);
        sigset_t before = current_mask();
        errno = 0;
        int rc = reload_service(path, in[0], out[1]);
        int err = errno;
        sigset_t after = current_mask();
        close(in[0]);
        close(out[1]);
        char leaked[256] = "";
        int left = ipct_fds_leaked(&fds, leaked, sizeof leaked);
        if (cases[i].contents != NULL && strcmp(cases[i].contents, "/") == 0)
            rmdir(path);
        cr_assert_eq(rc, -1, "case %zu: a bad first configuration is an error", i);
        cr_assert_eq(err, cases[i].err, "case %zu: errno %s, expected %s", i,
                     strerror(err), strerror(cases[i].err));
        cr_assert_eq(left, 0, "case %zu: an fd was left open (%s): close the file", i,
                     leaked);
        char junk[CONFIG_MAX + 16];
        cr_assert_eq(ipct_drain(out[0], junk, sizeof junk, 1000), 0,
                     "case %zu: nothing may be written after a failed start", i);
        close(out[0]);
        cr_assert(same_mask(&before, &after), "case %zu: the mask changed", i);
        cr_assert_eq(handler_of(SIGHUP), hup_before, "case %zu: SIGHUP's action changed",
                     i);
    }
    unlink(path);
}

/* ---- take_signals -------------------------------------------------------- */

TestSuite(syncwait, .timeout = 10);

/* $begin take_test */
Test(syncwait, takes_sigqueue_values_and_sender)
{
    int sig = SIGRTMIN + 3, r[2];
    cr_assert_eq(pipe2(r, O_CLOEXEC), 0);
    pid_t me = getpid();
    pid_t pid = ipct_fork();
    if (pid == 0) { /* send three values once the test is ready */
        close(r[1]);
        char c;
        IPCT_CHILD_CHECK(ipct_readable_within(r[0], 5000) && read(r[0], &c, 1) == 1);
        for (int v = 1; v <= 3; v++)
            IPCT_CHILD_CHECK(sigqueue(me, sig, (union sigval){.sival_int = 10 * v}) == 0);
        _exit(0);
    }
    close(r[0]);
    sigset_t set = set_of(sig, 0);
    struct sigrecord rec[3];
    int n = take_signals(&set, r[1], -1, rec, 3); /* no timeout: sigwaitinfo */
    cr_assert_eq(n, 3, "take_signals: %d (%s)", n, strerror(errno));
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(rec[i].signo, sig);
        cr_assert_eq(rec[i].code, SI_QUEUE, "si_code after sigqueue is SI_QUEUE");
        cr_assert_eq(rec[i].pid, pid, "si_pid is the sender, the child");
        cr_assert_eq(rec[i].value, 10 * (i + 1), "the values arrive in order");
    }
    close(r[1]);
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0);
}
/* $end take_test */

/* ready_fd may be descriptor 0: take_signals writes its byte there too. */
Test(syncwait, ready_fd_zero_is_written)
{
    int r[2], saved;
    pid_t pid = fork_usr1_on_ready(r);
    onto_fd_zero(r[1], &saved);
    sigset_t set = set_of(SIGUSR1, 0);
    struct sigrecord rec[1];
    int n = take_signals(&set, 0, 5000, rec, 1);
    int err = errno;
    restore_fd_zero(saved);
    int code = ipct_wait_exit(pid, 5000);
    cr_assert_eq(code, 0,
                 "ready_fd 0 is a descriptor (>= 0): take_signals must write its byte "
                 "there, or the peer never sends");
    cr_assert_eq(n, 1, "take_signals: %d (%s)", n, strerror(err));
}

/*
 * Block SIGUSR1 and send it to ourselves, so it is pending before the call,
 * then take it: take_signals({SIGUSR1}, no ready fd, timeout 0) must return
 * 1 record, in *rec. Returns the mask from before SIGUSR1 was blocked.
 */
static sigset_t take_pending_usr1(struct sigrecord *rec)
{
    sigset_t old = mask_one(SIG_BLOCK, SIGUSR1);
    cr_assert_eq(kill(getpid(), SIGUSR1), 0); /* pending before the call */
    sigset_t set = set_of(SIGUSR1, 0);
    cr_assert_eq(take_signals(&set, -1, 0, rec, 1), 1, "take_signals: %s",
                 strerror(errno));
    return old;
}

Test(syncwait, pending_signal_is_taken)
{
    struct sigrecord rec[1];
    sigset_t old = take_pending_usr1(rec);
    cr_assert_eq(rec[0].signo, SIGUSR1);
    cr_assert_eq(rec[0].code, SI_USER, "si_code after kill is SI_USER");
    cr_assert_eq(rec[0].pid, getpid());
    cr_assert_eq(rec[0].value, 0, "kill sends no value");
    sigset_t pending;
    sigpending(&pending);
    cr_assert(!sigismember(&pending, SIGUSR1), "the signal is still pending: take it");
    sigprocmask(SIG_SETMASK, &old, NULL);
}

Test(syncwait, caller_blocked_stays_blocked)
{
    sigset_t old = hold_usr2();
    struct sigrecord rec[1];
    sigset_t usr2_only = take_pending_usr1(rec);
    sigprocmask(SIG_SETMASK, &usr2_only, NULL);
    expect_usr2_held(old, "take_signals");
}

Test(syncwait, no_handler_runs)
{
    count_hits_of(SIGUSR2, -1);
    sigsafety_reset();
    sigsafety_inject(SIGUSR2, 0); /* sent the moment take_signals waits */
    sigset_t set = set_of(SIGUSR2, 0);
    struct sigrecord rec[1];
    cr_assert_eq(take_signals(&set, -1, 2000, rec, 1), 1, "take_signals: %s",
                 strerror(errno));
    cr_assert_eq(sigsafety_injected(), 1,
                 "take_signals must wait in sigwaitinfo/sigtimedwait");
    cr_assert_eq(rec[0].signo, SIGUSR2);
    cr_assert_eq(hits, 0, "a signal that is waited for never reaches a handler");
    cr_assert_eq(handler_of(SIGUSR2), count_hit, "take_signals must not change actions");
}

Test(syncwait, standard_coalesce_realtime_queue)
{
    int rt = SIGRTMIN + 4;
    sigset_t set = set_of(SIGUSR1, rt);
    sigset_t old;
    cr_assert_eq(sigprocmask(SIG_BLOCK, &set, &old), 0);
    for (int i = 1; i <= 3; i++) {
        cr_assert_eq(sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = i}), 0);
        cr_assert_eq(sigqueue(getpid(), rt, (union sigval){.sival_int = i}), 0);
    }
    struct sigrecord rec[8];
    int n = take_signals(&set, -1, 0, rec, 8); /* zero timeout: only what is pending */
    cr_assert_eq(n, 4, "1 SIGUSR1 (coalesced) + 3 real-time signals pending, took %d", n);
    int usr1 = 0, rts = 0, next = 1;
    for (int i = 0; i < n; i++) {
        if (rec[i].signo == SIGUSR1)
            usr1++;
        if (rec[i].signo == rt) {
            rts++;
            cr_assert_eq(rec[i].value, next++, "real-time values come in order");
        }
    }
    cr_assert(usr1 == 1 && rts == 3, "took %d SIGUSR1 and %d real-time", usr1, rts);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

Test(syncwait, timeout_returns_what_came)
{
    sigset_t set = set_of(SIGUSR1, 0);
    sigset_t old = mask_one(SIG_BLOCK, SIGUSR1);
    cr_assert_eq(raise(SIGUSR1), 0);
    struct sigrecord rec[4];
    errno = 0;
    int n = take_signals(&set, -1, 20, rec, 4);
    cr_assert_eq(n, 1, "one signal came, then the timeout: expected 1, got %d (%s)", n,
                 strerror(errno));
    cr_assert_eq(rec[0].signo, SIGUSR1);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

Test(syncwait, nothing_in_time_is_eagain)
{
    sigset_t set = set_of(SIGUSR1, SIGUSR2);
    struct sigrecord rec[2];
    sigset_t before = current_mask();
    IPCT_ASSERT_FAILS(EAGAIN, take_signals(&set, -1, 0, rec, 2), "nothing came: -1");
    IPCT_ASSERT_FAILS(EAGAIN, take_signals(&set, -1, 30, rec, 2),
                      "nothing came in 30 ms: -1");
    sigset_t after = current_mask();
    cr_assert(same_mask(&before, &after), "the mask must be restored after a timeout");
}

/*
 * In a child: wait until process pid sleeps in rt_sigtimedwait, send it
 * SIGUSR2 (handled, not waited for: the wait fails with EINTR), wait for the
 * handler's byte, then send SIGUSR1 (the one it waits for).
 */
static pid_t interrupt_sigwait(int hit_rd, int hit_wr)
{
    pid_t me = getpid();
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(hit_wr);
        char path[64], line[128], want[32];
        snprintf(path, sizeof path, "/proc/%ld/syscall", (long)me);
        snprintf(want, sizeof want, "%ld ", (long)SYS_rt_sigtimedwait);
        long long deadline = ipct_now_ms() + 8000;
        bool waiting = false;
        while (!waiting && ipct_now_ms() < deadline) {
            int f = open(path, O_RDONLY | O_CLOEXEC);
            IPCT_CHILD_CHECK(f >= 0);
            ssize_t n = read(f, line, sizeof line - 1);
            close(f);
            line[n > 0 ? n : 0] = '\0';
            waiting = strncmp(line, want, strlen(want)) == 0;
            struct timespec tick = {.tv_nsec = 1000000};
            if (!waiting)
                nanosleep(&tick, NULL); /* polling a condition, not sleeping as sync */
        }
        IPCT_CHILD_CHECK(waiting);
        IPCT_CHILD_CHECK(kill(me, SIGUSR2) == 0);
        char c;
        IPCT_CHILD_CHECK(ipct_readable_within(hit_rd, 5000) && read(hit_rd, &c, 1) == 1);
        IPCT_CHILD_CHECK(kill(me, SIGUSR1) == 0);
        _exit(0);
    }
    return pid;
}

Test(syncwait, interrupted_wait_goes_on)
{
    int h[2];
    cr_assert_eq(pipe2(h, O_CLOEXEC), 0);
    count_hits_of(SIGUSR2, h[1]); /* no SA_RESTART: EINTR */
    pid_t pid = interrupt_sigwait(h[0], h[1]);
    sigset_t set = set_of(SIGUSR1, 0);
    struct sigrecord rec[1];
    int n = take_signals(&set, -1, -1, rec, 1);
    cr_assert_eq(n, 1,
                 "an EINTR from another signal's handler must not end the wait (%s)",
                 strerror(errno));
    cr_assert_eq(rec[0].signo, SIGUSR1);
    cr_assert_eq(hits, 1, "SIGUSR2 goes to its handler");
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0);
    hit_fd = -1;
    close(h[0]);
    close(h[1]);
}

Test(syncwait, mask_restored)
{
    sigset_t old = mask_one(SIG_BLOCK, SIGUSR2);
    sigset_t before = current_mask(); /* SIGUSR2 blocked, SIGUSR1 not */
    sigsafety_reset();
    sigsafety_inject(SIGUSR1, 0);
    sigset_t set = set_of(SIGUSR1, 0);
    struct sigrecord rec[1];
    cr_assert_eq(take_signals(&set, -1, 2000, rec, 1), 1, "take_signals: %s",
                 strerror(errno));
    sigset_t after = current_mask();
    cr_assert(
        same_mask(&before, &after),
        "the mask must be as before: SIGUSR1 unblocked again, SIGUSR2 still blocked");
    sigprocmask(SIG_SETMASK, &old, NULL);
}

Test(syncwait, failure_restores_mask)
{
    sigset_t old = mask_one(SIG_BLOCK, SIGUSR2);
    sigset_t before = current_mask(); /* SIGUSR2 blocked, SIGUSR1 not */
    int p[2];
    ready_pipe_that_fails(p);
    sigset_t set = set_of(SIGUSR1, 0);
    struct sigrecord rec[1];
    errno = 0;
    int rc = take_signals(&set, p[1], -1, rec, 1);
    expect_ready_failure(p, rc, errno, "take_signals");
    sigset_t after = current_mask();
    cr_assert(same_mask(&before, &after),
              "after the failed write (EPIPE injected) the mask is not as before: "
              "restore it on failure too");
    sigprocmask(SIG_SETMASK, &old, NULL);
}

Test(syncwait, bad_arguments_are_einval)
{
    sigset_t usr1 = set_of(SIGUSR1, 0), kill_ = set_of(SIGUSR1, SIGKILL),
             stop = set_of(SIGSTOP, 0);
    struct sigrecord rec[1];
    struct {
        const sigset_t *set;
        struct sigrecord *out;
        int max;
    } bad[] = {{NULL, rec, 1},   {&usr1, NULL, 1}, {&usr1, rec, 0},
               {&usr1, rec, -1}, {&kill_, rec, 1}, {&stop, rec, 1}};
    sigset_t before = current_mask();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        IPCT_ASSERT_FAILS(EINVAL, take_signals(bad[i].set, -1, 0, bad[i].out, bad[i].max),
                          "case %zu", i);
    }
    sigset_t after = current_mask();
    cr_assert(same_mask(&before, &after), "a refused call must change nothing");
}
