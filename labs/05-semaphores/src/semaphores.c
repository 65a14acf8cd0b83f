/* semaphores.c - lab 05 skeleton: your SysV and POSIX semaphore code goes here. */
#include "semaphores.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* semctl(2) wants the caller to define this union (see the man page). */
union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

/* ===================================================================== */
/*  Functions you implement                                              */
/* ===================================================================== */

/* ---- Exercise 1 ---- */

int sysv_open_set(key_t key, int nsems, const unsigned short *init, int timeout_ms)
{
    /* TODO(lab05): IPC_CREAT|IPC_EXCL; creator: SETALL + a no-op semop to set
     * sem_otime; on EEXIST: open and wait (IPC_STAT) until sem_otime != 0. */
    (void)key, (void)nsems, (void)init, (void)timeout_ms;
    errno = ENOSYS;
    return -1;
}

/* ---- Exercise 2 ---- */

int sysv_lock(int semid, unsigned short num, int timeout_ms)
{
    /* TODO(lab05): semop / semtimedop of -1 with SEM_UNDO; resume after EINTR. */
    (void)semid, (void)num, (void)timeout_ms;
    errno = ENOSYS;
    return -1;
}

int sysv_unlock(int semid, unsigned short num)
{
    /* TODO(lab05): semop of +1 with SEM_UNDO. */
    (void)semid, (void)num;
    errno = ENOSYS;
    return -1;
}

int sysv_lock_pair(int semid, unsigned short a, unsigned short b)
{
    /* TODO(lab05): lower number first, then the higher. */
    (void)semid, (void)a, (void)b;
    errno = ENOSYS;
    return -1;
}

int sysv_unlock_pair(int semid, unsigned short a, unsigned short b)
{
    /* TODO(lab05): release both. */
    (void)semid, (void)a, (void)b;
    errno = ENOSYS;
    return -1;
}

/* ---- Exercise 3 ---- */

sem_t *named_create(const char *name, unsigned value)
{
    /* TODO(lab05): sem_open with O_CREAT | O_EXCL. */
    (void)name, (void)value;
    errno = ENOSYS;
    return SEM_FAILED;
}

int named_remove(const char *name, sem_t *sem)
{
    /* TODO(lab05): sem_close, then sem_unlink. */
    (void)name, (void)sem;
    errno = ENOSYS;
    return -1;
}

int named_count_up(const char *name, long *counter, unsigned workers, unsigned iters)
{
    /* TODO(lab05): create the name, fork workers that open it by name, wait, unlink. */
    (void)name, (void)counter, (void)workers, (void)iters;
    errno = ENOSYS;
    return -1;
}

/* ---- Exercise 4 ---- */

struct bbuf *bbuf_create(unsigned slots)
{
    /* TODO(lab05): mmap MAP_SHARED | MAP_ANONYMOUS, sem_init with pshared = 1. */
    (void)slots;
    errno = ENOSYS;
    return NULL;
}

int bbuf_destroy(struct bbuf *b)
{
    /* TODO(lab05): sem_destroy the three semaphores, munmap. */
    (void)b;
    errno = ENOSYS;
    return -1;
}

int bbuf_put(struct bbuf *b, long item)
{
    /* TODO(lab05): empty, mutex, store, post mutex, post full. */
    (void)b, (void)item;
    errno = ENOSYS;
    return -1;
}

int bbuf_get(struct bbuf *b, long *item, int timeout_ms)
{
    /* TODO(lab05): full (sem_wait / sem_trywait / sem_timedwait), mutex, take. */
    (void)b, (void)item, (void)timeout_ms;
    errno = ENOSYS;
    return -1;
}

/* ---- Exercise 5 ---- */

int pc_open(struct pc *pc, key_t key, unsigned slots, int timeout_ms)
{
    /* TODO(lab05): sysv_open_set, then under PC_MUTEX: shmget, shmat,
     * set up a new segment only, PC_USERS + 1 with SEM_UNDO. */
    (void)pc, (void)key, (void)slots, (void)timeout_ms;
    errno = ENOSYS;
    return -1;
}

int pc_put(struct pc *pc, long item)
{
    /* TODO(lab05): like bbuf_put, with semop; SEM_UNDO on PC_MUTEX only. */
    (void)pc, (void)item;
    errno = ENOSYS;
    return -1;
}

int pc_get(struct pc *pc, long *item, int timeout_ms)
{
    /* TODO(lab05): like bbuf_get, with semop / semtimedop on PC_FULL. */
    (void)pc, (void)item, (void)timeout_ms;
    errno = ENOSYS;
    return -1;
}

int pc_close(struct pc *pc)
{
    /* TODO(lab05): under PC_MUTEX, PC_USERS - 1; the last one removes both objects. */
    (void)pc;
    errno = ENOSYS;
    return -1;
}

/* ---- Exercise 6 ---- */

struct ledger *ledger_create(long initial)
{
    /* TODO(lab05): mmap MAP_SHARED|MAP_ANONYMOUS; a pthread_mutexattr_t with
     * PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_INHERIT;
     * pthread_mutex_init; balances, total, counts, journal. */
    (void)initial;
    errno = ENOSYS;
    return NULL;
}

int ledger_destroy(struct ledger *l)
{
    /* TODO(lab05): pthread_mutex_destroy, munmap. */
    (void)l;
    errno = ENOSYS;
    return -1;
}

int ledger_lock(struct ledger *l)
{
    /* TODO(lab05): pthread_mutex_lock; on EOWNERDEAD undo the journal, check
     * the sum, then pthread_mutex_consistent (return 1), or unlock without
     * it and fail with ENOTRECOVERABLE. */
    (void)l;
    errno = ENOSYS;
    return -1;
}

int ledger_unlock(struct ledger *l)
{
    /* TODO(lab05): pthread_mutex_unlock; its error number goes in errno. */
    (void)l;
    errno = ENOSYS;
    return -1;
}

int ledger_transfer(struct ledger *l, int from, int to, long amount)
{
    /* TODO(lab05): check the arguments; ledger_lock; journal, active = 1,
     * the changes, active = 0 (a compiler barrier between steps); unlock. */
    (void)l, (void)from, (void)to, (void)amount;
    errno = ENOSYS;
    return -1;
}
