/* tcp.h - lab 08: TCP sockets on loopback: listen, connect, framing, servers. */
#ifndef IPCLAB_TCP_H
#define IPCLAB_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ===================================================================== */
/*  Functions you implement (src/tcp.c)                                  */
/* ===================================================================== */

/*
 * tcp_listen - open a listening TCP socket on an IPv4 address.
 *
 * host is a dotted quad ("127.0.0.1"); port is in host byte order, and 0
 * asks the kernel for any free port. SO_REUSEADDR is set before bind(2), so
 * a server can restart on its port while old connections sit in TIME_WAIT.
 * If bound_port is not NULL, the port actually bound (read back with
 * getsockname(2)) is stored there, in host byte order.
 *
 * Returns the listening fd (close-on-exec; the caller closes it), or -1 with
 * errno set: EINVAL if host is NULL or not a dotted quad, or backlog < 0;
 * otherwise the errno of socket/setsockopt/bind/listen (EADDRINUSE when the
 * port is taken). Nothing is left open on failure.
 */
int tcp_listen(const char *host, uint16_t port, int backlog, uint16_t *bound_port);

/*
 * tcp_connect - connect to host:port, giving up after timeout_ms.
 *
 * The connect is started non-blocking, awaited with poll(2) for at most
 * timeout_ms milliseconds, and its result read with SO_ERROR. On success the
 * socket is switched back to blocking mode and returned (close-on-exec; the
 * caller closes it).
 *
 * Returns -1 with errno set: EINVAL for a NULL or malformed host or a
 * negative timeout; ETIMEDOUT when no answer came in time; ECONNREFUSED when
 * nothing listens on the port; otherwise the errno of the failing call. The
 * socket is closed on every failure.
 */
int tcp_connect(const char *host, uint16_t port, int timeout_ms);

/*
 * send_all - send exactly len bytes, however many send(2) calls it takes.
 *
 * Uses MSG_NOSIGNAL, so writing to a connection the peer has closed fails
 * with EPIPE instead of killing the process with SIGPIPE. Retries on EINTR.
 * Returns len, or -1 with errno set (bytes may have been sent before it).
 */
ssize_t send_all(int fd, const void *buf, size_t len);

/*
 * recv_all - receive until len bytes have arrived or the peer shut down.
 *
 * Retries on EINTR and after short reads. Returns the number of bytes
 * received: len, or fewer if the peer closed its side first (0 at once
 * means end of stream). Returns -1 with errno set on error.
 */
ssize_t recv_all(int fd, void *buf, size_t len);

/*
 * frame_send - send one message as a frame: a 4-byte length in network byte
 * order (big-endian), then the len bytes of msg. len 0 is a valid frame.
 *
 * Returns 0, or -1 with errno set: EINVAL if msg is NULL while len > 0,
 * EMSGSIZE if len > FRAME_MAX, or send_all's errno.
 */
#define FRAME_MAX (1u << 20) /* largest payload a frame may carry: 1 MiB */
int frame_send(int fd, const void *msg, uint32_t len);

/*
 * frame_recv - receive one frame into buf (capacity cap).
 *
 * Works whatever way the bytes arrive (one at a time, or several frames in
 * one segment: never read past the end of this frame). Returns the payload
 * length (0 for an empty frame), or -1 with errno set:
 *   ENODATA  the peer closed the connection cleanly before a new frame began
 *   EPROTO   the peer closed the connection in the middle of a frame
 *   EMSGSIZE the announced length exceeds cap or FRAME_MAX (the connection
 *            cannot be used after this; the payload is not consumed)
 *   the errno of recv(2) otherwise.
 */
ssize_t frame_recv(int fd, void *buf, size_t cap);

/*
 * request_reply - one exchange with a server that answers at end of input.
 *
 * Sends the len bytes of req, then half-closes the connection with
 * shutdown(SHUT_WR) so the server reads end-of-file, then reads the reply
 * until the server closes its side. At most cap bytes are stored in reply;
 * a longer reply is an error. Does not close fd.
 *
 * Returns the length of the reply, or -1 with errno set: EMSGSIZE if the
 * reply does not fit in cap, or the errno of send/shutdown/recv.
 */
ssize_t request_reply(int fd, const void *req, size_t len, void *reply, size_t cap);

/*
 * serve_upper_once - accept one client on listen_fd, read everything it
 * sends until it half-closes (EOF), send it all back in upper case
 * (toupper on each byte), then close the client's socket.
 *
 * At most UPPER_MAX bytes are accepted; a client that sends more gets
 * nothing back and the call fails with EMSGSIZE. Does not close listen_fd.
 * Returns 0, or -1 with errno set.
 */
#define UPPER_MAX 65536
int serve_upper_once(int listen_fd);

#define SERVE_FRAME_MAX 4096

/*
 * The servers below speak the same framed protocol: a client sends frames
 * (frame_send); for every frame the server sends back one frame with the
 * same bytes in upper case. A client may send several frames before reading
 * the replies, may send byte by byte, and may close at any time. A frame
 * longer than SERVE_FRAME_MAX bytes makes the server drop that client.
 *
 * Both serve until stop_fd (the read end of a pipe) becomes readable or hits
 * EOF, then stop accepting, finish or drop their clients, close every client
 * socket, and return 0 (or -1 with errno set if the server itself failed).
 * They never close listen_fd or stop_fd. Many clients are served at once: a
 * slow client never delays the others.
 */

/*
 * serve_threaded - one thread per client (pthread_create); the thread
 * serves frames until its client closes. The main thread waits in poll on
 * listen_fd and stop_fd. Before returning, every client thread is told to
 * finish (shut its socket down) and joined.
 */
int serve_threaded(int listen_fd, int stop_fd);

/*
 * serve_poll - one thread, poll(2) over listen_fd, stop_fd and every client.
 * Each client has its own input buffer, because a frame may arrive in many
 * pieces; replies are sent with send_all (a client that does not read its
 * replies may slow the server, which is acceptable here).
 */
int serve_poll(int listen_fd, int stop_fd);

#endif /* IPCLAB_TCP_H */
