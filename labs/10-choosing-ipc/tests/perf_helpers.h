/* perf_helpers.h - lab 10 test-side helpers: patterns, CPUs, a reference pipe,
 * measurements. */
#ifndef IPCLAB_PERF_HELPERS_H
#define IPCLAB_PERF_HELPERS_H

#include "choosing.h"

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- general ------------------------------------------------------------- */

/* size bytes of zeroed MAP_SHARED | MAP_ANONYMOUS memory (aborts the test on error). */
void *ph_shared(size_t size);

/* Seconds on CLOCK_MONOTONIC (the same clock in every process). */
double ph_now(void);

/*
 * ph_fill - fill buf (len bytes) with a pattern that depends on seed and on
 * every byte's offset, so a lost, repeated, reordered or shifted piece shows.
 * ph_mismatch - offset of the first byte of buf that differs from
 * ph_fill(seed), or -1 if all len bytes match.
 */
void ph_fill(void *buf, size_t len, uint64_t seed);
long ph_mismatch(const void *buf, size_t len, uint64_t seed);

/* The name of kind as the header spells it ("pipe", ...), "?" outside the enum. */
const char *ph_kind_name(enum ipc_kind kind);

/* ---- CPUs ---------------------------------------------------------------- */

/*
 * ph_cpus - number of CPUs in this process's affinity mask; the first two
 * are stored in cpu[0] and cpu[1] (-1 when missing).
 */
int ph_cpus(int cpu[2]);

/* ph_pin - bind the calling process to one CPU. 0 or -1 with errno. */
int ph_pin(int cpu);

/* ---- a reference transport ------------------------------------------------ */

/*
 * A plain two-pipe transport written by the tests (name "pipe"): the
 * baseline of the speed gates and a well-behaved channel for the harness
 * tests, so neither depends on (or trusts) the student's transports.
 * Its send and recv survive a vanished peer: EPIPE, never SIGPIPE.
 */
const struct ipc_ops *ph_pipe_ops(void);

/* ph_pipe_shut_tx - close this side's sending end of a reference pipe channel (attached).
 */
void ph_pipe_shut_tx(struct ipc_chan *c);

/* ---- measurements (never the student's harness) ---------------------------- */

/*
 * ph_perf_required - skip the calling test when it cannot measure speed:
 * under valgrind, or with fewer than two CPUs in the affinity mask.
 */
void ph_perf_required(void);

/*
 * ph_throughput - MB/s of count messages of msg_size bytes from this
 * process (pinned to the first CPU) to a forked peer (pinned to the second)
 * over a fresh channel of ops: a handshake, a short warm-up, then the clock
 * runs from the first measured send to the peer's receipt of the last
 * message. The peer checks both sequence stamps of every message. Fails
 * the test (with what went wrong) on any error.
 */
double ph_throughput(const struct ipc_ops *ops, size_t msg_size, size_t count);

/* ph_memcpy_mb_per_s - memcpy between two 128 KiB buffers, best of 3 runs of ~20 ms. */
double ph_memcpy_mb_per_s(void);

/*
 * ph_rtt_p50_ns - median round trip, in nanoseconds, of msg_size-byte
 * ping-pongs over ops between the two pinned processes: warm untimed trips,
 * then count timed ones.
 */
double ph_rtt_p50_ns(const struct ipc_ops *ops, size_t msg_size, size_t warm,
                     size_t count);

/*
 * ph_gate_ratio - the median over 5 alternating pairs of kind's throughput
 * divided by the baseline's (the reference pipe, or memcpy when
 * against_memcpy). runs receives the 5 ratios as text ("2.5x 2.7x ...").
 */
double ph_gate_ratio(enum ipc_kind kind, bool against_memcpy, size_t msg_size,
                     size_t count, char *runs, size_t len);

#endif /* IPCLAB_PERF_HELPERS_H */
