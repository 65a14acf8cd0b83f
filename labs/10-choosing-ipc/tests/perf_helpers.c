/* perf_helpers.c - lab 10 test-side helpers: patterns, CPUs, a reference pipe,
 * measurements. */
#include "perf_helpers.h"
#include "ipclab_test.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- general --------------------------------------------------------------- */

void *ph_shared(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(p, MAP_FAILED, "mmap(%zu bytes, MAP_SHARED | MAP_ANONYMOUS): %s", size,
                  strerror(errno));
    return p;
}

double ph_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* splitmix64: a cheap, well-mixed function of one 64-bit word. */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void ph_fill(void *buf, size_t len, uint64_t seed)
{
    unsigned char *p = buf;
    uint64_t base = mix(seed);
    for (size_t off = 0; off < len; off += 8) {
        uint64_t w = mix(base + off);
        size_t n = len - off < 8 ? len - off : 8;
        memcpy(p + off, &w, n);
    }
}

long ph_mismatch(const void *buf, size_t len, uint64_t seed)
{
    const unsigned char *p = buf;
    uint64_t base = mix(seed);
    for (size_t off = 0; off < len; off += 8) {
        uint64_t w = mix(base + off);
        size_t n = len - off < 8 ? len - off : 8;
        if (memcmp(p + off, &w, n) != 0) {
            const unsigned char *e = (const unsigned char *)&w;
            for (size_t i = 0; i < n; i++)
                if (p[off + i] != e[i])
                    return (long)(off + i);
        }
    }
    return -1;
}

const char *ph_kind_name(enum ipc_kind kind)
{
    static const char *const names[IPC_NKINDS] = {
        "pipe",     "unix-stream", "unix-seqpacket", "tcp",       "posix-mq",
        "sysv-msg", "shm-sem",     "spin-ring",      "block-ring"};
    return (unsigned)kind < IPC_NKINDS ? names[kind] : "?";
}

/* ---- CPUs ------------------------------------------------------------------ */

/* $begin pin */
int ph_cpus(int cpu[2])
{
    cpu_set_t set;
    cpu[0] = cpu[1] = -1;
    if (sched_getaffinity(0, sizeof set, &set) < 0)
        return 1;
    int n = 0;
    for (int i = 0; i < CPU_SETSIZE; i++) {
        if (!CPU_ISSET(i, &set))
            continue;
        if (n < 2)
            cpu[n] = i;
        n++;
    }
    return n;
}

int ph_pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}
/* $end pin */

/* ---- the reference pipe transport ------------------------------------------ */

struct ph_chan {
    int a2b[2], b2a[2]; /* pipe(2) pairs: [0] read end, [1] write end */
    int tx, rx;         /* this side's ends once attached, else -1 */
    size_t msg_size;
    bool masked;      /* SIGPIPE blocked by attach (restored by close) */
    sigset_t oldmask; /* the mask before attach */
};

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int ph_open(struct ipc_chan **out, size_t msg_size)
{
    if (out == NULL || msg_size == 0 || msg_size > IPC_MAX_MSG) {
        errno = EINVAL;
        return -1;
    }
    struct ph_chan *c = malloc(sizeof *c);
    if (c == NULL)
        return -1;
    *c = (struct ph_chan){
        .a2b = {-1, -1}, .b2a = {-1, -1}, .tx = -1, .rx = -1, .msg_size = msg_size};
    if (pipe2(c->a2b, O_CLOEXEC) < 0 || pipe2(c->b2a, O_CLOEXEC) < 0) {
        int err = errno;
        close_fd(&c->a2b[0]);
        close_fd(&c->a2b[1]);
        free(c);
        errno = err;
        return -1;
    }
    *out = (struct ipc_chan *)c;
    return 0;
}

static int ph_attach(struct ipc_chan *ch, enum ipc_side side)
{
    struct ph_chan *c = (struct ph_chan *)ch;
    if (side != SIDE_A && side != SIDE_B) {
        errno = EINVAL;
        return -1;
    }
    /* A vanished peer must show as EPIPE, not kill the sender: block SIGPIPE
     * once here rather than twice per message (the pipe is a speed baseline). */
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    if (!c->masked && pthread_sigmask(SIG_BLOCK, &pipe_set, &c->oldmask) == 0)
        c->masked = true;
    if (side == SIDE_A) {
        close_fd(&c->a2b[0]);
        close_fd(&c->b2a[1]);
        c->tx = c->a2b[1];
        c->rx = c->b2a[0];
    } else {
        close_fd(&c->a2b[1]);
        close_fd(&c->b2a[0]);
        c->tx = c->b2a[1];
        c->rx = c->a2b[0];
    }
    return 0;
}

static int ph_send(struct ipc_chan *ch, const void *msg)
{
    struct ph_chan *c = (struct ph_chan *)ch;
    const char *p = msg;
    size_t left = c->msg_size;
    if (c->tx < 0) {
        errno = EPIPE;
        return -1;
    }
    while (left > 0) {
        ssize_t n = write(c->tx, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        left -= (size_t)n;
    }
    return 0;
}

static int ph_recv(struct ipc_chan *ch, void *buf)
{
    struct ph_chan *c = (struct ph_chan *)ch;
    char *p = buf;
    size_t left = c->msg_size;
    while (left > 0) {
        ssize_t n = read(c->rx, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = EPIPE;
            return -1;
        }
        p += n;
        left -= (size_t)n;
    }
    return 0;
}

static void ph_close(struct ipc_chan *ch)
{
    struct ph_chan *c = (struct ph_chan *)ch;
    if (c == NULL)
        return;
    close_fd(&c->a2b[0]);
    close_fd(&c->a2b[1]);
    close_fd(&c->b2a[0]);
    close_fd(&c->b2a[1]);
    if (c->masked) {
        /* Swallow the SIGPIPEs a write to a vanished peer left pending. */
        sigset_t pipe_set;
        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
            ;
        pthread_sigmask(SIG_SETMASK, &c->oldmask, NULL);
    }
    free(c);
}

static const struct ipc_ops ph_pipe = {
    .name = "pipe",
    .open = ph_open,
    .attach = ph_attach,
    .send = ph_send,
    .recv = ph_recv,
    .close = ph_close,
};

const struct ipc_ops *ph_pipe_ops(void)
{
    return &ph_pipe;
}

void ph_pipe_shut_tx(struct ipc_chan *ch)
{
    struct ph_chan *c = (struct ph_chan *)ch;
    close_fd(c->tx == c->a2b[1] ? &c->a2b[1] : &c->b2a[1]);
    c->tx = -1;
}

/* ---- the floor of a round trip: one cache line each way ---------------------- */

/* $begin line_floor */
/* One direction of the floor: a sequence word alone on its 64-byte cache line. */
struct ph_line {
    alignas(64) _Atomic uint64_t seq; /* last message number sent + 1; 0: none yet */
};

struct line_chan {
    struct ph_line *lines; /* [0] A->B, [1] B->A, in one MAP_SHARED page */
    struct ph_line *tx, *rx;
    uint64_t seen; /* rx's value at the last recv */
    size_t msg_size;
};

/* Tell the CPU this is a spin loop, as a ring's waiting side does. */
static void line_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Hand the message's number to the peer: one store to our line. */
static int line_send(struct ipc_chan *ch, const void *msg)
{
    struct line_chan *c = (struct line_chan *)ch;
    uint64_t n;
    memcpy(&n, msg, 8);
    atomic_store_explicit(&c->tx->seq, n + 1, memory_order_release);
    return 0;
}

/* Wait for the peer's line to change, as a spinning ring's consumer does. */
static int line_recv(struct ipc_chan *ch, void *buf)
{
    struct line_chan *c = (struct line_chan *)ch;
    uint64_t v;
    double since = 0;
    for (unsigned spins = 1;
         (v = atomic_load_explicit(&c->rx->seq, memory_order_acquire)) == c->seen;
         spins++) {
        line_relax();
        if (spins % 1024 != 0)
            continue;
        sched_yield(); /* the peer may share this CPU */
        if (since == 0)
            since = ph_now();
        else if (ph_now() - since > 10.0) {
            errno = ETIMEDOUT;
            return -1;
        }
    }
    c->seen = v;
    v -= 1;
    memcpy(buf, &v, 8);
    memcpy((unsigned char *)buf + c->msg_size - 8, &v, 8);
    return 0;
}
/* $end line_floor */

static int line_open(struct ipc_chan **out, size_t msg_size)
{
    if (out == NULL || msg_size < 16 || msg_size > IPC_MAX_MSG) {
        errno = EINVAL;
        return -1;
    }
    struct line_chan *c = calloc(1, sizeof *c);
    if (c == NULL)
        return -1;
    c->lines = mmap(NULL, 2 * sizeof(struct ph_line), PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (c->lines == MAP_FAILED) {
        free(c);
        return -1;
    }
    c->msg_size = msg_size;
    *out = (struct ipc_chan *)c;
    return 0;
}

static int line_attach(struct ipc_chan *ch, enum ipc_side side)
{
    struct line_chan *c = (struct line_chan *)ch;
    if (side != SIDE_A && side != SIDE_B) {
        errno = EINVAL;
        return -1;
    }
    c->tx = &c->lines[side == SIDE_A ? 0 : 1];
    c->rx = &c->lines[side == SIDE_A ? 1 : 0];
    return 0;
}

static void line_close(struct ipc_chan *ch)
{
    struct line_chan *c = (struct line_chan *)ch;
    if (c == NULL)
        return;
    munmap(c->lines, 2 * sizeof(struct ph_line));
    free(c);
}

static const struct ipc_ops ph_line = {
    .name = "cache-line",
    .open = line_open,
    .attach = line_attach,
    .send = line_send,
    .recv = line_recv,
    .close = line_close,
};

const struct ipc_ops *ph_line_ops(void)
{
    return &ph_line;
}

/* ---- measurements ------------------------------------------------------------ */

/*
 * A measurement stops after about this long, with what it has: on a loaded
 * machine a pipe moves 64 B messages 50 times slower than on an idle one,
 * and a ring that sleeps per round trip is thousands of times slower.
 */
#define MEASURE_BUDGET_S 0.25
#define RTT_BUDGET_S     0.25

void ph_perf_required(void)
{
    int cpu[2];
    if (ipct_under_valgrind())
        cr_skip_test("a speed gate means nothing under valgrind");
    int n = ph_cpus(cpu);
    if (n < 2)
        cr_skip_test(
            "a speed gate needs two CPUs in the affinity mask, this process has %d "
            "(taskset -p $$ shows it)",
            n);
}

/* What the measuring peer tells this process, through a pipe, at each stage. */
enum stage { ST_READY = 1, ST_WARM, ST_DONE };
struct peer_report {
    int stage;
    int err;         /* errno of the failed call, EPROTO for a bad stamp, else 0 */
    char what[24];   /* the failed call */
    uint64_t index;  /* message where it went wrong */
    uint64_t got[2]; /* the stamps found there */
    double t_end;    /* CLOCK_MONOTONIC at the receipt of the last message */
};

static void send_report(int fd, struct peer_report *r, int stage)
{
    r->stage = stage;
    IPCT_CHILD_CHECK(write(fd, r, sizeof *r) == (ssize_t)sizeof *r);
}

/* The parent's side of a measurement: what to undo when it fails. */
struct run {
    const struct ipc_ops *ops;
    pid_t pid;
    int up;         /* read end of the peer's report pipe */
    cpu_set_t mask; /* this process's affinity mask before the run */
};

static void run_abort(struct run *r)
{
    int status;
    kill(r->pid, SIGKILL);
    waitpid(r->pid, &status, 0);
    sched_setaffinity(0, sizeof r->mask, &r->mask);
}

#define RUN_FAIL(r, ...)                                                                 \
    do {                                                                                 \
        run_abort(r);                                                                    \
        cr_assert_fail(__VA_ARGS__);                                                     \
    } while (0)

/* Read the peer's next report (within timeout_ms); fail the test on an error. */
static struct peer_report expect_stage(struct run *r, int stage, int timeout_ms)
{
    static const char *const names[] = {"", "ready", "warm-up done", "done"};
    struct peer_report rep = {0};
    if (!ipct_readable_within(r->up, timeout_ms))
        RUN_FAIL(r, "%s: the receiving peer did not report '%s' within %d ms",
                 r->ops->name, names[stage], timeout_ms);
    ssize_t n = read(r->up, &rep, sizeof rep);
    if (n != (ssize_t)sizeof rep)
        RUN_FAIL(r, "%s: the receiving peer died before '%s' (see its stderr)",
                 r->ops->name, names[stage]);
    if (rep.err == EPROTO)
        RUN_FAIL(
            r,
            "%s: message %llu arrived with stamps %llu / %llu: lost, repeated or torn "
            "(a release store after the copy, an acquire load before it?)",
            r->ops->name, (unsigned long long)rep.index, (unsigned long long)rep.got[0],
            (unsigned long long)rep.got[1]);
    if (rep.err != 0)
        RUN_FAIL(r, "%s: receiving peer: %s (message %llu): %s", r->ops->name, rep.what,
                 (unsigned long long)rep.index, strerror(rep.err));
    if (rep.stage != stage)
        RUN_FAIL(r, "%s: peer protocol out of step", r->ops->name);
    return rep;
}

/* What a sender shares with its measuring peer (MAP_SHARED, made before fork). */
enum { BLOCKS = 40 };
struct ctl {
    _Atomic uint64_t total; /* messages the peer receives: a sender out of time lowers it
                               before it sends the new last one */
    size_t every;           /* 0, or: the peer notes the time of every every-th message */
    double marks[BLOCKS];   /* ... of measured message m into marks[m / every] */
};

/*
 * Start a measuring peer: open a channel, fork, pin both sides, attach. The
 * peer receives total messages (ctl->total when ctl is not NULL), echoing
 * each when echo, and fills ctl->marks as struct ctl says (measured message
 * m = 0 is the first after warm).
 */
static struct ipc_chan *run_start(struct run *r, const struct ipc_ops *ops,
                                  size_t msg_size, bool echo, size_t total, size_t warm,
                                  struct ctl *ctl)
{
    int cpu[2], up[2];
    int ncpu = ph_cpus(cpu);
    struct ipc_chan *c = NULL;
    r->ops = ops;
    cr_assert_eq(sched_getaffinity(0, sizeof r->mask, &r->mask), 0);
    cr_assert_eq(pipe2(up, O_CLOEXEC), 0, "pipe2: %s", strerror(errno));
    cr_assert_eq(ops->open(&c, msg_size), 0, "%s: open(msg_size %zu): %s", ops->name,
                 msg_size, strerror(errno));
    r->pid = ipct_fork();
    if (r->pid == 0) {
        struct peer_report rep = {0};
        unsigned char *buf = malloc(msg_size);
        close(up[0]);
        /* $begin peer_ready */
        if (ncpu >= 2 && ph_pin(cpu[1]) < 0) {
            rep.err = errno;
            snprintf(rep.what, sizeof rep.what, "sched_setaffinity");
        } else if (ops->attach(c, SIDE_B) < 0) {
            rep.err = errno;
            snprintf(rep.what, sizeof rep.what, "attach(SIDE_B)");
        } else if (buf == NULL) {
            rep.err = ENOMEM;
            snprintf(rep.what, sizeof rep.what, "malloc");
        }
        send_report(up[1], &rep, ST_READY);
        if (rep.err != 0)
            _exit(1);
        /* $end peer_ready */
        /* $begin peer_checks */
        uint64_t end = ctl != NULL ? atomic_load(&ctl->total) : total;
        for (uint64_t i = 0; i < end; i++) {
            if (ops->recv(c, buf) < 0) {
                rep.err = errno;
                rep.index = i;
                snprintf(rep.what, sizeof rep.what, "recv");
                break;
            }
            if (echo) {
                if (ops->send(c, buf) < 0) {
                    rep.err = errno;
                    rep.index = i;
                    snprintf(rep.what, sizeof rep.what, "send");
                    break;
                }
                continue;
            }
            uint64_t s[2];
            memcpy(&s[0], buf, 8);
            memcpy(&s[1], buf + msg_size - 8, 8);
            if ((s[0] != i || s[1] != i) && rep.err == 0) {
                /* Keep receiving so the sender never blocks on a full link. */
                rep.err = EPROTO;
                rep.index = i;
                rep.got[0] = s[0];
                rep.got[1] = s[1];
            }
            if (i + 1 == warm && !echo)
                send_report(up[1], &rep, ST_WARM);
            if (ctl == NULL)
                continue;
            if (ctl->every != 0 && i >= warm && (i - warm) % ctl->every == 0 &&
                (i - warm) / ctl->every < BLOCKS)
                ctl->marks[(i - warm) / ctl->every] = ph_now(); /* see ph_block_rate */
            end = atomic_load(&ctl->total); /* lowered when the sender ran out of time */
        }
        /* $end peer_checks */
        rep.t_end = ph_now();
        send_report(up[1], &rep, ST_DONE);
        ops->close(c);
        free(buf);
        _exit(0);
    }
    /* $begin handshake_a */
    close(up[1]);
    r->up = up[0];
    if (ncpu >= 2 && ph_pin(cpu[0]) < 0)
        RUN_FAIL(r, "sched_setaffinity(CPU %d): %s", cpu[0], strerror(errno));
    if (ops->attach(c, SIDE_A) < 0)
        RUN_FAIL(r, "%s: attach(SIDE_A): %s", ops->name, strerror(errno));
    expect_stage(r, ST_READY, 5000);
    /* $end handshake_a */
    return c;
}

/* End a measurement: close this side, reap the peer, restore the mask. */
static void run_finish(struct run *r, struct ipc_chan *c)
{
    r->ops->close(c);
    close(r->up);
    int code = ipct_wait_exit(r->pid, 5000);
    sched_setaffinity(0, sizeof r->mask, &r->mask);
    cr_assert_eq(code, 0, "%s: the measuring peer failed (exit %d)", r->ops->name, code);
}

static void stamp(unsigned char *msg, size_t msg_size, uint64_t seq)
{
    memcpy(msg, &seq, 8);
    memcpy(msg + msg_size - 8, &seq, 8);
}

/*
 * Wall-clock MB/s of count measured messages after count / 10 warm-up ones
 * (page faults, caches), or of as many as were sent in MEASURE_BUDGET_S (at
 * least count / 10); *measured receives how many. The peer fills
 * ctl->marks when ctl->every is set.
 */
static double measure(const struct ipc_ops *ops, size_t msg_size, size_t count,
                      struct ctl *ctl, size_t *measured)
{
    size_t warm = count / 10;
    size_t total = warm + count;
    struct run r;
    cr_assert(warm >= 1 && msg_size >= 16);
    unsigned char *msg = malloc(msg_size);
    cr_assert_not_null(msg);
    memset(msg, 0x5a, msg_size);
    atomic_init(&ctl->total, total);
    struct ipc_chan *c = run_start(&r, ops, msg_size, false, total, warm, ctl);
    /* $begin timed_run */
    uint64_t seq = 0;
    for (; seq < warm; seq++) {
        stamp(msg, msg_size, seq);
        if (ops->send(c, msg) < 0)
            RUN_FAIL(&r, "%s: send (warm-up message %llu): %s", ops->name,
                     (unsigned long long)seq, strerror(errno));
    }
    expect_stage(&r, ST_WARM, 5000);
    double t0 = ph_now();
    for (; seq < total; seq++) {
        if (seq % 64 == 0 && seq - warm >= count / 10 &&
            ph_now() - t0 > MEASURE_BUDGET_S) {
            total = seq + 1; /* a slow machine: message seq is the last one */
            atomic_store(&ctl->total, total);
        }
        stamp(msg, msg_size, seq);
        if (ops->send(c, msg) < 0)
            RUN_FAIL(&r, "%s: send (message %llu): %s", ops->name,
                     (unsigned long long)seq, strerror(errno));
    }
    struct peer_report rep = expect_stage(&r, ST_DONE, 10000);
    run_finish(&r, c);
    free(msg);
    double secs = rep.t_end - t0;
    cr_assert_gt(secs, 0.0);
    *measured = total - warm;
    return (double)msg_size * (double)*measured / secs / 1e6;
    /* $end timed_run */
}

double ph_throughput(const struct ipc_ops *ops, size_t msg_size, size_t count)
{
    size_t measured;
    struct ctl *ctl = ph_shared(sizeof *ctl);
    double rate = measure(ops, msg_size, count, ctl, &measured);
    munmap(ctl, sizeof *ctl);
    return rate;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n) (sorts v). */
static double median_of(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* $begin block_rate */
double ph_block_rate(const struct ipc_ops *ops, size_t msg_size, size_t count)
{
    size_t measured;
    struct ctl *ctl = ph_shared(sizeof *ctl);
    ctl->every = count / BLOCKS;
    cr_assert(ctl->every >= 1);
    measure(ops, msg_size, count, ctl, &measured);
    /* Marks at measured messages 0, every, 2 every, ...: one block between two. */
    size_t blocks = (measured - 1) / ctl->every, n = 0;
    double secs[BLOCKS] = {0};
    for (size_t k = 0; k < blocks && k + 1 < BLOCKS; k++)
        secs[n++] = ctl->marks[k + 1] - ctl->marks[k];
    double every = (double)ctl->every;
    munmap(ctl, sizeof *ctl);
    cr_assert_geq(n, 3);
    double median = median_of(secs, n);
    cr_assert_gt(median, 0.0);
    return (double)msg_size * every / median / 1e6;
}
/* $end block_rate */

/* $begin memcpy_floor */
double ph_memcpy_mb_per_s(void)
{
    enum { HALF = 128 * 1024, MIN_BLOCKS = 64, MAX_BLOCKS = 8192 };
    int cpu[2];
    cpu_set_t mask;
    unsigned char *a = aligned_alloc(64, HALF), *b = aligned_alloc(64, HALF);
    double *secs = malloc(MAX_BLOCKS * sizeof *secs);
    cr_assert(a != NULL && b != NULL && secs != NULL);
    memset(a, 1, HALF);
    memset(b, 2, HALF);
    cr_assert_eq(sched_getaffinity(0, sizeof mask, &mask), 0);
    if (ph_cpus(cpu) >= 2)
        ph_pin(cpu[0]);
    /* Blocks of one copy each way, each timed alone, for ~20 ms and at least 64. */
    size_t n = 0;
    double start = ph_now(), t0 = start, t1;
    do {
        memcpy(b, a, HALF);
        __asm__ volatile("" ::: "memory"); /* keep every copy */
        memcpy(a, b, HALF);
        __asm__ volatile("" ::: "memory");
        t1 = ph_now();
        secs[n++] = t1 - t0;
        t0 = t1;
    } while (n < MAX_BLOCKS && (n < MIN_BLOCKS || t1 - start < 0.020));
    sched_setaffinity(0, sizeof mask, &mask);
    double median = median_of(secs, n);
    free(secs);
    free(a);
    free(b);
    return 2.0 * HALF / median / 1e6;
}
/* $end memcpy_floor */

double ph_rtt_p50_ns(const struct ipc_ops *ops, size_t msg_size, size_t warm,
                     size_t count)
{
    struct run r;
    unsigned char *msg = malloc(msg_size), *back = malloc(msg_size);
    double *ns = malloc(count * sizeof *ns);
    cr_assert(msg != NULL && back != NULL && ns != NULL);
    memset(msg, 0x5a, msg_size);
    struct ipc_chan *c = run_start(&r, ops, msg_size, true, warm + count, warm, NULL);
    size_t timed = 0, total = warm + count;
    uint64_t i = 0;
    double deadline = ph_now() + RTT_BUDGET_S;
    for (; timed < count; i++) {
        struct timespec t0, t1;
        stamp(msg, msg_size, i);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (ops->send(c, msg) < 0 || ops->recv(c, back) < 0)
            RUN_FAIL(&r, "%s: round trip %llu: %s", ops->name, (unsigned long long)i,
                     strerror(errno));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        uint64_t s[2];
        memcpy(&s[0], back, 8);
        memcpy(&s[1], back + msg_size - 8, 8);
        if (s[0] != i || s[1] != i)
            RUN_FAIL(&r, "%s: round trip %llu came back with stamps %llu / %llu",
                     ops->name, (unsigned long long)i, (unsigned long long)s[0],
                     (unsigned long long)s[1]);
        if (i >= warm)
            ns[timed++] =
                (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
        if (i % 64 == 63 && ph_now() > deadline) {
            /* Far slower than any ring should be: the median so far says so. */
            if (timed >= 64)
                break;
            if (i < warm)
                warm = i + 1; /* cut the warm-up short */
        }
    }
    if (i < total) {
        run_abort(&r); /* the echoing peer still waits for the trips not made */
        ops->close(c);
        close(r.up);
    } else {
        expect_stage(&r, ST_DONE, 5000);
        run_finish(&r, c);
    }
    double p50 = median_of(ns, timed);
    free(ns);
    free(msg);
    free(back);
    return p50;
}

const char *ph_base_name(enum ph_base base)
{
    return base == PH_PIPE ? "pipe" : base == PH_MEMCPY ? "memcpy" : "cache-line";
}

double ph_gate_ratio(enum ipc_kind kind, enum ph_base base, size_t msg_size, size_t count,
                     char *runs, size_t len)
{
    enum { PAIRS = 5 };
    errno = 0;
    const struct ipc_ops *ops = ipc_transport(kind);
    cr_assert_not_null(ops, "ipc_transport(%s) returned NULL: %s", ph_kind_name(kind),
                       strerror(errno));
    cr_assert(ops->open && ops->attach && ops->send && ops->recv && ops->close,
              "%s: every operation of the table must be set", ph_kind_name(kind));
    double ratio[PAIRS], sorted[PAIRS];
    const char *unit = base == PH_LINE ? "ns round trip (p50)" : "MB/s";
    size_t off = 0;
    runs[0] = '\0';
    /* $begin median_of_ratios */
    for (int i = 0; i < PAIRS; i++) {
        /* Alternate floor and candidate so a slow patch of the machine hits both. */
        double baseline, mine;
        if (base == PH_LINE) {
            baseline = ph_rtt_p50_ns(ph_line_ops(), msg_size, count / 20, count);
            mine = ph_rtt_p50_ns(ops, msg_size, count / 20, count);
        } else {
            /* Typical speed against typical speed: see ph_block_rate. */
            baseline = base == PH_MEMCPY ? ph_memcpy_mb_per_s()
                                         : ph_block_rate(ph_pipe_ops(), msg_size, count);
            mine = ph_block_rate(ops, msg_size, count);
        }
        ratio[i] = mine / baseline;
        cr_log_info("%s at %zu B, run %d: %.0f %s, %s %.0f: %.3fx", ops->name, msg_size,
                    i + 1, mine, unit, ph_base_name(base), baseline, ratio[i]);
        int n = snprintf(runs + off, len - off, "%s%.2fx", i ? " " : "", ratio[i]);
        if (n > 0 && (size_t)n < len - off)
            off += (size_t)n;
    }
    memcpy(sorted, ratio, sizeof ratio);
    return median_of(sorted, PAIRS);
    /* $end median_of_ratios */
}
