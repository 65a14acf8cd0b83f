/* bench.c - lab 10 skeleton: the benchmark harness and the comparison table. */
#include "choosing.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ===================================================================== */
/*  Functions you implement                                              */
/* ===================================================================== */

/* ---- Exercise 4: the benchmark harness ------------------------------- */

int bench_throughput(const struct ipc_ops *ops, size_t msg_size, size_t count,
                     struct bench_result *out)
{
    /* TODO(lab10): open, fork, pin both sides, handshake, time stamped sends, reap. */
    (void)ops, (void)msg_size, (void)count, (void)out;
    errno = ENOSYS;
    return -1;
}

int bench_latency(const struct ipc_ops *ops, size_t msg_size, size_t count,
                  struct bench_result *out)
{
    /* TODO(lab10): as bench_throughput, but B echoes and A times every trip. */
    (void)ops, (void)msg_size, (void)count, (void)out;
    errno = ENOSYS;
    return -1;
}

/* ---- Exercise 5: the comparison table -------------------------------- */

int report_row(char *buf, size_t len, const struct bench_row *row,
               const struct bench_row *base)
{
    /* TODO(lab10): snprintf each field (NaN: "-" in its width), ENOSPC if short. */
    (void)buf, (void)len, (void)row, (void)base;
    errno = ENOSYS;
    return -1;
}

const struct bench_row *report_fastest(const struct bench_row *rows, size_t n, int col)
{
    /* TODO(lab10): skip NaN, keep the first best (> for MB/s, < for p50). */
    (void)rows, (void)n, (void)col;
    errno = ENOSYS;
    return NULL;
}

int report_print(FILE *out, const struct bench_row *rows, size_t n)
{
    /* TODO(lab10): header, report_row lines against "pipe", winners, decision tree. */
    (void)out, (void)rows, (void)n;
    errno = ENOSYS;
    return -1;
}
