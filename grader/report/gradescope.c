/*
 * gradescope.c - Gradescope's results.json, as their autograder
 * specification defines it: top level score, execution_time (no max_score:
 * the specification has none at the top; the tests' max_scores add up to it),
 * output, output_format, visibility, stdout_visibility; tests[] with name,
 * number, score, max_score, status ("passed"/"failed"), output, visibility
 * ("visible" or "hidden"). Deductions are extra tests[] entries with a
 * negative score and max_score 0, so the entries add up to the score.
 */
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>

/* One deduction category as a Gradescope test entry (NULL if it has none). */
static json_t *deduction_entry(const struct grade *g, int cat, int number)
{
    double sum = 0;
    char *text = NULL;
    for (size_t i = 0; i < g->ndeds; i++) {
        const struct deduction *d = &g->deds[i];
        if ((int)d->cat != cat)
            continue;
        sum += d->points;
        char *n = xasprintf("%s%s%s: %s\nShow it: %s", text ? text : "",
                            text ? "\n\n" : "", d->test, d->evidence, d->command);
        free(text);
        text = n;
    }
    if (text == NULL)
        return NULL;
    char *name = xasprintf("Deduction: %s", policy_title((enum policy_category)cat));
    char *num = xasprintf("D.%d", number);
    json_t *e = json_pack("{s:s, s:s, s:f, s:f, s:s, s:s, s:s}", "name", name, "number",
                          num, "score", -sum, "max_score", 0.0, "status", "failed",
                          "output", text, "visibility", "visible");
    free(name);
    free(num);
    free(text);
    return e;
}

int report_gradescope(const struct grade *g, const char *path)
{
    json_t *tests = json_array();
    for (size_t i = 0; g->build_ok && !g->audit_refused && i < g->m.ntests; i++) {
        const struct test_result *r = &g->tests[i];
        char *out = report_test_output(g, r);
        char *num = xasprintf("%zu", i + 1);
        json_array_append_new(
            tests,
            json_pack("{s:s, s:s, s:f, s:f, s:s, s:s, s:s}", "name", r->mt->name,
                      "number", num, "score", r->earned, "max_score", r->mt->points,
                      "status", r->verdict == V_PASSED ? "passed" : "failed", "output",
                      out, "visibility",
                      (r->mt->options & OPT_HIDDEN) ? "hidden" : "visible"));
        free(out);
        free(num);
    }
    for (int c = 0; c < CAT_COUNT; c++) {
        json_t *e = deduction_entry(g, c, c + 1);
        if (e != NULL)
            json_array_append_new(tests, e);
    }
    char *notes = report_notes(g);
    char *output;
    if (g->missing_files != NULL)
        output = xasprintf("Not graded: student file(s) not found: %s\n%s",
                           g->missing_files, notes);
    else if (!g->build_ok)
        output =
            xasprintf("The submission does not compile (warnings are errors):\n%s\n%s",
                      g->build_log ? g->build_log : "", notes);
    else
        output = xasprintf("Score %g/%g: %g for tests, -%g deductions.\n%s", g->score,
                           g->max_score, g->earned, g->deducted, notes);
    char *audit = report_audit_text(g);
    if (audit != NULL) {
        char *n = xasprintf("%s\n\n%s", audit, output);
        free(output);
        output = n;
        free(audit);
    }
    json_t *doc =
        json_pack("{s:f, s:f, s:s, s:s, s:s, s:s, s:o}", "score", g->score,
                  "execution_time", g->seconds, "output", output, "output_format", "text",
                  "visibility", "visible", "stdout_visibility", "hidden", "tests", tests);
    free(output);
    free(notes);
    int rc = doc != NULL && json_dump_file(doc, path, JSON_INDENT(2)) == 0 ? 0 : -1;
    json_decref(doc);
    return rc;
}
