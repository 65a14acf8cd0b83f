/* shim_heap.h - the blocks the student's code holds, for shim.c (ipct_heap_blocks). */
#ifndef IPCLAB_SHIM_HEAP_H
#define IPCLAB_SHIM_HEAP_H

#include <stdbool.h>
#include <stdint.h>

/* shim_heap_add - the block at addr (not 0) was just allocated by the student's
 * malloc, calloc or realloc. */
void shim_heap_add(uintptr_t addr);

/* shim_heap_remove - the block at addr is freed (free, or moved by realloc): forget it
 * if kept. An address, not a pointer: it may already be freed. Returns whether it was
 * kept. */
bool shim_heap_remove(uintptr_t addr);

#endif /* IPCLAB_SHIM_HEAP_H */
