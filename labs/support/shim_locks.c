/*
 * shim_locks.c - is the mutex the student's code unlocks (or waits on) held
 * by the calling thread? (ipct_locks_check in ipclab_shim.h.)
 *
 * POSIX leaves unlocking a default or normal mutex that the thread does not
 * hold undefined, and glibc does not check it: the unlock simply frees the
 * lock, even one another thread holds. So a deleted pthread_mutex_lock goes
 * unnoticed, and the race it opens shows (if ever) long after, by luck. The
 * check reads who holds the mutex from glibc's own record (the kernel thread
 * id in __data.__owner, which glibc writes for every kind when it locks and
 * clears when it unlocks) before the real call, so it sees the mistake at
 * the call, every time, whatever the scheduler does.
 *
 * Only the kinds whose unlock trusts the caller are checked: PTHREAD_MUTEX_
 * DEFAULT/NORMAL and ADAPTIVE, not robust, priority-inheriting or protecting
 * ones. Error-checking, recursive and robust mutexes refuse a stranger's
 * unlock with EPERM themselves, which the student's code sees.
 */
#include "ipclab_shim.h"
#include "shim_locks.h"

#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * glibc's __data.__kind (nptl/pthreadP.h): the type in the low 2 bits
 * (PTHREAD_MUTEX_NORMAL 0, ADAPTIVE 3), then robust (16), priority
 * inheritance (32) and protection (64) bits; 128 is process-shared, 256 and
 * 512 lock elision, which change nothing here.
 */
#define KIND_TYPE    3
#define KIND_SPECIAL (16 | 32 | 64)

static _Thread_local pid_t my_tid; /* a cache: after fork(2), the parent thread's */
static pid_t forking_tid;          /* set by at_prepare: the thread calling fork(2) */
static pid_t inherited_tid; /* in a child: the thread of the parent that forked it */

static atomic_flag noted = ATOMIC_FLAG_INIT; /* the first misuse is kept */
static char misuse[384];
static atomic_bool text_ready;
static atomic_int misuses; /* calls seen */

static void at_prepare(void)
{
    forking_tid = gettid();
}

static void at_child(void)
{
    /* The mutexes the forking thread held (pthread_atfork's usual prepare
     * handler locks them) are its own in the child, under a new thread id. */
    inherited_tid = forking_tid;
    atomic_flag_clear(&noted); /* what the parent saw is the parent's */
    atomic_store(&text_ready, false);
    atomic_store(&misuses, 0);
}

__attribute__((constructor)) static void register_fork_hooks(void)
{
    (void)pthread_atfork(at_prepare, NULL, at_child);
}

/* Whether the calling thread holds a mutex whose owner glibc recorded as owner. */
static bool held_by_me(pid_t owner)
{
    if (owner == 0)
        return false;
    if (owner == my_tid || owner == inherited_tid)
        return true;
    my_tid = gettid(); /* the cache was empty, or a parent's after fork(2) */
    return owner == my_tid;
}

void shim_lock_must_hold(const pthread_mutex_t *m, const char *call)
{
    int kind = __atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED);
    int type = kind & KIND_TYPE;
    if ((kind & KIND_SPECIAL) != 0 || (type != PTHREAD_MUTEX_NORMAL && type != 3))
        return;
    pid_t owner = __atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED);
    if (held_by_me(owner))
        return;
    if (atomic_flag_test_and_set(&noted)) {
        atomic_fetch_add(&misuses, 1);
        return;
    }
    char who[64];
    if (owner == 0)
        snprintf(who, sizeof who, "no thread held it");
    else
        snprintf(who, sizeof who, "thread %d held it", (int)owner);
    bool unlock = strcmp(call, "pthread_mutex_unlock") == 0;
    snprintf(misuse, sizeof misuse,
             "thread %d of your code called %s(%p) on a mutex it does not hold (%s): %s",
             (int)gettid(), call, (const void *)m, who,
             unlock ? "a pthread_mutex_lock is missing before it, or this unlock is one "
                      "too many"
                    : "a condition variable is waited on with its mutex locked");
    atomic_store(&text_ready, true); /* after the text: ipct_locks_check reads it */
    atomic_fetch_add(&misuses, 1);
}

int ipct_locks_misused(void)
{
    return atomic_load(&misuses);
}

void ipct_locks_check(void)
{
    int n = atomic_load(&misuses);
    if (n == 0)
        return;
    cr_assert_fail("%s%s. Only the thread that locked a mutex may unlock it or wait "
                   "with it: anything else is undefined behaviour, and such an unlock "
                   "frees a lock that another thread may be inside",
                   atomic_load(&text_ready)
                       ? misuse
                       : "a mutex was unlocked by a thread that did not hold it",
                   n > 1 ? " (and more such calls after it)" : "");
}
