/*
 * forkrun.c - the test binary's main, and a runner that forks each test instead of
 * exec'ing.
 *
 * Criterion runs every test in a worker that BoxFort starts with execve(2).
 * Under valgrind --trace-children=yes each such start is a fresh memcheck
 * start-up (about 1 s a test); a forked child costs what its own code costs
 * (about 0.05 s). So with IPCLAB_FORK_RUNNER=1 in its environment the test
 * binary runs its tests itself: one forked child per test, in Criterion's
 * order, with the test's suite .init/.fini, timeout, expected signal or exit
 * code and --filter, and the support library's probe around each test
 * exactly as in a worker (VALGRIND_PRINTF marker, start and end records).
 * Without it, main is Criterion's own.
 *
 * A forked child has no Criterion runner to talk to: the messages its
 * assertions and phases send go nowhere. nn_send/nn_recv/nn_freemsg here
 * take precedence over nanomsg's for libcriterion (ELF interposition); in
 * the fork runner's children they swallow each message and answer with an
 * "OK" acknowledgement, and otherwise they are nanomsg's own.
 * criterion_send_assert is wrapped (-Wl,--wrap) to count failed assertions
 * and print them, since no runner collects them.
 *
 * What a child reports travels on a page shared with the runner (seal.h),
 * not on a file or fd the code under test could write: a child that ends
 * before its harness marked the test finished (exit(0) in the code under
 * test) has not passed, whatever it wrote. The runner writes its results
 * to the fd $IPCLAB_RESULTS_FD when the grader gives one (no child holds
 * it, and the runner is not dumpable, so no child can reopen it through
 * /proc), else to $IPCLAB_RESULTS_FILE.
 *
 * Several runners can share the tests of one run (runners.h): the grader's
 * memcheck pass asks for one runner a CPU ($IPCLAB_RUNNERS), forked after
 * the warm-up below, so that one memcheck start serves them all.
 */
#include "ipclab_shim.h"
#include "probe.h"
#include "results.h"
#include "runners.h"
#include "seal.h"
#include "tmpdirs.h"

#include <criterion/criterion.h>
#include <criterion/internal/ordered-set.h>
#include <criterion/options.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <jansson.h>
#include <nanomsg/nn.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

int main(int argc, char *argv[]);
int nn_send(int s, const void *buf, size_t len, int flags);
int nn_recv(int s, void *buf, size_t len, int flags);
int nn_freemsg(void *msg);
void __real_criterion_send_assert(struct criterion_assert_stats *stats);
void __wrap_criterion_send_assert(struct criterion_assert_stats *stats);

static volatile int in_fork_child;           /* 1 in a fork runner's test child */
static struct sigaction start_actions[NSIG]; /* every signal's action when main began */
struct seal *ipct_seal;                      /* that child's page (seal.h) */

/* ---- nanomsg, as a forked test child sees it ------------------------------ */

/*
 * next_fn - the next definition of name after ours (nanomsg's) in *fn (a function
 * pointer of size bytes), looked up once. True when there is one; else false with
 * errno ENOSYS.
 */
static bool next_fn(const char *name, void *fn, size_t size)
{
    void *sym;
    memcpy(&sym, fn, size);
    if (sym == NULL) {
        sym = dlsym(RTLD_NEXT, name);
        memcpy(fn, &sym, size);
    }
    if (sym == NULL)
        errno = ENOSYS;
    return sym != NULL;
}

/* nn_send - swallowed in a fork runner's child; nanomsg's own otherwise. */
int nn_send(int s, const void *buf, size_t len, int flags)
{
    if (in_fork_child)
        return (int)len;
    static int (*real)(int, const void *, size_t, int);
    if (!next_fn("nn_send", &real, sizeof real))
        return -1;
    return real(s, buf, len, flags);
}

/*
 * nn_recv - in a fork runner's child, Criterion waits for the runner's
 * acknowledgement of each message: answer "status_code: OK" (protobuf field
 * 1, varint 0) in a buffer nn_freemsg releases. nanomsg's own otherwise.
 */
int nn_recv(int s, void *buf, size_t len, int flags)
{
    if (in_fork_child) {
        unsigned char *ack = malloc(2);
        if (ack == NULL || len != NN_MSG) {
            free(ack);
            errno = ENOMEM;
            return -1;
        }
        ack[0] = 0x08;
        ack[1] = 0x00;
        memcpy(buf, &ack, sizeof ack); /* the caller's nn_freemsg frees it */
        // cppcheck-suppress memleak
        return 2;
    }
    static int (*real)(int, void *, size_t, int);
    if (!next_fn("nn_recv", &real, sizeof real))
        return -1;
    return real(s, buf, len, flags);
}

/* nn_freemsg - frees what nn_recv above allocated; nanomsg's own otherwise. */
int nn_freemsg(void *msg)
{
    if (in_fork_child) {
        free(msg);
        return 0;
    }
    static int (*real)(void *);
    return next_fn("nn_freemsg", &real, sizeof real) ? real(msg) : 0;
}

int seal_put_end(const char *json_text)
{
    if (ipct_seal == NULL)
        return 0;
    size_t n = strlen(json_text);
    if (n >= sizeof ipct_seal->end)
        n = 0; /* too large to keep whole: no end record (the test counts as unfinished)
                */
    memcpy(ipct_seal->end, json_text, n);
    ipct_seal->end[n] = '\0';
    ipct_seal->end_len = n;
    return 1;
}

/* Copy src into dst (size n) with the page's separators made spaces. */
static void one_field(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src);
    for (char *c = dst; *c != '\0'; c++)
        if (*c == SEAL_FIELD || *c == SEAL_RECORD)
            *c = ' ';
}

/* Append one failed assertion to the page: line, file and message (which
 * may hold newlines), fields and records apart by seal.h's separators. */
static void seal_put_failure(unsigned line, const char *file, const char *message)
{
    struct seal *s = ipct_seal;
    char f[256], m[2048], entry[2400];
    one_field(f, sizeof f, file);
    one_field(m, sizeof m, message);
    int n = snprintf(entry, sizeof entry, "%u%c%s%c%s%c", line, SEAL_FIELD, f, SEAL_FIELD,
                     m, SEAL_RECORD);
    if (s == NULL || n < 0 || s->failures_len + (size_t)n + 1 > sizeof s->failures)
        return;
    memcpy(s->failures + s->failures_len, entry, (size_t)n + 1);
    s->failures_len += (size_t)n;
}

/*
 * criterion_skip_test - in a fork runner's child: print the reason, mark the
 * test skipped for the runner and end the child; Criterion's own otherwise
 * (cr_skip_test ends the worker with exit(0), which alone reads "passed").
 */
void __real_criterion_skip_test(const char *format, ...);
void __wrap_criterion_skip_test(const char *format, ...);
void __wrap_criterion_skip_test(const char *format, ...)
{
    char msg[512] = "";
    va_list ap;
    va_start(ap, format);
    vsnprintf(msg, sizeof msg, format, ap);
    va_end(ap);
    if (in_fork_child) {
        fprintf(stderr, "[----] skipped: %s\n", msg);
        fflush(NULL);
        if (ipct_seal != NULL)
            ipct_seal->skipped = 1;
        _exit(0);
    }
    __real_criterion_skip_test("%s", msg);
}

/*
 * with_child_msgs - message, then one line "in a child: WHERE: WHAT" for each
 * distinct message in kids (lines), "(in N children)" when several children
 * failed the same check. Returns a malloc'd string, or NULL without memory.
 */
static char *with_child_msgs(const char *message, const char *kids)
{
    enum { MAX_LINES = 64 };
    const char *line[MAX_LINES];
    int len[MAX_LINES], n = 0;
    for (const char *p = kids; *p != '\0' && n < MAX_LINES; n++) {
        line[n] = p;
        len[n] = (int)strcspn(p, "\n");
        p += len[n] + (p[len[n]] != '\0');
    }
    char *out = strdup(message);
    for (int i = 0; i < n && out != NULL; i++) {
        int same = 0;
        bool seen = false;
        for (int j = 0; j < n; j++)
            if (len[j] == len[i] && strncmp(line[j], line[i], (size_t)len[i]) == 0) {
                seen = seen || j < i;
                same++;
            }
        if (seen || len[i] == 0)
            continue;
        char many[48] = "", *next;
        if (same > 1)
            snprintf(many, sizeof many, " (in %d children)", same);
        if (asprintf(&next, "%s\nin a child: %.*s%s", out, len[i], line[i], many) < 0)
            next = NULL;
        free(out);
        out = next;
    }
    return out;
}

/*
 * Count (and, in a fork child, print) failed assertions; Criterion's own then.
 * A failed assertion carries the messages the test's children left with
 * IPCT_CHILD_CHECK since the last one (probe.h): "the joiner failed (exit
 * 138)" then says which check in the child failed, and where. And one of a
 * test that injected faults (ipclab_shim.h) names them, so the student reads
 * what the test did to their calls.
 */
void __wrap_criterion_send_assert(struct criterion_assert_stats *stats)
{
    struct criterion_assert_stats with = *stats;
    char *joined = NULL;
    const char *kids = stats->passed ? "" : ipct_child_msgs_take();
    if (kids[0] != '\0') {
        joined = with_child_msgs(stats->message && stats->message[0] ? stats->message
                                                                     : "assertion failed",
                                 kids);
        if (joined != NULL) {
            with.message = joined;
            stats = &with;
        }
    }
    static char with_faults[6144]; /* sent before this returns: one buffer is enough */
    if (!stats->passed && ipct_faults_count() > 0) {
        snprintf(
            with_faults, sizeof with_faults, "%s\n  (faults injected by the test: %s)",
            stats->message && stats->message[0] ? stats->message : "assertion failed",
            ipct_faults_injected());
        with.message = with_faults;
        stats = &with;
    }
    if (in_fork_child && !stats->passed) {
        const char *base = stats->file ? strrchr(stats->file, '/') : NULL;
        const char *msg =
            stats->message && stats->message[0] ? stats->message : "assertion failed";
        /* As Criterion prints it: a message's further lines on lines of their own. */
        int first = (int)strcspn(msg, "\n");
        fprintf(stderr, "[----] %s:%u: %.*s\n", base ? base + 1 : "?", stats->line, first,
                msg);
        for (const char *l = msg + first; *l == '\n';) {
            l++;
            int len = (int)strcspn(l, "\n");
            fprintf(stderr, "[----]   %.*s\n", len, l);
            l += len;
        }
        if (ipct_seal != NULL) {
            ipct_seal->failed_asserts++;
            seal_put_failure(stats->line, stats->file ? stats->file : "", msg);
        }
    }
    __real_criterion_send_assert(stats);
    free(joined);
}

/* ---- the fork runner ------------------------------------------------------- */

/* How one test ended. */
struct outcome {
    const char *status; /* passed, failed, crashed, timeout, skipped */
    int signal, exit_code;
    double seconds;
    json_t *end;      /* the probe's end record (NULL: none) */
    json_t *failures; /* [{"message", "file", "line"}] */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The test's effective timeout: its own, else its suite's (0: none). */
static double timeout_of(const struct criterion_suite *s, const struct criterion_test *t)
{
    if (t->data != NULL && t->data->timeout > 0)
        return t->data->timeout;
    return s->data != NULL ? s->data->timeout : 0;
}

/* The failed assertions on the page as [{"message", "file", "line"}]. */
static json_t *failures_of(const struct seal *page)
{
    json_t *arr = json_array();
    char *text = strndup(page->failures, sizeof page->failures - 1);
    const char records[] = {SEAL_RECORD, '\0'};
    for (char *save = NULL, *l = text ? strtok_r(text, records, &save) : NULL; l != NULL;
         l = strtok_r(NULL, records, &save)) {
        char *file = strchr(l, SEAL_FIELD);
        char *msg = file ? strchr(file + 1, SEAL_FIELD) : NULL;
        if (msg == NULL)
            continue;
        *file++ = '\0';
        *msg++ = '\0';
        json_array_append_new(arr, json_pack("{s:s, s:s, s:i}", "message", msg, "file",
                                             file, "line", atoi(l)));
    }
    free(text);
    return arr;
}

/*
 * The verdict of one test from its child's wait status and page. A test
 * passes only if the harness marked it finished (or it ended as its
 * .signal/.exit_code expects); a child that exits 0 before that has not.
 */
static void judge(const struct criterion_test *t, int status, bool timed_out,
                  const struct seal *page, struct outcome *o)
{
    int want_signal = t->data ? t->data->signal : 0;
    int want_exit = t->data ? t->data->exit_code : 0;
    bool finished = page->finished == 1;
    o->failures = failures_of(page);
    if (finished && page->end_len > 0 && page->end_len < sizeof page->end)
        o->end = json_loadb(page->end, page->end_len, 0, NULL);
    if (timed_out) {
        o->status = "timeout";
    } else if (page->skipped && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        o->status = "skipped";
    } else if (WIFSIGNALED(status)) {
        o->signal = WTERMSIG(status);
        o->status = o->signal == want_signal ? "passed" : "crashed";
    } else if (WIFEXITED(status)) {
        o->exit_code = WEXITSTATUS(status);
        if (want_signal != 0)
            o->status = "failed";
        else if (finished)
            o->status = page->failed_asserts > 0 ? "failed" : "passed";
        else if (want_exit != 0 && o->exit_code == want_exit)
            o->status = json_array_size(o->failures) > 0 ? "failed" : "passed";
        else
            o->status = "crashed"; /* ended before the harness finished the test */
    }
}

/* Criterion's current suite and test, found once by the runner (fork_runner):
 * its header declares them const; the library's own are plain variables. */
static const struct criterion_suite **current_suite;
static const struct criterion_test **current_test;

/* In the child: run one test as a Criterion worker would, then leave. */
static void child_run(const struct criterion_suite *s, const struct criterion_test *t)
{
    setsid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        close(null);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* As after an exec: handlers the runner (Criterion) installed go back
     * to what the program started with (the default, or a sanitizer's own
     * handler for SIGSEGV: ASan must still report a crash); ignored
     * signals stay ignored. */
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
            sa.sa_handler != SIG_IGN && sa.sa_handler != start_actions[sig].sa_handler) {
            sigaction(sig, &start_actions[sig], NULL);
        }
    }
    /* The runner's results fd is the runner's alone; and the grader's
     * watchdog reads this child's /proc entries when it hangs (the runner
     * made itself not dumpable, which a fork inherits). */
    const char *results_fd = getenv("IPCLAB_RESULTS_FD");
    if (results_fd != NULL)
        close(atoi(results_fd));
    prctl(PR_SET_DUMPABLE, 1);
    runners_close_in_child(); /* the runners' own */
    in_fork_child = 1;
    if (current_suite == NULL || current_test == NULL) {
        fprintf(stderr,
                "ipclab fork runner: Criterion's current test is not reachable\n");
        _exit(2);
    }
    *current_suite = s;
    *current_test = t;
    VALGRIND_ENABLE_ERROR_REPORTING;
    t->test();
    fflush(NULL);
    int failed = ipct_seal->failed_asserts;
    ipct_seal->finished = 1;
    _exit(failed > 0 ? 1 : 0);
}

/*
 * The warm-up test: under valgrind the runner runs it once in its own
 * process (warm_up), through everything a test child runs around its body
 * (Criterion's set-up, main and tear-down with their messages, the probe,
 * a passing assertion). Every child forked afterwards inherits the
 * translation of that code, which each used to translate afresh (about 550
 * blocks, most of a small test's time under memcheck). No test of the lab:
 * the probe stays quiet (no marker in the log).
 */
static void warm_impl(void)
{
    cr_assert(true, "the warm-up test");
}

static void warm_jmp(void)
{
    criterion_internal_test_setup();
    criterion_internal_test_main(warm_impl);
    criterion_internal_test_teardown();
}

static struct criterion_test_extra_data warm_data = {.identifier_ = "ipclab/warm_up"};
static struct criterion_suite warm_suite = {"ipclab", &warm_data};
static struct criterion_test warm_test = {"warm_up", "ipclab", warm_jmp, &warm_data};

/* Run the warm-up test in this process (the runner, under valgrind). */
static void warm_up(void)
{
    struct seal *page = mmap(NULL, sizeof *page, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED || current_suite == NULL || current_test == NULL)
        return;
    const struct criterion_suite *suite = *current_suite;
    const struct criterion_test *test = *current_test;
    ipct_seal = page;
    ipct_probe_quiet(true);
    in_fork_child = 1; /* Criterion's messages go nowhere, as in a child */
    *current_suite = &warm_suite;
    *current_test = &warm_test;
    warm_test.test();
    *current_suite = suite;
    *current_test = test;
    in_fork_child = 0;
    ipct_probe_quiet(false);
    ipct_seal = NULL;
    munmap(page, sizeof *page);
}

/*
 * Tell a watcher of $IPCLAB_PROBE_FILE that the test's child has ended by
 * itself, not at its timeout (the grader's watchdog then forgets a hang it
 * explained). A hint for watchers
 * only: the child's own end record travels on the sealed page.
 */
static void note_end(const struct criterion_test *t, pid_t pid)
{
    const char *file = getenv("IPCLAB_PROBE_FILE");
    int fd = file != NULL && file[0] != '\0'
                 ? open(file, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
                 : -1;
    if (fd < 0)
        return;
    dprintf(fd, "{\"event\":\"end\",\"test\":\"%s/%s\",\"pid\":%d,\"runner\":true}\n",
            t->category, t->name, (int)pid);
    close(fd);
}

/*
 * Fork the test on a fresh shared page (seal.h), wait for it at most its
 * timeout (SIGCHLD is blocked, so sigtimedwait wakes when it ends), kill its
 * process group if it overstays; then read the verdict off the page and the
 * wait status. Fills o (o->end and o->failures are new references or NULL).
 */
static void run_one(const struct criterion_suite *s, const struct criterion_test *t,
                    struct outcome *o)
{
    *o = (struct outcome){"crashed", 0, 0, 0, NULL, NULL};
    double t0 = now(), limit = timeout_of(s, t);
    struct seal *page = mmap(NULL, sizeof *page, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        perror("ipclab fork runner: mmap");
        return;
    }
    ipct_seal = page;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("ipclab fork runner: fork");
        ipct_seal = NULL;
        munmap(page, sizeof *page);
        return;
    }
    if (pid == 0)
        child_run(s, t);
    ipct_seal = NULL;
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    int status = 0;
    bool timed_out = false;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            break;
        double left = limit > 0 ? limit - (now() - t0) : 3600;
        if (left <= 0) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            timed_out = true;
            break;
        }
        struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
        if (ts.tv_sec > 0 || ts.tv_nsec > 50000000) /* wake at least every 50 ms */
            ts = (struct timespec){0, 50000000};
        sigtimedwait(&chld, NULL, &ts);
    }
    o->seconds = now() - t0;
    judge(t, status, timed_out, page, o);
    munmap(page, sizeof *page);
    if (!timed_out)
        note_end(t, pid);
}

/* Append one test's outcome to the results document (same shape as results.c,
 * and the number of the runner that ran it: runners.h). */
static void record(json_t *tests, const char *name, struct outcome *o, int runner)
{
    json_t *t = json_pack("{s:s, s:s, s:i, s:i, s:f, s:s, s:o, s:i}", "name", name,
                          "status", o->status, "signal", o->signal, "exit_code",
                          o->exit_code, "time", o->seconds, "message", "", "failures",
                          o->failures ? o->failures : json_array(), "runner", runner);
    o->failures = NULL;
    if (t != NULL && o->end != NULL)
        json_object_set_new(t, "end", o->end);
    else
        json_decref(o->end);
    o->end = NULL;
    json_array_append_new(tests, t);
}

/* Is test t of suite s selected: enabled, and matching --filter's pattern? */
static bool selected(const struct criterion_suite *s, const struct criterion_test *t,
                     const char *pattern)
{
    if ((t->data && t->data->disabled) || (s->data && s->data->disabled))
        return false;
    char name[512];
    snprintf(name, sizeof name, "%s/%s", t->category, t->name);
    return pattern == NULL || fnmatch(pattern, name, FNM_EXTMATCH) == 0;
}

/* How many tests of the set are selected. */
static size_t count_selected(struct criterion_test_set *set, const char *pattern)
{
    size_t count = 0; /* (FOREACH_SET declares n) */
    struct criterion_suite_set *ss;
    FOREACH_SET(ss, set->suites)
    {
        struct criterion_test *t;
        FOREACH_SET(t, ss->tests)
        {
            count += selected(&ss->suite, t, pattern);
        }
    }
    return count;
}

/* Run every selected test in a forked child; print Criterion-like lines. */
static int fork_runner(int argc, char *argv[])
{
    struct criterion_test_set *set = criterion_initialize();
    if (!criterion_handle_args(argc, argv, true)) {
        criterion_finalize(set);
        return 0;
    }
    const char *pattern = criterion_options.pattern;
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    current_suite = dlsym(RTLD_DEFAULT, "criterion_current_suite");
    current_test = dlsym(RTLD_DEFAULT, "criterion_current_test");
    if (RUNNING_ON_VALGRIND) /* every child inherits its translation */
        warm_up();
    int runner = runners_start(count_selected(set, pattern)); /* 0: this one reports */
    json_t *tests = json_array();
    size_t k = 0; /* tests selected so far: the claim table's index */
    struct criterion_suite_set *ss;
    FOREACH_SET(ss, set->suites)
    {
        struct criterion_test *t;
        FOREACH_SET(t, ss->tests)
        {
            if (!selected(&ss->suite, t, pattern) || !runners_claim(k++))
                continue;
            char name[512];
            snprintf(name, sizeof name, "%s/%s", t->category, t->name);
            struct outcome o;
            run_one(&ss->suite, t, &o);
            printf("[%s] %s::%s (%.2fs)\n",
                   strcmp(o.status, "skipped") == 0   ? "SKIP"
                   : strcmp(o.status, "passed") == 0  ? "PASS"
                   : strcmp(o.status, "failed") == 0  ? "FAIL"
                   : strcmp(o.status, "timeout") == 0 ? "TIMEOUT"
                                                      : "CRASH",
                   t->category, t->name, o.seconds);
            fflush(stdout);
            record(tests, name, &o, runner);
        }
    }
    if (runner > 0) { /* a sibling: the first runner reports */
        runners_send(tests);
        json_decref(tests);
        criterion_finalize(set);
        return 0;
    }
    int lost = runners_gather(tests);
    int passing = 0, failing = 0, crashing = 0;
    size_t i;
    json_t *one;
    json_array_foreach(tests, i, one)
    {
        const char *st = json_string_value(json_object_get(one, "status"));
        if (st != NULL && (strcmp(st, "passed") == 0 || strcmp(st, "skipped") == 0))
            passing++;
        else if (st != NULL && strcmp(st, "failed") == 0)
            failing++;
        else
            crashing++;
    }
    printf("[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | Crashing: %d\n",
           (int)json_array_size(tests), passing, failing, crashing);
    /* "sealed": verdicts and end records come from the shared pages. */
    json_t *doc = json_pack("{s:o, s:b}", "tests", tests, "sealed", 1);
    results_write(doc);
    json_decref(doc);
    /* Every runner has ended: what their tests left, once the report is out
     * (however much a test left, it cannot delay the report). */
    tmpdirs_end_run();
    criterion_finalize(set);
    return failing + crashing + lost > 0;
}

/* main - Criterion's own main, or the fork runner under IPCLAB_FORK_RUNNER=1. */
int main(int argc, char *argv[])
{
    for (int sig = 1; sig < NSIG; sig++)
        if (sigaction(sig, NULL, &start_actions[sig]) != 0)
            start_actions[sig].sa_handler = SIG_DFL;
    /* The grader's memcheck gives valgrind its log socket as this fd; valgrind
     * keeps its own copy, the code under test must not have one. Once: a
     * worker Criterion exec's has other fds there. */
    const char *vg_log = getenv("IPCLAB_VG_LOG_FD");
    if (vg_log != NULL) {
        close(atoi(vg_log));
        unsetenv("IPCLAB_VG_LOG_FD");
    }
    /* A boxfort worker (make check's runner exec's one a test) runs tests of
     * the run its runner began: it keeps the run's tag. */
    if (getenv("BXFI_MAP") == NULL)
        tmpdirs_begin_run();
    const char *fork_mode = getenv("IPCLAB_FORK_RUNNER");
    if (fork_mode != NULL && strcmp(fork_mode, "1") == 0) {
        /* The results fd must reach no child, and no child may reopen it
         * through /proc/PID/fd: close-on-exec, and this process not dumpable.
         * Nor may a child write this process's memory through /proc/PPID/mem
         * (the claim table, what is left to run): not dumpable either way. */
        const char *results_fd = getenv("IPCLAB_RESULTS_FD");
        if (results_fd != NULL)
            fcntl(atoi(results_fd), F_SETFD, FD_CLOEXEC);
        prctl(PR_SET_DUMPABLE, 0);
        return fork_runner(argc, argv);
    }
    struct criterion_test_set *tests = criterion_initialize();
    int result = 0;
    if (criterion_handle_args(argc, argv, true))
        result = !criterion_run_all_tests(tests);
    tmpdirs_end_run(); /* every worker has ended: what crashed tests left */
    criterion_finalize(tests);
    return result;
}
