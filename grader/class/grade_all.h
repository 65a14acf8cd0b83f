/* grade_all.h - grade-all's engine: a class's students, graded in parallel, resumably. */
#ifndef IPCLAB_GRADE_ALL_H
#define IPCLAB_GRADE_ALL_H

#include "class/gradebook.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* How many --grade-opt options one run takes. */
#define MAX_GRADE_OPTS 16

/* One entry of SUBMISSIONS/. */
struct class_student {
    char *name;            /* the entry's name without an archive suffix */
    char *entry;           /* SUBMISSIONS/entry: a directory or an archive */
    bool archive;          /* entry is an archive to unpack first */
    char *reason;          /* why it could not be graded (this run), or NULL */
    bool skip;             /* complete outputs from an earlier run */
    struct class_run *run; /* back pointer, for the pool's forget callback */
};

/* Everything one `grade-all` invocation knows. */
struct class_run {
    const char *lab;    /* --lab as given (passed on to `ipclab grade`) */
    const char *subs;   /* SUBMISSIONS/ */
    char out[PATH_MAX]; /* --out, made absolute */
    char exe[PATH_MAX]; /* what runs one grade: /proc/self/exe, or $IPCLAB_GRADE_EXE */
    unsigned jobs;      /* -j */
    double timeout;     /* --timeout: wall seconds per student, 0 for none */
    bool quiet, force;  /* --quiet, --force */
    bool traces;        /* --trace-failures: each grade draws its failed tests */
    char *extra[MAX_GRADE_OPTS]; /* --grade-opt values, passed on to each grade */
    size_t nextra;
    struct class_meta meta;
    struct class_student *s; /* this shard's students, sorted by name */
    size_t n;
};

/*
 * class_list_students - fill r->s with the entries of SUBMISSIONS/ that belong to
 * this shard: directories and archives (hidden entries and other files are
 * skipped with a warning), sorted by name. Two entries with one name
 * (alice/ and alice.zip) are an error. Returns 0, or -1 after a message.
 */
int class_list_students(struct class_run *r);

/* class_free_students - release the student list. */
void class_free_students(struct class_run *r);

/* class_setup_out - create OUT/, lock it (one grade-all per directory) and check its lab.
 */
int class_setup_out(struct class_run *r, const char *out_arg, int *lock_fd);

/* class_make_roster - the run's students as a roster (names sorted, reasons kept). */
int class_make_roster(const struct class_run *r, struct roster *ro);

/*
 * class_grade_pending - grade every student not skipped, r->jobs at a time, with
 * progress on stderr. Returns 0 when all ran, or the signal (SIGINT or
 * SIGTERM) that stopped it, after killing the children and removing their
 * partial work.
 */
int class_grade_pending(struct class_run *r, size_t todo);

/* class_report_end - write the gradebook and summary, print the histogram. 0, 1 or 2. */
int class_report_end(struct class_run *r, bool colour, double seconds);

#endif /* IPCLAB_GRADE_ALL_H */
