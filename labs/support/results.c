/* results.c - writes every test's verdict as JSON (Criterion's own JSON is not valid). */
#include "results.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Write doc over whatever the fd held (the grader's memfd). Returns 0 or -1. */
static int results_write_fd(json_t *doc, int fd)
{
    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0 ||
        json_dumpfd(doc, fd, JSON_INDENT(1)) != 0) {
        fprintf(stderr, "ipclab: cannot write results to fd %d\n", fd);
        return -1;
    }
    return 0;
}

int results_write(json_t *doc)
{
    const char *channel = getenv("IPCLAB_RESULTS_FD");
    if (channel != NULL && channel[0] != '\0')
        return results_write_fd(doc, atoi(channel));
    const char *path = getenv("IPCLAB_RESULTS_FILE");
    if (path == NULL || path[0] == '\0')
        return 0;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%.4096s.%d.tmp", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || json_dumpfd(doc, fd, JSON_INDENT(1)) != 0 || close(fd) != 0 ||
        rename(tmp, path) != 0) {
        fprintf(stderr, "ipclab: cannot write results to '%s'\n", path);
        if (fd >= 0)
            unlink(tmp);
        return -1;
    }
    return 0;
}

/* Verdict word for one test: passed, failed, crashed, timeout or skipped. */
static const char *verdict(const struct criterion_test_stats *t)
{
    if (t->timed_out)
        return "timeout";
    if (t->crashed)
        return "crashed";
    if (t->test_status == CR_STATUS_SKIPPED)
        return "skipped";
    if (t->test_status == CR_STATUS_FAILED || t->failed_asserts > 0)
        return "failed";
    return "passed";
}

/* Messages of the failed assertions, one per line, with file:line. */
static json_t *failure_messages(const struct criterion_test_stats *t)
{
    json_t *arr = json_array();
    for (const struct criterion_assert_stats *a = t->asserts; a != NULL; a = a->next) {
        if (a->passed)
            continue;
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:i}", "message", a->message ? a->message : "",
                           "file", a->file ? a->file : "", "line", (int)a->line));
    }
    return arr;
}

/*
 * After every test has run, write one JSON document to $IPCLAB_RESULTS_FILE:
 * {"tests": [{"name": "suite/test", "status": ..., "signal": N, "exit_code": N,
 *  "time": s, "asserts_passed": N, "asserts_failed": N, "message": ...,
 *  "failures": [{"message", "file", "line"}]}]}
 */
ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    if (getenv("IPCLAB_RESULTS_FILE") == NULL)
        return;
    json_t *tests = json_array();
    for (struct criterion_suite_stats *s = stats->suites; s != NULL; s = s->next)
        for (struct criterion_test_stats *t = s->tests; t != NULL; t = t->next) {
            char name[512];
            snprintf(name, sizeof name, "%s/%s", t->test->category, t->test->name);
            json_array_append_new(
                tests,
                json_pack("{s:s, s:s, s:i, s:i, s:f, s:i, s:i, s:s, s:o}", "name", name,
                          "status", verdict(t), "signal", t->signal, "exit_code",
                          t->exit_code, "time", (double)t->elapsed_time, "asserts_passed",
                          t->passed_asserts, "asserts_failed", t->failed_asserts,
                          "message", t->message ? t->message : "", "failures",
                          failure_messages(t)));
        }
    json_t *doc = json_pack("{s:o}", "tests", tests);
    results_write(doc);
    json_decref(doc);
}
