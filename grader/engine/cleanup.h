/* cleanup.h - after a run without a sandbox: the processes and IPC objects it left,
 * removed. */
#ifndef IPCLAB_CLEANUP_H
#define IPCLAB_CLEANUP_H

#include "engine/grade.h"

/*
 * pass_cleanup_host - after a run without a sandbox: kill every process that
 * still carries this run's IPCLAB_GRADE_ID in its environment, and remove
 * the IPC objects the probe saw left behind, saying what in g->cleaned
 * ("2 processes killed; SysV semaphore set id 5 removed", appended). A no-op
 * when sandboxed (the namespaces took everything with them).
 */
void pass_cleanup_host(struct grade *g);

#endif /* IPCLAB_CLEANUP_H */
