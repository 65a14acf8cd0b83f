/* grade_util.c - small helpers shared by the grading modules. */
#include "grade.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *verdict_name(enum verdict v)
{
    switch (v) {
    case V_PASSED:
        return "passed";
    case V_FAILED:
        return "failed";
    case V_CRASHED:
        return "crashed";
    case V_TIMEOUT:
        return "timeout";
    case V_SKIPPED:
        return "skipped";
    default:
        return "not run";
    }
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        fprintf(stderr, "ipclab: out of memory\n");
        exit(2);
    }
    return s;
}

char *xstrdup_or_null(const char *s)
{
    if (s == NULL)
        return NULL;
    char *d = strdup(s);
    if (d == NULL) {
        fprintf(stderr, "ipclab: out of memory\n");
        exit(2);
    }
    return d;
}

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void grade_add_deduction(struct grade *g, enum policy_category cat, const char *test,
                         double points, char *evidence, char *command)
{
    struct deduction *d = realloc(g->deds, (g->ndeds + 1) * sizeof *d);
    if (d == NULL) {
        fprintf(stderr, "ipclab: out of memory\n");
        exit(2);
    }
    g->deds = d;
    g->deds[g->ndeds++] = (struct deduction){cat, test, points, evidence, command};
}
