/* diag_pipe.c - why-it-hung's diagnoses of pipes and FIFOs (read, write, open). */
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
/* Diagnoses                                                                */
/* ------------------------------------------------------------------------ */

/* Which pipe a thread reads or writes, if it sleeps in a pipe or FIFO read/write. */
static struct hfd *pipe_of(struct hproc *p, struct hthread *t, enum sc_kind want)
{
    const struct sc_info *si = sc_lookup(t->sc.nr);
    if (t->sc.status != PROCFS_SC_BLOCKED || si == NULL || si->kind != want)
        return NULL;
    struct hfd *f = fd_find(p, (long)(int)t->sc.args[0]);
    return f != NULL && f->type == S_IFIFO ? f : NULL;
}

/* Pattern: a reader blocked on a pipe or FIFO whose write end is still open. */
int diag_pipe_read(struct hctx *c, struct hproc *p, struct hthread *t, struct hfd *f,
                   struct sbuf *b)
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
int diag_pipe_write(struct hctx *c, struct hproc *p, struct hthread *t, struct hfd *f,
                    struct sbuf *b)
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
int diag_open(struct hctx *c, struct hproc *p, struct hthread *t, struct sbuf *b)
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
