/* signals.c - lab 09 reference solution: handlers, shutdown, reaping, waits, signalfd. */
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* close(2) that keeps errno, for cleanup paths. */
static void close_keep_errno(int fd)
{
    int saved = errno;
    close(fd);
    errno = saved;
}

/* sigprocmask(SIG_SETMASK, mask) that keeps errno, for cleanup paths. */
static void set_mask_keep_errno(const sigset_t *mask)
{
    int saved = errno;
    sigprocmask(SIG_SETMASK, mask, NULL);
    errno = saved;
}

/* sigaction(sig, act) that keeps errno, for cleanup paths. */
static void set_action_keep_errno(int sig, const struct sigaction *act)
{
    int saved = errno;
    sigaction(sig, act, NULL);
    errno = saved;
}

/* read(2), retrying on EINTR. */
static ssize_t read_retry(int fd, void *buf, size_t len)
{
    ssize_t n;
    do
        n = read(fd, buf, len);
    while (n < 0 && errno == EINTR);
    return n;
}

/* Write one byte, retrying on EINTR. */
static int write_byte(int fd, char c)
{
    ssize_t w;
    do
        w = write(fd, &c, 1);
    while (w < 0 && errno == EINTR);
    return w == 1 ? 0 : -1;
}

/* ---- sig_install --------------------------------------------------------- */

int sig_install(int sig, void (*fn)(int), int flags, struct sigaction *old)
{
    if (flags & SA_SIGINFO) {
        errno = EINVAL;
        return -1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, old);
}

/* ---- run_service --------------------------------------------------------- */

static volatile sig_atomic_t stop_requested; /* set by on_stop, read by run_service */

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1; /* the only thing a handler needs to do */
}

int run_service(const char *dir, int ready_fd)
{
    char pid_path[256], sock_path[sizeof((struct sockaddr_un *)0)->sun_path];
    int pid_fd = -1, sock = -1, err;
    int made_pid = 0, made_sock = 0, handlers = 0, masked = 0;
    struct sigaction old_term, old_int;
    sigset_t stop_set, old_mask;

    if (snprintf(pid_path, sizeof pid_path, "%s/service.pid", dir) >=
            (int)sizeof pid_path ||
        snprintf(sock_path, sizeof sock_path, "%s/service.sock", dir) >=
            (int)sizeof sock_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    /* Block first: a SIGTERM from now on waits (pending) until sigsuspend. */
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    if (sigprocmask(SIG_BLOCK, &stop_set, &old_mask) < 0)
        return -1;
    masked = 1;
    stop_requested = 0;
    if (sig_install(SIGTERM, on_stop, 0, &old_term) < 0)
        goto fail;
    if (sig_install(SIGINT, on_stop, 0, &old_int) < 0) {
        sigaction(SIGTERM, &old_term, NULL);
        goto fail;
    }
    handlers = 1;

    pid_fd = open(pid_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (pid_fd < 0)
        goto fail;
    made_pid = 1;
    if (dprintf(pid_fd, "%ld\n", (long)getpid()) < 0)
        goto fail;
    if (close(pid_fd) < 0) {
        pid_fd = -1;
        goto fail;
    }
    pid_fd = -1;

    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        goto fail;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    memcpy(addr.sun_path, sock_path, strlen(sock_path) + 1);
    if (bind(sock, (struct sockaddr *)&addr, sizeof addr) < 0)
        goto fail;
    made_sock = 1;
    if (listen(sock, 8) < 0)
        goto fail;

    if (write_byte(ready_fd, 'R') < 0)
        goto fail;

    /* Wait with SIGTERM/SIGINT unblocked only inside sigsuspend: no lost wakeup. */
    sigset_t wait_mask = old_mask;
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);
    while (!stop_requested)
        sigsuspend(&wait_mask);

    /* Graceful part: undo everything, in reverse order. */
    close(sock);
    unlink(sock_path);
    unlink(pid_path);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGINT, &old_int, NULL);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    return 0;

fail:
    err = errno;
    if (sock >= 0)
        close(sock);
    if (made_sock)
        unlink(sock_path);
    if (pid_fd >= 0)
        close(pid_fd);
    if (made_pid)
        unlink(pid_path);
    if (handlers) {
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGINT, &old_int, NULL);
    }
    if (masked)
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
    errno = err;
    return -1;
}

/* ---- reaper -------------------------------------------------------------- */

static volatile sig_atomic_t reaped; /* children reaped by on_sigchld */
static struct sigaction reaper_old;  /* SIGCHLD action before reaper_install */

static void on_sigchld(int sig)
{
    (void)sig;
    int saved = errno; /* waitpid's ECHILD must not leak into interrupted code */
    /* One SIGCHLD may stand for many children: reap until none is left. */
    while (waitpid(-1, NULL, WNOHANG) > 0)
        reaped++;
    errno = saved;
}

int reaper_install(void)
{
    reaped = 0;
    return sig_install(SIGCHLD, on_sigchld, SA_RESTART | SA_NOCLDSTOP, &reaper_old);
}

long reaper_count(void)
{
    return reaped;
}

int reaper_uninstall(void)
{
    return sigaction(SIGCHLD, &reaper_old, NULL);
}

/* ---- wait_signal --------------------------------------------------------- */

static volatile sig_atomic_t got_signal; /* set by on_wanted */

static void on_wanted(int sig)
{
    (void)sig;
    got_signal = 1;
}

int wait_signal(int sig, int ready_fd)
{
    if (sig <= 0 || sig >= NSIG || sig == SIGKILL || sig == SIGSTOP) {
        errno = EINVAL;
        return -1;
    }
    sigset_t block, old_mask;
    sigemptyset(&block);
    sigaddset(&block, sig);
    if (sigprocmask(SIG_BLOCK, &block, &old_mask) < 0)
        return -1;
    struct sigaction old_action;
    got_signal = 0;
    if (sig_install(sig, on_wanted, 0, &old_action) < 0)
        goto fail_mask;
    if (ready_fd >= 0 && write_byte(ready_fd, 'W') < 0)
        goto fail_action;
    sigset_t wait_mask = old_mask;
    sigdelset(&wait_mask, sig);
    while (!got_signal)
        sigsuspend(&wait_mask); /* atomically: unblock sig and sleep */
    sigaction(sig, &old_action, NULL);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    return 0;

fail_action:
    set_action_keep_errno(sig, &old_action);
fail_mask:
    set_mask_keep_errno(&old_mask);
    return -1;
}

/* ---- tally_signals ------------------------------------------------------- */

static struct tally *tally_out; /* where on_tally records; set before unblocking */

static void on_tally(int sig, siginfo_t *info, void *ctx)
{
    (void)sig;
    (void)ctx;
    struct tally *t = tally_out;
    if (t->deliveries < TALLY_MAX)
        t->values[t->deliveries] = info->si_value.sival_int;
    t->deliveries++;
    t->last_pid = info->si_pid;
    t->last_code = info->si_code;
}

int tally_signals(int sig, int n, struct tally *t)
{
    if (t == NULL || n < 1 || n > TALLY_MAX || sig <= 0 || sig >= NSIG ||
        sig == SIGKILL || sig == SIGSTOP) {
        errno = EINVAL;
        return -1;
    }
    memset(t, 0, sizeof *t);
    tally_out = t;
    sigset_t block, old_mask;
    sigemptyset(&block);
    sigaddset(&block, sig);
    if (sigprocmask(SIG_BLOCK, &block, &old_mask) < 0)
        return -1;
    struct sigaction sa, old_action;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_tally;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, &old_action) < 0)
        goto fail_mask;
    /* While sig is blocked, each send only adds to what is pending. */
    for (int i = 1; i <= n; i++) {
        union sigval v = {.sival_int = i};
        if (sigqueue(getpid(), sig, v) < 0)
            goto fail_action;
    }
    /* Unblocking delivers everything pending before sigprocmask returns. */
    sigset_t unblock = old_mask;
    sigdelset(&unblock, sig);
    if (sigprocmask(SIG_SETMASK, &unblock, NULL) < 0)
        goto fail_action;
    sigaction(sig, &old_action, NULL);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    return t->deliveries;

fail_action:
    /* Discard what is still pending before the old action comes back. */
    set_action_keep_errno(sig, &(struct sigaction){.sa_handler = SIG_IGN});
    set_action_keep_errno(sig, &old_action);
fail_mask:
    set_mask_keep_errno(&old_mask);
    return -1;
}

/* ---- signal_loop --------------------------------------------------------- */

/* Write all of buf to fd, retrying on EINTR and short writes. */
static int write_all(int fd, const void *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, (const char *)buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        off += (size_t)w;
    }
    return 0;
}

int signal_loop(int in_fd, int out_fd)
{
    sigset_t set, old_mask;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGTERM);
    /* Blocked signals are not delivered to handlers: they wait for the signalfd. */
    if (sigprocmask(SIG_BLOCK, &set, &old_mask) < 0)
        return -1;
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0)
        goto fail_mask;
    int reported = 0;
    for (;;) {
        struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN},
                                {.fd = in_fd, .events = POLLIN}};
        int r = poll(pfd, 2, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            goto fail;
        if (pfd[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read_retry(sfd, &si, sizeof si) != (ssize_t)sizeof si)
                goto fail;
            if (si.ssi_signo == SIGTERM)
                break;
            char line[64];
            int len = snprintf(line, sizeof line, "%s %d\n",
                               si.ssi_signo == SIGUSR1 ? "USR1" : "USR2", si.ssi_int);
            if (write_all(out_fd, line, (size_t)len) < 0)
                goto fail;
            reported++;
            continue; /* signals first: they are already sequenced before any data */
        }
        if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[4096];
            ssize_t n = read_retry(in_fd, buf, sizeof buf);
            if (n == 0)
                break; /* end of file: the data is all passed on */
            if (n < 0 || write_all(out_fd, buf, (size_t)n) < 0)
                goto fail;
        }
    }
    close(sfd);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    return reported;

fail:
    close_keep_errno(sfd);
fail_mask:
    set_mask_keep_errno(&old_mask);
    return -1;
}

/* ---- reload_service ------------------------------------------------------ */

static volatile sig_atomic_t reload_requested; /* set by on_hup */
static volatile sig_atomic_t term_requested;   /* set by on_term */

static void on_hup(int sig)
{
    (void)sig;
    reload_requested = 1; /* the reload itself happens in the loop */
}

static void on_term(int sig)
{
    (void)sig;
    term_requested = 1;
}

/*
 * Load the first line of path into text (CONFIG_MAX bytes). Returns 0, or
 * -1 with errno set (EINVAL: empty or too long), leaving text untouched, so
 * a failed reload keeps the configuration in effect.
 */
static int load_config(const char *path, char *text)
{
    char buf[CONFIG_MAX];
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while (got < sizeof buf) {
        ssize_t n = read_retry(fd, buf + got, sizeof buf - got);
        if (n < 0) {
            close_keep_errno(fd);
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    const char *nl = memchr(buf, '\n', got);
    size_t len = nl != NULL ? (size_t)(nl - buf) : got;
    if (len == 0 || len > CONFIG_MAX - 1) { /* got == CONFIG_MAX without '\n' */
        errno = EINVAL;
        return -1;
    }
    memcpy(text, buf, len);
    text[len] = '\0';
    return 0;
}

/* Write "<prefix><text>\n" to fd in one piece. */
static int write_line(int fd, const char *prefix, const char *text)
{
    char line[CONFIG_MAX + 16];
    int len = snprintf(line, sizeof line, "%s%s\n", prefix, text);
    return write_all(fd, line, (size_t)len);
}

/* $begin reload_service */
int reload_service(const char *path, int in_fd, int out_fd)
{
    char text[CONFIG_MAX];
    if (load_config(path, text) < 0)
        return -1;

    /* Blocked, SIGHUP and SIGTERM can only be pending: they are let in only
       inside ppoll, so a flag never changes between its test and the sleep. */
    sigset_t both, old_mask;
    sigemptyset(&both);
    sigaddset(&both, SIGHUP);
    sigaddset(&both, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &both, &old_mask) < 0)
        return -1;
    struct sigaction old_hup, old_term;
    int have_hup = 0, have_term = 0, reloads = 0;
    reload_requested = term_requested = 0;
    if (sig_install(SIGHUP, on_hup, 0, &old_hup) < 0)
        goto fail;
    have_hup = 1;
    if (sig_install(SIGTERM, on_term, 0, &old_term) < 0)
        goto fail;
    have_term = 1;
    if (write_line(out_fd, "ready ", text) < 0)
        goto fail;

    sigset_t wait_mask = old_mask;
    sigdelset(&wait_mask, SIGHUP);
    sigdelset(&wait_mask, SIGTERM);
    while (!term_requested) {
        if (reload_requested) { /* the safe point: no request is half answered */
            reload_requested = 0;
            int ok = load_config(path, text) == 0;
            reloads += ok;
            if ((ok ? write_line(out_fd, "reload ", text)
                    : write_all(out_fd, "reload failed\n", 14)) < 0)
                goto fail;
            continue;
        }
        struct pollfd pfd = {.fd = in_fd, .events = POLLIN};
        if (ppoll(&pfd, 1, NULL, &wait_mask) < 0) {
            if (errno == EINTR)
                continue; /* a handler ran: look at the flags */
            goto fail;
        }
        char req[256];
        ssize_t n = read_retry(in_fd, req, sizeof req);
        if (n < 0)
            goto fail;
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            if (write_line(out_fd, "", text) < 0)
                goto fail;
        /* ppoll lets a pending signal in only when no fd is ready: while
           requests keep coming, open the mask for a moment at this safe point. */
        if (sigprocmask(SIG_SETMASK, &wait_mask, NULL) < 0 ||
            sigprocmask(SIG_BLOCK, &both, NULL) < 0)
            goto fail;
    }
    /* Mask first: a signal still pending goes to our handlers, not to the
       previous action (SIGTERM's default would kill the caller). */
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return reloads;

fail:
    set_mask_keep_errno(&old_mask);
    if (have_hup)
        set_action_keep_errno(SIGHUP, &old_hup);
    if (have_term)
        set_action_keep_errno(SIGTERM, &old_term);
    return -1;
}
/* $end reload_service */

/* ---- take_signals -------------------------------------------------------- */

/* $begin take_signals */
int take_signals(const sigset_t *set, int ready_fd, int timeout_ms, struct sigrecord *out,
                 int max)
{
    if (set == NULL || out == NULL || max < 1 || sigismember(set, SIGKILL) == 1 ||
        sigismember(set, SIGSTOP) == 1) {
        errno = EINVAL;
        return -1;
    }
    /* Blocked, they stay pending until sigwaitinfo takes them: no handler runs. */
    sigset_t old_mask;
    if (sigprocmask(SIG_BLOCK, set, &old_mask) < 0)
        return -1;
    if (ready_fd >= 0 && write_byte(ready_fd, 'T') < 0)
        goto fail;
    struct timespec limit = {.tv_sec = timeout_ms / 1000,
                             .tv_nsec = (long)(timeout_ms % 1000) * 1000000};
    int taken = 0;
    while (taken < max) {
        siginfo_t info;
        int sig =
            timeout_ms < 0 ? sigwaitinfo(set, &info) : sigtimedwait(set, &info, &limit);
        if (sig < 0 && errno == EINTR)
            continue; /* a handler of another signal ran: wait on */
        if (sig < 0 && errno == EAGAIN && taken > 0)
            break; /* time is up: return what came */
        if (sig < 0)
            goto fail;
        out[taken].signo = info.si_signo;
        out[taken].code = info.si_code;
        out[taken].pid = info.si_pid;
        out[taken].value = info.si_value.sival_int;
        taken++;
    }
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    return taken;

fail:
    set_mask_keep_errno(&old_mask);
    return -1;
}
/* $end take_signals */
