/* hang.c - "why it hung": read /proc for a stuck test's processes and name the cause. */
#include "hang/hang.h"
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
static void diagnose(struct hctx *c, struct hproc *p);

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
    case K_WRITE:
        /* read(2) and write(2) on a pipe or FIFO; on a socket, as recv and send */
        if (f != NULL && f->type == S_IFIFO && si->kind == K_READ)
            return diag_pipe_read(c, p, t, f, b);
        if (f != NULL && f->type == S_IFIFO)
            return diag_pipe_write(c, p, t, f, b);
        /* fall through */
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
