/* svg.c - the timeline as an SVG sequence chart (and an HTML page around it). */
#include "trace/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COL_W  130 /* pixels between two lifelines */
#define LEFT   70  /* the time column */
#define TOP    70  /* title and process boxes */
#define ROW_H  22
#define GAP_H  26 /* a folded quiet stretch */
#define FOOT_H 18 /* one line of the notes under the chart */

/* s with &, <, > and " escaped for XML, to out. */
static void esc(FILE *out, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '&')
            fputs("&amp;", out);
        else if (*s == '<')
            fputs("&lt;", out);
        else if (*s == '>')
            fputs("&gt;", out);
        else if (*s == '"')
            fputs("&quot;", out);
        else
            fputc(*s, out);
    }
}

static int x_of(int lane)
{
    return LEFT + COL_W / 2 + lane * COL_W;
}

/* The y of each shown event (gaps folded), and the chart's bottom. */
static int *layout(const struct trace *tr, size_t first, int *bottom)
{
    int *y = calloc(tr->nev + 1, sizeof *y);
    if (y == NULL)
        return NULL;
    int at = TOP + ROW_H;
    struct tr_walk w;
    tr_walk_start(&w, tr, first);
    double quiet;
    while (tr_walk_next(&w, &quiet) != NULL) {
        if (quiet > 0)
            at += GAP_H;
        y[w.i] = at;
        at += ROW_H;
    }
    *bottom = at + (tr->stopped ? GAP_H : 0);
    return y;
}

/* The y at time t: that of the first shown event at or after t. */
static int y_at(const struct trace *tr, const int *y, size_t first, double t, int bottom)
{
    for (size_t i = first; i < tr->nev; i++)
        if (tr_shown(&tr->ev[i]) && tr->ev[i].t >= t)
            return y[i] - ROW_H / 2;
    return bottom;
}

/* The y just after the last shown event at or before t (the chart's top if none). */
static int y_after(const struct trace *tr, const int *y, size_t first, double t)
{
    int at = TOP;
    for (size_t i = first; i < tr->nev && tr->ev[i].t <= t; i++)
        if (tr_shown(&tr->ev[i]))
            at = y[i] + ROW_H / 2;
    return at;
}

/* Lifelines: a box with pid and name, a line from its start to its end. */
static void lifelines(const struct trace *tr, const int *y, size_t first, int bottom,
                      FILE *out)
{
    for (size_t i = 0; i < tr->nprocs; i++) {
        const struct tr_proc *p = &tr->procs[i];
        int x = x_of((int)i);
        int y0 = p->start > 0 ? y_at(tr, y, first, p->start, bottom) : TOP;
        int y1 = p->end >= 0 ? y_at(tr, y, first, p->end, bottom) + ROW_H / 2 : bottom;
        if (y0 > y1)
            y0 = y1;
        fprintf(out,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"30\" rx=\"4\" "
                "class=\"box%s\"/>\n<text x=\"%d\" y=\"%d\" class=\"head\">%c %d ",
                x - COL_W / 2 + 6, TOP - 36, COL_W - 12, p->thread ? " thread" : "", x,
                TOP - 24, tr_lane_letter(i), p->pid);
        fprintf(out, "</text>\n<text x=\"%d\" y=\"%d\" class=\"head\">", x, TOP - 11);
        esc(out, p->name);
        fprintf(
            out,
            "</text>\n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"life\"/>\n",
            x, y0, x, y1);
        if (p->end >= 0 && strncmp(p->how, "killed", 6) == 0)
            fprintf(out, "<path d=\"M%d %d l10 10 m0 -10 l-10 10\" class=\"killed\"/>\n",
                    x - 5, y1 - 5);
    }
}

/* Blocked calls: a red bar on the lifeline from the call to its end. */
static void blocked(const struct trace *tr, const int *y, size_t first, int bottom,
                    FILE *out)
{
    for (size_t i = 0; i < tr->nev; i++) {
        const struct tr_event *e = &tr->ev[i];
        int l = tr_lane(tr, e->pid);
        if (e->kind != TR_BLOCKED || l < 0)
            continue;
        int y0 = y_after(tr, y, first, e->t);
        int y1 = y_at(tr, y, first, e->t + (double)e->bytes / 1e6, bottom);
        if (y1 - y0 < ROW_H)
            y1 = y0 + ROW_H;
        fprintf(out,
                "<rect x=\"%d\" y=\"%d\" width=\"8\" height=\"%d\" class=\"blocked\"/>\n"
                "<text x=\"%d\" y=\"%d\" class=\"blockedtext\">blocked in %s(",
                x_of(l) - 4, y0, y1 - y0, x_of(l) + 8, y0 + 12, e->text);
        esc(out, e->obj);
        fprintf(out, ")</text>\n");
    }
}

/* One shown event: an arrow between two lifelines, or a dot with words. */
static void event(const struct trace *tr, const struct tr_event *e, int y, FILE *out)
{
    char words[200];
    tr_words(tr, e, words, sizeof words);
    int src, dst, ls, ld, l = tr_lane(tr, e->pid);
    fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"time\">%.3f</text>\n", LEFT - 6, y + 4,
            e->t);
    const char *cls = e->kind == TR_EOF                            ? "eof"
                      : e->kind == TR_SIGNAL || e->kind == TR_KILL ? "sig"
                      : e->kind == TR_SPAWN || e->kind == TR_REAP  ? "proc"
                                                                   : "ipc";
    if (tr_flow(e, &src, &dst) && (ls = tr_lane(tr, src)) >= 0 &&
        (ld = tr_lane(tr, dst)) >= 0) {
        int x1 = x_of(ls), x2 = x_of(ld);
        fprintf(out,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"arrow %s\" "
                "marker-end=\"url(#head)\"/>\n<text x=\"%d\" y=\"%d\" class=\"label\">",
                x1, y, x2 + (x2 > x1 ? -6 : 6), y, cls, (x1 + x2) / 2, y - 4);
        char label[120];
        if (e->kind == TR_RECV)
            snprintf(label, sizeof label, "%ld B %s", e->bytes, e->obj);
        else if (e->kind == TR_EOF)
            snprintf(label, sizeof label, "EOF %s", e->obj);
        else
            snprintf(label, sizeof label, "%.*s", (int)strcspn(words, ":"), words);
        esc(out, label);
        fprintf(out, "</text>\n");
        return;
    }
    if (l < 0)
        return;
    fprintf(out,
            "<circle cx=\"%d\" cy=\"%d\" r=\"4\" class=\"dot %s\"/>\n<text x=\"%d\" "
            "y=\"%d\" class=\"note\">",
            x_of(l), y, cls, x_of(l) + 8, y + 4);
    esc(out, words);
    fprintf(out, "</text>\n");
}

void trace_svg(const struct trace *tr, const struct tr_draw *d, FILE *out)
{
    size_t hidden, first = tr_first_shown(tr, d->last, &hidden);
    int bottom;
    int *y = layout(tr, first, &bottom);
    if (y == NULL)
        return;
    size_t notes = 0;
    for (size_t i = 0; i < tr->nev; i++)
        notes += !tr_shown(&tr->ev[i]);
    int width = LEFT + (int)(tr->nprocs > 0 ? tr->nprocs : 1) * COL_W + 160;
    int height = bottom + 20 + (int)(notes + 2) * FOOT_H;
    fprintf(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">\n"
        "<style>.box{fill:#eef3fb;stroke:#4a6fa5}.box.thread{fill:#f6f6f6}"
        ".head{text-anchor:middle;font-weight:bold}.life{stroke:#9aa;stroke-width:1.5}"
        ".arrow{stroke:#2a5db0;stroke-width:1.5}.arrow.eof{stroke:#c07000;"
        "stroke-dasharray:4 3}.arrow.sig{stroke:#a02090}.arrow.proc{stroke:#555;"
        "stroke-dasharray:2 2}.label{text-anchor:middle;fill:#123}"
        ".time{text-anchor:end;fill:#777}.note{fill:#333}.dot{fill:#2a5db0}"
        ".dot.eof{fill:#c07000}.dot.sig{fill:#a02090}.dot.proc{fill:#555}"
        ".blocked{fill:#d22}.blockedtext{fill:#d22;font-weight:bold}"
        ".killed{stroke:#d22;stroke-width:2}.gap{stroke:#bbb;stroke-dasharray:6 4}"
        ".gaptext{fill:#888}.foot{fill:#333}</style>\n"
        "<defs><marker id=\"head\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" "
        "refY=\"4\" orient=\"auto\"><path d=\"M0 0 L8 4 L0 8 z\" fill=\"#2a5db0\"/>"
        "</marker></defs>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
        "<text x=\"8\" y=\"16\" font-size=\"13\" font-weight=\"bold\">",
        width, height, width, height);
    esc(out, d->title != NULL ? d->title : "IPC timeline");
    if (d->sub != NULL) {
        fputc(' ', out);
        esc(out, d->sub);
    }
    fprintf(out, "</text>\n");
    if (hidden > 0)
        fprintf(out,
                "<text x=\"8\" y=\"%d\" class=\"gaptext\">(%zu earlier events not "
                "shown)</text>\n",
                TOP + 4, hidden);
    lifelines(tr, y, first, bottom, out);
    struct tr_walk w;
    tr_walk_start(&w, tr, first);
    const struct tr_event *e;
    double quiet;
    while ((e = tr_walk_next(&w, &quiet)) != NULL) {
        int at = y[w.i];
        if (quiet > 0)
            fprintf(out,
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"gap\"/>\n"
                    "<text x=\"8\" y=\"%d\" class=\"gaptext\">%.1f s quiet</text>\n",
                    LEFT, at - ROW_H, width - 10, at - ROW_H, at - ROW_H + 4, quiet);
        event(tr, e, at, out);
    }
    if (tr->stopped)
        fprintf(out,
                "<text x=\"8\" y=\"%d\" class=\"blockedtext\">test stopped after %.1f "
                "s</text>\n",
                bottom - 6, tr->length);
    blocked(tr, y, first, bottom, out);
    int fy = bottom + 24;
    if (d->why != NULL) {
        fprintf(out, "<text x=\"8\" y=\"%d\" class=\"blockedtext\">why it hung: ", fy);
        esc(out, d->why);
        fprintf(out, "</text>\n");
        fy += FOOT_H;
    }
    for (size_t i = 0; i < tr->nev; i++) {
        const struct tr_event *e = &tr->ev[i];
        int l = tr_lane(tr, e->pid);
        if (tr_shown(e) || l < 0)
            continue;
        char words[200];
        tr_words(tr, e, words, sizeof words);
        fprintf(out, "<text x=\"8\" y=\"%d\" class=\"foot\">%c %d %s: ", fy,
                tr_lane_letter((size_t)l), e->pid, e->kind == TR_BLOCKED ? "" : "");
        esc(out, words);
        if (e->holders[0]) {
            fputc(' ', out);
            esc(out, e->holders);
        }
        fprintf(out, "</text>\n");
        fy += FOOT_H;
    }
    fprintf(out, "</svg>\n");
    free(y);
}

void trace_html(const struct trace *tr, const struct tr_draw *d, FILE *out)
{
    fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<title>");
    esc(out, d->title != NULL ? d->title : "IPC timeline");
    fprintf(out, "</title>\n<style>body{font-family:sans-serif;margin:1em}"
                 "pre{font-size:12px;background:#f8f8f8;padding:.5em}</style>\n"
                 "</head>\n<body>\n<h1>");
    esc(out, d->title != NULL ? d->title : "IPC timeline");
    fprintf(out, "</h1>\n");
    struct tr_draw plain = *d;
    plain.colour = false;
    trace_svg(tr, &plain, out);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem != NULL) {
        trace_text(tr, &plain, mem);
        fclose(mem);
        fprintf(out, "<h2>The same, as text</h2>\n<pre>");
        esc(out, text != NULL ? text : "");
        fprintf(out, "</pre>\n");
        free(text);
    }
    fprintf(out, "</body>\n</html>\n");
}
