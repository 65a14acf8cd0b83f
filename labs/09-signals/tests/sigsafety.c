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
static volatile sig_atomic_t inject_skip; /* waits to let pass before the first */
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
    inject_skip = 0;
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

void sigsafety_inject_later(int waits, int sig)
{
    inject_skip = waits;
    inject_q[0] = sig;
    inject_q[1] = 0;
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
 * Record a call (name) made inside a handler, saying why it is wrong there
 * (async-signal-safe itself). Returns true if so: the wrapper then skips the
 * real call, which could deadlock on a lock the interrupted code holds, so
 * the test fails fast. In a child, exits with SIGSAFETY_EXIT instead.
 */
static bool called_in_handler(const char *name, const char *why)
{
    if (depth == 0)
        return false;
    char msg[256] = "sigsafety: ";
    strncat(msg, name, 40);
    strncat(msg, "() called inside a signal handler: ", 40);
    strncat(msg, why, 120);
    strcat(msg, "\n");
    (void)!write(STDERR_FILENO, msg, strlen(msg));
    if (getpid() != test_pid)
        _exit(SIGSAFETY_EXIT);
    violations++;
    last_unsafe = name;
    return true;
}

/* An unsafe call (name) inside a handler: see called_in_handler. */
static bool unsafe(const char *name)
{
    return called_in_handler(name, "it is not async-signal-safe");
}

/* ---- handler trampoline -------------------------------------------------- */

/*
 * A handler installed without SA_SIGINFO is called with sig alone, so that
 * one that reads a siginfo_t anyway (its flags forgot SA_SIGINFO) finds
 * none: x86-64's kernel passes one in any case, and would hide the bug.
 */
static void trampoline(int sig, siginfo_t *info, void *ctx)
{
    const struct sigaction *a = &user_act[sig];
    depth++;
    if (a->sa_flags & SA_SIGINFO) {
        a->sa_sigaction(sig, info, ctx);
    } else if (a->sa_handler != SIG_DFL && a->sa_handler != SIG_IGN) {
        static siginfo_t none; /* zeroes: no sender, no code, no value */
        void (*three)(int, siginfo_t *, void *) =
            (void (*)(int, siginfo_t *, void *))(void (*)(void))a->sa_handler;
        three(sig, &none, NULL);
    }
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
    struct sigaction sa = {.sa_handler = handler, .sa_flags = SA_RESTART}, old;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, &old) < 0)
        return SIG_ERR;
    return old.sa_handler;
}

/* ---- stdio and exit: not async-signal-safe ------------------------------- */

/* The printf family: libc's vfprintf unless called inside a handler (as name). */
static int checked_vfprintf(const char *name, FILE *f, const char *fmt, va_list ap)
{
    static int (*fn)(FILE *, const char *, va_list);
    REAL(fn, "vfprintf");
    if (unsafe(name))
        return 0;
    return fn(f, fmt, ap);
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
    return checked_vfprintf("vfprintf", f, fmt, ap);
}

int vprintf(const char *fmt, va_list ap)
{
    return checked_vfprintf("vprintf", stdout, fmt, ap);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = checked_vfprintf("printf", stdout, fmt, ap);
    va_end(ap);
    return r;
}

int fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = checked_vfprintf("fprintf", f, fmt, ap);
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

/*
 * UNSAFE_OUTSIDE_HANDLERS(type, name, refused, (params), args...) defines
 * libc's name as a wrapper: the real call, except inside a handler, where it
 * records the unsafe call and returns refused (what a successful call would
 * return) without making it.
 */
#define UNSAFE_OUTSIDE_HANDLERS(type, name, refused, params, ...)                        \
    type name params                                                                     \
    {                                                                                    \
        static type(*fn_) params;                                                        \
        REAL(fn_, #name);                                                                \
        if (unsafe(#name))                                                               \
            return refused;                                                              \
        return fn_(__VA_ARGS__);                                                         \
    }

UNSAFE_OUTSIDE_HANDLERS(int, puts, 0, (const char *s), s)
UNSAFE_OUTSIDE_HANDLERS(int, fputs, 0, (const char *s, FILE *f), s, f)
UNSAFE_OUTSIDE_HANDLERS(int, fputc, c, (int c, FILE *f), c, f)
UNSAFE_OUTSIDE_HANDLERS(int, putc, c, (int c, FILE *f), c, f)
UNSAFE_OUTSIDE_HANDLERS(int, putchar, c, (int c), c)
UNSAFE_OUTSIDE_HANDLERS(size_t, fwrite, n,
                        (const void *p, size_t size, size_t n, FILE *f), p, size, n, f)
UNSAFE_OUTSIDE_HANDLERS(int, fflush, 0, (FILE * f), f)

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
    return called_in_handler(name,
                             "a handler only sets a flag, the work belongs in the loop");
}

/* The mode argument open(2) and openat(2) take with O_CREAT or O_TMPFILE (else 0). */
static mode_t creat_mode(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

/* open and openat: libc's openat (what open is too) unless inside a handler. */
static int checked_openat(const char *name, int dirfd, const char *path, int flags,
                          mode_t mode)
{
    static int (*fn)(int, const char *, int, ...);
    REAL(fn, "openat");
    if (work_in_handler(name)) {
        errno = EINTR;
        return -1;
    }
    return fn(dirfd, path, flags, mode);
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = creat_mode(flags, ap);
    va_end(ap);
    return checked_openat("open", AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = creat_mode(flags, ap);
    va_end(ap);
    return checked_openat("openat", dirfd, path, flags, mode);
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

/* Take the next queued injection (0 if none, or if this wait is one to let pass). */
static int next_injection(void)
{
    if (inject_skip > 0 && (inject_q[0] != 0 || inject_q[1] != 0)) {
        inject_skip--;
        return 0;
    }
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

/*
 * INJECTING_WAIT(name, (params), args...) defines libc's name, an atomic
 * wait for a signal, as a wrapper that makes the next injected signal
 * pending (blocked, see inject_pending) just before the real wait starts,
 * then restores the mask, keeping the wait's result and errno.
 */
#define INJECTING_WAIT(name, params, ...)                                                \
    int name params                                                                      \
    {                                                                                    \
        static int(*fn_) params;                                                         \
        REAL(fn_, #name);                                                                \
        sigset_t saved_;                                                                 \
        if (!inject_pending(&saved_))                                                    \
            return fn_(__VA_ARGS__);                                                     \
        int r_ = fn_(__VA_ARGS__);                                                       \
        int err_ = errno;                                                                \
        sigprocmask(SIG_SETMASK, &saved_, NULL);                                         \
        errno = err_;                                                                    \
        return r_;                                                                       \
    }

INJECTING_WAIT(sigsuspend, (const sigset_t *mask), mask)
INJECTING_WAIT(sigwait, (const sigset_t *set, int *sig), set, sig)
INJECTING_WAIT(sigwaitinfo, (const sigset_t *set, siginfo_t *info), set, info)
INJECTING_WAIT(sigtimedwait,
               (const sigset_t *set, siginfo_t *info, const struct timespec *timeout),
               set, info, timeout)

/*
 * poll and ppoll: an event loop's waits. The injected signal is sent just
 * before the real call, under the mask the code under test has then:
 * pending if it blocked the signal (ppoll's mask lets it in), delivered at
 * once if not, exactly as a signal landing between a flag test and the
 * wait. A wait that can see it (ppoll's EINTR, a self-pipe or a signalfd)
 * returns at once; one that cannot (the flag was tested, then set by the
 * handler, and the wait sleeps) sleeps at most 2 s, counts a lost wakeup
 * and fails with EINTR, so the code under test goes on and the test reports
 * the loss.
 */
static int bounded_poll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
                        const sigset_t *sigmask)
{
    static int (*fn)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
    REAL(fn, "ppoll");
    int sig = next_injection();
    if (sig == 0)
        return fn(fds, n, ts, sigmask);
    kill(getpid(), sig);
    struct timespec bound = {.tv_sec = 2};
    bool bounded = ts == NULL || ts->tv_sec >= bound.tv_sec;
    int r = fn(fds, n, bounded ? &bound : ts, sigmask);
    int err = errno;
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
