/* native.c - the native pass inside the sandbox: watchdog and why-it-hung capture. */
#include "native.h"
#include "hang.h"
#include "proc.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_TREE 256

/*
 * Fallbacks so the grader links before grader/hang.c exists; the real
 * definitions in hang.c (strong symbols) replace these.
 */
__attribute__((weak)) size_t hang_process_tree(pid_t root, pid_t *pids, size_t max)
{
    if (max == 0 || kill(root, 0) < 0)
        return 0;
    pids[0] = root;
    return 1;
}

__attribute__((weak)) char *hang_explain(const pid_t *pids, size_t n, char **details)
{
    if (details != NULL)
        *details = NULL;
    char *s = NULL;
    if (asprintf(&s, "%zu process(es) of the test were still running (pid %d first)", n,
                 n > 0 ? (int)pids[0] : 0) < 0)
        return NULL;
    return s;
}

/* The test a worker is running, as the watcher sees it. */
struct active {
    char test[512];
    pid_t pid;
    double seen;    /* when its start record was read */
    bool explained; /* hang_explain already done */
    bool killed;    /* the watchdog killed it */
};

/* State of the watcher, passed to the proc_wait_all tick. */
struct watch {
    const char *probe_path;
    long offset; /* bytes of the probe file already read */
    char partial[8192];
    double timeout; /* per-test seconds */
    struct active cur;
    bool have_cur;
    json_t *hangs;  /* test -> {summary, details} */
    json_t *killed; /* [test] */
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Handle one JSON line of the probe file. */
static void on_record(struct watch *w, const char *line)
{
    json_t *rec = json_loads(line, 0, NULL);
    if (rec == NULL)
        return;
    const char *ev = json_string_value(json_object_get(rec, "event"));
    const char *test = json_string_value(json_object_get(rec, "test"));
    pid_t pid = (pid_t)json_integer_value(json_object_get(rec, "pid"));
    if (ev != NULL && test != NULL) {
        if (strcmp(ev, "start") == 0) {
            memset(&w->cur, 0, sizeof w->cur);
            snprintf(w->cur.test, sizeof w->cur.test, "%s", test);
            w->cur.pid = pid;
            w->cur.seen = mono();
            w->have_cur = true;
        } else if (strcmp(ev, "end") == 0 && w->have_cur && w->cur.pid == pid) {
            w->have_cur = false;
            /* It finished after all: an explanation would be wrong. */
            json_object_del(w->hangs, test);
        }
    }
    json_decref(rec);
}

/* Read new complete lines of the probe file. */
static void read_probe(struct watch *w)
{
    FILE *f = fopen(w->probe_path, "re");
    if (f == NULL)
        return;
    if (fseek(f, w->offset, SEEK_SET) == 0) {
        char line[8192];
        while (fgets(line, sizeof line, f) != NULL) {
            size_t len = strlen(line);
            if (len == 0 || line[len - 1] != '\n')
                break; /* incomplete: read it again next time */
            w->offset += (long)len;
            on_record(w, line);
        }
    }
    fclose(f);
}

/* proc_wait_all tick: explain tests near their timeout, kill overdue ones. */
static void tick(void *arg)
{
    struct watch *w = arg;
    read_probe(w);
    if (!w->have_cur)
        return;
    struct active *a = &w->cur;
    double ran = mono() - a->seen;
    if (!a->explained && ran >= 0.9 * w->timeout) {
        a->explained = true;
        pid_t pids[MAX_TREE];
        size_t n = hang_process_tree(a->pid, pids, MAX_TREE);
        if (n > 0) {
            char *details = NULL;
            char *summary = hang_explain(pids, n, &details);
            if (summary != NULL)
                json_object_set_new(w->hangs, a->test,
                                    json_pack("{s:s, s:s}", "summary", summary, "details",
                                              details ? details : ""));
            free(summary);
            free(details);
        }
    }
    if (!a->killed && ran >= w->timeout + 2) {
        a->killed = true;
        pid_t pids[MAX_TREE];
        size_t n = hang_process_tree(a->pid, pids, MAX_TREE);
        for (size_t i = 0; i < n; i++)
            kill(pids[i], SIGKILL);
        kill(-a->pid, SIGKILL); /* the worker leads its own session */
        json_array_append_new(w->killed, json_string(a->test));
    }
}

int native_inner(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: ipclab grade --inner-native WORK TIMEOUT WALL\n");
        return 2;
    }
    const char *work = argv[2];
    double timeout = atof(argv[3]), wall = atof(argv[4]);
    char bin[4096], results[4096], probe[4096], tmp[4096], outp[4096], watchp[4096];
    snprintf(bin, sizeof bin, "%s/build/run-tests", work);
    snprintf(results, sizeof results, "IPCLAB_RESULTS_FILE=%s/native/results.json", work);
    snprintf(probe, sizeof probe, "%s/native/probe.jsonl", work);
    snprintf(tmp, sizeof tmp, "TMPDIR=%s/tmp", work);
    snprintf(outp, sizeof outp, "%s/native/runner.out", work);
    snprintf(watchp, sizeof watchp, "%s/native/watch.json", work);
    char probe_env[4200];
    snprintf(probe_env, sizeof probe_env, "IPCLAB_PROBE_FILE=%s", probe);
    char *env[] = {
        results,    probe_env,           tmp, "PATH=/usr/local/bin:/usr/bin:/bin",
        "LC_ALL=C", "HOME=/nonexistent", NULL};
    char *args[] = {bin, "--jobs", "1", "--full-stats", NULL};
    struct proc_opts o = {
        .cwd = work, .env = env, .wall_seconds = wall, .out_cap = 256 * 1024};
    struct watch w = {.probe_path = probe,
                      .timeout = timeout > 0 ? timeout : 10,
                      .hangs = json_object(),
                      .killed = json_array()};
    proc_install_signals();
    struct proc p;
    if (proc_start(&p, "tests", args, &o) < 0) {
        fprintf(stderr, "ipclab: cannot run the tests: %s\n", strerror(errno));
        return 2;
    }
    proc_wait_all(&p, 1, tick, &w);
    read_probe(&w);
    char status[64];
    proc_describe_status(p.status, status, sizeof status);
    FILE *f = fopen(outp, "we");
    if (f != NULL) {
        fwrite(p.out, 1, p.len, f);
        fclose(f);
    }
    json_t *doc = json_pack("{s:o, s:o, s:s, s:b, s:I}", "hangs", w.hangs, "killed",
                            w.killed, "runner_status", status, "runner_killed", p.killed,
                            "output_bytes", (json_int_t)p.total);
    int rc = json_dump_file(doc, watchp, JSON_INDENT(1)) == 0 ? 0 : 2;
    json_decref(doc);
    proc_free(&p);
    return rc;
}
