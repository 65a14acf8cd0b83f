/* choosing.h - lab 10: measure every IPC mechanism, and a shared-memory ring that beats
 * them. */
#ifndef IPCLAB_CHOOSING_H
#define IPCLAB_CHOOSING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* ===================================================================== */
/*  Provided: the transport interface and the result types               */
/* ===================================================================== */

/*
 * A channel joins two processes: side A opens it and forks, side B is the
 * forked peer. Each side sends to the other and receives from it, so a
 * channel is two one-way links (A->B and B->A) of fixed-size messages:
 * every send and every receive moves exactly the msg_size bytes the channel
 * was opened with, whatever the mechanism underneath.
 *
 *     side A (opened it)                      side B (forked peer)
 *     send ---------------- link A->B ---------------> recv
 *     recv <--------------- link B->A ---------------- send
 *
 * The life of a channel, in this order:
 *   ops->open(&c, msg_size)    one process, before fork: makes both links
 *   fork()
 *   ops->attach(c, SIDE_A)     in the parent; ops->attach(c, SIDE_B) in the child
 *   ops->send(c, msg) / ops->recv(c, buf), any number of times
 *   ops->close(c)              in each process, once
 */
enum ipc_side { SIDE_A = 0, SIDE_B = 1 };

/* Every mechanism the lab measures, in the order the table prints them. */
enum ipc_kind {
    IPC_PIPE,           /* "pipe":           two pipes                            */
    IPC_UNIX_STREAM,    /* "unix-stream":    socketpair(AF_UNIX, SOCK_STREAM)     */
    IPC_UNIX_SEQPACKET, /* "unix-seqpacket": socketpair(AF_UNIX, SOCK_SEQPACKET)  */
    IPC_TCP,            /* "tcp":            one TCP connection over 127.0.0.1    */
    IPC_POSIX_MQ,       /* "posix-mq":       two POSIX message queues             */
    IPC_SYSV_MSG,       /* "sysv-msg":       one SysV queue, mtype = direction    */
    IPC_SHM_SEM,        /* "shm-sem":        shared slots + process-shared sems   */
    IPC_SPIN_RING,      /* "spin-ring":      two spin_rings (exercise 2)          */
    IPC_BLOCK_RING,     /* "block-ring":     two block_rings (exercise 3)         */
    IPC_NKINDS
};

#define IPC_MAX_MSG 65536u /* the largest msg_size a channel accepts */

struct ipc_chan; /* each transport defines its own (in src/transports.c) */

/*
 * The operations of one mechanism. Every function returns 0 (open, attach,
 * send, recv) or -1 with errno set, like a system call.
 *
 * open   makes both links for messages of exactly msg_size bytes (1 to
 *        IPC_MAX_MSG, else EINVAL) and stores the new channel in *out.
 *        Named kernel objects (POSIX queue names) are unlinked before open
 *        returns: nothing can be left behind by a crash. Nothing may be left
 *        open or allocated when open fails, whichever of its calls failed; it
 *        then fails with that call's errno.
 * attach tells the channel which side this process is (EINVAL for any
 *        other value) and closes the descriptors this side never uses, so
 *        that a peer's death shows as EOF or EPIPE where the mechanism can.
 * send   sends one message of msg_size bytes to the other side, blocking
 *        while the link is full. It retries short writes and EINTR and
 *        splits a message the mechanism cannot carry in one piece (read the
 *        limits in /proc/sys/fs/mqueue/msgsize_max and /proc/sys/kernel/msgmax).
 *        Sockets send with MSG_NOSIGNAL (EPIPE when the peer has gone); a
 *        write to a pipe whose reader has gone raises SIGPIPE, which the
 *        caller decides about (the benchmarks ignore it while they run).
 * recv   receives one message of msg_size bytes from the other side into
 *        buf, blocking while the link is empty; EPIPE if the peer has gone
 *        (end of file) where the mechanism can tell.
 *        A call send or recv makes that fails with another error than EINTR
 *        ends it: -1 with that call's errno.
 * close  releases what this process holds (descriptors, mappings, memory),
 *        attached or not: no MAP_SHARED mapping of the channel stays, and
 *        every block open allocated (malloc, calloc, realloc) is freed (the
 *        tests count the blocks your code holds before open and after close).
 *        In the process that opened c (side A, attached yet or not) it also
 *        removes the kernel objects (SysV queue, semaphores); in side B, or
 *        in a child that never attached, it removes nothing. c is freed and
 *        must not be used again. It closes each descriptor once (a second
 *        close of a number may close what another thread just opened).
 *
 * Every descriptor number is valid, 0 included: a process may run with
 * stdin closed, and then open's first descriptor is 0. The channel must
 * work, and close release it, as with any other number.
 */
struct ipc_ops {
    const char *name; /* "pipe", "unix-stream", ... as in enum ipc_kind */
    int (*open)(struct ipc_chan **out, size_t msg_size);
    int (*attach)(struct ipc_chan *c, enum ipc_side side);
    int (*send)(struct ipc_chan *c, const void *msg);
    int (*recv)(struct ipc_chan *c, void *buf);
    void (*close)(struct ipc_chan *c);
};

/*
 * What one benchmark run measured. Throughput runs fill messages, seconds
 * and mb_per_s; latency runs fill messages (round trips), seconds, p50_us
 * and p99_us. The other fields are 0.
 */
struct bench_result {
    const char *name; /* ops->name */
    size_t msg_size;  /* bytes per message */
    size_t messages;  /* messages received (throughput) or round trips (latency) */
    double seconds;   /* wall time of the measured part */
    double mb_per_s;  /* msg_size * messages / seconds / 1e6 */
    double p50_us;    /* median round trip, microseconds */
    double p99_us;    /* 99th percentile round trip, microseconds */
};

/* The table's columns: throughput at three message sizes, then latency. */
enum { COL_64B, COL_4K, COL_64K, NCOLS };
static const size_t col_msg_size[NCOLS] = {64, 4096, 65536};

/*
 * One row of the comparison table: a mechanism's figures. A figure that was
 * not measured (or failed) is NaN, and is printed as "-".
 */
struct bench_row {
    const char *name;   /* mechanism name */
    double mb_per_s[3]; /* throughput at 64 B, 4 KiB and 64 KiB */
    double p50_us;      /* round trip at 64 B */
    double p99_us;      /* 99th percentile round trip at 64 B */
};

/* ===================================================================== */
/*  Functions you implement                                              */
/* ===================================================================== */

/* ---- Exercise 1: one transport per mechanism (src/transports.c) ------ */

/*
 * ipc_transport - the operations of mechanism `kind`.
 *
 * Returns a pointer to a table that lives as long as the program (never
 * free it), or NULL with errno = EINVAL for a kind outside enum ipc_kind.
 * The names are exactly the ones in the comments of enum ipc_kind.
 *
 * Mechanism: each transport moves its messages with the mechanism its name
 * and comment give, or the comparison compares nothing. The tests check the
 * calls your code makes: "pipe" calls pipe or pipe2, "unix-stream" and
 * "unix-seqpacket" socketpair or socket, "tcp" socket and connect,
 * "posix-mq" mq_send or mq_timedsend and mq_receive or mq_timedreceive,
 * "sysv-msg" msgsnd and msgrcv, "shm-sem" a semaphore post and wait
 * (sem_post, sem_wait/sem_timedwait/sem_trywait, or semop).
 *
 * Speed: the tests' speed gates measure the "spin-ring" and "block-ring"
 * tables (so their geometry counts as much as src/ring.c) on two pinned
 * CPUs, and only ever as ratios to a floor measured in the same run on
 * the same CPUs: throughput against the tests' own two-pipe channel, a
 * ring's typical 4 KiB rate against one core's memcpy, and the 64 B round
 * trip against a bare cache-line ping-pong between the two CPUs. Each
 * gate's ratio is in its name (lab.ini has the figures, the handout how
 * they are measured); none depends on this machine's absolute speed.
 */
const struct ipc_ops *ipc_transport(enum ipc_kind kind);

/* ---- Exercise 2: a spinning SPSC ring in shared memory (src/ring.c) -- */

/*
 * A single-producer/single-consumer ring of `slots` slots, each holding one
 * message of 0 to `slot_size` bytes (so a ring holds exactly `slots`
 * messages when full), that lives in memory both processes
 * map (MAP_SHARED). Its layout is yours to design in src/ring.c (define
 * struct spin_ring there, or cast the memory to a struct of your own), and
 * it is the heart of the exercise: head and tail on their own cache lines,
 * each side's cached copy of the other's index, power-of-two slots, C11
 * atomics with release stores and acquire loads. A test checks the one
 * rule of layout that matters most: no cache line may be written both by
 * every push and by every pop.
 */
struct spin_ring;

/*
 * spin_ring_bytes - bytes of shared memory a ring of this geometry needs
 * (header included), or 0 if the geometry is invalid (see spin_ring_init).
 */
size_t spin_ring_bytes(uint32_t slots, uint32_t slot_size);

/*
 * spin_ring_init - make the memory at r (spin_ring_bytes(slots, slot_size)
 * bytes, 64-byte aligned) an empty ring. The ring lives in those bytes and
 * no more: neither init nor any later call writes outside them, whatever
 * the messages' lengths (the caller may keep its own data right after).
 *
 * Returns 0, or -1 with errno = EINVAL if r is NULL or misaligned, slots is
 * not a power of two between 2 and 2^20, or slot_size is not between 1 and
 * 2^20. Call it once, before fork; there is nothing to destroy.
 */
int spin_ring_init(struct spin_ring *r, uint32_t slots, uint32_t slot_size);

/*
 * spin_ring_try_push - producer: append a message of len bytes unless the
 * ring is full. Never blocks. The message becomes visible to the consumer
 * only after all of its bytes are in the slot (release).
 *
 * Returns 0, or -1 with errno = EAGAIN if the ring is full, EMSGSIZE if len
 * is greater than slot_size.
 */
int spin_ring_try_push(struct spin_ring *r, const void *msg, uint32_t len);

/*
 * spin_ring_try_pop - consumer: take the oldest message into buf (cap
 * bytes) unless the ring is empty. Never blocks.
 *
 * Returns the message's length, or -1 with errno = EAGAIN if the ring is
 * empty, EMSGSIZE if cap is smaller than the message (which then stays in
 * the ring, untouched).
 */
ssize_t spin_ring_try_pop(struct spin_ring *r, void *buf, uint32_t cap);

/*
 * spin_ring_push / spin_ring_pop - the same, but wait (spinning, with a CPU
 * pause and now and then sched_yield so a peer on the same CPU can run)
 * while the ring is full / empty. Errors as above, never EAGAIN.
 */
int spin_ring_push(struct spin_ring *r, const void *msg, uint32_t len);
ssize_t spin_ring_pop(struct spin_ring *r, void *buf, uint32_t cap);

/* ---- Exercise 3: the same ring, sleeping when idle (src/ring.c) ------ */

/*
 * A block_ring is a spin_ring's sibling that puts a waiting side to sleep
 * (futex(2) or process-shared POSIX semaphores) instead of burning a CPU:
 * a consumer waiting on an empty ring, or a producer on a full one, uses no
 * CPU time until the other side makes progress. A side is woken only when
 * it sleeps: while neither side is asleep (a side that slept and was woken
 * is awake again), push and pop make no wake-up system call. Geometry rules
 * and errno values are those of the spin_ring.
 */
struct block_ring;

size_t block_ring_bytes(uint32_t slots, uint32_t slot_size);

/* block_ring_init - as spin_ring_init. Destroy with block_ring_destroy. */
int block_ring_init(struct block_ring *r, uint32_t slots, uint32_t slot_size);

/*
 * block_ring_push - append a message of len bytes, sleeping while the ring
 * is full. Returns 0, or -1 with errno = EMSGSIZE if len > slot_size.
 */
int block_ring_push(struct block_ring *r, const void *msg, uint32_t len);

/*
 * block_ring_pop - take the oldest message into buf, sleeping while the
 * ring is empty. Returns its length, or -1 with errno = EMSGSIZE if cap is
 * too small (the message stays in the ring). Every message taken, one of 0
 * bytes too, frees its slot and wakes a producer waiting for one.
 */
ssize_t block_ring_pop(struct block_ring *r, void *buf, uint32_t cap);

/*
 * block_ring_destroy - release what init set up (semaphores), once, after
 * both sides are done. Returns 0, or -1 with errno set.
 */
int block_ring_destroy(struct block_ring *r);

/* ---- Exercise 4: the benchmark harness (src/bench.c) ----------------- */

/*
 * Every benchmark message carries its sequence number (0, 1, 2, ...) as a
 * uint64_t in its first 8 bytes and again in its last 8 bytes, so the
 * receiver can tell a lost, repeated, reordered or torn message (a stamp
 * that differs from the number in any bit is wrong); the rest of
 * the message is left as it is. Benchmarks need msg_size >= BENCH_MIN_MSG.
 */
#define BENCH_MIN_MSG 16u

/*
 * bench_throughput - send `count` messages of msg_size bytes one way, from
 * side A (this process) to side B (a forked child), and time it.
 *
 * Opens a channel with ops, forks, and pins the two sides to different
 * CPUs (the first two of this process's affinity mask; unpinned when there
 * is only one: both sides then run on that CPU), restoring this process's
 * mask before returning. Both sides are ready before the clock starts; the
 * clock stops when B has received the last message. B checks every
 * message's two sequence numbers.
 *
 * Returns 0 and fills *out, or -1 with errno = EINVAL (NULL argument,
 * count 0, msg_size outside BENCH_MIN_MSG..IPC_MAX_MSG), EPROTO (a message
 * arrived with a wrong sequence number), EPIPE (side B ended without
 * reporting how its part went: it crashed), ETIMEDOUT (side B still waits
 * for a lost message: side A gives up at most 20 s after its last send), or
 * the errno of the call that failed first, on either side: an error caused
 * by the other side's failure (EPIPE after the peer gave up) never hides
 * the first one. In every case the channel and every descriptor the
 * harness opened (0 too, when stdin was closed) are closed in this
 * process, every block it allocated in this process is freed (the tests
 * count the blocks your code holds), and the child has ended (side A may
 * kill it: many mechanisms cannot tell a receiver that its sender is gone)
 * and been reaped, before it returns. A call of the harness that a signal
 * interrupts (EINTR) is retried, in both processes. SIGPIPE is ignored
 * while it runs, and its action (default or not) given back before it
 * returns.
 */
int bench_throughput(const struct ipc_ops *ops, size_t msg_size, size_t count,
                     struct bench_result *out);

/*
 * bench_latency - `count` round trips of msg_size bytes: A (this process)
 * sends a message, B (the forked child) sends it straight back, A checks
 * it and times each trip on its own
 * (CLOCK_MONOTONIC). Fills messages, seconds, p50_us and p99_us (the
 * round trips at ranks count/2 and count*99/100 of the sorted times).
 * Pinning, errors and clean-up as bench_throughput.
 */
int bench_latency(const struct ipc_ops *ops, size_t msg_size, size_t count,
                  struct bench_result *out);

/* ---- Exercise 5: the comparison table (src/bench.c) ------------------ */

/*
 * report_row - format one table row into buf (len bytes, NUL-terminated):
 *
 *     name (left, 16 wide), then for each of the three sizes the throughput
 *     ("%10.1f") and its ratio to base's figure in that column ("%7.2fx"),
 *     then p50 and p99 ("%9.2f" each), fields separated by one space.
 *
 * A figure that is NaN prints as "-" right-aligned in its field's width
 * (10 for throughput, 9 for p50 and p99); so does a ratio whose figure or
 * base figure is NaN or 0, in the 8 characters "%7.2fx" takes. base may be
 * row itself (ratios 1.00x). Returns the length written, or -1 with errno =
 * EINVAL (NULL argument) or ENOSPC (buf too small; buf is then "").
 */
int report_row(char *buf, size_t len, const struct bench_row *row,
               const struct bench_row *base);

/*
 * report_fastest - the row with the highest throughput in column col
 * (COL_64B .. COL_64K), or with the lowest p50 when col is NCOLS.
 * NaN figures never win; a tie goes to the earlier row. Returns NULL with
 * errno = ENOENT when no row has a figure there, EINVAL for a bad col or
 * NULL rows.
 */
const struct bench_row *report_fastest(const struct bench_row *rows, size_t n, int col);

/*
 * report_print - print the whole comparison to out, in exactly this layout:
 *
 *   a header line naming the columns; one report_row line per row, ratios
 *   against the row named "pipe" (all ratios "-" if there is none); a blank
 *   line; the winners, one line each, exactly
 *       "fastest at 64 B: NAME", "fastest at 4 KiB: NAME",
 *       "fastest at 64 KiB: NAME", "lowest round trip: NAME"
 *   (report_fastest; NAME is "-" when no row has that figure); a blank
 *   line; then the source notes' decision tree, each leaf followed by the
 *   measured 4 KiB throughput and p50 of its mechanism when a row has them.
 *
 * Returns 0, or -1 with errno = EINVAL (NULL out or rows) or the errno of
 * a failed write to out.
 */
int report_print(FILE *out, const struct bench_row *rows, size_t n);

#endif /* IPCLAB_CHOOSING_H */
