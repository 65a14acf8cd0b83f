/* vgsink.c - valgrind's logs over a datagram socket, one log per sending process. */
#include "engine/vgsink.h"
#include "hang/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Caps: valgrind's logs of a run are kilobytes; these only bound a flood. */
#define PROC_MAX_BYTES  (8u << 20)
#define TOTAL_MAX_BYTES (64u << 20)
#define MAX_PROCS       4096

/* What one process sent. */
struct vgsink_proc {
    bool named_test; /* it printed its IPCLAB-TEST line */
    pid_t sender;    /* kernel-given pid (the grader's namespace) */
    pid_t ppid, sid; /* its parent and session then (/proc/PID/stat) */
    char *text;
    size_t len;
};

/* The record of sender, made on its first datagram; NULL at the cap. */
static struct vgsink_proc *proc_of(struct vgsink *s, pid_t sender)
{
    for (size_t i = s->nprocs; i-- > 0;)
        if (s->procs[i].sender == sender)
            return &s->procs[i];
    if (s->nprocs == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct vgsink_proc *p =
            cap <= MAX_PROCS ? realloc(s->procs, cap * sizeof *p) : NULL;
        if (p == NULL)
            return NULL;
        s->procs = p;
        s->cap = cap;
    }
    struct vgsink_proc *p = &s->procs[s->nprocs++];
    *p = (struct vgsink_proc){false, sender, 0, 0, NULL, 0};
    struct procfs_stat stat; /* its family now, while it is alive to ask */
    if (procfs_read_stat(sender, 0, &stat) == 0) {
        p->ppid = stat.ppid;
        p->sid = stat.sid;
    }
    return p;
}

/*
 * Keep one datagram of sender's log (valgrind writes a line a datagram).
 * Its own "Parent PID:" lines name pids of the sandbox's namespace, and a
 * forked child has none: the parent is written at the end instead.
 */
static void keep(struct vgsink *s, pid_t sender, const char *buf, size_t n)
{
    if (memmem(buf, n, "== Parent PID: ", 15) != NULL)
        return;
    struct vgsink_proc *p = proc_of(s, sender);
    if (p != NULL && memmem(buf, n, "IPCLAB-TEST ", 12) != NULL)
        p->named_test = true;
    if (p != NULL && p->named_test && memmem(buf, n, "ERROR SUMMARY", 13) != NULL)
        __atomic_add_fetch(&s->finished, 1, __ATOMIC_RELAXED);
    if (p == NULL || p->len + n > PROC_MAX_BYTES || s->total + n > TOTAL_MAX_BYTES) {
        s->cut = true;
        return;
    }
    char *t = realloc(p->text, p->len + n + 1);
    if (t == NULL) {
        s->cut = true;
        return;
    }
    memcpy(t + p->len, buf, n);
    p->text = t;
    p->len += n;
    t[p->len] = '\0';
    s->total += n;
}

/*
 * Read every datagram waiting, after waiting at most timeout_ms for the first.
 * Returns how many. The buffer is this call's own: every sink has a reader
 * thread, and a buffer they shared would hand one sink's lines to the sender
 * another sink just read.
 */
static int drain(struct vgsink *s, int timeout_ms)
{
    char buf[65536];
    int got = 0;
    for (;;) {
        struct pollfd pfd = {s->recv_fd, POLLIN, 0};
        if (poll(&pfd, 1, got == 0 ? timeout_ms : 0) <= 0)
            return got;
        char control[CMSG_SPACE(sizeof(struct ucred))];
        struct iovec iov = {buf, sizeof buf};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control,
                             .msg_controllen = sizeof control};
        ssize_t n = recvmsg(s->recv_fd, &msg, MSG_DONTWAIT);
        if (n < 0)
            return got;
        got++;
        pid_t sender = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                struct ucred cred;
                memcpy(&cred, CMSG_DATA(c), sizeof cred);
                sender = cred.pid;
            }
        if (sender > 0 && n > 0)
            keep(s, sender, buf, (size_t)n);
    }
}

/* The reader thread: keep the socket drained so valgrind never waits on it. */
static void *reader(void *arg)
{
    struct vgsink *s = arg;
    while (!s->stop)
        drain(s, 100);
    return NULL;
}

int vgsink_open(struct vgsink *s)
{
    memset(s, 0, sizeof *s);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
        return -1;
    int on = 1;
    int size = 4 << 20;
    setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        errno = e;
        return -1;
    }
    s->recv_fd = sv[0];
    s->send_fd = sv[1];
    int rc = pthread_create(&s->thread, NULL, reader, s);
    if (rc != 0) {
        close(sv[0]);
        close(sv[1]);
        errno = rc;
        return -1;
    }
    s->running = true;
    return 0;
}

/* Is pid one of the senders? */
static bool known(const struct vgsink *s, pid_t pid)
{
    for (size_t i = 0; pid > 0 && i < s->nprocs; i++)
        if (s->procs[i].sender == pid)
            return true;
    return false;
}

/*
 * Write one process's log as dir/SENDER.log, headed by its parent: the
 * process that forked it if that one logged too, else the leader of its
 * session (a test's child leads one; its parent may be gone by the time a
 * grandchild first writes), else the parent it had.
 */
static int write_log(const struct vgsink *s, const char *dir, const struct vgsink_proc *p)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%d.log", dir, (int)p->sender);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    pid_t parent = known(s, p->ppid)                         ? p->ppid
                   : known(s, p->sid) && p->sid != p->sender ? p->sid
                                                             : p->ppid;
    /* The blank line ends the header, as in a log valgrind opened itself. */
    dprintf(fd, "==%d== Parent PID: %d\n==%d== \n", (int)p->sender, (int)parent,
            (int)p->sender);
    size_t done = 0;
    while (done < p->len) {
        ssize_t n = write(fd, p->text + done, p->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    return close(fd) == 0 && done == p->len ? 0 : -1;
}

size_t vgsink_finished(const struct vgsink *s)
{
    return __atomic_load_n(&s->finished, __ATOMIC_RELAXED);
}

int vgsink_close(struct vgsink *s, const char *dir)
{
    if (s->send_fd >= 0)
        close(s->send_fd);
    s->send_fd = -1;
    if (s->running) {
        s->stop = true;
        pthread_join(s->thread, NULL);
        s->running = false;
    }
    while (drain(s, 0) > 0)
        ;
    close(s->recv_fd);
    int written = 0;
    for (size_t i = 0; i < s->nprocs; i++) {
        if (dir != NULL && s->procs[i].len > 0 && write_log(s, dir, &s->procs[i]) == 0)
            written++;
    }
    for (size_t i = 0; i < s->nprocs; i++)
        free(s->procs[i].text);
    free(s->procs);
    s->procs = NULL;
    s->nprocs = s->cap = 0;
    return dir != NULL && written == 0 && s->total > 0 ? -1 : written;
}
