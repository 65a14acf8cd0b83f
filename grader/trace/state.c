/* state.c - the strace reader's memory: processes, fd tables, objects, events. */
#include "trace/trace_int.h"
#include "base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * FIND_OR_ADD(name, type, arr, n, key) defines
 * static type *name(struct tr_state *st, int k, bool *added): the entry of st->arr
 * (st->n of them) whose key is k, or a new zeroed one appended with key k (*added then
 * true). Each entry is allocated alone, so pointers to it stay valid as arr grows.
 */
#define FIND_OR_ADD(name, type, arr, n, key)                                             \
    static type *name(struct tr_state *st, int k, bool *added)                           \
    {                                                                                    \
        *added = false;                                                                  \
        for (size_t i = 0; i < st->n; i++)                                               \
            if (st->arr[i]->key == k)                                                    \
                return st->arr[i];                                                       \
        st->arr = xrealloc(st->arr, (st->n + 1) * sizeof *st->arr);                      \
        type *e = xcalloc(1, sizeof *e);                                                 \
        st->arr[st->n++] = e;                                                            \
        e->key = k;                                                                      \
        *added = true;                                                                   \
        return e;                                                                        \
    }

FIND_OR_ADD(find_or_add_proc, struct tr_pstate, p, np, pid)
FIND_OR_ADD(find_or_add_table, struct tr_fdtab, t, nt, tgid)

struct tr_pstate *tp_proc(struct tr_state *st, int pid)
{
    bool added;
    struct tr_pstate *p = find_or_add_proc(st, pid, &added);
    if (added) { /* a thread group of its own, alive until its exit is seen */
        p->tgid = pid;
        p->end = -1;
    }
    return p;
}

struct tr_fdtab *tp_table(struct tr_state *st, int tgid)
{
    bool added;
    return find_or_add_table(st, tgid, &added);
}

/* The entry for fd in t, or NULL. */
struct tr_fd *tp_fd(struct tr_fdtab *t, int fd)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->e[i].fd == fd)
            return &t->e[i];
    return NULL;
}

void tp_fd_set(struct tr_fdtab *t, int fd, const char *key, char end, bool cloexec)
{
    struct tr_fd *e = tp_fd(t, fd);
    if (e == NULL) {
        t->e = xrealloc(t->e, (t->n + 1) * sizeof *t->e);
        e = &t->e[t->n++];
    }
    e->fd = fd;
    snprintf(e->key, sizeof e->key, "%s", key);
    e->end = end;
    e->cloexec = cloexec;
    e->closed = key[0] == '\0';
}

/* Copy parent's entries into child for the fds child has not touched yet. */
static void inherit(struct tr_fdtab *child, struct tr_fdtab *parent)
{
    for (size_t i = 0; i < parent->n; i++) {
        const struct tr_fd *e = &parent->e[i];
        if (!e->closed && tp_fd(child, e->fd) == NULL)
            tp_fd_set(child, e->fd, e->key, e->end, e->cloexec);
    }
    child->inherited = true;
}

void tp_spawn(struct tr_state *st, int parent, int child, bool thread, double t)
{
    struct tr_pstate *pp = tp_proc(st, parent), *c = tp_proc(st, child);
    c->parent = parent;
    c->thread = thread;
    c->image = pp->image;
    snprintf(c->name, sizeof c->name, "%s", pp->name);
    if (thread)
        c->tgid = pp->tgid;
    else
        inherit(tp_table(st, child), tp_table(st, pp->tgid));
    if (tp_live(st, pp) && t <= st->t_end) {
        c->in_scope = true;
        c->start = t;
        if (!thread && pp->image == 0)
            snprintf(c->name, sizeof c->name, "fork of %.20s", pp->name);
    }
}

bool tp_live(const struct tr_state *st, const struct tr_pstate *p)
{
    return p->in_scope && st->started && !st->ended;
}

/* The display name of an object key ("pipe#2"), numbering it on first sight. */
const char *tp_obj_name(struct tr_state *st, const char *key)
{
    for (size_t i = 0; i < st->no; i++)
        if (strcmp(st->o[i]->key, key) == 0)
            return st->o[i]->name;
    st->o = xrealloc(st->o, (st->no + 1) * sizeof *st->o);
    struct tr_obj *o = xcalloc(1, sizeof *o);
    st->o[st->no++] = o;
    snprintf(o->key, sizeof o->key, "%s", key);
    o->harness = !st->started;
    if (o->harness) { /* not numbered: never drawn */
        snprintf(o->name, sizeof o->name, "(Criterion's)");
        return o->name;
    }
    if (strncmp(key, "pipe:", 5) == 0)
        snprintf(o->name, sizeof o->name, "pipe#%d", ++st->npipes);
    else if (strncmp(key, "sock:", 5) == 0) {
        /* A connected pair "sock:a-b" keeps the name its end "sock:a" had. */
        const char *dash = strchr(key + 5, '-');
        for (size_t i = 0; dash != NULL && i + 1 < st->no; i++) {
            const char *k = st->o[i]->key;
            size_t la = (size_t)(dash - key);
            if ((strncmp(k, key, la) == 0 && k[la] == '\0') ||
                (strncmp(k, "sock:", 5) == 0 && strcmp(k + 5, dash + 1) == 0)) {
                snprintf(o->name, sizeof o->name, "%s", st->o[i]->name);
                return o->name;
            }
        }
        snprintf(o->name, sizeof o->name, "socket#%d", ++st->nsocks);
    } else if (strncmp(key, "fifo:", 5) == 0) {
        const char *slash = strrchr(key, '/');
        snprintf(o->name, sizeof o->name, "fifo %.30s", slash ? slash + 1 : key + 5);
    } else {
        /* "msq:3" -> "msq 3", "mq:/jobs" -> "mq /jobs" */
        snprintf(o->name, sizeof o->name, "%.40s", key);
        char *colon = strchr(o->name, ':');
        if (colon != NULL)
            *colon = ' ';
    }
    return o->name;
}

struct tr_obj *tp_obj(struct tr_state *st, const char *key)
{
    tp_obj_name(st, key);
    for (size_t i = 0; i < st->no; i++)
        if (strcmp(st->o[i]->key, key) == 0)
            return st->o[i];
    return NULL; /* not reached */
}

struct tr_event *tp_event(struct tr_state *st, enum tr_kind kind, int pid, double t)
{
    st->ev = xrealloc(st->ev, (st->nev + 1) * sizeof *st->ev);
    struct tr_event *e = &st->ev[st->nev++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->pid = pid;
    e->t = t - st->t0;
    if (e->t < 0)
        e->t = 0;
    return e;
}

/* "pid name, pid name" of the processes (not threads) whose fd tables hold key
 * with an end other than skip_end ('\0': any end), into out. */
void tp_holders(struct tr_state *st, const char *key, char want_end, char *out,
                size_t len)
{
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < st->np; i++) {
        const struct tr_pstate *p = st->p[i];
        if (p->thread || p->end >= 0 || p->pid != p->tgid)
            continue;
        struct tr_fdtab *t = tp_table(st, p->pid);
        bool has = false;
        for (size_t j = 0; j < t->n && !has; j++)
            has = !t->e[j].closed && strcmp(t->e[j].key, key) == 0 &&
                  (want_end == '\0' || t->e[j].end == want_end || t->e[j].end == 'b');
        if (has && used + 40 < len)
            used += (size_t)snprintf(out + used, len - used, "%s%d %s", used ? ", " : "",
                                     p->pid, p->in_scope ? p->name : "(Criterion)");
    }
}
