/*
 * table.c - lab 10 (provided): measure every mechanism with your harness and
 * print the comparison table (`make -C labs/10-choosing-ipc table`).
 *
 * Usage: table [--quick] [--rounds N]
 *   --quick     a tenth of the messages (noisier, about ten times faster)
 *   --rounds N  measure each figure N times and keep the median (default 3)
 *
 * Each figure is the median of N runs, and the mechanisms take turns within
 * a round, so that a burst of noise on a shared machine hits them all
 * alike. Absolute rates on a virtual machine swing from minute to minute:
 * compare the ratios, not the MB/s.
 */
#include "choosing.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Messages per throughput run at each size, and round trips per latency run. */
static const size_t tput_count[NCOLS] = {200000, 20000, 2000};
#define LAT_COUNT 20000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* $begin median */
/* Median of v[0..n) (NaN entries sort last and are not counted). */
static double median(double *v, size_t n)
{
    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            v[ok++] = v[i];
    if (ok == 0)
        return NAN;
    qsort(v, ok, sizeof *v, cmp_double);
    return v[ok / 2];
}
/* $end median */

/* $begin memcpy */
/*
 * memcpy bandwidth of one core, MB/s: 128 KiB copied back and forth between
 * two 64-byte-aligned buffers (a 256 KiB working set), best of 3 runs of
 * 20 ms: wall-clock, like every figure of the table.
 */
static double memcpy_mb_per_s(void)
{
    enum { HALF = 128 * 1024 };
    unsigned char *a = aligned_alloc(64, HALF), *b = aligned_alloc(64, HALF);
    double best = NAN;
    if (a == NULL || b == NULL)
        goto done;
    memset(a, 1, HALF);
    memset(b, 2, HALF);
    best = 0;
    for (int round = 0; round < 3; round++) {
        double t0 = now_s(), t;
        size_t bytes = 0;
        do {
            memcpy(b, a, HALF);
            __asm__ __volatile__("" ::: "memory"); /* keep every copy */
            memcpy(a, b, HALF);
            __asm__ __volatile__("" ::: "memory");
            bytes += 2 * HALF;
        } while ((t = now_s() - t0) < 0.02);
        if (bytes / t / 1e6 > best)
            best = bytes / t / 1e6;
    }
done:
    free(a);
    free(b);
    return best;
}
/* $end memcpy */

int main(int argc, char **argv)
{
    size_t div = 1;
    int rounds = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            div = 10;
        } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc &&
                   atoi(argv[i + 1]) > 0) {
            rounds = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [--quick] [--rounds N]\n", argv[0]);
            return 2;
        }
    }

    struct bench_row rows[IPC_NKINDS];
    double *runs =
        calloc((size_t)IPC_NKINDS * (NCOLS + 2) * (size_t)rounds, sizeof *runs);
    if (runs == NULL)
        return 1;
#define RUN(k, f, i) runs[(((size_t)(k) * (NCOLS + 2)) + (f)) * (size_t)rounds + (i)]
    int failures = 0;
    for (int i = 0; i < rounds; i++) {
        for (int k = 0; k < IPC_NKINDS; k++) {
            const struct ipc_ops *ops = ipc_transport(k);
            struct bench_result res;
            for (int col = 0; col < NCOLS; col++) {
                RUN(k, col, i) = NAN;
                if (ops && bench_throughput(ops, col_msg_size[col], tput_count[col] / div,
                                            &res) == 0)
                    RUN(k, col, i) = res.mb_per_s;
                else if (i == 0 && ++failures)
                    fprintf(stderr, "table: %s at %zu bytes: %s\n", ops ? ops->name : "?",
                            col_msg_size[col], strerror(errno));
            }
            RUN(k, NCOLS, i) = RUN(k, NCOLS + 1, i) = NAN;
            if (ops && bench_latency(ops, 64, LAT_COUNT / div, &res) == 0) {
                RUN(k, NCOLS, i) = res.p50_us;
                RUN(k, NCOLS + 1, i) = res.p99_us;
            } else if (i == 0 && ++failures) {
                fprintf(stderr, "table: %s round trip: %s\n", ops ? ops->name : "?",
                        strerror(errno));
            }
        }
    }
    for (int k = 0; k < IPC_NKINDS; k++) {
        const struct ipc_ops *ops = ipc_transport(k);
        rows[k].name = ops ? ops->name : "?";
        for (int col = 0; col < NCOLS; col++)
            rows[k].mb_per_s[col] = median(&RUN(k, col, 0), (size_t)rounds);
        rows[k].p50_us = median(&RUN(k, NCOLS, 0), (size_t)rounds);
        rows[k].p99_us = median(&RUN(k, NCOLS + 1, 0), (size_t)rounds);
    }
    free(runs);

    printf("Medians of %d rounds; sender and receiver pinned to different CPUs.\n\n",
           rounds);
    if (report_print(stdout, rows, IPC_NKINDS) < 0) {
        fprintf(stderr, "table: report_print: %s\n", strerror(errno));
        return 1;
    }
    double mc = memcpy_mb_per_s();
    printf("\nmemcpy on one core (256 KiB working set): %.0f MB/s; spin-ring at 4 KiB "
           "moves %.1f%% "
           "of that.\n",
           mc, 100 * rows[IPC_SPIN_RING].mb_per_s[COL_4K] / mc);
    return failures ? 1 : 0;
}
