/* sigsafety.c - wrap handlers and stdio to catch unsafe calls; inject signals at waits.
 */
#include "sigsafety.h"

#include <criterion/criterion.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pid_t test_pid;                    /* the test process (children differ) */
static volatile sig_atomic_t depth;       /* > 0 while a wrapped handler runs */
static volatile sig_atomic_t violations;  /* unsafe calls inside handlers */
static const char *volatile last_unsafe;  /* name of the last one */
static struct sigaction user_act[NSIG];   /* actions as the code under test set them */
static volatile sig_atomic_t inject_q[2]; /* signals to send at the next waits */
static volatile sig_atomic_t injected;
static volatile sig_atomic_t lost_wakeups;

/* Set fn (a function pointer) to libc's name once (POSIX allows the copy). */
#define REAL(fn, name)                                                                   \
    do {                                                                                 \
        if ((fn) == NULL) {                                                              \
            void *sym_ = lookup(name);                                                   \
            memcpy(&(fn), &sym_, sizeof sym_);                                           \
        }                                                                                \
    } while (0)

static void *lookup(const char *name);

__attribute__((constructor)) static void sigsafety_init(void)
{
    test_pid = getpid();
}

/* The libc definition of name, found past this binary's own. */
static void *lookup(const char *name)
{
    void *fn = dlsym(RTLD_NEXT, name);
    if (fn == NULL) {
        static const char msg[] = "sigsafety: dlsym failed\n";
        (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
        _exit(127);
    }
    return fn;
}

void sigsafety_reset(void)
{
    violations = 0;
    last_unsafe = "";
    inject_q[0] = inject_q[1] = 0;
    injected = 0;
    lost_wakeups = 0;
}

int sigsafety_violations(void)
{
    return violations;
}

const char *sigsafety_last(void)
{
    return last_unsafe != NULL ? last_unsafe : "";
}

void sigsafety_inject(int sig1, int sig2)
{
    inject_q[0] = sig1;
    inject_q[1] = sig2;
}

int sigsafety_injected(void)
{
    return injected;
}

int sigsafety_lost_wakeups(void)
{
    return lost_wakeups;
}

/*
 * Record an unsafe call if we are inside a handler (async-signal-safe itself).
 * Returns true if so: the wrapper then skips the real call, which could
 * deadlock on a lock the interrupted code holds, so the test fails fast.
 */
static bool unsafe(const char *name)
{
    if (depth == 0)
        return false;
    char msg[160] = "sigsafety: ";
    strncat(msg, name, 40);
    strncat(msg, "() called inside a signal handler: it is not async-signal-safe\n", 100);
    (void)!write(STDERR_FILENO, msg, strlen(msg));
    if (getpid() != test_pid)
        _exit(SIGSAFETY_EXIT);
    violations++;
    last_unsafe = name;
    return true;
}

/* ---- handler trampoline -------------------------------------------------- */

static void trampoline(int sig, siginfo_t *info, void *ctx)
{
    const struct sigaction *a = &user_act[sig];
    depth++;
    if (a->sa_flags & SA_SIGINFO)
        a->sa_sigaction(sig, info, ctx);
    else if (a->sa_handler != SIG_DFL && a->sa_handler != SIG_IGN)
        a->sa_handler(sig);
    depth--;
}

static bool is_function(const struct sigaction *a)
{
    if (a->sa_flags & SA_SIGINFO)
        return a->sa_sigaction != NULL;
    return a->sa_handler != SIG_DFL && a->sa_handler != SIG_IGN;
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
    REAL(real_sigaction, "sigaction");
    /* Only inside a test (the worker and its children): the Criterion runner
       is multi-threaded and its own handlers must stay untouched. */
    if (sig <= 0 || sig >= NSIG || criterion_current_test == NULL)
        return real_sigaction(sig, act, old);
    sigset_t all, saved;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &saved); /* no handler runs while user_act changes */
    struct sigaction kernel_old, prev_user = user_act[sig];
    int r;
    if (act != NULL && is_function(act)) {
        /* user_act first: a signal arriving as the kernel switches finds it. */
        user_act[sig] = *act;
        struct sigaction t = *act;
        t.sa_flags |= SA_SIGINFO;
        t.sa_sigaction = trampoline;
        r = real_sigaction(sig, &t, &kernel_old);
    } else {
        r = real_sigaction(sig, act, &kernel_old);
        if (r == 0 && act != NULL)
            user_act[sig] = *act;
    }
    int err = errno;
    if (r < 0)
        user_act[sig] = prev_user;
    if (r == 0 && old != NULL)
        *old =
            ((kernel_old.sa_flags & SA_SIGINFO) && kernel_old.sa_sigaction == trampoline)
                ? prev_user
                : kernel_old;
    sigprocmask(SIG_SETMASK, &saved, NULL);
    errno = err;
    return r;
}

sighandler_t signal(int sig, sighandler_t handler)
{
    /* glibc's signal() has BSD semantics: SA_RESTART, handler stays installed. */
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, &old) < 0)
        return SIG_ERR;
    return old.sa_handler;
}

/* ---- stdio and exit: not async-signal-safe ------------------------------- */

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
    static int (*fn)(FILE *, const char *, va_list);
    REAL(fn, "vfprintf");
    if (unsafe("vfprintf"))
        return 0;
    return fn(f, fmt, ap);
}

int vprintf(const char *fmt, va_list ap)
{
    if (unsafe("vprintf"))
        return 0;
    return vfprintf(stdout, fmt, ap);
}

int printf(const char *fmt, ...)
{
    if (unsafe("printf"))
        return 0;
    va_list ap;
    va_start(ap, fmt);
    int r = vfprintf(stdout, fmt, ap);
    va_end(ap);
    return r;
}

int fprintf(FILE *f, const char *fmt, ...)
{
    if (unsafe("fprintf"))
        return 0;
    va_list ap;
    va_start(ap, fmt);
    int r = vfprintf(f, fmt, ap);
    va_end(ap);
    return r;
}

int dprintf(int fd, const char *fmt, ...)
{
    static int (*fn)(int, const char *, va_list);
    REAL(fn, "vdprintf");
    if (unsafe("dprintf"))
        return 0;
    va_list ap;
    va_start(ap, fmt);
    int r = fn(fd, fmt, ap);
    va_end(ap);
    return r;
}

int puts(const char *s)
{
    static int (*fn)(const char *);
    REAL(fn, "puts");
    if (unsafe("puts"))
        return 0;
    return fn(s);
}

int fputs(const char *s, FILE *f)
{
    static int (*fn)(const char *, FILE *);
    REAL(fn, "fputs");
    if (unsafe("fputs"))
        return 0;
    return fn(s, f);
}

int fputc(int c, FILE *f)
{
    static int (*fn)(int, FILE *);
    REAL(fn, "fputc");
    if (unsafe("fputc"))
        return c;
    return fn(c, f);
}

int putc(int c, FILE *f)
{
    static int (*fn)(int, FILE *);
    REAL(fn, "putc");
    if (unsafe("putc"))
        return c;
    return fn(c, f);
}

int putchar(int c)
{
    static int (*fn)(int);
    REAL(fn, "putchar");
    if (unsafe("putchar"))
        return c;
    return fn(c);
}

size_t fwrite(const void *p, size_t size, size_t n, FILE *f)
{
    static size_t (*fn)(const void *, size_t, size_t, FILE *);
    REAL(fn, "fwrite");
    if (unsafe("fwrite"))
        return n;
    return fn(p, size, n, f);
}

int fflush(FILE *f)
{
    static int (*fn)(FILE *);
    REAL(fn, "fflush");
    if (unsafe("fflush"))
        return 0;
    return fn(f);
}

void perror(const char *s)
{
    static void (*fn)(const char *);
    REAL(fn, "perror");
    if (!unsafe("perror"))
        fn(s);
}

void exit(int status)
{
    static void (*fn)(int);
    REAL(fn, "exit");
    (void)unsafe("exit"); /* in a child: exits with SIGSAFETY_EXIT */
    fn(status);
    _exit(status); /* not reached: libc's exit does not return */
}

/* ---- work in a handler: opening files belongs in the main loop ---------- */

/*
 * open(2) itself is async-signal-safe, but a handler that opens (and reads)
 * a file is doing the work the main loop should do at a safe point: a
 * reload there can change the configuration in the middle of a request.
 * Counted like an unsafe call, with its own message.
 */
static bool work_in_handler(const char *name)
{
    if (depth == 0)
        return false;
    char msg[200] = "sigsafety: ";
    strncat(msg, name, 40);
    strncat(msg,
            "() called inside a signal handler: a handler only sets a flag, "
            "the work belongs in the loop\n",
            120);
    (void)!write(STDERR_FILENO, msg, strlen(msg));
    if (getpid() != test_pid)
        _exit(SIGSAFETY_EXIT);
    violations++;
    last_unsafe = name;
    return true;
}

int open(const char *path, int flags, ...)
{
    static int (*fn)(const char *, int, ...);
    REAL(fn, "open");
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    if (work_in_handler("open")) {
        errno = EINTR;
        return -1;
    }
    return fn(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    static int (*fn)(int, const char *, int, ...);
    REAL(fn, "openat");
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    if (work_in_handler("openat")) {
        errno = EINTR;
        return -1;
    }
    return fn(dirfd, path, flags, mode);
}

FILE *fopen(const char *path, const char *mode)
{
    static FILE *(*fn)(const char *, const char *);
    REAL(fn, "fopen");
    if (unsafe("fopen")) { /* malloc inside: not async-signal-safe at all */
        errno = EINTR;
        return NULL;
    }
    return fn(path, mode);
}

/* ---- waits: inject a signal at the moment the code starts to wait -------- */

/* Take the next queued injection (0 if none). */
static int next_injection(void)
{
    for (int i = 0; i < 2; i++) {
        int sig = inject_q[i];
        if (sig != 0) {
            inject_q[i] = 0;
            injected++;
            return sig;
        }
    }
    return 0;
}

/*
 * Make the next injected signal pending without delivering it yet (blocked
 * around kill), so that the atomic wait about to start receives it. The
 * caller restores *saved after the wait. Returns false if nothing to inject.
 */
static bool inject_pending(sigset_t *saved)
{
    int sig = next_injection();
    if (sig == 0)
        return false;
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_BLOCK, &one, saved);
    kill(getpid(), sig);
    return true;
}

int pause(void)
{
    static int (*fn)(void);
    REAL(fn, "pause");
    int sig = next_injection();
    if (sig == 0)
        return fn();
    /* A signal arriving just before the program sleeps: delivered now, under
       the current mask, exactly as in the race. A real pause() would then
       sleep until some other signal comes; we sleep at most 2 s. */
    kill(getpid(), sig);
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    struct timespec bound = {.tv_sec = 2};
    if (ppoll(NULL, 0, &bound, &cur) == 0)
        lost_wakeups++;
    errno = EINTR;
    return -1;
}

int sigsuspend(const sigset_t *mask)
{
    static int (*fn)(const sigset_t *);
    REAL(fn, "sigsuspend");
    sigset_t saved;
    if (!inject_pending(&saved))
        return fn(mask);
    int r = fn(mask);
    int err = errno;
    sigprocmask(SIG_SETMASK, &saved, NULL);
    errno = err;
    return r;
}

int sigwait(const sigset_t *set, int *sig)
{
    static int (*fn)(const sigset_t *, int *);
    REAL(fn, "sigwait");
    sigset_t saved;
    if (!inject_pending(&saved))
        return fn(set, sig);
    int r = fn(set, sig);
    sigprocmask(SIG_SETMASK, &saved, NULL);
    return r;
}

int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
    static int (*fn)(const sigset_t *, siginfo_t *);
    REAL(fn, "sigwaitinfo");
    sigset_t saved;
    if (!inject_pending(&saved))
        return fn(set, info);
    int r = fn(set, info);
    int err = errno;
    sigprocmask(SIG_SETMASK, &saved, NULL);
    errno = err;
    return r;
}

int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
    static int (*fn)(const sigset_t *, siginfo_t *, const struct timespec *);
    REAL(fn, "sigtimedwait");
    sigset_t saved;
    if (!inject_pending(&saved))
        return fn(set, info, timeout);
    int r = fn(set, info, timeout);
    int err = errno;
    sigprocmask(SIG_SETMASK, &saved, NULL);
    errno = err;
    return r;
}

/*
 * poll and ppoll: an event loop's waits. The injected signal is sent just
 * before the real call: with a mask given to ppoll, atomically (blocked
 * around kill, let in by ppoll's mask, as sigsuspend above); otherwise
 * under the current mask, delivered at once if unblocked, exactly as a
 * signal landing between a flag test and poll(). A wait that can see it
 * (ppoll's EINTR, a self-pipe or a signalfd) returns at once; one that
 * cannot sleeps at most 2 s, counts a lost wakeup and fails with EINTR, so
 * the code under test goes on and the test reports the loss.
 */
static int bounded_poll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
                        const sigset_t *sigmask)
{
    static int (*fn)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
    REAL(fn, "ppoll");
    int sig = next_injection();
    if (sig == 0)
        return fn(fds, n, ts, sigmask);
    sigset_t one, saved;
    sigemptyset(&one);
    sigaddset(&one, sig);
    if (sigmask != NULL)
        sigprocmask(SIG_BLOCK, &one, &saved);
    kill(getpid(), sig);
    struct timespec bound = {.tv_sec = 2};
    bool bounded = ts == NULL || ts->tv_sec >= bound.tv_sec;
    int r = fn(fds, n, bounded ? &bound : ts, sigmask);
    int err = errno;
    if (sigmask != NULL)
        sigprocmask(SIG_SETMASK, &saved, NULL);
    if (r == 0 && bounded) {
        lost_wakeups++;
        r = -1;
        err = EINTR;
    }
    errno = err;
    return r;
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    if (inject_q[0] == 0 && inject_q[1] == 0) {
        static int (*fn)(struct pollfd *, nfds_t, int);
        REAL(fn, "poll");
        return fn(fds, n, timeout);
    }
    struct timespec ts = {.tv_sec = timeout / 1000,
                          .tv_nsec = (timeout % 1000) * 1000000L};
    return bounded_poll(fds, n, timeout < 0 ? NULL : &ts, NULL);
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
          const sigset_t *sigmask)
{
    return bounded_poll(fds, n, ts, sigmask);
}
