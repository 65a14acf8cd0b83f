/* test_popen.c - Criterion tests for lab 01's popen exercise (popen_capture, popen_feed).
 */
#include "ipclab_test.h"
#include "pipes.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

Test(popen, reads_more_than_pipe_capacity)
{
    static char buf[300001];
    int code = -1;
    ssize_t n =
        capture_clean("head -c 300000 /dev/zero | tr '\\0' x", buf, sizeof buf, &code);
    cr_assert_eq(n, 300000, "captured %zd of 300000 bytes", n);
    cr_assert_eq(buf[0], 'x');
    cr_assert_eq(buf[299999], 'x');
    cr_assert_eq(code, 0);
}

Test(popen, small_buffer_truncates_but_drains)
{
    char buf[16];
    int code = -1;
    ssize_t n =
        capture_clean("head -c 200000 /dev/zero | tr '\\0' y", buf, sizeof buf, &code);
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
    static char data[200000], back[200001];
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
    static char data[1 << 20];
    memset(data, 'q', sizeof data);
    cr_assert_eq(
        feed_clean("exit 3", data, sizeof data), 3,
        "a command that stops reading is not an error: its status is the answer");
    cr_assert_eq(feed_clean("exit 0", data, sizeof data), 0,
                 "EPIPE is not an error: the command exited 0");
    cr_assert_eq(feed_clean("head -c 10 >/dev/null", data, sizeof data), 0,
                 "a command that reads a little and exits 0 is a success");
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
