/* fdcalls.c - the calls that make, copy and close fds, start processes and signal. */
#include "trace/trace_int.h"
#include "base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A new TR_* event for p at t about object key (its name filled in). */
static struct tr_event *obj_event(struct tr_state *st, enum tr_kind k,
                                  struct tr_pstate *p, double t, const char *key)
{
    struct tr_event *e = tp_event(st, k, p->pid, t);
    snprintf(e->obj, sizeof e->obj, "%s", tp_obj_name(st, key));
    return e;
}

/* pipe/pipe2/socketpair: "[3<pipe:[1]>, 4<pipe:[1]>]" enters p's table. */
static void pair_call(struct tr_state *st, struct tr_pstate *p, const struct call *c,
                      double t)
{
    bool sock = strcmp(c->name, "socketpair") == 0;
    const char *list = sock ? (c->nargs > 3 ? c->arg[3] : "") : c->arg[0];
    const char *flags = sock ? c->arg[1] : (c->nargs > 1 ? c->arg[1] : "");
    bool cloexec = strstr(flags, "CLOEXEC") != NULL;
    if (c->failed || list[0] != '[')
        return;
    char ann[160], key[96] = "";
    int r = tp_parse_fd(list + 1, ann, sizeof ann);
    if (!tp_ann_key(st, ann, key, sizeof key))
        return;
    tp_obj_name(st, key); /* made before the test: the harness's */
    const char *second = strstr(list, ", ");
    int w = second ? tp_parse_fd(second + 2, ann, sizeof ann) : -1;
    struct tr_fdtab *tab = tp_table(st, p->tgid);
    tp_fd_set(tab, r, key, sock ? 'b' : 'r', cloexec);
    if (w >= 0)
        tp_fd_set(tab, w, key, sock ? 'b' : 'w', cloexec);
    if (tp_live(st, p)) {
        struct tr_event *e = obj_event(st, TR_PIPE, p, t, key);
        if (sock)
            snprintf(e->text, sizeof e->text, "socketpair: fds %d and %d", r, w);
        else
            snprintf(e->text, sizeof e->text, "read end fd %d, write end fd %d%s", r, w,
                     cloexec ? " (close-on-exec)" : "");
    }
}

/* dup, dup2, dup3, fcntl(F_DUPFD...): the new fd is a copy of the old one. */
static void dup_call(struct tr_state *st, struct tr_pstate *p, const struct call *c,
                     double t)
{
    struct tr_fdtab *tab = tp_table(st, p->tgid);
    if (strcmp(c->name, "fcntl") == 0) {
        if (c->nargs < 2)
            return;
        if (strcmp(c->arg[1], "F_SETFD") == 0 && c->nargs > 2) {
            struct tr_fd *e = tp_fd(tab, tp_parse_fd(c->arg[0], (char[160]){0}, 160));
            if (e != NULL)
                e->cloexec = strstr(c->arg[2], "FD_CLOEXEC") != NULL;
            return;
        }
        if (strncmp(c->arg[1], "F_DUPFD", 7) != 0)
            return;
    }
    if (c->failed)
        return;
    char key[96];
    struct tr_fd *old = NULL;
    int nfd = (int)c->ret;
    if (!tp_fd_key(st, p, c->arg[0], key, sizeof key, &old)) {
        tp_fd_set(tab, nfd, "", '?', false); /* a file or the harness's: not drawn */
        return;
    }
    char end = old != NULL ? old->end : 'b';
    if (tp_fd(tab, nfd) != NULL && strcmp(c->name, "dup") != 0)
        tp_close_fd(st, p, nfd, t, false);
    bool cloexec = (strcmp(c->name, "dup3") == 0 && c->nargs > 2 &&
                    strstr(c->arg[2], "O_CLOEXEC") != NULL) ||
                   (c->nargs > 1 && strstr(c->arg[1], "F_DUPFD_CLOEXEC") != NULL);
    tp_fd_set(tab, nfd, key, end, cloexec);
    if (tp_live(st, p) && strncmp(key, "shm:", 4) != 0 && !tp_obj(st, key)->harness) {
        struct tr_event *e = obj_event(st, TR_DUP, p, t, key);
        snprintf(e->text, sizeof e->text, "%s as fd %d%s",
                 end == 'w'   ? "write end"
                 : end == 'r' ? "read end"
                              : "",
                 nfd,
                 nfd == 0   ? " (stdin)"
                 : nfd == 1 ? " (stdout)"
                            : "");
    }
}

/* openat of a FIFO or a POSIX shared memory object; mknodat of a FIFO. */
static void path_call(struct tr_state *st, struct tr_pstate *p, const struct call *c,
                      double t0, double t)
{
    char path[512], key[96];
    if (c->failed || c->nargs < 3)
        return;
    tp_abs_path(c->arg[0], c->arg[1], path, sizeof path);
    if (strcmp(c->name, "mknodat") == 0) {
        if (strstr(c->arg[2], "S_IFIFO") == NULL)
            return;
        st->fifos = xrealloc(st->fifos, (st->nf + 1) * sizeof *st->fifos);
        st->fifos[st->nf++] = xstrdup(path);
        snprintf(key, sizeof key, "fifo:%.90s", path);
        if (tp_live(st, p))
            obj_event(st, TR_MKFIFO, p, t, key);
        return;
    }
    char ann[160];
    snprintf(ann, sizeof ann, "%.159s", path);
    if (!tp_ann_key(st, ann, key, sizeof key)) {
        if (c->ret >= 0) /* a file: the fd no longer holds what it held */
            tp_fd_set(tp_table(st, p->tgid), (int)c->ret, "", '?', false);
        return;
    }
    const char *fl = c->arg[2];
    char end = strstr(fl, "O_RDWR") ? 'b' : strstr(fl, "O_WRONLY") ? 'w' : 'r';
    tp_fd_set(tp_table(st, p->tgid), (int)c->ret, key, end,
              strstr(fl, "O_CLOEXEC") != NULL);
    if (!tp_live(st, p))
        return;
    struct tr_event *e = obj_event(st, TR_OPEN, p, t, key);
    int n = snprintf(e->text, sizeof e->text, "fd %ld, %s", c->ret,
                     end == 'b'   ? "read-write"
                     : end == 'w' ? "for writing"
                                  : "for reading");
    if (strncmp(key, "fifo:", 5) == 0 && t - t0 >= 0.001 && n > 0)
        snprintf(e->text + n, sizeof e->text - (size_t)n,
                 ", met the other end after %.3f s", t - t0);
}

/* connect and accept: a socket joins its peer. */
static void sock_call(struct tr_state *st, struct tr_pstate *p, const struct call *c,
                      double t)
{
    char key[96], ann[160];
    if (c->failed)
        return;
    bool acc = strncmp(c->name, "accept", 6) == 0;
    if (acc) {
        snprintf(ann, sizeof ann, "%s", c->ret_ann);
        if (!tp_ann_key(st, ann, key, sizeof key))
            return;
        tp_fd_set(tp_table(st, p->tgid), (int)c->ret, key, 'b',
                  c->nargs > 3 && strstr(c->arg[3], "SOCK_CLOEXEC") != NULL);
    } else {
        char own[160];
        tp_parse_fd(c->arg[0], own, sizeof own);
        const char *lb = strchr(own, '[');
        if (c->nargs > 1 && strstr(c->arg[1], "criterion_") != NULL && lb != NULL &&
            st->nharness < 8) { /* Criterion's own connection: never drawn */
            snprintf(st->harness[st->nharness++], sizeof st->harness[0], "%.*s",
                     (int)strcspn(lb + 1, "]-,"), lb + 1);
            return;
        }
        if (!tp_fd_key(st, p, c->arg[0], key, sizeof key, NULL))
            return;
    }
    if (!tp_live(st, p))
        return;
    struct tr_event *e = obj_event(st, TR_CONNECT, p, t, key);
    const char *path = c->nargs > 1 ? strstr(c->arg[1], "sun_path=") : NULL;
    const char *port = c->nargs > 1 ? strstr(c->arg[1], "sin_port=htons(") : NULL;
    if (acc)
        snprintf(e->text, sizeof e->text, "accepted a connection: fd %ld", c->ret);
    else if (path != NULL) {
        char full[256];
        tp_unquote(path + 9, full, sizeof full);
        full[strcspn(full, "\"")] = '\0';
        const char *base = strrchr(full, '/');
        snprintf(e->text, sizeof e->text, "connected to %.60s", base ? base + 1 : full);
    } else if (port != NULL)
        snprintf(e->text, sizeof e->text, "connected to port %d", atoi(port + 15));
    else
        snprintf(e->text, sizeof e->text, "connected");
}

/* shutdown: a half close, drawn as a close of one direction. */
static void shutdown_call(struct tr_state *st, struct tr_pstate *p, const struct call *c,
                          double t)
{
    char key[96];
    if (c->failed || c->nargs < 2 || !tp_live(st, p) ||
        !tp_fd_key(st, p, c->arg[0], key, sizeof key, NULL))
        return;
    struct tr_event *e = obj_event(st, TR_CLOSE, p, t, key);
    snprintf(e->text, sizeof e->text, "%s",
             strcmp(c->arg[1], "SHUT_WR") == 0   ? "for writing (shutdown)"
             : strcmp(c->arg[1], "SHUT_RD") == 0 ? "for reading (shutdown)"
                                                 : "both ways (shutdown)");
    if (strcmp(c->arg[1], "SHUT_RD") != 0)
        tp_obj(st, key)->last_closer = p->pid;
}

/* clone, fork, vfork, execve, wait4, waitid, kill, tgkill, rt_sigaction. */
static bool proc_call(struct tr_state *st, struct tr_pstate *p, const struct call *c,
                      double t)
{
    const char *n = c->name;
    bool live = tp_live(st, p);
    if (strncmp(n, "clone", 5) == 0 || strcmp(n, "fork") == 0 ||
        strcmp(n, "vfork") == 0) {
        if (c->ret <= 0)
            return true;
        bool thread = strstr(c->buf, "CLONE_THREAD") != NULL;
        tp_spawn(st, p->pid, (int)c->ret, thread, t);
        if (live) {
            struct tr_event *e = tp_event(st, TR_SPAWN, p->pid, t);
            e->peer = (int)c->ret;
            snprintf(e->text, sizeof e->text, "%s", thread ? "thread" : "fork");
        }
    } else if (strcmp(n, "execve") == 0) {
        tp_exec_call(st, p, c, t);
    } else if (strcmp(n, "wait4") == 0 || strcmp(n, "waitid") == 0) {
        bool w4 = n[4] == '4';
        const char *sp = c->nargs > 2 ? strstr(c->arg[2], "si_pid=") : NULL;
        int child = w4 ? (int)c->ret : sp ? atoi(sp + 7) : 0;
        if (!live || c->failed || child <= 0)
            return true;
        struct tr_event *e = tp_event(st, TR_REAP, p->pid, t);
        e->peer = child;
        tp_wait_status(c->arg[w4 ? 1 : 2], e->text, sizeof e->text);
    } else if (strcmp(n, "kill") == 0 || strcmp(n, "tgkill") == 0) {
        int k = n[0] == 't' ? 1 : 0;
        if (!live || c->nargs < k + 2)
            return true;
        /* A kill that ends what hung (a deadline's SIGKILL): who was blocked, and
         * on what, is read now, before the deaths close every fd. */
        if (strcmp(c->arg[k + 1], "SIGKILL") == 0 ||
            strcmp(c->arg[k + 1], "SIGTERM") == 0)
            tp_blocked_all(st, t, BLOCK_SECONDS);
        struct tr_event *e = tp_event(st, TR_KILL, p->pid, t);
        int target = atoi(c->arg[k]);
        e->peer = target > 0 ? target : 0;
        snprintf(e->text, sizeof e->text, "%.20s%s%s", c->arg[k + 1],
                 target <= 0 ? " to a process group" : "", c->failed ? " (failed)" : "");
    } else if (strcmp(n, "rt_sigaction") == 0) {
        if (!live || p->image != 0 || c->nargs < 2 || c->arg[1][0] != '{' || c->failed)
            return true;
        const char *h = c->arg[1] + 1 + strlen("sa_handler=");
        struct tr_event *e = tp_event(st, TR_HANDLER, p->pid, t);
        snprintf(e->text, sizeof e->text, "%.12s: %s%s", c->arg[0],
                 strncmp(h, "SIG_IGN", 7) == 0   ? "ignored"
                 : strncmp(h, "SIG_DFL", 7) == 0 ? "default action"
                                                 : "handler",
                 strstr(c->arg[1], "SA_RESTART") ? " (SA_RESTART)" : "");
    } else {
        return false;
    }
    return true;
}

void tp_call(struct tr_state *st, struct tr_pstate *p, double t0, double t1,
             const char *text)
{
    struct call c;
    if (!tp_split_call(text, &c))
        return;
    if (tp_probe_mark(st, p, &c, t1))
        return;
    /* A call that waited long: drawn as blocked, with who held the other end. */
    if (t1 - t0 >= BLOCK_SECONDS && tp_live(st, p) && !p->pending_said) {
        p->pending = xstrdup(text);
        p->pending_t = t0;
        tp_blocked(st, p, t1);
        free(p->pending);
        p->pending = NULL;
    }
    p->pending_said = false;
    const char *n = c.name;
    if (strcmp(n, "read") == 0 || strcmp(n, "readv") == 0 || strcmp(n, "recvfrom") == 0 ||
        strcmp(n, "recvmsg") == 0)
        tp_io_call(st, p, &c, t1, false, text);
    else if (strcmp(n, "write") == 0 || strcmp(n, "writev") == 0 ||
             strcmp(n, "sendto") == 0 || strcmp(n, "sendmsg") == 0)
        tp_io_call(st, p, &c, t1, true, text);
    else if (strcmp(n, "close") == 0) {
        if (!c.failed)
            tp_close_fd(st, p, tp_parse_fd(c.arg[0], (char[160]){0}, 160), t1, true);
    } else if (strcmp(n, "pipe") == 0 || strcmp(n, "pipe2") == 0 ||
               strcmp(n, "socketpair") == 0)
        pair_call(st, p, &c, t1);
    else if (strncmp(n, "dup", 3) == 0 || strcmp(n, "fcntl") == 0)
        dup_call(st, p, &c, t1);
    else if (strcmp(n, "openat") == 0 || strcmp(n, "mknodat") == 0)
        path_call(st, p, &c, t0, t1);
    else if (strcmp(n, "connect") == 0 || strncmp(n, "accept", 6) == 0)
        sock_call(st, p, &c, t1);
    else if (strcmp(n, "shutdown") == 0)
        shutdown_call(st, p, &c, t1);
    else if (!proc_call(st, p, &c, t1))
        tp_ipc_call(st, p, &c, t0, t1);
}
