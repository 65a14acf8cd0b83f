/* signals.h - lab 09: handlers, graceful shutdown, reaping, race-free waits, signalfd. */
#ifndef IPCLAB_SIGNALS_H
#define IPCLAB_SIGNALS_H

#include <signal.h>
#include <sys/types.h>

#define TALLY_MAX 32 /* most signals tally_signals sends, and values it records */

/* What tally_signals saw: one entry per delivery of the signal. */
struct tally {
    int deliveries;        /* times the handler ran */
    int values[TALLY_MAX]; /* si_value.sival_int of each delivery, in order */
    pid_t last_pid;        /* si_pid of the last delivery (the sender) */
    int last_code;         /* si_code of the last delivery (SI_QUEUE after sigqueue) */
};

/* ===================================================================== */
/*  Functions you implement (src/signals.c)                              */
/* ===================================================================== */

/*
 * sig_install - install fn as the handler of sig with sigaction(2).
 *
 * Unlike signal(3), every choice is explicit: sa_flags is exactly `flags`
 * (pass SA_RESTART to have interrupted system calls resumed; without it a
 * blocking call that a handled signal interrupts fails with EINTR), and
 * sa_mask is empty (the signal itself is still blocked while its handler
 * runs, unless flags has SA_NODEFER). fn may be SIG_DFL or SIG_IGN.
 * If old is not NULL it receives the previous action.
 *
 * Returns 0, or -1 with errno set: EINVAL if flags contains SA_SIGINFO (fn
 * takes one argument), or if sigaction refuses sig (0, NSIG or more, and
 * SIGKILL and SIGSTOP, whose action can never be changed).
 */
int sig_install(int sig, void (*fn)(int), int flags, struct sigaction *old);

/*
 * run_service - a small daemon that shuts down gracefully on SIGTERM/SIGINT.
 *
 * Creates in dir: "service.pid" (its pid in decimal, then '\n') and a
 * listening Unix stream socket "service.sock". Then writes one byte to
 * ready_fd (which stays the caller's) and waits until SIGTERM or SIGINT
 * arrives. Then it removes both files, closes everything it opened,
 * restores the signal mask and the handlers it changed, and returns 0.
 *
 * No signal is ever lost: SIGTERM may already be pending (blocked by the
 * caller) when run_service starts, or arrive at any moment later. The
 * handlers only set a volatile sig_atomic_t flag; all the work is done in
 * normal code. Returns 0 after a clean shutdown, or -1 with errno set if
 * something could not be created (what was created is removed first).
 */
int run_service(const char *dir, int ready_fd);

/*
 * reaper_install - reap every child the moment it ends, from a SIGCHLD handler.
 *
 * Installs a SIGCHLD handler with SA_RESTART (system calls the handler
 * interrupts go on) and SA_NOCLDSTOP (stopped children are not reported).
 * The handler calls waitpid(-1, &status, WNOHANG) in a loop until it
 * returns 0 or -1, because several children that end together raise
 * SIGCHLD only once; it counts each reaped child, and saves and restores
 * errno (the code it interrupted may be about to read it).
 * Returns 0, or -1 with errno set by sigaction.
 */
int reaper_install(void);

/* reaper_count - children reaped by the handler since reaper_install. */
long reaper_count(void);

/* reaper_uninstall - put back the SIGCHLD action reaper_install replaced. 0 or -1. */
int reaper_uninstall(void);

/*
 * wait_signal - wait, without a race, until sig has been delivered.
 *
 * sig may already be pending when wait_signal is called (the caller had it
 * blocked), or arrive at any time later: it is never missed. Blocks sig
 * with sigprocmask, installs a handler that sets a volatile sig_atomic_t
 * flag, then, if ready_fd >= 0, writes one byte to it (a peer may send sig
 * from then on), and waits in sigsuspend(2) with a mask that lets sig in,
 * until the flag is set: other handled signals that wake sigsuspend do not
 * end the wait. Finally restores the previous action of sig and the
 * previous signal mask.
 *
 * Returns 0, or -1 with errno set: EINVAL if sig cannot be caught (SIGKILL,
 * SIGSTOP, or not a valid signal number); otherwise the errno of
 * sigaction/sigprocmask/write.
 */
int wait_signal(int sig, int ready_fd);

/*
 * tally_signals - show standard signals coalescing and real-time signals queueing.
 *
 * Zeroes *t, installs an SA_SIGINFO handler for sig that records each
 * delivery in *t, blocks sig, sends it n times to the calling process with
 * sigqueue(2) (values 1, 2, ..., n), then unblocks it: every instance the
 * kernel kept is delivered then. A standard signal is pending at most
 * once (later copies are dropped); real-time signals (SIGRTMIN..SIGRTMAX)
 * queue, each with its value, in order. Restores the previous action and
 * mask before returning.
 *
 * Returns t->deliveries, or -1 with errno set: EINVAL if t is NULL, n is
 * not in 1..TALLY_MAX, or sig cannot be caught; EAGAIN from sigqueue if
 * the limit on queued signals (RLIMIT_SIGPENDING) is reached.
 */
int tally_signals(int sig, int n, struct tally *t);

/*
 * signal_loop - one poll(2) loop for data and signals, through a signalfd.
 *
 * Blocks SIGUSR1, SIGUSR2 and SIGTERM (sigprocmask) and reads them from a
 * signalfd(2) (a self-pipe fed by handlers works too), polling it together
 * with in_fd. Everything read from in_fd is written to out_fd unchanged.
 * Each SIGUSR1 or SIGUSR2 writes the line "USR1 <v>\n" or "USR2 <v>\n"
 * to out_fd, where v is the value sent with sigqueue (ssi_int; 0 after
 * kill). The loop ends on SIGTERM or at end of file on in_fd; it then
 * closes the signalfd, restores the previous mask, and returns how many
 * USR1/USR2 lines it wrote. in_fd and out_fd stay the caller's.
 *
 * Returns that count, or -1 with errno set if signalfd, poll, read or
 * write fails (EINTR retried).
 */
int signal_loop(int in_fd, int out_fd);

#endif /* IPCLAB_SIGNALS_H */
