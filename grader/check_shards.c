/* check_shards.c - runs a lab's tests as parallel shards of the grader's native pass. */
#include "collect.h"
#include "commands.h"
#include "native.h"
#include "passes.h"
#include "student.h"

#include <errno.h>
#include <fnmatch.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_SHARDS 8

/* nftw callback: remove one entry (children before parents). */
static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/*
 * Make WORK (under TMPDIR) with native/, tmp/ and build/run-tests: a tiny
 * script running bin with --filter=FILTER and the native pass's own
 * arguments. Returns 0, or -1 with errno set.
 */
static int make_work(char *work, size_t len, const char *bin, const char *filter)
{
    const char *base = getenv("TMPDIR");
    snprintf(work, len, "%s/ipclab-check-XXXXXX", base && base[0] == '/' ? base : "/tmp");
    if (mkdtemp(work) == NULL)
        return -1;
    char p[4400];
    const char *subs[] = {"native", "tmp", "build"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%.2047s/%s", work, subs[i]);
        if (mkdir(p, 0700) < 0)
            return -1;
    }
    snprintf(p, sizeof p, "%.2047s/build/run-tests", work);
    FILE *f = fopen(p, "we");
    if (f == NULL)
        return -1;
    /* Test names are [A-Za-z0-9_/]: nothing in the filter needs quoting but '. */
    fprintf(f, "#!/bin/sh\nexec '%s' '--filter=%s' \"$@\"\n", bin, filter);
    if (fclose(f) != 0)
        return -1;
    return chmod(p, 0700);
}

/*
 * How many shards: $IPCLAB_CHECK_JOBS, else two per CPU (IPC tests spend
 * most of their time blocked, so twice the CPUs keeps them busy); at most
 * MAX_SHARDS - 1 (one is kept for perf tests) and n.
 */
static size_t shard_count(size_t n)
{
    const char *env = getenv("IPCLAB_CHECK_JOBS");
    long k = env != NULL && atol(env) > 0 ? atol(env) : 2 * sysconf(_SC_NPROCESSORS_ONLN);
    if (k < 1)
        k = 1;
    if (k > MAX_SHARDS - 1)
        k = MAX_SHARDS - 1;
    return (size_t)k < n ? (size_t)k : n;
}

/* Move the results of the tests shard k owns from gk into g; free the others. */
static void take_results(struct grade *g, struct grade *gk, const int *owner, int k)
{
    for (size_t i = 0; i < g->m.ntests; i++) {
        struct test_result *r = &gk->tests[i];
        if (owner[i] == k) {
            g->tests[i] = *r;
            continue;
        }
        free(r->message);
        free(r->hang);
        free(r->hang_details);
        free(r->children_desc);
        free(r->vg_error_text);
        free(r->vg_leak_text);
        json_decref(r->fds);
        json_decref(r->ipc);
    }
    if (gk->runner_note != NULL) {
        char *n = xasprintf("%s%s%s", g->runner_note ? g->runner_note : "",
                            g->runner_note ? "; " : "", gk->runner_note);
        free(g->runner_note);
        g->runner_note = n;
    }
}

/* Append the shard's runner output (test output, sanitizer reports) to *acc. */
static void take_output(const char *work, char **acc)
{
    char path[4400];
    snprintf(path, sizeof path, "%.2047s/native/runner.out", work);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return;
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    char *next = xasprintf("%s%s", *acc ? *acc : "", buf);
    free(*acc);
    *acc = next;
}

/* check_run_tests - see student.h. */
size_t check_run_tests(struct grade *g, const char *bin, const char *glob, char **output)
{
    int *owner =
        calloc(g->m.ntests + 1, sizeof *owner); /* shard of each test, -1: none */
    size_t n = 0;
    if (owner == NULL)
        exit(2);
    for (size_t i = 0; i < g->m.ntests; i++) {
        owner[i] =
            glob == NULL || fnmatch(glob, g->m.tests[i].name, FNM_EXTMATCH) == 0 ? 0 : -1;
        n += owner[i] == 0;
    }
    if (n == 0) {
        free(owner);
        return 0;
    }
    size_t k = shard_count(n), j = 0;
    char *filters[MAX_SHARDS] = {NULL};
    for (size_t i = 0; i < g->m.ntests; i++) /* round robin; perf tests alone, last */
        if (owner[i] == 0) {
            int s = (g->m.tests[i].options & OPT_PERF) ? (int)k : (int)(j++ % k);
            owner[i] = s;
            char *f = xasprintf("%s%s%s", filters[s] ? filters[s] : "@(",
                                filters[s] ? "|" : "", g->m.tests[i].name);
            free(filters[s]);
            filters[s] = f;
        }
    char works[MAX_SHARDS][2048];
    pid_t pids[MAX_SHARDS] = {0};
    char timeout[32], wall[32];
    double budget = 20 + (double)n * (g->m.timeout + 3);
    snprintf(timeout, sizeof timeout, "%d", g->m.timeout);
    snprintf(wall, sizeof wall, "%g", budget < 900 ? budget : 900);
    fflush(NULL);
    for (size_t s = 0; s <= k; s++) {
        works[s][0] = '\0';
        if (filters[s] == NULL)
            continue;
        if (s == k) /* the perf tests, once every other shard is done */
            for (size_t t = 0; t < k; t++) {
                while (pids[t] > 0 && waitpid(pids[t], NULL, 0) < 0 && errno == EINTR)
                    ;
                pids[t] = 0;
            }
        char *f = xasprintf("%s)", filters[s]);
        if (make_work(works[s], sizeof works[s], bin, f) < 0) {
            fprintf(stderr, "ipclab: cannot make a work directory: %s\n",
                    strerror(errno));
            free(f);
            continue;
        }
        free(f);
        pids[s] = fork();
        if (pids[s] == 0) {
            char *argv[] = {"grade", "--inner-native", works[s], timeout, wall, NULL};
            _exit(native_inner(5, argv));
        }
    }
    for (size_t s = 0; s <= k; s++)
        while (pids[s] > 0 && waitpid(pids[s], NULL, 0) < 0 && errno == EINTR)
            ;
    for (size_t s = 0; s <= k; s++) {
        free(filters[s]);
        if (works[s][0] == '\0')
            continue;
        struct grade gk;
        memset(&gk, 0, sizeof gk);
        gk.m = g->m; /* shared, not owned */
        snprintf(gk.work, sizeof gk.work, "%.2047s", works[s]);
        gk.tests = calloc(g->m.ntests ? g->m.ntests : 1, sizeof *gk.tests);
        if (gk.tests == NULL)
            exit(2);
        for (size_t i = 0; i < g->m.ntests; i++)
            gk.tests[i].mt = &g->m.tests[i];
        collect_native(&gk);
        take_results(g, &gk, owner, (int)s);
        if (output != NULL)
            take_output(works[s], output);
        free(gk.tests);
        free(gk.runner_note);
        nftw(works[s], rm_entry, 32, FTW_DEPTH | FTW_PHYS);
    }
    free(owner);
    pass_cleanup_host(g); /* IPC objects the probe saw left behind */
    return n;
}
