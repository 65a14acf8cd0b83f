/* shm.h - lab 04: SysV and POSIX shared memory, offsets, lost updates, an SPSC ring. */
#ifndef IPCLAB_SHM_H
#define IPCLAB_SHM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ===================================================================== */
/*  Provided: shared data layouts (read them, do not change them)        */
/* ===================================================================== */

/*
 * The critical window of a read-modify-write. counter_add_racy() and
 * counter_add_locked() call hook(arg) after reading the counter and before
 * writing it back, so a test can park one process exactly there and let
 * another run. A NULL hook means "nothing to do".
 */
typedef void (*rmw_hook)(void *arg);

/* A counter protected by a spin lock, both in the same shared page. */
struct locked_counter {
    atomic_int lock; /* 0 = free, 1 = held; zero-filled memory is unlocked */
    long value;      /* only read or written while holding lock */
};

/*
 * The offset table: a region of shared memory that holds a header and a
 * singly linked list of entries. Links are byte offsets from the start of
 * the region, never pointers, so every process can map the region at any
 * address it likes. Offset 0 is the header itself, so 0 also means "none".
 *
 *   offset 0            OTABLE_FIRST                          hdr.used   hdr.size
 *   | otable_hdr        | entry | entry | entry | ...          | free ... |
 *     head ------------------------------^   next --^ (0 ends the list)
 */
#define OTABLE_MAGIC 0x4f54424cu /* "OTBL" */
#define OTABLE_ALIGN 8u          /* every entry starts at a multiple of 8 */

struct otable_hdr {
    uint32_t magic; /* OTABLE_MAGIC once initialised */
    uint32_t size;  /* bytes in the whole region, header included */
    uint32_t used;  /* offset of the first free byte (a multiple of 8) */
    uint32_t count; /* number of entries */
    uint64_t head;  /* offset of the newest entry, 0 if the table is empty */
};

struct otable_entry {
    uint64_t next; /* offset of the next (older) entry, 0 at the end */
    int64_t value; /* the value stored under name */
    uint32_t nlen; /* strlen(name) */
    uint32_t pad;  /* keeps name 8-byte aligned, unused */
    char name[];   /* nlen bytes and a NUL */
};

/* First entry offset: the header rounded up to OTABLE_ALIGN. */
#define OTABLE_FIRST ((uint32_t)((sizeof(struct otable_hdr) + 7u) & ~7u))

/* Bytes an entry for a name of nlen characters takes, rounded up to 8. */
static inline uint32_t otable_entry_bytes(size_t nlen)
{
    return (uint32_t)((sizeof(struct otable_entry) + nlen + 1 + 7u) & ~(size_t)7u);
}

/* Offset <-> address in this process's mapping of the region at base. */
static inline void *otable_at(void *base, uint64_t off)
{
    return off == 0 ? NULL : (char *)base + off;
}
static inline uint64_t otable_off(const void *base, const void *p)
{
    return (uint64_t)((const char *)p - (const char *)base);
}

/*
 * The single-producer/single-consumer ring. head and tail are free-running
 * 64-bit message counts (they never wrap in practice); a message number n
 * lives in slots[n & mask]. The ring is empty when head == tail and full
 * when head - tail == capacity. Only the producer stores head, only the
 * consumer stores tail; each sits on its own cache line.
 */
struct spsc_ring {
    _Alignas(64) atomic_uint_least64_t head; /* messages ever pushed */
    _Alignas(64) atomic_uint_least64_t tail; /* messages ever popped */
    _Alignas(64) uint32_t capacity;          /* a power of two */
    uint32_t mask;                           /* capacity - 1 */
    uint64_t slots[];                        /* capacity slots */
};

/* Bytes to allocate (in shared memory) for a ring of `capacity` slots. */
static inline size_t spsc_ring_bytes(uint32_t capacity)
{
    return sizeof(struct spsc_ring) + (size_t)capacity * sizeof(uint64_t);
}

/* ===================================================================== */
/*  Functions you implement (src/shm.c)                                  */
/* ===================================================================== */

/* ---- Exercise 1: System V shared memory ------------------------------ */

/*
 * sysv_attach - get the SysV segment for key (creating it if there is none)
 * and attach it read-write.
 *
 * A new segment gets `size` bytes and mode 0600; an existing one must be at
 * least `size` bytes. key may be IPC_PRIVATE (always a new segment). The
 * segment id is stored in *shmid. If this call created the segment and then
 * fails to attach it, it removes the segment again before returning.
 *
 * Returns the attach address, or NULL with errno set: EINVAL if size is 0,
 * shmid is NULL or an existing segment is smaller than size; otherwise the
 * errno of shmget(2)/shmat(2). The caller owns one attachment: release it
 * with sysv_release().
 */
void *sysv_attach(key_t key, size_t size, int *shmid);

/*
 * sysv_release - detach addr from segment shmid; if destroy is true, also
 * mark the segment for destruction (IPC_RMID).
 *
 * Destruction is deferred by the kernel: the segment lives on until its last
 * attachment (in any process) is gone, but its key is released at once.
 * addr is detached first; if that fails nothing is destroyed.
 *
 * Returns 0, or -1 with errno set: EINVAL if addr is NULL or not an attach
 * address; otherwise the errno of shmdt(2)/shmctl(2).
 */
int sysv_release(void *addr, int shmid, bool destroy);

/*
 * sysv_nattch - the number of current attachments of segment shmid, from
 * shmctl(IPC_STAT) (shm_nattch). Returns it, or -1 with errno set (EINVAL
 * for an invalid or removed id, or shmctl's errno).
 */
long sysv_nattch(int shmid);

/* ---- Exercise 2: POSIX shared memory --------------------------------- */

/*
 * pshm_create - create the POSIX shared memory object `name` (exclusively,
 * mode 0600), give it `size` bytes and map all of it MAP_SHARED read-write.
 *
 * The descriptor from shm_open is closed before returning: the mapping
 * keeps the object alive. On any failure after the object was created, the
 * name is unlinked again, so a failed call leaves nothing in /dev/shm.
 *
 * Returns the mapping (size bytes, zero-filled), or NULL with errno set:
 * EINVAL if name is NULL, does not start with '/', or size is 0; EEXIST if
 * the name exists (the existing object is left untouched); otherwise the
 * errno of shm_open(3)/ftruncate(2)/mmap(2). The caller munmap()s the
 * mapping and shm_unlink()s the name.
 */
void *pshm_create(const char *name, size_t size);

/*
 * pshm_open - map the whole of the existing object `name` MAP_SHARED
 * read-write; its size (from fstat) is stored in *size.
 *
 * The descriptor is closed before returning. Returns the mapping, or NULL
 * with errno set: EINVAL if name or size is NULL, name does not start with
 * '/', or the object is empty; ENOENT if there is no such object; otherwise
 * the errno of shm_open(3)/fstat(2)/mmap(2). The caller munmap()s it.
 */
void *pshm_open(const char *name, size_t *size);

/* ---- Exercise 3: anonymous shared memory across fork ----------------- */

/*
 * shared_anon_alloc - `size` zero-filled bytes that stay shared with every
 * child forked afterwards (an anonymous MAP_SHARED mapping: no name, no
 * file, it disappears with the last process that maps it).
 *
 * Returns the memory, or NULL with errno set: EINVAL if size is 0,
 * otherwise mmap's errno. Free it with shared_anon_free().
 */
void *shared_anon_alloc(size_t size);

/*
 * shared_anon_free - unmap memory from shared_anon_alloc(p, size).
 * Returns 0, or -1 with errno set: EINVAL if p is NULL or size is 0,
 * otherwise munmap's errno.
 */
int shared_anon_free(void *p, size_t size);

/*
 * count_with_children - fork nprocs children; each adds 1 to *counter
 * `iters` times with an atomic add, then _exits(0). The parent waits for
 * every child (retrying on EINTR).
 *
 * counter must live in memory shared across fork. Returns 0 when every child
 * exited with status 0, or -1 with errno set: EINVAL if counter is NULL,
 * nprocs is 0 or more than 64 (one call's children, not a fork bomb), and
 * then no child is forked; EIO if a child failed (did not exit with status
 * 0); otherwise fork's errno (children already started are still waited
 * for).
 */
int count_with_children(atomic_long *counter, unsigned nprocs, unsigned long iters);

/* ---- Exercise 4: lost updates and two fixes -------------------------- */

/*
 * counter_add_racy - the unsynchronised read-modify-write: read *counter
 * into a local, call hook(arg) (if hook is not NULL), then store
 * local + delta into *counter. Returns the value stored.
 *
 * Two processes doing this at once can both read the same old value: one
 * update is then lost. Keep the read and the write as two separate plain
 * accesses on either side of the hook: this function exists to show the bug.
 */
long counter_add_racy(volatile long *counter, long delta, rmw_hook hook, void *arg);

/*
 * counter_add_locked - the same read-modify-write inside c->lock: take the
 * lock (an atomic exchange with acquire order, calling sched_yield() while
 * another process holds it), read c->value, call hook(arg) if not NULL,
 * store value + delta, release the lock (a store of 0 with release order).
 * Returns the value stored. No update is lost, whatever the interleaving.
 */
long counter_add_locked(struct locked_counter *c, long delta, rmw_hook hook, void *arg);

/*
 * counter_add_atomic - add delta to *counter in one indivisible step
 * (atomic_fetch_add). Returns the new value.
 */
long counter_add_atomic(atomic_long *counter, long delta);

/* ---- Exercise 5: offsets instead of pointers ------------------------- */

/*
 * otable_init - make the region [base, base + size) an empty offset table:
 * magic, size, used = OTABLE_FIRST, head = 0, count = 0.
 *
 * Returns 0, or -1 with errno = EINVAL if base is NULL, size is less than
 * OTABLE_FIRST or more than UINT32_MAX.
 */
int otable_init(void *base, size_t size);

/*
 * otable_insert - add (name, value) as the new head of the table's list.
 * The entry is placed at hdr->used and takes otable_entry_bytes(strlen)
 * bytes; every link stored is an offset, never an address.
 *
 * Returns 0, or -1 with errno set (the table is then unchanged): EINVAL if
 * base or name is NULL, name is empty or the magic is wrong; EEXIST if name
 * is already in the table; ENOSPC if the entry does not fit before
 * hdr->size.
 */
int otable_insert(void *base, const char *name, int64_t value);

/*
 * otable_lookup - find name and store its value in *value.
 *
 * Works in any process, whatever address the region is mapped at. Returns
 * 0, or -1 with errno set: EINVAL if base, name or value is NULL or the
 * magic is wrong; ENOENT if name is not in the table.
 */
int otable_lookup(const void *base, const char *name, int64_t *value);

/* ---- Exercise 6: a lock-free single-producer/single-consumer ring ---- */

/*
 * spsc_init - make r (at least spsc_ring_bytes(capacity) bytes, usually in
 * shared memory) an empty ring of `capacity` slots.
 *
 * Returns 0, or -1 with errno = EINVAL if r is NULL or capacity is not a
 * power of two (0 is not).
 */
int spsc_init(struct spsc_ring *r, uint32_t capacity);

/*
 * spsc_try_push - producer side: append v unless the ring is full.
 *
 * Reads tail with acquire order (the consumer is done with that slot),
 * writes the slot, then publishes it by storing head + 1 with release
 * order. Never blocks. Returns 0, or -1 with errno = EAGAIN if the ring is
 * full. Only one process or thread may push.
 */
int spsc_try_push(struct spsc_ring *r, uint64_t v);

/*
 * spsc_try_pop - consumer side: take the oldest message into *v unless the
 * ring is empty.
 *
 * Reads head with acquire order (the slot's contents are then visible),
 * reads the slot, then frees it by storing tail + 1 with release order.
 * Never blocks. Returns 0, or -1 with errno = EAGAIN if the ring is empty.
 * Only one process or thread may pop.
 */
int spsc_try_pop(struct spsc_ring *r, uint64_t *v);

#endif /* IPCLAB_SHM_H */
