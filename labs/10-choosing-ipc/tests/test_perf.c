/* test_perf.c - lab 10 speed gates: the rings against a pipe and memcpy, measured by the
 * tests. */
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
 * receiver, its own sequence checks, and its own plain pipe as the baseline.
 */
TestSuite(gate, .timeout = 30);
TestSuite(ambitious, .timeout = 30);

/* Messages per measurement: about 20-50 ms each on a current machine. */
#define COUNT_64B 200000
#define COUNT_4K  20000

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

/* True while another attempt may start: the first always, later ones after a pause. */
static bool another_attempt(int done, double started)
{
    if (done == 0)
        return true;
    if (done >= MAX_ATTEMPTS || ph_now() - started > RETRY_SECONDS)
        return false;
    struct timespec pause = {0, 400 * 1000 * 1000}; /* let a slow phase pass */
    nanosleep(&pause, NULL);
    return true;
}

/* Fail unless kind's median ratio to the baseline reaches need in some attempt. */
static void require_ratio(enum ipc_kind kind, bool against_memcpy, size_t msg_size,
                          size_t count, double need)
{
    char runs[128], tried[MAX_ATTEMPTS * 12] = "";
    size_t used = 0;
    int a = 0;
    double started = ph_now();
    const char *size = msg_size == 64 ? "64 B" : "4 KiB";
    const char *base = against_memcpy ? "memcpy" : "pipe";
    ph_perf_required();
    for (; another_attempt(a, started); a++) {
        double r =
            ph_gate_ratio(kind, against_memcpy, msg_size, count, runs, sizeof runs);
        cr_log_info("%s/%s at %s, attempt %d: median %.3f (runs %s)", ph_kind_name(kind),
                    base, size, a + 1, r, runs);
        if (r >= need)
            return;
        used += (size_t)snprintf(tried + used, sizeof tried - used, "%s%.2f",
                                 a ? " " : "", against_memcpy ? 100 * r : r);
    }
    if (against_memcpy)
        cr_assert_fail(
            "%s at %s moves %s%% of memcpy's bandwidth (median of each of %d attempts), "
            "need >= %.0f%%",
            ph_kind_name(kind), size, tried, a, 100 * need);
    else
        cr_assert_fail(
            "%s/pipe at %s: %sx (median of each of %d attempts), need >= %.1fx",
            ph_kind_name(kind), size, tried, a, need);
}

/* ---- gate: what a correct, cache-aware ring reaches ---------------------------- */

Test(gate, spin_ring_2x_pipe_at_4k)
{
    require_ratio(IPC_SPIN_RING, false, 4096, COUNT_4K, 2.0);
}

Test(gate, spin_ring_4x_pipe_at_64b)
{
    require_ratio(IPC_SPIN_RING, false, 64, COUNT_64B, 4.0);
}

Test(gate, spin_ring_8pct_memcpy_at_4k)
{
    require_ratio(IPC_SPIN_RING, true, 4096, COUNT_4K, 0.08);
}

Test(gate, block_ring_1_3x_pipe_at_4k)
{
    require_ratio(IPC_BLOCK_RING, false, 4096, COUNT_4K, 1.3);
}

/* ---- ambitious: a ring tuned further (cached indices, batching, alignment) ------ */

Test(ambitious, spin_ring_3_5x_pipe_at_4k)
{
    require_ratio(IPC_SPIN_RING, false, 4096, COUNT_4K, 3.5);
}

Test(ambitious, spin_ring_8x_pipe_at_64b)
{
    require_ratio(IPC_SPIN_RING, false, 64, COUNT_64B, 8.0);
}

Test(ambitious, spin_ring_15pct_memcpy_at_4k)
{
    require_ratio(IPC_SPIN_RING, true, 4096, COUNT_4K, 0.15);
}

Test(ambitious, spin_ring_rtt_p50_under_300ns)
{
    ph_perf_required();
    errno = 0;
    const struct ipc_ops *ops = ipc_transport(IPC_SPIN_RING);
    cr_assert_not_null(ops, "ipc_transport(IPC_SPIN_RING) returned NULL: %s",
                       strerror(errno));
    char tried[MAX_ATTEMPTS * 8] = "";
    size_t used = 0;
    double started = ph_now();
    for (int a = 0; another_attempt(a, started); a++) {
        double p50 = ph_rtt_p50_ns(ops, 64, 1000, 20000);
        cr_log_info("spin-ring round trip at 64 B, attempt %d: p50 %.0f ns", a + 1, p50);
        if (p50 < 300.0)
            return;
        used += (size_t)snprintf(tried + used, sizeof tried - used, "%s%.0f",
                                 a ? " " : "", p50);
    }
    cr_assert_fail(
        "spin-ring round trip at 64 B: p50 %s ns (one per attempt), need < 300 ns",
        tried);
}
