/*
 * semaphores.h - lab 05: SysV and POSIX semaphores, bounded buffers, lock ordering,
 * robust process-shared mutexes.
 *
 * Memory: a function that allocates (a values array for SETALL, an array of
 * pids) frees it before it returns, on success and on failure. The tests
 * count the heap blocks your code holds before and after a call.
 */
#ifndef IPCLAB_SEMAPHORES_H
#define IPCLAB_SEMAPHORES_H

#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>
#include <sys/types.h>

/* ===================================================================== */
/*  Provided: shared layouts (read them, do not change them)             */
/* ===================================================================== */

/* Largest capacity bbuf_create and pc_open accept. */
#define BBUF_MAX_SLOTS 4096u

/*
 * A bounded buffer in one MAP_SHARED mapping, guarded by three unnamed,
 * process-shared POSIX semaphores that live inside the mapping itself:
 *
 *   mutex  binary (0 or 1): whoever took it may touch head, tail, items
 *   empty  counting: slots free for a producer (starts at `slots`)
 *   full   counting: slots holding an item for a consumer (starts at 0)
 *
 * The mapping is sizeof(struct bbuf) + slots * sizeof(long) bytes.
 */
struct bbuf {
    sem_t mutex;    /* 1 = buffer free, 0 = someone is in it */
    sem_t empty;    /* free slots */
    sem_t full;     /* filled slots */
    unsigned slots; /* capacity, fixed at creation */
    unsigned head;  /* next slot a consumer empties */
    unsigned tail;  /* next slot a producer fills */
    long items[];   /* `slots` entries */
};

/*
 * The producer/consumer of the source notes, fixed (exercise 5). One SysV
 * key names two kernel objects: a semaphore set of PC_NSEMS semaphores and
 * a shared memory segment holding a struct pc_shared.
 */
enum pc_sem {
    PC_MUTEX, /* binary, taken with SEM_UNDO */
    PC_EMPTY, /* counting: free slots */
    PC_FULL,  /* counting: filled slots */
    PC_USERS, /* processes that opened the buffer and have not closed it */
    PC_NSEMS
};

/* The segment's contents. A new segment is all zero bytes: slots == 0 means
 * "not set up yet". */
struct pc_shared {
    unsigned slots; /* capacity, written once by the first opener */
    unsigned in;    /* next slot a producer fills */
    unsigned out;   /* next slot a consumer empties */
    long items[];   /* `slots` entries */
};

/* One process's handle on the buffer (never shared between processes). */
struct pc {
    int semid;                /* the set's id */
    int shmid;                /* the segment's id */
    struct pc_shared *shared; /* where this process attached the segment */
};

/*
 * The ledger of exercise 6: accounts in one MAP_SHARED mapping, guarded by a
 * robust, process-shared, priority-inheriting pthread mutex that lives in
 * the mapping. Money only moves between accounts, so the balances always
 * sum to `total`: that is the invariant a dead lock holder may break.
 */
#define LEDGER_ACCOUNTS 4

/*
 * The undo journal. A transfer fills in every field but `active` first,
 * then sets active = 1, and only then changes anything it recorded; it sets
 * active = 0 as its very last change. Whoever finds the mutex's owner dead
 * and active == 1 puts the recorded values back: the transfer never happened.
 */
struct ledger_journal {
    int active;                     /* 1 while a transfer may have changed something */
    int from, to;                   /* the two accounts the transfer changes */
    long from_before;               /* balance[from] before the transfer */
    long to_before;                 /* balance[to] before the transfer */
    unsigned long transfers_before; /* `transfers` before the transfer */
};

struct ledger {
    pthread_mutex_t lock;          /* PROCESS_SHARED, ROBUST, PRIO_INHERIT */
    long total;                    /* sum of balance[]: fixed at creation */
    unsigned long transfers;       /* transfers completed */
    unsigned long recoveries;      /* dead holders whose state was repaired */
    struct ledger_journal journal; /* see above */
    long balance[LEDGER_ACCOUNTS]; /* the protected state */
};

/* ===================================================================== */
/*  Functions you implement (src/semaphores.c)                           */
/* ===================================================================== */

/* ---- Exercise 1: creating a SysV set without the initialisation race ---- */

/*
 * sysv_open_set - get the semaphore set named key, creating and initialising
 * it if it does not exist yet, so that no caller ever sees it half set up.
 *
 * semget(2) creates a set with every value 0 and semctl(2) sets the values
 * afterwards: between the two another process can find the set and use it.
 * The fix (the "sem_otime idiom"): create with IPC_CREAT | IPC_EXCL (mode
 * 0600). The creator sets every value from init[0..nsems) and then performs
 * one semop(2) that leaves the values unchanged, which sets sem_otime. A
 * caller that gets EEXIST opens the set and waits (IPC_STAT, short sleeps)
 * until sem_otime != 0; it never sets any value itself. A signal that
 * interrupts one of those sleeps (EINTR) ends neither the wait nor its
 * deadline: sleep again (errno means something only after a call returned
 * -1). A set found removed while waiting is looked up again. key IPC_PRIVATE
 * always makes a new set.
 *
 * Returns the set's id (0 is an id like any other: the first set of an IPC
 * namespace gets it). Returns -1 with errno set: EINVAL if nsems < 1, init
 * is NULL or timeout_ms < 0, or if the existing set has fewer than nsems
 * semaphores; ETIMEDOUT if an existing set was still not initialised after
 * timeout_ms milliseconds; otherwise semget's or semctl's errno. A set this
 * call created is removed again if initialising it fails.
 */
int sysv_open_set(key_t key, int nsems, const unsigned short *init, int timeout_ms);

/* ---- Exercise 2: SysV locks that survive a crash, and lock ordering ---- */

/*
 * sysv_lock - take semaphore num of set semid (decrement it by one).
 *
 * The operation carries SEM_UNDO: if the process dies while holding the
 * lock (even by SIGKILL), the kernel gives the unit back. timeout_ms < 0
 * waits as long as needed, 0 does not wait (IPC_NOWAIT), > 0 waits at most
 * that long (semtimedop(2)). A signal (EINTR) does not end the wait: it is
 * resumed for the time that is left.
 *
 * Returns 0 once the lock is held, or -1 with errno set: EAGAIN if it could
 * not be taken in time, EIDRM if the set was removed while waiting, EINVAL
 * for a bad id, EFBIG if num is not in the set, or semop's other errno.
 */
int sysv_lock(int semid, unsigned short num, int timeout_ms);

/*
 * sysv_unlock - give back what sysv_lock took (increment by one, SEM_UNDO,
 * so the kernel's undo record for this process balances again).
 *
 * Returns 0, or -1 with semop's errno (EINVAL, EIDRM, EFBIG, ...).
 */
int sysv_unlock(int semid, unsigned short num);

/*
 * sysv_lock_pair - take two locks of one set without risking deadlock.
 *
 * Two processes that take the same two locks in opposite orders can each
 * hold one and wait forever for the other. Take them in one global order
 * whatever the argument order: the lower semaphore number first, then the
 * higher (each with sysv_lock, no timeout). If the second cannot be taken
 * the first is given back.
 *
 * Returns 0 with both held, or -1 with errno set: EINVAL if a == b, or the
 * errno of sysv_lock.
 */
int sysv_lock_pair(int semid, unsigned short a, unsigned short b);

/*
 * sysv_unlock_pair - release both locks of a pair (both releases are tried).
 * Returns 0, or -1 with errno set: EINVAL if a == b, or the errno of a
 * sysv_unlock that failed.
 */
int sysv_unlock_pair(int semid, unsigned short a, unsigned short b);

/* ---- Exercise 3: POSIX named semaphores ---- */

/*
 * named_create - create the named semaphore `name` ("/something") with
 * initial value `value`, failing if the name already exists (O_CREAT |
 * O_EXCL, mode 0600). It appears as /dev/shm/sem.something.
 *
 * Returns the semaphore (close it with sem_close, remove the name with
 * sem_unlink or named_remove), or SEM_FAILED with errno set: EINVAL if name
 * is NULL or value > SEM_VALUE_MAX, EEXIST if the name is taken, or
 * sem_open's errno.
 */
sem_t *named_create(const char *name, unsigned value);

/*
 * named_remove - close sem (unless it is NULL) and unlink name. Both steps
 * are attempted even if the first fails.
 *
 * Returns 0, or -1 with the errno of the first step that failed (ENOENT if
 * the name did not exist, EINVAL for a NULL name).
 */
int named_remove(const char *name, sem_t *sem);

/*
 * named_count_up - `workers` child processes each add 1 to *counter `iters`
 * times, with a named semaphore as the lock around each increment.
 *
 * counter points into memory shared with the children (MAP_SHARED). The
 * caller creates the semaphore `name` with value 1 before forking (it must
 * not exist yet: an existing semaphore is left untouched). Each child opens
 * it by name itself (sem_open without O_CREAT), so the processes meet
 * through the name only; each closes it before _exit. The parent waits for
 * every child it started, and closes and unlinks the name before returning,
 * on success and on failure. A wait interrupted by a signal (EINTR) is
 * resumed; if a fork fails, the workers already started are still waited for.
 *
 * Returns 0, or -1 with errno set: EINVAL if name or counter is NULL or
 * workers is 0; EEXIST if the name exists; EIO if a child failed;
 * otherwise the errno of sem_open or fork.
 */
int named_count_up(const char *name, long *counter, unsigned workers, unsigned iters);

/* ---- Exercise 4: bounded buffer with unnamed process-shared semaphores ---- */

/*
 * bbuf_create - map a struct bbuf with room for `slots` items.
 *
 * The mapping is anonymous and MAP_SHARED, so processes forked afterwards
 * share it. The three semaphores are initialised with pshared = 1 (mutex 1,
 * empty slots, full 0): a pshared semaphore must live in shared memory, and
 * a semaphore without pshared does not wake waiters in other processes.
 *
 * Returns the buffer, or NULL with errno set: EINVAL if slots is 0 or above
 * BBUF_MAX_SLOTS, or the errno of mmap/sem_init (nothing is left mapped).
 */
struct bbuf *bbuf_create(unsigned slots);

/*
 * bbuf_destroy - destroy the semaphores and unmap the buffer. Call it once,
 * in one process, when no process uses the buffer any more (other processes
 * only munmap their copy, or simply exit).
 *
 * Returns 0, or -1 with errno set: EINVAL if b is NULL, or munmap's errno.
 */
int bbuf_destroy(struct bbuf *b);

/*
 * bbuf_put - append item, waiting while the buffer is full.
 *
 * Order: wait on empty, then on mutex; store; post mutex, then full.
 * Waits interrupted by a signal (EINTR) are resumed.
 *
 * Returns 0, or -1 with errno set (EINVAL if b is NULL).
 */
int bbuf_put(struct bbuf *b, long item);

/*
 * bbuf_get - take the oldest item into *item.
 *
 * timeout_ms < 0 waits as long as needed (sem_wait), 0 does not wait
 * (sem_trywait), > 0 waits at most that long (sem_timedwait, whose deadline
 * is absolute, on CLOCK_REALTIME: now + timeout_ms, with tv_nsec carried into
 * tv_sec to stay within 0 .. 999999999; sem_timedwait rejects any other
 * tv_nsec, 1000000000 included, with EINVAL). The tests read "now" through
 * the function's own clock_gettime, at moments they choose. EINTR is retried
 * with the same deadline.
 *
 * Returns 0, or -1 with errno set: EAGAIN (timeout_ms == 0) or ETIMEDOUT
 * (timeout_ms > 0) when no item came, EINVAL if b or item is NULL.
 */
int bbuf_get(struct bbuf *b, long *item, int timeout_ms);

/* ---- Exercise 5: the source notes' producer/consumer, fixed ---- */

/*
 * pc_open - join the SysV producer/consumer buffer named key, creating it if
 * it does not exist. Every process that uses the buffer calls pc_open once
 * itself (SEM_UNDO records are per process and not inherited by fork).
 *
 * The set (PC_NSEMS semaphores: mutex 1, empty slots, full 0, users 0) is
 * obtained with sysv_open_set, so nobody uses it before its values are set
 * and a second opener never resets them. Then, holding PC_MUTEX: get the
 * segment (shmget with IPC_CREAT, mode 0600, room for `slots` items), attach
 * it, set it up only if it is new (slots == 0), and add one to PC_USERS with
 * SEM_UNDO (a user killed without pc_close is then no longer counted). If the
 * set disappears under us (EIDRM/EINVAL: the last user just closed), start
 * again from the beginning.
 *
 * Returns 0 and fills *pc, or -1 with errno set: EINVAL if pc is NULL, key
 * is IPC_PRIVATE, slots is 0 or above BBUF_MAX_SLOTS, or timeout_ms < 0;
 * ETIMEDOUT from sysv_open_set; or the errno of semget/shmget/shmat (EINVAL
 * if the existing segment is too small for `slots`). A failed pc_open holds
 * nothing and counts no user: PC_MUTEX is released, PC_USERS unchanged.
 */
int pc_open(struct pc *pc, key_t key, unsigned slots, int timeout_ms);

/*
 * pc_put - append item (waiting while the buffer is full).
 * pc_get - take the oldest item (timeout_ms as in sysv_lock: < 0 forever,
 *          0 no wait, > 0 at most that long; EAGAIN when no item came).
 *
 * Only PC_MUTEX is taken with SEM_UNDO (and given back with SEM_UNDO, so a
 * process that exits leaves it as it found it). PC_EMPTY and PC_FULL count
 * items, not owners: undoing a dead producer's posts would lose its items.
 * A wait interrupted by a signal (EINTR) is resumed, in pc_open and pc_close
 * too.
 * Return 0, or -1 with errno set (EINVAL for NULL arguments, semop's errno).
 */
int pc_put(struct pc *pc, long item);
int pc_get(struct pc *pc, long *item, int timeout_ms);

/*
 * pc_close - leave the buffer. Holding PC_MUTEX, take one from PC_USERS
 * (SEM_UNDO, balancing pc_open's); if nobody is left, remove the segment
 * and the set (which also releases the mutex), else release the mutex.
 * The segment is detached in every case. A user that finishes early never
 * removes the objects from under the others.
 *
 * Returns 0, or -1 with errno set (EINVAL if pc is NULL); *pc is invalid
 * afterwards either way.
 */
int pc_close(struct pc *pc);

/* ---- Exercise 6: a robust, process-shared mutex (the ledger) ---- */

/*
 * ledger_create - map a struct ledger with every balance at `initial`.
 *
 * The mapping is anonymous and MAP_SHARED, so processes forked afterwards
 * share it. total = LEDGER_ACCOUNTS * initial, both counts 0, the journal
 * inactive. The mutex is initialised with three attributes:
 *   PTHREAD_PROCESS_SHARED  it is used by several processes;
 *   PTHREAD_MUTEX_ROBUST    a holder that dies does not wedge the others:
 *                           the next locker gets EOWNERDEAD (ledger_lock);
 *   PTHREAD_PRIO_INHERIT    while a process waits for it, the holder runs
 *                           with the waiter's priority if that is higher.
 * The pthread_* functions return an error number instead of setting errno:
 * this function puts it in errno.
 *
 * Returns the ledger, or NULL with errno set: EINVAL if initial < 0 or
 * LEDGER_ACCOUNTS * initial does not fit in a long; otherwise the errno of
 * mmap or the error of a pthread_mutexattr_* call or pthread_mutex_init
 * (nothing is left mapped, no attribute object is left initialised).
 */
struct ledger *ledger_create(long initial);

/*
 * ledger_destroy - destroy the mutex and unmap the ledger. Call it once, in
 * one process, when no process holds or waits for the mutex (also valid
 * once it is not recoverable).
 *
 * Returns 0, or -1 with errno set: EINVAL if l is NULL, or munmap's errno.
 */
int ledger_destroy(struct ledger *l);

/*
 * ledger_lock - take the ledger's mutex, repairing the state first if its
 * last holder died while holding it.
 *
 * pthread_mutex_lock returns EOWNERDEAD when the holder died: the caller
 * now holds the mutex, but the state may be half changed. Repair it: if
 * journal.active, and journal.from and journal.to are two different valid
 * accounts, put balance[from], balance[to] and transfers back from the
 * journal and set active to 0. The state is repaired when the balances then
 * sum to total: add one to recoveries, call pthread_mutex_consistent, and
 * return 1. Otherwise (no usable journal explains the damage: the dead
 * holder changed balances without recording them) unlock WITHOUT calling
 * pthread_mutex_consistent: the mutex becomes not recoverable, and this
 * call and every later ledger_lock on it fail with ENOTRECOVERABLE.
 *
 * Returns 0 with the mutex held; 1 with the mutex held, after repairing a
 * dead holder's state; or -1 with errno set: EINVAL if l is NULL,
 * ENOTRECOVERABLE as above, or the error of pthread_mutex_lock.
 */
int ledger_lock(struct ledger *l);

/*
 * ledger_unlock - release the ledger's mutex.
 *
 * Returns 0, or -1 with errno set: EINVAL if l is NULL, EPERM if the
 * calling thread does not hold the mutex (a robust mutex knows its owner,
 * so unlocking someone else's lock is refused), or the error of
 * pthread_mutex_unlock.
 */
int ledger_unlock(struct ledger *l);

/*
 * ledger_transfer - move `amount` from account `from` to account `to`,
 * crash-safely. Balances may go negative.
 *
 * Holding the mutex (ledger_lock; a repaired lock, 1, is not an error):
 * record from, to, their balances and transfers in the journal; set
 * journal.active = 1; subtract, add, count the transfer; set
 * journal.active = 0; unlock. A process killed at any instruction in
 * between leaves a state the next ledger_lock can undo. The compiler may
 * reorder plain stores that look independent to it, so keep them in this
 * order with a compiler barrier (atomic_signal_fence) between the steps.
 *
 * Returns 0, or -1 with errno set: EINVAL if l is NULL, from or to is not
 * in [0, LEDGER_ACCOUNTS), from == to, or amount <= 0 (checked before
 * locking); otherwise the errno of ledger_lock (ENOTRECOVERABLE, ...).
 */
int ledger_transfer(struct ledger *l, int from, int to, long amount);

#endif /* IPCLAB_SEMAPHORES_H */
