/* sigsafety.h - test-side checks on signal handlers: unsafe calls and lost wakeups. */
#ifndef IPCLAB_SIGSAFETY_H
#define IPCLAB_SIGSAFETY_H

/*
 * How it works. This file's sigaction(2) and signal(3) replace libc's in the
 * test binary (the program's own definitions win over the shared library's,
 * also for calls made from the student's code). Every handler installed is
 * wrapped in a trampoline that marks "inside a handler" while it runs.
 * The stdio functions (printf, puts, fwrite, fopen, ...), exit and perror
 * are wrapped too, and open/openat (safe, but a handler that opens files is
 * doing the main loop's work): called inside a handler, they count as a violation and the
 * real call is skipped (it could deadlock on a lock the interrupted code
 * holds, turning a clear failure into a timeout). In the test process the
 * count is read with sigsafety_violations(); in a forked child the
 * violation is reported on stderr and the child exits with SIGSAFETY_EXIT,
 * so the test sees it in the exit status. Handlers are wrapped only while a
 * test runs (criterion_current_test is set): the Criterion runner's own
 * handlers are left alone.
 *
 * What this cannot catch: calls it does not wrap (malloc, locks inside
 * other libraries), handler code paths the tests do not run, handlers
 * installed by raw syscalls, and fortified calls (__printf_chk).
 */

#define SIGSAFETY_EXIT 86 /* exit status of a child whose handler made an unsafe call */

void sigsafety_reset(void);       /* forget violations, injections and lost wakeups */
int sigsafety_violations(void);   /* unsafe calls made inside handlers (this process) */
const char *sigsafety_last(void); /* name of the last unsafe function, or "" */

/*
 * sigsafety_inject - deliver sig1 (then sig2, if not 0) at the moment the
 * code under test starts to wait: the next call to pause, sigsuspend, sigwait,
 * sigwaitinfo, sigtimedwait, poll or ppoll first sends one to the calling
 * process. A signal landing there is exactly the one a racy check-then-pause
 * (or check-then-poll) misses: pause() and poll() then wait at most 2 s and
 * count a lost wakeup.
 */
void sigsafety_inject(int sig1, int sig2);
/* sigsafety_inject_later - the same for sig alone, at the wait after the next `waits`
 * ones (a loop's later sleep, after it has served something). */
void sigsafety_inject_later(int waits, int sig);
int sigsafety_injected(void);     /* injections done since the last reset */
int sigsafety_lost_wakeups(void); /* pause() calls that slept through an injection */

#endif /* IPCLAB_SIGSAFETY_H */
