/* check.c - runs a lab's tests as parallel lanes of the grader's native pass. */
#include "engine/check.h"
#include "engine/cleanup.h"
#include "base/fs.h"
#include "engine/collect.h"
#include "engine/course.h"
#include "engine/native.h"
#include "engine/native_report.h"
#include "engine/pass_common.h"
#include "engine/passes.h"
#include "engine/sandbox.h"
#include "engine/timeouts.h"
#include "trace/trace.h"
#include <ipc_objects.h> /* labs/support: shared with the tests' probe */

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_LANES 8

/* check_make_lane - see check.h. */
int check_make_lane(char *work, size_t len, const char *parent, const char *bin,
                    const char *filter, const char *const *wrap)
{
    const char *base = parent != NULL ? parent : getenv("TMPDIR");
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
    fprintf(f, "#!/bin/sh\nexec ");
    for (size_t i = 0; wrap != NULL && wrap[i] != NULL; i++)
        fprintf(f, "'%s' ", wrap[i]); /* strace's options: no ' in them */
    fprintf(f, "'%s' '--filter=%s' \"$@\"\n", bin, filter);
    if (fclose(f) != 0)
        return -1;
    return chmod(p, 0700);
}

/*
 * How many lanes: $IPCLAB_CHECK_JOBS, else two per CPU (IPC tests spend
 * most of their time blocked, so twice the CPUs keeps them busy); at most
 * MAX_LANES - 1 (one is kept for perf tests) and n.
 */
static size_t lane_count(size_t n)
{
    const char *env = getenv("IPCLAB_CHECK_JOBS");
    long k = env != NULL && atol(env) > 0 ? atol(env) : 2 * sysconf(_SC_NPROCESSORS_ONLN);
    if (k < 1)
        k = 1;
    if (k > MAX_LANES - 1)
        k = MAX_LANES - 1;
    return (size_t)k < n ? (size_t)k : n;
}

/* Move the results of the tests lane k owns from gk into g (the others stay gk's). */
static void take_results(struct grade *g, struct grade *gk, const int *owner, int k)
{
    for (size_t i = 0; i < g->m.ntests; i++) {
        struct test_result *r = &gk->tests[i];
        if (owner[i] == k) {
            g->tests[i] = *r;
            memset(r, 0, sizeof *r); /* moved: collect_run_free must not free it */
        }
    }
    if (gk->runner_note != NULL) {
        char *n = xasprintf("%s%s%s", g->runner_note ? g->runner_note : "",
                            g->runner_note ? "; " : "", gk->runner_note);
        free(g->runner_note);
        g->runner_note = n;
    }
}

/* Append the lane's runner output (test output, sanitizer reports) to *acc. */
static void take_output(const char *work, char **acc)
{
    char path[4400];
    snprintf(path, sizeof path, "%.2047s/native/runner.out", work);
    FILE *f = fs_fopen_untrusted(path, (size_t)-1); /* only the first 64 KiB are read */
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

/* One parallel run of the native pass. */
struct lane {
    char work[2048]; /* its work directory; "" when it was not launched */
    pid_t pid;       /* its process until reaped, then 0 */
    int report;      /* its watchdog's report channel (native_report.h), or -1 */
};

/*
 * collect_lane - read the results of lane l (number s) into g: the tests
 * owner[] gives it, its runner note and, when output is not NULL, its
 * runner output; then remove its work directory. Nothing if it never ran.
 */
static void collect_lane(struct grade *g, struct lane *l, const int *owner, int s,
                         char **output)
{
    if (l->work[0] == '\0')
        return;
    struct grade gk;
    collect_run(&gk, g, l->work, native_report_read(l->report));
    l->report = -1;
    take_results(g, &gk, owner, s);
    if (output != NULL)
        take_output(l->work, output);
    collect_run_free(&gk);
    fs_rm_rf(l->work);
}

/* reap - wait for *pid (retrying on EINTR) unless it is 0; then set it to 0. */
static void reap(pid_t *pid)
{
    while (*pid > 0 && waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
        ;
    *pid = 0;
}

/*
 * launch - start lane l: its work directory ("" on failure, with a message),
 * its report channel and a child running the native pass on the tests of
 * filter ("@(a|b"; this closes it), in the sandbox sb when sb->on. Sets
 * l->pid (0 when it could not start).
 */
static void launch(struct lane *l, const char *bin, const char *filter,
                   char *const native_args[], const struct sandbox_info *sb,
                   const char *const *wrap)
{
    l->work[0] = '\0';
    l->pid = 0;
    l->report = -1;
    if (filter == NULL)
        return;
    char *f = xasprintf("%s)", filter);
    if (check_make_lane(l->work, sizeof l->work, NULL, bin, f, wrap) < 0 ||
        (l->report = native_report_open()) < 0) {
        fprintf(stderr, "ipclab: cannot make a work directory: %s\n", strerror(errno));
        fs_rm_rf(l->work);
        l->work[0] = '\0';
        free(f);
        return;
    }
    free(f);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* The watchdog's report channel, kept across the exec of bubblewrap. */
        char env[64];
        if (fcntl(l->report, F_SETFD, 0) < 0 ||
            putenv(strdup(native_report_env(env, sizeof env, l->report))) != 0)
            _exit(2);
        char self[PATH_MAX] = "ipclab";
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        self[n > 0 ? n : 6] = '\0';
        char *argv[] = {self,           "grade",        "--inner-native", l->work,
                        native_args[0], native_args[1], native_args[2],   NULL};
        /* In the grader's sandbox when it works here: the lane's runner is PID 1
         * of fresh IPC and PID namespaces, which take whatever a test leaves. */
        if (sb->on) {
            /* A binary built outside the course (trace --src) is shown too. */
            char bindir[PATH_MAX];
            snprintf(bindir, sizeof bindir, "%s", bin);
            char *slash = strrchr(bindir, '/');
            if (slash != NULL)
                *slash = '\0';
            size_t rl = strlen(course_root());
            bool inside = strncmp(bindir, course_root(), rl) == 0 &&
                          (bindir[rl] == '/' || bindir[rl] == '\0');
            const char *ro[] = {inside || slash == NULL ? NULL : bindir, NULL};
            struct sandbox_opts so = {ro, true, NULL, NULL, NULL};
            char **full = sandbox_argv(sb, l->work, &so, argv);
            if (full != NULL)
                execvp(full[0], full);
            fprintf(stderr, "ipclab: cannot start bubblewrap: %s\n", strerror(errno));
            _exit(2);
        }
        _exit(native_inner(6, argv + 1));
    }
    l->pid = pid > 0 ? pid : 0;
}

#define MAX_SEEN 256

/*
 * The IPC objects that a test run without namespaces may leave on the
 * machine: this user's SysV objects ("sysv-sem 5") and the POSIX objects
 * the support library names ("posix-shm /ipclab-...").
 */
struct ipc_seen {
    size_t n;
    char what[MAX_SEEN][128];
};

/* sysv_mine - the SysV object kind id was created by this user (a check runs as its
 * caller). */
static bool sysv_mine(const char *kind, int id)
{
    uid_t me = geteuid();
    if (strcmp(kind, "sysv-msg") == 0) {
        struct msqid_ds ds;
        return msgctl(id, IPC_STAT, &ds) == 0 && ds.msg_perm.cuid == me;
    }
    if (strcmp(kind, "sysv-shm") == 0) {
        struct shmid_ds ds;
        return shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_perm.cuid == me;
    }
    struct semid_ds ds;
    return semctl(id, 0, IPC_STAT, &ds) == 0 && ds.sem_perm.cuid == me;
}

/* seen_one - ipc_objects_each's callback: add this user's SysV objects as "kind ID"
 * and the POSIX objects the support library names as "kind /ipclab-...". */
static void seen_one(const struct ipc_object *o, void *ctx)
{
    struct ipc_seen *l = ctx;
    if (l->n >= MAX_SEEN)
        return;
    if (o->name[0] == '\0') {
        if (sysv_mine(o->kind, o->id))
            snprintf(l->what[l->n++], sizeof l->what[0], "%s %d", o->kind, o->id);
    } else if (strncmp(o->name, "/ipclab-", 8) == 0) {
        snprintf(l->what[l->n++], sizeof l->what[0], "%s %.101s", o->kind, o->name);
    }
}

/* ipc_seen_now - every object of struct ipc_seen's kinds visible now. */
static void ipc_seen_now(struct ipc_seen *l)
{
    l->n = 0;
    ipc_objects_each(seen_one, l);
}

/* removal - the command that removes object what ("sysv-sem 5": "ipcrm -s 5"). */
static char *removal(const char *what)
{
    static const char *const kinds[][2] = {
        {"sysv-msg ", "ipcrm -q "},          {"sysv-sem ", "ipcrm -s "},
        {"sysv-shm ", "ipcrm -m "},          {"posix-shm /", "rm /dev/shm/"},
        {"posix-sem /", "rm /dev/shm/sem."}, {"posix-mq /", "rm /dev/mqueue/"}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t n = strlen(kinds[k][0]);
        if (strncmp(what, kinds[k][0], n) == 0)
            return xasprintf("%s%s", kinds[k][1], what + n);
    }
    return xasprintf("%s", what);
}

/*
 * note_left_behind - the objects in after but not in before, each with the
 * command that removes it, into g->left_behind ("ipcrm -s 5, rm
 * /dev/shm/ipclab-..."). Not removed: without namespaces nothing proves
 * they are the tests' rather than another program's of this user.
 */
static void note_left_behind(struct grade *g, const struct ipc_seen *before,
                             const struct ipc_seen *after)
{
    for (size_t i = 0; i < after->n; i++) {
        bool old = false;
        for (size_t j = 0; j < before->n && !old; j++)
            old = strcmp(after->what[i], before->what[j]) == 0;
        if (old)
            continue;
        char *cmd = removal(after->what[i]);
        char *next = xasprintf("%s%s%s", g->left_behind ? g->left_behind : "",
                               g->left_behind ? ", " : "", cmd);
        free(cmd);
        free(g->left_behind);
        g->left_behind = next;
    }
}

/*
 * check_sandbox - whether the grader's sandbox works here (tried once per
 * process: `watch` checks many times), into *sb.
 */
static void check_sandbox(struct sandbox_info *sb)
{
    static struct sandbox_info known;
    static bool probed;
    if (!probed) {
        probed = true;
        const char *base = getenv("TMPDIR");
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/ipclab-probe-XXXXXX",
                 base && base[0] == '/' ? base : "/tmp");
        /* (As root, the probe runs as the grader's unprivileged uid.) */
        if (mkdtemp(dir) != NULL && chmod(dir, 0755) == 0) {
            sandbox_probe(&known, dir, true);
            rmdir(dir);
        } else {
            rmdir(dir);
            snprintf(known.note, sizeof known.note, "isolation off: no temporary folder");
        }
    }
    *sb = known;
}

/* check_run_tests - see check.h. */
size_t check_run_tests(struct grade *g, const char *bin, const char *glob,
                       const struct check_early *early, char **output)
{
    int *owner =
        xcalloc(g->m.ntests + 1, sizeof *owner); /* lane of each test, -1: none */
    size_t n = 0;
    for (size_t i = 0; i < g->m.ntests; i++) {
        owner[i] =
            glob == NULL || fnmatch(glob, g->m.tests[i].name, FNM_EXTMATCH) == 0 ? 0 : -1;
        n += owner[i] == 0;
    }
    if (n == 0) {
        free(owner);
        return 0;
    }
    /* Lanes 0..k-1 share the tests round robin; lane k holds the perf tests
     * (run alone, last); lane k + 1 the early tests (started first). */
    size_t k = lane_count(n), j = 0;
    const size_t perf = k, first = k + 1;
    char *filters[MAX_LANES + 1] = {NULL};
    for (size_t i = 0; i < g->m.ntests; i++)
        if (owner[i] == 0) {
            int s = (int)(j % k);
            if (g->m.tests[i].options & OPT_PERF)
                s = (int)perf;
            else if (early != NULL &&
                     fnmatch(early->glob, g->m.tests[i].name, FNM_EXTMATCH) == 0)
                s = (int)first;
            else
                j++;
            owner[i] = s;
            char *f = xasprintf("%s%s%s", filters[s] ? filters[s] : "@(",
                                filters[s] ? "|" : "", g->m.tests[i].name);
            free(filters[s]);
            filters[s] = f;
        }
    static struct lane lanes[MAX_LANES + 1]; /* a lane never launched has work "" */
    for (size_t s = 0; s <= MAX_LANES; s++)
        lanes[s] = (struct lane){.report = -1};
    char timeout[32], wall[32];
    double budget = 20;
    for (size_t i = 0; i < g->m.ntests; i++)
        budget += owner[i] >= 0 ? g->m.tests[i].timeout + 3 : 0;
    snprintf(timeout, sizeof timeout, "%d", g->m.timeout);
    snprintf(wall, sizeof wall, "%g", budget < 900 ? budget : 900);
    char *table = timeouts_table(&g->m);
    char *native_args[] = {timeout, wall, table};
    /* Without namespaces: leftovers are found by this run's id and by what
     * is new on the machine afterwards. */
    check_sandbox(&g->sb);
    static struct ipc_seen before, after;
    if (!g->sb.on) {
        setenv("IPCLAB_GRADE_ID", pass_grade_id(), 1);
        ipc_seen_now(&before);
    }
    launch(&lanes[first], bin, filters[first], native_args, &g->sb, NULL);
    for (size_t s = 0; s < k; s++)
        launch(&lanes[s], bin, filters[s], native_args, &g->sb, NULL);
    if (filters[first] != NULL) { /* their verdict now, while the others run */
        reap(&lanes[first].pid);
        collect_lane(g, &lanes[first], owner, (int)first, output);
        if (early->report != NULL)
            early->report(g, early->arg);
    }
    if (filters[perf] != NULL) { /* the perf tests, once every other lane is done */
        for (size_t s = 0; s < k; s++)
            reap(&lanes[s].pid);
        launch(&lanes[perf], bin, filters[perf], native_args, &g->sb, NULL);
    }
    for (size_t s = 0; s <= first; s++)
        reap(&lanes[s].pid);
    for (size_t s = 0; s <= perf; s++)
        collect_lane(g, &lanes[s], owner, (int)s, output);
    for (size_t s = 0; s <= first; s++)
        free(filters[s]);
    free(table);
    free(owner);
    pass_cleanup_host(g); /* processes and the IPC objects the probe saw left behind */
    if (!g->sb.on) {
        ipc_seen_now(&after);
        note_left_behind(g, &before, &after);
    }
    return n;
}

/* The strace log of a traced lane, relative to its work directory (the
 * runner's cwd): inside the sandbox's writable folder, read back untrusted. */
#define TRACE_LOG     "native/strace.log"
#define TRACE_LOG_MAX (64 << 20)

/* check_trace_test - see check.h. */
int check_trace_test(struct grade *g, const char *bin, const char *test,
                     const char *log_file)
{
    size_t idx = g->m.ntests;
    for (size_t i = 0; i < g->m.ntests; i++)
        if (strcmp(g->m.tests[i].name, test) == 0)
            idx = i;
    if (idx == g->m.ntests) {
        errno = ENOENT;
        return -1;
    }
    /* Its own timeout, three seconds for strace's start, and the kill's margin. */
    char timeout[32], wall[32];
    snprintf(timeout, sizeof timeout, "%d", (int)g->m.tests[idx].timeout + 3);
    snprintf(wall, sizeof wall, "%g", g->m.tests[idx].timeout + 20);
    char *table = timeouts_table(&g->m);
    char *native_args[] = {timeout, wall, table};
    struct lane lane;
    char *filter = xasprintf("@(%s", test);
    check_sandbox(&g->sb);
    launch(&lane, bin, filter, native_args, &g->sb, trace_strace_args(TRACE_LOG));
    free(filter);
    free(table);
    if (lane.work[0] == '\0')
        return -1;
    reap(&lane.pid);
    /* What the sandbox leaves is hostile: no link, no FIFO, a bounded size. */
    char path[2200];
    snprintf(path, sizeof path, "%s/" TRACE_LOG, lane.work);
    char *log = fs_read_text(path, TRACE_LOG_MAX);
    int saved = errno;
    int *owner = xcalloc(g->m.ntests, sizeof *owner);
    for (size_t i = 0; i < g->m.ntests; i++)
        owner[i] = i == idx ? 0 : -1;
    collect_lane(g, &lane, owner, 0, NULL);
    free(owner);
    pass_cleanup_host(g);
    if (log == NULL) {
        errno = saved;
        return -1;
    }
    int rc = fs_write_atomic(log_file, log, strlen(log));
    free(log);
    return rc;
}
