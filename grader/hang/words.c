/* words.c - why-it-hung's words: growing strings, names of objects, calls and relations.
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
/* Growing strings                                                          */
/* ------------------------------------------------------------------------ */

void sb_printf(struct sbuf *b, const char *fmt, ...)
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
char *sb_take(struct sbuf *b)
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
/* Words                                                                    */
/* ------------------------------------------------------------------------ */

/* "read end", "write end" or "both ends" for an access mode. */
const char *end_word(int acc)
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

/* Name the object behind f: "pipe:[N]", "the FIFO '/path'", "socket:[N]", ... */
void obj_name(const struct hfd *f, char *buf, size_t len)
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
void relation(struct hctx *c, const struct hproc *w, pid_t pid, char *buf, size_t len)
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
struct hthread *main_wait(struct hproc *p)
{
    for (size_t i = 0; i < p->nth; i++)
        if (p->th[i].sc.status == PROCFS_SC_BLOCKED)
            return &p->th[i];
    return p->nth > 0 ? &p->th[0] : NULL;
}

/* The name of the call a thread sleeps in ("read", "futex"), or NULL. */
const char *call_name(const struct hthread *t)
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
int is_stuck(const struct hproc *p, const struct hthread *except)
{
    if (!p->alive || p->st.state == 'Z' || p->st.state == 'X')
        return 1;
    for (size_t i = 0; i < p->nth; i++)
        if (&p->th[i] != except && !thread_stuck(&p->th[i]))
            return 0;
    return 1;
}

/* A short phrase for what p does now: "is blocked in waitpid()", "has exited". */
void doing_phrase(struct hproc *p, char *buf, size_t len)
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
int others_phrase(struct hctx *c, const struct hproc *w, struct sbuf *b)
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
int holder_fds(struct hctx *c, pid_t pid, dev_t dev, ino_t ino, int want_write, char *buf,
               size_t len)
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
size_t holder_pids(struct hctx *c, dev_t dev, ino_t ino, int want_write, pid_t *out,
                   size_t max)
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
size_t list_holders(struct hctx *c, struct hproc *w, dev_t dev, ino_t ino, int want_write,
                    struct sbuf *b, int say_doing)
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
