/* bench.c - lab 10 solution: the benchmark harness and the comparison table. */
#include "choosing.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- Exercise 4: the benchmark harness ------------------------------- */

/*
 * How long side A waits, after its last send, for side B's report. Every
 * link holds at most a few hundred KiB, which any mechanism moves in
 * milliseconds: a receiver still silent after this lost a message.
 */
#define REPORT_GRACE_MS 3000

/* What side B tells side A through the report pipe, at most twice: ready, then done. */
struct peer_report {
    int err;           /* 0, or the errno that stopped side B (EPROTO: bad sequence) */
    uint64_t end_ns;   /* CLOCK_MONOTONIC when the last message arrived */
    uint64_t received; /* messages received intact */
};

/* Everything one run holds, so that one clean-up path can release it. */
struct run {
    const struct ipc_ops *ops;
    size_t msg_size, count;
    bool latency;
    struct ipc_chan *chan;
    unsigned char *msg;
    int report[2]; /* side B writes, side A reads */
    pid_t child;
    cpu_set_t saved_mask;
    struct sigaction saved_pipe;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Put seq in the first and last 8 bytes of msg. */
static void stamp(unsigned char *msg, size_t size, uint64_t seq)
{
    memcpy(msg, &seq, sizeof seq);
    memcpy(msg + size - sizeof seq, &seq, sizeof seq);
}

/* True if both of msg's sequence numbers are seq: not lost, repeated, reordered or torn.
 */
static bool stamped(const unsigned char *msg, size_t size, uint64_t seq)
{
    uint64_t first, last;
    memcpy(&first, msg, sizeof first);
    memcpy(&last, msg + size - sizeof last, sizeof last);
    return first == seq && last == seq;
}

/*
 * The which-th CPU (0 or 1) of mask, or -1 if the mask has fewer than
 * two CPUs (then nobody is pinned: both sides share the one CPU).
 */
static int nth_cpu(const cpu_set_t *mask, int which)
{
    if (CPU_COUNT(mask) < 2)
        return -1;
    for (int cpu = 0, seen = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, mask) && seen++ == which)
            return cpu;
    return -1;
}

/* Pin the calling process to cpu (nothing when cpu is -1). */
static int pin_to(int cpu)
{
    if (cpu < 0)
        return 0;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return sched_setaffinity(0, sizeof one, &one);
}

/* write(2) the whole of a small struct, retrying EINTR. */
static int send_report(int fd, const struct peer_report *r)
{
    ssize_t n;
    do
        n = write(fd, r, sizeof *r);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof *r ? 0 : -1;
}

/*
 * Read one report, waiting at most timeout_ms (-1: for ever). Returns 0,
 * or -1 with errno: ETIMEDOUT, EPIPE if side B died without reporting.
 */
static int read_report(int fd, struct peer_report *r, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int ready;
    do
        ready = poll(&p, 1, timeout_ms);
    while (ready < 0 && errno == EINTR);
    if (ready == 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    ssize_t n;
    do
        n = read(fd, r, sizeof *r);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof *r)
        return 0;
    if (n >= 0)
        errno = EPIPE;
    return -1;
}

/*
 * Side B, in the forked child: attach, pin, say ready, then receive (and
 * for latency, echo) every message, checking its sequence numbers. The
 * first bad message is reported at once, and B goes on receiving, so that
 * A is never left blocked on a full link; if a message was lost, B ends up
 * waiting for one that never comes and A, which has the report, kills it.
 * Never returns.
 */
static void run_side_b(struct run *r, int cpu)
{
    struct peer_report rep = {0};
    close(r->report[0]);
    if (pin_to(cpu) < 0 || r->ops->attach(r->chan, SIDE_B) < 0)
        rep.err = errno;
    send_report(r->report[1], &rep); /* ready, or why not */
    bool reported = rep.err != 0;
    for (uint64_t i = 0; !reported && i < r->count; i++) {
        if (r->ops->recv(r->chan, r->msg) < 0) {
            rep.err = errno;
            break;
        }
        if (stamped(r->msg, r->msg_size, i)) {
            rep.received++;
        } else if (rep.err == 0) {
            rep.err = EPROTO;
            send_report(r->report[1], &rep);
        }
        if (r->latency && r->ops->send(r->chan, r->msg) < 0) {
            rep.err = errno;
            break;
        }
    }
    rep.end_ns = now_ns();
    if (!reported && rep.err != EPROTO)
        send_report(r->report[1], &rep);
    r->ops->close(r->chan);
    free(r->msg);
    _exit(0);
}

/* qsort comparator for round-trip times. */
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/*
 * Side A's measured part. Throughput: send every message; the clock runs
 * from just before the first send to B's arrival time of the last one.
 * Latency: time each send + recv of the echo. Returns 0 or -1 with errno.
 */
static int run_side_a(struct run *r, struct bench_result *out)
{
    uint64_t *trips = NULL;
    if (r->latency && (trips = malloc(r->count * sizeof *trips)) == NULL)
        return -1;
    struct peer_report rep;
    uint64_t start = now_ns();
    for (uint64_t i = 0; i < r->count; i++) {
        stamp(r->msg, r->msg_size, i);
        uint64_t t0 = r->latency ? now_ns() : 0;
        if (r->ops->send(r->chan, r->msg) < 0)
            goto fail;
        if (!r->latency)
            continue;
        if (r->ops->recv(r->chan, r->msg) < 0)
            goto fail;
        trips[i] = now_ns() - t0;
        if (!stamped(r->msg, r->msg_size, i)) {
            errno = EPROTO;
            goto fail;
        }
    }
    uint64_t end = now_ns();
    if (read_report(r->report[0], &rep, REPORT_GRACE_MS) < 0)
        goto fail;
    if (rep.err != 0) {
        errno = rep.err;
        goto fail;
    }
    *out = (struct bench_result){
        .name = r->ops->name, .msg_size = r->msg_size, .messages = r->count};
    if (r->latency) {
        qsort(trips, r->count, sizeof *trips, cmp_u64);
        out->seconds = (double)(end - start) / 1e9;
        out->p50_us = (double)trips[r->count / 2] / 1e3;
        out->p99_us = (double)trips[r->count * 99 / 100] / 1e3;
    } else {
        uint64_t elapsed = rep.end_ns > start ? rep.end_ns - start : 1;
        out->seconds = (double)elapsed / 1e9;
        out->mb_per_s = (double)r->msg_size * (double)r->count / out->seconds / 1e6;
    }
    free(trips);
    return 0;
fail:
    free(trips);
    return -1;
}

/*
 * Open, fork, measure, and always end with the channel closed, the child
 * reaped, SIGPIPE and the CPU mask as they were. A failure on side A kills
 * side B: many mechanisms cannot tell a receiver that its sender is gone.
 */
static int bench_run(const struct ipc_ops *ops, size_t msg_size, size_t count,
                     bool latency, struct bench_result *out)
{
    if (ops == NULL || out == NULL || count == 0 || msg_size < BENCH_MIN_MSG ||
        msg_size > IPC_MAX_MSG) {
        errno = EINVAL;
        return -1;
    }
    struct run r = {.ops = ops,
                    .msg_size = msg_size,
                    .count = count,
                    .latency = latency,
                    .report = {-1, -1},
                    .child = -1};
    int rc = -1, saved = 0;
    struct sigaction ignore = {.sa_handler = SIG_IGN};
    sigemptyset(&ignore.sa_mask);
    if (sched_getaffinity(0, sizeof r.saved_mask, &r.saved_mask) < 0 ||
        sigaction(SIGPIPE, &ignore, &r.saved_pipe) < 0)
        return -1;
    if ((r.msg = calloc(1, msg_size)) == NULL || pipe2(r.report, O_CLOEXEC) < 0)
        goto done;
    if (ops->open(&r.chan, msg_size) < 0) {
        r.chan = NULL;
        goto done;
    }
    r.child = fork();
    if (r.child < 0)
        goto done;
    if (r.child == 0)
        run_side_b(&r, nth_cpu(&r.saved_mask, 1));
    close(r.report[1]);
    r.report[1] = -1;

    struct peer_report ready;
    if (pin_to(nth_cpu(&r.saved_mask, 0)) < 0 || ops->attach(r.chan, SIDE_A) < 0 ||
        read_report(r.report[0], &ready, -1) < 0)
        goto done;
    if (ready.err != 0) {
        errno = ready.err;
        goto done;
    }
    rc = run_side_a(&r, out);
done:
    saved = errno;
    if (r.child > 0) {
        if (rc < 0)
            kill(r.child, SIGKILL);
        while (waitpid(r.child, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (r.chan != NULL)
        ops->close(r.chan);
    for (int i = 0; i < 2; i++)
        if (r.report[i] >= 0)
            close(r.report[i]);
    free(r.msg);
    sched_setaffinity(0, sizeof r.saved_mask, &r.saved_mask);
    sigaction(SIGPIPE, &r.saved_pipe, NULL);
    errno = saved;
    return rc;
}

int bench_throughput(const struct ipc_ops *ops, size_t msg_size, size_t count,
                     struct bench_result *out)
{
    return bench_run(ops, msg_size, count, false, out);
}

int bench_latency(const struct ipc_ops *ops, size_t msg_size, size_t count,
                  struct bench_result *out)
{
    return bench_run(ops, msg_size, count, true, out);
}

/* ---- Exercise 5: the comparison table -------------------------------- */

/* The figure of row in column col (NCOLS: p50). */
static double figure(const struct bench_row *row, int col)
{
    return col == NCOLS ? row->p50_us : row->mb_per_s[col];
}

/* Append one formatted field to buf at *used; false when it does not fit. */
static bool put(char *buf, size_t len, size_t *used, const char *fmt, int width, double v)
{
    int n = isnan(v) ? snprintf(buf + *used, len - *used, "%*s", width, "-")
                     : snprintf(buf + *used, len - *used, fmt, v);
    if (n < 0 || (size_t)n >= len - *used)
        return false;
    *used += (size_t)n;
    return true;
}

int report_row(char *buf, size_t len, const struct bench_row *row,
               const struct bench_row *base)
{
    if (buf == NULL || row == NULL || base == NULL || row->name == NULL) {
        errno = EINVAL;
        return -1;
    }
    size_t used = 0;
    int n = snprintf(buf, len, "%-16s", row->name);
    bool ok = n >= 0 && (size_t)n < len;
    used = ok ? (size_t)n : 0;
    for (int col = 0; ok && col < NCOLS; col++) {
        double v = row->mb_per_s[col], b = base->mb_per_s[col];
        double ratio = isnan(v) || isnan(b) || v == 0 || b == 0 ? NAN : v / b;
        ok = put(buf, len, &used, " %10.1f", 11, v) &&
             put(buf, len, &used, " %7.2fx", 9, ratio);
    }
    ok = ok && put(buf, len, &used, " %9.2f", 10, row->p50_us) &&
         put(buf, len, &used, " %9.2f", 10, row->p99_us);
    if (!ok) {
        if (len > 0)
            buf[0] = '\0';
        errno = ENOSPC;
        return -1;
    }
    return (int)used;
}

const struct bench_row *report_fastest(const struct bench_row *rows, size_t n, int col)
{
    if (rows == NULL || col < 0 || col > NCOLS) {
        errno = EINVAL;
        return NULL;
    }
    const struct bench_row *best = NULL;
    for (size_t i = 0; i < n; i++) {
        double v = figure(&rows[i], col);
        if (isnan(v))
            continue;
        double b = best ? figure(best, col) : 0;
        if (best == NULL || (col == NCOLS ? v < b : v > b))
            best = &rows[i];
    }
    if (best == NULL)
        errno = ENOENT;
    return best;
}

/* The row called name, or NULL. */
static const struct bench_row *find_row(const struct bench_row *rows, size_t n,
                                        const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].name != NULL && strcmp(rows[i].name, name) == 0)
            return &rows[i];
    return NULL;
}

/* The source notes' decision tree: each leaf with the mechanisms that measure it. */
static const struct {
    const char *text;
    const char *mechanisms[3];
} tree[] = {
    {"Need network communication?", {NULL}},
    {"+- yes: TCP (or UDP) sockets", {"tcp"}},
    {"+- no: need the highest performance?", {NULL}},
    {"   +- yes: shared memory + synchronisation",
     {"spin-ring", "block-ring", "shm-sem"}},
    {"   +- no: need message boundaries?", {NULL}},
    {"      +- yes: message queues (or SOCK_SEQPACKET)",
     {"posix-mq", "sysv-msg", "unix-seqpacket"}},
    {"      +- no: related processes?", {NULL}},
    {"         +- yes: pipes", {"pipe"}},
    {"         +- no: need both directions?", {NULL}},
    {"            +- yes: UNIX domain sockets", {"unix-stream"}},
    {"            +- no: FIFOs (a pipe with a name: figures as pipe)", {"pipe"}},
};

/* Print a leaf's annotations: "      name: 4 KiB 123.4 MB/s, p50 1.23 us". */
static void print_leaf(FILE *out, const char *text, const char *const mechs[3],
                       const struct bench_row *rows, size_t n)
{
    fprintf(out, "%s\n", text);
    size_t indent = strspn(text, " ") + 6;
    for (int k = 0; k < 3 && mechs[k] != NULL; k++) {
        const struct bench_row *r = find_row(rows, n, mechs[k]);
        if (r == NULL)
            continue;
        fprintf(out, "%*s%-15s", (int)indent, "", r->name);
        if (!isnan(r->mb_per_s[COL_4K]))
            fprintf(out, " 4 KiB %.1f MB/s", r->mb_per_s[COL_4K]);
        if (!isnan(r->p50_us))
            fprintf(out, ", p50 %.2f us", r->p50_us);
        fputc('\n', out);
    }
}

int report_print(FILE *out, const struct bench_row *rows, size_t n)
{
    if (out == NULL || rows == NULL) {
        errno = EINVAL;
        return -1;
    }
    static const struct bench_row no_base = {"", {NAN, NAN, NAN}, NAN, NAN};
    const struct bench_row *pipe = find_row(rows, n, "pipe");
    char line[256];
    fprintf(out, "%-16s %10s %8s %10s %8s %10s %8s %9s %9s\n", "mechanism", "MB/s 64B",
            "x pipe", "MB/s 4KiB", "x pipe", "MB/s 64KiB", "x pipe", "p50 us", "p99 us");
    for (size_t i = 0; i < n; i++) {
        if (report_row(line, sizeof line, &rows[i], pipe ? pipe : &no_base) < 0)
            return -1;
        fprintf(out, "%s\n", line);
    }
    static const char *const winner[] = {"fastest at 64 B", "fastest at 4 KiB",
                                         "fastest at 64 KiB", "lowest round trip"};
    fputc('\n', out);
    for (int col = 0; col <= NCOLS; col++) {
        const struct bench_row *best = report_fastest(rows, n, col);
        fprintf(out, "%s: %s\n", winner[col], best ? best->name : "-");
    }
    fputc('\n', out);
    for (size_t i = 0; i < sizeof tree / sizeof tree[0]; i++)
        print_leaf(out, tree[i].text, tree[i].mechanisms, rows, n);
    if (fflush(out) == EOF || ferror(out))
        return -1;
    return 0;
}
