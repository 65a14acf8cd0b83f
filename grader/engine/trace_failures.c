/* trace_failures.c - `grade --trace-failures DIR`: a traced timeline of each failed test.
 */
#include "engine/trace_failures.h"
#include "base/err.h"
#include "base/fs.h"
#include "engine/check.h"
#include "engine/passes.h"
#include "trace/trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LANE_LOG     "native/strace.log" /* relative to the lane: the runner's cwd */
#define LANE_LOG_MAX (64 << 20)
#define PROBE_SUFFIX "/native/probe.jsonl"

/* DIR/suite--test.html for test (names are [A-Za-z0-9_/]). */
static void page_path(char *buf, size_t len, const char *dir, const char *test)
{
    char name[600];
    size_t k = 0;
    for (const char *c = test; *c != '\0' && k + 3 < sizeof name; c++) {
        if (*c == '/') {
            name[k++] = '-';
            name[k++] = '-';
        } else {
            name[k++] = *c;
        }
    }
    name[k] = '\0';
    snprintf(buf, len, "%s/%s.html", dir, name);
}

/* Give the lane to the sandbox's uid (when root), so its runner can write there. */
static int lane_chown(const char *lane)
{
    const char *parts[] = {"", "/native", "/tmp", "/build", "/build/run-tests"};
    char p[2200];
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        snprintf(p, sizeof p, "%s%s", lane, parts[i]);
        if (grade_chown(p) < 0)
            return -1;
    }
    return 0;
}

/* Draw the log (a private copy) of test r into the page html; 0 or -1. */
static int draw(const struct grade *g, const struct test_result *r, const char *log,
                const char *html)
{
    struct trace tr;
    if (trace_parse(log, PROBE_SUFFIX, &tr) < 0)
        return -1;
    char title[700], sub[200];
    snprintf(title, sizeof title, "lab %s %s: %s (graded)", g->m.id, r->mt->name,
             verdict_name(r->verdict));
    snprintf(sub, sizeof sub, "(%zu processes, %zu events in %.2f s; traced once more)",
             tr.nprocs, tr.nev, tr.length);
    struct tr_draw d = {
        .last = TRACE_LAST_EVENTS, .title = title, .sub = sub, .why = r->hang};
    FILE *f = fopen(html, "we");
    int rc = -1;
    if (f != NULL) {
        trace_html(&tr, &d, f);
        rc = fclose(f) == 0 && tr.found_test ? 0 : -1;
    }
    trace_free(&tr);
    return rc;
}

/*
 * Trace test i once more in a lane and draw it; 0 or -1/errno. The lane lies
 * on a tmpfs of the grader's own (workfs_lane), where tests that filled the
 * work folder cannot keep it from being made; else (not root) under g->work.
 */
static int trace_test(struct grade *g, size_t i, const char *html)
{
    struct test_result *r = &g->tests[i];
    char parent[1024], lane[2048], bin[4200], path[2200];
    bool own = workfs_lane(&g->wfs, "trace", parent, sizeof parent) == 0;
    if (!own)
        snprintf(parent, sizeof parent, "%.1000s", g->work);
    snprintf(bin, sizeof bin, "%s/build/run-tests", g->work);
    json_t *report = NULL; /* the verdict is the grade's: only the trace is wanted */
    int rc = -1;
    if (check_make_lane(lane, sizeof lane, parent, bin, r->mt->name,
                        trace_strace_args(LANE_LOG)) < 0 ||
        lane_chown(lane) < 0 ||
        pass_run_lane(g, lane, g->m.tests[i].timeout + 3, NULL, &report) < 0)
        goto done;
    json_decref(report);
    /* The sandbox is gone; what it left is hostile: no link, no FIFO, bounded. */
    snprintf(path, sizeof path, "%s/" LANE_LOG, lane);
    char *text = fs_read_text(path, LANE_LOG_MAX);
    if (text == NULL)
        goto done;
    snprintf(path, sizeof path, "%s/strace.copy", lane);
    rc = unlink(path) < 0 && errno != ENOENT ? -1
                                             : fs_write_atomic(path, text, strlen(text));
    free(text);
    if (rc == 0)
        rc = draw(g, r, path, html);
done:;
    int e = errno;
    if (own)
        workfs_lane_drop(parent);
    else
        fs_rm_rf(lane);
    errno = e;
    return rc;
}

int trace_failures(struct grade *g, const char *dir)
{
    int done = 0, tried = 0;
    for (size_t i = 0; i < g->m.ntests && tried < TRACE_FAILURES_MAX; i++) {
        struct test_result *r = &g->tests[i];
        if (r->verdict == V_PASSED || r->verdict == V_NOT_RUN || r->verdict == V_SKIPPED)
            continue;
        if (tried++ == 0 && fs_mkdir_p(dir) < 0) { /* only when something failed */
            fprintf(stderr, "ipclab: cannot make '%s': %s\n", dir, strerror(errno));
            return 0;
        }
        char html[4800];
        page_path(html, sizeof html, dir, r->mt->name);
        errno = 0;
        if (trace_test(g, i, html) < 0) {
            fprintf(stderr, "ipclab: could not trace %s: %s\n", r->mt->name,
                    errno != 0 ? strerror(errno) : "strace recorded no test");
            continue;
        }
        free(r->trace);
        r->trace = xasprintf("%s", html);
        done++;
    }
    return done;
}
