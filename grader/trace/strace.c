/* strace.c - reads strace's log of a test into the test's processes and IPC events.
 *
 * strace runs with -f -ttt -yy (trace_strace_args): every line is
 * "PID SECONDS call(args) = ret", a call split in two ("<unfinished ...>",
 * then "<... call resumed>"), a signal ("--- SIGX {...} ---") or an end
 * ("+++ exited with N +++"). -yy prints what each fd is (pipe:[inode],
 * UNIX-STREAM:[a->b], a path), so objects are matched by what the kernel
 * calls them. Each process's fd table is followed (pipe, dup, close, fork,
 * exec's close-on-exec) to say who still held the other end of a pipe a
 * process was blocked on. The state is kept by state.c, calls by calls.c and fdcalls.c.
 */
#include "trace/trace_int.h"
#include "base/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The system calls traced: what the events need, nothing the harness spams. mmap
 * is left out (the loader makes hundreds: 40% of the cost); a POSIX shared memory
 * object shows where it is opened, a System V segment where it is attached. */
#define TRACE_SET                                                                        \
    "trace=process,pipe,pipe2,read,write,readv,writev,close,dup,dup2,dup3,fcntl,"        \
    "openat,mknodat,msgsnd,msgrcv,semop,semtimedop,shmat,mq_open,mq_timedsend,"          \
    "mq_timedreceive,socketpair,connect,accept,accept4,sendto,recvfrom,sendmsg,"         \
    "recvmsg,shutdown,kill,tgkill,rt_sigaction"

const char *const *trace_strace_args(const char *out_file)
{
    static const char *args[16];
    size_t k = 0;
    args[k++] = "strace";
    args[k++] = "-f";   /* every process and thread */
    args[k++] = "-ttt"; /* seconds.microseconds */
    args[k++] = "-yy";  /* what each fd is */
    args[k++] = "-q";   /* no attach messages; exits are kept */
    args[k++] = "-s";   /* a few bytes of each buffer: sizes are what count */
    args[k++] = "24";
    args[k++] = "--seccomp-bpf"; /* stop only at the traced calls: cheap */
    args[k++] = "-e";
    args[k++] = TRACE_SET;
    args[k++] = "-o";
    args[k++] = out_file;
    args[k] = NULL;
    return args;
}

/* A process ended ("exited with 0", "killed by SIGKILL"). */
static void ended(struct tr_state *st, int pid, double t, const char *how)
{
    struct tr_pstate *p = tp_proc(st, pid);
    bool test_ends = p->pid == st->worker && st->started && !st->ended;
    if (test_ends) {
        /* The test was stopped (timeout, crash) or ended: what each process was
         * doing, and what it still held. */
        st->stopped = strncmp(how, "killed", 6) == 0;
        tp_blocked_all(st, t, 0);
        tp_held_at_end(st);
    } else if (p->pending != NULL && tp_live(st, p)) {
        tp_blocked(st, p, t);
    }
    if (tp_live(st, p)) {
        struct tr_event *e = tp_event(st, TR_EXIT, pid, t);
        snprintf(e->text, sizeof e->text, "%s", how);
    }
    if (test_ends) {
        st->ended = true;
        st->t_end = t;
    }
    p->end = t;
    snprintf(p->how, sizeof p->how, "%.31s", how);
    free(p->pending);
    p->pending = NULL;
    if (!p->thread && p->pid == p->tgid) {
        struct tr_fdtab *tab = tp_table(st, pid);
        for (size_t i = 0; i < tab->n; i++)
            tp_closed(st, pid, &tab->e[i], t, false);
        tab->n = 0;
    }
}

/* "--- SIGX {si_signo=SIGX, si_code=..., si_pid=N, ...} ---" */
static void signal_line(struct tr_state *st, int pid, double t, const char *rest)
{
    char sig[24];
    if (sscanf(rest, "--- %23s", sig) != 1)
        return;
    struct tr_pstate *p = tp_proc(st, pid);
    if (!tp_live(st, p))
        return;
    const char *sp = strstr(rest, "si_pid=");
    struct tr_event *e = tp_event(st, TR_SIGNAL, pid, t);
    e->peer = sp != NULL ? atoi(sp + 7) : 0;
    const char *code = strstr(rest, "si_code=");
    snprintf(e->text, sizeof e->text, "%s", sig);
    if (code != NULL && strncmp(code + 8, "CLD_", 4) == 0) {
        size_t n = strcspn(code + 8, ",}");
        snprintf(e->text, sizeof e->text, "%s (%.*s)", sig, (int)(n < 20 ? n : 20),
                 code + 8);
    }
}

/* One line of the log. */
static void line(struct tr_state *st, char *s)
{
    int pid, used = 0;
    double t;
    if (sscanf(s, "%d %lf %n", &pid, &t, &used) != 2 || used == 0)
        return;
    char *rest = s + used;
    rest[strcspn(rest, "\n")] = '\0';
    st->t_last = t;
    struct tr_pstate *p = tp_proc(st, pid);
    if (strncmp(rest, "+++ exited with ", 16) == 0) {
        char how[32];
        snprintf(how, sizeof how, "exit %d", atoi(rest + 16));
        ended(st, pid, t, how);
    } else if (strncmp(rest, "+++ killed by ", 14) == 0) {
        char how[40];
        snprintf(how, sizeof how, "killed by %.*s", (int)strcspn(rest + 14, " "),
                 rest + 14);
        ended(st, pid, t, how);
    } else if (strncmp(rest, "--- ", 4) == 0) {
        signal_line(st, pid, t, rest);
    } else if (strncmp(rest, "<... ", 5) == 0) {
        char *gt = strstr(rest, " resumed>");
        if (gt == NULL || p->pending == NULL)
            return;
        char *full = xasprintf("%s%s", p->pending, gt + 9);
        free(p->pending);
        p->pending = NULL;
        tp_call(st, p, p->pending_t, t, full);
        free(full);
    } else {
        char *unf = strstr(rest, " <unfinished ...>");
        if (unf != NULL) {
            *unf = '\0';
            free(p->pending);
            p->pending = xstrdup(rest);
            p->pending_t = t;
            p->pending_said = false;
            return;
        }
        tp_call(st, p, t, t, rest);
    }
}

/*
 * match_receivers - a receive that strace wrote before its send (the reader's
 * line first: no sender known yet, or the same byte count sent just after)
 * takes the first send into the same object by another process within 50 ms
 * after it, before any other receive from it, and moves to just after it.
 */
static void match_receivers(struct tr_state *st)
{
    for (size_t i = 0; i < st->nev; i++) {
        struct tr_event *r = &st->ev[i];
        if (r->kind != TR_RECV)
            continue;
        for (size_t j = i + 1; j < st->nev && j < i + 40; j++) {
            const struct tr_event *s = &st->ev[j];
            if (s->t - r->t > 0.05 || (s->kind == TR_RECV && strcmp(s->obj, r->obj) == 0))
                break;
            if (s->kind != TR_SEND || s->pid == r->pid || strcmp(s->obj, r->obj) != 0 ||
                (r->peer != 0 && s->bytes != r->bytes))
                continue;
            struct tr_event moved = *r;
            moved.peer = s->pid;
            moved.t = s->t;
            memmove(r, r + 1, (j - i) * sizeof *r);
            st->ev[j] = moved;
            i--; /* the event now at i is new */
            break;
        }
    }
}

/* Move what the parse found from st into tr; the order is the log's. */
static void finish(struct tr_state *st, struct trace *tr)
{
    if (st->started && !st->ended) {
        /* The log ended inside the test (killed with strace): say what was pending. */
        tp_blocked_all(st, st->t_last, 0);
        tp_held_at_end(st);
        st->t_end = st->t_last;
    }
    for (size_t i = 0; i < st->np; i++) {
        const struct tr_pstate *p = st->p[i];
        if (!p->in_scope)
            continue;
        tr->procs = xrealloc(tr->procs, (tr->nprocs + 1) * sizeof *tr->procs);
        struct tr_proc *q = &tr->procs[tr->nprocs++];
        memset(q, 0, sizeof *q);
        q->pid = p->pid;
        q->parent = p->pid == st->worker ? 0 : p->parent;
        q->thread = p->thread;
        snprintf(q->name, sizeof q->name, "%s", p->name);
        q->start = p->start - st->t0 < 0 ? 0 : p->start - st->t0;
        q->end = p->end >= 0 && p->end <= st->t_end ? p->end - st->t0 : -1;
        snprintf(q->how, sizeof q->how, "%s", p->how);
        q->blocked = p->blocked;
    }
    match_receivers(st);
    tr->ev = st->ev;
    tr->nev = st->nev;
    st->ev = NULL;
    tr->length = (st->ended ? st->t_end : st->t_last) - st->t0;
    if (tr->length < 0)
        tr->length = 0;
    tr->found_test = st->started;
    tr->stopped = st->stopped;
}

int trace_parse(const char *log_file, const char *probe_name, struct trace *tr)
{
    memset(tr, 0, sizeof *tr);
    FILE *f = fopen(log_file, "re");
    if (f == NULL)
        return -1;
    struct tr_state st;
    memset(&st, 0, sizeof st);
    st.probe = probe_name;
    st.t_end = 1e300;
    char *buf = NULL;
    size_t cap = 0;
    while (getline(&buf, &cap, f) > 0)
        line(&st, buf);
    free(buf);
    fclose(f);
    finish(&st, tr);
    for (size_t i = 0; i < st.np; i++) {
        free(st.p[i]->pending);
        free(st.p[i]);
    }
    for (size_t i = 0; i < st.nt; i++) {
        free(st.t[i]->e);
        free(st.t[i]);
    }
    for (size_t i = 0; i < st.no; i++)
        free(st.o[i]);
    for (size_t i = 0; i < st.nf; i++)
        free(st.fifos[i]);
    free(st.fifos);
    free(st.p);
    free(st.t);
    free(st.o);
    free(st.ev);
    return 0;
}

void trace_free(struct trace *tr)
{
    free(tr->procs);
    free(tr->ev);
    memset(tr, 0, sizeof *tr);
}

const struct tr_proc *trace_proc(const struct trace *tr, int pid)
{
    for (size_t i = 0; i < tr->nprocs; i++)
        if (tr->procs[i].pid == pid)
            return &tr->procs[i];
    return NULL;
}
