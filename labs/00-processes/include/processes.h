/* processes.h - lab 00: processes, fork/exec/wait, exit status, zombies. */
#ifndef IPCLAB_PROCESSES_H
#define IPCLAB_PROCESSES_H

#include <stddef.h>
#include <sys/types.h>

/* ===================================================================== */
/*  Functions you implement (src/processes.c)                            */
/* ===================================================================== */

/*
 * fork_isolation - prove that a child works on a copy of its parent's memory.
 *
 * Forks once. The child adds delta to *value (its own copy) and exits with
 * the low 8 bits of the result as its exit status; the parent waits for it.
 * The parent never changes *value: after the call it still holds what it
 * held before, whatever the child did.
 *
 * Returns the child's exit status, that is (*value + delta) & 0xff, which is
 * all a child can tell its parent this way. Returns -1 with errno set if
 * value is NULL (EINVAL), if the child was killed by a signal instead of
 * exiting (ECHILD: it has no exit status), or if fork(2) or waitpid(2) fails
 * (their errno: EAGAIN at the process limit, ECHILD when SIGCHLD is ignored
 * and the kernel reaped the child itself); EINTR is retried.
 */
int fork_isolation(int *value, int delta);

/*
 * run_and_wait - run a program the way a shell does and wait for it.
 *
 * argv[0] is searched in PATH (execvp); argv ends with NULL. If exec fails
 * the child exits with status 127, as shells do. The parent waits for that
 * child only (not for any other child it may have), retrying on EINTR.
 * Like a shell, it leaves signals alone: the program starts with the
 * caller's signal mask and ignored signals (exec keeps both), and the caller
 * has the same mask and dispositions after the call as before.
 *
 * Returns the raw wait status (decode it with WIFEXITED and friends), or -1
 * with errno set: EINVAL if argv or argv[0] is NULL, otherwise the errno of
 * fork(2) or waitpid(2) (ECHILD when SIGCHLD is ignored: the kernel reaped
 * the child itself and there is no status to return).
 */
int run_and_wait(char *const argv[]);

/*
 * describe_status - write a wait status in words into buf.
 *
 * The forms are exactly:
 *   "exited with status N"
 *   "killed by signal N (NAME)"                      NAME from strsignal(3)
 *   "killed by signal N (NAME), core dumped"
 *   "stopped by signal N (NAME)"
 *   "continued"
 *
 * Returns the length written (without the NUL), or -1 with errno set:
 * EINVAL if buf is NULL or the status matches none of the forms, ERANGE if
 * the text (with its NUL) does not fit in len bytes (buf is then untouched).
 */
int describe_status(int status, char *buf, size_t len);

/*
 * reap_finished - collect every child that has already terminated.
 *
 * Never blocks: children still running are left alone. Each reaped child's
 * pid and wait status are stored in pids[i] and statuses[i] while i < max;
 * children past max are still reaped (no zombie is left) but not recorded.
 * Having no children at all is not an error.
 *
 * Returns the number of children reaped (possibly more than max), or -1 with
 * errno set if waitpid(2) fails for a reason other than ECHILD.
 */
int reap_finished(pid_t *pids, int *statuses, size_t max);

/*
 * parallel_sum - add n numbers with `workers` child processes.
 *
 * The values are split into `workers` contiguous slices (some may be empty);
 * each child sums its slice. A child cannot write into its parent's memory,
 * and its exit status holds 8 bits only, so each child sends its partial sum
 * back through a pipe (one long, written with a single write). The parent
 * adds the partial sums into *result. A partial sum may arrive in pieces (a
 * read returns what is there), so the parent reads until it has the whole
 * long; a read or waitpid interrupted by a signal (EINTR) is retried.
 *
 * Every child is reaped, every pipe end closed and every block it
 * allocated freed before returning, on success and on failure (the tests
 * count the blocks your code holds). Returns 0, or -1 with errno set: EINVAL if workers
 * is 0, result is NULL, or values is NULL while n > 0; EIO if a child died or
 * its pipe ended before a whole long; otherwise the errno of pipe(2)/fork(2).
 */
int parallel_sum(const long *values, size_t n, unsigned workers, long *result);

#endif /* IPCLAB_PROCESSES_H */
