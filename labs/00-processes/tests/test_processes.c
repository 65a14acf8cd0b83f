/* test_processes.c - Criterion tests for lab 00 (processes). */
#include "ipclab_shim.h"
#include "ipclab_test.h"
#include "processes.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
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

/*
 * The kernel may interrupt any blocking call: the shim makes it happen
 * (handout: "Faults the tests inject"). The first blocking wait of the
 * student's code fails with EINTR, as if a signal handler installed without
 * SA_RESTART had run while it waited.
 */
static void interrupt_first_wait(void)
{
    ipct_fault_fail("wait waitpid waitid wait3 wait4", 1, EINTR);
}

/* The first fork of the student's code fails with EAGAIN, as at the process limit. */
static void fail_fork(int nth)
{
    ipct_fault_fail("fork", nth, EAGAIN);
}

/*
 * Set SIGCHLD's disposition (SIG_IGN or SIG_DFL). Ignored, the kernel reaps
 * children itself: waitpid waits for the child, then fails with ECHILD.
 */
static void sigchld_to(void (*disposition)(int))
{
    struct sigaction sa = {.sa_handler = disposition};
    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(SIGCHLD, &sa, NULL), 0, "sigaction: %s", strerror(errno));
}

/* No core file from a child the test makes crash (the limit is inherited). */
static void no_core_files(void)
{
    struct rlimit none = {0, 0};
    cr_assert_eq(setrlimit(RLIMIT_CORE, &none), 0, "setrlimit: %s", strerror(errno));
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

Test(isolation, retries_waitpid_on_eintr)
{
    interrupt_first_wait();
    int value = 20;
    int child_view = fork_isolation(&value, 3);
    cr_assert_eq(child_view, 23,
                 "fork_isolation returned %d (%s) after its wait was interrupted by a "
                 "signal (EINTR injected by the test): retry on EINTR",
                 child_view, strerror(errno));
    cr_assert_eq(ipct_faults_count(), 1, "fork_isolation never waited for its child");
    cr_assert_eq(ipct_children_left(), 0, "the child was not reaped after the EINTR");
}

/*
 * fork_and_wait_errors - call(arg), the function named name, twice: once with
 * fork failing (EAGAIN, injected), once with SIGCHLD ignored (the kernel reaps
 * the child, so waitpid fails with ECHILD). Both must return -1 with that
 * errno, and leave no child behind.
 */
static void fork_and_wait_errors(const char *name, int (*call)(void *arg), void *arg)
{
    fail_fork(1);
    errno = 0;
    int r = call(arg);
    cr_assert_eq(r, -1,
                 "fork failed with EAGAIN (injected by the test), yet %s "
                 "returned %d: return -1 when fork fails",
                 name, r);
    cr_assert_eq(errno, EAGAIN, "fork failed with EAGAIN, errno is %s", strerror(errno));
    ipct_fault_clear();

    sigchld_to(SIG_IGN); /* the kernel reaps the child: waitpid fails with ECHILD */
    errno = 0;
    r = call(arg);
    int err = errno;
    sigchld_to(SIG_DFL);
    cr_assert_eq(r, -1,
                 "with SIGCHLD ignored waitpid fails with ECHILD, yet %s "
                 "returned %#x: return -1 when waitpid fails",
                 name, r);
    cr_assert_eq(err, ECHILD, "waitpid failed with ECHILD, errno is %s", strerror(err));
    cr_assert_eq(ipct_children_left(), 0);
}

static int isolate_add_one(void *value)
{
    return fork_isolation(value, 1);
}

Test(isolation, fork_and_wait_errors_reported)
{
    int value = 5;
    fork_and_wait_errors("fork_isolation", isolate_add_one, &value);
    cr_assert_eq(value, 5);
}

Test(isolation, killed_child_is_echild)
{
    /* *value is read-only: the child's write crashes it (SIGSEGV), it never exits. */
#ifdef __SANITIZE_ADDRESS__
    cr_skip_test(
        "AddressSanitizer turns the child's SIGSEGV into exit(1): run it without "
        "--asan");
#endif
    no_core_files();
    int *value = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(value, MAP_FAILED, "mmap: %s", strerror(errno));
    errno = 0;
    int r = fork_isolation(value, 1);
    int err = errno;
    munmap(value, 4096);
    cr_assert_eq(r, -1,
                 "the child was killed by SIGSEGV before it could exit, yet "
                 "fork_isolation returned %d: a killed child has no exit status",
                 r);
    cr_assert_eq(err, ECHILD, "a killed child is ECHILD, errno is %s", strerror(err));
    cr_assert_eq(ipct_children_left(), 0, "the killed child was not reaped");
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

Test(run_and_wait, retries_on_eintr)
{
    interrupt_first_wait();
    char *argv[] = {"sh", "-c", "exit 7", NULL};
    int status = run_and_wait(argv);
    cr_assert_neq(status, -1,
                  "run_and_wait failed (%s) after its wait was interrupted by a signal "
                  "(EINTR injected by the test): retry on EINTR",
                  strerror(errno));
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 7,
              "expected the child's exit status 7, got wait status %#x", status);
    cr_assert_eq(ipct_faults_count(), 1, "run_and_wait never waited for its child");
    cr_assert_eq(ipct_children_left(), 0, "the child was not reaped after the EINTR");
}

static int run_true(void *unused)
{
    (void)unused;
    char *argv[] = {"true", NULL};
    return run_and_wait(argv);
}

Test(run_and_wait, fork_and_wait_errors_reported)
{
    fork_and_wait_errors("run_and_wait", run_true, NULL);
}

/* A field of this process's /proc/self/status that is a hex word (SigBlk,
 * SigIgn: exactly what the kernel holds, signals glibc reserves included). */
static unsigned long long status_word(const char *field)
{
    FILE *f = fopen("/proc/self/status", "re");
    cr_assert_not_null(f, "/proc/self/status: %s", strerror(errno));
    char line[256];
    size_t len = strlen(field);
    unsigned long long word = 0;
    bool found = false;
    while (!found && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, field, len) == 0 && line[len] == ':')
            found = sscanf(line + len + 1, "%llx", &word) == 1;
    fclose(f);
    cr_assert(found, "no %s line in /proc/self/status", field);
    return word;
}

/* Whether run_and_wait runs a program whose /proc/self/status has the line
 * "FIELD:\tWORD" (grep itself is the program: a shell would reset its mask). */
static bool program_sees(const char *field, unsigned long long word)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "^%s:[[:space:]]*%016llx$", field, word);
    char *argv[] = {"grep", "-q", pattern, "/proc/self/status", NULL};
    int status = run_and_wait(argv);
    cr_assert_neq(status, -1, "run_and_wait: %s", strerror(errno));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

Test(run_and_wait, leaves_signals_alone)
{
    /* The caller blocks SIGUSR2 and ignores SIGUSR1: a program run the way a
     * shell runs it inherits both across fork and exec, and the caller has
     * both as before once run_and_wait returns. */
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigemptyset(&ign.sa_mask);
    cr_assert_eq(sigaction(SIGUSR1, &ign, NULL), 0);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    cr_assert_eq(sigprocmask(SIG_BLOCK, &usr2, NULL), 0);
    unsigned long long mask = status_word("SigBlk"), ignored = status_word("SigIgn");

    cr_assert(program_sees("SigBlk", mask),
              "the program did not start with the caller's signal mask %#llx (the caller "
              "blocks SIGUSR2): exec keeps the mask, leave it alone",
              mask);
    cr_assert(program_sees("SigIgn", ignored),
              "the program did not start ignoring what the caller ignores (%#llx, "
              "SIGUSR1 among them): exec keeps ignored signals ignored, leave "
              "dispositions alone",
              ignored);
    cr_assert_eq(status_word("SigBlk"), mask,
                 "run_and_wait changed the caller's signal mask (%#llx, was %#llx)",
                 status_word("SigBlk"), mask);
    cr_assert_eq(status_word("SigIgn"), ignored,
                 "run_and_wait changed the caller's ignored signals (%#llx, was %#llx)",
                 status_word("SigIgn"), ignored);
    cr_assert_eq(ipct_children_left(), 0);
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
    /* One byte short: the text fits, its NUL does not. */
    char near[sizeof "exited with status 0"];
    memset(near, '#', sizeof near);
    errno = 0;
    cr_assert_eq(describe_status(0, near, sizeof near - 1), -1,
                 "len %zu has no room for the NUL after the %zu characters",
                 sizeof near - 1, sizeof near - 1);
    cr_assert_eq(errno, ERANGE, "errno should be ERANGE, got %s", strerror(errno));
    cr_assert_eq(near[sizeof near - 1], '#', "a byte past len was written");
}

Test(describe_status, exact_fit_is_accepted)
{
    char buf[sizeof "exited with status 0"];
    cr_assert_eq(describe_status(0, buf, sizeof buf), (int)sizeof buf - 1);
    cr_assert_str_eq(buf, "exited with status 0");
}

Test(describe_status, unknown_status_is_einval)
{
    /* Low byte 0xff: not an exit, a signal, a stop, nor "continued" (0xffff). */
    char buf[64] = "keepme";
    errno = 0;
    int r = describe_status(0x12ff, buf, sizeof buf);
    cr_assert_eq(r, -1, "status 0x12ff matches none of the forms, got %d (\"%s\")", r,
                 buf);
    cr_assert_eq(errno, EINVAL, "errno should be EINVAL, got %s", strerror(errno));
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
    int release;
    pid_t pid = ipct_fork_held(&release);
    /* If reap_finished blocks here, the test times out. errno is EINTR, left by
     * an earlier interrupted call: it says nothing about waitpid's 0. */
    errno = EINTR;
    cr_assert_eq(reap_finished(NULL, NULL, 0), 0, "a running child is not finished");
    close(release);
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

/*
 * The arrays parallel_sum allocates (pids, read ends) are freed before it
 * returns, whether it succeeded or a fork failed half-way: the blocks your
 * code holds (ipct_heap_blocks) are as many after the call as before.
 */
Test(parallel_sum, frees_what_it_allocates)
{
    long values[64], sum = 0;
    for (int i = 0; i < 64; i++)
        values[i] = i;
    long before = ipct_heap_blocks();
    cr_assert_eq(parallel_sum(values, 64, 6, &sum), 0, "parallel_sum: %s",
                 strerror(errno));
    IPCT_EXPECT_HEAP_BACK(before, "parallel_sum returned 0");
    ipct_fault_fail("fork", 3, EAGAIN);
    cr_assert_eq(parallel_sum(values, 64, 6, &sum), -1,
                 "parallel_sum must fail when its third fork fails (EAGAIN)");
    ipct_fault_clear();
    IPCT_EXPECT_HEAP_BACK(before, "parallel_sum failed (its third fork, by the test)");
    cr_assert_eq(ipct_children_left(), 0, "workers left unreaped");
}

/* 1..n summed by parallel_sum with workers children, checked against n(n+1)/2. */
static void assert_sum_of_1_to(size_t n, unsigned workers, const char *fault)
{
    long values[1000];
    cr_assert_leq(n, 1000);
    for (size_t i = 0; i < n; i++)
        values[i] = (long)i + 1;
    long sum = 0;
    int r = parallel_sum(values, n, workers, &sum);
    cr_assert_eq(r, 0, "parallel_sum failed (%s) when %s", strerror(errno), fault);
    cr_assert_eq(sum, (long)(n * (n + 1) / 2), "the sum is %ld, expected %ld, when %s",
                 sum, (long)(n * (n + 1) / 2), fault);
    cr_assert_eq(ipct_children_left(), 0, "workers left unreaped when %s", fault);
}

Test(parallel_sum, retries_eintr)
{
    ipct_fault_fail("read readv", 1, EINTR);
    interrupt_first_wait();
    assert_sum_of_1_to(1000, 4,
                       "the first read and the first waitpid failed with EINTR "
                       "(injected by the test: retry them)");
    cr_assert_eq(ipct_faults_count(), 2, "only %d of the 2 faults were injected: %s",
                 ipct_faults_count(), ipct_faults_injected());
}

Test(parallel_sum, assembles_short_reads)
{
    /* The slices' sums alternate in sign: every byte of each long differs from
     * the one before, so a byte left unread shows. */
    long values[1000], want = 0;
    for (int i = 0; i < 1000; i++) {
        values[i] = (i / 250) % 2 ? -(i + 1) * 1000003L : (i + 1) * 1000003L;
        want += values[i];
    }
    ipct_fault_short("read readv", 1, 1);
    long sum = 0;
    int r = parallel_sum(values, 1000, 4, &sum);
    const char *fault = "every read returned at most 1 byte (cut by the test: a partial "
                        "sum may arrive in pieces, read until you have all of it)";
    cr_assert_eq(r, 0, "parallel_sum failed (%s) when %s", strerror(errno), fault);
    cr_assert_eq(sum, want, "the sum is %ld, expected %ld, when %s", sum, want, fault);
    cr_assert_eq(ipct_children_left(), 0, "workers left unreaped when %s", fault);
    cr_assert_gt(ipct_faults_count(), 0, "parallel_sum never read a partial sum");
}

/*
 * parallel_sum over values[0..64) with 4 workers, while the fault the caller
 * armed makes `what` (a call, "fork" or "pipe") fail with err (errname) at
 * the nth attempt: it must return -1 with errno err, after closing every pipe
 * end it made and reaping every worker it started. Clears the fault after.
 */
static void assert_failed_start_cleans_up(const long *values, const char *nth,
                                          const char *what, int err, const char *errname)
{
    struct ipct_fdset before;
    ipct_fd_snapshot(&before);
    char leaked[512];
    long sum = 0;
    errno = 0;
    int r = parallel_sum(values, 64, 4, &sum);
    int got = errno;
    cr_assert_eq(
        r, -1,
        "the %s %s failed with %s (injected by the test), yet parallel_sum returned %d",
        nth, what, errname, r);
    cr_assert_eq(got, err, "%s failed with %s, errno is %s", what, errname,
                 strerror(got));
    cr_assert_eq(ipct_fds_leaked(&before, leaked, sizeof leaked), 0,
                 "pipe ends left open after the %s %s failed: %s", nth, what, leaked);
    cr_assert_eq(ipct_children_left(), 0, "workers left unreaped after a %s failed",
                 what);
    ipct_fault_clear();
}

Test(parallel_sum, failed_start_cleans_up)
{
    long values[64];
    for (int i = 0; i < 64; i++)
        values[i] = i;
    /* The third fork fails (EAGAIN, as at the process limit): two workers run. */
    fail_fork(3);
    assert_failed_start_cleans_up(values, "3rd", "fork", EAGAIN, "EAGAIN");
    /* The second pipe fails (EMFILE, as when the process is out of fds). */
    ipct_fault_fail("pipe pipe2", 2, EMFILE);
    assert_failed_start_cleans_up(values, "2nd", "pipe", EMFILE, "EMFILE");
}

Test(parallel_sum, crashed_child_is_eio)
{
    /* The last 8 values lie on a page children do not get (MADV_DONTFORK):
     * the worker summing them crashes (SIGSEGV) before it sends anything. */
    no_core_files();
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *map =
        mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(map, MAP_FAILED, "mmap: %s", strerror(errno));
    cr_assert_eq(madvise(map + page, page, MADV_DONTFORK), 0, "madvise: %s",
                 strerror(errno));
    long *values = (long *)(map + page) - 8;
    for (int i = 0; i < 16; i++)
        values[i] = i + 1;
    struct ipct_fdset before;
    ipct_fd_snapshot(&before);
    /* The first read is interrupted too: errno is EINTR when the end of file comes. */
    ipct_fault_fail("read readv", 1, EINTR);
    long sum = 0;
    errno = 0;
    int r = parallel_sum(values, 16, 2, &sum);
    int err = errno;
    munmap(map, 2 * page);
    cr_assert_eq(r, -1,
                 "a worker crashed before it sent its sum (its pipe ended at once), "
                 "yet parallel_sum returned %d (sum %ld)",
                 r, sum);
    cr_assert_eq(err, EIO, "a dead worker is EIO, errno is %s", strerror(err));
    char leaked[512];
    cr_assert_eq(ipct_fds_leaked(&before, leaked, sizeof leaked), 0,
                 "pipe ends left open after a worker crashed: %s", leaked);
    cr_assert_eq(ipct_children_left(), 0, "workers left unreaped after one crashed");
}
