/* hang.c - "why it hung": read /proc for a stuck test's processes and name the cause. */
#include "hang.h"
#include "procfs.h"

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
/* Growing strings                                                          */
/* ------------------------------------------------------------------------ */

/* A malloc'd string that grows; once an allocation fails it stays failed. */
struct sbuf {
    char *s;    /* NUL-terminated text, or NULL before the first append */
    size_t len; /* strlen(s) */
    size_t cap; /* bytes allocated */
    int failed; /* an allocation failed: the text is incomplete */
};

/* Append printf-style text to b; on allocation failure sets b->failed. */
static void sb_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + (size_t)n + 1 > cap)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (s == NULL) {
            b->failed = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    if ((size_t)n < sizeof small) {
        memcpy(b->s + b->len, small, (size_t)n + 1);
    } else {
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

/* Take the text out of b (caller frees); NULL if any append failed. */
static char *sb_take(struct sbuf *b)
{
    if (b->failed || b->s == NULL) {
        if (!b->failed && b->s == NULL)
            return strdup("");
        free(b->s);
        b->s = NULL;
        return NULL;
    }
    char *s = b->s;
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

/* ------------------------------------------------------------------------ */
/* System calls                                                             */
/* ------------------------------------------------------------------------ */

/* What kind of wait a system call is; decides how its arguments are read. */
enum sc_kind {
    K_OTHER,
    K_READ,       /* read/readv/pread: args[0] is the fd */
    K_WRITE,      /* write/writev/pwrite: args[0] is the fd */
    K_RECV,       /* recvfrom/recvmsg: args[0] is the socket */
    K_SEND,       /* sendto/sendmsg: args[0] is the socket */
    K_ACCEPT,     /* accept/accept4: args[0] is the listening socket */
    K_CONNECT,    /* connect: args[0] is the socket */
    K_POLL,       /* poll/ppoll: args[0] struct pollfd *, args[1] nfds */
    K_SELECT,     /* select/pselect6: args[0] nfds, args[1..3] fd_set * */
    K_EPOLL,      /* epoll_wait/epoll_pwait: args[0] is the epoll fd */
    K_OPEN,       /* open: args[0] path, args[1] flags */
    K_OPENAT,     /* openat: args[1] path, args[2] flags */
    K_WAIT,       /* wait4: args[0] pid */
    K_WAITID,     /* waitid: args[0] idtype, args[1] id */
    K_FUTEX,      /* futex: args[0] address, args[1] op */
    K_SEMOP,      /* semop/semtimedop: args[0] semid, args[1] sops, args[2] nsops */
    K_MSGRCV,     /* msgrcv: args[0] msqid, args[3] msgtyp */
    K_MSGSND,     /* msgsnd: args[0] msqid */
    K_MQRECV,     /* mq_timedreceive: args[0] mqd */
    K_MQSEND,     /* mq_timedsend: args[0] mqd */
    K_SLEEP,      /* nanosleep: args[0] timespec * */
    K_CLOCKSLEEP, /* clock_nanosleep: args[2] timespec * */
    K_PAUSE,      /* pause */
    K_SIGWAIT,    /* rt_sigsuspend / rt_sigtimedwait */
    K_LOCK,       /* fcntl(F_SETLKW) / flock */
};

/* One entry of the system call table. */
struct sc_info {
    long nr;          /* native number from <sys/syscall.h> */
    const char *name; /* the libc call a student would have written */
    enum sc_kind kind;
};

static const struct sc_info sc_table[] = {
    {SYS_read, "read", K_READ},
    {SYS_readv, "readv", K_READ},
    {SYS_pread64, "pread", K_READ},
    {SYS_preadv, "preadv", K_READ},
    {SYS_write, "write", K_WRITE},
    {SYS_writev, "writev", K_WRITE},
    {SYS_pwrite64, "pwrite", K_WRITE},
    {SYS_pwritev, "pwritev", K_WRITE},
    {SYS_recvfrom, "recv", K_RECV},
    {SYS_recvmsg, "recvmsg", K_RECV},
    {SYS_sendto, "send", K_SEND},
    {SYS_sendmsg, "sendmsg", K_SEND},
    {SYS_accept, "accept", K_ACCEPT},
    {SYS_accept4, "accept4", K_ACCEPT},
    {SYS_connect, "connect", K_CONNECT},
#ifdef SYS_poll
    {SYS_poll, "poll", K_POLL},
#endif
    {SYS_ppoll, "ppoll", K_POLL},
#ifdef SYS_select
    {SYS_select, "select", K_SELECT},
#endif
    {SYS_pselect6, "pselect", K_SELECT},
#ifdef SYS_epoll_wait
    {SYS_epoll_wait, "epoll_wait", K_EPOLL},
#endif
    {SYS_epoll_pwait, "epoll_pwait", K_EPOLL},
#ifdef SYS_open
    {SYS_open, "open", K_OPEN},
#endif
    {SYS_openat, "open", K_OPENAT},
    {SYS_wait4, "waitpid", K_WAIT},
    {SYS_waitid, "waitid", K_WAITID},
    {SYS_futex, "futex", K_FUTEX},
#ifdef SYS_semop
    {SYS_semop, "semop", K_SEMOP},
#endif
    {SYS_semtimedop, "semop", K_SEMOP},
    {SYS_msgrcv, "msgrcv", K_MSGRCV},
    {SYS_msgsnd, "msgsnd", K_MSGSND},
    {SYS_mq_timedreceive, "mq_receive", K_MQRECV},
    {SYS_mq_timedsend, "mq_send", K_MQSEND},
    {SYS_nanosleep, "nanosleep", K_SLEEP},
    {SYS_clock_nanosleep, "clock_nanosleep", K_CLOCKSLEEP},
#ifdef SYS_pause
    {SYS_pause, "pause", K_PAUSE},
#endif
    {SYS_rt_sigsuspend, "sigsuspend", K_SIGWAIT},
    {SYS_rt_sigtimedwait, "sigwait", K_SIGWAIT},
    {SYS_fcntl, "fcntl", K_LOCK},
    {SYS_flock, "flock", K_LOCK},
};

/* The table entry for nr, or NULL. */
static const struct sc_info *sc_lookup(long nr)
{
    for (size_t i = 0; i < sizeof sc_table / sizeof sc_table[0]; i++)
        if (sc_table[i].nr == nr)
            return &sc_table[i];
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* What we read from /proc                                                  */
/* ------------------------------------------------------------------------ */

/* One open file descriptor of a process of the test. */
struct hfd {
    int fd;
    char target[160]; /* readlink: "pipe:[N]", "socket:[N]", a path */
    dev_t dev;        /* what the fd refers to (stat through the link) */
    ino_t ino;
    mode_t type; /* S_IFIFO, S_IFSOCK, S_IFREG, ... (0: unknown) */
    int acc;     /* O_RDONLY, O_WRONLY, O_RDWR, or -1 */
};

/* One fd of any process on the system that refers to a pipe, FIFO or socket. */
struct holder {
    pid_t pid;
    int fd;
    dev_t dev;
    ino_t ino;
    int acc;     /* access mode, -1 unknown */
    mode_t type; /* S_IFIFO or S_IFSOCK */
};

/* One thread of a process of the test. */
struct hthread {
    pid_t tid;
    char state;
    struct procfs_syscall sc;
    char wchan[64];
    int inferred; /* sc was guessed from wchan: only sc.nr (and an fd) are known */
};

/* One process of the test and the diagnosis made for it. */
struct hproc {
    pid_t pid;
    struct procfs_stat st;
    int alive; /* /proc/PID/stat was readable */
    struct hfd *fds;
    size_t nfds;
    struct hthread *th;
    size_t nth;
    int rank;       /* how sure and how much to the point the diagnosis is */
    char *sentence; /* the diagnosis (malloc'd), NULL if none */
    char *doing;    /* short phrase: "is blocked in waitpid()" (malloc'd) */
};

/* Everything one hang_explain call reads. */
struct hctx {
    struct hproc *procs;
    size_t n;
    struct holder *holders; /* pipes, FIFOs and sockets of every process */
    size_t nholders;
    size_t capholders;
    int oom;
    int visiting; /* recursion guard for wait chains */
};

enum {
    RANK_NONE = 0,    /* nothing known */
    RANK_FACT = 1,    /* a factual description */
    RANK_CHAIN = 2,   /* waits for another process that is stuck */
    RANK_PATTERN = 3, /* a known mistake, explained */
};

/* The process of the test with this pid, or NULL. */
static struct hproc *proc_find(struct hctx *c, pid_t pid)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->procs[i].pid == pid)
            return &c->procs[i];
    return NULL;
}

/* The fd entry fd of p, or NULL. */
static struct hfd *fd_find(struct hproc *p, long fd)
{
    for (size_t i = 0; i < p->nfds; i++)
        if (p->fds[i].fd == fd)
            return &p->fds[i];
    return NULL;
}

/* Is pid a number directory name? Returns the pid or 0. */
static pid_t pid_of_name(const char *name)
{
    if (!isdigit((unsigned char)name[0]))
        return 0;
    char *end;
    long v = strtol(name, &end, 10);
    return *end == '\0' && v > 0 && v <= INT_MAX ? (pid_t)v : 0;
}

/* Append one holder to c->holders (sets c->oom on failure). */
static void add_holder(struct hctx *c, const struct holder *h)
{
    if (c->nholders == c->capholders) {
        size_t cap = c->capholders ? 2 * c->capholders : 256;
        struct holder *n = realloc(c->holders, cap * sizeof *n);
        if (n == NULL) {
            c->oom = 1;
            return;
        }
        c->holders = n;
        c->capholders = cap;
    }
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
        if (p->nfds == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            struct hfd *n = realloc(p->fds, ncap * sizeof *n);
            if (n == NULL) {
                c->oom = 1;
                break;
            }
            p->fds = n;
            cap = ncap;
        }
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
        if (p->nth == cap) {
            size_t ncap = cap ? 2 * cap : 4;
            struct hthread *n = realloc(p->th, ncap * sizeof *n);
            if (n == NULL) {
                c->oom = 1;
                break;
            }
            p->th = n;
            cap = ncap;
        }
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

static void infer_from_wchan(const struct hproc *p, struct hthread *t);

/* Read every process of the test, then the pipe/socket fds of all of /proc. */
static void scan_all(struct hctx *c)
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

/* ------------------------------------------------------------------------ */
/* Words                                                                    */
/* ------------------------------------------------------------------------ */

/* "read end", "write end" or "both ends" for an access mode. */
static const char *end_word(int acc)
{
    switch (acc) {
    case O_RDONLY:
        return "read end";
    case O_WRONLY:
        return "write end";
    case O_RDWR:
        return "both ends (O_RDWR)";
    default:
        return "unknown end";
    }
}

/* Is target the link text of an anonymous pipe? */
static int is_anon_pipe(const struct hfd *f)
{
    return strncmp(f->target, "pipe:[", 6) == 0;
}

/* Name the object behind f: "pipe:[N]", "the FIFO '/path'", "socket:[N]", ... */
static void obj_name(const struct hfd *f, char *buf, size_t len)
{
    if (f->type == S_IFIFO && !is_anon_pipe(f))
        snprintf(buf, len, "the FIFO '%s'", f->target);
    else if (f->target[0] == '/')
        snprintf(buf, len, "'%s'", f->target);
    else
        snprintf(buf, len, "%s", f->target);
}

/*
 * relation - how holder process pid relates to process w, in the words a
 * student knows: "its own process", "its parent (pid 11)", "its child (pid
 * 13)", "a sibling (pid 14, forked by your code)", "pid 15 (another process
 * of the test)" or "pid 9 (criterion, outside the test)".
 */
static void relation(struct hctx *c, const struct hproc *w, pid_t pid, char *buf,
                     size_t len)
{
    const struct hproc *h = proc_find(c, pid);
    struct procfs_stat st;
    if (pid == w->pid) {
        snprintf(buf, len, "its own process");
    } else if (h == NULL) {
        if (procfs_read_stat(pid, 0, &st) < 0)
            snprintf(st.comm, sizeof st.comm, "?");
        snprintf(buf, len, "pid %d (%s, %soutside the test)", (int)pid, st.comm,
                 pid == w->st.ppid ? "its parent, " : "");
    } else if (pid == w->st.ppid) {
        snprintf(buf, len, "its parent (pid %d)", (int)pid);
    } else if (h->st.ppid == w->pid) {
        snprintf(buf, len, "its child (pid %d)", (int)pid);
    } else if (h->st.ppid == w->st.ppid && proc_find(c, w->st.ppid) != NULL) {
        snprintf(buf, len, "a sibling (pid %d, forked by your code)", (int)pid);
    } else {
        snprintf(buf, len, "pid %d (another process of the test)", (int)pid);
    }
}

/* The thread of p whose system call says most (a blocked one), or NULL. */
static struct hthread *main_wait(struct hproc *p)
{
    for (size_t i = 0; i < p->nth; i++)
        if (p->th[i].sc.status == PROCFS_SC_BLOCKED)
            return &p->th[i];
    return p->nth > 0 ? &p->th[0] : NULL;
}

/* The name of the call a thread sleeps in ("read", "futex"), or NULL. */
static const char *call_name(const struct hthread *t)
{
    if (t == NULL || t->sc.status != PROCFS_SC_BLOCKED)
        return NULL;
    const struct sc_info *si = sc_lookup(t->sc.nr);
    return si != NULL ? si->name : NULL;
}

/* Is process p sleeping (so it cannot act until something wakes it)? */
static int is_blocked(const struct hproc *p)
{
    if (!p->alive)
        return 0;
    for (size_t i = 0; i < p->nth; i++)
        if (p->th[i].state == 'R')
            return 0;
    return p->st.state == 'S' || p->st.state == 'D' || p->st.state == 'T' ||
           p->st.state == 't' || p->st.state == 'Z' || p->st.state == 'X';
}

/*
 * thread_stuck - can thread t do nothing until another process acts? True
 * for a sleep in a call that waits on another process (read, write,
 * waitpid, a semaphore, a queue, pause, ...); false when it runs, or waits
 * in poll(), select(), epoll or a sleep, which end by themselves.
 */
static int thread_stuck(const struct hthread *t)
{
    if (t->state == 'R' || t->sc.status != PROCFS_SC_BLOCKED)
        return t->state == 'Z' || t->state == 'X';
    const struct sc_info *si = sc_lookup(t->sc.nr);
    if (si == NULL)
        return 0;
    switch (si->kind) {
    case K_OTHER:
    case K_POLL:
    case K_SELECT:
    case K_EPOLL:
    case K_SLEEP:
    case K_CLOCKSLEEP:
        return 0;
    default:
        return 1;
    }
}

/*
 * is_stuck - can process p do nothing (so it will not write, post or send)
 * until someone else acts? Every thread but except (NULL: none excepted)
 * must be stuck; a process that has exited is stuck for good.
 */
static int is_stuck(const struct hproc *p, const struct hthread *except)
{
    if (!p->alive || p->st.state == 'Z' || p->st.state == 'X')
        return 1;
    for (size_t i = 0; i < p->nth; i++)
        if (&p->th[i] != except && !thread_stuck(&p->th[i]))
            return 0;
    return 1;
}

/* A short phrase for what p does now: "is blocked in waitpid()", "has exited". */
static void doing_phrase(struct hproc *p, char *buf, size_t len)
{
    struct hthread *t = main_wait(p);
    const char *name = call_name(t);
    if (!p->alive)
        snprintf(buf, len, "has exited");
    else if (p->st.state == 'Z' || p->st.state == 'X')
        snprintf(buf, len, "has exited (a zombie nobody reaped)");
    else if (p->st.state == 'T' || p->st.state == 't')
        snprintf(buf, len, "is stopped");
    else if (!is_blocked(p))
        snprintf(buf, len, "is running");
    else if (name != NULL)
        snprintf(buf, len, "is blocked in %s()", name);
    else if (t != NULL && t->sc.status == PROCFS_SC_BLOCKED)
        snprintf(buf, len, "is blocked in system call %ld", t->sc.nr);
    else if (t != NULL && t->wchan[0] != '\0')
        snprintf(buf, len, "is blocked in the kernel (%s)", t->wchan);
    else
        snprintf(buf, len, "is blocked");
}

/*
 * others_phrase - for a wait on an object any process could release (a
 * semaphore, a queue), say what every other process of the test does.
 * Returns the number of other processes that are running (and so might
 * still release it); the text goes to b, e.g. "its parent (pid 11) is
 * blocked in waitpid()".
 */
static int others_phrase(struct hctx *c, const struct hproc *w, struct sbuf *b)
{
    int running = 0, count = 0;
    for (size_t i = 0; i < c->n; i++) {
        struct hproc *o = &c->procs[i];
        if (o == w || !o->alive)
            continue;
        char rel[96], doing[96];
        relation(c, w, o->pid, rel, sizeof rel);
        doing_phrase(o, doing, sizeof doing);
        if (!is_stuck(o, NULL))
            running++;
        sb_printf(b, "%s%s %s", count ? ", " : "", rel, doing);
        count++;
    }
    if (count == 0)
        sb_printf(b, "there is no other process in the test");
    return running;
}

/* Append "fd 4", "fds 4 and 6" etc. for every fd of pid holding (dev, ino) with a mode.
 */
static int holder_fds(struct hctx *c, pid_t pid, dev_t dev, ino_t ino, int want_write,
                      char *buf, size_t len)
{
    int count = 0;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->nholders; i++) {
        const struct holder *h = &c->holders[i];
        if (h->pid != pid || h->dev != dev || h->ino != ino)
            continue;
        int writes = h->acc == O_WRONLY || h->acc == O_RDWR;
        int reads = h->acc == O_RDONLY || h->acc == O_RDWR;
        if (want_write ? !writes : !reads)
            continue;
        int n = snprintf(buf + used, len - used, "%s%d%s", count ? ", " : "", h->fd,
                         h->acc == O_RDWR && h->type == S_IFIFO ? " opened O_RDWR" : "");
        if (n > 0 && used + (size_t)n < len)
            used += (size_t)n;
        count++;
    }
    return count;
}

/* The distinct pids holding (dev, ino) for writing (or reading), in order found. */
static size_t holder_pids(struct hctx *c, dev_t dev, ino_t ino, int want_write,
                          pid_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nholders; i++) {
        const struct holder *h = &c->holders[i];
        if (h->dev != dev || h->ino != ino)
            continue;
        int writes = h->acc == O_WRONLY || h->acc == O_RDWR;
        int reads = h->acc == O_RDONLY || h->acc == O_RDWR;
        if (want_write ? !writes : !reads)
            continue;
        size_t j = 0;
        while (j < n && out[j] != h->pid)
            j++;
        if (j == n && n < max)
            out[n++] = h->pid;
    }
    return n;
}

/*
 * list_holders - "its own process (fd 4) and its parent (pid 11, fd 5)":
 * every process holding (dev, ino) for writing (want_write) or reading,
 * relative to w. Returns the number of processes.
 */
static size_t list_holders(struct hctx *c, struct hproc *w, dev_t dev, ino_t ino,
                           int want_write, struct sbuf *b, int say_doing)
{
    pid_t pids[32];
    size_t n = holder_pids(c, dev, ino, want_write, pids, 32);
    for (size_t i = 0; i < n; i++) {
        char rel[96], fds[96];
        relation(c, w, pids[i], rel, sizeof rel);
        int nf = holder_fds(c, pids[i], dev, ino, want_write, fds, sizeof fds);
        /* "its parent (pid 11)" -> "its parent (pid 11, fd 5)" */
        size_t rl = strlen(rel);
        const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";
        if (rl > 0 && rel[rl - 1] == ')') {
            rel[rl - 1] = '\0';
            sb_printf(b, "%s%s, fd%s %s)", sep, rel, nf > 1 ? "s" : "", fds);
        } else {
            sb_printf(b, "%s%s (fd%s %s)", sep, rel, nf > 1 ? "s" : "", fds);
        }
        struct hproc *hp = proc_find(c, pids[i]);
        if (say_doing && hp != NULL && hp != w) {
            char doing[96];
            doing_phrase(hp, doing, sizeof doing);
            sb_printf(b, ", which %s", doing);
        }
    }
    return n;
}

/* ------------------------------------------------------------------------ */
/* Diagnoses                                                                */
/* ------------------------------------------------------------------------ */

/*
 * pipe_fill - how many bytes wait in an anonymous pipe and its capacity,
 * by opening a new read end through /proc/PID/fd/FD without blocking
 * (FIONREAD, F_GETPIPE_SZ). Never done for named FIFOs: an open there could
 * complete another process's rendezvous. Returns 0, or -1.
 */
static int pipe_fill(pid_t pid, const struct hfd *f, int *queued, int *size)
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

/* Which pipe a thread reads or writes, if it sleeps in a pipe or FIFO read/write. */
static struct hfd *pipe_of(struct hproc *p, struct hthread *t, enum sc_kind want)
{
    const struct sc_info *si = sc_lookup(t->sc.nr);
    if (t->sc.status != PROCFS_SC_BLOCKED || si == NULL || si->kind != want)
        return NULL;
    struct hfd *f = fd_find(p, (long)(int)t->sc.args[0]);
    return f != NULL && f->type == S_IFIFO ? f : NULL;
}

static void diagnose(struct hctx *c, struct hproc *p);

/* Pattern: a reader blocked on a pipe or FIFO whose write end is still open. */
static int diag_pipe_read(struct hctx *c, struct hproc *p, struct hthread *t,
                          struct hfd *f, struct sbuf *b)
{
    const char *call = call_name(t);
    char obj[200];
    obj_name(f, obj, sizeof obj);
    pid_t writers[32];
    size_t nw = holder_pids(c, f->dev, f->ino, 1, writers, 32);
    int self = 0, running = 0, outside = 0;
    for (size_t i = 0; i < nw; i++) {
        struct hproc *h = proc_find(c, writers[i]);
        if (writers[i] == p->pid) {
            self = 1;
            running |= !is_stuck(p, t); /* another thread of its own may write */
        } else if (h == NULL)
            outside = 1;
        else if (!is_stuck(h, NULL))
            running = 1;
    }
    if (nw == 0) {
        sb_printf(
            b, "pid %d waits in %s() on %s (fd %d), and no process holds its write end",
            (int)p->pid, call, obj, f->fd);
        return RANK_FACT;
    }
    if (f->fd == 0 && outside && !self) {
        sb_printf(
            b,
            "pid %d waits in %s() on its standard input (%s), whose write end is held "
            "by ",
            (int)p->pid, call, obj);
        list_holders(c, p, f->dev, f->ino, 1, b, 0);
        sb_printf(b, ": a test gets no input, so do not read stdin in a test");
        return RANK_PATTERN;
    }
    /* Read-read deadlock: the only other writer waits to read from us. */
    if (!self && !running && !outside && nw == 1) {
        struct hproc *h = proc_find(c, writers[0]);
        struct hthread *ht = h != NULL ? main_wait(h) : NULL;
        struct hfd *hf = ht != NULL ? pipe_of(h, ht, K_READ) : NULL;
        pid_t back[32];
        size_t nb = hf != NULL ? holder_pids(c, hf->dev, hf->ino, 1, back, 32) : 0;
        if (nb == 1 && back[0] == p->pid) {
            char rel[96], obj2[200];
            relation(c, p, h->pid, rel, sizeof rel);
            obj_name(hf, obj2, sizeof obj2);
            sb_printf(
                b,
                "deadlock: pid %d waits in %s() on %s (fd %d) for %s to write, while "
                "pid %d waits in %s() on %s (fd %d) for pid %d to write: each waits "
                "for the other to go first; decide which side writes first",
                (int)p->pid, call, obj, f->fd, rel, (int)h->pid, call_name(ht), obj2,
                hf->fd, (int)p->pid);
            return RANK_PATTERN;
        }
    }
    sb_printf(b, "the reader (pid %d) waits in %s() on %s (fd %d), but the write end is ",
              (int)p->pid, call, obj, f->fd);
    sb_printf(b, "still open in ");
    list_holders(c, p, f->dev, f->ino, 1, b, 1);
    if (running) {
        sb_printf(b, "; a writer still runs, so data may yet come");
        return RANK_FACT;
    }
    if (self && nw == 1)
        sb_printf(b, ": close it before reading, or EOF never comes");
    else
        sb_printf(b, ": no one will write, and EOF comes only when every write end is "
                     "closed; close the unused ends in every process right after fork()");
    return RANK_PATTERN;
}

/* Pattern: a writer blocked on a full pipe (two-pipe deadlock when its reader writes
 * too). */
static int diag_pipe_write(struct hctx *c, struct hproc *p, struct hthread *t,
                           struct hfd *f, struct sbuf *b)
{
    const char *call = call_name(t);
    char obj[200], fill[96] = "full";
    obj_name(f, obj, sizeof obj);
    int queued, size;
    if (pipe_fill(p->pid, f, &queued, &size) == 0)
        snprintf(fill, sizeof fill, "full (%d of %d bytes)", queued, size);
    pid_t readers[32];
    size_t nr = holder_pids(c, f->dev, f->ino, 0, readers, 32);
    /* Each reader in the test that is itself stuck writing a pipe we should read. */
    for (size_t i = 0; i < nr; i++) {
        struct hproc *r = proc_find(c, readers[i]);
        if (r == NULL || r == p)
            continue;
        struct hthread *rt = main_wait(r);
        struct hfd *rf = rt != NULL ? pipe_of(r, rt, K_WRITE) : NULL;
        if (rf == NULL)
            continue;
        pid_t back[32];
        size_t nb = holder_pids(c, rf->dev, rf->ino, 0, back, 32);
        int we_read = 0;
        for (size_t j = 0; j < nb; j++)
            we_read |= back[j] == p->pid;
        if (!we_read)
            continue;
        struct sbuf who = {0};
        char obj2[200], fill2[96] = "full";
        list_holders(c, p, f->dev, f->ino, 0, &who, 0);
        obj_name(rf, obj2, sizeof obj2);
        if (pipe_fill(r->pid, rf, &queued, &size) == 0)
            snprintf(fill2, sizeof fill2, "full (%d of %d bytes)", queued, size);
        char pfd[96];
        holder_fds(c, p->pid, rf->dev, rf->ino, 0, pfd, sizeof pfd);
        sb_printf(
            b,
            "deadlock: pid %d waits in %s() on %s (fd %d), which is %s, while the "
            "process that reads it, %s, waits in %s() on %s (fd %d), also %s, which "
            "only pid %d reads (fd %s): both sides write and neither reads; read "
            "while you write (poll(), or one process or thread per direction), or "
            "send no more than the pipe holds before reading",
            (int)p->pid, call, obj, f->fd, fill, who.s ? who.s : "?", call_name(rt), obj2,
            rf->fd, fill2, (int)p->pid, pfd);
        if (who.failed)
            c->oom = 1;
        free(who.s);
        return RANK_PATTERN;
    }
    if (nr == 1 && readers[0] == p->pid) {
        char fds[96];
        holder_fds(c, p->pid, f->dev, f->ino, 0, fds, sizeof fds);
        sb_printf(
            b,
            "the writer (pid %d) waits in %s() on %s (fd %d), which is %s, and the only "
            "read end left is in its own process (fd %s): no one will read it, and "
            "while that end is open the writer never gets SIGPIPE or EPIPE; close the "
            "read end in the writer right after fork()",
            (int)p->pid, call, obj, f->fd, fill, fds);
        return is_stuck(p, t) ? RANK_PATTERN : RANK_FACT;
    }
    sb_printf(b,
              "pid %d waits in %s() on %s (fd %d), which is %s; its read end is held by ",
              (int)p->pid, call, obj, f->fd, fill);
    if (nr == 0) {
        sb_printf(b, "no process");
        return RANK_FACT;
    }
    list_holders(c, p, f->dev, f->ino, 0, b, 1);
    int anyone_reads = 0;
    for (size_t i = 0; i < nr; i++) {
        struct hproc *r = proc_find(c, readers[i]);
        if (r == NULL || !is_stuck(r, r == p ? t : NULL))
            anyone_reads = 1;
    }
    if (anyone_reads)
        return RANK_FACT;
    sb_printf(b, ", so no one reads it: read the other end, or write less than the pipe "
                 "holds before the reader starts");
    return RANK_PATTERN;
}

/* Path of the FIFO a thread is opening, from its memory; "" if unreadable. */
static void open_path(struct hproc *p, struct hthread *t, int at, char *buf, size_t len,
                      int *flags)
{
    unsigned long addr = t->sc.args[at ? 1 : 0];
    *flags = (int)t->sc.args[at ? 2 : 1];
    if (procfs_peek_string(p->pid, addr, buf, len) < 0)
        buf[0] = '\0';
}

/* Pattern: open() of a FIFO that waits for the other end. */
static int diag_open(struct hctx *c, struct hproc *p, struct hthread *t, struct sbuf *b)
{
    const struct sc_info *si = sc_lookup(t->sc.nr);
    int fifo_wait = strstr(t->wchan, "wait_for_partner") != NULL ||
                    strstr(t->wchan, "fifo_open") != NULL;
    if (t->inferred) {
        sb_printf(b, "pid %d waits in open() of a FIFO (", (int)p->pid);
        others_phrase(c, p, b);
        sb_printf(b, "): opening a FIFO for reading blocks until a process opens it for "
                     "writing, and the other way round; open the other end in another "
                     "process, or use O_NONBLOCK (or O_RDWR)");
        return RANK_PATTERN;
    }
    char path[PATH_MAX];
    int flags;
    open_path(p, t, si->kind == K_OPENAT, path, sizeof path, &flags);
    char full[PATH_MAX + 64];
    if (path[0] == '/')
        snprintf(full, sizeof full, "/proc/%d/root%s", (int)p->pid, path);
    else
        snprintf(full, sizeof full, "/proc/%d/cwd/%s", (int)p->pid, path);
    struct stat st;
    int known = path[0] != '\0' && stat(full, &st) == 0;
    if (!fifo_wait && !(known && S_ISFIFO(st.st_mode))) {
        sb_printf(b, "pid %d is blocked in open(%s%s%s)%s%s", (int)p->pid,
                  path[0] ? "'" : "", path[0] ? path : "...", path[0] ? "'" : "",
                  t->wchan[0] ? " in the kernel's " : "", t->wchan);
        return RANK_FACT;
    }
    int acc = flags & O_ACCMODE;
    const char *want = acc == O_WRONLY ? "writing" : "reading";
    const char *other = acc == O_WRONLY ? "reading" : "writing";
    char name[PATH_MAX + 16];
    if (path[0] != '\0')
        snprintf(name, sizeof name, "the FIFO '%s'", path);
    else
        snprintf(name, sizeof name, "a FIFO");
    sb_printf(b, "pid %d waits in open() of %s for %s, and ", (int)p->pid, name, want);
    size_t peers = 0;
    if (known)
        peers = holder_pids(c, st.st_dev, st.st_ino, acc != O_WRONLY, (pid_t[32]){0}, 32);
    if (peers == 0) {
        sb_printf(b, "no process has it open for %s (", other);
        others_phrase(c, p, b);
        sb_printf(b, ")");
    } else {
        sb_printf(b, "it is open for %s in ", other);
        list_holders(c, p, st.st_dev, st.st_ino, acc != O_WRONLY, b, 1);
    }
    sb_printf(b,
              ": opening a FIFO for %s blocks until a process opens it for %s; open the "
              "other end in another process, or use O_NONBLOCK (or O_RDWR)",
              want, other);
    return RANK_PATTERN;
}

/* Does any other process of the test map (dev, inode)? Lists them in b. */
static size_t sharers(struct hctx *c, struct hproc *w, const struct procfs_map *m,
                      struct hproc **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n && n < max; i++) {
        struct hproc *o = &c->procs[i];
        if (o != w && o->alive && procfs_maps_inode(o->pid, m->dev, m->inode) == 1)
            out[n++] = o;
    }
    return n;
}

/* Finish a "nobody can release it" sentence: every other process is stuck. */
static int nobody_can(struct hctx *c, struct hproc *p, struct sbuf *b, const char *verb,
                      const char *advice)
{
    struct sbuf o = {0};
    int running = others_phrase(c, p, &o);
    if (o.failed)
        c->oom = 1;
    if (running) {
        sb_printf(b, " (%s)", o.s ? o.s : "");
        free(o.s);
        return RANK_FACT;
    }
    sb_printf(b, ", and no other process of the test is in a position to %s it: %s; %s",
              verb, o.s ? o.s : "", advice);
    free(o.s);
    return RANK_PATTERN;
}

/*
 * shm_name - the current name in /dev/shm of the file behind mapping m of
 * pid, found by inode (sem_open maps a temporary file, then links it to
 * sem.NAME, so the mapping's own path is not the name). Looks through the
 * process's root, so it works across mount namespaces. Returns 0, or -1.
 */
static int shm_name(pid_t pid, const struct procfs_map *m, char *buf, size_t len)
{
    if (strncmp(m->path, "/dev/shm/", 9) != 0)
        return -1;
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/root/dev/shm", (int)pid);
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int found = -1;
    struct dirent *e;
    while (found < 0 && (e = readdir(d)) != NULL)
        if (e->d_ino == m->inode && e->d_name[0] != '.') {
            snprintf(buf, len, "%s", e->d_name);
            found = 0;
        }
    closedir(d);
    return found;
}

/* Pattern: a futex wait: a semaphore nobody posts, a mutex in private memory, a join. */
static int diag_futex(struct hctx *c, struct hproc *p, struct hthread *t, struct sbuf *b)
{
    unsigned long addr = t->sc.args[0];
    int op = (int)(t->sc.args[1] & 127) & ~256; /* drop PRIVATE and CLOCK_REALTIME */
    struct procfs_map m;
    int mapped = procfs_find_map(p->pid, addr, &m) == 0;
    unsigned int word[2] = {0, 0};
    int peeked = procfs_peek(p->pid, addr, word, sizeof word) == 0;
    (void)op;
    if (t->inferred) {
        sb_printf(b,
                  "pid %d waits on a futex (sem_wait(), a mutex or a condition variable)",
                  (int)p->pid);
        int rank = nobody_can(c, p, b, "wake",
                              "post or unlock it where the resource is released");
        return rank > RANK_FACT ? RANK_FACT : rank; /* not even sure it is a semaphore */
    }
    /* pthread_join waits on the thread's tid word until the thread exits. */
    for (size_t i = 0; peeked && i < p->nth; i++)
        if (p->th[i].tid != t->tid && (pid_t)word[0] == p->th[i].tid) {
            char doing[96];
            const char *name = call_name(&p->th[i]);
            if (name != NULL)
                snprintf(doing, sizeof doing, "is blocked in %s()", name);
            else
                snprintf(doing, sizeof doing, "%s",
                         p->th[i].state == 'R' ? "is running" : "is blocked");
            sb_printf(b, "pid %d waits in pthread_join() for thread %d, which %s",
                      (int)p->pid, (int)p->th[i].tid, doing);
            return RANK_CHAIN;
        }
    int shared = mapped && m.perms[3] == 's';
    const char *slash = mapped ? strrchr(m.path, '/') : NULL;
    char semname[NAME_MAX + 1];
    if (shared && shm_name(p->pid, &m, semname, sizeof semname) == 0 &&
        strncmp(semname, "sem.", 4) == 0) {
        sb_printf(b, "pid %d waits in sem_wait() on the POSIX named semaphore '/%s'",
                  (int)p->pid, semname + 4);
    } else if (shared && strncmp(m.path, "/dev/shm/", 9) == 0 &&
               strstr(m.path, "(deleted)")) {
        sb_printf(
            b, "pid %d waits in sem_wait() on a POSIX named semaphore (already unlinked)",
            (int)p->pid);
    } else if (shared) {
        const char *what =
            strstr(m.path, "/dev/zero") == m.path  ? "anonymous shared memory"
            : strncmp(m.path, "/SYSV", 5) == 0     ? "a SysV shared memory segment"
            : strncmp(m.path, "/dev/shm/", 9) == 0 ? "POSIX shared memory"
                                                   : "a shared mapping";
        sb_printf(b, "pid %d waits on a %s at %#lx in %s", (int)p->pid,
                  peeked && word[0] == 0 && word[1] > 0 ? "semaphore (sem_wait())"
                                                        : "futex (a semaphore, mutex or "
                                                          "condition variable)",
                  addr, what);
        if (strncmp(m.path, "/dev/shm/", 9) == 0 && slash != NULL)
            sb_printf(b, " '/%s'", slash + 1);
    } else if (p->nth <= 1) {
        sb_printf(
            b,
            "pid %d waits on a futex (a semaphore or mutex) at %#lx in its private "
            "memory (%s), which no other process can reach: after fork() each process "
            "has its own copy, so a sem_post() or unlock elsewhere never wakes it; put "
            "it in shared memory (mmap MAP_SHARED, sem_init with pshared = 1)",
            (int)p->pid, addr,
            mapped && m.path[0] ? m.path
            : mapped            ? "a global, heap or stack variable"
                                : "unmapped");
        return RANK_PATTERN;
    } else {
        sb_printf(b,
                  "pid %d waits on a futex (a mutex, condition variable or semaphore) at "
                  "%#lx",
                  (int)p->pid, addr);
        return RANK_FACT;
    }
    if (peeked && word[0] == 0)
        sb_printf(b, " (value 0)");
    struct hproc *sh[32];
    size_t ns = sharers(c, p, &m, sh, 32);
    if (ns == 0) {
        sb_printf(b, ", and no other process of the test has it mapped (");
        others_phrase(c, p, b);
        sb_printf(b, "), so no one can post it: post it where the resource is released, "
                     "or give it the right initial value");
        return RANK_PATTERN;
    }
    int running = 0;
    sb_printf(b, ", and no other process of the test is in a position to post it: ");
    for (size_t i = 0; i < ns; i++) {
        char rel[96], doing[96];
        relation(c, p, sh[i]->pid, rel, sizeof rel);
        doing_phrase(sh[i], doing, sizeof doing);
        running |= !is_stuck(sh[i], NULL);
        sb_printf(b, "%s%s %s", i ? ", " : "", rel, doing);
    }
    if (running)
        return RANK_FACT;
    sb_printf(b, "; post it where the resource is released, or give it the right "
                 "initial value");
    return RANK_PATTERN;
}

/* Is process pid in the same namespace ns ("ipc", "net") as we are? */
static int same_ns(pid_t pid, const char *ns)
{
    char mine[64], theirs[64];
    struct stat a, b;
    snprintf(mine, sizeof mine, "/proc/self/ns/%s", ns);
    snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", (int)pid, ns);
    return stat(mine, &a) == 0 && stat(theirs, &b) == 0 && a.st_ino == b.st_ino &&
           a.st_dev == b.st_dev;
}

/*
 * in_ns - run fn(arg, out, max) in pid's namespace ns ("ipc" or "net"):
 * directly when we share it, else in a child that joins it with setns()
 * (needs CAP_SYS_ADMIN, so in practice root) and sends its result back
 * through a pipe. fn must only make system calls (the child of a threaded
 * grader may do nothing else). Returns the bytes fn produced, or -1.
 */
static ssize_t in_ns(pid_t pid, const char *ns, int nstype,
                     ssize_t (*fn)(const void *arg, void *out, size_t max),
                     const void *arg, void *out, size_t max)
{
    if (same_ns(pid, ns))
        return fn(arg, out, max);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, ns);
    int nsfd = open(path, O_RDONLY | O_CLOEXEC);
    if (nsfd < 0)
        return -1;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        close(nsfd);
        return -1;
    }
    pid_t child = fork();
    if (child == 0) {
        close(p[0]);
        if (setns(nsfd, nstype) < 0)
            _exit(1);
        ssize_t n = fn(arg, out, max);
        for (ssize_t done = 0; n > 0 && done < n;) {
            ssize_t w = write(p[1], (char *)out + done, (size_t)(n - done));
            if (w <= 0)
                _exit(1);
            done += w;
        }
        _exit(n < 0);
    }
    close(nsfd);
    close(p[1]);
    size_t got = 0;
    while (child > 0 && got < max) {
        ssize_t r = read(p[0], (char *)out + got, max - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(p[0]);
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return got > 0 ? (ssize_t)got : -1;
    return (ssize_t)got;
}

/* in_ns callback: the value of semaphore a[1] of set a[0] (arg is an int[2]) into out. */
static ssize_t sem_value(const void *arg, void *out, size_t max)
{
    const int *a = arg;
    int v = semctl(a[0], a[1], GETVAL);
    if (v < 0 || max < sizeof v)
        return -1;
    memcpy(out, &v, sizeof v);
    return (ssize_t)sizeof v;
}

/* in_ns callback: msgctl(IPC_STAT) of queue a[0] into out (a struct msqid_ds). */
static ssize_t msq_stat(const void *arg, void *out, size_t max)
{
    const int *a = arg;
    if (max < sizeof(struct msqid_ds) || msgctl(a[0], IPC_STAT, out) < 0)
        return -1;
    return (ssize_t)sizeof(struct msqid_ds);
}

/* Pattern: semop on a SysV semaphore that nobody will raise. */
static int diag_semop(struct hctx *c, struct hproc *p, struct hthread *t, struct sbuf *b)
{
    int semid = (int)t->sc.args[0];
    if (t->inferred) {
        sb_printf(b, "pid %d waits in semop() on a SysV semaphore", (int)p->pid);
        return nobody_can(c, p, b, "post",
                          "raise it with semop(+1) where the resource is "
                          "released, or give it the right initial value");
    }
    struct sembuf ops[8];
    size_t nops = t->sc.args[2] < 8 ? (size_t)t->sc.args[2] : 8;
    int have_ops =
        nops > 0 && procfs_peek(p->pid, t->sc.args[1], ops, nops * sizeof ops[0]) == 0;
    sb_printf(b, "pid %d waits in semop() on SysV semaphore set %d", (int)p->pid, semid);
    if (have_ops) {
        /* The operation that cannot proceed: a decrement or a wait-for-zero. */
        struct sembuf *op = &ops[0];
        for (size_t i = 0; i < nops; i++)
            if (ops[i].sem_op <= 0) {
                op = &ops[i];
                break;
            }
        sb_printf(b, " (semaphore %u, %s %d", op->sem_num,
                  op->sem_op == 0 ? "waiting for zero" : "wants", op->sem_op);
        int arg[2] = {semid, op->sem_num}, val = -1;
        if (in_ns(p->pid, "ipc", CLONE_NEWIPC, sem_value, arg, &val, sizeof val) ==
            (ssize_t)sizeof val)
            sb_printf(b, ", value %d", val);
        sb_printf(b, ")");
    }
    return nobody_can(
        c, p, b, "post",
        "raise it with semop(+1) where the resource is released, or give it "
        "the right initial value with semctl(SETVAL)");
}

/* Pattern: msgrcv on an empty queue, or msgsnd on a full one. */
static int diag_msg(struct hctx *c, struct hproc *p, struct hthread *t, int rcv,
                    struct sbuf *b)
{
    int msqid = (int)t->sc.args[0];
    long type = (long)t->sc.args[3];
    struct msqid_ds ds;
    int stat_ok =
        !t->inferred && in_ns(p->pid, "ipc", CLONE_NEWIPC, msq_stat, (int[2]){msqid, 0},
                              &ds, sizeof ds) == (ssize_t)sizeof ds;
    if (t->inferred) {
        sb_printf(b, "pid %d waits in %s() on a SysV message queue, which is %s",
                  (int)p->pid, rcv ? "msgrcv" : "msgsnd", rcv ? "empty" : "full");
        return nobody_can(c, p, b, rcv ? "send to" : "receive from",
                          rcv ? "send before receiving, or receive with IPC_NOWAIT"
                              : "receive as you send, or send with IPC_NOWAIT");
    }
    if (rcv) {
        sb_printf(
            b, "pid %d waits in msgrcv() on SysV message queue %d, which has no message",
            (int)p->pid, msqid);
        if (type > 0)
            sb_printf(b, " of type %ld", type);
        else if (type < 0)
            sb_printf(b, " of type <= %ld", -type);
        if (stat_ok)
            sb_printf(b, " (%lu in the queue)", (unsigned long)ds.msg_qnum);
        return nobody_can(c, p, b, "send to",
                          "send before receiving, or receive with IPC_NOWAIT and handle "
                          "ENOMSG");
    }
    sb_printf(b, "pid %d waits in msgsnd() on SysV message queue %d, which is full",
              (int)p->pid, msqid);
    if (stat_ok)
        sb_printf(b, " (%lu messages, %lu of %lu bytes)", (unsigned long)ds.msg_qnum,
                  (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qbytes);
    return nobody_can(c, p, b, "receive from",
                      "receive as you send, or send with IPC_NOWAIT and handle EAGAIN");
}

/* Pattern: a POSIX message queue that stays empty (or full). */
static int diag_mq(struct hctx *c, struct hproc *p, struct hthread *t, int rcv,
                   struct sbuf *b)
{
    struct hfd *f = fd_find(p, (long)(int)t->sc.args[0]);
    sb_printf(b, "pid %d waits in %s() on the POSIX message queue %s%s%s, which is %s",
              (int)p->pid, rcv ? "mq_receive" : "mq_send", f ? "'" : "",
              f ? f->target : "(unknown)", f ? "'" : "", rcv ? "empty" : "full");
    return nobody_can(
        c, p, b, rcv ? "send to" : "receive from",
        rcv ? "send before receiving, or open it O_NONBLOCK and handle EAGAIN"
            : "receive as you send, or open it O_NONBLOCK and handle EAGAIN");
}

/* Pattern: waitpid() for a child that is itself stuck. */
static int diag_wait(struct hctx *c, struct hproc *p, struct hthread *t, struct sbuf *b)
{
    const struct sc_info *si = sc_lookup(t->sc.nr);
    pid_t target = -1;
    if (si->kind == K_WAIT)
        target = (pid_t)(int)t->sc.args[0];
    else if ((int)t->sc.args[0] == P_PID)
        target = (pid_t)(int)t->sc.args[1];
    struct hproc *child = NULL;
    size_t nchildren = 0;
    for (size_t i = 0; i < c->n; i++) {
        struct hproc *o = &c->procs[i];
        if (o->alive && o->st.ppid == p->pid && (target <= 0 || o->pid == target)) {
            nchildren++;
            if (child == NULL || (child->rank < RANK_CHAIN && o->rank >= RANK_CHAIN))
                child = o;
        }
    }
    if (child == NULL) {
        sb_printf(b, "pid %d waits in %s() for ", (int)p->pid, si->name);
        if (target > 0)
            sb_printf(b, "pid %d, which is not a process of the test", (int)target);
        else
            sb_printf(b, "a child outside the test");
        return RANK_FACT;
    }
    char doing[96];
    doing_phrase(child, doing, sizeof doing);
    if (target > 0 || nchildren == 1)
        sb_printf(b, "pid %d waits in %s() for its child pid %d, which never exits",
                  (int)p->pid, si->name, (int)child->pid);
    else
        sb_printf(b,
                  "pid %d waits in %s() for any of its %zu children, and none exits; "
                  "its child pid %d never will",
                  (int)p->pid, si->name, nchildren, (int)child->pid);
    if (child->sentence != NULL)
        sb_printf(b, ": %s", child->sentence);
    else
        sb_printf(b, ": it %s", doing);
    return child->rank >= RANK_FACT ? RANK_CHAIN : RANK_FACT;
}

/* A signal mask as names: "USR1 TERM". */
static void sig_names(unsigned long long mask, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int s = 1; s < 64; s++) {
        if (!(mask & (1ULL << (s - 1))))
            continue;
        const char *name = sigabbrev_np(s);
        char num[16];
        if (name == NULL) {
            snprintf(num, sizeof num, "%d", s);
            name = num;
        }
        int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "", name);
        if (n < 0 || used + (size_t)n >= len)
            break;
        used += (size_t)n;
    }
}

/* Waits for a signal or a timer: pause(), sigsuspend(), sigwait(), sleep(). */
static int diag_signal_or_sleep(struct hctx *c, struct hproc *p, struct hthread *t,
                                struct sbuf *b)
{
    const struct sc_info *si = sc_lookup(t->sc.nr);
    if (si->kind == K_SLEEP || si->kind == K_CLOCKSLEEP) {
        long ts[2];
        unsigned long addr = t->sc.args[si->kind == K_SLEEP ? 0 : 2];
        sb_printf(b, "pid %d sleeps in %s()", (int)p->pid, si->name);
        if (procfs_peek(p->pid, addr, ts, sizeof ts) == 0)
            sb_printf(b, " for %ld.%03ld s", ts[0], ts[1] / 1000000);
        sb_printf(b, ": a sleep is not a way to wait for another process; wait on the "
                     "event itself (read, waitpid, sem_wait)");
        return RANK_FACT;
    }
    unsigned long long caught = 0;
    procfs_status_mask(p->pid, "SigCgt", &caught);
    char names[256];
    sig_names(caught, names, sizeof names);
    sb_printf(b, "pid %d waits in %s() for a signal", (int)p->pid, si->name);
    if (caught == 0)
        sb_printf(
            b, ", but it catches none, so only a signal that kills it can end the wait");
    else
        sb_printf(b, " (it catches %s)", names);
    int rank = nobody_can(c, p, b, "send",
                          "send the signal the process waits for (kill()), and block it "
                          "before the wait so it cannot arrive too early (sigprocmask, "
                          "sigsuspend)");
    /* A wait for a signal is rarely the mistake itself: whoever waits for it says more.
     */
    return rank > RANK_FACT ? RANK_FACT : rank;
}

/* The unix socket path or TCP port of socket inode ino in pid's network namespace. */
static void socket_where(pid_t pid, ino_t ino, char *buf, size_t len)
{
    char path[64], line[512];
    buf[0] = '\0';
    snprintf(path, sizeof path, "/proc/%d/net/unix", (int)pid);
    FILE *f = fopen(path, "re");
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        unsigned long inode = 0;
        unsigned int type = 0, state = 0;
        int at = 0;
        if (sscanf(line, "%*s %*s %*s %*s %x %x %lu %n", &type, &state, &inode, &at) >=
                3 &&
            inode == (unsigned long)ino) {
            char *name = line + at;
            name[strcspn(name, "\n")] = '\0';
            snprintf(buf, len, "a unix %s socket%s%s%s",
                     type == 1   ? "stream"
                     : type == 2 ? "datagram"
                                 : "seqpacket",
                     name[0] ? " bound to '" : "", name, name[0] ? "'" : "");
            break;
        }
    }
    if (f != NULL)
        fclose(f);
    if (buf[0] != '\0')
        return;
    const char *tables[] = {"tcp", "tcp6", "udp", "udp6"};
    for (size_t i = 0; i < 4 && buf[0] == '\0'; i++) {
        snprintf(path, sizeof path, "/proc/%d/net/%s", (int)pid, tables[i]);
        f = fopen(path, "re");
        while (f != NULL && fgets(line, sizeof line, f) != NULL) {
            char local[64];
            unsigned long inode = 0;
            if (sscanf(line, "%*s %63s %*s %*s %*s %*s %*s %*s %*s %lu", local, &inode) ==
                    2 &&
                inode == (unsigned long)ino) {
                const char *colon = strrchr(local, ':');
                unsigned int port =
                    colon ? (unsigned int)strtoul(colon + 1, NULL, 16) : 0;
                snprintf(buf, len, "a %s socket on port %u", i % 2 ? "TCPv6" : "TCP",
                         port);
                if (i >= 2)
                    buf[2] = 'U', buf[3] = 'D', buf[4] = 'P';
                break;
            }
        }
        if (f != NULL)
            fclose(f);
    }
}

/*
 * socket_listens - is socket inode ino (in pid's network namespace) a
 * listening socket? Unix sockets carry __SO_ACCEPTCON (0x10000) in the
 * Flags column of net/unix, TCP ones state 0A in net/tcp. Returns 1 or 0.
 */
static int socket_listens(pid_t pid, ino_t ino)
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

/* A unix socket and the socket at the other end of its connection. */
struct upeer {
    uint32_t ino;
    uint32_t peer;
};

/*
 * unix_peers - an in_ns callback: ask sock_diag (NETLINK_SOCK_DIAG) for the
 * peer of unix socket inode *(uint32_t *)arg. Writes one struct upeer.
 */
static ssize_t unix_peers(const void *arg, void *out, size_t max)
{
    uint32_t want = *(const uint32_t *)arg;
    int s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (s < 0 || max < sizeof(struct upeer))
        return -1;
    struct {
        struct nlmsghdr nlh;
        struct unix_diag_req r;
    } req;
    memset(&req, 0, sizeof req);
    req.nlh.nlmsg_len = sizeof req;
    req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.r.sdiag_family = AF_UNIX;
    req.r.udiag_states = ~0U;
    req.r.udiag_show = UDIAG_SHOW_PEER;
    struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
    ssize_t found = -1;
    if (sendto(s, &req, sizeof req, 0, (struct sockaddr *)&nl, sizeof nl) < 0)
        goto done;
    long buf[4096]; /* long: nlmsghdr alignment */
    for (int end = 0; !end;) {
        ssize_t n = recv(s, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
             h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
                end = 1;
                break;
            }
            struct unix_diag_msg *m = NLMSG_DATA(h);
            if (m->udiag_ino != want)
                continue;
            int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
            for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, len);
                 a = RTA_NEXT(a, len))
                if (a->rta_type == UNIX_DIAG_PEER) {
                    struct upeer u = {want, 0};
                    memcpy(&u.peer, RTA_DATA(a), sizeof u.peer);
                    memcpy(out, &u, sizeof u);
                    found = (ssize_t)sizeof u;
                }
        }
    }
done:
    close(s);
    return found;
}

/* The inode of the socket connected to unix socket f of pid, or 0. */
static ino_t unix_peer_of(pid_t pid, const struct hfd *f)
{
    uint32_t want = (uint32_t)f->ino;
    struct upeer u;
    if (in_ns(pid, "net", CLONE_NEWNET, unix_peers, &want, &u, sizeof u) !=
        (ssize_t)sizeof u)
        return 0;
    return u.peer;
}

/* Waits on a socket: accept with no client, recv with no data, send on a full socket. */
static int diag_socket(struct hctx *c, struct hproc *p, struct hthread *t, struct hfd *f,
                       struct sbuf *b)
{
    const struct sc_info *si = sc_lookup(t->sc.nr);
    char where[256];
    socket_where(p->pid, f->ino, where, sizeof where);
    int reads = si->kind == K_READ || si->kind == K_RECV;
    int writes = si->kind == K_WRITE || si->kind == K_SEND;
    ino_t peer = reads || writes ? unix_peer_of(p->pid, f) : 0;
    pid_t holders[32];
    size_t nh = peer ? holder_pids(c, f->dev, peer, 0, holders, 32) : 0;
    if (nh > 0) {
        int self = 0, running = 0;
        for (size_t i = 0; i < nh; i++) {
            struct hproc *h = proc_find(c, holders[i]);
            self |= holders[i] == p->pid;
            running |= h == NULL || !is_stuck(h, h == p ? t : NULL);
        }
        sb_printf(
            b, "%s (pid %d) waits in %s() on %s (fd %d%s%s), but its peer socket:[%lu] ",
            reads ? "the reader" : "the writer", (int)p->pid, si->name, f->target, f->fd,
            where[0] ? ", " : "", where, (unsigned long)peer);
        sb_printf(b, "is %s in ", reads ? "still open" : "open, and not read,");
        list_holders(c, p, f->dev, peer, 0, b, 1);
        if (running)
            return RANK_FACT;
        if (writes)
            sb_printf(
                b, ": the socket buffer is full and no one reads; read while you write "
                   "(poll(), or one process or thread per direction)");
        else if (self && nh == 1)
            sb_printf(b, ": close it before reading, or the read never sees end of file");
        else
            sb_printf(b,
                      ": no one will send, and a read sees end of file only when every "
                      "copy of the other end is closed; close the ends you do not use "
                      "right after fork()");
        return RANK_PATTERN;
    }
    sb_printf(b, "pid %d waits in %s() on %s (fd %d%s%s)", (int)p->pid, si->name,
              f->target, f->fd, where[0] ? ", " : "", where);
    pid_t others[32];
    size_t n = holder_pids(c, f->dev, f->ino, 0, others, 32);
    if (n > 1) {
        sb_printf(b, "; the same socket is open in ");
        list_holders(c, p, f->dev, f->ino, 0, b, 1);
    }
    const char *verb = si->kind == K_ACCEPT ? "connect to" : writes ? "read" : "write to";
    const char *advice =
        si->kind == K_ACCEPT
            ? "a server's accept() waits until a client connects; start the client (or "
              "connect) before waiting"
        : writes ? "read what the peer sends as you write"
                 : "make sure the peer sends, or shuts down its end "
                   "(shutdown(SHUT_WR), close) so that recv returns 0";
    return nobody_can(c, p, b, verb, advice);
}

/* Describe the fds a poll() or select() waits on. */
static int diag_poll(struct hctx *c, struct hproc *p, struct hthread *t, struct sbuf *b)
{
    const struct sc_info *si = sc_lookup(t->sc.nr);
    sb_printf(b, "pid %d waits in %s()", (int)p->pid, si->name);
    int fds[16];
    size_t n = 0;
    if (si->kind == K_POLL) {
        struct {
            int fd;
            short events, revents;
        } pf[16];
        size_t want = t->sc.args[1] < 16 ? (size_t)t->sc.args[1] : 16;
        if (want > 0 && procfs_peek(p->pid, t->sc.args[0], pf, want * sizeof pf[0]) == 0)
            for (size_t i = 0; i < want; i++)
                if (pf[i].fd >= 0)
                    fds[n++] = pf[i].fd;
    } else if (si->kind == K_SELECT) {
        unsigned long set[16];
        int nfds = (int)t->sc.args[0];
        for (int which = 1; which <= 3 && nfds > 0; which++) {
            size_t bytes = ((size_t)(nfds + 63) / 64) * 8;
            if (bytes > sizeof set || t->sc.args[which] == 0 ||
                procfs_peek(p->pid, t->sc.args[which], set, bytes) < 0)
                continue;
            for (int fd = 0; fd < nfds && n < 16; fd++)
                if (set[fd / 64] & (1UL << (fd % 64)))
                    fds[n++] = fd;
        }
    } else {
        char path[64], info[4096];
        snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)p->pid,
                 (int)t->sc.args[0]);
        procfs_read(path, info, sizeof info);
        for (char *s = strstr(info, "tfd:"); s != NULL && n < 16;
             s = strstr(s + 4, "tfd:"))
            fds[n++] = atoi(s + 4);
    }
    if (n > 0)
        sb_printf(b, " on");
    for (size_t i = 0; i < n; i++) {
        struct hfd *f = fd_find(p, fds[i]);
        char obj[200];
        if (f != NULL)
            obj_name(f, obj, sizeof obj);
        sb_printf(b, "%s fd %d (%s", i ? "," : "", fds[i], f ? obj : "closed");
        if (f != NULL && f->type == S_IFIFO) {
            sb_printf(b, ", %s; other end in ", end_word(f->acc));
            size_t nh = list_holders(c, p, f->dev, f->ino, f->acc == O_RDONLY, b, 0);
            if (nh == 0)
                sb_printf(b, "no process");
        }
        sb_printf(b, ")");
    }
    (void)c;
    return RANK_FACT;
}

/*
 * A poll() on one pidfd waits for that process to exit (the course's
 * ipct_wait does so): explain it as the wait for that child it is, so that
 * the harness's own wait is never the culprit. Returns -1 if it is not that.
 */
static int diag_pidfd_poll(struct hctx *c, struct hproc *p, struct hthread *t,
                           struct sbuf *b)
{
    struct {
        int fd;
        short events, revents;
    } pf = {-1, 0, 0};
    if (t->inferred) { /* the arguments are unknown: its only pidfd, if it has one */
        for (size_t i = 0; i < p->nfds; i++)
            if (strcmp(p->fds[i].target, "anon_inode:[pidfd]") == 0)
                pf.fd = pf.fd < 0 ? p->fds[i].fd : -2;
    } else if (t->sc.args[1] != 1 ||
               procfs_peek(p->pid, t->sc.args[0], &pf, sizeof pf) < 0) {
        return -1;
    }
    struct hfd *f = pf.fd >= 0 ? fd_find(p, pf.fd) : NULL;
    if (f == NULL || strcmp(f->target, "anon_inode:[pidfd]") != 0)
        return -1;
    char path[64], info[1024];
    snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)p->pid, pf.fd);
    procfs_read(path, info, sizeof info);
    const char *at = strstr(info, "Pid:");
    pid_t target = at != NULL ? (pid_t)atoi(at + 4) : 0;
    struct hproc *child = target > 0 ? proc_find(c, target) : NULL;
    if (child == NULL || !child->alive)
        return -1;
    diagnose(c, child);
    sb_printf(b, "pid %d waits for its child pid %d, which never exits", (int)p->pid,
              (int)target);
    if (child->sentence != NULL)
        sb_printf(b, ": %s", child->sentence);
    else if (child->doing != NULL)
        sb_printf(b, ": it %s", child->doing);
    return child->rank >= RANK_FACT ? RANK_CHAIN : RANK_FACT;
}

/* A fallback: the system call and wchan as they are. */
static void diag_fact(struct hproc *p, struct hthread *t, struct sbuf *b)
{
    char doing[96];
    doing_phrase(p, doing, sizeof doing);
    sb_printf(b, "pid %d %s", (int)p->pid, doing);
    if (t != NULL && t->wchan[0] != '\0')
        sb_printf(b, " (kernel: %s)", t->wchan);
    if (t != NULL && t->sc.status == PROCFS_SC_UNKNOWN && p->st.state != 'Z')
        sb_printf(b,
                  "; its system call is unreadable (run the grader as the same user or "
                  "as root)");
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
        {"pipe_read", SYS_read, O_RDONLY + 1},
        {"pipe_write", SYS_write, O_WRONLY + 1},
        {"wait_for_partner", SYS_openat, 0},
        {"fifo_open", SYS_openat, 0},
        {"futex", SYS_futex, 0},
        {"=do_wait", SYS_wait4, 0},
        {"msgrcv", SYS_msgrcv, 0},
        {"msgsnd", SYS_msgsnd, 0},
        {"semtimedop", SYS_semtimedop, 0},
        {"nanosleep", SYS_nanosleep, 0},
#ifdef SYS_pause
        {"pause", SYS_pause, 0},
#endif
        {"sigsuspend", SYS_rt_sigsuspend, 0},
        {"sigtimedwait", SYS_rt_sigtimedwait, 0},
        {"accept", SYS_accept, 8},
        {"wait_for_more_packets", SYS_accept, 8},
        {"unix_stream_read", SYS_recvfrom, 9},
        {"unix_stream_data_wait", SYS_recvfrom, 9},
        {"wait_for_more_packets", SYS_recvfrom, 9},
        {"sk_wait_data", SYS_recvfrom, 9},
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

/* Diagnose one thread: returns a rank and writes the sentence to b. */
static int diagnose_thread(struct hctx *c, struct hproc *p, struct hthread *t,
                           struct sbuf *b)
{
    if (t->state == 'R' || t->sc.status == PROCFS_SC_RUNNING) {
        struct procfs_stat st;
        long hz = sysconf(_SC_CLK_TCK);
        double cpu = 0;
        if (procfs_read_stat(p->pid, t->tid, &st) == 0 && hz > 0)
            cpu = (double)(st.utime + st.stime) / (double)hz;
        sb_printf(b,
                  "pid %d is not blocked: it is running and has used %.1f s of CPU (an "
                  "endless loop, or a busy wait that spins instead of blocking?)",
                  (int)p->pid, cpu);
        return RANK_FACT;
    }
    const struct sc_info *si = sc_lookup(t->sc.nr);
    if (t->sc.status != PROCFS_SC_BLOCKED || si == NULL) {
        diag_fact(p, t, b);
        return RANK_NONE;
    }
    struct hfd *f = fd_find(p, (long)(int)t->sc.args[0]);
    switch (si->kind) {
    case K_READ:
        if (f != NULL && f->type == S_IFIFO)
            return diag_pipe_read(c, p, t, f, b);
        if (f != NULL && f->type == S_IFSOCK)
            return diag_socket(c, p, t, f, b);
        break;
    case K_WRITE:
        if (f != NULL && f->type == S_IFIFO)
            return diag_pipe_write(c, p, t, f, b);
        if (f != NULL && f->type == S_IFSOCK)
            return diag_socket(c, p, t, f, b);
        break;
    case K_RECV:
    case K_SEND:
    case K_ACCEPT:
    case K_CONNECT:
        if (f != NULL && f->type == S_IFSOCK)
            return diag_socket(c, p, t, f, b);
        break;
    case K_OPEN:
    case K_OPENAT:
        return diag_open(c, p, t, b);
    case K_WAIT:
    case K_WAITID:
        return diag_wait(c, p, t, b);
    case K_FUTEX:
        return diag_futex(c, p, t, b);
    case K_SEMOP:
        return diag_semop(c, p, t, b);
    case K_MSGRCV:
    case K_MSGSND:
        return diag_msg(c, p, t, si->kind == K_MSGRCV, b);
    case K_MQRECV:
    case K_MQSEND:
        return diag_mq(c, p, t, si->kind == K_MQRECV, b);
    case K_POLL:
    case K_SELECT:
    case K_EPOLL:
        if (si->kind == K_POLL) {
            int r = diag_pidfd_poll(c, p, t, b);
            if (r >= 0)
                return r;
        }
        return diag_poll(c, p, t, b);
    case K_SLEEP:
    case K_CLOCKSLEEP:
    case K_PAUSE:
    case K_SIGWAIT:
        return diag_signal_or_sleep(c, p, t, b);
    default:
        break;
    }
    sb_printf(b, "pid %d waits in %s()", (int)p->pid, si->name);
    if (f != NULL)
        sb_printf(b, " on fd %d (%s)", f->fd, f->target);
    if (t->wchan[0] != '\0')
        sb_printf(b, " (kernel: %s)", t->wchan);
    return RANK_FACT;
}

/*
 * name_thread - in a sentence about a thread other than the main one, turn
 * the first "pid P" into "thread T of pid P" (sets c->oom on failure).
 */
static void name_thread(const struct hproc *p, const struct hthread *t, struct sbuf *b)
{
    char pat[32];
    int n = snprintf(pat, sizeof pat, "pid %d", (int)p->pid);
    char *at = b->s;
    while (at != NULL && (at = strstr(at, pat)) != NULL && isdigit((unsigned char)at[n]))
        at += n;
    if (at == NULL || b->failed)
        return;
    struct sbuf out = {0};
    sb_printf(&out, "%.*sthread %d of %s", (int)(at - b->s), b->s, (int)t->tid, at);
    free(b->s);
    *b = out;
}

/*
 * diagnose - fill p->rank, p->sentence and p->doing, once. A wait chain
 * (waitpid for a child) needs the child's diagnosis first: children are
 * diagnosed on demand, and c->visiting stops cycles.
 */
static void diagnose(struct hctx *c, struct hproc *p)
{
    if (p->sentence != NULL || p->doing != NULL || c->visiting > 64)
        return;
    c->visiting++;
    char doing[96];
    doing_phrase(p, doing, sizeof doing);
    p->doing = strdup(doing);
    if (p->doing == NULL)
        c->oom = 1;
    /* Children first, so that a waitpid() can quote them. */
    for (size_t i = 0; i < c->n; i++)
        if (c->procs[i].st.ppid == p->pid && &c->procs[i] != p)
            diagnose(c, &c->procs[i]);
    struct sbuf best = {0};
    int best_rank = -1;
    if (!p->alive) {
        sb_printf(&best, "pid %d has exited", (int)p->pid);
        best_rank = RANK_NONE;
    } else if (p->st.state == 'Z' || p->st.state == 'X') {
        sb_printf(&best, "pid %d has exited, but its parent (pid %d) has not reaped it",
                  (int)p->pid, (int)p->st.ppid);
        best_rank = RANK_NONE;
    }
    int exited = best_rank >= 0;
    for (size_t i = 0; !exited && i < p->nth; i++) {
        struct sbuf b = {0};
        int r = diagnose_thread(c, p, &p->th[i], &b);
        if (p->th[i].tid != p->pid)
            name_thread(p, &p->th[i], &b);
        if (r > best_rank) {
            free(best.s);
            best = b;
            best_rank = r;
        } else {
            free(b.s);
        }
        /* Another thread's diagnosis only wins if it is sharper. */
        if (r >= RANK_PATTERN)
            break;
    }
    if (best_rank < 0)
        diag_fact(p, NULL, &best), best_rank = RANK_NONE;
    p->rank = best_rank;
    p->sentence = sb_take(&best);
    if (p->sentence == NULL)
        c->oom = 1;
    c->visiting--;
}

/* ------------------------------------------------------------------------ */
/* Details                                                                  */
/* ------------------------------------------------------------------------ */

/* Print one thread's system call with its decoded first argument. */
static void detail_thread(struct hproc *p, const struct hthread *t, struct sbuf *b)
{
    sb_printf(b, "    %s %d: state %c", t->tid == p->pid ? "main thread" : "thread",
              (int)t->tid, t->state);
    if (t->sc.status == PROCFS_SC_RUNNING)
        sb_printf(b, ", running");
    else if (t->sc.status == PROCFS_SC_USER)
        sb_printf(b, ", outside any system call");
    else if (t->sc.status == PROCFS_SC_UNKNOWN)
        sb_printf(b, ", system call unreadable");
    else {
        const struct sc_info *si = sc_lookup(t->sc.nr);
        if (si != NULL)
            sb_printf(b, ", in %s()", si->name);
        sb_printf(b, " [syscall %ld(%#lx, %#lx, %#lx, %#lx)]", t->sc.nr, t->sc.args[0],
                  t->sc.args[1], t->sc.args[2], t->sc.args[3]);
    }
    if (t->wchan[0] != '\0')
        sb_printf(b, ", wchan %s", t->wchan);
    sb_printf(b, "\n");
}

/* Print every fd of p, and for pipes, FIFOs and sockets who else holds them. */
static void detail_fds(struct hctx *c, struct hproc *p, struct sbuf *b)
{
    for (size_t i = 0; i < p->nfds; i++) {
        struct hfd *f = &p->fds[i];
        sb_printf(b, "    fd %d: %s", f->fd, f->target);
        if (f->type == S_IFIFO)
            sb_printf(b, " (%s%s)", is_anon_pipe(f) ? "" : "FIFO, ", end_word(f->acc));
        else if (f->acc == O_RDONLY || f->acc == O_WRONLY || f->acc == O_RDWR)
            sb_printf(b, " (%s)",
                      f->acc == O_RDONLY   ? "read"
                      : f->acc == O_WRONLY ? "write"
                                           : "read/write");
        if (f->type == S_IFIFO || f->type == S_IFSOCK) {
            int first = 1;
            for (size_t j = 0; j < c->nholders; j++) {
                const struct holder *h = &c->holders[j];
                if (h->dev != f->dev || h->ino != f->ino ||
                    (h->pid == p->pid && h->fd == f->fd))
                    continue;
                sb_printf(b, "%s pid %d fd %d%s", first ? "; also in" : ",", (int)h->pid,
                          h->fd,
                          f->type != S_IFIFO   ? ""
                          : h->acc == O_RDONLY ? " (r)"
                          : h->acc == O_WRONLY ? " (w)"
                                               : " (rw)");
                first = 0;
            }
        }
        sb_printf(b, "\n");
    }
}

/* The whole report: one block per process. */
static void details(struct hctx *c, struct sbuf *b)
{
    for (size_t i = 0; i < c->n; i++) {
        struct hproc *p = &c->procs[i];
        if (!p->alive) {
            sb_printf(b, "pid %d: gone\n", (int)p->pid);
            continue;
        }
        sb_printf(b, "pid %d (%s), state %c, parent %d:\n", (int)p->pid, p->st.comm,
                  p->st.state, (int)p->st.ppid);
        for (size_t j = 0; j < p->nth; j++)
            detail_thread(p, &p->th[j], b);
        if (p->sentence != NULL)
            sb_printf(b, "    why: %s\n", p->sentence);
        detail_fds(c, p, b);
    }
}

/* ------------------------------------------------------------------------ */
/* The contract                                                             */
/* ------------------------------------------------------------------------ */

/* hang_process_tree: see hang.h. */
size_t hang_process_tree(pid_t root, pid_t *pids, size_t max)
{
    struct procfs_stat st;
    if (max == 0 || procfs_read_stat(root, 0, &st) < 0)
        return 0;
    /* Every (pid, ppid) on the system, then a breadth-first walk from root. */
    size_t n = 0, cap = 0;
    pid_t(*all)[2] = NULL;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        pid_t pid = pid_of_name(e->d_name);
        if (pid == 0 || procfs_read_stat(pid, 0, &st) < 0)
            continue;
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 256;
            pid_t(*grown)[2] = realloc(all, ncap * sizeof *grown);
            if (grown == NULL)
                break;
            all = grown;
            cap = ncap;
        }
        all[n][0] = pid;
        all[n][1] = st.ppid;
        n++;
    }
    if (d != NULL)
        closedir(d);
    size_t got = 0;
    pids[got++] = root;
    for (size_t i = 0; i < got; i++)
        for (size_t j = 0; j < n && got < max; j++)
            if (all[j][1] == pids[i] && all[j][0] != root)
                pids[got++] = all[j][0];
    free(all);
    return got;
}

/* hang_explain: see hang.h. Reads everything first, then diagnoses, then writes. */
char *hang_explain(const pid_t *pids, size_t n, char **details_out)
{
    struct hctx c = {0};
    char *sentence = NULL;
    if (details_out != NULL)
        *details_out = NULL;
    c.procs = calloc(n ? n : 1, sizeof *c.procs);
    if (c.procs == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (proc_find(&c, pids[i]) == NULL)
            c.procs[c.n++].pid = pids[i];
    scan_all(&c);
    for (size_t i = 0; i < c.n; i++)
        diagnose(&c, &c.procs[i]);
    /* The sharpest diagnosis wins; among equals, the one nearest the root. */
    struct hproc *best = NULL;
    for (size_t i = 0; i < c.n; i++)
        if (c.procs[i].sentence != NULL && (best == NULL || c.procs[i].rank > best->rank))
            best = &c.procs[i];
    struct sbuf s = {0};
    if (best != NULL)
        sb_printf(&s, "%s", best->sentence);
    else if (c.n == 0)
        sb_printf(&s, "no process to explain");
    else
        sb_printf(&s, "no process of the test could be read");
    sentence = sb_take(&s);
    if (details_out != NULL && sentence != NULL) {
        struct sbuf d = {0};
        details(&c, &d);
        *details_out = sb_take(&d);
    }
    for (size_t i = 0; i < c.n; i++) {
        free(c.procs[i].fds);
        free(c.procs[i].th);
        free(c.procs[i].sentence);
        free(c.procs[i].doing);
    }
    free(c.procs);
    free(c.holders);
    if (c.oom) {
        free(sentence);
        sentence = NULL;
        if (details_out != NULL) {
            free(*details_out);
            *details_out = NULL;
        }
    }
    return sentence;
}
