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
 * The verdicts of a fork run are for reading, not grading: the grader takes
 * verdicts from the native run and only memory data from memcheck.
 */
#include "ipclab_shim.h"
#include "results.h"

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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
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

static volatile int in_fork_child; /* 1 in a fork runner's test child */
static int failed_asserts;         /* in that child */

/* ---- nanomsg, as a forked test child sees it ------------------------------ */

/* The next definition of name after ours (nanomsg's) into *fn. */
static void next_fn(const char *name, void *fn, size_t size)
{
    void *sym = dlsym(RTLD_NEXT, name);
    memcpy(fn, &sym, size);
}

/* nn_send - swallowed in a fork runner's child; nanomsg's own otherwise. */
int nn_send(int s, const void *buf, size_t len, int flags)
{
    if (in_fork_child)
        return (int)len;
    static int (*real)(int, const void *, size_t, int);
    if (real == NULL)
        next_fn("nn_send", &real, sizeof real);
    if (real == NULL) {
        errno = ENOSYS;
        return -1;
    }
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
    if (real == NULL)
        next_fn("nn_recv", &real, sizeof real);
    if (real == NULL) {
        errno = ENOSYS;
        return -1;
    }
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
    if (real == NULL)
        next_fn("nn_freemsg", &real, sizeof real);
    return real != NULL ? real(msg) : 0;
}

/* The shared page where a fork runner's child says it skipped its test. */
static volatile int *skipped_flag;

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
        if (skipped_flag != NULL)
            *skipped_flag = 1;
        _exit(0);
    }
    __real_criterion_skip_test("%s", msg);
}

/*
 * Count (and, in a fork child, print) failed assertions; Criterion's own then.
 * A failed assertion of a test that injected faults (ipclab_shim.h) names
 * them, so the student reads what the test did to their calls.
 */
void __wrap_criterion_send_assert(struct criterion_assert_stats *stats)
{
    static char with_faults[6144]; /* sent before this returns: one buffer is enough */
    if (!stats->passed && ipct_faults_count() > 0) {
        snprintf(
            with_faults, sizeof with_faults, "%s\n  (faults injected by the test: %s)",
            stats->message && stats->message[0] ? stats->message : "assertion failed",
            ipct_faults_injected());
        stats->message = with_faults;
    }
    if (in_fork_child && !stats->passed) {
        failed_asserts++;
        const char *base = stats->file ? strrchr(stats->file, '/') : NULL;
        fprintf(stderr, "[----] %s:%u: %s\n", base ? base + 1 : "?", stats->line,
                stats->message && stats->message[0] ? stats->message
                                                    : "assertion failed");
    }
    __real_criterion_send_assert(stats);
}

/* ---- the fork runner ------------------------------------------------------- */

/* How one test ended. */
struct outcome {
    const char *status; /* passed, failed, crashed, timeout */
    int signal, exit_code;
    double seconds;
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
    /* As after an exec: handlers the runner (Criterion) installed are reset
     * to the default; ignored signals stay ignored. */
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
            sa.sa_handler != SIG_IGN) {
            sa.sa_handler = SIG_DFL;
            sa.sa_flags = 0;
            sigaction(sig, &sa, NULL);
        }
    }
    in_fork_child = 1;
    /* Criterion's header declares these const; the library's own are plain variables. */
    const struct criterion_suite **suite = dlsym(RTLD_DEFAULT, "criterion_current_suite");
    const struct criterion_test **test = dlsym(RTLD_DEFAULT, "criterion_current_test");
    if (suite == NULL || test == NULL) {
        fprintf(stderr,
                "ipclab fork runner: Criterion's current test is not reachable\n");
        _exit(2);
    }
    *suite = s;
    *test = t;
    VALGRIND_ENABLE_ERROR_REPORTING;
    t->test();
    fflush(NULL);
    _exit(failed_asserts > 0 ? 1 : 0);
}

/*
 * Fork the test, wait for it at most its timeout (SIGCHLD is blocked, so
 * sigtimedwait wakes when it ends), kill its process group if it overstays.
 */
static struct outcome run_one(const struct criterion_suite *s,
                              const struct criterion_test *t)
{
    struct outcome o = {"crashed", 0, 0, 0};
    double t0 = now(), limit = timeout_of(s, t);
    *skipped_flag = 0;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("ipclab fork runner: fork");
        return o;
    }
    if (pid == 0)
        child_run(s, t);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    int status = 0;
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
            o.status = "timeout";
            o.seconds = now() - t0;
            return o;
        }
        struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
        if (ts.tv_sec > 0 || ts.tv_nsec > 50000000) /* wake at least every 50 ms */
            ts = (struct timespec){0, 50000000};
        sigtimedwait(&chld, NULL, &ts);
    }
    o.seconds = now() - t0;
    int want_signal = t->data ? t->data->signal : 0;
    int want_exit = t->data ? t->data->exit_code : 0;
    if (*skipped_flag && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        o.status = "skipped";
    } else if (WIFSIGNALED(status)) {
        o.signal = WTERMSIG(status);
        o.status = o.signal == want_signal ? "passed" : "crashed";
    } else if (WIFEXITED(status)) {
        o.exit_code = WEXITSTATUS(status);
        if (want_signal != 0)
            o.status = "failed";
        else if (o.exit_code == 1 && want_exit != 1)
            o.status = "failed"; /* the child's own code for failed assertions */
        else
            o.status = o.exit_code == want_exit ? "passed" : "crashed";
    }
    return o;
}

/* Append one test's outcome to the results document (same shape as results.c). */
static void record(json_t *tests, const char *name, const struct outcome *o)
{
    json_array_append_new(tests, json_pack("{s:s, s:s, s:i, s:i, s:f, s:s, s:[]}", "name",
                                           name, "status", o->status, "signal", o->signal,
                                           "exit_code", o->exit_code, "time", o->seconds,
                                           "message", "", "failures"));
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
    skipped_flag = mmap(NULL, sizeof *skipped_flag, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (skipped_flag == MAP_FAILED) {
        perror("ipclab fork runner: mmap");
        criterion_finalize(set);
        return 2;
    }
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int tested = 0, passing = 0, failing = 0, crashing = 0;
    json_t *tests = json_array();
    struct criterion_suite_set *ss;
    FOREACH_SET(ss, set->suites)
    {
        struct criterion_test *t;
        FOREACH_SET(t, ss->tests)
        {
            char name[512];
            snprintf(name, sizeof name, "%s/%s", t->category, t->name);
            bool disabled = (t->data && t->data->disabled) ||
                            (ss->suite.data && ss->suite.data->disabled);
            if (disabled ||
                (pattern != NULL && fnmatch(pattern, name, FNM_EXTMATCH) != 0))
                continue;
            struct outcome o = run_one(&ss->suite, t);
            tested++;
            if (strcmp(o.status, "passed") == 0 || strcmp(o.status, "skipped") == 0)
                passing++;
            else if (strcmp(o.status, "failed") == 0)
                failing++;
            else
                crashing++;
            printf("[%s] %s::%s (%.2fs)\n",
                   strcmp(o.status, "skipped") == 0   ? "SKIP"
                   : strcmp(o.status, "passed") == 0  ? "PASS"
                   : strcmp(o.status, "failed") == 0  ? "FAIL"
                   : strcmp(o.status, "timeout") == 0 ? "TIMEOUT"
                                                      : "CRASH",
                   t->category, t->name, o.seconds);
            fflush(stdout);
            record(tests, name, &o);
        }
    }
    printf("[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | Crashing: %d\n",
           tested, passing, failing, crashing);
    json_t *doc = json_pack("{s:o}", "tests", tests);
    results_write(doc);
    json_decref(doc);
    criterion_finalize(set);
    return failing + crashing > 0;
}

/* main - Criterion's own main, or the fork runner under IPCLAB_FORK_RUNNER=1. */
int main(int argc, char *argv[])
{
    const char *fork_mode = getenv("IPCLAB_FORK_RUNNER");
    if (fork_mode != NULL && strcmp(fork_mode, "1") == 0)
        return fork_runner(argc, argv);
    struct criterion_test_set *tests = criterion_initialize();
    int result = 0;
    if (criterion_handle_args(argc, argv, true))
        result = !criterion_run_all_tests(tests);
    criterion_finalize(tests);
    return result;
}
