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

/*
 * The floor of a round trip (name "cache-line"): each direction is one
 * 64-byte line of shared memory holding a sequence word and nothing else.
 * send stores the message's first stamp + 1 there (release); recv spins
 * (pause, sched_yield every 1024 rounds) until the peer's line holds a new
 * value (acquire) and writes the number it carries into both stamps of buf,
 * the first and the last 8 bytes. No payload moves, so a 64 B echo through
 * it hands one line to the other core and gets one back: the least any
 * shared-memory channel can do, measured on the CPUs and in the minute the
 * candidate is measured. recv fails with ETIMEDOUT after 10 s of silence (a
 * vanished peer) instead of spinning for ever. msg_size must be at least 16.
 */
const struct ipc_ops *ph_line_ops(void);

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
 * message. A run that takes longer than 0.25 s (a loaded machine) ends
 * there, with what it measured (at least count / 10 messages). The peer
 * checks both sequence stamps of every message. Fails the test (with what
 * went wrong) on any error.
 */
double ph_throughput(const struct ipc_ops *ops, size_t msg_size, size_t count);

/*
 * ph_block_rate - MB/s of the same run as ph_throughput, but from its median
 * block: the receiving peer notes the time of every (count / 40)-th measured
 * message, and the median of the blocks' times (39, fewer if the run was
 * cut short) gives the rate. A block in
 * which another process took either CPU is slow, the others are not: this is
 * the channel's speed while both sides run, whatever the machine's load.
 * A spinning ring (which needs both CPUs at once), a pipe (whose sleepers
 * the scheduler favours) and memcpy (one CPU) suffer from other processes
 * in different ways; their typical speeds compare on any machine.
 */
double ph_block_rate(const struct ipc_ops *ops, size_t msg_size, size_t count);

/*
 * ph_memcpy_mb_per_s - one core's memcpy bandwidth, MB/s: 128 KiB copied
 * back and forth between two 64-byte-aligned buffers (a 256 KiB working
 * set), each back-and-forth timed alone, for ~20 ms; the median one counts.
 */
double ph_memcpy_mb_per_s(void);

/*
 * ph_rtt_p50_ns - median round trip, in nanoseconds, of msg_size-byte
 * ping-pongs over ops between the two pinned processes: warm untimed trips,
 * then count timed ones, or as many as fit in 0.25 s (at least 64): a channel
 * that sleeps on every trip is told apart in a second, not in minutes.
 */
double ph_rtt_p50_ns(const struct ipc_ops *ops, size_t msg_size, size_t warm,
                     size_t count);

/* The floor a gate compares with, measured in the same run as the candidate. */
enum ph_base {
    PH_PIPE,   /* throughput of the reference pipe (ph_pipe_ops) */
    PH_MEMCPY, /* one core's memcpy bandwidth (ph_memcpy_mb_per_s) */
    PH_LINE,   /* the round trip of a bare cache-line ping-pong (ph_line_ops) */
};

/* "pipe", "memcpy" or "cache-line". */
const char *ph_base_name(enum ph_base base);

/*
 * ph_gate_ratio - the median over 5 alternating pairs (the floor, then kind)
 * of kind's figure divided by the floor's. PH_PIPE and PH_MEMCPY compare
 * throughput of count msg_size-byte messages, as ph_block_rate measures it
 * for kind and the pipe (higher is better); PH_LINE
 * compares the median round trip of count msg_size-byte echoes (after
 * count / 20 warm ones), so there the ratio is how many floors kind's round
 * trip costs (lower is better). runs receives the 5 ratios as text
 * ("2.5x 2.7x ...").
 */
double ph_gate_ratio(enum ipc_kind kind, enum ph_base base, size_t msg_size, size_t count,
                     char *runs, size_t len);

#endif /* IPCLAB_PERF_HELPERS_H */
