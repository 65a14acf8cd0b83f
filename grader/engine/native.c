/* native.c - the native pass inside the sandbox: watchdog and why-it-hung capture. */
#include "engine/native.h"
#include "engine/native_report.h"
#include "hang/hang.h"
#include "hang/procfs.h"
#include "base/fs.h"
#include "base/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TREE    256
#define MAX_EXPLAIN 32 /* processes hang_explain is asked about, at most */

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
    long offset;    /* bytes of the probe file already read */
    double timeout; /* per-test seconds when the table lacks a test; the lab's largest */
    json_t *limits; /* test -> its own Criterion timeout in seconds (the table) */
    pid_t runner;   /* the Criterion runner of this round */
    pid_t starting; /* the worker whose start record is being read: not an orphan */
    double runner_seen;     /* when this round's runner was started */
    bool round_started;     /* a test of this round wrote its start record */
    bool any_started;       /* some test of any round did */
    bool startup_explained; /* the runner's start-up was explained */
    bool startup_killed;    /* ... and the runner stopped: no test ever started */
    json_t *startup;        /* {summary, details} of a runner stuck at start-up */
    bool init;              /* orphans come to us (PID 1, or subreaper): reap, sweep */
    struct active cur;
    bool have_cur;
    bool cur_ended;   /* the current test wrote its end record */
    char last[512];   /* the test that ran last (for orphans found after it) */
    json_t *hangs;    /* test -> {summary, details} */
    json_t *killed;   /* [test] */
    json_t *orphans;  /* test -> {count, desc} */
    json_t *started;  /* test -> true, every test that wrote a start record */
    int channel;      /* memfd the runner writes its report to (seal.h) */
    int load_orphans; /* processes found before the first test started */
    char load_desc[1100];
    double reported_at;      /* when the report was first seen (0: not yet) */
    bool stuck_after_report; /* the runner had to be killed after it reported */
};

/*
 * Seconds a runner may linger after writing its report. Criterion's runner
 * has been seen to hang on its way out after the report was complete; all
 * the verdicts are in the report by then, so waiting for the whole-run
 * limit would only cost minutes and lose the watch data.
 */
#define LINGER_AFTER_REPORT 10.0

/* The most of the runner's report copied out (a larger one is cut: invalid JSON). */
#define MAX_REPORT_BYTES (16 << 20)

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Parent pid and state of pid from /proc/PID/stat; -1 if it is gone. */
static pid_t parent_of(pid_t pid, char *state)
{
    struct procfs_stat st;
    if (procfs_read_stat(pid, 0, &st) < 0)
        return -1;
    *state = st.state;
    return st.ppid;
}

/*
 * True if pid is already on its way out: SIGKILL is pending, or it is in
 * exit (PF_EXITING; a process freeing a large address space stays there a
 * while, and is neither running code nor a zombie yet), or it is gone.
 */
static bool dying(pid_t pid)
{
    const unsigned long long kill_bit = 1ULL << (SIGKILL - 1);
    const unsigned long pf_exiting = 0x4;
    unsigned long long shared, own;
    struct procfs_stat st;
    if (procfs_read_stat(pid, 0, &st) < 0 || (st.flags & pf_exiting) != 0)
        return true;
    if (procfs_status_mask(pid, "ShdPnd", &shared) < 0 ||
        procfs_status_mask(pid, "SigPnd", &own) < 0)
        return true;
    return ((shared | own) & kill_bit) != 0;
}

static void reap_orphans(struct watch *w);

/*
 * Append "PID STATE" to desc, and what the process is when it is a daemon
 * (it leads its own session, setsid()): it outlived the test that started it.
 */
static size_t describe_orphan(char *desc, size_t used, size_t cap, pid_t pid, char state)
{
    char path[64], buf[512], comm[64] = "?";
    int sid = 0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (f != NULL) {
        if (fgets(buf, sizeof buf, f) != NULL) {
            char *open = strchr(buf, '('), *close = strrchr(buf, ')');
            if (open != NULL && close != NULL && close > open)
                snprintf(comm, sizeof comm, "%.*s", (int)(close - open - 1), open + 1);
            int pp, pgrp;
            char st;
            if (close != NULL &&
                sscanf(close + 2, "%c %d %d %d", &st, &pp, &pgrp, &sid) != 4)
                sid = 0;
        }
        fclose(f);
    }
    int n = snprintf(
        desc + used, cap - used, "%s%d %c%s%s%s", used ? ", " : "", (int)pid, state,
        sid == (int)pid ? " (" : "", sid == (int)pid ? comm : "",
        sid == (int)pid ? ", a daemon: it called setsid() and outlived its test)" : "");
    return n > 0 && used + (size_t)n < cap ? used + (size_t)n : used;
}

/*
 * As PID 1 of the sandbox, or as the child subreaper orphans are handed to
 * without one: kill every one of our descendants that is not the runner or
 * a descendant of the runner (a test's orphans and daemons, a fork bomb's
 * children), and reap zombies. Those still alive and not already dying are
 * counted against the test that ran last.
 */
/*
 * The next process sweep() considers: as PID 1 of a sandbox, every process
 * of /proc (the namespace's, a few); as a subreaper on the host, only our
 * own children (orphans are handed to us; walking the whole host's /proc at
 * every test once cost a minute). 0 at the end.
 */
static pid_t next_candidate(DIR *d, FILE *kids)
{
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
                return (pid_t)atoi(e->d_name);
        return 0;
    }
    int pid;
    return kids != NULL && fscanf(kids, "%d", &pid) == 1 ? (pid_t)pid : 0;
}

static void charge_orphans(struct watch *w, int count, const char *desc);

static void sweep(struct watch *w)
{
    if (!w->init)
        return;
    int found = 0;
    char desc[1024] = "";
    size_t used = 0;
    char children[64];
    snprintf(children, sizeof children, "/proc/self/task/%d/children", (int)getpid());
    for (int pass = 0; pass < 20; pass++) {
        DIR *d = getpid() == 1 ? opendir("/proc") : NULL;
        FILE *kids = d == NULL ? fopen(children, "re") : NULL;
        if (d == NULL && kids == NULL)
            return;
        int killed = 0;
        for (pid_t pid; (pid = next_candidate(d, kids)) != 0;) {
            if (pid <= 1 || pid == getpid())
                continue;
            char state = '?';
            pid_t p = pid, pp;
            bool ours = false, mine = false;
            for (int depth = 0; depth < 4096 && p > 0; depth++) {
                if (p == w->runner || (w->starting > 0 && p == w->starting)) {
                    ours = true;
                    break;
                }
                if (p == getpid()) { /* PID 1 of a sandbox: everyone */
                    mine = true;
                    break;
                }
                char st;
                pp = parent_of(p, &st);
                if (p == pid)
                    state = st;
                p = pp;
            }
            if (ours || !mine || state == 'Z' || state == '?')
                continue;
            if (pass == 0 && !dying(pid)) {
                found++;
                if (used < sizeof desc - 32)
                    used = describe_orphan(desc, used, sizeof desc, pid, state);
            }
            kill(pid, SIGKILL);
            killed++;
        }
        if (d != NULL)
            closedir(d);
        if (kids != NULL)
            fclose(kids);
        reap_orphans(w);
        if (killed == 0)
            break;
        usleep(2000);
    }
    if (found > 0 && w->last[0] == '\0') {
        /* Before the first test: left by code that ran when the tests were
         * loaded (a constructor); charged to the first test (on_record). */
        w->load_orphans += found;
        snprintf(w->load_desc, sizeof w->load_desc, "%s (started when the tests loaded)",
                 desc);
    } else if (found > 0) {
        charge_orphans(w, found, desc);
    }
}

/* Add count orphans, described by desc, to the test w->last. */
static void charge_orphans(struct watch *w, int count, const char *desc)
{
    json_t *prev = json_object_get(w->orphans, w->last);
    int before = prev ? (int)json_integer_value(json_object_get(prev, "count")) : 0;
    json_object_set_new(w->orphans, w->last,
                        json_pack("{s:i, s:s}", "count", before + count, "desc", desc));
}

/*
 * Reap orphaned zombies that were reparented to us (PID 1), never the
 * runner: proc_wait_all must be the one to reap it, or it would wait for
 * the runner until the whole-run limit (waitpid(-1) here once lost the
 * runner's exit when a fork bomb's runner died during a sweep). Our
 * children are listed in /proc, so each is reaped by its own pid.
 */
static void reap_orphans(struct watch *w)
{
    if (!w->init)
        return;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return;
    int pid;
    while (fscanf(f, "%d", &pid) == 1)
        if (pid != w->runner)
            waitpid(pid, NULL, WNOHANG);
    fclose(f);
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
            /* Whatever the previous test left outside the runner; not this
             * test's own worker, which is outside it too once the runner has
             * died (a test that killed it, read here only afterwards). */
            w->starting = pid;
            sweep(w);
            w->starting = 0;
            memset(&w->cur, 0, sizeof w->cur);
            snprintf(w->cur.test, sizeof w->cur.test, "%s", test);
            snprintf(w->last, sizeof w->last, "%s", test);
            if (w->load_orphans > 0) {
                charge_orphans(w, w->load_orphans, w->load_desc);
                w->load_orphans = 0;
            }
            w->cur.pid = pid;
            w->cur.seen = mono();
            w->have_cur = true;
            w->cur_ended = false;
            w->round_started = w->any_started = true;
            json_object_set_new(w->started, test, json_true());
        } else if (strcmp(ev, "end") == 0 && w->have_cur && w->cur.pid == pid) {
            w->have_cur = false;
            w->cur_ended = true;
            /* It finished after all: an explanation would be wrong. */
            json_object_del(w->hangs, test);
        }
    }
    json_decref(rec);
}

/* Read new complete lines of the probe file. */
static void read_probe(struct watch *w)
{
    FILE *f = fs_fopen_untrusted(w->probe_path, 64u << 20); /* the test's to write */
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

/* The time limit of test (its own timeout from the table), in seconds. */
static double limit_of(const struct watch *w, const char *test)
{
    json_t *v = json_object_get(w->limits, test);
    double t = json_is_number(v) ? json_number_value(v) : 0;
    return t > 0 ? t : w->timeout;
}

/* Where the processes of root's tree are blocked: {summary, details}, or NULL. */
static json_t *explain_tree(pid_t root, const char *many)
{
    pid_t pids[MAX_TREE];
    size_t n = hang_process_tree(root, pids, MAX_TREE);
    if (n > MAX_EXPLAIN) {
        /* Explaining hundreds of processes would stall this watchdog. */
        char summary[200];
        snprintf(summary, sizeof summary,
                 "%s %s%zu processes (a fork loop?): none was explained", many,
                 n == MAX_TREE ? "at least " : "", n);
        return json_pack("{s:s, s:s}", "summary", summary, "details", "");
    }
    if (n == 0)
        return NULL;
    char *details = NULL;
    char *summary = hang_explain(pids, n, &details);
    json_t *r = summary == NULL ? NULL
                                : json_pack("{s:s, s:s}", "summary", summary, "details",
                                            details ? details : "");
    free(summary);
    free(details);
    return r;
}

/*
 * Watch the runner's start like a test: code that runs at load time (a
 * constructor) can block or fork before any test starts. When no test of
 * this round has started within the lab's largest test timeout, explain
 * where the runner is (at 0.9 of it) and stop it (2 s later).
 */
static void watch_startup(struct watch *w)
{
    if (w->runner <= 0 || w->round_started || w->startup_killed)
        return;
    double ran = mono() - w->runner_seen;
    if (!w->startup_explained && ran >= 0.9 * w->timeout) {
        w->startup_explained = true;
        json_decref(w->startup);
        w->startup = explain_tree(w->runner, "the test runner has");
    }
    if (ran >= w->timeout + 2) {
        w->startup_killed = true;
        pid_t pids[MAX_TREE];
        size_t n = hang_process_tree(w->runner, pids, MAX_TREE);
        for (size_t i = 0; i < n; i++)
            kill(pids[i], SIGKILL);
        kill(-w->runner, SIGKILL);
        kill(w->runner, SIGKILL);
    }
}

/* True once the runner has written its report to the channel. */
static bool reported(const struct watch *w)
{
    struct stat st;
    return fstat(w->channel, &st) == 0 && st.st_size > 0;
}

/*
 * Kill every process of the run that is left (the runner is gone) and reap
 * them all, waiting until none is left, not just until each was signalled.
 * As PID 1 of the sandbox that is every other process in it, so nothing the
 * tests started can rewrite the files written after this; as a subreaper,
 * our orphans and theirs (SECURITY.md: no such guarantee without a sandbox).
 */
static void kill_everyone(const struct watch *w)
{
    if (!w->init)
        return;
    if (getpid() == 1)
        kill(-1, SIGKILL);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    for (;;) {
        FILE *f = getpid() == 1 ? NULL : fopen(path, "re");
        for (int pid; f != NULL && fscanf(f, "%d", &pid) == 1;)
            kill(pid, SIGKILL);
        if (f != NULL)
            fclose(f);
        if (waitpid(-1, NULL, 0) < 0 && errno != EINTR)
            break; /* ECHILD: none left */
    }
}

/* proc_wait_all tick: explain tests near their timeout, kill overdue ones. */
static void tick(void *arg)
{
    struct watch *w = arg;
    reap_orphans(w);
    read_probe(w);
    watch_startup(w);
    if (w->runner > 0 && reported(w)) {
        if (w->reported_at == 0) {
            w->reported_at = mono();
        } else if (mono() - w->reported_at > LINGER_AFTER_REPORT &&
                   !w->stuck_after_report) {
            w->stuck_after_report = true;
            kill(-w->runner, SIGKILL);
            kill(w->runner, SIGKILL);
        }
    }
    if (!w->have_cur)
        return;
    struct active *a = &w->cur;
    char state = '?';
    if (parent_of(a->pid, &state) < 0 || state == 'Z') {
        /*
         * The worker died without its end record (crash, timeout): the test
         * is over, so clear what it left outside the runner now; a fork
         * bomb's children would otherwise stop the runner from starting the
         * next worker (RLIMIT_NPROC).
         */
        w->have_cur = false;
        sweep(w);
        return;
    }
    double ran = mono() - a->seen, limit = limit_of(w, a->test);
    if (!a->explained && ran >= 0.9 * limit) {
        a->explained = true;
        pid_t pids[MAX_TREE];
        size_t n = hang_process_tree(a->pid, pids, MAX_TREE);
        if (n > MAX_EXPLAIN) {
            /* Explaining hundreds of processes would stall this watchdog. */
            char summary[160];
            snprintf(summary, sizeof summary,
                     "the test has %s%zu processes (a fork loop?): none was explained",
                     n == MAX_TREE ? "at least " : "", n);
            json_object_set_new(
                w->hangs, a->test,
                json_pack("{s:s, s:s}", "summary", summary, "details", ""));
        } else if (n > 0) {
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
    if (!a->killed && ran >= limit + 2) {
        a->killed = true;
        pid_t pids[MAX_TREE];
        size_t n = hang_process_tree(a->pid, pids, MAX_TREE);
        for (size_t i = 0; i < n; i++)
            kill(pids[i], SIGKILL);
        kill(-a->pid, SIGKILL); /* the worker leads its own session */
        json_array_append_new(w->killed, json_string(a->test));
    }
}

/* "!(a|b|c)": a Criterion filter that leaves out every key of skip. */
static char *exclude_filter(json_t *skip)
{
    char *out = NULL;
    const char *name;
    json_t *v;
    json_object_foreach(skip, name, v)
    {
        char *n = NULL;
        if (asprintf(&n, "%s%s%s", out ? out : "", out ? "|" : "", name) < 0)
            n = NULL;
        free(out);
        out = n;
        if (out == NULL)
            return NULL;
    }
    char *f = NULL;
    if (out != NULL && asprintf(&f, "--filter=!(%s)", out) < 0)
        f = NULL;
    free(out);
    return f;
}

/* The tests $NATIVE_SKIP_ENV names ("a|b|c", the grader's) as keys of a new object. */
static json_t *skipped_tests(void)
{
    json_t *skip = json_object();
    char *list = getenv(NATIVE_SKIP_ENV) ? strdup(getenv(NATIVE_SKIP_ENV)) : NULL;
    for (char *save = NULL, *name = list ? strtok_r(list, "|", &save) : NULL;
         name != NULL; name = strtok_r(NULL, "|", &save))
        json_object_set_new(skip, name, json_null());
    free(list);
    return skip;
}

int native_inner(int argc, char **argv)
{
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: ipclab grade --inner-native WORK TIMEOUT WALL [TABLE]\n");
        return 2;
    }
    const char *work = argv[2];
    int report = native_report_take(); /* before anything else can inherit it */
    if (report < 0) {
        fprintf(stderr, "ipclab: the native pass has no report channel (%s)\n",
                NATIVE_REPORT_ENV);
        return 2;
    }
    double timeout = atof(argv[3]), wall = atof(argv[4]);
    char bin[4096], probe[4096], tmp[4200], outp[4200];
    snprintf(bin, sizeof bin, "%s/build/run-tests", work);
    snprintf(probe, sizeof probe, "%s/native/probe.jsonl", work);
    snprintf(tmp, sizeof tmp, "TMPDIR=%s/tmp", work);
    snprintf(outp, sizeof outp, "%s/native/runner.out", work);
    char probe_env[4200];
    snprintf(probe_env, sizeof probe_env, "IPCLAB_PROBE_FILE=%s", probe);
    /* The runner reports on a memfd only it holds (fd 3), and forks each
     * test (labs/support/seal.h). Neither it nor this watchdog is dumpable,
     * so no test process can reopen the memfd through /proc/PID/fd. */
    prctl(PR_SET_DUMPABLE, 0);
    int channel = memfd_create("ipclab-results", MFD_CLOEXEC);
    if (channel < 0) {
        perror("ipclab: memfd_create");
        return 2;
    }
    char *env[] = {"IPCLAB_RESULTS_FD=3",
                   "IPCLAB_FORK_RUNNER=1",
                   probe_env,
                   tmp,
                   "PATH=/usr/local/bin:/usr/bin:/bin",
                   "LC_ALL=C",
                   "HOME=/nonexistent",
                   NULL, /* IPCLAB_STRESS_SEED, when set (see below) */
                   NULL};
    /* Race stress (labs/support/ipclab_shim.h): `check --stress` and the
     * grader's stress pass set the seed of a run in this process's environment. */
    char stress_env[64];
    const char *seed = getenv("IPCLAB_STRESS_SEED");
    if (seed != NULL && seed[0] != '\0') {
        snprintf(stress_env, sizeof stress_env, "IPCLAB_STRESS_SEED=%.40s", seed);
        env[7] = stress_env;
    }
    struct watch w = {.probe_path = probe,
                      .channel = channel,
                      .timeout = timeout > 0 ? timeout : 10,
                      /* Orphans come to us: PID 1 of the sandbox, or a subreaper. */
                      .init = getpid() == 1 || prctl(PR_SET_CHILD_SUBREAPER, 1) == 0,
                      .hangs = json_object(),
                      .killed = json_object(),
                      .orphans = json_object(),
                      .started = json_object(),
                      .limits = json_object()};
    /* TABLE: "suite/test SECONDS" lines, every test's own Criterion timeout. */
    char *table = argc == 6 ? strdup(argv[5]) : NULL;
    for (char *save = NULL, *line = table ? strtok_r(table, "\n", &save) : NULL;
         line != NULL; line = strtok_r(NULL, "\n", &save)) {
        char *sp = strrchr(line, ' ');
        if (sp != NULL && atof(sp + 1) > 0) {
            *sp = '\0';
            json_object_set_new(w.limits, line, json_real(atof(sp + 1)));
        }
    }
    free(table);
    json_decref(w.killed);
    w.killed = json_array();
    json_t *killers = json_object(); /* test -> runner status, for rerun rounds */
    proc_install_signals();
    double deadline = mono() + wall;
    char status[64] = "not started";
    bool runner_killed = false;
    unsigned long long out_bytes = 0;
    FILE *out = fopen(outp, "we");
    /*
     * A test that kills the runner (kill(-1, SIGKILL), or killing its parent)
     * loses its own verdict, not everyone else's: the tests are run again
     * without it, at most 4 times.
     */
    json_t *skip = skipped_tests(); /* the grader runs these elsewhere */
    for (int round = 0; round < 5; round++) {
        json_t *left_out = json_deep_copy(skip);
        json_object_update(left_out, killers);
        char *filter = json_object_size(left_out) > 0 ? exclude_filter(left_out) : NULL;
        json_decref(left_out);
        /* No --full-stats: it sends every passing assertion to the runner,
         * which makes a test asserting in a loop 50 times slower. Failed
         * assertions are reported either way. */
        char *args[] = {bin, "--jobs", "1", filter, NULL};
        struct proc_opts o = {.cwd = work,
                              .env = env,
                              .wall_seconds = deadline - mono(),
                              .out_cap = 256 * 1024,
                              .pass_fd = channel};
        if (ftruncate(channel, 0) != 0)
            break;
        struct proc p;
        if (o.wall_seconds < 1 || proc_start(&p, "tests", args, &o) < 0) {
            free(filter);
            break;
        }
        w.runner = p.pid;
        w.runner_seen = mono();
        w.round_started = false;
        w.reported_at = 0;
        w.have_cur = false;
        w.last[0] = '\0';
        /* Every test of this round runs again: what the last round left is
         * not theirs (and the killers' verdicts count nothing). */
        json_object_clear(w.orphans);
        proc_wait_all(&p, 1, tick, &w);
        read_probe(&w);
        w.runner = 0;
        sweep(&w);
        /* Nothing of this round may still be dying when the next starts
         * (it would be charged to that round's first test). */
        kill_everyone(&w);
        free(filter);
        proc_describe_status(p.status, status, sizeof status);
        runner_killed = p.killed;
        out_bytes += p.total;
        if (out != NULL)
            fwrite(p.out, 1, p.len, out);
        proc_free(&p);
        if (runner_killed || w.startup_killed || reported(&w))
            break;
        /*
         * The runner died without reporting: blame the test that was running,
         * or the one whose worker the watchdog saw die a moment before the
         * runner (a fork bomb's worker goes first, then the runner that can
         * no longer fork).
         */
        const char *culprit = w.have_cur                          ? w.cur.test
                              : !w.cur_ended && w.last[0] != '\0' ? w.last
                                                                  : NULL;
        if (culprit == NULL || json_object_get(killers, culprit) != NULL)
            break;
        json_object_set_new(killers, culprit, json_string(status));
    }
    json_decref(skip);
    if (out != NULL)
        fclose(out);
    json_t *doc = json_pack("{s:o, s:o, s:o, s:o, s:s, s:b, s:b, s:I}", "hangs", w.hangs,
                            "killed", w.killed, "orphans", w.orphans, "runner_killers",
                            killers, "runner_status", status, "runner_killed",
                            runner_killed, "runner_stuck_after_report",
                            w.stuck_after_report, "output_bytes", (json_int_t)out_bytes);
    if (!w.any_started && (w.startup_killed || !reported(&w))) {
        /* No test ever started: say how the runner's start-up went wrong. */
        json_t *s = w.startup ? w.startup : json_object();
        w.startup = NULL;
        json_object_set_new(s, "stopped", json_boolean(w.startup_killed));
        json_object_set_new(s, "seconds", json_real(w.timeout));
        json_object_set_new(doc, "startup", s);
    }
    json_decref(w.startup);
    json_decref(w.limits);
    json_decref(w.started);
    /* Nothing of the run may outlive it and rewrite what is written next. */
    kill_everyone(&w);
    json_t *results = NULL;
    if (reported(&w)) {
        char *text = fs_read_fd_text(channel, MAX_REPORT_BYTES);
        results = text != NULL ? json_loads(text, 0, NULL) : NULL;
        free(text);
    }
    close(channel);
    return native_report_write(report, results, doc) < 0 ? 2 : 0;
}
