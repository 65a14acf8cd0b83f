/* shim_heap.h - the blocks the student's code holds, for shim.c (ipct_heap_blocks). */
#ifndef IPCLAB_SHIM_HEAP_H
#define IPCLAB_SHIM_HEAP_H

#include <stdbool.h>
#include <stdint.h>

/* Addresses the shim keeps (this table, the call log) are XORed with this, so
 * that memcheck's leak check, which scans memory for pointers, finds none of
 * them: a block the student's code lost stays "definitely lost". */
#define SHIM_HIDE ((uintptr_t)0xa5a5a5a5a5a5a5a5u)

/* shim_hide - v masked with SHIM_HIDE, or a masked v as it was (XOR undoes itself). */
static inline uintptr_t shim_hide(uintptr_t v)
{
    return v ^ SHIM_HIDE;
}

/* shim_heap_add - the block at addr (not 0) was just allocated by the student's
 * malloc, calloc or realloc. */
void shim_heap_add(uintptr_t addr);

/* shim_heap_remove - the block at addr is freed (free, or moved by realloc): forget it
 * if kept. An address, not a pointer: it may already be freed. Returns whether it was
 * kept. */
bool shim_heap_remove(uintptr_t addr);

#endif /* IPCLAB_SHIM_HEAP_H */
