/* unixsock.c - lab 07 reference solution: Unix domain sockets. */
#include "unixsock.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* close(2) that keeps errno, for cleanup paths. */
static void close_keep_errno(int fd)
{
    int saved = errno;
    close(fd);
    errno = saved;
}

int count_reads(int type, const char *const msgs[], size_t n, size_t rbuf, size_t sizes[],
                size_t max)
{
    if ((type != SOCK_STREAM && type != SOCK_SEQPACKET && type != SOCK_DGRAM) || n > 8 ||
        (msgs == NULL && n > 0) || rbuf == 0 || rbuf > US_MAX_READ ||
        (sizes == NULL && max > 0)) {
        errno = EINVAL;
        return -1;
    }
    int sv[2];
    if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
        return -1;
    int reads = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(msgs[i]);
        ssize_t w;
        do
            w = send(sv[0], msgs[i], len, MSG_NOSIGNAL);
        while (w < 0 && errno == EINTR);
        if (w < 0)
            goto fail;
    }
    char buf[US_MAX_READ];
    for (;;) {
        ssize_t r = recv(sv[1], buf, rbuf, MSG_DONTWAIT);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (r < 0)
            goto fail;
        if ((size_t)reads < max)
            sizes[reads] = (size_t)r;
        reads++;
    }
    close(sv[0]);
    close(sv[1]);
    return reads;
fail:
    close_keep_errno(sv[0]);
    close_keep_errno(sv[1]);
    return -1;
}

/*
 * Fill *addr for path ('@' = abstract) and return the address length, or
 * -1 with errno EINVAL or ENAMETOOLONG.
 */
static int make_addr(const char *path, struct sockaddr_un *addr, socklen_t *addrlen)
{
    if (path == NULL || path[0] == '\0' || strcmp(path, "@") == 0) {
        errno = EINVAL;
        return -1;
    }
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    size_t len = strlen(path);
    if (path[0] == '@') {
        /* Abstract: a leading NUL, then exactly the name's bytes. */
        if (len > sizeof addr->sun_path) {
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(addr->sun_path + 1, path + 1, len - 1);
        *addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    } else {
        /* A file system path needs room for its NUL too. */
        if (len >= sizeof addr->sun_path) {
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(addr->sun_path, path, len + 1);
        *addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
    }
    return 0;
}

/*
 * Is the socket file at addr stale (nobody listening)? 1 if so, 0 if a
 * server answers or the path is not a socket, -1 on error.
 */
static int socket_file_is_stale(const struct sockaddr_un *addr, socklen_t addrlen,
                                int type)
{
    struct stat st;
    if (lstat(addr->sun_path, &st) < 0)
        return errno == ENOENT ? 1 : -1; /* gone meanwhile: just retry bind */
    if (!S_ISSOCK(st.st_mode))
        return 0;
    int probe = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (probe < 0)
        return -1;
    int r = connect(probe, (const struct sockaddr *)addr, addrlen);
    int err = errno;
    close(probe);
    if (r == 0)
        return 0; /* a live server accepted the probe */
    return err == ECONNREFUSED ? 1 : 0;
}

/*
 * A new socket of type (SOCK_STREAM or SOCK_SEQPACKET, else EINVAL) for
 * the address of path, which make_addr writes into *addr and *addrlen.
 * Returns its fd (close-on-exec), or -1 with errno set.
 */
static int unix_socket(const char *path, int type, struct sockaddr_un *addr,
                       socklen_t *addrlen)
{
    if (make_addr(path, addr, addrlen) < 0)
        return -1;
    if (type != SOCK_STREAM && type != SOCK_SEQPACKET) {
        errno = EINVAL;
        return -1;
    }
    return socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
}

int us_listen(const char *path, int type, int backlog)
{
    struct sockaddr_un addr;
    socklen_t addrlen;
    int fd = unix_socket(path, type, &addr, &addrlen);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&addr, addrlen) < 0) {
        if (errno != EADDRINUSE || path[0] == '@')
            goto fail;
        int stale = socket_file_is_stale(&addr, addrlen, type);
        if (stale < 0)
            goto fail;
        if (stale == 0) {
            errno = EADDRINUSE;
            goto fail;
        }
        if (unlink(addr.sun_path) < 0 && errno != ENOENT)
            goto fail;
        if (bind(fd, (struct sockaddr *)&addr, addrlen) < 0)
            goto fail;
    }
    if (listen(fd, backlog) < 0) {
        if (path[0] != '@')
            unlink(addr.sun_path); /* we made it: do not leave it behind */
        goto fail;
    }
    return fd;
fail:
    close_keep_errno(fd);
    return -1;
}

int us_connect(const char *path, int type)
{
    struct sockaddr_un addr;
    socklen_t addrlen;
    int fd = unix_socket(path, type, &addr, &addrlen);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&addr, addrlen) < 0)
        goto fail;
    return fd;
fail:
    close_keep_errno(fd);
    return -1;
}

/* Control buffer big enough for US_MAX_FDS descriptors, properly aligned. */
union fd_control {
    char buf[CMSG_SPACE(sizeof(int) * US_MAX_FDS)];
    struct cmsghdr align;
};

/* A message of the one buffer iov, with the control buffer control[0..size). */
static struct msghdr one_buffer_msg(struct iovec *iov, void *control, size_t size)
{
    return (struct msghdr){
        .msg_iov = iov,
        .msg_iovlen = 1,
        .msg_control = control,
        .msg_controllen = size,
    };
}

/*
 * Make msg's first control message: level SOL_SOCKET, type, carrying the
 * len bytes at data. Its control buffer is zeroed and has room for them.
 */
static void put_control(struct msghdr *msg, int type, const void *data, size_t len)
{
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = type;
    cmsg->cmsg_len = CMSG_LEN(len);
    memcpy(CMSG_DATA(cmsg), data, len);
}

/* sendmsg(2), retrying on EINTR. */
static ssize_t sendmsg_retry(int sock, const struct msghdr *msg, int flags)
{
    ssize_t w;
    do
        w = sendmsg(sock, msg, flags);
    while (w < 0 && errno == EINTR);
    return w;
}

/* recvmsg(2), retrying on EINTR. */
static ssize_t recvmsg_retry(int sock, struct msghdr *msg, int flags)
{
    ssize_t r;
    do
        r = recvmsg(sock, msg, flags);
    while (r < 0 && errno == EINTR);
    return r;
}

ssize_t send_fds(int sock, const int *fds, size_t nfds, const void *data, size_t len)
{
    if (fds == NULL || nfds == 0 || nfds > US_MAX_FDS || data == NULL || len == 0) {
        errno = EINVAL;
        return -1;
    }
    union fd_control control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
    struct msghdr msg = one_buffer_msg(&iov, control.buf, CMSG_SPACE(sizeof(int) * nfds));
    put_control(&msg, SCM_RIGHTS, fds, sizeof(int) * nfds);
    return sendmsg_retry(sock, &msg, MSG_NOSIGNAL);
}

ssize_t recv_fds(int sock, void *buf, size_t len, int *fds, size_t maxfds, size_t *nfds)
{
    if (buf == NULL || fds == NULL || nfds == NULL || len == 0) {
        errno = EINVAL;
        return -1;
    }
    *nfds = 0;
    union fd_control control;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr msg = one_buffer_msg(&iov, control.buf, sizeof control.buf);
    ssize_t r = recvmsg_retry(sock, &msg, MSG_CMSG_CLOEXEC);
    if (r < 0)
        return -1;
    /* Collect every descriptor first: on failure all of them must be closed. */
    int got[US_MAX_FDS];
    size_t ngot = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count && ngot < US_MAX_FDS; i++)
            memcpy(&got[ngot++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    }
    if ((msg.msg_flags & MSG_CTRUNC) || ngot > maxfds) {
        for (size_t i = 0; i < ngot; i++)
            close(got[i]);
        errno = EMSGSIZE;
        return -1;
    }
    memcpy(fds, got, ngot * sizeof(int));
    *nfds = ngot;
    return r;
}

int accept_peer(int lfd, uid_t allowed_uid, struct ucred *cred)
{
    int fd;
    do
        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -1;
    struct ucred peer;
    socklen_t len = sizeof peer;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0)
        goto fail;
    if (cred != NULL)
        *cred = peer;
    if (peer.uid != allowed_uid) {
        errno = EACCES;
        goto fail;
    }
    return fd;
fail:
    close_keep_errno(fd);
    return -1;
}

/* Control buffer for one struct ucred, properly aligned. */
union cred_control {
    char buf[CMSG_SPACE(sizeof(struct ucred))];
    struct cmsghdr align;
};

ssize_t send_creds(int sock, const void *data, size_t len, const struct ucred *claim)
{
    if (data == NULL || len == 0) {
        errno = EINVAL;
        return -1;
    }
    struct ucred mine = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
    if (claim == NULL)
        claim = &mine;
    union cred_control control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
    struct msghdr msg = one_buffer_msg(&iov, control.buf, sizeof control.buf);
    put_control(&msg, SCM_CREDENTIALS, claim, sizeof *claim);
    /* The kernel checks the claim here: EPERM if it is not ours to make. */
    return sendmsg_retry(sock, &msg, MSG_NOSIGNAL);
}

ssize_t recv_creds(int sock, void *buf, size_t len, struct ucred *cred)
{
    if (buf == NULL || cred == NULL || len == 0) {
        errno = EINVAL;
        return -1;
    }
    /* Without SO_PASSCRED the kernel delivers no credentials at all. */
    int one = 1;
    if (setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
        return -1;
    union cred_control control;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr msg = one_buffer_msg(&iov, control.buf, sizeof control.buf);
    ssize_t r = recvmsg_retry(sock, &msg, 0);
    if (r < 0)
        return -1;
    *cred = (struct ucred){.pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1};
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
            c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
            memcpy(cred, CMSG_DATA(c), sizeof *cred);
    }
    return r;
}

/* Uppercase buf[0..n) and send it all to fd. 0 on success, -1 if the client is gone. */
static int echo_upper(int fd, char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)toupper((unsigned char)buf[i]);
    for (size_t off = 0; off < n;) {
        ssize_t w = send(fd, buf + off, n - off, MSG_NOSIGNAL);
        if (w < 0 && errno != EINTR)
            return -1;
        if (w > 0)
            off += (size_t)w; /* a short send: send the rest */
    }
    return 0;
}

int echo_server(int lfd, int stop_fd)
{
    /* pfd[0] = stop_fd, pfd[1] = lfd, pfd[2..] = clients. */
    struct pollfd pfd[2 + US_MAX_CLIENTS];
    nfds_t nclients = 0;
    int rc = -1;
    pfd[0] = (struct pollfd){.fd = stop_fd, .events = POLLIN};
    pfd[1] = (struct pollfd){.fd = lfd, .events = POLLIN};
    for (;;) {
        int r = poll(pfd, 2 + nclients, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            goto out;
        if (pfd[0].revents != 0) {
            rc = 0;
            goto out;
        }
        if (pfd[1].revents & POLLIN) {
            int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (c < 0 && errno != EINTR && errno != ECONNABORTED && errno != EAGAIN)
                goto out;
            if (c >= 0 && nclients == US_MAX_CLIENTS)
                close(c); /* full: refuse, the client reads end of file */
            else if (c >= 0)
                pfd[2 + nclients++] = (struct pollfd){.fd = c, .events = POLLIN};
        }
        for (nfds_t i = 2; i < 2 + nclients;) {
            int gone = 0;
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                char buf[4096];
                ssize_t n = recv(pfd[i].fd, buf, sizeof buf, 0);
                if (n < 0 && errno == EINTR)
                    n = -2; /* try again on the next round */
                if (n == 0 || n == -1 ||
                    (n > 0 && echo_upper(pfd[i].fd, buf, (size_t)n) < 0))
                    gone = 1;
            }
            if (gone) {
                close(pfd[i].fd);
                pfd[i] = pfd[1 + nclients]; /* move the last client here */
                nclients--;
                continue; /* look at the moved entry too (its revents came along) */
            }
            i++;
        }
    }
out:
    for (nfds_t i = 2; i < 2 + nclients; i++)
        close_keep_errno(pfd[i].fd);
    return rc;
}
