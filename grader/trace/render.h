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

#endif /* IPCLAB_TRACE_RENDER_H */
