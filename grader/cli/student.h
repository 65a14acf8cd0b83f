/* student.h - what the student commands (check, watch, hint, ...) share. */
#ifndef IPCLAB_STUDENT_H
#define IPCLAB_STUDENT_H

#include "engine/grade.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* ANSI colours, or "" everywhere when colour is off. */
struct colours {
    const char *green, *red, *yellow, *bold, *dim, *off;
};

/* student_colours - colours for stream out: only on a terminal, never with NO_COLOR. */
struct colours student_colours(FILE *out);

/* What one `ipclab check` run is asked to do. */
struct check_opts {
    bool asan;         /* build with SAN=1 into build/asan */
    const char *glob;  /* Criterion filter ("suite/test" glob), or NULL for all */
    bool quiet;        /* print nothing (solution uses the verdicts only) */
    bool record;       /* store the result in the progress file */
    const char *first; /* tests to run first and report on their own, before the
                          rest (watch: those that failed last time), or NULL */
};

/* The outcome of a check: counts over the tests that were run. */
struct check_result {
    bool build_ok;
    size_t passed, run;     /* tests passed / tests run (the glob's) */
    double points, max;     /* points of passed tests / of the tests run */
    char first_failing[64]; /* the first failing test in manifest order, or "" */
};

/*
 * check_lab - build the student's src/ of lab_dir with make into the lab's
 * own build directory (build/ for a plain check, build/asan with SAN=1), so
 * unchanged objects are reused, then run the tests natively with the
 * grader's own runner (native_inner: watchdog and why-it-hung) and read its
 * results with collect_native. Prints compiler errors first, then one line
 * per failure with its assertion message, the manifest's first hint and,
 * for a timeout, the why-it-hung sentence. Fills *res. Returns 0 when the
 * build succeeded and every test run passed, 1 otherwise, 2 when it could
 * not run at all (after printing why).
 */
int check_lab(const char *lab_dir, const struct check_opts *o, struct check_result *res);

/*
 * Tests to report early: those matching glob run in a shard of their own,
 * started before the others; when it ends, report(g, arg) is called with
 * their results already in g->tests[], while the other shards still run.
 */
struct check_early {
    const char *glob;
    void (*report)(struct grade *g, void *arg);
    void *arg;
};

/*
 * check_run_tests - run the tests of g->m matching glob (all when NULL) with
 * the test binary bin, as parallel shards ($IPCLAB_CHECK_JOBS, else two per
 * CPU, at most 7; perf tests run last, in a shard of their own; early's tests,
 * when early is not NULL, first in another): each shard is the grader's own
 * native pass (native_inner: one test at a time, watchdog, why-it-hung) in
 * its own work directory, with a --filter naming its tests, so nothing is
 * misattributed; its results are read with collect_native into g->tests[]
 * (allocated by the caller, mt set) and g->runner_note. IPC objects the
 * tests left are removed. If output is not NULL, *output gets the runners'
 * output (malloc'd; test output and sanitizer reports). Returns the number
 * of tests selected.
 */
size_t check_run_tests(struct grade *g, const char *bin, const char *glob,
                       const struct check_early *early, char **output);

/* student_bar - width cells of a UTF-8 progress bar for done/total into out. */
void student_bar(char *out, size_t len, double done, double total, int width);

/*
 * progress_load - the progress file (ROOT/.ipclab-progress) as a jansson
 * object, a fresh empty object when it is absent or unreadable. Never NULL
 * (exits when memory runs out). Caller decrefs.
 */
json_t *progress_load(void);

/* progress_save - write p back atomically (temp file + rename); 0 or -1 (warned). */
int progress_save(json_t *p);

/* progress_lab - p["labs"][id], created when missing (borrowed reference). */
json_t *progress_lab(json_t *p, const char *id);

/*
 * progress_record - store a check's outcome for lab id (passed, total,
 * points, max, failing tests in manifest order, time) and mark it as the
 * lab in progress. A filtered check (a glob) updates only the "current" mark.
 */
void progress_record(json_t *p, const char *id, const struct grade *g,
                     const struct check_result *res, bool filtered);

/*
 * student_skeleton_to - write the skeleton of lab slug's student file to
 * dst: from ROOT/.skeleton/SLUG/src/FILE (a release ships it) when present,
 * else `git show HEAD:labs/SLUG/src/FILE` in ROOT. Returns 0 or -1.
 */
int student_skeleton_to(const char *slug, const char *file, const char *dst);

/*
 * student_lab_list - the lab directories under ROOT/labs, sorted; *n set.
 * Caller frees each string and the array.
 */
char **student_lab_list(size_t *n);

/* student_free_list - free what student_lab_list returned. */
void student_free_list(char **list, size_t n);

/*
 * student_help - print usage text to stdout and return 0 when argv holds
 * --help or -h; otherwise return -1 and print nothing.
 */
int student_help(int argc, char **argv, const char *usage);

#endif /* IPCLAB_STUDENT_H */
