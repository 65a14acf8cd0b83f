/* unixsock.h - lab 07: Unix domain sockets, message boundaries, fd passing, credentials.
 */
#ifndef IPCLAB_UNIXSOCK_H
#define IPCLAB_UNIXSOCK_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#define US_MAX_READ    4096 /* largest receive buffer count_reads accepts */
#define US_MAX_FDS     16   /* most descriptors send_fds/recv_fds carry at once */
#define US_MAX_CLIENTS 64   /* clients echo_server serves at the same time */

/* ===================================================================== */
/*  Functions you implement (src/unixsock.c)                             */
/* ===================================================================== */

/*
 * count_reads - show where a socket type keeps (or loses) message boundaries.
 *
 * Creates socketpair(AF_UNIX, type | SOCK_CLOEXEC). Sends each msgs[i]
 * (a C string, without its NUL) with ONE send(2) on the first socket, all of
 * them before reading anything. Then receives on the second socket with a
 * buffer of rbuf bytes, one recv(2) call after another, with MSG_DONTWAIT,
 * until recv fails with EAGAIN (everything sent has been read). sizes[k]
 * gets what the k-th successful recv returned, for k < max (later reads are
 * still done, but not recorded). Both sockets are closed before returning.
 *
 * type is SOCK_STREAM, SOCK_SEQPACKET or SOCK_DGRAM. At most 8 messages.
 *
 * Returns the number of successful recv calls (possibly more than max), or
 * -1 with errno set: EINVAL if type is none of the three, n > 8, msgs is
 * NULL while n > 0, rbuf is 0 or larger than US_MAX_READ, or sizes is NULL
 * while max > 0; otherwise the errno of socketpair/send/recv.
 */
int count_reads(int type, const char *const msgs[], size_t n, size_t rbuf, size_t sizes[],
                size_t max);

/*
 * us_listen - create a Unix socket server bound to path, listening.
 *
 * path names a file system socket ("/tmp/x/srv.sock"), or, when it starts
 * with '@', an abstract socket: the rest of the string is the name, stored
 * after a leading NUL in sun_path, and the address length counts exactly
 * the name (no trailing NUL, no padding). An abstract name leaves no file.
 *
 * A socket file left behind by a server that died (nobody accepts on it:
 * connect gives ECONNREFUSED) is stale: it is unlinked and the bind retried.
 * A path where a server still listens, or that is not a socket at all, is
 * never removed: that is EADDRINUSE.
 *
 * type is SOCK_STREAM or SOCK_SEQPACKET; the socket is made with
 * SOCK_CLOEXEC. Returns the listening fd (the caller closes it and unlinks
 * a file system path), or -1 with errno set: EINVAL if path is NULL, empty
 * or just "@", or type is wrong (checked before any socket is made);
 * ENAMETOOLONG if the path or name does not fit in sun_path (108 bytes,
 * counting the NUL of a file system path);
 * EADDRINUSE as above; otherwise the errno of socket/bind/listen. On
 * failure nothing is left open and no file is created.
 */
int us_listen(const char *path, int type, int backlog);

/*
 * us_connect - connect a new socket of `type` to the server at path.
 *
 * path follows the same rules as for us_listen ('@' for abstract names).
 * Returns the connected fd (SOCK_CLOEXEC; the caller closes it), or -1 with
 * errno set: EINVAL and ENAMETOOLONG as for us_listen; ENOENT if no such
 * file; ECONNREFUSED if nobody listens there (a stale socket file);
 * otherwise connect's errno. A connect interrupted by a signal (EINTR) is
 * not retried blindly: it is reported. Nothing is left open on failure.
 */
int us_connect(const char *path, int type);

/*
 * send_fds - send len bytes of data and nfds descriptors in ONE sendmsg(2).
 *
 * The descriptors travel as one SCM_RIGHTS control message. The receiver
 * gets new descriptors for the same open files (same offset, same flags);
 * the caller's fds stay open and remain the caller's to close. At least one
 * data byte must go with them: a stream socket never delivers ancillary
 * data on its own. The call is made with MSG_NOSIGNAL.
 *
 * Returns the number of data bytes sent, or -1 with errno set: EINVAL if fds
 * is NULL, nfds is 0 or more than US_MAX_FDS, data is NULL or len is 0; otherwise
 * sendmsg's errno (EBADF if one of fds is not open).
 */
ssize_t send_fds(int sock, const int *fds, size_t nfds, const void *data, size_t len);

/*
 * recv_fds - receive up to len bytes and the descriptors that came with them.
 *
 * One recvmsg(2) with room for US_MAX_FDS descriptors, MSG_CMSG_CLOEXEC set
 * (received fds must not leak into programs the receiver execs). The
 * received fds are stored in fds[0..*nfds) and belong to the caller.
 * A message with no descriptors is fine (*nfds = 0). If more descriptors
 * arrived than maxfds, or the kernel truncated the control data
 * (MSG_CTRUNC), every descriptor that did arrive is closed and the call
 * fails with EMSGSIZE. EINTR is retried.
 *
 * Returns the number of data bytes received (0 at end of file, *nfds then
 * 0), or -1 with errno set: EINVAL if buf, fds or nfds is NULL or len is 0;
 * EMSGSIZE as above; otherwise recvmsg's errno.
 */
ssize_t recv_fds(int sock, void *buf, size_t len, int *fds, size_t maxfds, size_t *nfds);

/*
 * accept_peer - accept one client and admit it only if its uid is allowed.
 *
 * Accepts a connection on the listening socket lfd (EINTR retried; the new
 * fd has FD_CLOEXEC), reads the client's credentials with
 * getsockopt(SO_PEERCRED) (pid, uid and gid of the process that called
 * connect), and stores them in *cred (if cred is not NULL) in both cases.
 * A client whose uid differs from allowed_uid is refused: its connection is
 * closed at once (it reads end of file) and the call fails with EACCES.
 *
 * Returns the connected fd (the caller closes it), or -1 with errno set:
 * EACCES as above; otherwise the errno of accept/getsockopt. Nothing is left
 * open on failure.
 */
int accept_peer(int lfd, uid_t allowed_uid, struct ucred *cred);

/*
 * send_creds - send len bytes with sender credentials attached, in ONE
 * sendmsg(2).
 *
 * The message carries an SCM_CREDENTIALS control message holding a struct
 * ucred: *claim if claim is not NULL, otherwise the caller's own pid, uid
 * and gid (getpid, getuid, getgid). The kernel checks every claim: a
 * process without privileges may name only its own pid, and only its
 * real, effective or saved uid and gid; anything else fails with EPERM (an
 * id that does not exist in the caller's user namespace: EINVAL). That is
 * why a receiver can trust what arrives. At least one data byte goes with
 * the credentials. The call is made with MSG_NOSIGNAL; EINTR is retried.
 *
 * Returns the number of data bytes sent, or -1 with errno set: EINVAL if
 * data is NULL or len is 0; otherwise sendmsg's errno (EPERM for a claim
 * the kernel refuses).
 */
ssize_t send_creds(int sock, const void *data, size_t len, const struct ucred *claim);

/*
 * recv_creds - receive one message and the credentials of its sender.
 *
 * Turns SO_PASSCRED on for sock (it stays on), then makes one recvmsg(2)
 * with room for an SCM_CREDENTIALS control message, and stores its struct
 * ucred in *cred. With SO_PASSCRED on, the kernel attaches the sender's
 * pid, uid and gid to every message sent from then on, even by a sender
 * that attached none, and one read never returns the bytes of two
 * different senders, even on a stream socket. So, unlike SO_PEERCRED (the
 * process that connected), this names the process that sent this message.
 *
 * A message sent while SO_PASSCRED was off on both sockets, by a sender
 * that attached nothing, carries no credentials: the kernel reports pid 0
 * (with the overflow uid and gid, 65534). pid 0 never names a sender. If
 * no SCM_CREDENTIALS message arrived at all, *cred is {0, -1, -1}.
 * EINTR is retried.
 *
 * Returns the number of data bytes received (0 at end of file, cred->pid
 * then 0), or -1 with errno set: EINVAL if buf or cred is NULL or len is
 * 0; otherwise the errno of setsockopt/recvmsg (ENOTSOCK, EBADF).
 */
ssize_t recv_creds(int sock, void *buf, size_t len, struct ucred *cred);

/*
 * echo_server - serve many stream clients at once with poll(2).
 *
 * lfd is a listening SOCK_STREAM socket (the caller's: not closed here).
 * Every byte a client sends comes back to that client, with a-z turned into
 * A-Z, in order; clients are independent: one that sends nothing, or leaves,
 * never holds up the others. Up to US_MAX_CLIENTS are served at once; a
 * client beyond that is accepted and closed at once. A client that closes
 * (or resets) its connection, or that a reply cannot reach (send fails,
 * EPIPE), is closed and forgotten. Replies are sent with MSG_NOSIGNAL (a
 * client gone away must not kill the server); a send that moves only part
 * of a reply is continued with the rest, and EINTR from poll, accept, recv
 * or send is not an error (nothing was lost: try again).
 *
 * The server runs until stop_fd (a pipe's read end, not closed here)
 * becomes readable or reaches end of file; it then closes every client
 * connection and returns 0. Returns -1 with errno set if poll or accept
 * fails for a reason other than EINTR (or, for accept, the client going
 * away first: ECONNABORTED), after closing every client.
 */
int echo_server(int lfd, int stop_fd);

#endif /* IPCLAB_UNIXSOCK_H */
