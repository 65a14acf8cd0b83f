/* support.c - unique names, temp dirs, fd and child checks, peers for lab tests. */
#include "ipclab_shim.h"
#include "ipclab_test.h"
#include "probe.h"
#include "tmpdirs.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

static unsigned name_seq; /* per-process counter for ipct_name */
static char tmpdir[256];  /* this test's private directory, "" until made */

char *ipct_name(char *buf, size_t len, const char *prefix, const char *tag)
{
    int n =
        snprintf(buf, len, "%sipclab-%ld-%u-%s", prefix, (long)getpid(), name_seq++, tag);
    if (n < 0 || (size_t)n >= len)
        cr_assert_fail("ipct_name: buffer of %zu bytes too small for '%s'", len, tag);
    return buf;
}

const char *ipct_tmpdir(void)
{
    if (tmpdir[0] == '\0') {
        char made[sizeof tmpdir];
        if (!tmpdirs_make(made, sizeof made)) {
            int err = errno;
            cr_assert_fail("mkdtemp '%s': %s", made, strerror(err));
        }
        memcpy(tmpdir, made, sizeof tmpdir);
        ipct_probe_set_tmpdir(tmpdir);
    }
    return tmpdir;
}

char *ipct_path(char *buf, size_t len, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", ipct_tmpdir(), name);
    if (n < 0 || (size_t)n >= len)
        cr_assert_fail("ipct_path: buffer of %zu bytes too small for '%s'", len, name);
    return buf;
}

key_t ipct_key(void)
{
    char path[320];
    char tag[32];
    snprintf(tag, sizeof tag, "key%u", name_seq);
    ipct_path(path, sizeof path, ipct_name(tag, sizeof tag, "", "key"));
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0)
        cr_assert_fail("open('%s'): %s", path, strerror(errno));
    close(fd);
    key_t key = ftok(path, 'I');
    if (key == -1)
        cr_assert_fail("ftok('%s'): %s", path, strerror(errno));
    return key;
}

bool ipct_new_ipc_namespace(void)
{
    return unshare(CLONE_NEWUSER | CLONE_NEWIPC) == 0 || unshare(CLONE_NEWIPC) == 0;
}

void ipct_fd_snapshot(struct ipct_fdset *set)
{
    set->count = 0;
    DIR *dir = opendir("/proc/self/fd");
    if (dir == NULL)
        cr_assert_fail("opendir('/proc/self/fd'): %s", strerror(errno));
    int self = dirfd(dir);
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && set->count < IPCT_MAX_FDS) {
        if (entry->d_name[0] == '.')
            continue;
        int fd = atoi(entry->d_name);
        if (fd != self)
            set->fds[set->count++] = fd;
    }
    closedir(dir);
    /* readdir order is ascending on procfs, but do not rely on it. */
    for (int i = 1; i < set->count; i++)
        for (int j = i; j > 0 && set->fds[j - 1] > set->fds[j]; j--) {
            int t = set->fds[j];
            set->fds[j] = set->fds[j - 1];
            set->fds[j - 1] = t;
        }
}

bool ipct_fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1;
}

char *ipct_fd_target(int fd, char *buf, size_t len)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, len - 1);
    if (n < 0)
        n = snprintf(buf, len, "?");
    else
        buf[n] = '\0';
    return buf;
}

int ipct_fds_leaked(const struct ipct_fdset *before, char *desc, size_t len)
{
    struct ipct_fdset now;
    ipct_fd_snapshot(&now);
    int leaked = 0;
    size_t used = 0;
    if (desc != NULL && len > 0)
        desc[0] = '\0';
    for (int i = 0; i < now.count; i++) {
        bool known = false;
        for (int j = 0; j < before->count && !known; j++)
            known = before->fds[j] == now.fds[i];
        if (known)
            continue;
        leaked++;
        if (desc != NULL && used < len) {
            char target[256];
            int n =
                snprintf(desc + used, len - used, "%sfd %d -> %s", used ? ", " : "",
                         now.fds[i], ipct_fd_target(now.fds[i], target, sizeof target));
            if (n > 0)
                used += (size_t)n;
        }
    }
    return leaked;
}

int ipct_children_left(void)
{
    return ipct_probe_count_children(NULL, 0);
}

pid_t ipct_fork(void)
{
    pid_t parent = getpid();
    fflush(NULL); /* buffered output must not be written twice */
    pid_t pid = fork();
    if (pid < 0)
        cr_assert_fail("fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(99); /* the test died between fork and prctl */
        signal(SIGPIPE, SIG_DFL);
    }
    return pid;
}

long long ipct_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ipct_wait(pid_t pid, int *status, int timeout_ms)
{
    /*
     * Block in poll() on a pidfd: the exit wakes it at once, and a test that
     * hangs here is seen waiting for this very child, so why-it-hung
     * explains the child rather than a sleep of the harness. valgrind 3.19
     * has no pidfd_open (nor has a kernel before 5.3): there, poll
     * waitpid(WNOHANG) with a short backoff.
     */
    long long deadline = ipct_now_ms() + timeout_ms;
    int pidfd = RUNNING_ON_VALGRIND ? -1 : (int)syscall(SYS_pidfd_open, pid, 0);
    int delay_us = 50, rc = -1, err = 0;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid) {
            rc = 0;
            break;
        }
        if (r < 0 && errno != EINTR) {
            err = errno;
            break;
        }
        long long left = deadline - ipct_now_ms();
        if (left <= 0) {
            kill(pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
            err = ETIMEDOUT;
            break;
        }
        if (pidfd >= 0) {
            struct pollfd p = {.fd = pidfd, .events = POLLIN};
            (void)poll(&p, 1, left < INT_MAX ? (int)left : INT_MAX);
            continue;
        }
        usleep((useconds_t)delay_us);
        if (delay_us < 5000)
            delay_us *= 2;
    }
    if (pidfd >= 0)
        close(pidfd);
    if (rc < 0)
        errno = err;
    return rc;
}

int ipct_wait_exit(pid_t pid, int timeout_ms)
{
    int status;
    if (ipct_wait(pid, &status, timeout_ms) < 0) {
        cr_log_error("child %ld did not finish within %d ms (killed)", (long)pid,
                     timeout_ms);
        return -1;
    }
    if (WIFSIGNALED(status)) {
        cr_log_error("child %ld was killed by signal %d (%s)", (long)pid,
                     WTERMSIG(status), strsignal(WTERMSIG(status)));
        return -1;
    }
    return WEXITSTATUS(status);
}

pid_t ipct_fork_answering(int *ans)
{
    int fds[2];
    cr_assert_eq(pipe2(fds, O_CLOEXEC), 0, "pipe2: %s", strerror(errno));
    pid_t pid = ipct_fork();
    close(fds[pid == 0 ? 0 : 1]);
    *ans = fds[pid == 0 ? 1 : 0];
    return pid;
}

pid_t ipct_fork_held(int *release)
{
    int gate[2];
    cr_assert_eq(pipe2(gate, O_CLOEXEC), 0, "pipe2: %s", strerror(errno));
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(gate[1]);
        char c;
        _exit(read(gate[0], &c, 1) == 0 ? 0 : 1);
    }
    close(gate[0]);
    *release = gate[1];
    return pid;
}

int ipct_fork_all(int n, void (*body)(int i, void *arg), void *arg, int timeout_ms)
{
    cr_assert(n >= 0 && n <= IPCT_MAX_PEERS, "ipct_fork_all: %d peers, at most %d", n,
              IPCT_MAX_PEERS);
    pid_t pids[IPCT_MAX_PEERS];
    for (int i = 0; i < n; i++) {
        pids[i] = ipct_fork();
        if (pids[i] == 0) {
            body(i, arg);
            _exit(0);
        }
    }
    int bad = 0;
    for (int i = 0; i < n; i++)
        if (ipct_wait_exit(pids[i], timeout_ms) != 0)
            bad++;
    return bad;
}

void ipct_fault_wait_eintr(int every, int times)
{
    ipct_fault_add(&(struct ipct_fault){.calls = IPCT_WAIT_CALLS,
                                        .nth = 1,
                                        .every = every,
                                        .times = times,
                                        .error = EINTR});
}

void ipct_expect_wait_retried(const char *fn, int rc, int err, int min_hits)
{
    cr_assert_eq(rc, 0,
                 "%s failed (%s) when its wait for a child was interrupted by a signal "
                 "(EINTR injected by the test): wait again",
                 fn, strerror(err));
    cr_assert_geq(ipct_faults_count(), min_hits,
                  "%s did not wait for its children as expected: %d of its waits "
                  "interrupted, at least %d expected (%s)",
                  fn, ipct_faults_count(), min_hits, ipct_faults_injected());
    cr_assert_eq(ipct_children_left(), 0,
                 "%s left children unreaped after the EINTR (injected by the test)", fn);
}

long ipct_heap_kept(long before)
{
    long now = ipct_heap_blocks();
    return before >= 0 && now >= 0 ? now - before : 0;
}

bool ipct_child_running(pid_t pid)
{
    siginfo_t info = {0};
    if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0)
        return false;
    return info.si_pid == 0;
}

void ipct_pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* $begin blocked_in */
/* stat_state - the state letter of the /proc stat file at path ('?' if unreadable). */
static char stat_state(const char *path)
{
    char buf[256], state = '?';
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return state;
    if (fgets(buf, sizeof buf, f) != NULL) {
        const char *p = strrchr(buf, ')');
        if (p != NULL && p[1] == ' ')
            state = p[2];
    }
    fclose(f);
    return state;
}

/*
 * ipct_blocked_in - wait until process pid sleeps inside system call nr.
 *
 * Reads /proc/PID/stat (state 'S') and /proc/PID/syscall (first field: the
 * number of the call it is blocked in). Returns false if pid ends first or
 * timeout_ms passes. This is how a test sees "the open is waiting for a
 * writer" without guessing with sleep().
 */
bool ipct_blocked_in(pid_t pid, long nr, int timeout_ms)
{
    for (long long end = ipct_now_ms() + timeout_ms; ipct_now_ms() < end;) {
        if (!ipct_child_running(pid))
            return false;
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        char state = stat_state(path);
        snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
        FILE *f = fopen(path, "r");
        long cur = -2;
        if (f != NULL) {
            if (fscanf(f, "%ld", &cur) != 1)
                cur = -2;
            fclose(f);
        }
        if (state == 'S' && cur == nr)
            return true;
        ipct_pause_ms(1);
    }
    return false;
}
/* $end blocked_in */

/* all_threads_sleep - true if every thread of pid is in state 'S' now. */
static bool all_threads_sleep(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return false;
    bool asleep = true;
    int seen = 0;
    for (struct dirent *e; asleep && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char stat[96];
        snprintf(stat, sizeof stat, "/proc/%d/task/%.16s/stat", (int)pid, e->d_name);
        asleep = stat_state(stat) == 'S';
        seen++;
    }
    closedir(d);
    return asleep && seen > 0;
}

bool ipct_all_asleep(pid_t pid, int timeout_ms)
{
    int in_a_row = 0;
    for (long long end = ipct_now_ms() + timeout_ms; ipct_now_ms() < end;) {
        if (!ipct_child_running(pid))
            return false;
        in_a_row = all_threads_sleep(pid) ? in_a_row + 1 : 0;
        if (in_a_row == 3)
            return true;
        ipct_pause_ms(1);
    }
    return false;
}

void ipct_stop_child(pid_t pid)
{
    int status;
    kill(pid, SIGKILL);
    ipct_wait(pid, &status, 5000);
}

bool ipct_readable_within(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r;
    while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
        ;
    return r == 1;
}

ssize_t ipct_drain(int fd, void *buf, size_t cap, int timeout_ms)
{
    long long deadline = ipct_now_ms() + timeout_ms;
    size_t got = 0;
    static char scratch[4096]; /* discards bytes past cap */
    for (;;) {
        long long left = deadline - ipct_now_ms();
        if (left <= 0 || !ipct_readable_within(fd, (int)left)) {
            errno = ETIMEDOUT;
            return -1;
        }
        char *dst = got < cap ? (char *)buf + got : scratch;
        size_t room = got < cap ? cap - got : sizeof scratch;
        ssize_t n = read(fd, dst, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return (ssize_t)(got < cap ? got : cap);
        got += (size_t)n;
    }
}

int ipct_send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf, *end = p + len;
    while (p < end) {
        ssize_t n = send(fd, p, (size_t)(end - p), MSG_NOSIGNAL);
        if (n > 0)
            p += n;
        else if (n == 0 || errno != EINTR)
            return -1;
    }
    return 0;
}

int ipct_read_exact(int fd, void *buf, size_t len, int timeout_ms)
{
    char *p = buf, *end = p + len;
    while (p < end) {
        if (!ipct_readable_within(fd, timeout_ms)) {
            errno = ETIMEDOUT;
            return -1;
        }
        ssize_t n = read(fd, p, (size_t)(end - p));
        if (n > 0)
            p += n;
        else if (n == 0 || errno != EINTR)
            return -1;
    }
    return 0;
}

bool ipct_is_mapped(const void *addr)
{
    FILE *f = fopen("/proc/self/maps", "r");
    unsigned long lo, hi, a = (unsigned long)(uintptr_t)addr;
    char line[512];
    bool found = false;
    cr_assert_not_null(f, "/proc/self/maps: %s", strerror(errno));
    while (!found && fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= a && a < hi)
            found = true;
    fclose(f);
    return found;
}

ssize_t ipct_run(char *const argv[], const void *in, size_t inlen, char *out,
                 size_t outcap, int *status, int timeout_ms)
{
    int to_child[2], from_child[2];
    if (pipe2(to_child, O_CLOEXEC) < 0)
        return -1;
    if (pipe2(from_child, O_CLOEXEC) < 0) {
        close(to_child[0]);
        close(to_child[1]);
        return -1;
    }
    pid_t pid = ipct_fork();
    if (pid == 0) {
        if (dup2(to_child[0], STDIN_FILENO) >= 0 &&
            dup2(from_child[1], STDOUT_FILENO) >= 0)
            execvp(argv[0], argv);
        _exit(127); /* no stdin/stdout, or no such program */
    }
    close(to_child[0]);
    close(from_child[1]);
    /* Feed stdin without blocking forever: the input is small, and a child
       that does not read it gets EPIPE'd rather than wedging us. */
    signal(SIGPIPE, SIG_IGN);
    size_t off = 0;
    while (off < inlen) {
        ssize_t n = write(to_child[1], (const char *)in + off, inlen - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        off += (size_t)n;
    }
    close(to_child[1]);
    ssize_t got = ipct_drain(from_child[0], out, outcap - 1, timeout_ms);
    int err = errno;
    close(from_child[0]);
    int wait_rc = ipct_wait(pid, status, got < 0 ? 0 : timeout_ms);
    if (got < 0 || wait_rc < 0) {
        errno = got < 0 ? err : ETIMEDOUT;
        out[0] = '\0';
        return -1;
    }
    out[got] = '\0';
    return got;
}

void *ipct_scratch(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(p != MAP_FAILED, "ipct_scratch: %zu bytes: %s", len, strerror(errno));
    return p;
}

bool ipct_under_valgrind(void)
{
    return RUNNING_ON_VALGRIND != 0;
}

bool ipct_seccomp(const struct sock_filter *rules, size_t n)
{
#if defined(__x86_64__)
    const unsigned arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
    const unsigned arch = AUDIT_ARCH_AARCH64;
#elif defined(__riscv) && __riscv_xlen == 64
    const unsigned arch = AUDIT_ARCH_RISCV64;
#else
    (void)rules;
    (void)n;
    return false;
#endif
    struct sock_filter f[4 + 32] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    };
    if (n == 0 || n > 32)
        return false;
    memcpy(f + 4, rules, n * sizeof *rules);
    struct sock_fprog prog = {(unsigned short)(4 + n), f};
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
           prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

/* The children's messages (probe.h): a used-bytes counter, then the text. */
struct child_msgs {
    size_t used; /* bytes of text written (atomic: children append at once) */
    char text[4096 - sizeof(size_t)];
};
static struct child_msgs *child_msgs; /* shared with every child of the test */
static size_t child_msgs_taken;       /* bytes this process handed out already */

void ipct_child_msgs_reset(void)
{
    if (child_msgs == NULL) {
        void *p = mmap(NULL, sizeof *child_msgs, PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return; /* the children's messages stay on their stderr only */
        child_msgs = p;
    }
    memset(child_msgs, 0, sizeof *child_msgs);
    child_msgs_taken = 0;
}

const char *ipct_child_msgs_take(void)
{
    static char out[sizeof child_msgs->text + 1];
    out[0] = '\0';
    if (child_msgs == NULL)
        return out;
    size_t used = __atomic_load_n(&child_msgs->used, __ATOMIC_ACQUIRE);
    if (used > sizeof child_msgs->text)
        used = sizeof child_msgs->text;
    if (used > child_msgs_taken) {
        memcpy(out, child_msgs->text + child_msgs_taken, used - child_msgs_taken);
        out[used - child_msgs_taken] = '\0';
        child_msgs_taken = used;
    }
    return out;
}

/* child_msg_append - reserve room in the shared page and copy line there. */
static void child_msg_append(const char *line, size_t len)
{
    if (child_msgs == NULL)
        return;
    size_t at = __atomic_fetch_add(&child_msgs->used, len, __ATOMIC_ACQ_REL);
    if (at >= sizeof child_msgs->text || len > sizeof child_msgs->text - at)
        return; /* full: the message is still on the child's stderr */
    memcpy(child_msgs->text + at, line, len);
}

void ipct_child_check_(bool ok, const char *expr, const char *file, int line)
{
    if (ok)
        return;
    const char *base = strrchr(file, '/');
    char msg[512];
    int n = snprintf(msg, sizeof msg, "%s:%d: child check failed: %s\n",
                     base ? base + 1 : file, line, expr);
    if (n < 0)
        _exit(100 + line % 100);
    size_t len = (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    if (write(STDERR_FILENO, msg, len) < 0) {
        /* nothing to do: the shared page below is the report's copy */
    }
    child_msg_append(msg, len);
    _exit(100 + line % 100);
}
