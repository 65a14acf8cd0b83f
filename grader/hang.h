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
 */
char *hang_explain(const pid_t *pids, size_t n, char **details);

#endif /* IPCLAB_HANG_H */
