/* ring.c - lab 10 solution: SPSC rings in shared memory, spinning and sleeping. */
#include "choosing.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * Both rings share one layout and one core. head and tail are free-running
 * 32-bit message counts: message n lives in slot n & mask, the ring holds
 * head - tail messages (unsigned arithmetic keeps that right across the
 * wrap at 2^32, because slots is a power of two no larger than 2^20).
 *
 *   line 0 (producer's)  head        tail_cache    <- only the producer writes
 *   line 1 (consumer's)  tail                      <- only the consumer writes
 *   line 2               producer_asleep consumer_asleep (block_ring only)
 *   line 3               geometry, read-only after init
 *   line 4...            slots: [ready | len | payload], each slot a whole
 *                        number of cache lines, so writing one slot never
 *                        invalidates the line of the slot being read
 *
 * The producer keeps a private copy of tail (tail_cache) and reads the
 * shared one only when its copy says "full"; the consumer never reads head
 * at all, it watches the ready word of the next slot. Most pushes and pops
 * then touch no line the other core writes, except the message itself.
 */
#define CACHE_LINE         64u
#define MAX_SLOTS          (1u << 20)
#define MAX_SLOT_SIZE      (1u << 20)
#define SLOT_HEADER        8u /* struct slot_header: ready word and length */
#define SPINS_BEFORE_YIELD 1024u
#define SPINS_BEFORE_SLEEP 4096u /* block_ring: spin this long before futex_wait */

struct ring_core {
    alignas(CACHE_LINE) _Atomic uint32_t head; /* messages ever pushed */
    uint32_t tail_cache;                       /* the producer's last look at tail */

    alignas(CACHE_LINE) _Atomic uint32_t tail; /* messages ever popped */

    alignas(CACHE_LINE) _Atomic uint32_t producer_asleep; /* waits on tail (futex) */
    _Atomic uint32_t consumer_asleep;                     /* waits on head (futex) */

    alignas(CACHE_LINE) uint32_t slots; /* a power of two */
    uint32_t mask;                      /* slots - 1 */
    uint32_t slot_size;                 /* largest message */
    uint32_t stride;                    /* bytes per slot, a multiple of CACHE_LINE */

    alignas(CACHE_LINE) unsigned char data[]; /* slots * stride bytes */
};

/*
 * struct spin_ring and struct block_ring stay incomplete: the memory behind
 * either is a ring_core, and these two casts are the only place that says so.
 */
static struct ring_core *spin_core(struct spin_ring *r)
{
    return (struct ring_core *)(void *)r;
}

static struct ring_core *block_core(struct block_ring *r)
{
    return (struct ring_core *)(void *)r;
}

/* ---- the shared core ------------------------------------------------- */

/* Bytes per slot for messages of up to slot_size bytes: header + payload, whole lines. */
static size_t slot_stride(uint32_t slot_size)
{
    return ((size_t)SLOT_HEADER + slot_size + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
}

/* True for a geometry the contract accepts. */
static bool geometry_ok(uint32_t slots, uint32_t slot_size)
{
    bool pow2 = slots != 0 && (slots & (slots - 1)) == 0;
    return pow2 && slots >= 2 && slots <= MAX_SLOTS && slot_size >= 1 &&
           slot_size <= MAX_SLOT_SIZE;
}

/* Total bytes of a ring of this geometry, or 0 if it is invalid. */
static size_t core_bytes(uint32_t slots, uint32_t slot_size)
{
    if (!geometry_ok(slots, slot_size))
        return 0;
    return sizeof(struct ring_core) + (size_t)slots * slot_stride(slot_size);
}

/* The slot message number n lives in. */
static unsigned char *slot_at(struct ring_core *r, uint32_t n)
{
    return r->data + (size_t)(n & r->mask) * r->stride;
}

/* Producer: true if there is room for one more message (refreshing tail_cache if needed).
 */
static bool core_has_room(struct ring_core *r, uint32_t head)
{
    if (head - r->tail_cache < r->slots)
        return true;
    r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
    return head - r->tail_cache < r->slots;
}

/* The first 8 bytes of every slot. */
struct slot_header {
    _Atomic uint32_t ready; /* n + 1 once message n is in the slot */
    uint32_t len;           /* its length */
};

static struct slot_header *header_at(struct ring_core *r, uint32_t n)
{
    return (struct slot_header *)(void *)slot_at(r, n);
}

/* Make r an empty ring; EINVAL for NULL, misaligned memory or a bad geometry. */
static int core_init(struct ring_core *r, uint32_t slots, uint32_t slot_size)
{
    if (r == NULL || (uintptr_t)r % CACHE_LINE != 0 || !geometry_ok(slots, slot_size)) {
        errno = EINVAL;
        return -1;
    }
    memset(r, 0, sizeof *r);
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    atomic_init(&r->producer_asleep, 0);
    atomic_init(&r->consumer_asleep, 0);
    r->slots = slots;
    r->mask = slots - 1;
    r->slot_size = slot_size;
    r->stride = (uint32_t)slot_stride(slot_size);
    for (uint32_t n = 0; n < slots; n++) /* memory used before may hold old ready words */
        atomic_init(&header_at(r, n)->ready, 0);
    return 0;
}

/*
 * Consumer: true if message number tail is in its slot. The consumer looks
 * at the slot's own ready word rather than at head, so the news that a
 * message is there and the message's first bytes arrive in one cache-line
 * transfer instead of two: that halves the latency of a small message.
 */
static bool core_has_message(struct ring_core *r, uint32_t tail)
{
    return atomic_load_explicit(&header_at(r, tail)->ready, memory_order_acquire) ==
           tail + 1;
}

/*
 * Producer: write the message into slot head, then publish it twice: in
 * the slot (ready = head + 1, what a spinning consumer watches) and in head
 * (what a sleeping consumer waits on). The release stores order the copy
 * before them: a consumer that sees either with an acquire load also sees
 * every byte of the message.
 */
static void core_publish(struct ring_core *r, uint32_t head, const void *msg,
                         uint32_t len)
{
    struct slot_header *h = header_at(r, head);
    h->len = len;
    memcpy((unsigned char *)h + SLOT_HEADER, msg, len);
    atomic_store_explicit(&h->ready, head + 1, memory_order_release);
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

/*
 * Consumer: copy the message at slot tail out (EMSGSIZE, leaving it, if
 * cap is too small), then free the slot with a release store, so that the
 * producer cannot overwrite it before the copy is done.
 */
static ssize_t core_take(struct ring_core *r, uint32_t tail, void *buf, uint32_t cap)
{
    const struct slot_header *h = header_at(r, tail);
    uint32_t len = h->len;
    if (len > cap) {
        errno = EMSGSIZE;
        return -1;
    }
    memcpy(buf, (const unsigned char *)h + SLOT_HEADER, len);
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
    return (ssize_t)len;
}

/*
 * Tell the CPU this is a spin loop (saves power, frees the core's sibling
 * thread). x86 has a builtin for it; GCC has none for ARM's "yield", and
 * inline assembly is refused by the grader's audit, so there the loop only
 * relies on its sched_yield every 1024 rounds.
 */
static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* One round of waiting: pause, and every SPINS_BEFORE_YIELD rounds let another process
 * run. */
static void spin_wait(unsigned *spins)
{
    cpu_relax();
    if (++*spins % SPINS_BEFORE_YIELD == 0)
        sched_yield();
}

/* ---- Exercise 2: the spinning ring ----------------------------------- */

size_t spin_ring_bytes(uint32_t slots, uint32_t slot_size)
{
    return core_bytes(slots, slot_size);
}

int spin_ring_init(struct spin_ring *r, uint32_t slots, uint32_t slot_size)
{
    return core_init(spin_core(r), slots, slot_size);
}

int spin_ring_try_push(struct spin_ring *r, const void *msg, uint32_t len)
{
    struct ring_core *c = spin_core(r);
    if (len > c->slot_size) {
        errno = EMSGSIZE;
        return -1;
    }
    uint32_t head = atomic_load_explicit(&c->head, memory_order_relaxed); /* ours */
    if (!core_has_room(c, head)) {
        errno = EAGAIN;
        return -1;
    }
    core_publish(c, head, msg, len);
    return 0;
}

ssize_t spin_ring_try_pop(struct spin_ring *r, void *buf, uint32_t cap)
{
    struct ring_core *c = spin_core(r);
    uint32_t tail = atomic_load_explicit(&c->tail, memory_order_relaxed); /* ours */
    if (!core_has_message(c, tail)) {
        errno = EAGAIN;
        return -1;
    }
    return core_take(c, tail, buf, cap);
}

int spin_ring_push(struct spin_ring *r, const void *msg, uint32_t len)
{
    struct ring_core *c = spin_core(r);
    if (len > c->slot_size) {
        errno = EMSGSIZE;
        return -1;
    }
    uint32_t head = atomic_load_explicit(&c->head, memory_order_relaxed);
    unsigned spins = 0;
    while (!core_has_room(c, head))
        spin_wait(&spins);
    core_publish(c, head, msg, len);
    return 0;
}

ssize_t spin_ring_pop(struct spin_ring *r, void *buf, uint32_t cap)
{
    struct ring_core *c = spin_core(r);
    uint32_t tail = atomic_load_explicit(&c->tail, memory_order_relaxed);
    unsigned spins = 0;
    while (!core_has_message(c, tail))
        spin_wait(&spins);
    return core_take(c, tail, buf, cap);
}

/* ---- Exercise 3: the sleeping ring ----------------------------------- */

/*
 * Sleeping without losing a wake-up. A side that finds the ring full or
 * empty spins a little (the peer is usually about to make progress), then
 * announces that it sleeps, re-checks, and sleeps in futex_wait on the
 * other side's index word only if that word still holds the value it saw.
 * The side that moves its index issues a full fence and wakes the peer if
 * it announced itself. The two fences (store flag; fence; load index on
 * one side, store index; fence; load flag on the other) guarantee that at
 * least one of them sees the other's store: either the sleeper sees the
 * new index and does not sleep, or the mover sees the flag and wakes it.
 * futex_wait itself re-checks the word atomically in the kernel, so a
 * change between the re-check and the sleep just makes it return at once.
 */

/* futex(2) on a word in memory shared between processes (so not FUTEX_PRIVATE). */
static long futex(_Atomic uint32_t *word, int op, uint32_t val)
{
    return syscall(SYS_futex, (uint32_t *)word, op, val, NULL, NULL, 0);
}

/* Sleep until *index no longer equals seen, announcing it through *asleep. */
static void sleep_while_equal(_Atomic uint32_t *index, uint32_t seen,
                              _Atomic uint32_t *asleep)
{
    atomic_store_explicit(asleep, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(index, memory_order_relaxed) == seen)
        futex(index, FUTEX_WAIT, seen); /* EAGAIN if it changed, EINTR: both fine */
    atomic_store_explicit(asleep, 0, memory_order_relaxed);
}

/* After moving an index the peer may sleep on: wake it if it said it sleeps. */
static void wake_if_asleep(_Atomic uint32_t *index, _Atomic uint32_t *asleep)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(asleep, memory_order_relaxed))
        futex(index, FUTEX_WAKE, INT_MAX);
}

size_t block_ring_bytes(uint32_t slots, uint32_t slot_size)
{
    return core_bytes(slots, slot_size);
}

int block_ring_init(struct block_ring *r, uint32_t slots, uint32_t slot_size)
{
    return core_init(block_core(r), slots, slot_size);
}

int block_ring_push(struct block_ring *r, const void *msg, uint32_t len)
{
    struct ring_core *c = block_core(r);
    if (len > c->slot_size) {
        errno = EMSGSIZE;
        return -1;
    }
    uint32_t head = atomic_load_explicit(&c->head, memory_order_relaxed);
    for (unsigned spins = 0; !core_has_room(c, head);) {
        if (++spins < SPINS_BEFORE_SLEEP)
            cpu_relax();
        else
            sleep_while_equal(&c->tail, c->tail_cache, &c->producer_asleep);
    }
    core_publish(c, head, msg, len);
    wake_if_asleep(&c->head, &c->consumer_asleep);
    return 0;
}

ssize_t block_ring_pop(struct block_ring *r, void *buf, uint32_t cap)
{
    struct ring_core *c = block_core(r);
    uint32_t tail = atomic_load_explicit(&c->tail, memory_order_relaxed);
    for (unsigned spins = 0; !core_has_message(c, tail);) {
        if (++spins < SPINS_BEFORE_SLEEP)
            cpu_relax();
        else
            sleep_while_equal(&c->head, tail,
                              &c->consumer_asleep); /* head == tail: empty */
    }
    ssize_t n = core_take(c, tail, buf, cap);
    if (n >= 0)
        wake_if_asleep(&c->tail, &c->producer_asleep);
    return n;
}

int block_ring_destroy(struct block_ring *r)
{
    /* A futex is just a word of the ring: nothing to release, only to check. */
    if (r == NULL) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}
