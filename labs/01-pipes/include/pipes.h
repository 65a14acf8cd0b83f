/* pipes.h - lab 01: pipes, their limits, and plumbing processes together. */
#ifndef IPCLAB_PIPES_H
#define IPCLAB_PIPES_H

#include <stddef.h>
#include <sys/types.h>

/* ===================================================================== */
/*  Functions you implement (src/pipes.c)                                */
/* ===================================================================== */

/* ---- Exercise 1: complete transfers --------------------------------- */

/*
 * write_all - write all len bytes of buf to fd.
 *
 * write(2) may transfer fewer bytes than asked (a signal arrives while a
 * large write waits for room in a pipe), or fail with EINTR when it was
 * interrupted before moving anything. Both are normal: keep writing the
 * rest until every byte has gone.
 *
 * Does not touch the SIGPIPE disposition: if the read end is closed and
 * SIGPIPE is at its default, the process dies of SIGPIPE, as it would with
 * write(2); if SIGPIPE is ignored, write_all fails with EPIPE.
 *
 * Returns len (0 when len is 0), or -1 with errno set by the write(2) that
 * failed for a reason other than EINTR (EPIPE, EBADF, EAGAIN on a
 * non-blocking fd, ...). Bytes written before such a failure are lost to
 * the caller's count.
 */
ssize_t write_all(int fd, const void *buf, size_t len);

/*
 * read_all - read from fd until len bytes have arrived or end of file.
 *
 * read(2) returns what the pipe holds right now, which may be less than
 * asked; it fails with EINTR when a signal interrupts it before any byte
 * arrives. Keep reading until len bytes are in buf or read(2) returns 0
 * (end of file: every write end is closed).
 *
 * Returns the number of bytes read (less than len only at end of file, 0 at
 * once if len is 0 or the pipe is already at EOF), or -1 with errno set by the
 * read(2) that failed for a reason other than EINTR.
 */
ssize_t read_all(int fd, void *buf, size_t len);

/* ---- Exercise 2: capacity and blocking ------------------------------ */

/*
 * pipe_set_capacity - ask the kernel to resize the pipe behind fd.
 *
 * Either end of the pipe may be given. Asks for at least size bytes with
 * fcntl(F_SETPIPE_SZ); the kernel rounds up to a power-of-two number of
 * pages.
 *
 * Returns the capacity actually set (F_SETPIPE_SZ's result, >= size), or -1
 * with errno set:
 *   EINVAL  size <= 0 (checked here: the kernel would quietly turn 0 into
 *           one page)
 *   EBADF   fd is not an open pipe
 *   EPERM   size is above /proc/sys/fs/pipe-max-size and the caller lacks
 *           CAP_SYS_RESOURCE
 *   EBUSY   the pipe holds more data than the new capacity could
 * On failure the pipe keeps its old capacity and its data.
 */
int pipe_set_capacity(int fd, int size);

/*
 * fill_pipe - write into the pipe behind the write end wfd until it is full.
 *
 * Never blocks: switches wfd to O_NONBLOCK, writes until write(2) fails with
 * EAGAIN, then restores wfd's file status flags exactly as they were (a
 * caller that had O_NONBLOCK set keeps it, one that did not gets its blocking
 * fd back). The bytes written are unspecified filler.
 *
 * Returns the number of bytes written (0 if the pipe was already full), or
 * -1 with errno set (EBADF if wfd is not open for writing, EPIPE if no read
 * end is open and SIGPIPE is ignored, the errno of fcntl(2) otherwise). The
 * flags are restored on failure too, where fcntl(2) allows.
 */
ssize_t fill_pipe(int wfd);

/* ---- Exercise 3: atomic records ------------------------------------- */

/*
 * write_record - write one record to a pipe shared by many writers, whole.
 *
 * POSIX promises that a write(2) of at most PIPE_BUF bytes to a pipe is
 * atomic: its bytes are never mixed with another writer's. So a record of
 * up to PIPE_BUF bytes goes out in exactly one successful write(2) (retried
 * on EINTR: an interrupted write of at most PIPE_BUF bytes has written
 * nothing). Longer records cannot be atomic and are refused.
 *
 * Returns len, or -1 with errno set: EMSGSIZE if len > PIPE_BUF (nothing is
 * written), EINVAL if len is 0 or rec is NULL, otherwise write(2)'s errno.
 */
ssize_t write_record(int fd, const void *rec, size_t len);

/* ---- Exercise 4: capturing a program's output ----------------------- */

/*
 * capture_output - run a program and collect what it writes to stdout.
 *
 * argv[0] is searched in PATH; argv ends with NULL. The child's stdout is
 * the write end of a pipe (dup2); stdin and stderr are inherited. The pipe
 * is created with O_CLOEXEC, so the program sees it only as its fd 1 and
 * no other program started meanwhile inherits it. If exec fails the child
 * exits with status 127.
 *
 * The parent closes its copy of the write end before reading (or it would
 * never see end of file), reads until end of file while the program runs
 * (a read(2) may return fewer bytes than the pipe will deliver, or fail
 * with EINTR when a signal interrupts it: neither ends the capture),
 * and stores the first cap - 1 bytes in buf followed by a NUL. Output past
 * that is read and discarded, so the program is never blocked or killed by
 * SIGPIPE because of a small buffer. Then it waits for the child (retrying
 * on EINTR) and stores the raw wait status in *status.
 *
 * Every pipe end is closed (exactly once: a second close(2) of the same
 * number could close an fd another thread has just opened) and the child
 * reaped before returning, on success and on failure. Returns the number of
 * bytes stored in buf (without the NUL), or -1 with errno set: EINVAL if
 * argv, argv[0], buf or status is NULL or cap is 0, otherwise the errno of
 * the pipe2/fork/read/waitpid that failed.
 */
ssize_t capture_output(char *const argv[], char *buf, size_t cap, int *status);

/* ---- Exercise 5: a two-way exchange without deadlock ---------------- */

/*
 * filter_through - run a program as a filter: feed it in, collect its output.
 *
 * Like a shell's `printf ... | prog | ...`, but both ends belong to the
 * caller: the program's stdin is one pipe and its stdout another. Writing
 * all the input first and reading afterwards deadlocks as soon as both pipes
 * are full (the program blocks writing its output, we block writing its
 * input), so input and output must move together: poll(2) both pipes (the
 * write end non-blocking) and move whatever each side allows.
 *
 * The first outcap bytes of output are stored in out; more output is read
 * and discarded. If the program exits without reading all its input, the
 * rest is dropped: the resulting EPIPE is not an error, and the caller must
 * not be killed by SIGPIPE (its disposition is changed for the duration of
 * the call and restored before returning). EINTR is retried everywhere.
 * The program starts as the caller would start it: it holds the pipes only
 * as its fds 0 and 1 (both are created O_CLOEXEC), and its SIGPIPE
 * disposition is the caller's (put back in the child before exec: an
 * ignored signal stays ignored across exec).
 *
 * When out is NULL, outcap must be 0. The raw wait status goes to *status.
 * Every pipe end is closed (exactly once) and the child reaped before
 * returning, and the SIGPIPE disposition restored, on success and on failure.
 * Returns the number of bytes stored in out, or -1 with errno set: EINVAL if
 * argv, argv[0] or status is NULL, in is NULL while inlen > 0, or out is NULL
 * while outcap > 0; otherwise the errno of the failing call (sigaction,
 * pipe2, fork, fcntl, poll, read, write other than EPIPE, waitpid).
 */
ssize_t filter_through(char *const argv[], const void *in, size_t inlen, void *out,
                       size_t outcap, int *status);

/* ---- Exercise 6: pipelines ------------------------------------------ */

/*
 * run_pipeline - run cmds[0] | cmds[1] | ... | cmds[n-1], like a shell.
 *
 * Each cmds[i] is an argv array ending with NULL; cmds[i][0] is searched in
 * PATH. The first command reads in_fd, the last writes out_fd; command i
 * writes to command i+1 through a pipe. stderr is inherited. A command that
 * cannot be executed exits with status 127, and the rest of the pipeline runs
 * on (its neighbours see end of file or EPIPE).
 *
 * Every pipe end is closed in the parent and in each child before anyone
 * waits, so each reader sees end of file when its writer finishes. in_fd and
 * out_fd belong to the caller and stay open in the caller; the children
 * close their inherited copies once they are on fd 0 and 1.
 *
 * Every child is waited for, by its pid (retrying on EINTR): no zombie is
 * left, and no other child of the caller is reaped. Returns the last
 * command's raw wait status (the status a shell reports for the pipeline), or
 * -1 with errno set: EINVAL if cmds is NULL, n is 0, or any cmds[i] or
 * cmds[i][0] is NULL (checked before anything starts); otherwise the errno
 * of the pipe2(2) or fork(2) that failed, after every pipe end is closed
 * (exactly once) and the children already started are reaped, or of the
 * waitpid(2) that failed; ENOMEM if memory it needs cannot be allocated,
 * after the same clean-up. Memory it allocates (an array of pids, say) is
 * freed before it returns, on success and on failure.
 */
int run_pipeline(char *const *cmds[], size_t n, int in_fd, int out_fd);

/* ---- Exercise 7: the C library's version, popen(3) and pclose(3) ---- */

/*
 * popen_capture - capture_output's job done with popen(3) and pclose(3).
 *
 * Runs cmd with popen(cmd, "re"): the C library forks /bin/sh -c cmd (cmd
 * is a shell command line, not an argv: quoting, pipes and redirections
 * work, and so does any shell code an untrusted string smuggles in) with
 * its stdout on a pipe, and returns the read end as a fully buffered FILE
 * ("e": O_CLOEXEC, so no program started meanwhile inherits it). Reads
 * until end of file, storing the first cap - 1 bytes in buf followed by a
 * NUL; output past that is read and discarded, so the command is never
 * killed by SIGPIPE because of a small buffer. Then pclose(3) waits for the
 * shell; its wait status is stored in *code decoded as a shell's $? is: the
 * exit status if the shell exited, 128 + the signal number if a signal
 * killed it (127: command not found, from the shell itself).
 *
 * The stream is closed and the shell reaped on every path. Returns the
 * number of bytes stored in buf (without the NUL), or -1 with errno set:
 * EINVAL if cmd, buf or code is NULL or cap is 0; otherwise the errno of
 * popen, of the read (fread, EINTR retried) or of pclose.
 */
ssize_t popen_capture(const char *cmd, char *buf, size_t cap, int *code);

/*
 * popen_feed - write len bytes of data to a shell command's stdin: popen "we".
 *
 * Runs cmd with popen(cmd, "we"), writes data to the stream (fully
 * buffered: nothing may reach the command before the buffer fills or is
 * flushed), then pclose(3): it flushes, closes the pipe (the command sees
 * end of file) and waits. The command's stdout and stderr are the caller's.
 * A command may exit without reading everything: the rest is dropped, the
 * resulting EPIPE is not an error, and the caller must not be killed by
 * SIGPIPE (its disposition is SIG_IGN for the call and restored before
 * returning). EINTR is retried.
 *
 * Returns the command's status decoded as in popen_capture (0..255), or -1
 * with errno set: EINVAL if cmd is NULL, or data is NULL while len > 0;
 * otherwise the errno of popen, of the write or of pclose. The stream is
 * closed and the shell reaped on every path.
 */
int popen_feed(const char *cmd, const void *data, size_t len);

#endif /* IPCLAB_PIPES_H */
