/* text.c - the timeline in a terminal: one lane per process, one line per event. */
#include "trace/render.h"

#include <stdio.h>
#include <string.h>

#define WIDTH     80
#define MAX_LANES 16 /* two columns each; processes past them share the last */

/* The colours of one drawing ("" everywhere without colour). */
struct pal {
    const char *red, *green, *yellow, *dim, *bold, *off;
};

static struct pal palette(bool colour)
{
    struct pal c = {"", "", "", "", "", ""};
    if (colour)
        c = (struct pal){"\033[31m", "\033[32m", "\033[33m",
                         "\033[2m",  "\033[1m",  "\033[0m"};
    return c;
}

/* The lane column of a process index (the last lane takes the overflow). */
static size_t col(int lane)
{
    return lane < MAX_LANES ? (size_t)lane : MAX_LANES - 1;
}

/* Is lane l alive at time t (started, not yet ended)? */
static bool alive(const struct tr_proc *p, double t)
{
    return p->start <= t && (p->end < 0 || p->end >= t);
}

/* The legend: one line per process. */
static void legend(const struct trace *tr, const struct pal *c, FILE *out)
{
    fprintf(out, "%sprocesses%s (one lane each, left to right):\n", c->bold, c->off);
    for (size_t i = 0; i < tr->nprocs; i++) {
        const struct tr_proc *p = &tr->procs[i];
        int parent = tr_lane(tr, p->parent);
        char from[32] = "Criterion's worker";
        if (parent >= 0)
            snprintf(from, sizeof from, "%s of %c", p->thread ? "thread" : "child",
                     tr_lane_letter((size_t)parent));
        const char *state = p->blocked    ? "BLOCKED"
                            : p->end >= 0 ? p->how
                            : parent < 0  ? "ran the test"
                                          : "alive at the end";
        fprintf(out, "  %c %-7d %-14.14s %-16s %s%s%s\n", tr_lane_letter(i), p->pid,
                p->name, from,
                p->blocked                  ? c->red
                : p->end < 0 && parent >= 0 ? c->yellow
                                            : c->dim,
                state, c->off);
    }
}

/* One event's line: time, lanes, words. */
static void event_line(const struct trace *tr, const struct tr_event *e,
                       const struct pal *c, FILE *out)
{
    size_t n = tr->nprocs < MAX_LANES ? tr->nprocs : MAX_LANES;
    const char *cell[MAX_LANES];
    for (size_t i = 0; i < n; i++)
        cell[i] = alive(&tr->procs[i], e->t) ? "│ " : "  ";
    int actor = tr_lane(tr, e->pid), src, dst;
    if (tr_flow(e, &src, &dst) && tr_lane(tr, src) >= 0 && tr_lane(tr, dst) >= 0) {
        size_t a = col(tr_lane(tr, src)), b = col(tr_lane(tr, dst));
        size_t lo = a < b ? a : b, hi = a < b ? b : a;
        for (size_t i = lo; i <= hi; i++)
            cell[i] = "──";
        cell[a] = a < b ? "●─" : "● ";
        cell[b] = a < b ? "▶ " : "◀─";
        if (a == b)
            cell[a] = "● ";
    } else if (actor >= 0) {
        cell[col(actor)] = "● ";
    }
    char words[160];
    tr_words(tr, e, words, sizeof words);
    const char *tone = e->kind == TR_EOF || e->kind == TR_SIGNAL || e->kind == TR_KILL
                           ? c->yellow
                       : e->kind == TR_EXIT && strncmp(e->text, "killed", 6) == 0 ? c->red
                                                                                  : "";
    fprintf(out, "%7.3f ", e->t);
    for (size_t i = 0; i < n; i++)
        fputs(cell[i], out);
    int room = WIDTH - 8 - 2 * (int)n - 3;
    fprintf(out, " %s%c%s %s%.*s%s\n", c->bold,
            actor >= 0 ? tr_lane_letter((size_t)actor) : '?', c->off, tone,
            room > 10 ? room : 10, words, tone[0] ? c->off : "");
}

/* The end: where each process was blocked, and what was still held. */
static void ending(const struct trace *tr, const struct pal *c, FILE *out)
{
    bool any = false;
    for (size_t i = 0; i < tr->nev; i++) {
        const struct tr_event *e = &tr->ev[i];
        if (e->kind != TR_BLOCKED)
            continue;
        if (!any)
            fprintf(out, "\n%sblocked%s (a call that waited long or never returned):\n",
                    c->red, c->off);
        any = true;
        char words[200];
        tr_words(tr, e, words, sizeof words);
        int l = tr_lane(tr, e->pid);
        fprintf(out, "  %c %d %s: %s\n", l >= 0 ? tr_lane_letter((size_t)l) : '?', e->pid,
                l >= 0 ? tr->procs[l].name : "?", words);
        if (e->holders[0])
            fprintf(out, "      %s%s%s\n", c->bold, e->holders, c->off);
    }
    any = false;
    for (size_t i = 0; i < tr->nev; i++) {
        const struct tr_event *e = &tr->ev[i];
        if (e->kind != TR_HELD)
            continue;
        if (!any)
            fprintf(out, "\n%sstill open when the test ended:%s\n", c->bold, c->off);
        any = true;
        int l = tr_lane(tr, e->pid);
        fprintf(out, "  %c %d %s: %s, %s\n", l >= 0 ? tr_lane_letter((size_t)l) : '?',
                e->pid, l >= 0 ? tr->procs[l].name : "?", e->obj, e->text);
    }
}

void trace_text(const struct trace *tr, const struct tr_draw *d, FILE *out)
{
    struct pal c = palette(d->colour);
    if (d->title != NULL)
        fprintf(out, "%s%.80s%s\n", c.bold, d->title, c.off);
    if (d->sub != NULL)
        fprintf(out, "%s%.80s%s\n", c.dim, d->sub, c.off);
    if (d->why != NULL)
        fprintf(out, "%swhy it hung:%s %s\n", c.yellow, c.off, d->why);
    if (!tr->found_test) {
        fprintf(out, "the test's worker never started: nothing to draw\n");
        return;
    }
    legend(tr, &c, out);
    size_t hidden, first = tr_first_shown(tr, d->last, &hidden);
    fprintf(out, "\n%s   time ", c.dim);
    for (size_t i = 0; i < tr->nprocs && i < MAX_LANES; i++)
        fprintf(out, "%c ", tr_lane_letter(i));
    fprintf(out, " (seconds since the test started)%s\n", c.off);
    if (hidden > 0)
        fprintf(out, "%s   (%zu earlier events not shown: the last %zu are)%s\n", c.dim,
                hidden, d->last, c.off);
    struct tr_walk w;
    tr_walk_start(&w, tr, first);
    const struct tr_event *e;
    double quiet;
    while ((e = tr_walk_next(&w, &quiet)) != NULL) {
        if (quiet > 0)
            fprintf(out, "%s      ⋮  %.1f s with no IPC%s\n", c.dim, quiet, c.off);
        event_line(tr, e, &c, out);
    }
    if (tr->stopped && tr->length - w.prev > w.gap)
        fprintf(out, "%s      ⋮  %.1f s with no IPC, then the test was stopped%s\n",
                c.dim, tr->length - w.prev, c.off);
    ending(tr, &c, out);
}
