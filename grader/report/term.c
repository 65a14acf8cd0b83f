/* term.c - the human-readable grading report for a terminal or a log. */
#include "report/report.h"
#include "base/text.h"
#include "engine/audit.h"

#include <stdlib.h>
#include <string.h>

/* ANSI colour codes, or "" when colour is off. */
struct palette {
    const char *green, *red, *yellow, *bold, *dim, *off;
};

/* Print text indented by ind, line by line, control characters made visible
 * (the text may come from the submission: text_visible). */
static void indent(FILE *out, const char *raw, const char *ind)
{
    char *text = text_visible(raw);
    const char *p = text;
    while (p != NULL && *p != '\0') {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(out, "%s%.*s\n", ind, len, p);
        p = nl ? nl + 1 : NULL;
    }
    free(text);
}

/* Print s on one line with fmt's single %s, control characters visible. */
static void put_visible(FILE *out, const char *fmt, const char *s)
{
    char *v = text_visible(s != NULL ? s : "");
    fprintf(out, fmt, v);
    free(v);
}

char *report_test_output(const struct grade *g, const struct test_result *r)
{
    (void)g;
    char *out = xasprintf("%s", r->message ? r->message : "");
    if (r->hang != NULL) {
        char *n = xasprintf("%s%sWhy it hung: %s", out, out[0] ? "\n" : "", r->hang);
        free(out);
        out = n;
    }
    /* The hint keyed to what this failure shows (lab.ini's when/then), else the first. */
    const char *hint = manifest_hint_for(r->mt, r->message, r->hang, NULL);
    if (r->verdict != V_PASSED && hint != NULL) {
        char *n = xasprintf("%s%sHint: %s", out, out[0] ? "\n" : "", hint);
        free(out);
        out = n;
    }
    return out;
}

char *report_audit_text(const struct grade *g)
{
    if (g->audit.n == 0)
        return NULL;
    char *out;
    if (g->audit_refused)
        out = xasprintf("Refused by the submission audit: it scores 0 and no test ran "
                        "(policy: [audit] action = refuse). Fix each finding below, then "
                        "`ipclab check` shows the audit again:");
    else if (g->audit_flagged)
        out = xasprintf("Flagged for review by the submission audit: graded as usual, "
                        "and an instructor will review these findings (policy: [audit] "
                        "action = review):");
    else
        out = xasprintf("Notes from the submission audit (they do not change the "
                        "score):");
    for (size_t i = 0; i < g->audit.n; i++) {
        const struct audit_finding *f = &g->audit.f[i];
        char *line = audit_finding_text(f);
        xappendf(&out, "\n%s%s", f->refused ? "" : "note: ", line ? line : f->what);
        free(line);
    }
    return out;
}

char *report_notes(const struct grade *g)
{
    char *out = xasprintf("%s", g->sb.note);
    if (g->audit_refused || g->audit_flagged) {
        size_t n = 0;
        for (size_t i = 0; i < g->audit.n; i++)
            n += g->audit.f[i].refused;
        xappendf(&out, "; %s by the submission audit (%zu finding%s)",
                 g->audit_refused ? "refused" : "flagged for review", n,
                 n == 1 ? "" : "s");
    }
    if (g->missing_files != NULL)
        xappendf(&out, "; student files not found: %s", g->missing_files);
    else if (!g->build_ok)
        xappendf(&out, "; the submission does not compile");
    if (g->runner_note != NULL)
        xappendf(&out, "; %s", g->runner_note);
    if (g->valgrind_skipped)
        xappendf(&out, "; valgrind pass skipped (--no-valgrind)");
    return out;
}

void report_term(const struct grade *g, FILE *out, bool colour, bool verbose)
{
    struct palette c = {"", "", "", "", "", ""};
    if (colour)
        c = (struct palette){"\033[32m", "\033[31m", "\033[33m",
                             "\033[1m",  "\033[2m",  "\033[0m"};
    fprintf(out, "%sLab %s: %s%s  ", c.bold, g->m.id, g->m.title, c.off);
    put_visible(out, "(submission: %s)\n", g->submission);
    fprintf(out, "%s%s%s\n\n", c.dim, g->sb.note, c.off);
    if (g->missing_files != NULL) {
        fprintf(out, "%s", c.red);
        put_visible(out,
                    "Not graded: student file(s) not found under '%s': ", g->submission);
        put_visible(out, "%s", g->missing_files);
        fprintf(out, "%s\n", c.off);
    } else if (!g->build_ok) {
        fprintf(out, "%sThe submission does not compile (warnings are errors):%s\n",
                c.red, c.off);
        indent(out, g->build_log ? g->build_log : "(no compiler output)", "  ");
    }
    char *audit = report_audit_text(g);
    if (audit != NULL) {
        fprintf(out, "%s",
                g->audit_refused   ? c.red
                : g->audit_flagged ? c.yellow
                                   : c.dim);
        indent(out, audit, "");
        fprintf(out, "%s\n", c.off);
        free(audit);
    }
    if (g->build_ok && !g->audit_refused) {
        for (size_t i = 0; i < g->m.ntests; i++) {
            const struct test_result *r = &g->tests[i];
            const char *col = r->verdict == V_PASSED ? c.green : c.red;
            char pts[64];
            snprintf(pts, sizeof pts, "%g/%g", r->earned, r->mt->points);
            fprintf(out, "  %s%-8s%s %-46s %7s%s\n", col, verdict_name(r->verdict), c.off,
                    r->mt->name, pts, (r->mt->options & OPT_HIDDEN) ? "  (hidden)" : "");
            if (r->verdict == V_PASSED)
                continue;
            char *text = report_test_output(g, r);
            indent(out, text, "           ");
            free(text);
            if (r->trace != NULL)
                put_visible(out, "           Timeline (traced once more): %s\n",
                            r->trace);
            if (verbose && r->hang_details != NULL)
                indent(out, r->hang_details, "             | ");
        }
    }
    if (g->ndeds > 0) {
        fprintf(out, "\n%sDeductions%s\n", c.bold, c.off);
        for (int cat = 0; cat < CAT_COUNT; cat++) {
            double sum = 0;
            int count = 0;
            for (size_t i = 0; i < g->ndeds; i++)
                if ((int)g->deds[i].cat == cat) {
                    sum += g->deds[i].points;
                    count++;
                }
            if (count == 0)
                continue;
            fprintf(out, "  %s-%g%s  %s (%d test%s, %g per test, at most %g)\n", c.yellow,
                    sum, c.off, policy_title((enum policy_category)cat), count,
                    count == 1 ? "" : "s", g->pol.rules[cat].per_test,
                    g->pol.rules[cat].cap);
            for (size_t i = 0; i < g->ndeds; i++) {
                const struct deduction *d = &g->deds[i];
                if ((int)d->cat != cat)
                    continue;
                fprintf(out, "      %s\n", d->test);
                indent(out, d->evidence, "        ");
                fprintf(out, "        %sshow it:%s %s\n", c.dim, c.off, d->command);
            }
        }
    }
    if (g->runner_note != NULL) {
        fprintf(out, "\n%sNote:%s ", c.yellow, c.off);
        put_visible(out, "%s\n", g->runner_note);
    }
    if (g->valgrind_skipped)
        fprintf(out, "\n%sNote:%s the valgrind pass was skipped (--no-valgrind)\n",
                c.yellow, c.off);
    const char *col = g->score >= g->max_score ? c.green : c.red;
    fprintf(out, "\n%sScore: %s%g/%g%s", c.bold, col, g->score, g->max_score, c.off);
    if (g->deducted > 0)
        fprintf(out, "  (%g for tests, -%g deductions)", g->earned, g->deducted);
    fprintf(out,
            "   %s[%.1f s: build %.1f, tests %.1f, valgrind %.1f on %d runner%s]%s\n",
            c.dim, g->seconds, g->build_seconds, g->native_seconds, g->valgrind_seconds,
            g->valgrind_runners, g->valgrind_runners == 1 ? "" : "s", c.off);
}
