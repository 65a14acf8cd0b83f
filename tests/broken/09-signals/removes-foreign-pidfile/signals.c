/* signals.c - BROKEN on purpose: on failure it removes a pid file it did not create */
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
#include <unistd.h>

/* close(2) that keeps errno, for cleanup paths. */
static void close_keep_errno(int fd)
{
    int saved = errno;
    close(fd);
    errno = saved;
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
    int made_sock = 0, handlers = 0, masked = 0;
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
    unlink(pid_path); /* even when it was another service's */
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

fail_action : {
    int err = errno;
    sigaction(sig, &old_action, NULL);
    errno = err;
}
fail_mask : {
    int err = errno;
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    errno = err;
}
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

fail_action : {
    int err = errno;
    /* Discard what is still pending before the old action comes back. */
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigaction(sig, &ign, NULL);
    sigaction(sig, &old_action, NULL);
    errno = err;
}
fail_mask : {
    int err = errno;
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    errno = err;
}
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
            ssize_t n = read(sfd, &si, sizeof si);
            if (n < 0 && errno == EINTR)
                continue;
            if (n != (ssize_t)sizeof si)
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
            ssize_t n = read(in_fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                goto fail;
            if (n == 0)
                break;
            if (write_all(out_fd, buf, (size_t)n) < 0)
                goto fail;
        }
    }
    close(sfd);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    return reported;

fail:
    close_keep_errno(sfd);
fail_mask : {
    int err = errno;
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    errno = err;
}
    return -1;
}
