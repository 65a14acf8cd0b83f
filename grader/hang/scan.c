/* scan.c - why-it-hung's scan: the system-call table and what /proc says of each process.
 */
#include "hang/hang_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sched.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* System calls                                                             */
/* ------------------------------------------------------------------------ */

/* Grouped by kind of wait; SC(call, name, kind) is SYS_call, shown as name. The calls
   of the old ABI exist together or not at all (arm64 and riscv have only the new
   ones: ppoll, pselect6, epoll_pwait, openat, rt_sigsuspend). */
/* clang-format off */
#define SC(call, name, kind) {SYS_##call, (name), K_##kind}
static const struct sc_info sc_table[] = {
    SC(read, "read", READ), SC(readv, "readv", READ), SC(pread64, "pread", READ),
    SC(preadv, "preadv", READ),
    SC(write, "write", WRITE), SC(writev, "writev", WRITE), SC(pwrite64, "pwrite", WRITE),
    SC(pwritev, "pwritev", WRITE),
    SC(recvfrom, "recv", RECV), SC(recvmsg, "recvmsg", RECV), SC(sendto, "send", SEND),
    SC(sendmsg, "sendmsg", SEND),
    SC(accept, "accept", ACCEPT), SC(accept4, "accept4", ACCEPT),
    SC(connect, "connect", CONNECT),
    SC(ppoll, "ppoll", POLL), SC(pselect6, "pselect", SELECT),
    SC(epoll_pwait, "epoll_pwait", EPOLL),
    SC(openat, "open", OPENAT), SC(wait4, "waitpid", WAIT), SC(waitid, "waitid", WAITID),
    SC(futex, "futex", FUTEX), SC(semtimedop, "semop", SEMOP),
    SC(msgrcv, "msgrcv", MSGRCV), SC(msgsnd, "msgsnd", MSGSND),
    SC(mq_timedreceive, "mq_receive", MQRECV), SC(mq_timedsend, "mq_send", MQSEND),
    SC(nanosleep, "nanosleep", SLEEP), SC(clock_nanosleep, "clock_nanosleep", CLOCKSLEEP),
    SC(rt_sigsuspend, "sigsuspend", SIGWAIT), SC(rt_sigtimedwait, "sigwait", SIGWAIT),
    SC(fcntl, "fcntl", LOCK), SC(flock, "flock", LOCK),
#ifdef SYS_open
    SC(poll, "poll", POLL), SC(select, "select", SELECT), SC(open, "open", OPEN),
    SC(epoll_wait, "epoll_wait", EPOLL), SC(pause, "pause", PAUSE),
#endif
#ifdef SYS_semop /* i386 has only ipc(2) */
    SC(semop, "semop", SEMOP),
#endif
};
/* clang-format on */
#undef SC

/* The table entry for nr, or NULL. */
const struct sc_info *sc_lookup(long nr)
{
    for (size_t i = 0; i < sizeof sc_table / sizeof sc_table[0]; i++)
        if (sc_table[i].nr == nr)
            return &sc_table[i];
    return NULL;
}

/* The process of the test with this pid, or NULL. */
struct hproc *proc_find(struct hctx *c, pid_t pid)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->procs[i].pid == pid)
            return &c->procs[i];
    return NULL;
}

/* The fd entry fd of p, or NULL. */
struct hfd *fd_find(struct hproc *p, long fd)
{
    for (size_t i = 0; i < p->nfds; i++)
        if (p->fds[i].fd == fd)
            return &p->fds[i];
    return NULL;
}

/* Is pid a number directory name? Returns the pid or 0. */
pid_t pid_of_name(const char *name)
{
    if (!isdigit((unsigned char)name[0]))
        return 0;
    char *end;
    long v = strtol(name, &end, 10);
    return *end == '\0' && v > 0 && v <= INT_MAX ? (pid_t)v : 0;
}

/*
 * grow - arr (n elements of size bytes in use, room for *cap) with room for
 * one more: the same array, or a larger one (first elements, then double).
 * Returns NULL and sets c->oom when memory runs out (arr is then kept).
 */
static void *grow(struct hctx *c, void *arr, size_t n, size_t *cap, size_t size,
                  size_t first)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap ? 2 * *cap : first;
    void *grown = realloc(arr, ncap * size);
    if (grown == NULL) {
        c->oom = 1;
        return NULL;
    }
    *cap = ncap;
    return grown;
}

/* Append one holder to c->holders (sets c->oom on failure). */
static void add_holder(struct hctx *c, const struct holder *h)
{
    struct holder *all =
        grow(c, c->holders, c->nholders, &c->capholders, sizeof *all, 256);
    if (all == NULL)
        return;
    c->holders = all;
    c->holders[c->nholders++] = *h;
}

/*
 * scan_fds - read the fds of process pid. Every pipe, FIFO or socket goes to
 * c->holders; if p is not NULL (a process of the test) every fd also goes to
 * p->fds with its link text and access mode.
 */
static void scan_fds(struct hctx *c, pid_t pid, struct hproc *p)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        int fd = atoi(e->d_name);
        char link[64];
        snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, fd);
        struct stat st;
        if (stat(link, &st) < 0)
            memset(&st, 0, sizeof st);
        mode_t type = st.st_mode & S_IFMT;
        int interesting = type == S_IFIFO || type == S_IFSOCK;
        if (!interesting && p == NULL)
            continue;
        int acc = interesting || p != NULL ? procfs_fd_access(pid, fd) : -1;
        if (interesting) {
            struct holder h = {pid, fd, st.st_dev, st.st_ino, acc, type};
            add_holder(c, &h);
        }
        if (p == NULL)
            continue;
        struct hfd *fds = grow(c, p->fds, p->nfds, &cap, sizeof *fds, 16);
        if (fds == NULL)
            break;
        p->fds = fds;
        struct hfd *f = &p->fds[p->nfds++];
        memset(f, 0, sizeof *f);
        f->fd = fd;
        ssize_t n = readlink(link, f->target, sizeof f->target - 1);
        f->target[n > 0 ? n : 0] = '\0';
        f->dev = st.st_dev;
        f->ino = st.st_ino;
        f->type = type;
        f->acc = acc;
    }
    closedir(d);
}

/* Order fds by number, for reports that read well. */
static int cmp_fd(const void *a, const void *b)
{
    const struct hfd *x = a, *y = b;
    return (x->fd > y->fd) - (x->fd < y->fd);
}

/*
 * no_syscall_file - act as if /proc/PID/syscall were unreadable, as it is
 * under Yama ptrace_scope >= 1 for a process that is not our descendant.
 * Set IPCLAB_HANG_NO_SYSCALL=1 to test the wchan fallback.
 */
static int no_syscall_file(void)
{
    const char *v = getenv("IPCLAB_HANG_NO_SYSCALL");
    return v != NULL && strcmp(v, "1") == 0;
}

/* Read the threads of p: state, system call and wchan of each. */
static void scan_threads(struct hctx *c, struct hproc *p)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)p->pid);
    DIR *d = opendir(path);
    size_t cap = 0;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        pid_t tid = pid_of_name(e->d_name);
        if (tid == 0)
            continue;
        struct hthread *th = grow(c, p->th, p->nth, &cap, sizeof *th, 4);
        if (th == NULL)
            break;
        p->th = th;
        struct hthread *t = &p->th[p->nth];
        memset(t, 0, sizeof *t);
        t->tid = tid;
        struct procfs_stat st;
        if (procfs_read_stat(p->pid, tid, &st) < 0)
            continue;
        t->state = st.state;
        procfs_read_syscall(p->pid, tid, &t->sc);
        if (no_syscall_file())
            t->sc.status = PROCFS_SC_UNKNOWN;
        procfs_read_wchan(p->pid, tid, t->wchan, sizeof t->wchan);
        p->nth++;
    }
    if (d != NULL)
        closedir(d);
    /* The main thread (tid == pid) first: it is what a student thinks of. */
    for (size_t i = 1; i < p->nth; i++)
        if (p->th[i].tid == p->pid) {
            struct hthread tmp = p->th[0];
            p->th[0] = p->th[i];
            p->th[i] = tmp;
        }
}

/* Is target the link text of an anonymous pipe? */
int is_anon_pipe(const struct hfd *f)
{
    return strncmp(f->target, "pipe:[", 6) == 0;
}

/*
 * pipe_fill - how many bytes wait in an anonymous pipe and its capacity,
 * by opening a new read end through /proc/PID/fd/FD without blocking
 * (FIONREAD, F_GETPIPE_SZ). Never done for named FIFOs: an open there could
 * complete another process's rendezvous. Returns 0, or -1.
 */
int pipe_fill(pid_t pid, const struct hfd *f, int *queued, int *size)
{
    if (!is_anon_pipe(f))
        return -1;
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, f->fd);
    int fd = open(link, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = ioctl(fd, FIONREAD, queued);
    *size = fcntl(fd, F_GETPIPE_SZ);
    close(fd);
    return rc < 0 || *size < 0 ? -1 : 0;
}

/*
 * socket_listens - is socket inode ino (in pid's network namespace) a
 * listening socket? Unix sockets carry __SO_ACCEPTCON (0x10000) in the
 * Flags column of net/unix, TCP ones state 0A in net/tcp. Returns 1 or 0.
 */
int socket_listens(pid_t pid, ino_t ino)
{
    static const char *const tables[] = {"unix", "tcp", "tcp6"};
    char path[64], line[512];
    int listens = 0, found = 0;
    for (size_t i = 0; i < 3 && !found; i++) {
        snprintf(path, sizeof path, "/proc/%d/net/%s", (int)pid, tables[i]);
        FILE *f = fopen(path, "re");
        while (f != NULL && !found && fgets(line, sizeof line, f) != NULL) {
            unsigned long inode = 0, flags = 0;
            unsigned int st = 0;
            if (i == 0)
                found =
                    sscanf(line, "%*s %*s %*s %lx %*x %*x %lu", &flags, &inode) == 2 &&
                    inode == (unsigned long)ino;
            else
                found = sscanf(line, "%*s %*s %*s %x %*s %*s %*s %*s %*s %lu", &st,
                               &inode) == 2 &&
                        inode == (unsigned long)ino;
            if (found)
                listens = i == 0 ? (flags & 0x10000) != 0 : st == 0x0A;
        }
        if (f != NULL)
            fclose(f);
    }
    return listens;
}

/*
 * the_fd - the fd of p a thread most likely sleeps on: the only pipe or FIFO
 * open for reading (want O_RDONLY) that is empty, or for writing (O_WRONLY)
 * that is full, or the only (listening, if listening) socket (want -1).
 * Returns it, or -1 if none or several fit.
 */
static int the_fd(const struct hproc *p, int want, int listening)
{
    int found = -1, count = 0;
    for (size_t i = 0; i < p->nfds; i++) {
        const struct hfd *f = &p->fds[i];
        int match;
        if (want < 0) {
            match = f->type == S_IFSOCK && socket_listens(p->pid, f->ino) == listening;
        } else {
            int queued, size;
            match = f->type == S_IFIFO && (f->acc == want || f->acc == O_RDWR);
            if (match && pipe_fill(p->pid, f, &queued, &size) == 0)
                match = want == O_RDONLY ? queued == 0 : queued >= size;
        }
        if (match) {
            found = f->fd;
            count++;
        }
    }
    return count == 1 ? found : -1;
}

/*
 * infer_from_wchan - when /proc/PID/syscall is unreadable, guess the system
 * call from the kernel function the thread sleeps in, and its fd from the
 * process's fds when only one fits. Sets t->inferred; leaves t alone when
 * wchan says nothing we know.
 */
static void infer_from_wchan(const struct hproc *p, struct hthread *t)
{
    static const struct {
        const char *wchan; /* a substring of the kernel function ("=": all of it) */
        long nr;
        int fd_kind; /* 0: no fd, else O_RDONLY + 1, O_WRONLY + 1, 8 listening socket,
                        9 other socket */
    } guesses[] = {
        /* clang-format off */
        /* The first that matches wins: accept before recv. */
        {"pipe_read", SYS_read, O_RDONLY + 1}, {"pipe_write", SYS_write, O_WRONLY + 1},
        {"wait_for_partner", SYS_openat, 0}, {"fifo_open", SYS_openat, 0},
        {"futex", SYS_futex, 0}, {"=do_wait", SYS_wait4, 0}, {"msgrcv", SYS_msgrcv, 0},
        {"msgsnd", SYS_msgsnd, 0}, {"semtimedop", SYS_semtimedop, 0},
        {"nanosleep", SYS_nanosleep, 0}, {"sigsuspend", SYS_rt_sigsuspend, 0},
        {"sigtimedwait", SYS_rt_sigtimedwait, 0},
        {"accept", SYS_accept, 8}, {"wait_for_more_packets", SYS_accept, 8},
        {"unix_stream_read", SYS_recvfrom, 9}, {"unix_stream_data_wait", SYS_recvfrom, 9},
        {"wait_for_more_packets", SYS_recvfrom, 9}, {"sk_wait_data", SYS_recvfrom, 9},
#ifdef SYS_pause
        {"pause", SYS_pause, 0},
#endif
        /* clang-format on */
    };
    if (t->sc.status != PROCFS_SC_UNKNOWN || t->wchan[0] == '\0')
        return;
    for (size_t i = 0; i < sizeof guesses / sizeof guesses[0]; i++) {
        const char *w = guesses[i].wchan;
        if (w[0] == '=' ? strcmp(t->wchan, w + 1) != 0 : strstr(t->wchan, w) == NULL)
            continue;
        memset(&t->sc, 0, sizeof t->sc);
        t->sc.status = PROCFS_SC_BLOCKED;
        t->sc.nr = guesses[i].nr;
        t->sc.args[0] = (unsigned long)-1;
        int kind = guesses[i].fd_kind;
        if (kind != 0) {
            int fd = kind >= 8 ? the_fd(p, -1, kind == 8) : the_fd(p, kind - 1, 0);
            if (fd < 0) {
                t->sc.status = PROCFS_SC_UNKNOWN; /* which fd is not clear */
                continue;
            }
            t->sc.args[0] = (unsigned long)fd;
        }
        t->inferred = 1;
        return;
    }
}

/* Read every process of the test, then the pipe/socket fds of all of /proc. */
void scan_all(struct hctx *c)
{
    for (size_t i = 0; i < c->n; i++) {
        struct hproc *p = &c->procs[i];
        p->alive = procfs_read_stat(p->pid, 0, &p->st) == 0;
        if (!p->alive)
            continue;
        scan_threads(c, p);
        scan_fds(c, p->pid, p);
        if (p->nfds > 1)
            qsort(p->fds, p->nfds, sizeof p->fds[0], cmp_fd);
        for (size_t j = 0; j < p->nth; j++)
            infer_from_wchan(p, &p->th[j]);
    }
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        pid_t pid = pid_of_name(e->d_name);
        if (pid != 0 && proc_find(c, pid) == NULL)
            scan_fds(c, pid, NULL);
    }
    if (d != NULL)
        closedir(d);
    /* The test's own fds were added to holders during the first loop. */
}
