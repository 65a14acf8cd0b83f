/* shm.c - lab 04 skeleton: your shared memory code goes here. */
#include "shm.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ===================================================================== */
/*  Functions you implement                                              */
/* ===================================================================== */

/* ---- Exercise 1: System V shared memory ------------------------------ */

void *sysv_attach(key_t key, size_t size, int *shmid)
{
    /* TODO(lab04): shmget (IPC_CREAT | IPC_EXCL first), shmat; remove what you created on
     * failure. */
    (void)key, (void)size, (void)shmid;
    errno = ENOSYS;
    return NULL;
}

int sysv_release(void *addr, int shmid, bool destroy)
{
    /* TODO(lab04): shmdt, then shmctl(IPC_RMID) if destroy. */
    (void)addr, (void)shmid, (void)destroy;
    errno = ENOSYS;
    return -1;
}

long sysv_nattch(int shmid)
{
    /* TODO(lab04): shmctl(IPC_STAT) and return shm_nattch. */
    (void)shmid;
    errno = ENOSYS;
    return -1;
}

/* ---- Exercise 2: POSIX shared memory --------------------------------- */

void *pshm_create(const char *name, size_t size)
{
    /* TODO(lab04): shm_open(O_CREAT | O_EXCL), ftruncate, mmap, close; unlink on failure.
     */
    (void)name, (void)size;
    errno = ENOSYS;
    return NULL;
}

void *pshm_open(const char *name, size_t *size)
{
    /* TODO(lab04): shm_open, fstat for the size, mmap, close. */
    (void)name, (void)size;
    errno = ENOSYS;
    return NULL;
}

/* ---- Exercise 3: anonymous shared memory across fork ----------------- */

void *shared_anon_alloc(size_t size)
{
    /* TODO(lab04): mmap with MAP_SHARED | MAP_ANONYMOUS. */
    (void)size;
    errno = ENOSYS;
    return NULL;
}

int shared_anon_free(void *p, size_t size)
{
    /* TODO(lab04): munmap. */
    (void)p, (void)size;
    errno = ENOSYS;
    return -1;
}

int count_with_children(atomic_long *counter, unsigned nprocs, unsigned long iters)
{
    /* TODO(lab04): fork nprocs children that atomic_fetch_add; wait for all of them. */
    (void)counter, (void)nprocs, (void)iters;
    errno = ENOSYS;
    return -1;
}

/* ---- Exercise 4: lost updates and two fixes -------------------------- */

long counter_add_racy(volatile long *counter, long delta, rmw_hook hook, void *arg)
{
    /* TODO(lab04): read, hook(arg), write back: two plain accesses. */
    (void)counter, (void)delta, (void)hook, (void)arg;
    errno = ENOSYS;
    return -1;
}

long counter_add_locked(struct locked_counter *c, long delta, rmw_hook hook, void *arg)
{
    /* TODO(lab04): the same window inside c->lock (exchange/acquire, store/release). */
    (void)c, (void)delta, (void)hook, (void)arg;
    errno = ENOSYS;
    return -1;
}

long counter_add_atomic(atomic_long *counter, long delta)
{
    /* TODO(lab04): atomic_fetch_add. */
    (void)counter, (void)delta;
    errno = ENOSYS;
    return -1;
}

/* ---- Exercise 5: offsets instead of pointers ------------------------- */

int otable_init(void *base, size_t size)
{
    /* TODO(lab04): fill in the header. */
    (void)base, (void)size;
    errno = ENOSYS;
    return -1;
}

int otable_insert(void *base, const char *name, int64_t value)
{
    /* TODO(lab04): check, place the entry at hdr->used, link it by offset. */
    (void)base, (void)name, (void)value;
    errno = ENOSYS;
    return -1;
}

int otable_lookup(const void *base, const char *name, int64_t *value)
{
    /* TODO(lab04): walk the list from hdr->head following offsets. */
    (void)base, (void)name, (void)value;
    errno = ENOSYS;
    return -1;
}

/* ---- Exercise 6: a lock-free single-producer/single-consumer ring ---- */

int spsc_init(struct spsc_ring *r, uint32_t capacity)
{
    /* TODO(lab04): check capacity is a power of two; head = tail = 0. */
    (void)r, (void)capacity;
    errno = ENOSYS;
    return -1;
}

int spsc_try_push(struct spsc_ring *r, uint64_t v)
{
    /* TODO(lab04): full if head - tail == capacity; write slot, then release head. */
    (void)r, (void)v;
    errno = ENOSYS;
    return -1;
}

int spsc_try_pop(struct spsc_ring *r, uint64_t *v)
{
    /* TODO(lab04): empty if head == tail; read slot, then release tail. */
    (void)r, (void)v;
    errno = ENOSYS;
    return -1;
}
