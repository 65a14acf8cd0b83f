/* hang.h - explains, from /proc, where the processes of a hung test are blocked. */
#ifndef IPCLAB_HANG_H
#define IPCLAB_HANG_H

#include <stddef.h>
#include <sys/types.h>

/*
 * hang_process_tree - collect root and every descendant of root.
 *
 * Walks /proc (each process's parent pid) and stores at most max pids in
 * pids[], root first. Returns the number stored (0 if root does not exist).
 */
size_t hang_process_tree(pid_t root, pid_t *pids, size_t max);

/*
 * hang_explain - say why the processes pids[0..n) are stuck, before anyone
 * kills them. Reads /proc only; never signals, ptraces or changes them.
 *
 * For every process: pid, command, state, the system call it sleeps in
 * (/proc/PID/syscall, decoded: which fd, which futex or SysV object), wchan,
 * what each of its fds is (pipe:[N] read or write end, socket:[N], a FIFO
 * path, /dev/shm or mqueue objects), and for the object it waits on, which
 * processes hold the other end and through which fd.
 *
 * If details is not NULL, *details receives that report as text (malloc'd,
 * several lines, caller frees). Returns one plain sentence (malloc'd, caller
 * frees) naming the most likely cause where a known pattern matches, e.g.
 *   "the reader (pid 12) waits in read() on pipe:[4711], but the write end
 *    is still open in its own process (fd 4): close it before reading"
 * and a factual sentence otherwise ("pid 12 waits in read() on
 * pipe:[4711]"). Returns NULL only if memory runs out.
 *
 * Known patterns: a reader whose write end is still open (own process,
 * parent, sibling, another thread; stdin held by the runner), a writer kept
 * alive by its own read end, a two-pipe write/write or read/read deadlock,
 * a FIFO open() with no peer, a semaphore nobody can post (POSIX named,
 * SysV, or a sem_t in private memory after fork), msgrcv() on an empty
 * queue, accept() with no client, a unix socket whose peer end is still
 * open, waitpid() for a child that is itself stuck, pthread_join(), pause().
 * A holder counts as "cannot act" only if every thread of it waits on
 * another process (not in poll(), select(), epoll or a sleep).
 *
 * Pass the pids of the test: hang_process_tree(worker) for a Criterion
 * worker, or the tree of the sandbox's pid 1 so that orphans reparented to
 * it are included. Call it while the processes are still there (before any
 * SIGKILL); it takes a few milliseconds (one pass over /proc).
 *
 * Permissions: /proc/PID/syscall and /proc/PID/mem need ptrace-read access
 * (root, or the same uid without Yama ptrace_scope restrictions on
 * non-descendants). Without them the call is guessed from wchan and the fds
 * (IPCLAB_HANG_NO_SYSCALL=1 forces that path, for tests).
 *
 * Side effects, none visible to the processes: to measure how full an
 * anonymous pipe is, it opens a non-blocking read end through
 * /proc/PID/fd/N for an instant (never for a named FIFO, where an open could
 * complete a rendezvous). When the processes live in another IPC or network
 * namespace and we may setns() (root), SysV values and unix socket peers are
 * read by a short-lived child that joins that namespace; it is reaped before
 * returning (a grader that reaps every child with waitpid(-1) in a SIGCHLD
 * handler only loses those extra details).
 */
char *hang_explain(const pid_t *pids, size_t n, char **details);

#endif /* IPCLAB_HANG_H */
