/* junit.c - a JUnit XML report (libxml2's text writer) for CI dashboards. */
#include "report/report.h"

#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Write an attribute whose value is printf-formatted. */
#define ATTRF(w, name, ...)                                                              \
    xmlTextWriterWriteFormatAttribute(w, BAD_CAST(name), __VA_ARGS__)

/* Write text content, made XML-safe first (test output is arbitrary bytes). */
static void text(xmlTextWriterPtr w, const char *s)
{
    char *clean = text_clean(s != NULL ? s : "");
    xmlTextWriterWriteString(w, BAD_CAST clean);
    free(clean);
}

/* Write an attribute, made XML-safe first. */
static void attr(xmlTextWriterPtr w, const char *name, const char *s)
{
    char *clean = text_clean(s != NULL ? s : "");
    xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST clean);
    free(clean);
}

int report_junit(const struct grade *g, const char *path)
{
    xmlTextWriterPtr w = xmlNewTextWriterFilename(path, 0);
    if (w == NULL)
        return -1;
    int failures = 0, errors = 0, skipped = 0;
    for (size_t i = 0; g->build_ok && i < g->m.ntests; i++) {
        enum verdict v = g->tests[i].verdict;
        failures += v == V_FAILED;
        errors += v == V_CRASHED || v == V_TIMEOUT || v == V_NOT_RUN;
        skipped += v == V_SKIPPED;
    }
    if (!g->build_ok)
        errors = 1;
    xmlTextWriterSetIndent(w, 1);
    xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL);
    xmlTextWriterStartElement(w, BAD_CAST "testsuites");
    xmlTextWriterStartElement(w, BAD_CAST "testsuite");
    ATTRF(w, "name", "%s", g->m.slug);
    ATTRF(w, "tests", "%zu", g->build_ok ? g->m.ntests : (size_t)1);
    ATTRF(w, "failures", "%d", failures);
    ATTRF(w, "errors", "%d", errors);
    ATTRF(w, "skipped", "%d", skipped);
    ATTRF(w, "time", "%.3f", g->seconds);
    xmlTextWriterStartElement(w, BAD_CAST "properties");
    const char *props[][2] = {{"student", g->student},
                              {"submission", g->submission},
                              {"isolation", g->sb.note}};
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
        xmlTextWriterStartElement(w, BAD_CAST "property");
        ATTRF(w, "name", "%s", props[i][0]);
        attr(w, "value", props[i][1]);
        xmlTextWriterEndElement(w);
    }
    const char *nums[][1] = {{"score"}, {"max_score"}, {"deductions"}};
    double vals[] = {g->score, g->max_score, g->deducted};
    for (size_t i = 0; i < 3; i++) {
        xmlTextWriterStartElement(w, BAD_CAST "property");
        ATTRF(w, "name", "%s", nums[i][0]);
        ATTRF(w, "value", "%g", vals[i]);
        xmlTextWriterEndElement(w);
    }
    xmlTextWriterEndElement(w); /* properties */
    if (!g->build_ok) {
        xmlTextWriterStartElement(w, BAD_CAST "testcase");
        ATTRF(w, "classname", "%s", g->m.slug);
        ATTRF(w, "name", "%s", "build");
        xmlTextWriterStartElement(w, BAD_CAST "error");
        ATTRF(w, "type", "%s", g->missing_files ? "missing-files" : "build");
        ATTRF(w, "message", "%s",
              g->missing_files ? "student files not found"
                               : "the submission does not compile");
        text(w, g->build_log ? g->build_log : g->missing_files);
        xmlTextWriterEndElement(w);
        xmlTextWriterEndElement(w);
    }
    for (size_t i = 0; g->build_ok && i < g->m.ntests; i++) {
        const struct test_result *r = &g->tests[i];
        xmlTextWriterStartElement(w, BAD_CAST "testcase");
        ATTRF(w, "classname", "%s.%.*s", g->m.slug, (int)strcspn(r->mt->name, "/"),
              r->mt->name);
        ATTRF(w, "name", "%s", r->mt->name);
        ATTRF(w, "time", "%.3f", r->time);
        if (r->verdict != V_PASSED) {
            const char *el = r->verdict == V_FAILED    ? "failure"
                             : r->verdict == V_SKIPPED ? "skipped"
                                                       : "error";
            char *out = report_test_output(g, r);
            xmlTextWriterStartElement(w, BAD_CAST el);
            ATTRF(w, "type", "%s", verdict_name(r->verdict));
            attr(w, "message", r->message ? r->message : verdict_name(r->verdict));
            text(w, out);
            xmlTextWriterEndElement(w);
            free(out);
        }
        xmlTextWriterEndElement(w); /* testcase */
    }
    if (g->ndeds > 0) {
        xmlTextWriterStartElement(w, BAD_CAST "system-out");
        for (size_t i = 0; i < g->ndeds; i++) {
            const struct deduction *d = &g->deds[i];
            char *line =
                xasprintf("-%g %s, %s: %s (show it: %s)\n", d->points,
                          policy_title(d->cat), d->test, d->evidence, d->command);
            text(w, line);
            free(line);
        }
        xmlTextWriterEndElement(w);
    }
    xmlTextWriterEndElement(w); /* testsuite */
    xmlTextWriterEndElement(w); /* testsuites */
    int rc = xmlTextWriterEndDocument(w) < 0 ? -1 : 0;
    xmlFreeTextWriter(w);
    return rc;
}
