/* collect.c - turns the native pass's JSON files into per-test results. */
#include "engine/collect.h"
#include "base/fs.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The result slot of test name, or NULL when the manifest does not have it. */
static struct test_result *find(struct grade *g, const char *name)
{
    for (size_t i = 0; name != NULL && i < g->m.ntests; i++)
        if (strcmp(g->tests[i].mt->name, name) == 0)
            return &g->tests[i];
    return NULL;
}

/* Verdict from the hook's status word. */
static enum verdict parse_verdict(const char *s)
{
    if (s == NULL)
        return V_NOT_RUN;
    if (strcmp(s, "passed") == 0)
        return V_PASSED;
    if (strcmp(s, "failed") == 0)
        return V_FAILED;
    if (strcmp(s, "crashed") == 0)
        return V_CRASHED;
    if (strcmp(s, "timeout") == 0)
        return V_TIMEOUT;
    if (strcmp(s, "skipped") == 0)
        return V_SKIPPED;
    return V_NOT_RUN;
}

/* Join the failed assertions' messages, one per line, "file:line: message". */
static char *failure_text(json_t *t)
{
    json_t *fails = json_object_get(t, "failures");
    char *out = NULL;
    size_t i;
    json_t *f;
    json_array_foreach(fails, i, f)
    {
        const char *msg = json_string_value(json_object_get(f, "message"));
        const char *file = json_string_value(json_object_get(f, "file"));
        int line = (int)json_integer_value(json_object_get(f, "line"));
        const char *base = file ? strrchr(file, '/') : NULL;
        char *next = xasprintf("%s%s%s:%d: %s", out ? out : "", out ? "\n" : "",
                               base ? base + 1 : (file ? file : "?"), line,
                               msg && msg[0] ? msg : "assertion failed");
        free(out);
        out = next;
        if (i >= 4)
            break;
    }
    if (out == NULL) {
        const char *msg = json_string_value(json_object_get(t, "message"));
        if (msg != NULL && msg[0] != '\0')
            out = xasprintf("%s", msg);
    }
    return out;
}

/* The most the grader reads of each file the sandbox leaves (hostile input:
 * base/fs.h's untrusted reads refuse links, FIFOs and larger files). */
#define MAX_RESULTS_BYTES (16u << 20)
#define MAX_PROBE_BYTES   (64u << 20)

static void apply_end(struct grade *g, struct test_result *r, json_t *rec);

/*
 * Read results.json (the runner's report). Returns true when it is sealed
 * (labs/support/seal.h): its tests then carry their probe end records.
 */
static bool read_results(struct grade *g, json_t *doc)
{
    bool sealed = json_is_true(json_object_get(doc, "sealed"));
    json_t *tests = json_object_get(doc, "tests");
    size_t i;
    json_t *t;
    json_array_foreach(tests, i, t)
    {
        struct test_result *r = find(g, json_string_value(json_object_get(t, "name")));
        if (r == NULL)
            continue;
        r->verdict = parse_verdict(json_string_value(json_object_get(t, "status")));
        json_t *end = json_object_get(t, "end");
        if (sealed && json_is_object(end))
            apply_end(g, r, end);
        r->signal = (int)json_integer_value(json_object_get(t, "signal"));
        r->exit_code = (int)json_integer_value(json_object_get(t, "exit_code"));
        r->time = json_real_value(json_object_get(t, "time"));
        free(r->message);
        r->message = NULL;
        if (r->verdict == V_FAILED)
            r->message = failure_text(t);
        else if (r->verdict == V_CRASHED) {
            const char *abbrev = r->signal > 0 ? sigabbrev_np(r->signal) : NULL;
            if (r->signal > 0)
                r->message = xasprintf("the test crashed: killed by SIG%s (%s)",
                                       abbrev ? abbrev : "?", strsignal(r->signal));
            else if (r->exit_code != 0)
                r->message = xasprintf("the test process exited with status %d before "
                                       "the test finished (exit() in your code?)",
                                       r->exit_code);
            else
                r->message =
                    xasprintf("the test process ended before the test finished: "
                              "it crashed in its set-up or clean-up, or your code "
                              "called exit()");
        } else if (r->verdict == V_TIMEOUT)
            r->message = xasprintf("the test did not finish within %g s", r->mt->timeout);
    }
    return sealed;
}

/*
 * Remove Criterion's own objects (BoxFort's /dev/shm/bxfi_* and bxf_*) from
 * a probe's IPC list: without a private /dev/shm, other test runners on the
 * host create them at any moment.
 */
static void drop_framework_objects(json_t *ipc)
{
    for (size_t i = json_array_size(ipc); i-- > 0;) {
        json_t *o = json_array_get(ipc, i);
        const char *kind = json_string_value(json_object_get(o, "kind"));
        const char *name = json_string_value(json_object_get(o, "name"));
        if (kind != NULL && name != NULL && strcmp(kind, "posix-shm") == 0 &&
            strncmp(name, "/bxf", 4) == 0)
            json_array_remove(ipc, i);
    }
}

/* Without a sandbox: remove other users' objects (the probe saw the host's). */
static void drop_foreign_objects(json_t *ipc)
{
    for (size_t i = json_array_size(ipc); i-- > 0;) {
        json_t *o = json_array_get(ipc, i);
        const char *kind = json_string_value(json_object_get(o, "kind"));
        const char *name = json_string_value(json_object_get(o, "name"));
        if (kind != NULL && name != NULL && !ipc_owned_by_us(kind, name))
            json_array_remove(ipc, i);
    }
}

/* Take what a probe's end record says the test left behind onto r. */
static void apply_end(struct grade *g, struct test_result *r, json_t *rec)
{
    r->probed = true;
    json_decref(r->fds);
    json_decref(r->ipc);
    r->fds = json_incref(json_object_get(rec, "fds"));
    r->ipc = json_incref(json_object_get(rec, "ipc"));
    drop_framework_objects(r->ipc);
    if (!g->sb.on)
        drop_foreign_objects(r->ipc);
    r->children = (int)json_integer_value(json_object_get(rec, "children"));
    free(r->children_desc);
    r->children_desc =
        xstrdup_or_null(json_string_value(json_object_get(rec, "children_desc")));
}

/*
 * Read probe.jsonl's end records (what each test left behind): only when
 * the results were not sealed, since the code under test can write that file.
 */
static void read_probe(struct grade *g, const char *path)
{
    FILE *f = fs_fopen_untrusted(path, MAX_PROBE_BYTES);
    if (f == NULL)
        return;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *rec = json_loads(line, 0, NULL);
        const char *ev = json_string_value(json_object_get(rec, "event"));
        struct test_result *r = find(g, json_string_value(json_object_get(rec, "test")));
        if (r != NULL && ev != NULL && strcmp(ev, "end") == 0)
            apply_end(g, r, rec);
        json_decref(rec);
    }
    free(line);
    fclose(f);
}

/* What a signal that killed the runner at start-up most likely means. */
static const char *startup_signal_cause(const char *status)
{
    static const struct {
        const char *status, *cause;
    } causes[] = {
        {"killed by SIGXFSZ", "it wrote a file past the file size limit"},
        {"killed by SIGXCPU", "it used up its CPU time limit"},
        {"killed by SIGSEGV", "it crashed (an invalid memory access)"},
        {"killed by SIGBUS", "it crashed (an invalid memory access)"},
        {"killed by SIGABRT", "it aborted (abort() or a failed assert())"},
        {"killed by SIGFPE", "it crashed (an arithmetic error)"},
        {"killed by SIGILL", "it crashed (an illegal instruction)"},
        {"killed by SIGPIPE", "it wrote to a pipe nobody reads"},
    };
    for (size_t i = 0; status != NULL && i < sizeof causes / sizeof causes[0]; i++)
        if (strcmp(status, causes[i].status) == 0)
            return causes[i].cause;
    return NULL;
}

/*
 * No test ever started (watch.json's "startup"): the runner blocked or
 * forked at load time and was stopped, or died before its first test. Say
 * so in the notes and in every test's message, and keep the explanation.
 */
static void startup_note(struct grade *g, json_t *startup, const char *status)
{
    const char *summary = json_string_value(json_object_get(startup, "summary"));
    const char *details = json_string_value(json_object_get(startup, "details"));
    if (json_is_true(json_object_get(startup, "stopped"))) {
        g->runner_note = xasprintf(
            "no test started: the test runner was stopped at start-up after %g s (the "
            "lab's longest test timeout), before its first test. Code that runs when "
            "the program loads (a constructor, or a global initialiser) must not block "
            "or fork: %s%s%s",
            json_number_value(json_object_get(startup, "seconds")),
            summary ? summary : "it was not explained", details && details[0] ? "\n" : "",
            details ? details : "");
    } else {
        const char *cause = startup_signal_cause(status);
        g->runner_note = xasprintf(
            "no test started: the test runner %s%s at start-up, before its first "
            "test%s%s (code that runs when the program loads, such as a constructor?)",
            status && strncmp(status, "killed", 6) == 0 ? "was " : "",
            status ? status : "died", cause ? ": " : "", cause ? cause : "");
    }
    for (size_t i = 0; i < g->m.ntests; i++) {
        struct test_result *r = &g->tests[i];
        if (r->verdict != V_NOT_RUN)
            continue;
        free(r->message);
        r->message = xasprintf("not run: the test runner never started a test (see the "
                               "notes)");
    }
}

/* Read the watch data: hangs and the grader's own watchdog kills. */
static void read_watch(struct grade *g, json_t *doc)
{
    if (!json_is_object(doc)) {
        g->runner_note = xasprintf("the test run was stopped before it reported "
                                   "(time or resource limit)");
        return;
    }
    const char *name;
    json_t *h;
    json_object_foreach(json_object_get(doc, "hangs"), name, h)
    {
        struct test_result *r = find(g, name);
        if (r == NULL)
            continue;
        r->hang = xstrdup_or_null(json_string_value(json_object_get(h, "summary")));
        const char *d = json_string_value(json_object_get(h, "details"));
        r->hang_details = d && d[0] ? xstrdup_or_null(d) : NULL;
    }
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(doc, "killed"), i, k)
    {
        struct test_result *r = find(g, json_string_value(k));
        if (r == NULL)
            continue;
        r->watchdog = true;
        r->verdict = V_TIMEOUT;
        free(r->message);
        r->message = xasprintf("the test did not finish within %g s and ignored "
                               "Criterion's timeout: the grader's watchdog killed it",
                               r->mt->timeout);
    }
    json_t *o;
    json_object_foreach(json_object_get(doc, "orphans"), name, o)
    {
        struct test_result *r = find(g, name);
        if (r == NULL)
            continue;
        int n = (int)json_integer_value(json_object_get(o, "count"));
        const char *desc = json_string_value(json_object_get(o, "desc"));
        char *d = xasprintf(
            "%s%s%d orphaned (outside the test's process tree): %s",
            r->children_desc && r->children_desc[0] ? r->children_desc : "",
            r->children_desc && r->children_desc[0] ? "; " : "", n, desc ? desc : "?");
        free(r->children_desc);
        r->children_desc = d;
        r->children += n;
    }
    json_object_foreach(json_object_get(doc, "runner_killers"), name, o)
    {
        struct test_result *r = find(g, name);
        if (r == NULL)
            continue;
        r->verdict = V_CRASHED;
        r->signal = 0;
        free(r->message);
        r->message = xasprintf("the test runner died while this test ran (%s): does "
                               "your code kill other processes, e.g. kill(-1, ...) or "
                               "kill(0, ...)? The other tests were run again without it",
                               json_string_value(o) ? json_string_value(o) : "?");
    }
    json_t *startup = json_object_get(doc, "startup");
    if (startup != NULL)
        startup_note(g, startup,
                     json_string_value(json_object_get(doc, "runner_status")));
    else if (json_is_true(json_object_get(doc, "runner_killed")))
        g->runner_note = xasprintf("the test runner was killed after the whole-run "
                                   "time limit");
    json_int_t bytes = json_integer_value(json_object_get(doc, "output_bytes"));
    if (bytes > 256 * 1024) {
        char *note = xasprintf("%s%sthe tests wrote %lld bytes of output; the grader "
                               "kept the first 256 KiB",
                               g->runner_note ? g->runner_note : "",
                               g->runner_note ? "; " : "", (long long)bytes);
        free(g->runner_note);
        g->runner_note = note;
    }
}

void collect_native(struct grade *g, json_t *report)
{
    char path[8192];
    if (!read_results(g, json_object_get(report, "results"))) {
        snprintf(path, sizeof path, "%s/native/probe.jsonl", g->work);
        read_probe(g, path);
    }
    bool have_probe = false;
    for (size_t i = 0; i < g->m.ntests; i++)
        have_probe = have_probe || g->tests[i].probed;
    read_watch(g, json_object_get(report, "watch"));
    json_decref(report);
    for (size_t i = 0; i < g->m.ntests; i++) {
        struct test_result *r = &g->tests[i];
        if (r->verdict == V_NOT_RUN && r->message == NULL)
            r->message = xasprintf("no verdict: the test runner died before this test "
                                   "reported (see the notes)");
        /* A test declared with .signal = SIG passes by dying: it writes no end record. */
        if (r->verdict == V_PASSED && have_probe && !r->probed && r->signal == 0) {
            r->verdict = V_FAILED;
            r->message = xasprintf("the test process ended before the test finished "
                                   "(exit() or _exit() in your code?)");
        }
    }
}

void collect_run(struct grade *run, const struct grade *g, const char *dir,
                 json_t *report)
{
    memset(run, 0, sizeof *run);
    run->m = g->m; /* shared, not owned */
    snprintf(run->work, sizeof run->work, "%.4000s", dir);
    grade_init(run);
    collect_native(run, report);
}

void collect_run_free(struct grade *run)
{
    for (size_t i = 0; i < run->m.ntests; i++)
        test_result_free(&run->tests[i]);
    free(run->tests);
    free(run->runner_note);
    run->tests = NULL;
    run->runner_note = NULL;
}
