/* unixsock.c - lab 07 skeleton: your Unix domain socket code goes here. */
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

/* ===================================================================== */
/*  Functions you implement                                              */
/* ===================================================================== */

int count_reads(int type, const char *const msgs[], size_t n, size_t rbuf, size_t sizes[],
                size_t max)
{
    /* TODO(lab07): socketpair(type), send every message, recv until EAGAIN. */
    (void)type, (void)msgs, (void)n, (void)rbuf, (void)sizes, (void)max;
    errno = ENOSYS;
    return -1;
}

int us_listen(const char *path, int type, int backlog)
{
    /* TODO(lab07): fill a sockaddr_un ('@' = abstract), bind (replace a stale
       socket file), listen. */
    (void)path, (void)type, (void)backlog;
    errno = ENOSYS;
    return -1;
}

int us_connect(const char *path, int type)
{
    /* TODO(lab07): same address rules as us_listen, then connect. */
    (void)path, (void)type;
    errno = ENOSYS;
    return -1;
}

ssize_t send_fds(int sock, const int *fds, size_t nfds, const void *data, size_t len)
{
    /* TODO(lab07): one sendmsg with data and an SCM_RIGHTS control message. */
    (void)sock, (void)fds, (void)nfds, (void)data, (void)len;
    errno = ENOSYS;
    return -1;
}

ssize_t recv_fds(int sock, void *buf, size_t len, int *fds, size_t maxfds, size_t *nfds)
{
    /* TODO(lab07): recvmsg with MSG_CMSG_CLOEXEC, collect the SCM_RIGHTS fds. */
    (void)sock, (void)buf, (void)len, (void)fds, (void)maxfds, (void)nfds;
    errno = ENOSYS;
    return -1;
}

int accept_peer(int lfd, uid_t allowed_uid, struct ucred *cred)
{
    /* TODO(lab07): accept, getsockopt(SO_PEERCRED), refuse the wrong uid. */
    (void)lfd, (void)allowed_uid, (void)cred;
    errno = ENOSYS;
    return -1;
}

ssize_t send_creds(int sock, const void *data, size_t len, const struct ucred *claim)
{
    /* TODO(lab07): one sendmsg with an SCM_CREDENTIALS control message. */
    (void)sock, (void)data, (void)len, (void)claim;
    errno = ENOSYS;
    return -1;
}

ssize_t recv_creds(int sock, void *buf, size_t len, struct ucred *cred)
{
    /* TODO(lab07): SO_PASSCRED on, one recvmsg, copy the SCM_CREDENTIALS ucred. */
    (void)sock, (void)buf, (void)len, (void)cred;
    errno = ENOSYS;
    return -1;
}

int echo_server(int lfd, int stop_fd)
{
    /* TODO(lab07): a poll loop over stop_fd, lfd and every client. */
    (void)lfd, (void)stop_fd;
    errno = ENOSYS;
    return -1;
}
