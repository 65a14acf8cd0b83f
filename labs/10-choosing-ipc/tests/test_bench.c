/* test_bench.c - lab 10 exercise 4: the benchmark harness, driven through fake
 * transports. */
#include "choosing.h"
#include "ipclab_shim.h"
#include "ipclab_test.h"
#include "perf_helpers.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

TestSuite(bench, .timeout = 30);

/* ---- a fake transport over the tests' reference pipe ------------------------------ */

/*
 * The fake behaves as the reference pipe, except where a test asks it to
 * misbehave, and records in shared memory what each side did, so the tests
 * see what the harness's two processes did.
 */
enum fake_mode {
    FAKE_OK,
    FAKE_SKIP,           /* side A's message number `at` is not sent (lost) */
    FAKE_REPEAT,         /* ... sent twice */
    FAKE_TEAR,           /* ... sent with its last 8 bytes changed */
    FAKE_TEAR_FIRST_TOP, /* ... sent with the top bit of its first stamp flipped */
    FAKE_TEAR_LAST_TOP,  /* ... of its last stamp */
    FAKE_SEND_FAILS,     /* side A's sends fail with ENOSPC from number `at` on */
    FAKE_B_DIES,         /* side B's process ends (a crash) on receiving number `at` */
    FAKE_SIGPIPE,        /* side A's send number `at` raises SIGPIPE, fails with EPIPE */
    FAKE_OPEN_FAILS,     /* open fails with EMFILE */
};

struct fake_log {
    enum fake_mode mode;
    long at;
    pid_t caller; /* the test process */
    atomic_int closes_caller, closes_other;
    atomic_long a_sends, b_sends, a_recvs, b_recvs;
    pid_t a_pid, b_pid;       /* process of side A / B (last attach) */
    atomic_int echo_bad;      /* side B sent something other than what it last received */
    cpu_set_t a_mask, b_mask; /* affinity of A when sending, of B when receiving */
    atomic_int a_mask_set, b_mask_set;
};

static struct fake_log *fk; /* shared: set up by each test before the harness forks */

struct fake_chan {
    struct ipc_chan *inner; /* a reference pipe channel */
    enum ipc_side side;
    bool attached;
    size_t msg_size;
    long sent;              /* sends of this side in this process */
    unsigned char *last;    /* side B: the last message received */
    unsigned char *scratch; /* side A: a message being altered */
};

static int fake_open(struct ipc_chan **out, size_t msg_size)
{
    if (fk->mode == FAKE_OPEN_FAILS) {
        errno = EMFILE;
        return -1;
    }
    struct fake_chan *c = calloc(1, sizeof *c);
    if (c == NULL)
        return -1;
    c->msg_size = msg_size;
    c->last = calloc(1, msg_size);
    c->scratch = calloc(1, msg_size);
    if (c->last == NULL || c->scratch == NULL ||
        ph_pipe_ops()->open(&c->inner, msg_size) < 0) {
        int err = c->last == NULL || c->scratch == NULL ? ENOMEM : errno;
        free(c->last);
        free(c->scratch);
        free(c);
        errno = err;
        return -1;
    }
    *out = (struct ipc_chan *)c;
    return 0;
}

static int fake_attach(struct ipc_chan *ch, enum ipc_side side)
{
    struct fake_chan *c = (struct fake_chan *)ch;
    if (ph_pipe_ops()->attach(c->inner, side) < 0)
        return -1;
    c->side = side;
    c->attached = true;
    if (side == SIDE_A)
        fk->a_pid = getpid();
    else
        fk->b_pid = getpid();
    return 0;
}

/* A copy of msg (in c->scratch) with the top bit of its first or last stamp flipped. */
static const unsigned char *top_bit_torn(struct fake_chan *c, const void *msg)
{
    size_t at = fk->mode == FAKE_TEAR_FIRST_TOP ? 0 : c->msg_size - 8;
    uint64_t w;
    memcpy(c->scratch, msg, c->msg_size);
    memcpy(&w, c->scratch + at, 8);
    w ^= UINT64_C(1) << 63;
    memcpy(c->scratch + at, &w, 8);
    return c->scratch;
}

/*
 * What a write to a pipe whose reader has gone does to the writer: SIGPIPE,
 * delivered at once (the tests' pipe blocks SIGPIPE while it is open, so it
 * is unblocked around the raise).
 */
static void raise_sigpipe(void)
{
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_UNBLOCK, &pipe_set, &old);
    raise(SIGPIPE);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static int fake_send(struct ipc_chan *ch, const void *msg)
{
    struct fake_chan *c = (struct fake_chan *)ch;
    const struct ipc_ops *p = ph_pipe_ops();
    if (c->side == SIDE_B) {
        atomic_fetch_add(&fk->b_sends, 1);
        if (memcmp(msg, c->last, c->msg_size) != 0)
            atomic_store(&fk->echo_bad, 1);
        return p->send(c->inner, msg);
    }
    long n = c->sent++;
    atomic_fetch_add(&fk->a_sends, 1);
    if (sched_getaffinity(0, sizeof fk->a_mask, &fk->a_mask) == 0)
        atomic_store(&fk->a_mask_set, 1);
    if (n == fk->at && fk->mode == FAKE_SIGPIPE) {
        raise_sigpipe();
        errno = EPIPE;
        return -1;
    }
    bool top_tear = fk->mode == FAKE_TEAR_FIRST_TOP || fk->mode == FAKE_TEAR_LAST_TOP;
    if (n == fk->at && top_tear)
        return p->send(c->inner, top_bit_torn(c, msg));
    /* $begin fake_misbehaves */
    if (n == fk->at) {
        switch (fk->mode) {
        case FAKE_SKIP:
            return 0;
        case FAKE_REPEAT:
            if (p->send(c->inner, msg) < 0)
                return -1;
            break;
        case FAKE_TEAR: {
            uint64_t w;
            memcpy(c->scratch, msg, c->msg_size);
            memcpy(&w, c->scratch + c->msg_size - 8, 8);
            w = ~w;
            memcpy(c->scratch + c->msg_size - 8, &w, 8);
            return p->send(c->inner, c->scratch);
        }
        default:
            break;
        }
    }
    /* $end fake_misbehaves */
    if (fk->mode == FAKE_SEND_FAILS && n >= fk->at) {
        /* A broken link: the peer sees end of file, so its recv ends too. */
        if (n == fk->at)
            ph_pipe_shut_tx(c->inner);
        errno = ENOSPC;
        return -1;
    }
    return p->send(c->inner, msg);
}

static int fake_recv(struct ipc_chan *ch, void *buf)
{
    struct fake_chan *c = (struct fake_chan *)ch;
    int rc = ph_pipe_ops()->recv(c->inner, buf);
    if (c->side == SIDE_B) {
        if (fk->mode == FAKE_B_DIES && atomic_load(&fk->b_recvs) == fk->at)
            _exit(70); /* no report, no clean-up: as a crash would */
        atomic_fetch_add(&fk->b_recvs, 1);
        if (sched_getaffinity(0, sizeof fk->b_mask, &fk->b_mask) == 0)
            atomic_store(&fk->b_mask_set, 1);
        if (rc == 0)
            memcpy(c->last, buf, c->msg_size);
    } else {
        atomic_fetch_add(&fk->a_recvs, 1);
    }
    return rc;
}

static void fake_close(struct ipc_chan *ch)
{
    struct fake_chan *c = (struct fake_chan *)ch;
    if (getpid() == fk->caller)
        atomic_fetch_add(&fk->closes_caller, 1);
    else
        atomic_fetch_add(&fk->closes_other, 1);
    ph_pipe_ops()->close(c->inner);
    free(c->last);
    free(c->scratch);
    free(c);
}

static const struct ipc_ops fake_ops = {
    .name = "fake",
    .open = fake_open,
    .attach = fake_attach,
    .send = fake_send,
    .recv = fake_recv,
    .close = fake_close,
};

static void fake_setup(enum fake_mode mode, long at)
{
    fk = ph_shared(sizeof *fk);
    fk->mode = mode;
    fk->at = at;
    fk->caller = getpid();
}

/* ---- results ----------------------------------------------------------------------- */

/*
 * timed_pipe_bench - run bench (bench_throughput or bench_latency, named what) over a
 * pipe with msg_size and count into *res, poisoned first (0xff bytes) so a field it
 * leaves unset shows; it must return 0. Returns the call's wall time in seconds.
 */
static double timed_pipe_bench(int (*bench)(const struct ipc_ops *, size_t, size_t,
                                            struct bench_result *),
                               const char *what, size_t msg_size, size_t count,
                               struct bench_result *res)
{
    memset(res, 0xff, sizeof *res);
    errno = 0;
    long blocks = ipct_heap_blocks();
    double wall = ph_now();
    int rc = bench(ph_pipe_ops(), msg_size, count, res);
    wall = ph_now() - wall;
    cr_assert_eq(rc, 0, "%s(pipe, %zu, %zu): %s", what, msg_size, count, strerror(errno));
    IPCT_EXPECT_HEAP_BACK(blocks, what);
    return wall;
}

Test(bench, throughput_fills_the_result)
{
    size_t count = ipct_under_valgrind() ? 200 : 2000;
    struct bench_result res;
    double wall =
        timed_pipe_bench(bench_throughput, "bench_throughput", 4096, count, &res);
    cr_assert_str_eq(res.name, "pipe", "name is ops->name");
    cr_assert_eq(res.msg_size, 4096);
    cr_assert_eq(res.messages, count,
                 "messages is the number B received: %zu, expected %zu", res.messages,
                 count);
    cr_assert_gt(res.seconds, 0.0, "seconds must be > 0, is %g", res.seconds);
    cr_assert_leq(res.seconds, wall,
                  "seconds %g, but the call took %g s: in seconds, not ms or ns?",
                  res.seconds, wall);
    double want = 4096.0 * (double)count / res.seconds / 1e6;
    cr_assert(fabs(res.mb_per_s - want) <= 1e-6 * want,
              "mb_per_s is msg_size * messages / seconds / 1e6 = %.6f, got %.6f", want,
              res.mb_per_s);
    cr_assert(res.p50_us == 0 && res.p99_us == 0,
              "a throughput run leaves p50_us and p99_us at 0 (%g, %g)", res.p50_us,
              res.p99_us);
    cr_assert_eq(ipct_children_left(), 0, "the child must be reaped");
}

Test(bench, latency_fills_the_result)
{
    size_t count = ipct_under_valgrind() ? 100 : 2000;
    struct bench_result res;
    double wall = timed_pipe_bench(bench_latency, "bench_latency", 64, count, &res);
    cr_assert_str_eq(res.name, "pipe");
    cr_assert_eq(res.msg_size, 64);
    cr_assert_eq(res.messages, count,
                 "messages is the number of round trips: %zu, not %zu", res.messages,
                 count);
    cr_assert_gt(res.seconds, 0.0);
    cr_assert_gt(res.p50_us, 0.0, "p50_us must be > 0, is %g", res.p50_us);
    cr_assert_leq(res.p50_us, res.p99_us, "p50 %g > p99 %g: sort the times first",
                  res.p50_us, res.p99_us);
    cr_assert_leq(res.seconds, wall, "seconds %g, but the call took %g s: in seconds?",
                  res.seconds, wall);
    cr_assert_leq(res.p50_us * 1e-6, wall,
                  "p50 %g us, but the call took %g s: microseconds, not nanoseconds?",
                  res.p50_us, wall);
    cr_assert_leq(res.p50_us * 1e-6 * (double)count / 2, res.seconds * 1.01,
                  "half the trips took at least p50 each: p50 %g us does not fit in %g s",
                  res.p50_us, res.seconds);
    cr_assert_eq(res.mb_per_s, 0.0, "a latency run leaves mb_per_s at 0");
    cr_assert_eq(ipct_children_left(), 0, "the child must be reaped");
}

Test(bench, latency_echoes_through_side_b)
{
    size_t count = ipct_under_valgrind() ? 50 : 500;
    struct bench_result res;
    fake_setup(FAKE_OK, -1);
    cr_assert_eq(bench_latency(&fake_ops, 64, count, &res), 0, "bench_latency: %s",
                 strerror(errno));
    cr_assert_eq(fk->a_pid, getpid(), "side A is the calling process");
    cr_assert(fk->b_pid != 0 && fk->b_pid != getpid(), "side B is a forked child");
    cr_assert_geq(fk->b_recvs, (long)count, "side B received %ld messages for %zu trips",
                  (long)fk->b_recvs, count);
    cr_assert_geq(fk->b_sends, (long)count, "side B sent %ld messages back for %zu trips",
                  (long)fk->b_sends, count);
    cr_assert_geq(fk->a_recvs, (long)count, "side A received %ld echoes for %zu trips",
                  (long)fk->a_recvs, count);
    cr_assert_eq(fk->echo_bad, 0,
                 "side B must send back exactly the message it received");
    cr_assert_str_eq(res.name, "fake");
}

/*
 * A signal may interrupt any blocking call of the harness itself: the wait
 * for side B's report (poll, read), B's write of it, the waitpid that reaps
 * B. Each is retried on EINTR. The test makes the first of each fail so, in
 * both processes (the plan is set before the harness forks), over the tests'
 * own pipe transport, whose calls the plan does not see.
 */
Test(bench, harness_retries_eintr)
{
    static const char *const calls[] = {"poll ppoll select epoll_wait", "read readv",
                                        "write writev",
                                        "waitpid wait wait3 wait4 waitid"};
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        ipct_fault_fail(calls[i], 1, EINTR);
    struct bench_result res;
    timed_pipe_bench(bench_throughput, "bench_throughput", 64, 100, &res);
    cr_assert_eq(res.messages, 100, "messages %zu after interrupted calls, expected 100",
                 res.messages);
    cr_assert_eq(ipct_children_left(), 0, "the child must be reaped, EINTR or not");
}

/* ---- errors ----------------------------------------------------------------------- */

/* $begin fails_cleanly */
/* Run bench_throughput over the fake in mode; it must fail with want, cleanly. */
static void fails_cleanly(enum fake_mode mode, long at, int want, const char *what)
{
    struct ipct_fdset before;
    char leaked[256];
    struct bench_result res;
    fake_setup(mode, at);
    ipct_fd_snapshot(&before);
    errno = 0;
    int rc = bench_throughput(&fake_ops, 64, 100, &res);
    int err = errno;
    cr_assert_eq(rc, -1, "bench_throughput must fail when %s", what);
    cr_assert_eq(err, want, "when %s: errno %s, expected %s", what, strerror(err),
                 strerror(want));
    cr_assert_eq(ipct_children_left(), 0,
                 "when %s: the child must be reaped before returning", what);
    cr_assert_eq(ipct_fds_leaked(&before, leaked, sizeof leaked), 0,
                 "when %s: descriptors left open: %s", what, leaked);
    /* Side B may end by SIGKILL (a receiver on many mechanisms cannot tell that its
     * sender is gone), so only side A's close is counted. */
    if (mode != FAKE_OPEN_FAILS)
        cr_assert_eq(fk->closes_caller, 1, "when %s: side A closes the channel once (%d)",
                     what, fk->closes_caller);
}
/* $end fails_cleanly */

Test(bench, lost_message_is_eproto)
{
    fails_cleanly(FAKE_SKIP, 5, EPROTO, "message 5 is lost");
}

Test(bench, repeated_message_is_eproto)
{
    fails_cleanly(FAKE_REPEAT, 5, EPROTO, "message 5 arrives twice");
}

Test(bench, torn_message_is_eproto)
{
    fails_cleanly(FAKE_TEAR, 5, EPROTO, "message 5's last 8 bytes are wrong");
}

/*
 * A stamp is the whole uint64_t: a stamp that differs from the sequence
 * number in its top bit alone (which numbers this small never set) is
 * wrong too. A check that compares fewer than 8 bytes misses it.
 */
Test(bench, torn_top_bit_is_eproto)
{
    fails_cleanly(FAKE_TEAR_FIRST_TOP, 5, EPROTO,
                  "message 5's first stamp differs in its top bit");
    fails_cleanly(FAKE_TEAR_LAST_TOP, 5, EPROTO,
                  "message 5's last stamp differs in its top bit");
}

/*
 * The last message is lost: side B waits for it for ever and never reports.
 * Side A must give up waiting (the header allows it at most 20 s) and fail
 * with ETIMEDOUT, cleanly; its wait for B's report is interrupted (EINTR)
 * once on the way, which must not turn it into a wait without an end.
 */
Test(bench, silent_peer_is_etimedout)
{
    ipct_fault_fail("poll ppoll select epoll_wait", 2, EINTR);
    fails_cleanly(FAKE_SKIP, 99, ETIMEDOUT,
                  "the last message is lost, so side B never reports (and side A's wait "
                  "for its report was interrupted once)");
    ipct_fault_clear();
}

Test(bench, failing_send_errno_is_returned)
{
    fails_cleanly(FAKE_SEND_FAILS, 10, ENOSPC, "send fails with ENOSPC");
    /* The latency run's error path too (it has round-trip times to free). */
    struct bench_result res;
    fake_setup(FAKE_SEND_FAILS, 10);
    long blocks = ipct_heap_blocks();
    IPCT_ASSERT_FAILS(ENOSPC, bench_latency(&fake_ops, 64, 100, &res),
                      "bench_latency must fail when send fails with ENOSPC");
    IPCT_EXPECT_HEAP_BACK(blocks, "bench_latency failed");
    cr_assert_eq(ipct_children_left(), 0, "bench_latency: the child must be reaped");
}

/*
 * Side B ends without a word after side A has sent everything: A's wait for
 * B's report sees end of file, and the run fails with EPIPE (not success, and
 * not some stale errno). Then again with that read of A's interrupted once
 * first (its second read: the first takes B's "ready"): the retry sees end
 * of file, with errno still EINTR from the interrupted try.
 */
Test(bench, silent_peer_death_is_epipe)
{
    fails_cleanly(FAKE_B_DIES, 99, EPIPE,
                  "side B dies, without a report, on the last message");
    ipct_fault_fail("read readv", 2, EINTR);
    fails_cleanly(FAKE_B_DIES, 99, EPIPE,
                  "side B dies, without a report, on the last message, and side A's read "
                  "of the report was interrupted (EINTR) once first");
    cr_assert_geq(ipct_faults_count(), 1, "side A never read its report from B");
    ipct_fault_clear();
}

static void sigpipe_handler(int sig)
{
    (void)sig;
}

/*
 * SIGPIPE is ignored while a benchmark runs, and given back as the caller
 * had it. Side A's send of message 5 does what a write to a pipe whose
 * reader has gone does: it raises SIGPIPE, which must not end the caller
 * (left at its default action, the first time round), and fails with EPIPE.
 * Afterwards SIGPIPE's action is the caller's again (the default, then a
 * handler of the test's).
 */
Test(bench, sigpipe_ignored_then_restored)
{
    static void (*const actions[])(int) = {SIG_DFL, sigpipe_handler};
    for (size_t i = 0; i < 2; i++) {
        struct sigaction sa = {.sa_handler = actions[i]}, now;
        sigemptyset(&sa.sa_mask);
        cr_assert_eq(sigaction(SIGPIPE, &sa, NULL), 0);
        struct bench_result res;
        fake_setup(FAKE_SIGPIPE, 5);
        errno = 0;
        int rc = bench_throughput(&fake_ops, 64, 100, &res), err = errno;
        cr_assert_eq(rc, -1,
                     "side A's send failed with EPIPE: bench_throughput must fail");
        cr_assert_eq(err, EPIPE,
                     "side A's send failed with EPIPE: errno %s, expected EPIPE",
                     strerror(err));
        cr_assert_eq(ipct_children_left(), 0, "the child must be reaped");
        cr_assert_eq(sigaction(SIGPIPE, NULL, &now), 0);
        cr_assert(now.sa_handler == actions[i],
                  "after bench_throughput SIGPIPE's action is not the caller's (%s): "
                  "save it when you ignore SIGPIPE, and put it back before returning",
                  i == 0 ? "the default" : "a handler");
    }
}

/* A benchmark of the harness: bench_throughput or bench_latency. */
typedef int (*bench_fn)(const struct ipc_ops *, size_t, size_t, struct bench_result *);

/*
 * setup_call_fails_at - make the nth call of the harness named in calls fail
 * with err: fn (over the fake channel) must then fail with err, cleanly. A
 * harness that makes no such call (the fault never hits) is not judged on
 * it, unless every harness must make it (required). Returns whether it hit.
 */
static bool setup_call_fails_at(bench_fn fn, const char *calls, int nth, int err,
                                bool required)
{
    struct ipct_fdset before;
    char leaked[256];
    struct bench_result res;
    fake_setup(FAKE_OK, -1);
    ipct_fd_snapshot(&before);
    int hits = ipct_faults_count();
    ipct_fault_fail(calls, nth, err);
    errno = 0;
    int rc = fn(&fake_ops, 64, 10, &res), got = errno;
    bool hit = ipct_faults_count() > hits;
    ipct_fault_clear();
    cr_assert(hit || !required, "the harness made no %s call", calls);
    if (hit) {
        cr_assert_eq(rc, -1, "%s #%d failed (%s): the harness must fail", calls, nth,
                     strerror(err));
        cr_assert_eq(got, err, "%s #%d failed with %s: errno %s, expected that one",
                     calls, nth, strerror(err), strerror(got));
    }
    cr_assert_eq(ipct_children_left(), 0, "%s failed: no child may be left", calls);
    cr_assert_eq(ipct_fds_leaked(&before, leaked, sizeof leaked), 0,
                 "%s failed: descriptors left open: %s", calls, leaked);
    return hit;
}

/* setup_call_fails_at bench_throughput, the first call of calls failing. */
static void setup_call_fails(const char *calls, int err, bool required)
{
    setup_call_fails_at(bench_throughput, calls, 1, err, required);
}

/* A call that sets the run up fails: sigaction, the report pipe, fork (which
 * every harness calls: side B is a forked child). */
Test(bench, failing_setup_call_is_returned)
{
    setup_call_fails("sigaction", EINVAL, false);
    setup_call_fails("pipe pipe2", EMFILE, false);
    setup_call_fails("fork", EAGAIN, true);
}

/*
 * Memory runs out: the 1st, then the 2nd, ... allocation of the harness
 * (malloc, calloc, realloc, in either process) fails with ENOMEM, until one
 * is never made. Each run must fail with ENOMEM and leave nothing behind (a
 * leak shows under valgrind); with memory, the same run succeeds.
 */
Test(bench, failed_allocation_is_enomem)
{
    for (int nth = 1; nth <= 4; nth++)
        if (!setup_call_fails_at(bench_latency, "malloc calloc realloc", nth, ENOMEM,
                                 false))
            break;
    struct bench_result res;
    fake_setup(FAKE_OK, -1);
    cr_assert_eq(bench_latency(&fake_ops, 64, 10, &res), 0,
                 "with memory, bench_latency(fake, 64, 10) must succeed: %s",
                 strerror(errno));
}

Test(bench, failing_open_errno_is_returned)
{
    fails_cleanly(FAKE_OPEN_FAILS, 0, EMFILE, "open fails with EMFILE");
    struct bench_result res;
    IPCT_ASSERT_FAILS(
        EMFILE, bench_latency(&fake_ops, 64, 10, &res),
        "bench_latency: bench_latency(&fake_ops, 64, 10, &res) must fail with EMFILE");
    cr_assert_eq(ipct_children_left(), 0);
}

Test(bench, bad_arguments_are_einval)
{
    static const struct {
        bench_fn fn;
        const char *name;
    } fns[] = {{bench_throughput, "bench_throughput"}, {bench_latency, "bench_latency"}};
    struct bench_result res;
    fake_setup(FAKE_OK, -1);
    for (int i = 0; i < 2; i++) {
        struct {
            const struct ipc_ops *ops;
            size_t msg_size, count;
            struct bench_result *out;
            const char *why;
        } bad[] = {
            {NULL, 64, 10, &res, "ops NULL"},
            {&fake_ops, 64, 10, NULL, "out NULL"},
            {&fake_ops, 64, 0, &res, "count 0"},
            {&fake_ops, BENCH_MIN_MSG - 1, 10, &res,
             "msg_size 15 (no room for two stamps)"},
            {&fake_ops, IPC_MAX_MSG + 1, 10, &res, "msg_size IPC_MAX_MSG + 1"},
        };
        for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
            IPCT_ASSERT_FAILS(
                EINVAL, fns[i].fn(bad[j].ops, bad[j].msg_size, bad[j].count, bad[j].out),
                "%s with %s must fail", fns[i].name, bad[j].why);
        }
    }
    cr_assert_eq(fk->a_sends + fk->b_recvs, 0,
                 "check the arguments before opening anything");
    cr_assert_eq(ipct_children_left(), 0);
}

/*
 * With stdin closed, the first descriptor the harness opens is 0: a valid
 * one, which it must close like any other (fd >= 0 is open, not fd > 0).
 */
Test(bench, descriptor_zero_is_a_descriptor)
{
    int saved = dup(0); /* -1 if the runner closed stdin already */
    close(0);
    struct ipct_fdset before;
    char leaked[256];
    struct bench_result res;
    ipct_fd_snapshot(&before);
    fake_setup(FAKE_OK, -1);
    int rc = bench_throughput(&fake_ops, 64, 100, &res), err = errno;
    int left = ipct_fds_leaked(&before, leaked, sizeof leaked);
    if (saved >= 0) {
        dup2(saved, 0);
        close(saved);
    }
    cr_assert_eq(rc, 0, "bench_throughput with stdin closed: %s", strerror(err));
    cr_assert_eq(left, 0,
                 "with stdin closed, descriptors left open: %s (0 is a descriptor too: "
                 "close every fd >= 0)",
                 leaked);
    cr_assert_eq(ipct_children_left(), 0);
}

/* The limits themselves are valid sizes: BENCH_MIN_MSG (two stamps, nothing between)
 * and IPC_MAX_MSG, for both benchmarks. */
Test(bench, size_limits_are_valid)
{
    static const size_t sizes[] = {BENCH_MIN_MSG, IPC_MAX_MSG};
    struct bench_result res;
    fake_setup(FAKE_OK, -1);
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(bench_throughput(&fake_ops, sizes[i], 10, &res), 0,
                     "bench_throughput of %zu-byte messages: %s", sizes[i],
                     strerror(errno));
        cr_assert_eq(res.msg_size, sizes[i]);
        cr_assert_eq(bench_latency(&fake_ops, sizes[i], 10, &res), 0,
                     "bench_latency of %zu-byte messages: %s", sizes[i], strerror(errno));
        cr_assert_eq(res.msg_size, sizes[i]);
    }
    cr_assert_eq(ipct_children_left(), 0);
}

/* ---- CPUs ---------------------------------------------------------------------------
 */

static int only_cpu(const cpu_set_t *s)
{
    if (CPU_COUNT(s) != 1)
        return -1;
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, s))
            return i;
    return -1;
}

Test(bench, sides_run_on_different_cpus)
{
    int cpu[2];
    int n = ph_cpus(cpu);
    if (n < 2)
        cr_skip_test("one CPU in the affinity mask: nothing to pin to");
    struct bench_result res;
    fake_setup(FAKE_OK, -1);
    cr_assert_eq(bench_throughput(&fake_ops, 64, 200, &res), 0, "bench_throughput: %s",
                 strerror(errno));
    cr_assert(fk->a_mask_set && fk->b_mask_set);
    int a = only_cpu(&fk->a_mask), b = only_cpu(&fk->b_mask);
    cr_assert_neq(a, -1,
                  "side A sent while allowed on %d CPUs: pin it to one with "
                  "sched_setaffinity",
                  CPU_COUNT(&fk->a_mask));
    cr_assert_neq(b, -1, "side B received while allowed on %d CPUs: pin it to one",
                  CPU_COUNT(&fk->b_mask));
    cr_assert_neq(a, b, "both sides run on CPU %d: pin them to different CPUs", a);
    cr_assert((a == cpu[0] && b == cpu[1]) || (a == cpu[1] && b == cpu[0]),
              "sides on CPUs %d and %d: use the first two of the mask (%d and %d)", a, b,
              cpu[0], cpu[1]);
}

/*
 * With one CPU in the caller's mask nobody is pinned: both sides run on that
 * CPU, whichever it is (the test picks the mask's second CPU when it has
 * two, so that "CPU 0" is not the right answer by chance).
 */
Test(bench, one_cpu_mask_is_kept)
{
    int cpu[2];
    int only = ph_cpus(cpu) >= 2 ? cpu[1] : cpu[0];
    cpu_set_t before, one;
    cr_assert_eq(sched_getaffinity(0, sizeof before, &before), 0);
    CPU_ZERO(&one);
    CPU_SET(only, &one);
    cr_assert_eq(sched_setaffinity(0, sizeof one, &one), 0, "taskset to CPU %d", only);
    struct bench_result res;
    fake_setup(FAKE_OK, -1);
    int rc = bench_throughput(&fake_ops, 64, 100, &res), err = errno;
    sched_setaffinity(0, sizeof before, &before);
    cr_assert_eq(rc, 0, "bench_throughput on one CPU: %s", strerror(err));
    cr_assert(fk->a_mask_set && fk->b_mask_set);
    cr_assert(CPU_EQUAL(&fk->a_mask, &one),
              "the caller may run on CPU %d only, but side A sent while allowed on %d "
              "CPU(s), not that one: with one CPU in the mask, pin nobody",
              only, CPU_COUNT(&fk->a_mask));
    cr_assert(CPU_EQUAL(&fk->b_mask, &one),
              "the caller may run on CPU %d only, but side B received while allowed on "
              "%d CPU(s), not that one: with one CPU in the mask, pin nobody",
              only, CPU_COUNT(&fk->b_mask));
}

Test(bench, affinity_is_restored)
{
    cpu_set_t before, after;
    struct bench_result res;
    cr_assert_eq(sched_getaffinity(0, sizeof before, &before), 0);
    fake_setup(FAKE_OK, -1);
    cr_assert_eq(bench_throughput(&fake_ops, 64, 100, &res), 0, "bench_throughput: %s",
                 strerror(errno));
    cr_assert_eq(sched_getaffinity(0, sizeof after, &after), 0);
    cr_assert(CPU_EQUAL(&before, &after),
              "after bench_throughput the caller runs on %d CPUs, before on %d: save the "
              "mask with sched_getaffinity and restore it",
              CPU_COUNT(&after), CPU_COUNT(&before));
    cr_assert_eq(bench_latency(&fake_ops, 64, 100, &res), 0, "bench_latency: %s",
                 strerror(errno));
    cr_assert_eq(sched_getaffinity(0, sizeof after, &after), 0);
    cr_assert(CPU_EQUAL(&before, &after), "bench_latency must restore the mask too");
    fake_setup(FAKE_SEND_FAILS, 3);
    cr_assert_eq(bench_throughput(&fake_ops, 64, 100, &res), -1);
    cr_assert_eq(sched_getaffinity(0, sizeof after, &after), 0);
    cr_assert(CPU_EQUAL(&before, &after), "restore the mask on the error path too");
}
