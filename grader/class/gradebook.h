/* gradebook.h - a class's outputs: gradebook.csv, summary.json, grade-all.json. */
#ifndef IPCLAB_CLASS_GRADEBOOK_H
#define IPCLAB_CLASS_GRADEBOOK_H

#include "class/histogram.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * An output directory DIR (of `grade-all --out DIR` or `merge --out DIR`):
 *   DIR/grade-all.json          which lab, which shard, the roster (this file)
 *   DIR/gradebook.csv           header + one row per graded student, sorted
 *   DIR/summary.json            scores, histogram, per-test pass rates, deductions
 *   DIR/students/NAME/          results.json, report.txt, full.json, row.csv
 * A student directory appears only complete (renamed into place last).
 *
 * summary.json (for reports built on top of it; no timings, so it is the
 * same for -j1 and -jN):
 *   lab, slug                 "01", "01-pipes"
 *   students, graded          roster size, students in the gradebook
 *   percent                   {mean, median, min, max} of score/max_score in %
 *   histogram                 [{bucket: "0-9%" .. "100%", students}], 11 entries
 *   tests                     [{name, max_score, graded, passed, pass_rate (0..1),
 *                               mean_score}] in results.json order (tests worth
 *                               points only)
 *   deductions                [{category, title, students, points}], the 10
 *                             categories most students lost points to
 *   ungraded                  [{student, reason}] could not be graded
 *   pending                   [student] not graded yet (an unfinished shard)
 */

/* Files a complete DIR/students/NAME/ holds (grade.log may come too). */
extern const char *const GRADEBOOK_STUDENT_FILES[];
#define GRADEBOOK_NSTUDENT_FILES 4

/* What was graded, and which part of the class. */
struct class_meta {
    char *lab;        /* manifest id, "01" */
    char *slug;       /* "01-pipes" */
    unsigned shard_k; /* this is shard K of N (1-based); 0 when not sharded */
    unsigned shard_n;
};

/* The students of one output directory, sorted by name (strcmp order). */
struct roster {
    char **names;   /* n names */
    char **reasons; /* reasons[i]: why names[i] could not be graded, or NULL */
    size_t n;
};

/* gradebook_student_done - true when DIR/students/NAME holds every output file. */
bool gradebook_student_done(const char *out_dir, const char *name);

/*
 * gradebook_finish - from the complete student directories of the roster,
 * write DIR/gradebook.csv (row.csv headers must all match), DIR/summary.json
 * and DIR/grade-all.json, each atomically (temporary file + rename), and fill
 * *hist. Output depends only on the student files and the roster, never on
 * timing or order of grading, so -j1 and -jN give identical bytes.
 * Returns the number of students in the gradebook, or -1 with a reason in err.
 */
long gradebook_finish(const char *out_dir, const struct class_meta *meta,
                      const struct roster *r, struct histogram *hist, char *err,
                      size_t errlen);

/*
 * gradebook_write_meta - write DIR/grade-all.json (the lab, the shard, the
 * roster) atomically; grade-all writes it first, so a re-run or a merge can
 * tell which lab a directory holds before any gradebook exists.
 * Returns 0, or -1 with a reason in err.
 */
int gradebook_write_meta(const char *out_dir, const struct class_meta *meta,
                         const struct roster *r, char *err, size_t errlen);

/*
 * gradebook_read_meta - read DIR/grade-all.json into *meta and *r (both to
 * be freed with gradebook_free_*). Returns 0, or -1 with a reason in err.
 */
int gradebook_read_meta(const char *out_dir, struct class_meta *meta, struct roster *r,
                        char *err, size_t errlen);

/* gradebook_free_meta, gradebook_free_roster - release what the reader allocated. */
void gradebook_free_meta(struct class_meta *meta);
void gradebook_free_roster(struct roster *r);

/*
 * roster_add - append name (copied) with reason (copied, may be NULL).
 * Returns 0, or -1 with errno ENOMEM.
 */
int roster_add(struct roster *r, const char *name, const char *reason);

/* roster_sort - sort by name (strcmp), keeping each reason with its name. */
void roster_sort(struct roster *r);

#endif /* IPCLAB_CLASS_GRADEBOOK_H */
