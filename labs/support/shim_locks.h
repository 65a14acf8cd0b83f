/* shim_locks.h - the lock check of the student's mutex calls, for shim.c
 * (ipct_locks_check). */
#ifndef IPCLAB_SHIM_LOCKS_H
#define IPCLAB_SHIM_LOCKS_H

#include <pthread.h>

/*
 * shim_lock_must_hold - the student's code is about to call `call`
 * ("pthread_mutex_unlock", "pthread_cond_wait") on m, which the calling
 * thread must hold. When it does not (and m is a kind whose unlock does not
 * check its owner itself), the first such call of the process is remembered
 * for ipct_locks_check. Never changes what the call then does.
 */
void shim_lock_must_hold(const pthread_mutex_t *m, const char *call);

#endif /* IPCLAB_SHIM_LOCKS_H */
