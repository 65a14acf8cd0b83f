/* semaphores.c - lab 05 reference solution: SysV and POSIX semaphores. */
#include "semaphores.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
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
/*  Small helpers                                                        */
/* ===================================================================== */

/* Milliseconds on CLOCK_MONOTONIC: for measuring, never for deadlines of
 * sem_timedwait (which uses CLOCK_REALTIME). */
static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep about ms milliseconds, resuming after signals. */
static void pause_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        continue;
}

/* ===================================================================== */
/*  Exercise 1: sysv_open_set                                            */
/* ===================================================================== */

/* Creator side: set every value, then one no-op semop so sem_otime != 0. */
static int init_new_set(int semid, int nsems, const unsigned short *init)
{
    unsigned short *values = malloc((size_t)nsems * sizeof *values);
    if (values == NULL)
        return -1;
    for (int i = 0; i < nsems; i++)
        values[i] = init[i];
    union semun arg = {.array = values};
    int r = semctl(semid, 0, SETALL, arg);
    free(values);
    if (r < 0)
        return -1;
    /* +1 then -1 in one atomic call: values unchanged, sem_otime set. */
    struct sembuf mark[2] = {{0, 1, 0}, {0, -1, 0}};
    while (semop(semid, mark, 2) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

/* Joiner side: 1 once sem_otime != 0, 0 if the set vanished, -1 on error. */
static int wait_initialised(int semid, long long deadline)
{
    long step = 1;
    for (;;) {
        struct semid_ds ds;
        union semun arg = {.buf = &ds};
        if (semctl(semid, 0, IPC_STAT, arg) < 0)
            return (errno == EIDRM || errno == EINVAL) ? 0 : -1;
        if (ds.sem_otime != 0)
            return 1;
        if (now_ms() >= deadline) {
            errno = ETIMEDOUT;
            return -1;
        }
        pause_ms(step);
        if (step < 16)
            step *= 2;
    }
}

int sysv_open_set(key_t key, int nsems, const unsigned short *init, int timeout_ms)
{
    if (nsems < 1 || init == NULL || timeout_ms < 0) {
        errno = EINVAL;
        return -1;
    }
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        int semid = semget(key, nsems, IPC_CREAT | IPC_EXCL | 0600);
        if (semid >= 0) {
            if (init_new_set(semid, nsems, init) < 0) {
                int err = errno;
                semctl(semid, 0, IPC_RMID);
                errno = err;
                return -1;
            }
            return semid;
        }
        if (errno != EEXIST)
            return -1;
        semid = semget(key, nsems, 0600);
        if (semid < 0) {
            if (errno == ENOENT)
                continue; /* removed between our two semget calls */
            return -1;
        }
        int r = wait_initialised(semid, deadline);
        if (r == 1)
            return semid;
        if (r < 0)
            return -1;
        /* r == 0: the set was removed while we waited; look again. */
    }
}

/* ===================================================================== */
/*  Exercise 2: sysv_lock, sysv_unlock, sysv_lock_pair                   */
/* ===================================================================== */

/*
 * semop(2) of the one operation *op on semid, resuming after signal handlers.
 * timeout_ms: -1 waits as long as it takes, 0 never waits (IPC_NOWAIT:
 * EAGAIN), > 0 waits at most that long (semtimedop: EAGAIN when it passes).
 */
static int semop_within(int semid, struct sembuf *op, int timeout_ms)
{
    if (timeout_ms == 0)
        op->sem_flg |= IPC_NOWAIT;
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        int r;
        if (timeout_ms > 0) {
            long long left = deadline - now_ms();
            if (left < 0)
                left = 0;
            struct timespec ts = {.tv_sec = left / 1000,
                                  .tv_nsec = (long)(left % 1000) * 1000000L};
            r = semtimedop(semid, op, 1, &ts);
        } else {
            r = semop(semid, op, 1);
        }
        if (r == 0)
            return 0;
        if (errno != EINTR)
            return -1;
        /* semop is never restarted after a handler (even with SA_RESTART). */
    }
}

/* One semop of `delta` on num with SEM_UNDO; timeout as in sysv_lock. */
static int sysv_op(int semid, unsigned short num, short delta, int timeout_ms)
{
    struct sembuf op = {.sem_num = num, .sem_op = delta, .sem_flg = SEM_UNDO};
    return semop_within(semid, &op, timeout_ms);
}

int sysv_lock(int semid, unsigned short num, int timeout_ms)
{
    return sysv_op(semid, num, -1, timeout_ms);
}

int sysv_unlock(int semid, unsigned short num)
{
    return sysv_op(semid, num, 1, -1);
}

int sysv_lock_pair(int semid, unsigned short a, unsigned short b)
{
    if (a == b) {
        errno = EINVAL;
        return -1;
    }
    unsigned short first = a < b ? a : b, second = a < b ? b : a;
    if (sysv_lock(semid, first, -1) < 0)
        return -1;
    if (sysv_lock(semid, second, -1) < 0) {
        int err = errno;
        sysv_unlock(semid, first);
        errno = err;
        return -1;
    }
    return 0;
}

int sysv_unlock_pair(int semid, unsigned short a, unsigned short b)
{
    if (a == b) {
        errno = EINVAL;
        return -1;
    }
    /* Release in reverse order of taking (any order is safe for releases). */
    int r1 = sysv_unlock(semid, a > b ? a : b);
    int err = errno;
    int r2 = sysv_unlock(semid, a > b ? b : a);
    if (r1 < 0) {
        errno = err;
        return -1;
    }
    return r2;
}

/* ===================================================================== */
/*  Exercise 3: named semaphores                                         */
/* ===================================================================== */

sem_t *named_create(const char *name, unsigned value)
{
    if (name == NULL || value > SEM_VALUE_MAX) {
        errno = EINVAL;
        return SEM_FAILED;
    }
    return sem_open(name, O_CREAT | O_EXCL, 0600, value);
}

int named_remove(const char *name, sem_t *sem)
{
    if (name == NULL) {
        errno = EINVAL;
        return -1;
    }
    int err = 0;
    if (sem != NULL && sem_close(sem) < 0)
        err = errno;
    if (sem_unlink(name) < 0 && err == 0)
        err = errno;
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

/* sem_post(2) that keeps errno, for cleanup paths. */
static void sem_post_keep_errno(sem_t *sem)
{
    int saved = errno;
    sem_post(sem);
    errno = saved;
}

/* sem_wait that resumes after signal handlers. */
static int sem_wait_retry(sem_t *sem)
{
    while (sem_wait(sem) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

/* Child of named_count_up: meet the others through the name only. */
static void count_up_child(const char *name, long *counter, unsigned iters)
{
    sem_t *sem = sem_open(name, 0);
    if (sem == SEM_FAILED)
        _exit(2);
    for (unsigned i = 0; i < iters; i++) {
        if (sem_wait_retry(sem) < 0)
            _exit(3);
        (*counter)++; /* the critical section */
        if (sem_post(sem) < 0)
            _exit(4);
    }
    _exit(sem_close(sem) == 0 ? 0 : 5);
}

int named_count_up(const char *name, long *counter, unsigned workers, unsigned iters)
{
    if (name == NULL || counter == NULL || workers == 0) {
        errno = EINVAL;
        return -1;
    }
    sem_t *sem = named_create(name, 1);
    if (sem == SEM_FAILED)
        return -1; /* EEXIST: not ours, so we must not unlink it */
    pid_t *pids = calloc(workers, sizeof *pids);
    unsigned started = 0;
    int err = 0;
    if (pids == NULL) {
        err = ENOMEM;
        goto out;
    }
    for (; started < workers; started++) {
        pid_t pid = fork();
        if (pid < 0) {
            err = errno;
            break;
        }
        if (pid == 0) {
            free(pids); /* the child's copy: it _exits without returning */
            count_up_child(name, counter, iters);
        }
        pids[started] = pid;
    }
    for (unsigned i = 0; i < started; i++) {
        int status;
        pid_t r;
        do
            r = waitpid(pids[i], &status, 0);
        while (r < 0 && errno == EINTR);
        if (r < 0) {
            if (err == 0)
                err = errno;
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            if (err == 0)
                err = EIO;
        }
    }
out:
    free(pids);
    if (named_remove(name, sem) < 0 && err == 0)
        err = errno;
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

/* ===================================================================== */
/*  Exercise 4: bounded buffer with unnamed process-shared semaphores    */
/* ===================================================================== */

static size_t bbuf_size(unsigned slots)
{
    return sizeof(struct bbuf) + (size_t)slots * sizeof(long);
}

struct bbuf *bbuf_create(unsigned slots)
{
    if (slots == 0 || slots > BBUF_MAX_SLOTS) {
        errno = EINVAL;
        return NULL;
    }
    size_t size = bbuf_size(slots);
    struct bbuf *b =
        mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (b == MAP_FAILED)
        return NULL;
    int inited = 0;
    /* pshared = 1: waiters and posters may be in different processes. */
    if (sem_init(&b->mutex, 1, 1) < 0)
        goto fail;
    inited++;
    if (sem_init(&b->empty, 1, slots) < 0)
        goto fail;
    inited++;
    if (sem_init(&b->full, 1, 0) < 0)
        goto fail;
    b->slots = slots;
    b->head = b->tail = 0;
    return b;
fail:;
    int err = errno;
    if (inited > 1)
        sem_destroy(&b->empty);
    if (inited > 0)
        sem_destroy(&b->mutex);
    munmap(b, size);
    errno = err;
    return NULL;
}

int bbuf_destroy(struct bbuf *b)
{
    if (b == NULL) {
        errno = EINVAL;
        return -1;
    }
    sem_destroy(&b->full);
    sem_destroy(&b->empty);
    sem_destroy(&b->mutex);
    return munmap(b, bbuf_size(b->slots));
}

int bbuf_put(struct bbuf *b, long item)
{
    if (b == NULL) {
        errno = EINVAL;
        return -1;
    }
    /* empty before mutex: waiting for room while holding the mutex would
     * stop every consumer from making room. */
    if (sem_wait_retry(&b->empty) < 0)
        return -1;
    if (sem_wait_retry(&b->mutex) < 0) {
        sem_post_keep_errno(&b->empty); /* give the slot back */
        return -1;
    }
    b->items[b->tail] = item;
    b->tail = (b->tail + 1) % b->slots;
    if (sem_post(&b->mutex) < 0 || sem_post(&b->full) < 0)
        return -1;
    return 0;
}

/* Take one unit of full: forever, without waiting, or until a deadline. */
static int wait_full(struct bbuf *b, int timeout_ms)
{
    if (timeout_ms == 0)
        return sem_trywait(&b->full);
    if (timeout_ms < 0)
        return sem_wait_retry(&b->full);
    struct timespec deadline;
    if (clock_gettime(CLOCK_REALTIME, &deadline) < 0)
        return -1;
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    while (sem_timedwait(&b->full, &deadline) < 0) {
        if (errno != EINTR)
            return -1; /* ETIMEDOUT */
    }
    return 0;
}

int bbuf_get(struct bbuf *b, long *item, int timeout_ms)
{
    if (b == NULL || item == NULL) {
        errno = EINVAL;
        return -1;
    }
    if (wait_full(b, timeout_ms) < 0)
        return -1;
    if (sem_wait_retry(&b->mutex) < 0) {
        sem_post_keep_errno(&b->full); /* give the item back */
        return -1;
    }
    *item = b->items[b->head];
    b->head = (b->head + 1) % b->slots;
    if (sem_post(&b->mutex) < 0 || sem_post(&b->empty) < 0)
        return -1;
    return 0;
}

/* ===================================================================== */
/*  Exercise 5: the producer/consumer, fixed                             */
/* ===================================================================== */

static size_t pc_size(unsigned slots)
{
    return sizeof(struct pc_shared) + (size_t)slots * sizeof(long);
}

/* One semop on a single semaphore, retrying EINTR. flg: SEM_UNDO or 0. */
static int pc_op(int semid, unsigned short num, short delta, short flg)
{
    struct sembuf op = {.sem_num = num, .sem_op = delta, .sem_flg = flg};
    while (semop(semid, &op, 1) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

/* Set up what is ours while holding PC_MUTEX. 0, or -1 with errno. */
static int pc_join_locked(struct pc *pc, key_t key, unsigned slots)
{
    pc->shmid = shmget(key, pc_size(slots), IPC_CREAT | 0600);
    if (pc->shmid < 0)
        return -1;
    void *addr = shmat(pc->shmid, NULL, 0);
    if (addr == (void *)-1)
        return -1;
    pc->shared = addr;
    /* A fresh segment is zero-filled: only its first user sets it up.
     * (The source notes reset in and out on every start: lost items.) */
    if (pc->shared->slots == 0) {
        pc->shared->slots = slots;
        pc->shared->in = pc->shared->out = 0;
    }
    if (pc_op(pc->semid, PC_USERS, 1, SEM_UNDO) < 0) {
        int err = errno;
        shmdt(addr);
        pc->shared = NULL;
        errno = err;
        return -1;
    }
    return 0;
}

int pc_open(struct pc *pc, key_t key, unsigned slots, int timeout_ms)
{
    if (pc == NULL || key == IPC_PRIVATE || slots == 0 || slots > BBUF_MAX_SLOTS ||
        timeout_ms < 0) {
        errno = EINVAL;
        return -1;
    }
    const unsigned short init[PC_NSEMS] = {1, (unsigned short)slots, 0, 0};
    for (;;) {
        pc->semid = sysv_open_set(key, PC_NSEMS, init, timeout_ms);
        if (pc->semid < 0)
            return -1;
        pc->shared = NULL;
        if (pc_op(pc->semid, PC_MUTEX, -1, SEM_UNDO) < 0) {
            if (errno == EIDRM || errno == EINVAL)
                continue; /* the last user removed it just now: start over */
            return -1;
        }
        int r = pc_join_locked(pc, key, slots);
        int err = errno;
        if (pc_op(pc->semid, PC_MUTEX, 1, SEM_UNDO) < 0 && r == 0) {
            err = errno;
            shmdt(pc->shared);
            r = -1;
        }
        if (r < 0) {
            errno = err;
            return -1;
        }
        return 0;
    }
}

int pc_put(struct pc *pc, long item)
{
    if (pc == NULL || pc->shared == NULL) {
        errno = EINVAL;
        return -1;
    }
    if (pc_op(pc->semid, PC_EMPTY, -1, 0) < 0)
        return -1;
    if (pc_op(pc->semid, PC_MUTEX, -1, SEM_UNDO) < 0)
        return -1;
    struct pc_shared *s = pc->shared;
    s->items[s->in] = item;
    s->in = (s->in + 1) % s->slots;
    if (pc_op(pc->semid, PC_MUTEX, 1, SEM_UNDO) < 0)
        return -1;
    return pc_op(pc->semid, PC_FULL, 1, 0);
}

int pc_get(struct pc *pc, long *item, int timeout_ms)
{
    if (pc == NULL || pc->shared == NULL || item == NULL) {
        errno = EINVAL;
        return -1;
    }
    /* Wait for an item; no SEM_UNDO: the count belongs to the buffer. */
    struct sembuf take = {.sem_num = PC_FULL, .sem_op = -1, .sem_flg = 0};
    if (semop_within(pc->semid, &take, timeout_ms) < 0)
        return -1;
    if (pc_op(pc->semid, PC_MUTEX, -1, SEM_UNDO) < 0)
        return -1;
    struct pc_shared *s = pc->shared;
    *item = s->items[s->out];
    s->out = (s->out + 1) % s->slots;
    if (pc_op(pc->semid, PC_MUTEX, 1, SEM_UNDO) < 0)
        return -1;
    return pc_op(pc->semid, PC_EMPTY, 1, 0);
}

int pc_close(struct pc *pc)
{
    if (pc == NULL || pc->shared == NULL) {
        errno = EINVAL;
        return -1;
    }
    int err = 0;
    if (pc_op(pc->semid, PC_MUTEX, -1, SEM_UNDO) < 0 ||
        pc_op(pc->semid, PC_USERS, -1, SEM_UNDO) < 0) {
        err = errno;
        goto detach;
    }
    int users = semctl(pc->semid, PC_USERS, GETVAL);
    if (users < 0) {
        err = errno;
        pc_op(pc->semid, PC_MUTEX, 1, SEM_UNDO);
    } else if (users == 0) {
        /* Last one out: nobody can join meanwhile, we hold the mutex.
         * Removing the set drops the lock and our undo records with it. */
        if (shmctl(pc->shmid, IPC_RMID, NULL) < 0)
            err = errno;
        if (semctl(pc->semid, 0, IPC_RMID) < 0 && err == 0)
            err = errno;
    } else if (pc_op(pc->semid, PC_MUTEX, 1, SEM_UNDO) < 0) {
        err = errno;
    }
detach:
    if (shmdt(pc->shared) < 0 && err == 0)
        err = errno;
    pc->shared = NULL;
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

/* ===================================================================== */
/*  Exercise 6: a robust, process-shared mutex (the ledger)              */
/* ===================================================================== */

/* Keep the stores before this point ahead of the ones after it: a process
 * killed between two steps must leave them in program order. The CPU runs
 * one process's stores in order; only the compiler could move them. */
#define STEP() atomic_signal_fence(memory_order_seq_cst)

struct ledger *ledger_create(long initial)
{
    if (initial < 0 || initial > LONG_MAX / LEDGER_ACCOUNTS) {
        errno = EINVAL;
        return NULL;
    }
    struct ledger *l =
        mmap(NULL, sizeof *l, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (l == MAP_FAILED)
        return NULL;
    pthread_mutexattr_t attr;
    int err = pthread_mutexattr_init(&attr);
    if (err != 0)
        goto fail_unmap;
    /* Each attribute fixes one way a shared lock fails between processes:
     * invisible wake-ups, a dead holder wedging everyone, and a
     * low-priority holder starved by medium-priority work. */
    if ((err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED)) != 0 ||
        (err = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST)) != 0 ||
        (err = pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT)) != 0 ||
        (err = pthread_mutex_init(&l->lock, &attr)) != 0)
        goto fail_attr;
    pthread_mutexattr_destroy(&attr);
    for (int i = 0; i < LEDGER_ACCOUNTS; i++)
        l->balance[i] = initial;
    l->total = initial * LEDGER_ACCOUNTS;
    l->transfers = l->recoveries = 0; /* a fresh mapping is zero already: say so */
    l->journal.active = 0;
    return l;
fail_attr:
    pthread_mutexattr_destroy(&attr);
fail_unmap:
    munmap(l, sizeof *l);
    errno = err;
    return NULL;
}

int ledger_destroy(struct ledger *l)
{
    if (l == NULL) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_destroy(&l->lock);
    return munmap(l, sizeof *l);
}

static bool valid_account(int a)
{
    return a >= 0 && a < LEDGER_ACCOUNTS;
}

/* Called holding the mutex after EOWNERDEAD: undo the dead holder's
 * unfinished transfer. True when the invariant holds again. */
static bool repair(struct ledger *l)
{
    struct ledger_journal *j = &l->journal;
    if (j->active) {
        if (!valid_account(j->from) || !valid_account(j->to) || j->from == j->to)
            return false; /* a journal we cannot trust explains nothing */
        l->balance[j->from] = j->from_before;
        l->balance[j->to] = j->to_before;
        l->transfers = j->transfers_before;
        STEP();
        j->active = 0;
    }
    long sum = 0;
    for (int i = 0; i < LEDGER_ACCOUNTS; i++)
        sum += l->balance[i];
    return sum == l->total;
}

int ledger_lock(struct ledger *l)
{
    if (l == NULL) {
        errno = EINVAL;
        return -1;
    }
    int err = pthread_mutex_lock(&l->lock);
    if (err == 0)
        return 0;
    if (err != EOWNERDEAD) {
        errno = err; /* ENOTRECOVERABLE once someone gave up on it */
        return -1;
    }
    /* We hold the mutex, and whatever the dead holder left half done. */
    if (!repair(l)) {
        /* Unlocking without pthread_mutex_consistent marks the mutex not
         * recoverable: every later locker gets ENOTRECOVERABLE instead of
         * trusting broken data. */
        pthread_mutex_unlock(&l->lock);
        errno = ENOTRECOVERABLE;
        return -1;
    }
    l->recoveries++;
    err = pthread_mutex_consistent(&l->lock);
    if (err != 0) {
        pthread_mutex_unlock(&l->lock);
        errno = err;
        return -1;
    }
    return 1;
}

int ledger_unlock(struct ledger *l)
{
    if (l == NULL) {
        errno = EINVAL;
        return -1;
    }
    int err = pthread_mutex_unlock(&l->lock);
    if (err != 0) {
        errno = err; /* EPERM: not ours */
        return -1;
    }
    return 0;
}

int ledger_transfer(struct ledger *l, int from, int to, long amount)
{
    if (l == NULL || !valid_account(from) || !valid_account(to) || from == to ||
        amount <= 0) {
        errno = EINVAL;
        return -1;
    }
    if (ledger_lock(l) < 0)
        return -1;
    struct ledger_journal *j = &l->journal;
    j->from = from;
    j->to = to;
    j->from_before = l->balance[from];
    j->to_before = l->balance[to];
    j->transfers_before = l->transfers;
    STEP(); /* the record is complete before it counts */
    j->active = 1;
    STEP(); /* ... and counts before anything it records changes */
    l->balance[from] -= amount;
    l->balance[to] += amount;
    l->transfers++;
    STEP(); /* every change is made before the record stops counting */
    j->active = 0;
    return ledger_unlock(l);
}
