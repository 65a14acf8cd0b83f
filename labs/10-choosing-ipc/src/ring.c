/* ring.c - lab 10 skeleton: a spinning and a sleeping SPSC ring in shared memory. */
#include "choosing.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ===================================================================== */
/*  Functions you implement                                              */
/* ===================================================================== */

/* ---- Exercise 2: the spin_ring --------------------------------------- */

/*
 * TODO(lab10): design the ring's layout. It lives in MAP_SHARED memory, so
 * it holds no pointers, only indices and bytes:
 *   - the producer's head and the consumer's tail, each an _Atomic counter
 *     on its own 64-byte cache line (alignas(64)), running free;
 *   - on the producer's line, its cached copy of tail; on the consumer's
 *     line, its cached copy of head (re-read the other's index only when
 *     the cached copy says full / empty);
 *   - the geometry (slots, mask = slots - 1, slot_size);
 *   - then the slots: each a length and slot_size bytes, at an offset that
 *     keeps the next slot 64-byte aligned (a flexible array member).
 */
struct spin_ring {
    uint32_t slots; /* placeholder: replace with your layout */
};

size_t spin_ring_bytes(uint32_t slots, uint32_t slot_size)
{
    /* TODO(lab10): 0 for a bad geometry, else header + slots * aligned slot. */
    (void)slots, (void)slot_size;
    return 0;
}

int spin_ring_init(struct spin_ring *r, uint32_t slots, uint32_t slot_size)
{
    /* TODO(lab10): check r, alignment, geometry (EINVAL), then set the header. */
    (void)r, (void)slots, (void)slot_size;
    errno = ENOSYS;
    return -1;
}

int spin_ring_try_push(struct spin_ring *r, const void *msg, uint32_t len)
{
    /* TODO(lab10): EMSGSIZE, EAGAIN when full, copy, then a release store of head + 1. */
    (void)r, (void)msg, (void)len;
    errno = ENOSYS;
    return -1;
}

ssize_t spin_ring_try_pop(struct spin_ring *r, void *buf, uint32_t cap)
{
    /* TODO(lab10): EAGAIN if empty (acquire head), EMSGSIZE, copy, release tail. */
    (void)r, (void)buf, (void)cap;
    errno = ENOSYS;
    return -1;
}

int spin_ring_push(struct spin_ring *r, const void *msg, uint32_t len)
{
    /* TODO(lab10): retry try_push on EAGAIN: a CPU pause, now and then sched_yield. */
    (void)r, (void)msg, (void)len;
    errno = ENOSYS;
    return -1;
}

ssize_t spin_ring_pop(struct spin_ring *r, void *buf, uint32_t cap)
{
    /* TODO(lab10): retry try_pop while EAGAIN, as spin_ring_push does. */
    (void)r, (void)buf, (void)cap;
    errno = ENOSYS;
    return -1;
}

/* ---- Exercise 3: the block_ring -------------------------------------- */

/*
 * TODO(lab10): design the sleeping ring. The spin_ring's layout, plus what
 * a waiting side sleeps on: two futex words (for example a count of waiting
 * consumers / producers and a sequence the other side bumps before
 * FUTEX_WAKE), or two process-shared sem_t (items and free slots).
 */
struct block_ring {
    uint32_t slots; /* placeholder: replace with your layout */
};

size_t block_ring_bytes(uint32_t slots, uint32_t slot_size)
{
    /* TODO(lab10): as spin_ring_bytes, with room for what the sleepers wait on. */
    (void)slots, (void)slot_size;
    return 0;
}

int block_ring_init(struct block_ring *r, uint32_t slots, uint32_t slot_size)
{
    /* TODO(lab10): as spin_ring_init, then futex words or sem_init(pshared 1). */
    (void)r, (void)slots, (void)slot_size;
    errno = ENOSYS;
    return -1;
}

int block_ring_push(struct block_ring *r, const void *msg, uint32_t len)
{
    /* TODO(lab10): EMSGSIZE, sleep while full, copy, wake a sleeping consumer. */
    (void)r, (void)msg, (void)len;
    errno = ENOSYS;
    return -1;
}

ssize_t block_ring_pop(struct block_ring *r, void *buf, uint32_t cap)
{
    /* TODO(lab10): sleep while empty, EMSGSIZE keeps it, copy, wake the producer. */
    (void)r, (void)buf, (void)cap;
    errno = ENOSYS;
    return -1;
}

int block_ring_destroy(struct block_ring *r)
{
    /* TODO(lab10): sem_destroy what init set up (nothing to do for futex words). */
    (void)r;
    errno = ENOSYS;
    return -1;
}
