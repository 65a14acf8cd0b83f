/* fifos.h - lab 02: named pipes (FIFOs), open rules, a logger and a client/server. */
#ifndef IPCLAB_FIFOS_H
#define IPCLAB_FIFOS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ===================================================================== */
/*  Provided: the wire formats shared by clients and servers             */
/* ===================================================================== */

/* The line a logger client sends to stop log_serve (it is not logged). */
#define LOG_SHUTDOWN "SHUTDOWN\n"

/* Longest line log_write accepts, newline included: one atomic write. */
#define LOG_LINE_MAX PIPE_BUF

/* Operations of the FIFO client/server protocol. */
enum rpc_op {
    RPC_SQUARE = 1,   /* reply with value * value */
    RPC_SHUTDOWN = 2, /* stop rpc_serve, no reply */
};

#define RPC_PATH_MAX 200

/*
 * One request, written with a single write(2) to the server's FIFO. It is
 * smaller than PIPE_BUF, so requests of concurrent clients never interleave.
 */
struct rpc_request {
    int op;                        /* enum rpc_op */
    pid_t pid;                     /* the client's pid */
    long value;                    /* the argument */
    char reply_path[RPC_PATH_MAX]; /* the client's own reply FIFO, NUL-ended */
};

/* The server's answer, written with a single write(2) to reply_path. */
struct rpc_reply {
    pid_t pid;   /* copied from the request: whom this answer is for */
    long result; /* value * value */
};

/* ===================================================================== */
/*  Functions you implement (src/fifos.c)                                */
/* ===================================================================== */

/*
 * fifo_create - make sure path is a FIFO.
 *
 * Creates it with mkfifo(2) and the given mode (minus the umask). A FIFO
 * that already exists at path is fine: it is left as it is. Anything else
 * at path (a regular file, a directory, ...) is an error and is not touched.
 *
 * Returns 0 if the FIFO was created, 1 if a FIFO already existed, or -1 with
 * errno set: EINVAL if path is NULL, EEXIST if path exists but is not a
 * FIFO, otherwise mkfifo's or stat's errno (ENOENT for a missing directory).
 */
int fifo_create(const char *path, mode_t mode);

/*
 * fifo_open - open one end of an existing FIFO.
 *
 * access is O_RDONLY or O_WRONLY. With wait true the open is the ordinary
 * blocking one: a reader waits until some process opens the FIFO for
 * writing, and a writer until one opens it for reading (the rendezvous).
 * With wait false the open uses O_NONBLOCK: a reader succeeds at once, a
 * writer fails with ENXIO when no process has the FIFO open for reading.
 *
 * Either way the returned fd is in blocking mode (O_NONBLOCK cleared after
 * a non-blocking open) and has FD_CLOEXEC set. The caller owns and closes it.
 * Returns the fd, or -1 with errno set: EINVAL if path is NULL or access is
 * neither O_RDONLY nor O_WRONLY, ENXIO as above, otherwise open's errno
 * (ENOENT if path does not exist). An interrupted blocking open (EINTR) is
 * retried. No fd is left open on failure.
 */
int fifo_open(const char *path, int access, bool wait);

/*
 * fifo_read_session - read everything one "session" of writers sends.
 *
 * Opens path for reading (blocking: waits for the first writer), reads until
 * end of file, that is until every writer has closed its end, and closes the
 * FIFO. A server that calls this in a loop is a "reopen on EOF" server.
 * Bytes past cap are read and discarded (the session still ends at EOF).
 *
 * Returns the number of bytes stored in buf (at most cap), or -1 with errno
 * set: EINVAL if path is NULL or buf is NULL while cap > 0, otherwise the
 * errno of open(2) or read(2) (EINTR is retried). The fd is always closed.
 */
ssize_t fifo_read_session(const char *path, void *buf, size_t cap);

/*
 * log_write - send one line to the logger listening on the FIFO at path.
 *
 * line must be one complete line: it ends with '\n', has no other '\n', and
 * is at most LOG_LINE_MAX bytes long, so it goes out in one write(2) that
 * the kernel never interleaves with other writers' lines.
 * With wait true, the open waits for a logger to open the FIFO; with wait
 * false, a missing logger is an error (ENXIO) instead of a hang.
 * The FIFO is opened, written once and closed: no fd is left open. An
 * interrupted write (EINTR) is retried. SIGPIPE is blocked around the write
 * only: the caller's signal mask is the same after the call, a SIGPIPE the
 * write raised is consumed, and one that was pending before stays pending.
 *
 * Returns 0, or -1 with errno set: EINVAL if path or line is NULL or line
 * is not one line, EMSGSIZE if it is longer than LOG_LINE_MAX, ENXIO if wait
 * is false and no logger is reading, EPIPE if the logger went away before
 * the write (the caller is not killed by SIGPIPE), EIO on a short write,
 * otherwise open's errno (ENOENT if there is no FIFO).
 */
int log_write(const char *path, const char *line, bool wait);

/*
 * log_serve - the logger service: copy complete lines from a FIFO to out_fd.
 *
 * path must be a FIFO or absent (it is then created with mode 0600). The
 * service opens it with O_RDWR, the "keep-alive" trick: holding a write end
 * itself, it never sees end of file when the last writer leaves, so writers
 * may come and go at any time, and a non-blocking writer never gets ENXIO
 * while the service runs. Reads may return several lines or a part of one:
 * every line is copied whole to out_fd (write_all: a write that moves fewer
 * bytes or is interrupted by EINTR is continued), never split and never
 * merged with another. It stops at the line LOG_SHUTDOWN (not copied), and
 * unlinks path before returning. out_fd stays open (the caller owns it).
 *
 * Returns the number of lines copied, or -1 with errno set: EINVAL if path
 * is NULL or out_fd < 0, otherwise the errno of a failed call. The FIFO is
 * closed and unlinked on failure as well.
 */
long log_serve(const char *path, int out_fd);

/*
 * rpc_call - one request/reply exchange with rpc_serve.
 *
 * Creates the client's reply FIFO at reply_path (it must not exist: EEXIST),
 * sends a struct rpc_request {RPC_SQUARE, getpid(), value, reply_path} to the
 * server FIFO at server_path with one write, opens reply_path for reading
 * (waiting for the server to open it), reads one struct rpc_reply, and
 * stores its result in *result. The server FIFO is opened with O_NONBLOCK:
 * no server running is ENXIO, never a hang.
 * The reply FIFO is unlinked and every fd closed before returning, on
 * success and on failure.
 *
 * Returns 0, or -1 with errno set: EINVAL if an argument is NULL or
 * reply_path is RPC_PATH_MAX bytes or longer, ENXIO if no server is reading,
 * EIO if the reply is short or is addressed to another pid, otherwise the
 * errno of the failed call.
 */
int rpc_call(const char *server_path, const char *reply_path, long value, long *result);

/*
 * rpc_serve - the server: answer requests until RPC_SHUTDOWN.
 *
 * path must be a FIFO or absent (then it is created with mode 0600); it is
 * opened with O_RDWR (keep-alive). Each request is read whole (requests are
 * written atomically). For RPC_SQUARE the server opens the client's
 * reply_path for writing, writes one struct rpc_reply {pid, value * value}
 * and closes it, so each client reads only its own answer. A request whose
 * reply FIFO does not exist (the client is gone) or with an unknown op is
 * skipped and the server keeps running. RPC_SHUTDOWN stops it. path is
 * unlinked before returning.
 *
 * Returns the number of requests answered, or -1 with errno set: EINVAL if
 * path is NULL, otherwise the errno of the failed call (the FIFO is closed
 * and unlinked then too).
 */
long rpc_serve(const char *path);

#endif /* IPCLAB_FIFOS_H */
