/* ipclab_test.h - test-support library shared by every lab's Criterion tests. */
#ifndef IPCLAB_TEST_H
#define IPCLAB_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Unique names.
 *
 * Every name a test gives to a kernel object (a path, a POSIX IPC name, a
 * SysV key) comes from here, so tests run in parallel, and several graders
 * run at once, without ever meeting each other's objects. Names embed the
 * test process's pid and a per-process counter.
 */

/*
 * ipct_name - write "<prefix>ipclab-<pid>-<seq>-<tag>" into buf.
 *
 * Use prefix "/" for POSIX shared memory, semaphores and message queues, ""
 * for a file name. Returns buf; aborts the test if buf is too small.
 */
char *ipct_name(char *buf, size_t len, const char *prefix, const char *tag);

/*
 * ipct_tmpdir - the calling test's private temporary directory.
 *
 * Created on first use (mode 0700, under $TMPDIR or /tmp) and removed with
 * everything in it when the test ends. Returns a path valid until then.
 */
const char *ipct_tmpdir(void);

/*
 * ipct_path - write "<tmpdir>/<name>" into buf and return buf.
 *
 * The file itself is not created. Aborts the test if buf is too small.
 */
char *ipct_path(char *buf, size_t len, const char *name);

/*
 * ipct_key - a SysV IPC key no other test process uses.
 *
 * Made with ftok(3) on a fresh file in the test's tmpdir. Two calls in one
 * test return different keys.
 */
key_t ipct_key(void);

/*
 * ipct_new_ipc_namespace - move this process into an IPC namespace of its
 * own, where the first SysV object it creates gets id 0 (a valid id that a
 * check like id > 0 mistakes for a failure). Unprivileged through a new user
 * namespace where the kernel allows one, else with CAP_SYS_ADMIN. Returns
 * false, changing nothing, where neither works (the grader's sandbox): a
 * test then goes on in the namespace it has. Call it in a child the test
 * forked (ipct_fork): a process with threads (the test process has the
 * probe's watchdog) cannot enter a new user namespace. Make files (ipct_key)
 * before: in a new user namespace the process's user is unmapped, and may
 * create none.
 */
bool ipct_new_ipc_namespace(void);

/*
 * File descriptors.
 */

#define IPCT_MAX_FDS 1024

/* A snapshot of the open file descriptors of the calling process. */
struct ipct_fdset {
    int count;             /* number of entries used in fds[] */
    int fds[IPCT_MAX_FDS]; /* open descriptors, ascending */
};

/* ipct_fd_snapshot - record the calling process's open fds into *set. */
void ipct_fd_snapshot(struct ipct_fdset *set);

/*
 * ipct_fds_leaked - count fds open now that were not open in *before.
 *
 * If desc is not NULL, a readable list ("fd 5 -> pipe:[1234]") is written
 * there (truncated to len).
 */
int ipct_fds_leaked(const struct ipct_fdset *before, char *desc, size_t len);

/* ipct_fd_is_open - true if fd is an open descriptor of this process. */
bool ipct_fd_is_open(int fd);

/*
 * ipct_fd_target - readlink of /proc/self/fd/FD into buf ("pipe:[1234]").
 *
 * Returns buf, or "?" in buf if the fd is not open.
 */
char *ipct_fd_target(int fd, char *buf, size_t len);

/*
 * Child processes.
 */

/*
 * ipct_children_left - number of children of this process that still exist
 * (running or zombie). Does not reap them.
 */
int ipct_children_left(void);

/*
 * ipct_fork - fork a peer process for a test.
 *
 * The child gets SIGKILL if the test process dies, has SIGPIPE at its
 * default action, and must leave with _exit(): never return into the test
 * and never call cr_assert (report through the exit status or a pipe).
 * Returns the child's pid in the parent and 0 in the child; aborts the test
 * if fork(2) fails.
 */
pid_t ipct_fork(void);

/*
 * ipct_now_ms - milliseconds on the monotonic clock (CLOCK_MONOTONIC): for
 * deadlines that mean wall time, even under valgrind where one loop turn can
 * take many milliseconds, and elapsed times within one run (never an absolute
 * verdict).
 */
long long ipct_now_ms(void);

/*
 * ipct_wait - wait for pid for at most timeout_ms milliseconds.
 *
 * Returns 0 and stores the wait status in *status once pid has ended.
 * On timeout the child is killed with SIGKILL and reaped, and -1 is returned
 * with errno = ETIMEDOUT.
 */
int ipct_wait(pid_t pid, int *status, int timeout_ms);

/*
 * ipct_wait_exit - wait (with timeout) for pid and return its exit code,
 * or -1 if it timed out or was killed by a signal (the reason is logged).
 */
int ipct_wait_exit(pid_t pid, int timeout_ms);

/*
 * ipct_fork_answering - fork a peer (ipct_fork) joined to the test by an
 * answer pipe (O_CLOEXEC), the child's way to report a result. Returns the
 * child's pid in the parent and 0 in the child; *ans is the pipe's read end
 * in the parent and its write end in the child (each closes the other end).
 */
pid_t ipct_fork_answering(int *ans);

/*
 * ipct_fork_held - fork a child (ipct_fork) that keeps running, neither
 * finished nor a zombie, until the test closes *release (the write end of a
 * pipe, O_CLOEXEC); the child then exits 0 (1 if it read data instead of end
 * of file). Returns the child's pid.
 */
pid_t ipct_fork_held(int *release);

/*
 * ipct_fork_all - n peers at once (a load test's clients or writers): fork n
 * children with ipct_fork(); child i runs body(i, arg), which checks with
 * IPCT_CHILD_CHECK (never cr_assert), then leaves with _exit(0). Waits for
 * every child, at most timeout_ms each, and returns how many did not exit
 * with status 0 (a failed check, a signal or a timeout: each is logged).
 * n is at most IPCT_MAX_PEERS.
 */
#define IPCT_MAX_PEERS 64
int ipct_fork_all(int n, void (*body)(int i, void *arg), void *arg, int timeout_ms);

/*
 * Waits for children that a signal interrupts (a fault plan, ipclab_shim.h).
 */

/* The calls that wait for a child, as a fault plan names them. */
#define IPCT_WAIT_CALLS "wait waitpid waitid wait3 wait4"

/*
 * ipct_fault_wait_eintr - from now on (in this process and the children it
 * forks) the student's blocking waits for a child fail with EINTR, as when a
 * signal handler runs: the first, then every every-th (0: the first only),
 * at most times in all (0: no limit). The children are still there to be
 * waited for. ipct_fault_clear() ends it.
 */
void ipct_fault_wait_eintr(int every, int times);

/*
 * ipct_expect_wait_retried - after the student's fn (its name, for the
 * messages) returned rc with errno err under ipct_fault_wait_eintr: fails
 * the test unless rc is 0, at least min_hits of its waits were interrupted
 * (it did wait for its children, blocking) and no child is left to reap.
 */
void ipct_expect_wait_retried(const char *fn, int rc, int err, int min_hits);

/*
 * ipct_heap_kept - how many more heap blocks the student's code holds now
 * (ipct_heap_blocks, ipclab_shim.h) than `before`, a count taken before a
 * call; 0 when either count was lost (-1).
 */
long ipct_heap_kept(long before);

/*
 * IPCT_EXPECT_HEAP_BACK(before, what) - fail the test, at the line that uses
 * it, unless ipct_heap_kept(before) is 0: "WHAT: N block(s) your code
 * allocated (malloc, calloc, realloc) are not freed". It expands to
 * Criterion's assert: the test file includes <criterion/criterion.h>.
 */
#define IPCT_EXPECT_HEAP_BACK(before, what)                                              \
    do {                                                                                 \
        long ipct_kept_ = ipct_heap_kept(before);                                        \
        cr_assert_eq(ipct_kept_, 0,                                                      \
                     "%s: %ld block(s) your code allocated (malloc, calloc, realloc) "   \
                     "are not freed",                                                    \
                     (what), ipct_kept_);                                                \
    } while (0)

/*
 * Processes seen from outside.
 */

/*
 * ipct_child_running - true while child pid exists and has not exited (a
 * zombie counts as ended). Does not reap it (waitid with WNOWAIT).
 */
bool ipct_child_running(pid_t pid);

/*
 * ipct_blocked_in - wait until child pid sleeps inside system call nr (a
 * SYS_* number), for at most timeout_ms. Returns false if pid ends first or
 * the time passes. How a test sees "the open is waiting for a writer"
 * without guessing with sleep().
 */
bool ipct_blocked_in(pid_t pid, long nr, int timeout_ms);

/*
 * ipct_all_asleep - wait until every thread of child pid sleeps (state 'S',
 * seen three times in a row 1 ms apart), for at most timeout_ms. Returns
 * false if pid ends first or the time passes (a server that polls with no
 * wait never sleeps). How a test sees "the server is idle, waiting for
 * input" before it provokes something only a wake-up would notice.
 */
bool ipct_all_asleep(pid_t pid, int timeout_ms);

/*
 * ipct_pause_ms - sleep ms milliseconds: the pace of a loop that polls for
 * a condition with a deadline, never a synchronisation by itself.
 */
void ipct_pause_ms(int ms);

/*
 * ipct_stop_child - kill child pid (SIGKILL) if it still runs, and reap it:
 * for a test's failure paths.
 */
void ipct_stop_child(pid_t pid);

/*
 * ipct_run - run argv[0] (searched in PATH) with stdin fed from in/inlen,
 * stdout captured into out (at most outcap-1 bytes, NUL-terminated) and the
 * wait status in *status. The whole exchange is limited to timeout_ms.
 *
 * Returns the number of bytes captured, or -1 with errno set (ETIMEDOUT on
 * timeout, after killing the child).
 */
ssize_t ipct_run(char *const argv[], const void *in, size_t inlen, char *out,
                 size_t outcap, int *status, int timeout_ms);

/*
 * ipct_readable_within - true if fd becomes readable (or at EOF) within
 * timeout_ms milliseconds. Lets a test check for EOF without risking a hang.
 */
bool ipct_readable_within(int fd, int timeout_ms);

/*
 * ipct_drain - read fd until EOF into buf (at most cap bytes), waiting at
 * most timeout_ms in total. Returns the bytes read, or -1 with errno set
 * (ETIMEDOUT if EOF did not come in time).
 */
ssize_t ipct_drain(int fd, void *buf, size_t cap, int timeout_ms);

/*
 * ipct_send_all - send all len bytes on socket fd, resuming after short
 * sends and EINTR; MSG_NOSIGNAL, so a closed peer gives -1/EPIPE instead of
 * killing the test with SIGPIPE. Returns 0, or -1 with errno set.
 */
int ipct_send_all(int fd, const void *buf, size_t len);

/*
 * ipct_read_exact - read exactly len bytes from fd, waiting at most
 * timeout_ms for each part (a negative timeout_ms: as long as it takes),
 * resuming after EINTR. Returns 0, or -1 on end of file, an error or a
 * timeout (errno ETIMEDOUT).
 */
int ipct_read_exact(int fd, void *buf, size_t len, int timeout_ms);

/* ipct_is_mapped - true if addr lies in one of the ranges /proc/self/maps lists. */
bool ipct_is_mapped(const void *addr);

/*
 * ipct_scratch - len zeroed bytes for the rest of this test's process (fails
 * the test when there is no memory). For a buffer too big for the stack (a
 * frame over 2 MB is taken for a stack switch by valgrind, which then reports
 * every access in it), use this rather than a static array: memcheck's leak
 * check, which runs at the
 * exit of every process a test starts, scans the test binary's whole .bss;
 * these pages are mapped only in the test that asked (and its children). Not
 * heap memory: never freed, never a leak; it goes with the process.
 */
void *ipct_scratch(size_t len);

/* True when the test binary runs under valgrind (shrink iteration counts). */
bool ipct_under_valgrind(void);

/*
 * ipct_seccomp - from now on, system calls fail in the calling process as the
 * kernel may make them fail: a seccomp filter (no privilege needed after
 * PR_SET_NO_NEW_PRIVS). The filter allows every call of another
 * architecture, loads the call's number (seccomp_data.nr) and runs rules[0..n)
 * (at most 32 BPF statements, each path ending in a SECCOMP_RET_* return).
 * A filter cannot be taken back: only a forked child calls this. Returns
 * false where the architecture is not known here or the filter was refused.
 */
struct sock_filter;
bool ipct_seccomp(const struct sock_filter *rules, size_t n);

/*
 * IPCT_ASSERT_FAILS(err, call, fmt, ...) - in the test's own process: call (an
 * expression of integer type) must return -1, else the test fails with fmt's
 * message, and must set errno to err, else the test fails naming call, the errno it
 * got and err. errno is cleared first, so a value an earlier call left cannot pass.
 * It expands to Criterion's asserts, errno and strerror: the test file includes
 * <criterion/criterion.h>, <errno.h> and <string.h>.
 */
#define IPCT_ASSERT_FAILS(err, call, ...)                                                \
    do {                                                                                 \
        errno = 0;                                                                       \
        long ipct_rc_ = (long)(call);                                                    \
        int ipct_errno_ = errno;                                                         \
        cr_assert_eq(ipct_rc_, -1, __VA_ARGS__);                                         \
        cr_assert_eq(ipct_errno_, (err), "%s: errno %s, expected %s", #call,             \
                     strerror(ipct_errno_), #err);                                       \
    } while (0)

/*
 * IPCT_CHILD_CHECK - in a forked child: if cond is false, print where and
 * _exit(100 + line % 100). The parent sees a non-zero exit code.
 */
#define IPCT_CHILD_CHECK(cond) ipct_child_check_((cond), #cond, __FILE__, __LINE__)
void ipct_child_check_(bool ok, const char *expr, const char *file, int line);

#endif /* IPCLAB_TEST_H */
