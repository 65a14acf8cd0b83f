/* test_popen.c - Criterion tests for lab 01's popen exercise (popen_capture, popen_feed).
 */
#include "ipclab_shim.h"
#include "ipclab_test.h"
#include "pipes.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(popen, .timeout = 10);

/*
 * Run popen_capture and require success, no fd left open and no child left
 * behind: popen's stream must be pclose'd (it waits for the shell).
 */
static ssize_t capture_clean(const char *cmd, char *buf, size_t cap, int *code)
{
    struct ipct_fdset before;
    char leaks[512] = "";
    ipct_fd_snapshot(&before);
    errno = 0;
    ssize_t n = popen_capture(cmd, buf, cap, code);
    cr_assert_geq(n, 0, "popen_capture(\"%s\") failed: %s", cmd, strerror(errno));
    cr_assert_eq(ipct_fds_leaked(&before, leaks, sizeof leaks), 0,
                 "fds left open (the stream was not pclose'd?): %s", leaks);
    cr_assert_eq(ipct_children_left(), 0,
                 "the shell was not waited for: pclose reaps it");
    return n;
}

/* $begin popen_capture_test */
Test(popen, captures_shell_output)
{
    char buf[256];
    int code = -1;
    ssize_t n = capture_clean("printf 'one two\\n'; echo three | tr a-z A-Z", buf,
                              sizeof buf, &code);
    cr_assert_eq(n, 14, "captured %zd bytes: \"%s\"", n, buf);
    cr_assert_str_eq(buf, "one two\nTHREE\n", "a shell command line, with its pipe");
    cr_assert_eq(code, 0);
}
/* $end popen_capture_test */

Test(popen, exit_status_is_decoded)
{
    char buf[64];
    int code = -1;
    cr_assert_eq(capture_clean("echo partial; exit 7", buf, sizeof buf, &code), 8);
    cr_assert_str_eq(buf, "partial\n");
    cr_assert_eq(code, 7, "code %d: the shell's exit status, WEXITSTATUS of pclose's",
                 code);
}

Test(popen, signal_is_128_plus_signo)
{
    char buf[64];
    int code = -1;
    cr_assert_eq(capture_clean("kill -TERM $$", buf, sizeof buf, &code), 0);
    cr_assert_eq(code, 128 + SIGTERM,
                 "code %d: a shell killed by SIGTERM is reported as 128 + 15, as $? is",
                 code);
}

Test(popen, missing_command_is_127)
{
    char buf[64];
    int code = -1;
    cr_assert_eq(
        capture_clean("ipclab-no-such-command-here 2>/dev/null", buf, sizeof buf, &code),
        0);
    cr_assert_eq(code, 127, "code %d: /bin/sh reports a command it cannot find as 127",
                 code);
}

/* capture_of_bytes - capture_clean of a command writing len bytes c, into buf[cap]. */
static ssize_t capture_of_bytes(size_t len, char c, char *buf, size_t cap, int *code)
{
    char cmd[96];
    snprintf(cmd, sizeof cmd, "head -c %zu /dev/zero | tr '\\0' %c", len, c);
    return capture_clean(cmd, buf, cap, code);
}

Test(popen, reads_more_than_pipe_capacity)
{
    char buf[300001];
    int code = -1;
    ssize_t n = capture_of_bytes(300000, 'x', buf, sizeof buf, &code);
    cr_assert_eq(n, 300000, "captured %zd of 300000 bytes", n);
    cr_assert_eq(buf[0], 'x');
    cr_assert_eq(buf[299999], 'x');
    cr_assert_eq(code, 0);
}

Test(popen, small_buffer_truncates_but_drains)
{
    char buf[16];
    int code = -1;
    ssize_t n = capture_of_bytes(200000, 'y', buf, sizeof buf, &code);
    cr_assert_eq(n, 15, "cap 16 keeps 15 bytes and a NUL, got %zd", n);
    cr_assert_str_eq(buf, "yyyyyyyyyyyyyyy");
    cr_assert_eq(
        code, 0,
        "code %d: 141 = 128 + SIGPIPE, the command was killed because its output "
        "was not read to the end",
        code);
}

Test(popen, stream_is_cloexec)
{
    /* The shell finds, in its parent (this process), the fd on the other
       end of its own stdout, and prints that fd's flags (octal). */
    const char *cmd =
        "p=$(readlink /proc/$$/fd/1); "
        "for f in /proc/$PPID/fd/*; do "
        "[ \"$(readlink $f)\" = \"$p\" ] && grep '^flags' /proc/$PPID/fdinfo/${f##*/}; "
        "done; true";
    char buf[256];
    int code = -1;
    capture_clean(cmd, buf, sizeof buf, &code);
    cr_assert_eq(code, 0);
    unsigned long flags = 0;
    cr_assert_eq(sscanf(buf, "flags: %lo", &flags), 1,
                 "the caller holds no end of the command's stdout pipe? (got \"%s\")",
                 buf);
    cr_assert(flags & O_CLOEXEC,
              "the stream's fd is not O_CLOEXEC (flags 0%lo): popen with mode \"re\"",
              flags);
}

/*
 * SIGUSR1 handler installed without SA_RESTART: a blocked read or write fails
 * with EINTR. Each time it runs it writes a line into usr1_note, a pipe the
 * interrupting shell reads: the shell goes on only once the handler has run,
 * so the read it interrupted has already failed (had the shell written first,
 * the woken read could have found data and returned it instead).
 */
static volatile sig_atomic_t usr1_seen;
static int usr1_note[2] = {-1, -1};

static void on_usr1(int sig)
{
    (void)sig;
    usr1_seen++;
    int saved = errno;
    (void)!write(usr1_note[1], "\n", 1);
    errno = saved;
}

static void catch_usr1_without_restart(struct sigaction *old)
{
    struct sigaction sa = {.sa_handler = on_usr1};
    sigemptyset(&sa.sa_mask);
    usr1_seen = 0;
    cr_assert_eq(pipe2(usr1_note, O_CLOEXEC), 0);
    cr_assert_eq(sigaction(SIGUSR1, &sa, old), 0);
}

static void release_usr1(const struct sigaction *old)
{
    sigaction(SIGUSR1, old, NULL);
    close(usr1_note[0]);
    close(usr1_note[1]);
    usr1_note[0] = usr1_note[1] = -1;
}

/*
 * A shell snippet that sends SIGUSR1 to its parent (the test) N times, each
 * time once the parent sleeps in the kernel's pipe_read or pipe_write (its
 * /proc wchan; anon_pipe_read on newer kernels), and then waits for the
 * handler's line on usr1_note: the read or write it was blocked in has failed
 * with EINTR, or returned what it moved so far. It gives up (exit 9) if the
 * parent waits for it instead, or is gone. Arguments: N, "read" or "write",
 * then usr1_note[0].
 */
#define INTERRUPT_PARENT                                                                 \
    "i=0; while [ $i -lt %d ]; do while :; do "                                          \
    "w=$(cat /proc/$PPID/wchan) || exit 9; "                                             \
    "case $w in *pipe_%s*) break ;; *wait*) exit 9 ;; esac; done; "                      \
    "kill -USR1 $PPID; read -r _ </proc/$PPID/fd/%d || exit 9; i=$((i + 1)); done; "

Test(popen, capture_retries_eintr)
{
    struct sigaction old;
    catch_usr1_without_restart(&old);
    char cmd[512], buf[64];
    snprintf(cmd, sizeof cmd, INTERRUPT_PARENT "echo done", 1, "read", usr1_note[0]);
    int code = -1;
    ssize_t n = capture_clean(cmd, buf, sizeof buf, &code);
    release_usr1(&old);
    cr_assert_eq(usr1_seen, 1, "the signal did not arrive");
    cr_assert_eq(
        n, 5, "a read interrupted by a signal (EINTR) ended the capture: %zd bytes", n);
    cr_assert_str_eq(buf, "done\n");
    cr_assert_eq(code, 0);
}

Test(popen, bad_arguments_are_einval)
{
    char buf[8];
    int code;
    struct {
        const char *cmd;
        char *buf;
        size_t cap;
        int *code;
    } bad[] = {{NULL, buf, sizeof buf, &code},
               {"true", NULL, sizeof buf, &code},
               {"true", buf, 0, &code},
               {"true", buf, sizeof buf, NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        IPCT_ASSERT_FAILS(EINVAL,
                          popen_capture(bad[i].cmd, bad[i].buf, bad[i].cap, bad[i].code),
                          "case %zu", i);
    }
    cr_assert_eq(ipct_children_left(), 0, "nothing may start on bad arguments");
}

/* ---- popen_feed ----------------------------------------------------------- */

/* Run popen_feed and require no fd or child left and SIGPIPE's action kept. */
static int feed_clean(const char *cmd, const void *data, size_t len)
{
    struct ipct_fdset before;
    char leaks[512] = "";
    struct sigaction pipe_before, pipe_after;
    sigaction(SIGPIPE, NULL, &pipe_before);
    ipct_fd_snapshot(&before);
    errno = 0;
    int code = popen_feed(cmd, data, len);
    cr_assert_geq(code, 0, "popen_feed(\"%s\") failed: %s", cmd, strerror(errno));
    cr_assert_eq(ipct_fds_leaked(&before, leaks, sizeof leaks), 0, "fds left open: %s",
                 leaks);
    cr_assert_eq(ipct_children_left(), 0,
                 "the shell was not waited for: pclose reaps it");
    sigaction(SIGPIPE, NULL, &pipe_after);
    cr_assert_eq(pipe_after.sa_handler, pipe_before.sa_handler,
                 "SIGPIPE's disposition must be restored");
    return code;
}

/* $begin popen_feed_test */
Test(popen, feed_reaches_stdin)
{
    char data[200000], back[200001];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)('a' + i % 26);
    char path[256], cmd[320];
    ipct_path(path, sizeof path, "fed");
    snprintf(cmd, sizeof cmd, "cat > '%s'", path); /* quoted: the path is one word */
    cr_assert_eq(feed_clean(cmd, data, sizeof data), 0);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    cr_assert_geq(fd, 0, "the command did not run: %s", strerror(errno));
    ssize_t n = ipct_drain(fd, back, sizeof back, 5000);
    close(fd);
    cr_assert_eq(n, (ssize_t)sizeof data, "the command read %zd of %zu bytes", n,
                 sizeof data);
    cr_assert_eq(memcmp(back, data, sizeof data), 0, "the bytes changed on the way");
}
/* $end popen_feed_test */

Test(popen, feed_status_is_decoded)
{
    cr_assert_eq(feed_clean("cat >/dev/null; exit 5", "abc", 3), 5);
    cr_assert_eq(feed_clean("kill -TERM $$", "abc", 3), 128 + SIGTERM);
    cr_assert_eq(feed_clean("true", NULL, 0), 0, "no data: the command just sees EOF");
}

Test(popen, feed_to_quitter_is_not_fatal)
{
    /* The command reads nothing and exits: our writes meet EPIPE (or SIGPIPE). */
    char data[1 << 20];
    memset(data, 'q', sizeof data);
    cr_assert_eq(
        feed_clean("exit 3", data, sizeof data), 3,
        "a command that stops reading is not an error: its status is the answer");
    cr_assert_eq(feed_clean("exit 0", data, sizeof data), 0,
                 "EPIPE is not an error: the command exited 0");
    cr_assert_eq(feed_clean("head -c 10 >/dev/null", data, sizeof data), 0,
                 "a command that reads a little and exits 0 is a success");
}

/*
 * The command does not read until it has interrupted us twice while we were
 * blocked writing 1 MiB into its full pipe: the first signal cuts fwrite's
 * write short (64 KiB moved), the second meets the next write before it has
 * moved anything: EINTR.
 */
Test(popen, feed_retries_eintr)
{
    char data[1 << 20];
    memset(data, 'i', sizeof data);
    struct sigaction old;
    catch_usr1_without_restart(&old);
    char cmd[512];
    snprintf(cmd, sizeof cmd, INTERRUPT_PARENT "cat >/dev/null; exit 4", 2, "write",
             usr1_note[0]);
    int code = feed_clean(cmd, data, sizeof data);
    release_usr1(&old);
    cr_assert_eq(usr1_seen, 2, "the signals did not arrive (%d)", (int)usr1_seen);
    cr_assert_eq(code, 4, "the command's status is 4, got %d", code);
}

/*
 * popen_capture and popen_feed report the failures they meet as -1 with the
 * errno: popen's when no fd is left (RLIMIT_NOFILE at the lowest free fd:
 * its pipe2 fails with EMFILE), pclose's when SIGCHLD is ignored (the shell
 * is reaped by the kernel, so pclose's wait fails with ECHILD), and
 * sigaction's (the shim makes it fail). SIGPIPE's action is kept on every path.
 */
Test(popen, failed_calls_are_reported)
{
    pid_t pid = ipct_fork();
    if (pid == 0) {
        char buf[16];
        int code;
        struct sigaction before, after;
        sigaction(SIGPIPE, NULL, &before);

        struct rlimit old, none;
        IPCT_CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
        int lowest = dup(STDERR_FILENO); /* the lowest free fd */
        IPCT_CHILD_CHECK(lowest >= 0 && close(lowest) == 0);
        none = old;
        none.rlim_cur = (rlim_t)lowest;
        IPCT_CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &none) == 0);
        errno = 0;
        ssize_t got = popen_capture("echo x", buf, sizeof buf, &code);
        int err = errno;
        errno = 0;
        int fed = popen_feed("cat >/dev/null", "x", 1);
        int feed_err = errno;
        IPCT_CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
        IPCT_CHILD_CHECK(got == -1 && err == EMFILE); /* popen_capture: popen failed */
        IPCT_CHILD_CHECK(fed == -1 && feed_err == EMFILE); /* popen_feed: popen failed */
        sigaction(SIGPIPE, NULL, &after);
        IPCT_CHILD_CHECK(after.sa_handler == before.sa_handler); /* restored */

        struct sigaction ign = {.sa_handler = SIG_IGN}, dfl;
        sigemptyset(&ign.sa_mask);
        IPCT_CHILD_CHECK(sigaction(SIGCHLD, &ign, &dfl) == 0);
        errno = 0;
        got = popen_capture("echo x", buf, sizeof buf, &code);
        err = errno;
        errno = 0;
        fed = popen_feed("cat >/dev/null", "x", 1);
        feed_err = errno;
        IPCT_CHILD_CHECK(sigaction(SIGCHLD, &dfl, NULL) == 0);
        IPCT_CHILD_CHECK(got == -1 && err == ECHILD); /* popen_capture: pclose failed */
        IPCT_CHILD_CHECK(fed == -1 && feed_err == ECHILD); /* popen_feed: pclose failed */

        ipct_fault_fail("sigaction", 1, EINVAL);
        errno = 0;
        fed = popen_feed("cat >/dev/null", "x", 1);
        feed_err = errno;
        ipct_fault_clear();
        IPCT_CHILD_CHECK(fed == -1 &&
                         feed_err == EINVAL); /* popen_feed: sigaction failed */
        _exit(0);
    }
    int code = ipct_wait_exit(pid, 8000);
    cr_assert_eq(
        code, 0,
        "a failing popen (EMFILE), pclose (ECHILD) or sigaction (EINVAL) must make "
        "popen_capture and popen_feed return -1 with that errno (see the line "
        "above), and popen_feed keep SIGPIPE's action");
}

/*
 * One call of popen_capture (feed NULL) or popen_feed under the fault
 * "the first NAME fails with err": when the fault hit, it must return -1 with
 * err, else `want`; either way with no fd left open, the shell reaped and
 * SIGPIPE's action kept.
 */
static void stream_fault(const char *name, int err, const char *cmd, const char *feed,
                         long want)
{
    struct ipct_fdset before;
    char leaks[512] = "", buf[64];
    struct sigaction pipe_before, pipe_after;
    sigaction(SIGPIPE, NULL, &pipe_before);
    ipct_fd_snapshot(&before);
    int hits = ipct_faults_count(), code = -1;
    ipct_fault_fail(name, 1, err);
    errno = 0;
    long got = feed == NULL ? (long)popen_capture(cmd, buf, sizeof buf, &code)
                            : (long)popen_feed(cmd, feed, strlen(feed));
    int got_err = errno;
    ipct_fault_clear();
    const char *fn = feed == NULL ? "popen_capture" : "popen_feed";
    if (ipct_faults_count() > hits && err != EINTR)
        cr_assert(got == -1 && got_err == err,
                  "%s: its %s failed with %s (injected), so it must return -1 with that "
                  "errno; got %ld (%s)",
                  fn, name, strerrorname_np(err), got, strerror(got_err));
    else
        cr_assert_eq(got, want, "%s(\"%s\") returned %ld (%s), expected %ld", fn, cmd,
                     got, strerror(got_err), want);
    cr_assert_eq(
        ipct_fds_leaked(&before, leaks, sizeof leaks), 0,
        "%s left fds open after its %s failed (the stream was not pclose'd?): %s", fn,
        name, leaks);
    cr_assert_eq(ipct_children_left(), 0,
                 "%s left the shell unreaped after its %s failed: pclose reaps it", fn,
                 name);
    sigaction(SIGPIPE, NULL, &pipe_after);
    cr_assert_eq(pipe_after.sa_handler, pipe_before.sa_handler,
                 "%s must restore SIGPIPE's disposition", fn);
}

/*
 * A read or write on popen's stream that fails (EIO, injected into the
 * student's fread, fwrite or fflush) is reported as -1 with that errno, with
 * the stream closed and the shell reaped; an EINTR from fflush is retried.
 * Code that does not make the planned call (fputs instead of fwrite, say) is
 * not touched by the fault, and must simply succeed.
 */
Test(popen, stream_failures_are_reported)
{
    stream_fault("fread", EIO, "echo x", NULL, 2);
    stream_fault("fwrite", EIO, "cat >/dev/null; exit 3", "hello", 3);
    stream_fault("fflush", EIO, "cat >/dev/null; exit 3", "hello", 3);
    /* The command exits 3 only if every byte reached it. */
    stream_fault("fflush", EINTR, "[ \"$(cat)\" = hello ] && exit 3; exit 4", "hello", 3);
}

Test(popen, feed_bad_arguments_are_einval)
{
    IPCT_ASSERT_FAILS(EINVAL, popen_feed(NULL, "x", 1),
                      "NULL command: popen_feed(NULL, \"x\", 1) must fail with EINVAL");
    IPCT_ASSERT_FAILS(
        EINVAL, popen_feed("cat", NULL, 4),
        "NULL data with len 4: popen_feed(\"cat\", NULL, 4) must fail with EINVAL");
    cr_assert_eq(ipct_children_left(), 0, "nothing may start on bad arguments");
}
