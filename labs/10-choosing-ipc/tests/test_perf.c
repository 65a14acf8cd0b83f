/* test_perf.c - lab 10 speed gates: the rings against a pipe, memcpy and a cache-line
 * round trip, measured by the tests. */
#include "choosing.h"
#include "ipclab_test.h"
#include "perf_helpers.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <string.h>
#include <time.h>

/*
 * The student's harness (bench.c) could report anything, so every gate
 * measures with tests/perf_helpers.c: the test's own pinned sender and
 * receiver, its own sequence checks, and its own floors measured beside the
 * ring in the same run: a plain pipe, memcpy, and a bare cache-line ping-pong.
 * No gate names a time or a rate: only ratios travel between machines.
 */
TestSuite(gate, .timeout = 30);
TestSuite(ambitious, .timeout = 30);

/* Messages per measurement: about 20-50 ms each on a current machine. */
#define COUNT_64B 200000
#define COUNT_4K  20000
/* Timed round trips per measurement (after a twentieth as many warm ones): ~10 ms. */
#define COUNT_RTT 20000

/*
 * A gate passes when one attempt (5 alternating pairs, median ratio) reaches
 * its figure. A virtual machine has phases, lasting up to a few seconds, in
 * which the hypervisor runs the two vCPUs far apart and every cross-core
 * transfer costs several times more. A phase can only make the ring look
 * slower, so a failed attempt is measured again after a pause, for up to
 * RETRY_SECONDS, and the failure message lists every attempt.
 */
#define RETRY_SECONDS 20.0
#define MAX_ATTEMPTS  40

/*
 * True while another attempt may start: the first always, later ones after a
 * pause, if one more as long as the last still ends within RETRY_SECONDS
 * (so the suite's timeout never cuts a gate's verdict short).
 */
static bool another_attempt(int done, double started)
{
    static double last_start;
    double now = ph_now();
    if (done == 0) {
        last_start = now;
        return true;
    }
    if (done >= MAX_ATTEMPTS || (now - started) + (now - last_start) > RETRY_SECONDS)
        return false;
    struct timespec pause = {0, 400 * 1000 * 1000}; /* let a slow phase pass */
    nanosleep(&pause, NULL);
    last_start = ph_now();
    return true;
}

/*
 * Fail unless kind's median ratio to the floor reaches need in some attempt:
 * at least need for throughput (PH_PIPE, PH_MEMCPY), at most need for the
 * round trip (PH_LINE: need is how many cache-line round trips it may cost).
 */
static void require_ratio(enum ipc_kind kind, enum ph_base base, size_t msg_size,
                          size_t count, double need)
{
    char runs[128], tried[MAX_ATTEMPTS * 12] = "";
    size_t used = 0;
    int a = 0;
    double started = ph_now();
    const char *size = msg_size == 64 ? "64 B" : "4 KiB";
    ph_perf_required();
    for (; another_attempt(a, started); a++) {
        double r = ph_gate_ratio(kind, base, msg_size, count, runs, sizeof runs);
        cr_log_info("%s/%s at %s, attempt %d: median %.3f (runs %s)", ph_kind_name(kind),
                    ph_base_name(base), size, a + 1, r, runs);
        if (base == PH_LINE ? r <= need : r >= need)
            return;
        used += (size_t)snprintf(tried + used, sizeof tried - used, "%s%.2f",
                                 a ? " " : "", base == PH_MEMCPY ? 100 * r : r);
    }
    if (base == PH_MEMCPY)
        cr_assert_fail(
            "%s at %s moves %s%% of memcpy's bandwidth (median of each of %d attempts), "
            "need >= %.0f%%",
            ph_kind_name(kind), size, tried, a, 100 * need);
    else if (base == PH_LINE)
        cr_assert_fail("%s round trip at %s: %sx the cache-line round trip measured "
                       "beside it (median of each of %d attempts), need <= %.1fx",
                       ph_kind_name(kind), size, tried, a, need);
    else
        cr_assert_fail(
            "%s/pipe at %s: %sx (median of each of %d attempts), need >= %.1fx",
            ph_kind_name(kind), size, tried, a, need);
}

/*
 * RATIO_TEST(suite, name, kind, base, size, count, need) defines Test(suite, name):
 * require_ratio(kind, base, size, count, need). One line a test, so the thresholds
 * read as the table they are.
 */
#define RATIO_TEST(suite, name, kind, base, size, count, need)                           \
    Test(suite, name)                                                                    \
    {                                                                                    \
        require_ratio(kind, base, size, count, need);                                    \
    }

/* ---- gate: what a correct, cache-aware ring reaches ---------------------------- */

RATIO_TEST(gate, spin_ring_2x_pipe_at_4k, IPC_SPIN_RING, PH_PIPE, 4096, COUNT_4K, 2.0)

RATIO_TEST(gate, spin_ring_4x_pipe_at_64b, IPC_SPIN_RING, PH_PIPE, 64, COUNT_64B, 4.0)

RATIO_TEST(gate, spin_ring_4pct_memcpy_at_4k, IPC_SPIN_RING, PH_MEMCPY, 4096, COUNT_4K,
           0.04)

RATIO_TEST(gate, block_ring_1_3x_pipe_at_4k, IPC_BLOCK_RING, PH_PIPE, 4096, COUNT_4K, 1.3)

RATIO_TEST(gate, spin_ring_rtt_4x_cache_line, IPC_SPIN_RING, PH_LINE, 64, COUNT_RTT, 4.0)

/* ---- ambitious: a ring tuned further (cached indices, batching, alignment) ------ */

RATIO_TEST(ambitious, spin_ring_3_5x_pipe_at_4k, IPC_SPIN_RING, PH_PIPE, 4096, COUNT_4K,
           3.5)

RATIO_TEST(ambitious, spin_ring_8x_pipe_at_64b, IPC_SPIN_RING, PH_PIPE, 64, COUNT_64B,
           8.0)

RATIO_TEST(ambitious, spin_ring_6pct_memcpy_at_4k, IPC_SPIN_RING, PH_MEMCPY, 4096,
           COUNT_4K, 0.06)

RATIO_TEST(ambitious, spin_ring_rtt_2_5x_cache_line, IPC_SPIN_RING, PH_LINE, 64,
           COUNT_RTT, 2.5)
