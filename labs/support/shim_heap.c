/*
 * shim_heap.c - the heap blocks the student's code allocated and has not
 * freed, per process (ipct_heap_blocks in ipclab_shim.h).
 *
 * An open-addressing table of addresses (linear probing, deletion by
 * backward shift: no tombstones). Each address is kept XORed with a mask,
 * so the table holds no pointer into the heap: memcheck's leak check, which
 * scans memory for pointers, still finds a block the student lost
 * "definitely lost", not reachable from here. A forked child gets a copy,
 * as it gets a copy of the blocks; threads share it under a spin lock.
 */
#include "ipclab_shim.h"
#include "shim_heap.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define HEAP_SLOTS 8192u /* a power of two */
#define HEAP_MAX                                                                         \
    (HEAP_SLOTS * 3 / 4) /* past this many live blocks, the count is lost                \
                          */

static uintptr_t slots[HEAP_SLOTS]; /* 0: empty, else address ^ SHIM_HIDE */
static long live;                   /* blocks kept */
static bool lost;                   /* more than HEAP_MAX at once: the count is unknown */
static atomic_flag busy = ATOMIC_FLAG_INIT;
static pthread_once_t fork_hooks = PTHREAD_ONCE_INIT;

static void lock(void)
{
    while (atomic_flag_test_and_set_explicit(&busy, memory_order_acquire))
        continue;
}

static void unlock(void)
{
    atomic_flag_clear_explicit(&busy, memory_order_release);
}

/* A fork while another thread holds the lock: the child gets it free. */
static void install_fork_hooks(void)
{
    pthread_atfork(lock, unlock, unlock);
}

/* The slot where the search for key starts. */
static size_t home(uintptr_t key)
{
    return (size_t)(((key >> 4) * UINT64_C(0x9e3779b97f4a7c15)) >> 51) & (HEAP_SLOTS - 1);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find(uintptr_t key)
{
    size_t i = home(key);
    while (slots[i] != 0 && slots[i] != key)
        i = (i + 1) & (HEAP_SLOTS - 1);
    return i;
}

void shim_heap_add(uintptr_t addr)
{
    pthread_once(&fork_hooks, install_fork_hooks);
    uintptr_t key = shim_hide(addr);
    lock();
    size_t i = find(key);
    if (slots[i] == 0 && !lost) {
        if (live >= (long)HEAP_MAX)
            lost = true;
        else {
            slots[i] = key;
            live++;
        }
    }
    unlock();
}

bool shim_heap_remove(uintptr_t addr)
{
    if (addr == 0)
        return false;
    uintptr_t key = shim_hide(addr);
    lock();
    size_t i = find(key);
    bool was = slots[i] == key;
    if (was) {
        live--;
        /* Backward shift: pull every later entry of the run whose home does
         * not lie cyclically in (i, j] into the hole. */
        for (size_t j = (i + 1) & (HEAP_SLOTS - 1); slots[j] != 0;
             j = (j + 1) & (HEAP_SLOTS - 1)) {
            size_t h = home(slots[j]);
            bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
            if (!stays) {
                slots[i] = slots[j];
                i = j;
            }
        }
        slots[i] = 0;
    }
    unlock();
    return was;
}

/* ipct_heap_blocks - see ipclab_shim.h. */
long ipct_heap_blocks(void)
{
    lock();
    long n = lost ? -1 : live;
    unlock();
    return n;
}
