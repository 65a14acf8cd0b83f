/* progress_bar.h - grade-all's and grade's progress: a bar with an ETA on a terminal,
 * lines (grade-all) or nothing (grade) otherwise. */
#ifndef IPCLAB_PROGRESS_BAR_H
#define IPCLAB_PROGRESS_BAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

/* Progress of one run. */
struct progress_bar {
    FILE *out;             /* where it is drawn (stderr) */
    bool bar;              /* out is a terminal: redraw one bar line in place */
    bool colour;           /* a terminal and NO_COLOR unset */
    bool quiet;            /* print nothing */
    size_t total;          /* students to grade in this run */
    size_t done;           /* ... of which finished (graded or not) */
    size_t running;        /* being graded now */
    struct timespec start; /* CLOCK_MONOTONIC at progress_bar_init */
};

/*
 * progress_bar_init - start counting total students on out. Draws a bar only when
 * out is a terminal whose TERM is not "dumb"; colours only there and only
 * without NO_COLOR (https://no-color.org); nothing at all when quiet.
 */
void progress_bar_init(struct progress_bar *p, FILE *out, size_t total, bool quiet);

/*
 * progress_bar_student - one student finished: print a line "[ 3/40] NAME  result"
 * (above the bar on a terminal). result is a short text such as "45/50";
 * good selects its colour (green, else red). seconds is how long it took.
 */
void progress_bar_student(struct progress_bar *p, const char *name, const char *result,
                          bool good, double seconds);

/*
 * progress_bar_tick - redraw the bar (terminal only): done/total, percent, and
 * the time left, estimated from the rate so far; running says how many
 * students are being graded now.
 */
void progress_bar_tick(struct progress_bar *p, size_t running);

/*
 * progress_bar_steps - redraw the bar of a run counted in steps rather than
 * students (`ipclab grade`: the tests of its passes; terminal only): the
 * bar shows done/total, then caption ("tests 12/52  memcheck 3/40"), the
 * time so far and eta, the seconds left (negative: not known yet).
 */
void progress_bar_steps(struct progress_bar *p, size_t done, size_t total,
                        const char *caption, double eta);

/* progress_bar_note - print line (a phase done) above the bar (terminal only). */
void progress_bar_note(struct progress_bar *p, const char *line);

/* progress_bar_end - clear the bar, leaving the cursor on a clean line. */
void progress_bar_end(struct progress_bar *p);

/* progress_bar_colour - whether colour is allowed on this output (see progress_bar_init).
 */
bool progress_bar_colour(FILE *out);

#endif /* IPCLAB_PROGRESS_BAR_H */
