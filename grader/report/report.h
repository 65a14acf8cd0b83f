/* report.h - the outputs of one grading run (terminal, Gradescope, JUnit, CSV, JSON). */
#ifndef IPCLAB_REPORT_H
#define IPCLAB_REPORT_H

#include "engine/grade.h"

#include <stdio.h>

/*
 * report_term - the readable report: one line per test, the failures with
 * their message, hint and why-it-hung sentence, the deductions with evidence
 * and the command that shows them, and the score. colour: ANSI colours (the
 * caller decides: a terminal and no NO_COLOR). verbose: also hang details.
 */
void report_term(const struct grade *g, FILE *out, bool colour, bool verbose);

/*
 * report_gradescope - write Gradescope's results.json (their autograder
 * specification: score, max_score, output, tests[] with name, number,
 * score, max_score, status, output, visibility). Returns 0 or -1.
 */
int report_gradescope(const struct grade *g, const char *path);

/* report_junit - write a JUnit XML report (libxml2). Returns 0 or -1. */
int report_junit(const struct grade *g, const char *path);

/*
 * report_csv - write a CSV header line and one row: student, lab, score,
 * max_score, the points earned in each test (manifest order), deductions,
 * notes. Returns 0 or -1.
 */
int report_csv(const struct grade *g, const char *path);

/*
 * report_json - the full internal report (everything measured), for the
 * class-scale tools and the student command; its shape is documented at the
 * top of json.c. Returns 0 or -1.
 */
int report_json(const struct grade *g, const char *path);

/* report_json_build - the same document as a jansson object (caller decrefs). */
json_t *report_json_build(const struct grade *g);

/* report_test_output - the text shown for one test (message, hint, hang); malloc'd. */
char *report_test_output(const struct grade *g, const struct test_result *r);

/*
 * report_audit_text - the audit's findings for the student: a heading
 * (refused: scores 0, no test ran; flagged for review; or notes) and one
 * "FILE:LINE: what" line each; malloc'd, or NULL when it found nothing.
 */
char *report_audit_text(const struct grade *g);

/* report_notes - one line of notes (isolation, runner problems, build); malloc'd. */
char *report_notes(const struct grade *g);

#endif /* IPCLAB_REPORT_H */
