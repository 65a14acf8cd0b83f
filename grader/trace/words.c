/* words.c - what the timelines say about each event, and which events they show. */
#include "trace/render.h"

#include <stdio.h>
#include <string.h>

char tr_lane_letter(size_t i)
{
    return i < 26 ? (char)('A' + i) : i < 52 ? (char)('a' + i - 26) : '+';
}

int tr_lane(const struct trace *tr, int pid)
{
    for (size_t i = 0; i < tr->nprocs; i++)
        if (tr->procs[i].pid == pid)
            return (int)i;
    return -1;
}

/* "C sort" for pid, or "pid N" when it is not one of the test's. */
static void who(const struct trace *tr, int pid, char *out, size_t len)
{
    int l = tr_lane(tr, pid);
    if (l >= 0)
        snprintf(out, len, "%c %s", tr_lane_letter((size_t)l), tr->procs[l].name);
    else
        snprintf(out, len, "pid %d", pid);
}

bool tr_flow(const struct tr_event *e, int *src, int *dst)
{
    if (e->peer == 0 || e->peer == e->pid)
        return false;
    bool inward = e->kind == TR_RECV || e->kind == TR_EOF || e->kind == TR_SIGNAL ||
                  e->kind == TR_REAP || e->kind == TR_FDPASS || e->kind == TR_SEM;
    *src = inward ? e->peer : e->pid;
    *dst = inward ? e->pid : e->peer;
    return true;
}

void tr_words(const struct trace *tr, const struct tr_event *e, char *out, size_t len)
{
    char peer[48] = "";
    if (e->peer != 0)
        who(tr, e->peer, peer, sizeof peer);
    const char *t = e->text;
    switch (e->kind) {
    case TR_SPAWN:
        snprintf(out, len, "%s %s", strcmp(t, "thread") == 0 ? "starts thread" : "forks",
                 peer);
        break;
    case TR_EXEC:
        snprintf(out, len, "runs %s", t);
        break;
    case TR_EXIT:
        snprintf(out, len, "ends: %s", t);
        break;
    case TR_REAP:
        snprintf(out, len, "wait collects %s: %s", peer, t);
        break;
    case TR_PIPE:
        snprintf(out, len, "makes %s: %s", e->obj, t);
        break;
    case TR_DUP:
        snprintf(out, len, "puts %s %s", e->obj, t);
        break;
    case TR_CLOSE:
        snprintf(out, len, "closes %s%s%s", e->obj, t[0] ? " " : "", t);
        break;
    case TR_SEND:
        snprintf(out, len, "%ld B into %s%s%s", e->bytes, e->obj, t[0] ? ", " : "", t);
        break;
    case TR_RECV:
        snprintf(out, len, "%ld B from %s%s%s%s%s", e->bytes, e->obj, t[0] ? ", " : "", t,
                 peer[0] ? " <- " : "", peer);
        break;
    case TR_EOF:
        snprintf(out, len, "EOF on %s: %s%s%s", e->obj, t, peer[0] ? ", last by " : "",
                 peer);
        break;
    case TR_OPEN:
        snprintf(out, len, "opens %s: %s", e->obj, t);
        break;
    case TR_MKFIFO:
        snprintf(out, len, "makes %s", e->obj);
        break;
    case TR_SEM:
        snprintf(out, len, "%s %s%s%s", e->obj, t, peer[0] ? " by " : "", peer);
        break;
    case TR_ATTACH:
        snprintf(out, len, "%s %s", e->obj, t);
        break;
    case TR_CONNECT:
    case TR_FDPASS:
        snprintf(out, len, "%s %s", e->obj, t);
        break;
    case TR_KILL:
        snprintf(out, len, "sends %s%s%s", t, peer[0] ? " to " : "", peer);
        break;
    case TR_SIGNAL:
        snprintf(out, len, "gets %s%s%s", t, peer[0] ? " from " : "", peer);
        break;
    case TR_HANDLER:
        snprintf(out, len, "%s", t);
        break;
    case TR_BLOCKED:
        snprintf(out, len, "blocked %.1f s in %s(%s)%s%s", (double)e->bytes / 1e6, t,
                 e->obj, e->holders[0] ? ": " : "",
                 e->holders[0] ? (strncmp(t, "wait", 4) == 0 ? "children alive"
                                                             : "other end held by")
                               : "");
        break;
    case TR_HELD:
        snprintf(out, len, "still holds %s (%s)", e->obj, t);
        break;
    }
}

bool tr_shown(const struct tr_event *e)
{
    return e->kind != TR_BLOCKED && e->kind != TR_HELD;
}

size_t tr_first_shown(const struct trace *tr, size_t last, size_t *hidden)
{
    size_t n = 0;
    for (size_t i = 0; i < tr->nev; i++)
        n += tr_shown(&tr->ev[i]);
    *hidden = last > 0 && n > last ? n - last : 0;
    size_t skip = *hidden, i = 0;
    for (; i < tr->nev && skip > 0; i++)
        skip -= tr_shown(&tr->ev[i]);
    return i;
}

double tr_gap(const struct trace *tr)
{
    double g = tr->length / 5;
    return g > 0.5 ? g : 0.5;
}

void tr_walk_start(struct tr_walk *w, const struct trace *tr, size_t first)
{
    *w = (struct tr_walk){
        .tr = tr, .i = first, .next = first, .prev = -1, .gap = tr_gap(tr)};
}

const struct tr_event *tr_walk_next(struct tr_walk *w, double *quiet)
{
    while (w->next < w->tr->nev) {
        const struct tr_event *e = &w->tr->ev[w->next++];
        if (!tr_shown(e))
            continue;
        *quiet = w->prev >= 0 && e->t - w->prev > w->gap ? e->t - w->prev : 0;
        w->prev = e->t;
        w->i = w->next - 1;
        return e;
    }
    return NULL;
}
