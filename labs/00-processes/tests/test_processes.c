/* test_processes.c - Criterion tests for lab 00 (processes). */
#include "ipclab_test.h"
#include "processes.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(isolation, .timeout = 10);
TestSuite(run_and_wait, .timeout = 10);
TestSuite(describe_status, .timeout = 10);
TestSuite(reap_finished, .timeout = 5);
TestSuite(parallel_sum, .timeout = 10);

/* Wait until pid has exited, without reaping it (it stays a zombie). */
static void wait_until_zombie(pid_t pid)
{
    siginfo_t info;
    int r;
    /* $begin waitid_nowait */
    do
        r = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT);
    while (r < 0 && errno == EINTR);
    /* $end waitid_nowait */
    cr_assert_eq(r, 0, "waitid(%d): %s", (int)pid, strerror(errno));
}

/* ---- fork_isolation ---------------------------------------------------- */

Test(isolation, parent_value_unchanged)
{
    /* $begin value_100 */
    int value = 100;
    int child_view = fork_isolation(&value, 50);
    cr_assert_eq(child_view, 150,
                 "the child should see 100 + 50 = 150, got %d (errno %s)", child_view,
                 strerror(errno));
    cr_assert_eq(value, 100,
                 "the parent's value changed to %d: only the child's copy may", value);
    /* $end value_100 */
}

Test(isolation, exit_status_holds_low_8_bits)
{
    int value = 300;
    int child_view = fork_isolation(&value, 0);
    cr_assert_eq(child_view, 300 & 0xff,
                 "an exit status keeps 8 bits: expected %d, got %d", 300 & 0xff,
                 child_view);
    cr_assert_eq(value, 300);
}

Test(isolation, null_value_is_einval)
{
    errno = 0;
    cr_assert_eq(fork_isolation(NULL, 1), -1);
    cr_assert_eq(errno, EINVAL, "errno should be EINVAL, got %s", strerror(errno));
}

Test(isolation, child_is_reaped)
{
    int value = 1;
    cr_assert_eq(fork_isolation(&value, 1), 2);
    cr_assert_eq(ipct_children_left(), 0, "the child was not waited for (zombie left)");
}

/* ---- run_and_wait ------------------------------------------------------ */

Test(run_and_wait, true_exits_zero)
{
    char *argv[] = {"true", NULL};
    int status = run_and_wait(argv);
    cr_assert_neq(status, -1, "run_and_wait failed: %s", strerror(errno));
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

Test(run_and_wait, exit_code_is_preserved)
{
    char *argv[] = {"sh", "-c", "exit 42", NULL};
    int status = run_and_wait(argv);
    cr_assert(WIFEXITED(status), "status %#x is not a normal exit", status);
    cr_assert_eq(WEXITSTATUS(status), 42);
}

Test(run_and_wait, missing_program_exits_127)
{
    char *argv[] = {"ipclab-no-such-program", NULL};
    int status = run_and_wait(argv);
    cr_assert_neq(status, -1, "a failed exec is the child's problem: expect status 127");
    cr_assert(WIFEXITED(status), "status %#x is not a normal exit", status);
    cr_assert_eq(WEXITSTATUS(status), 127);
    cr_assert_eq(ipct_children_left(), 0, "the child that failed exec was not reaped");
}

Test(run_and_wait, death_by_signal_is_reported)
{
    char *argv[] = {"sh", "-c", "kill -TERM $$", NULL};
    int status = run_and_wait(argv);
    cr_assert(WIFSIGNALED(status), "status %#x: the child was killed by SIGTERM", status);
    cr_assert_eq(WTERMSIG(status), SIGTERM);
}

Test(run_and_wait, null_argv_is_einval)
{
    char *empty[] = {NULL};
    errno = 0;
    cr_assert_eq(run_and_wait(NULL), -1);
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_eq(run_and_wait(empty), -1);
    cr_assert_eq(errno, EINVAL);
}

Test(run_and_wait, waits_only_for_its_own_child)
{
    /* An unrelated child that has already ended must not be collected. */
    pid_t peer = ipct_fork();
    if (peer == 0)
        _exit(9);
    wait_until_zombie(peer);
    char *argv[] = {"sh", "-c", "exit 3", NULL};
    int status = run_and_wait(argv);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 3,
              "expected the status of 'exit 3', got %#x (another child's?)", status);
    int peer_status;
    cr_assert_eq(waitpid(peer, &peer_status, WNOHANG), peer,
                 "the unrelated child was reaped by run_and_wait");
    cr_assert_eq(WEXITSTATUS(peer_status), 9);
}

static volatile sig_atomic_t usr1_seen;

static void on_usr1(int sig)
{
    (void)sig;
    usr1_seen = 1;
}

/* What the interrupter thread needs: whom to signal, how to let the child
 * finish once the signal has been handled, and what went wrong if anything. */
struct interrupter {
    pthread_t main_thread;
    int syscall_fd;             /* the main thread's /proc/thread-self/syscall */
    int release_fd;             /* write end of the pipe the child reads from */
    volatile sig_atomic_t done; /* run_and_wait has returned */
    const char *problem;        /* set by the thread, NULL if all went well */
};

/* 1 once the thread whose /proc/thread-self/syscall is open as fd sits
 * blocked in wait4 or waitid (the syscalls behind waitpid, wait and waitid),
 * 0 if not, -1 if the kernel cannot tell. The file's first field is the
 * number of the syscall the thread is blocked in ("running" if none). It is
 * opened by the thread itself, so it names the right thread whatever PID
 * namespace /proc was mounted for. */
static int blocked_in_wait(int fd)
{
    char line[256];
    ssize_t n = pread(fd, line, sizeof line - 1, 0);
    if (n <= 0)
        return -1;
    line[n] = '\0';
    if (line[0] < '0' || line[0] > '9')
        return 0;
    long nr = strtol(line, NULL, 10);
    return nr == SYS_wait4 || nr == SYS_waitid;
}

/* Signals the main thread once it is blocked waiting for its child, waits
 * until the handler has run, then lets the child exit. Never asserts (only
 * the test's own thread may): it leaves a problem for the test to report. */
static void *interrupt_the_wait(void *arg)
{
    struct interrupter *it = arg;
    long long deadline = ipct_now_ms() + 3000;
    int blocked;
    while ((blocked = blocked_in_wait(it->syscall_fd)) == 0 && !it->done &&
           ipct_now_ms() < deadline)
        sched_yield();
    if (blocked == 1) {
        pthread_kill(it->main_thread, SIGUSR1);
        while (!usr1_seen && ipct_now_ms() < deadline + 3000)
            sched_yield();
    } else if (blocked < 0) {
        it->problem = "this kernel has no /proc/thread-self/syscall";
    } else if (!it->done) {
        it->problem = "run_and_wait never blocked in waitpid for its child";
    }
    if (write(it->release_fd, "\n", 1) != 1)
        it->problem = "could not release the child";
    return NULL;
}

Test(run_and_wait, retries_on_eintr)
{
    /* No SA_RESTART: the signal interrupts the parent's waitpid. It is sent
     * only once the parent is blocked there, and the child exits only after
     * the handler has run, so the interruption happens on every run. */
    struct sigaction sa = {.sa_handler = on_usr1};
    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
    int release[2];
    cr_assert_eq(pipe2(release, O_CLOEXEC), 0);
    cr_assert_eq(fcntl(release[0], F_SETFD, 0), 0); /* the child reads it */
    char script[64];
    /* dash's <&N takes one digit only; the path takes any fd */
    snprintf(script, sizeof script, "read line </proc/self/fd/%d; exit 7", release[0]);
    char *argv[] = {"sh", "-c", script, NULL};

    struct interrupter it = {.main_thread = pthread_self(),
                             .syscall_fd =
                                 open("/proc/thread-self/syscall", O_RDONLY | O_CLOEXEC),
                             .release_fd = release[1]};
    sigset_t usr1, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, &old); /* the thread inherits this */
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, interrupt_the_wait, &it), 0);
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    int status = run_and_wait(argv);
    int saved = errno;
    it.done = 1;
    pthread_join(th, NULL);
    close(release[0]);
    close(release[1]);
    if (it.syscall_fd >= 0)
        close(it.syscall_fd);
    cr_assert_neq(status, -1, "waitpid was interrupted (%s): retry on EINTR",
                  strerror(saved));
    cr_assert_null(it.problem, "%s", it.problem);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 7,
              "expected the child's exit status 7, got wait status %#x", status);
}

/* ---- describe_status --------------------------------------------------- */

/* Status of a child that ran `code` in a fork (code never returns). */
static int status_of(void (*code)(void))
{
    pid_t pid = ipct_fork();
    if (pid == 0)
        code();
    int status;
    cr_assert_eq(ipct_wait(pid, &status, 5000), 0);
    return status;
}

static void exit_three(void)
{
    _exit(3);
}

static void die_by_kill(void)
{
    raise(SIGKILL);
    _exit(0);
}

Test(describe_status, normal_exit)
{
    char buf[64];
    int n = describe_status(status_of(exit_three), buf, sizeof buf);
    cr_assert_str_eq(buf, "exited with status 3");
    cr_assert_eq(n, (int)strlen("exited with status 3"));
}

Test(describe_status, killed_by_signal)
{
    char buf[64], want[64];
    snprintf(want, sizeof want, "killed by signal %d (%s)", SIGKILL, strsignal(SIGKILL));
    cr_assert_gt(describe_status(status_of(die_by_kill), buf, sizeof buf), 0);
    cr_assert_str_eq(buf, want);
}

Test(describe_status, core_dump_is_mentioned)
{
    /* Linux encodes "dumped core" as bit 0x80 next to the signal number. */
    char buf[80], want[80];
    snprintf(want, sizeof want, "killed by signal %d (%s), core dumped", SIGSEGV,
             strsignal(SIGSEGV));
    cr_assert_gt(describe_status(SIGSEGV | 0x80, buf, sizeof buf), 0);
    cr_assert_str_eq(buf, want);
}

Test(describe_status, stopped_child)
{
    pid_t pid = ipct_fork();
    if (pid == 0) {
        raise(SIGSTOP);
        _exit(0);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, WUNTRACED), pid);
    kill(pid, SIGKILL);
    cr_assert_eq(ipct_wait(pid, NULL, 5000), 0);
    char buf[64], want[64];
    snprintf(want, sizeof want, "stopped by signal %d (%s)", SIGSTOP, strsignal(SIGSTOP));
    cr_assert_gt(describe_status(status, buf, sizeof buf), 0);
    cr_assert_str_eq(buf, want);
}

Test(describe_status, continued)
{
    char buf[16];
    cr_assert_eq(describe_status(0xffff, buf, sizeof buf), 9);
    cr_assert_str_eq(buf, "continued");
}

Test(describe_status, small_buffer_is_erange)
{
    char buf[8] = "keepme";
    errno = 0;
    cr_assert_eq(describe_status(0, buf, sizeof buf), -1);
    cr_assert_eq(errno, ERANGE, "errno should be ERANGE, got %s", strerror(errno));
    cr_assert_str_eq(buf, "keepme", "the buffer must be untouched on ERANGE");
}

Test(describe_status, exact_fit_is_accepted)
{
    char buf[sizeof "exited with status 0"];
    cr_assert_eq(describe_status(0, buf, sizeof buf), (int)sizeof buf - 1);
    cr_assert_str_eq(buf, "exited with status 0");
}

Test(describe_status, null_buffer_is_einval)
{
    errno = 0;
    cr_assert_eq(describe_status(0, NULL, 10), -1);
    cr_assert_eq(errno, EINVAL);
}

/* ---- reap_finished ----------------------------------------------------- */

Test(reap_finished, reaps_every_zombie)
{
    pid_t kids[5];
    for (int i = 0; i < 5; i++) {
        kids[i] = ipct_fork();
        if (kids[i] == 0)
            _exit(10 + i);
    }
    for (int i = 0; i < 5; i++)
        wait_until_zombie(kids[i]);
    pid_t pids[8];
    int statuses[8];
    int n = reap_finished(pids, statuses, 8);
    cr_assert_eq(n, 5, "expected 5 children reaped, got %d", n);
    for (int i = 0; i < 5; i++) {
        int found = 0;
        for (int j = 0; j < 5; j++)
            if (pids[j] == kids[i]) {
                found = 1;
                cr_assert(WIFEXITED(statuses[j]) && WEXITSTATUS(statuses[j]) == 10 + i,
                          "status of child %d is wrong", i);
            }
        cr_assert(found, "child %d (pid %d) missing from pids[]", i, (int)kids[i]);
    }
    cr_assert_eq(ipct_children_left(), 0, "zombies left after reap_finished");
}

Test(reap_finished, never_blocks_on_running_child)
{
    int gate[2];
    cr_assert_eq(pipe(gate), 0);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(gate[1]);
        char c;
        _exit(read(gate[0], &c, 1) == 0 ? 0 : 1);
    }
    close(gate[0]);
    /* If reap_finished blocks here, the test times out. */
    cr_assert_eq(reap_finished(NULL, NULL, 0), 0, "a running child is not finished");
    close(gate[1]);
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0, "the running child was reaped early");
}

Test(reap_finished, no_children_is_zero)
{
    errno = 0;
    cr_assert_eq(reap_finished(NULL, NULL, 0), 0, "no children is not an error (%s)",
                 strerror(errno));
}

Test(reap_finished, reaps_past_max)
{
    for (int i = 0; i < 4; i++) {
        pid_t pid = ipct_fork();
        if (pid == 0)
            _exit(0);
        wait_until_zombie(pid);
    }
    pid_t pids[2] = {0, 0};
    int statuses[2];
    cr_assert_eq(reap_finished(pids, statuses, 2), 4);
    cr_assert(pids[0] > 0 && pids[1] > 0);
    cr_assert_eq(ipct_children_left(), 0, "children past max must still be reaped");
}

/* ---- parallel_sum ------------------------------------------------------ */

Test(parallel_sum, sum_exceeds_8_bits)
{
    long values[1000];
    for (int i = 0; i < 1000; i++)
        values[i] = i + 1;
    long sum = 0;
    cr_assert_eq(parallel_sum(values, 1000, 4, &sum), 0, "parallel_sum: %s",
                 strerror(errno));
    cr_assert_eq(sum, 500500L, "expected 500500, got %ld", sum);
}

Test(parallel_sum, negative_and_large_values)
{
    long values[] = {-5000000000L, 3, 7000000000L, -1};
    long sum = 0;
    cr_assert_eq(parallel_sum(values, 4, 2, &sum), 0);
    cr_assert_eq(sum, 2000000002L);
}

Test(parallel_sum, more_workers_than_values)
{
    long values[] = {1, 2, 3};
    long sum = -1;
    cr_assert_eq(parallel_sum(values, 3, 8, &sum), 0);
    cr_assert_eq(sum, 6);
}

Test(parallel_sum, empty_input_is_zero)
{
    long sum = -1;
    cr_assert_eq(parallel_sum(NULL, 0, 3, &sum), 0);
    cr_assert_eq(sum, 0);
}

Test(parallel_sum, bad_arguments_are_einval)
{
    long values[] = {1}, sum;
    errno = 0;
    cr_assert_eq(parallel_sum(values, 1, 0, &sum), -1);
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_eq(parallel_sum(values, 1, 1, NULL), -1);
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_eq(parallel_sum(NULL, 1, 1, &sum), -1);
    cr_assert_eq(errno, EINVAL);
}

Test(parallel_sum, leaves_no_fds_or_children)
{
    struct ipct_fdset before;
    ipct_fd_snapshot(&before);
    long values[64];
    for (int i = 0; i < 64; i++)
        values[i] = i;
    long sum = 0;
    cr_assert_eq(parallel_sum(values, 64, 6, &sum), 0);
    cr_assert_eq(sum, 64 * 63 / 2);
    char leaked[512];
    cr_assert_eq(ipct_fds_leaked(&before, leaked, sizeof leaked), 0,
                 "pipe ends left open: %s", leaked);
    cr_assert_eq(ipct_children_left(), 0, "workers left unreaped");
}
