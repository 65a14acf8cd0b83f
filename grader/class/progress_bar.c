/* progress_bar.c - grade-all's and grade's progress: a bar with an ETA on a terminal,
 * lines (grade-all) or nothing (grade) otherwise. */
#include "class/progress_bar.h"
#include "base/term.h"
#include "class/pool.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* on_terminal - out is a terminal that understands "\r" and "\033[K". */
static bool on_terminal(FILE *out)
{
    const char *term = getenv("TERM");
    return isatty(fileno(out)) && (term == NULL || strcmp(term, "dumb") != 0);
}

bool progress_bar_colour(FILE *out)
{
    return on_terminal(out) && term_colour_wanted(out);
}

void progress_bar_init(struct progress_bar *p, FILE *out, size_t total, bool quiet)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->quiet = quiet;
    p->bar = !quiet && on_terminal(out);
    p->colour = !quiet && progress_bar_colour(out);
    p->total = total;
    clock_gettime(CLOCK_MONOTONIC, &p->start);
}

/* clear_bar - erase the bar line so ordinary lines can be printed. */
static void clear_bar(struct progress_bar *p)
{
    if (p->bar)
        fputs("\r\033[K", p->out);
}

/* fmt_duration - "42s", "3m07s" or "1h02m" into buf. */
static void fmt_duration(char *buf, size_t len, double s)
{
    long t = (long)(s + 0.5);
    if (t < 60)
        snprintf(buf, len, "%lds", t);
    else if (t < 3600)
        snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
}

void progress_bar_student(struct progress_bar *p, const char *name, const char *result,
                          bool good, double seconds)
{
    p->done++;
    if (p->quiet)
        return;
    clear_bar(p);
    int w = snprintf(NULL, 0, "%zu", p->total);
    fprintf(p->out, "[%*zu/%zu] %-24s %s%s%s  (%.1f s)\n", w, p->done, p->total, name,
            p->colour ? (good ? "\033[32m" : "\033[31m") : "", result,
            p->colour ? "\033[0m" : "", seconds);
    progress_bar_tick(p, p->running);
}

/*
 * draw - the bar line: [####....] filled done/total, then tail (a caption,
 * times), in place of the previous one.
 */
static void draw(struct progress_bar *p, size_t done, size_t total, const char *tail)
{
    enum { WIDTH = 30 };
    size_t fill = total > 0 ? (done < total ? done : total) * WIDTH / total : 0;
    fputs("\r\033[K[", p->out);
    if (p->colour)
        fputs("\033[32m", p->out);
    for (size_t i = 0; i < WIDTH; i++)
        fputc(i < fill ? '#' : '.', p->out);
    if (p->colour)
        fputs("\033[0m", p->out);
    fprintf(p->out, "] %s", tail);
    fflush(p->out);
}

void progress_bar_tick(struct progress_bar *p, size_t running)
{
    p->running = running;
    if (!p->bar || p->total == 0)
        return;
    double elapsed = pool_elapsed(&p->start);
    char eta[32] = "--";
    if (p->done > 0 && p->done < p->total)
        fmt_duration(eta, sizeof eta,
                     elapsed / (double)p->done * (double)(p->total - p->done));
    else if (p->done == p->total)
        snprintf(eta, sizeof eta, "0s");
    char took[32], tail[256];
    fmt_duration(took, sizeof took, elapsed);
    snprintf(tail, sizeof tail, "%zu/%zu %3zu%%  %zu running  elapsed %s  ETA %s",
             p->done, p->total, p->done * 100 / p->total, running, took, eta);
    draw(p, p->done, p->total, tail);
}

void progress_bar_steps(struct progress_bar *p, size_t done, size_t total,
                        const char *caption, double eta)
{
    if (!p->bar)
        return;
    char took[32], left[32] = "--", tail[512];
    fmt_duration(took, sizeof took, pool_elapsed(&p->start));
    if (eta >= 0)
        fmt_duration(left, sizeof left, eta);
    snprintf(tail, sizeof tail, "%s  elapsed %s  ETA %s", caption, took, left);
    draw(p, done, total, tail);
}

void progress_bar_note(struct progress_bar *p, const char *line)
{
    if (!p->bar)
        return;
    clear_bar(p);
    fprintf(p->out, "%s\n", line);
    fflush(p->out);
}

void progress_bar_end(struct progress_bar *p)
{
    clear_bar(p);
    fflush(p->out);
}
