/* signals.h - lab 09: handlers, graceful shutdown, reaping, race-free waits, signalfd. */
#ifndef IPCLAB_SIGNALS_H
#define IPCLAB_SIGNALS_H

#include <signal.h>
#include <sys/types.h>

#define TALLY_MAX  32 /* most signals tally_signals sends, and values it records */
#define CONFIG_MAX 64 /* longest configuration line of reload_service, with its NUL */

/* What tally_signals saw: one entry per delivery of the signal. */
struct tally {
    int deliveries;        /* times the handler ran */
    int values[TALLY_MAX]; /* si_value.sival_int of each delivery, in order */
    pid_t last_pid;        /* si_pid of the last delivery (the sender) */
    int last_code;         /* si_code of the last delivery (SI_QUEUE after sigqueue) */
};

/* What take_signals records of one signal it took (from its siginfo_t). */
struct sigrecord {
    int signo; /* si_signo */
    int code;  /* si_code: SI_USER after kill, SI_QUEUE after sigqueue, ... */
    pid_t pid; /* si_pid: the sender */
    int value; /* si_value.sival_int (what sigqueue sent; 0 after kill) */
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
 * ready_fd (which stays the caller's; EINTR retried) and waits until SIGTERM or SIGINT
 * arrives. Then it removes both files, closes everything it opened,
 * restores the signal mask and the handlers it changed, and returns 0.
 *
 * No signal is ever lost: SIGTERM may already be pending (blocked by the
 * caller) when run_service starts, or arrive at any moment later. The
 * handlers only set a volatile sig_atomic_t flag; all the work is done in
 * normal code. Returns 0 after a clean shutdown, or -1 with errno set if
 * something could not be created or the ready byte could not be written
 * (what was created is removed, what was opened closed, and the actions and
 * the mask restored first). "DIR/service.sock" must fit in sun_path (107
 * bytes and the NUL): a longer one fails with ENAMETOOLONG.
 *
 * Like every function of this lab, it adds signals to the caller's mask
 * (SIG_BLOCK) and never lets in one the caller blocked: such a signal stays
 * pending until the caller unblocks it. Any free descriptor may be the one
 * open(2) or socket(2) returns, 0 too (a daemon often runs with its stdin
 * closed).
 */
int run_service(const char *dir, int ready_fd);

/*
 * reaper_install - reap every child the moment it ends, from a SIGCHLD handler.
 *
 * Installs a SIGCHLD handler with sa_flags SA_RESTART (system calls the
 * handler interrupts go on) and SA_NOCLDSTOP (stopped children are not
 * reported).
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
 * end the wait. A write of the byte that a signal interrupts (EINTR) is
 * written again. sig is added to the caller's mask (SIG_BLOCK): a signal the
 * caller blocked stays blocked, and pending, throughout. Finally restores
 * the previous action of sig and the previous signal mask, on success and
 * on failure (a failed write too).
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
 * with in_fd. Everything read from in_fd is written to out_fd unchanged
 * (out_fd may be a stream socket: a write that moves fewer bytes is
 * continued with the rest).
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

/*
 * reload_service - a service that re-reads its configuration file on SIGHUP.
 *
 * The configuration is the first line of the file at path, without its
 * '\n' (a last line without one counts too): the text the service answers
 * with, 1 to CONFIG_MAX - 1 bytes. reload_service loads it, catches SIGHUP
 * and SIGTERM with handlers that only set volatile sig_atomic_t flags,
 * writes "ready <text>\n" to out_fd, and serves until SIGTERM arrives or
 * in_fd reaches end of file:
 *   - every byte read from in_fd is a request: answer "<text>\n" on out_fd
 *     (out_fd may be a stream socket: every line is written in full, a
 *     write that moves fewer bytes is continued with the rest);
 *   - after a SIGHUP, at a safe point of the loop (never in the handler),
 *     re-read path. If it loads, the new text answers every later request
 *     and "reload <text>\n" is written; if it does not (missing, empty
 *     first line, too long), the old text stays and "reload failed\n" is
 *     written. SIGHUPs that arrive before the loop gets to the first may
 *     count as one reload.
 * The loop waits in poll(2) or ppoll(2) and never misses a signal, whatever
 * the caller's mask: SIGHUP or SIGTERM may already be pending (the caller
 * blocked them) when it starts, or arrive at any moment, also just before
 * the loop goes to sleep (keep them blocked outside ppoll, or have poll
 * watch a self-pipe or a signalfd). A stream of requests never holds a
 * signal off: one that arrives while requests keep coming is acted on all
 * the same (ppoll that finds in_fd ready returns without letting a blocked
 * signal in: let them in for a moment at a safe point of the loop).
 *
 * When it stops, the previous actions of SIGHUP and SIGTERM and the
 * previous mask are back and every fd it opened is closed; in_fd and out_fd
 * stay the caller's. Every SIGHUP and SIGTERM sent while it runs is the
 * service's: none is left pending for the previous action (let them in to
 * your handlers before you restore the actions: SIGTERM's default action
 * would kill the caller). Returns the number of reloads that loaded, or -1 with
 * errno set: if the first load fails (the errno of open/read, or EINVAL if
 * the first line is empty or longer than CONFIG_MAX - 1 bytes), nothing is
 * written and nothing changed; otherwise the errno of the poll, read or
 * write that failed (EINTR retried).
 */
int reload_service(const char *path, int in_fd, int out_fd);

/*
 * take_signals - receive signals synchronously, with no handler at all.
 *
 * Blocks the signals of *set (sigprocmask), so that they can only be
 * pending, writes one byte to ready_fd if it is >= 0 (a peer may send from
 * then on; EINTR retried), then takes them one at a time with sigwaitinfo(2) (timeout_ms
 * < 0) or sigtimedwait(2) (timeout_ms >= 0: wait at most that long for
 * each), recording each in out[0], out[1], ... in the order taken. A signal
 * taken so is never delivered to a handler: no handler runs, and no action
 * changes. Stops when max signals are taken or, with a timeout, when none
 * came in time (sigtimedwait fails with EAGAIN). A handled signal outside
 * *set that interrupts the wait (EINTR) does not stop it. Restores the
 * previous mask before returning, on success and on failure (signals of
 * *set not taken by then are the caller's: pending, or delivered at once if
 * the previous mask lets them in).
 *
 * Returns the number of signals taken (1..max), or -1 with errno set:
 * EAGAIN if the timeout passed before any signal came; EINVAL if set or
 * out is NULL, max < 1, or *set holds SIGKILL or SIGSTOP (they can be
 * neither blocked nor waited for); otherwise the errno of sigprocmask,
 * write or the wait.
 */
int take_signals(const sigset_t *set, int ready_fd, int timeout_ms, struct sigrecord *out,
                 int max);

#endif /* IPCLAB_SIGNALS_H */
