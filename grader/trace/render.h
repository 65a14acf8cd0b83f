/* render.h - what the text and SVG timelines share (words.c); trace/ only. */
#ifndef IPCLAB_TRACE_RENDER_H
#define IPCLAB_TRACE_RENDER_H

#include "trace/trace.h"

#include <stdbool.h>
#include <stddef.h>

/* The letter of lane i: A-Z, a-z, then '+'. */
char tr_lane_letter(size_t i);

/* The lane (index in tr->procs) of pid, or -1. */
int tr_lane(const struct trace *tr, int pid);

/* The direction of e's arrow: from *src to *dst; false when it has none. */
bool tr_flow(const struct tr_event *e, int *src, int *dst);

/* e in words ("72 B from pipe#1 <- C tr"), into out. */
void tr_words(const struct trace *tr, const struct tr_event *e, char *out, size_t len);

/* True for the events drawn in time order (not TR_BLOCKED or TR_HELD: said last). */
bool tr_shown(const struct tr_event *e);

/* The index of the first event drawn when only the last `last` shown events are
 * (0: all); *hidden gets how many shown events come before it. */
size_t tr_first_shown(const struct trace *tr, size_t last, size_t *hidden);

/* A quiet stretch longer than this many seconds is folded into one line. */
double tr_gap(const struct trace *tr);

/* A walk over the events drawn in time order, from one index on, that says where a
 * quiet stretch is folded: every drawing (text, SVG layout, SVG events) takes it. */
struct tr_walk {
    const struct trace *tr;
    size_t i;    /* the index of the event tr_walk_next returned last */
    size_t next; /* where the walk goes on */
    double prev; /* the time of the last shown event so far, -1 before the first */
    double gap;  /* tr_gap(tr) */
};

/* tr_walk_start - a walk over tr's shown events from index first on. */
void tr_walk_start(struct tr_walk *w, const struct trace *tr, size_t first);

/* tr_walk_next - the next shown event (its index in w->i), or NULL after the last;
 * *quiet gets the seconds since the previous shown event when they are more than
 * w->gap (a folded quiet stretch before it), else 0. */
const struct tr_event *tr_walk_next(struct tr_walk *w, double *quiet);

#endif /* IPCLAB_TRACE_RENDER_H */
