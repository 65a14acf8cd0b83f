/* test_signals.c - Criterion tests for lab 09 (signals). */
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
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TestSuite(handlers, .timeout = 10);
TestSuite(shutdown, .timeout = 10);
TestSuite(reaper, .timeout = 10);
TestSuite(waiting, .timeout = 10);
TestSuite(tally, .timeout = 10);
TestSuite(loop, .timeout = 10);

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

/* Read exactly len bytes, waiting at most timeout_ms for each part. 0 or -1. */
static int read_exact(int fd, void *buf, size_t len, int timeout_ms)
{
    size_t got = 0;
    while (got < len) {
        if (!ipct_readable_within(fd, timeout_ms))
            return -1;
        ssize_t r = read(fd, (char *)buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/* Block (how = SIG_BLOCK) or unblock one signal; returns the previous mask. */
static sigset_t mask_one(int how, int sig)
{
    sigset_t one, old;
    sigemptyset(&one);
    sigaddset(&one, sig);
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

/* ---- sig_install --------------------------------------------------------- */

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
 * Fork a child that waits until we block in read(rd), sends SIGUSR1, waits
 * for the handler's byte on hit_rd, then writes 'D' to wr (which wakes a
 * read that was restarted).
 */
static pid_t interrupt_read(int rd, int wr, int hit_rd, int hit_wr)
{
    pid_t me = getpid();
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(hit_wr);
        IPCT_CHILD_CHECK(wait_in_read(me, rd));
        IPCT_CHILD_CHECK(kill(me, SIGUSR1) == 0);
        char c;
        IPCT_CHILD_CHECK(ipct_readable_within(hit_rd, 5000));
        IPCT_CHILD_CHECK(read(hit_rd, &c, 1) == 1);
        IPCT_CHILD_CHECK(write(wr, "D", 1) == 1);
        _exit(0);
    }
    return pid;
}

/* $begin eintr_test */
Test(handlers, interrupted_read_fails_with_eintr)
{
    int p[2], h[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(h, O_CLOEXEC), 0);
    hits = 0;
    hit_fd = h[1];
    cr_assert_eq(sig_install(SIGUSR1, count_hit, 0, NULL), 0); /* no SA_RESTART */
    pid_t pid = interrupt_read(p[0], p[1], h[0], h[1]);
    close(p[1]);
    char c;
    ssize_t r = read(p[0], &c, 1); /* the child signals us while we sleep here */
    int err = errno;
    cr_assert_eq(r, -1, "without SA_RESTART the read must fail, it returned %zd", r);
    cr_assert_eq(err, EINTR, "errno %s, expected EINTR", strerror(err));
    cr_assert_eq(hits, 1);
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0);
    close(p[0]);
    close(h[0]);
    close(h[1]);
}
/* $end eintr_test */

Test(handlers, sa_restart_resumes_read)
{
    int p[2], h[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(h, O_CLOEXEC), 0);
    hits = 0;
    hit_fd = h[1];
    cr_assert_eq(sig_install(SIGUSR1, count_hit, SA_RESTART, NULL), 0);
    pid_t pid = interrupt_read(p[0], p[1], h[0], h[1]);
    close(p[1]);
    char c = 0;
    ssize_t r = read(p[0], &c, 1);
    cr_assert_eq(r, 1, "with SA_RESTART the read goes on after the handler (got %zd, %s)",
                 r, strerror(errno));
    cr_assert_eq(c, 'D');
    cr_assert_eq(hits, 1);
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0);
    close(p[0]);
    close(h[0]);
    close(h[1]);
}

Test(handlers, sigkill_and_sigstop_are_einval)
{
    int sigs[] = {SIGKILL, SIGSTOP};
    for (int i = 0; i < 2; i++) {
        errno = 0;
        cr_assert_eq(sig_install(sigs[i], count_hit, 0, NULL), -1,
                     "the action of signal %d can never be changed", sigs[i]);
        cr_assert_eq(errno, EINVAL, "errno %s", strerror(errno));
        errno = 0;
        cr_assert_eq(sig_install(sigs[i], SIG_IGN, 0, NULL), -1,
                     "signal %d cannot be ignored either", sigs[i]);
        cr_assert_eq(errno, EINVAL);
    }
}

Test(handlers, bad_arguments_are_einval)
{
    int bad[] = {0, -1, NSIG, NSIG + 10};
    for (int i = 0; i < 4; i++) {
        errno = 0;
        cr_assert_eq(sig_install(bad[i], count_hit, 0, NULL), -1, "signal %d", bad[i]);
        cr_assert_eq(errno, EINVAL, "signal %d: errno %s", bad[i], strerror(errno));
    }
    cr_assert_eq(sig_install(SIGUSR1, other_hit, 0, NULL), 0);
    errno = 0;
    cr_assert_eq(sig_install(SIGUSR1, count_hit, SA_SIGINFO, NULL), -1,
                 "SA_SIGINFO with a one-argument handler must be refused");
    cr_assert_eq(errno, EINVAL);
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
static pid_t spawn_service(int *ready)
{
    ipct_tmpdir(); /* made before fork: the child uses the same directory */
    int r[2];
    cr_assert_eq(pipe2(r, O_CLOEXEC), 0);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(r[0]);
        int rc = run_service(ipct_tmpdir(), r[1]);
        _exit(rc == 0 ? 0 : 1);
    }
    close(r[1]);
    *ready = r[0];
    return pid;
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
    sigset_t old = mask_one(SIG_BLOCK, SIGTERM);
    int ready;
    pid_t pid = spawn_service(&ready);
    cr_assert_eq(kill(pid, SIGTERM), 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
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
        struct sigaction mine = {.sa_handler = count_hit}, now;
        sigemptyset(&mine.sa_mask);
        IPCT_CHILD_CHECK(sigaction(SIGTERM, &mine, NULL) == 0);
        sigset_t usr2;
        sigemptyset(&usr2);
        sigaddset(&usr2, SIGUSR2);
        IPCT_CHILD_CHECK(sigprocmask(SIG_BLOCK, &usr2, NULL) == 0);
        sigset_t before = current_mask();
        IPCT_CHILD_CHECK(run_service(ipct_tmpdir(), r[1]) == 0);
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

/* ---- wait_signal --------------------------------------------------------- */

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
    cr_assert_eq(wait_signal(SIGUSR1, r[1]), 0, "wait_signal: %s", strerror(errno));
    close(r[1]);
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0);
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
    hits = 0;
    hit_fd = -1;
    struct sigaction usr2 = {.sa_handler = count_hit};
    sigemptyset(&usr2.sa_mask);
    cr_assert_eq(sigaction(SIGUSR2, &usr2, NULL), 0);
    sigsafety_inject(SIGUSR2, SIGUSR1); /* first a stranger, then the one we want */
    cr_assert_eq(wait_signal(SIGUSR1, -1), 0, "wait_signal: %s", strerror(errno));
    cr_assert_eq(hits, 1, "SIGUSR2 should have been handled by its own handler");
    cr_assert_eq(sigsafety_injected(), 2,
                 "wait_signal returned after SIGUSR2: loop until your flag is set");
}

Test(waiting, mask_and_action_restored)
{
    sigsafety_reset();
    hits = 0;
    hit_fd = -1;
    struct sigaction mine = {.sa_handler = count_hit};
    sigemptyset(&mine.sa_mask);
    cr_assert_eq(sigaction(SIGUSR1, &mine, NULL), 0);
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

Test(waiting, uncatchable_is_einval)
{
    int bad[] = {SIGKILL, SIGSTOP, 0, NSIG};
    for (int i = 0; i < 4; i++) {
        errno = 0;
        cr_assert_eq(wait_signal(bad[i], -1), -1, "signal %d cannot be waited for",
                     bad[i]);
        cr_assert_eq(errno, EINVAL, "signal %d: errno %s", bad[i], strerror(errno));
    }
}

/* ---- tally_signals ------------------------------------------------------- */

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
    hits = 0;
    hit_fd = -1;
    struct sigaction mine = {.sa_handler = count_hit};
    sigemptyset(&mine.sa_mask);
    cr_assert_eq(sigaction(SIGUSR2, &mine, NULL), 0);
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

Test(tally, bad_arguments_are_einval)
{
    struct tally t;
    struct {
        int sig, n;
        struct tally *t;
    } bad[] = {{SIGUSR1, 1, NULL}, {SIGUSR1, 0, &t}, {SIGUSR1, TALLY_MAX + 1, &t},
               {SIGKILL, 1, &t},   {SIGSTOP, 1, &t}, {0, 1, &t}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        cr_assert_eq(tally_signals(bad[i].sig, bad[i].n, bad[i].t), -1, "case %zu", i);
        cr_assert_eq(errno, EINVAL, "case %zu: errno %s", i, strerror(errno));
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
/* Run signal_loop in a child that starts with the signals already blocked,
   so a signal sent at any time waits for the signalfd instead of killing it.
   The child exits with the loop's result (200+ if a check after it failed). */
static void start_loop(struct loop *l)
{
    int in[2], out[2];
    cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGTERM);
    cr_assert_eq(sigprocmask(SIG_BLOCK, &set, &old), 0);
    l->pid = ipct_fork();
    if (l->pid == 0) {
        close(in[1]);
        close(out[0]);
        struct ipct_fdset fds;
        ipct_fd_snapshot(&fds);
        sigset_t before = current_mask();
        int n = signal_loop(in[0], out[1]);
        sigset_t after = current_mask();
        if (!same_mask(&before, &after))
            _exit(201);
        if (ipct_fds_leaked(&fds, NULL, 0) != 0)
            _exit(202);
        _exit(n < 0 ? 255 : n);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(in[0]);
    close(out[1]);
    l->in = in[1];
    l->out = out[0];
}
/* $end start_loop */

/* Expect exactly text on the loop's output. */
static void expect_out(struct loop *l, const char *text)
{
    char buf[128] = "";
    size_t len = strlen(text);
    cr_assert_eq(read_exact(l->out, buf, len, 5000), 0,
                 "expected \"%s\" from the loop, got \"%s\"", text, buf);
    cr_assert_eq(memcmp(buf, text, len), 0, "expected \"%s\", got \"%.*s\"", text,
                 (int)len, buf);
}

/* Close our ends and require the loop's exit status. */
static void expect_end(struct loop *l, int code)
{
    close(l->in);
    int got = ipct_wait_exit(l->pid, 5000);
    close(l->out);
    cr_assert_neq(got, 201, "signal_loop did not restore the signal mask");
    cr_assert_neq(got, 202, "signal_loop left an fd open (the signalfd?)");
    cr_assert_eq(got, code, "signal_loop returned %d, expected %d", got, code);
}

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
