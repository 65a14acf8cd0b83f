/* tcp.h - lab 08: Internet sockets on loopback: TCP, framing, servers, UDP, IPv6. */
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
 * timeout_ms milliseconds (a poll a signal interrupts, EINTR, is resumed),
 * and its result read with SO_ERROR. On success the
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
 * a longer reply is an error. An empty request (len 0) or reply is allowed.
 * A send or recv a signal interrupts (EINTR) is retried. Does not close fd.
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
 * nothing back and the call fails with EMSGSIZE. An empty request (EOF at
 * once) gets an empty answer, and the call returns 0. A call a signal interrupts
 * (accept, recv, send failing with EINTR) is retried, and a short receive
 * or send is continued. The client's socket is close-on-exec. Does not
 * close listen_fd. Memory it allocates (a request buffer) is freed before
 * it returns, on success and on failure. Returns 0, or -1 with errno set.
 */
#define UPPER_MAX 65536
int serve_upper_once(int listen_fd);

#define SERVE_FRAME_MAX 4096

/*
 * The servers below speak the same framed protocol: a client sends frames
 * (frame_send); for every frame the server sends back one frame with the
 * same bytes in upper case. A client may send several frames before reading
 * the replies, may send byte by byte, and may close at any time. A frame
 * longer than SERVE_FRAME_MAX bytes, a reply whose send fails, or the
 * client's end of stream (it closed or half-closed) makes the server drop
 * that client at once: its connection ends then, not when another client
 * comes. Every client socket is close-on-exec.
 *
 * Both serve until stop_fd (the read end of a pipe) becomes readable or hits
 * EOF, then stop accepting, finish or drop their clients, close every client
 * socket, and return 0 (or -1 with errno set if the server itself failed).
 * They never close listen_fd or stop_fd. Many clients are served at once: a
 * slow client never delays the others. A call a signal interrupts (poll,
 * accept, recv, send failing with EINTR) is retried, and a short send or
 * receive is continued: neither drops a client or stops the server. When
 * memory runs out (malloc, calloc or realloc fails), a client the server
 * cannot allocate for is dropped, or the server fails (-1) if it cannot go
 * on: a client's socket is never left open with nobody serving it. What the
 * server allocates for a client is freed once that client is gone (a
 * finished thread joined, a dropped client), and everything else before
 * it returns: the tests count the heap blocks your code holds when it has.
 */

/*
 * serve_threaded - one thread per client (pthread_create); the thread
 * serves frames until its client closes. The main thread waits in poll on
 * listen_fd and stop_fd. A client it cannot start a thread for
 * (pthread_create fails) is dropped, and the others served. Every client
 * thread is joined: one whose client is gone while the server runs, and
 * before returning every other, told to finish (its socket shut down).
 */
int serve_threaded(int listen_fd, int stop_fd);

/*
 * serve_poll - one thread, poll(2) over listen_fd, stop_fd and every client.
 * Each client has its own input buffer, because a frame may arrive in many
 * pieces; replies are sent with send_all (a client that does not read its
 * replies may slow the server, which is acceptable here).
 */
int serve_poll(int listen_fd, int stop_fd);

/* ---- Timeouts without poll: SO_RCVTIMEO / SO_SNDTIMEO ---------------- */

/*
 * sock_timeouts - put a time limit on fd's blocking receives and sends.
 *
 * Sets SO_RCVTIMEO to rcv_ms and SO_SNDTIMEO to snd_ms milliseconds. Both
 * options take a struct timeval: whole seconds in tv_sec, the remainder in
 * tv_usec (the kernel rejects tv_usec >= 1000000 with EDOM). 0 means no
 * limit (block as long as it takes), and clears a limit set before.
 *
 * Afterwards a recv(2) that has waited rcv_ms with nothing to read fails
 * with EAGAIN (Linux: EWOULDBLOCK is the same value), and a send(2) that
 * could queue nothing for snd_ms fails with EAGAIN too (one that queued
 * part of its data returns that count). Does not change O_NONBLOCK.
 *
 * Returns 0, or -1 with errno set: EINVAL if rcv_ms or snd_ms is negative
 * (nothing is changed); otherwise setsockopt's errno (EBADF, ENOTSOCK).
 */
int sock_timeouts(int fd, int rcv_ms, int snd_ms);

/* ---- Datagrams: UDP on loopback ------------------------------------------ */

#define UDP_MSG_MAX 2048 /* largest request udp_serve answers, in bytes */

/*
 * udp_bind - open a UDP socket bound to an IPv4 address.
 *
 * host is a dotted quad; port is in host byte order, 0 for any free port.
 * If bound_port is not NULL the port bound (getsockname(2)) is stored there
 * in host byte order. SO_REUSEADDR is NOT set: on UDP it would let a second
 * socket bind the same port and take part of its datagrams, so a port in
 * use must fail with EADDRINUSE.
 *
 * Returns the fd (SOCK_DGRAM, close-on-exec; the caller closes it), or -1
 * with errno set: EINVAL if host is NULL or not a dotted quad; otherwise
 * the errno of socket/bind/getsockname (EADDRINUSE). Nothing is left open
 * on failure.
 */
int udp_bind(const char *host, uint16_t port, uint16_t *bound_port);

/*
 * udp_serve - answer every datagram that arrives on fd until stopped.
 *
 * fd is a bound UDP socket. For each datagram received, one datagram goes
 * back to the address it came from (recvfrom/sendto or recvmsg/sendmsg),
 * holding the same bytes in upper case (toupper on each byte, NUL bytes
 * included): one reply per request, its length the request's length, so
 * an empty datagram gets an empty reply. Requests from many clients are
 * answered in the order they arrive, each to its own sender.
 *
 * A datagram longer than UDP_MSG_MAX bytes does not fit the server's
 * buffer: the kernel truncates it and says so (MSG_TRUNC). It is dropped
 * unanswered, and the server goes on. A reply that cannot be sent is
 * skipped too (a UDP server never waits for one client). EINTR is retried.
 *
 * Serves until stop_fd (the read end of a pipe) becomes readable or
 * reaches end of file. Never closes fd or stop_fd. Returns the number of
 * requests answered, or -1 with errno set if poll/recv fails.
 */
long udp_serve(int fd, int stop_fd);

/*
 * udp_request - send one datagram to host:port and wait for its answer.
 *
 * Uses a socket of its own, connect(2)ed to host:port: the kernel then
 * passes on only datagrams from that address (others are not the answer),
 * and reports an ICMP "port unreachable" as ECONNREFUSED. Sends req (len
 * bytes, 0 allowed) as ONE datagram, then waits at most timeout_ms for one
 * reply datagram, stored in reply (capacity cap). Never resends: on the
 * local machine a datagram to a listening socket with room in its queue is
 * not lost. A send or receive a signal interrupts (EINTR) is retried. The
 * socket is close-on-exec, and closed before returning.
 *
 * Returns the reply's length, or -1 with errno set: EINVAL if host is NULL
 * or not a dotted quad, req is NULL while len > 0, reply is NULL while
 * cap > 0, or timeout_ms <= 0; ETIMEDOUT if no reply came within
 * timeout_ms (whether the wait used poll or SO_RCVTIMEO); ECONNREFUSED if
 * nothing is bound to the port; EMSGSIZE if the reply was longer than cap
 * (a datagram is read whole or truncated: the rest is discarded, MSG_TRUNC
 * tells); otherwise the errno of socket/connect/send/recv.
 */
ssize_t udp_request(const char *host, uint16_t port, const void *req, size_t len,
                    void *reply, size_t cap, int timeout_ms);

/* ---- IPv6: one dual-stack listener for both families ---------------------- */

/*
 * tcp_listen6 - listen on every address, IPv6 and IPv4, with one socket.
 *
 * An AF_INET6 stream socket bound to :: (in6addr_any) at port (host byte
 * order, 0 for any free port), with IPV6_V6ONLY turned off explicitly (the
 * default comes from /proc/sys/net/ipv6/bindv6only and may be 1), so it
 * also accepts IPv4 clients: they appear as v4-mapped addresses
 * (::ffff:127.0.0.1). Because of that it also claims the IPv4 port: a port
 * that an IPv4 listener holds is EADDRINUSE. SO_REUSEADDR is set, as for
 * tcp_listen. If bound_port is not NULL the bound port is stored there.
 *
 * Returns the listening fd (close-on-exec; the caller closes it), or -1
 * with errno set: EINVAL if backlog < 0; EAFNOSUPPORT if this kernel has
 * no IPv6; otherwise the errno of socket/setsockopt/bind/listen. Nothing is
 * left open on failure.
 */
int tcp_listen6(uint16_t port, int backlog, uint16_t *bound_port);

/*
 * accept_from - accept one connection and say who it came from.
 *
 * Accepts on lfd, an IPv4 or IPv6 listening socket (EINTR retried; the new
 * fd is close-on-exec), and writes the client's address as text into host
 * (capacity hostlen, NUL included) with inet_ntop: "127.0.0.1" on an IPv4
 * listener, "::1" or "::ffff:127.0.0.1" on an IPv6 one. If port is not
 * NULL the client's port is stored there in host byte order.
 *
 * Returns the connected fd (the caller closes it), or -1 with errno set:
 * EINVAL if host is NULL; ENOSPC if the address text does not fit in
 * hostlen (the connection is then closed: the client reads end of file);
 * otherwise accept's errno. Nothing is left open on failure.
 */
int accept_from(int lfd, char *host, size_t hostlen, uint16_t *port);

#endif /* IPCLAB_TCP_H */
