/* test_sysv.c - lab 05 tests: sysv_open_set (exercise 1), sysv_lock (exercise 2). */
#include "ipclab_shim.h"
#include "ipclab_test.h"
#include "sem_helpers.h"
#include "semaphores.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(open_set, .timeout = 10, .fini = cleanup_tracked);
TestSuite(sysv_lock, .timeout = 10, .fini = cleanup_tracked);
TestSuite(lock_order, .timeout = 15, .fini = cleanup_tracked);

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

/* Remove a set the test made; ignores ids that are already gone. */
static void rm_set(int semid)
{
    if (semid >= 0)
        semctl(semid, 0, IPC_RMID);
}

/* A fresh set of n semaphores, all set to value (made by the test itself). */
static int test_set(int n, int value)
{
    int semid = semget(IPC_PRIVATE, n, IPC_CREAT | 0600);
    cr_assert_geq(semid, 0, "semget: %s", strerror(errno));
    track_set(semid);
    for (int i = 0; i < n; i++) {
        union semun arg = {.val = value};
        cr_assert_eq(semctl(semid, i, SETVAL, arg), 0);
    }
    return semid;
}

/* ---- exercise 1: sysv_open_set ----------------------------------------- */

Test(open_set, creates_with_initial_values)
{
    const unsigned short init[3] = {1, 7, 0};
    int semid = sysv_open_set(fresh_key(), 3, init, 1000);
    cr_assert_geq(semid, 0, "sysv_open_set: %s", strerror(errno));
    int v0 = semval(semid, 0), v1 = semval(semid, 1), v2 = semval(semid, 2);
    rm_set(semid);
    cr_assert(v0 == 1 && v1 == 7 && v2 == 0, "values are %d %d %d, expected 1 7 0", v0,
              v1, v2);
}

Test(open_set, creator_marks_set_initialised)
{
    const unsigned short init[2] = {3, 4};
    int semid = sysv_open_set(fresh_key(), 2, init, 1000);
    cr_assert_geq(semid, 0, "sysv_open_set: %s", strerror(errno));
    long long otime = sem_otime_of(semid);
    int v0 = semval(semid, 0);
    rm_set(semid);
    cr_assert_gt(otime, 0,
                 "sem_otime is still 0: after SETALL, perform one semop that leaves the "
                 "values unchanged so other processes know the set is ready");
    cr_assert_eq(v0, 3, "the marking semop must leave the values as they were");
}

/* $begin second_open */
Test(open_set, second_open_keeps_values)
{
    key_t key = fresh_key();
    const unsigned short init[3] = {1, 5, 0};
    int first = sysv_open_set(key, 3, init, 1000);
    cr_assert_geq(first, 0, "sysv_open_set: %s", strerror(errno));
    /* The set is in use: one item was produced (empty 5 -> 4, full 0 -> 1). */
    struct sembuf produce[2] = {{1, -1, 0}, {2, 1, 0}};
    cr_assert_eq(semop(first, produce, 2), 0);

    int second = sysv_open_set(key, 3, init, 1000);
    int empty = semval(first, 1), full = semval(first, 2);
    rm_set(first);
    cr_assert_eq(second, first, "the same key must give the same set");
    cr_assert(
        empty == 4 && full == 1,
        "the second open reset the values in use (empty %d, full %d, expected 4 and "
        "1): only the creator may set them",
        empty, full);
}
/* $end second_open */

/* $begin uninitialised */
Test(open_set, waits_for_uninitialised_set)
{
    /* Another process created the set and has not set its values yet. */
    key_t key = fresh_key();
    int semid = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
    cr_assert_geq(semid, 0, "semget: %s", strerror(errno));

    const unsigned short init[2] = {1, 1};
    long long start = mono_ms();
    errno = 0;
    int r = sysv_open_set(key, 2, init, 300);
    int err = errno;
    long long elapsed = mono_ms() - start;
    int v0 = semval(semid, 0);
    long long otime = sem_otime_of(semid);
    rm_set(semid);
    cr_assert_eq(r, -1, "a set whose sem_otime is 0 is not ready: wait, then ETIMEDOUT");
    cr_assert_eq(err, ETIMEDOUT, "errno should be ETIMEDOUT, got %s", strerror(err));
    cr_assert(v0 == 0 && otime == 0, "a joiner must never initialise someone else's set");
    cr_assert_geq(elapsed, 250, "gave up after %lld ms instead of 300", elapsed);
}
/* $end uninitialised */

/*
 * A signal may cut one of the joiner's sleeps short (nanosleep fails with EINTR,
 * the rest of the sleep in *rem): the shim interrupts the first sleep. The wait
 * goes on and still ends with ETIMEDOUT once timeout_ms have passed. A sleep
 * loop that tests errno after a sleep that succeeded (errno is still EINTR)
 * never ends: this test then times out.
 */
Test(open_set, interrupted_sleep_still_times_out)
{
    key_t key = fresh_key();
    int semid = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
    cr_assert_geq(semid, 0, "semget: %s", strerror(errno));
    track_set(semid);
    const unsigned short init[1] = {1};
    ipct_fault_fail("nanosleep clock_nanosleep poll ppoll select", 1, EINTR);
    long long start = mono_ms();
    errno = 0;
    int r = sysv_open_set(key, 1, init, 200);
    int err = errno;
    long long elapsed = mono_ms() - start;
    ipct_fault_clear();
    cr_assert_eq(r, -1, "a set whose sem_otime is 0 is not ready: wait, then ETIMEDOUT");
    cr_assert_eq(err, ETIMEDOUT,
                 "errno should be ETIMEDOUT, got %s (a signal interrupted a sleep: %s; "
                 "sleep again, the wait is not over)",
                 strerror(err), ipct_faults_injected());
    cr_assert_geq(elapsed, 150, "gave up after %lld ms instead of 200", elapsed);
}

Test(open_set, joiner_returns_once_initialised)
{
    key_t key = fresh_key();
    int semid = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
    cr_assert_geq(semid, 0, "semget: %s", strerror(errno));
    int ready[2], done[2];
    cr_assert_eq(pipe(ready), 0);
    cr_assert_eq(pipe(done), 0);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(ready[0]);
        close(done[0]);
        const unsigned short init[2] = {9, 9}; /* a joiner must not use these */
        IPCT_CHILD_CHECK(put_byte(ready[1], 'r') == 0);
        int id = sysv_open_set(key, 2, init, 8000);
        IPCT_CHILD_CHECK(id == semid);
        IPCT_CHILD_CHECK(semval(id, 0) == 1 && semval(id, 1) == 6);
        IPCT_CHILD_CHECK(put_byte(done[1], 'd') == 0);
        _exit(0);
    }
    close(ready[1]);
    close(done[1]);
    char c;
    cr_assert_eq(get_byte(ready[0], &c), 0);
    /* Now play the creator: set the values, then mark the set with a semop. */
    unsigned short values[2] = {1, 6};
    union semun arg = {.array = values};
    cr_assert_eq(semctl(semid, 0, SETALL, arg), 0);
    struct sembuf mark[2] = {{0, 1, 0}, {0, -1, 0}};
    cr_assert_eq(semop(semid, mark, 2), 0);
    int code = ipct_wait_exit(pid, 9000);
    int v1 = semval(semid, 1);
    rm_set(semid);
    close(ready[0]);
    close(done[0]);
    cr_assert_eq(code, 0,
                 "the joiner failed (exit %d): it must return the set once "
                 "sem_otime is set, with the creator's values",
                 code);
    cr_assert_eq(v1, 6);
}

/*
 * The set a joiner waits on is removed (its creator gave up): the joiner looks
 * the key up again, finds nothing, and creates and initialises the set itself.
 */
Test(open_set, joiner_recreates_a_removed_set)
{
    key_t key = fresh_key();
    track_key(key);
    int semid = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
    cr_assert_geq(semid, 0, "semget: %s", strerror(errno));
    pid_t pid = ipct_fork();
    if (pid == 0) {
        const unsigned short init[2] = {4, 5};
        int id = sysv_open_set(key, 2, init, 8000);
        IPCT_CHILD_CHECK(id >= 0 && id != semid);
        IPCT_CHILD_CHECK(semval(id, 0) == 4 && semval(id, 1) == 5);
        _exit(0);
    }
    /* Remove the set while the joiner sleeps between two looks at sem_otime
       (a joiner that sleeps another way finds it removed before it looks). */
    (void)ipct_blocked_in(pid, SYS_clock_nanosleep, 2000);
    rm_set(semid);
    int code = ipct_wait_exit(pid, 9000);
    cr_assert_eq(code, 0,
                 "the joiner failed (exit %d): a set removed while it waits is looked "
                 "up again, and created with its init values when it is gone",
                 code);
}

/*
 * A SysV id is any number semget returns, 0 included: the first set of a new
 * IPC namespace has id 0. A child of the test moves to a namespace of its own
 * where it can, so the set it creates is 0: sysv_open_set must return it, and
 * a second open of the key must find it (a check like semid > 0 takes it for
 * a failure). Elsewhere the set gets whatever id the namespace gives.
 */
Test(open_set, id_zero_is_a_set)
{
    key_t key = ipct_key();
    pid_t pid = ipct_fork();
    if (pid == 0) {
        bool own = ipct_new_ipc_namespace();
        const unsigned short init[2] = {1, 3};
        int id = sysv_open_set(key, 2, init, 1000);
        IPCT_CHILD_CHECK(id >= 0 && (!own || id == 0));
        int again = sysv_open_set(key, 2, init, 1000);
        IPCT_CHILD_CHECK(again == id);
        IPCT_CHILD_CHECK(semctl(id, 1, GETVAL) == 3);
        semctl(id, 0, IPC_RMID);
        _exit(0);
    }
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0,
                 "in a new IPC namespace the first set is id 0: sysv_open_set must "
                 "return it, and a second sysv_open_set of the key must return it too "
                 "(see the line above): every id semget returns is valid, 0 too");
}

Test(open_set, private_key_always_creates)
{
    const unsigned short init[1] = {2};
    int a = sysv_open_set(IPC_PRIVATE, 1, init, 100);
    int b = sysv_open_set(IPC_PRIVATE, 1, init, 100);
    int va = semval(a, 0);
    rm_set(a);
    rm_set(b);
    cr_assert(a >= 0 && b >= 0, "sysv_open_set(IPC_PRIVATE) failed: %s", strerror(errno));
    cr_assert_neq(a, b, "IPC_PRIVATE makes a new set every time");
    cr_assert_eq(va, 2);
}

Test(open_set, larger_than_existing_is_einval)
{
    key_t key = fresh_key();
    const unsigned short init[3] = {1, 1, 1};
    int semid = sysv_open_set(key, 2, init, 1000);
    cr_assert_geq(semid, 0, "sysv_open_set: %s", strerror(errno));
    errno = 0;
    int r = sysv_open_set(key, 3, init, 200);
    int err = errno;
    rm_set(semid);
    cr_assert_eq(r, -1, "asking for 3 semaphores of a 2-semaphore set must fail");
    cr_assert_eq(err, EINVAL, "errno should be EINVAL, got %s", strerror(err));
}

Test(open_set, bad_arguments_are_einval)
{
    const unsigned short init[1] = {1};
    IPCT_ASSERT_FAILS(EINVAL, sysv_open_set(IPC_PRIVATE, 0, init, 100),
                      "nsems 0: must fail");
    IPCT_ASSERT_FAILS(EINVAL, sysv_open_set(IPC_PRIVATE, 1, NULL, 100),
                      "init NULL: must fail");
    IPCT_ASSERT_FAILS(EINVAL, sysv_open_set(IPC_PRIVATE, 1, init, -1),
                      "must fail with EINVAL");
}

/* SEMMSL, the most semaphores one set may have (first field of /proc/sys/kernel/sem). */
static int semmsl(void)
{
    int v = -1;
    FILE *f = fopen("/proc/sys/kernel/sem", "r");
    cr_assert_not_null(f, "/proc/sys/kernel/sem: %s", strerror(errno));
    int n = fscanf(f, "%d", &v);
    fclose(f);
    cr_assert(n == 1 && v > 0, "cannot read SEMMSL");
    return v;
}

/*
 * The kernel refuses a value above SEMVMX (32767) in SETALL with ERANGE, and a
 * set larger than SEMMSL in semget with EINVAL: the call fails with that errno,
 * and a set it created and could not initialise is not left behind.
 */
Test(open_set, kernel_errors_leave_nothing)
{
    key_t key = fresh_key();
    const unsigned short init[2] = {1, 40000};
    errno = 0;
    int r = sysv_open_set(key, 2, init, 200);
    int err = errno;
    int left = semget(key, 0, 0);
    if (r >= 0)
        track_set(r);
    if (left >= 0)
        track_set(left);
    cr_assert_eq(r, -1, "a value of 40000 (above SEMVMX, 32767) cannot be set: fail");
    cr_assert_eq(err, ERANGE, "semctl(SETALL) fails with ERANGE: pass it on, got %s",
                 strerror(err));
    cr_assert_lt(left, 0,
                 "the set this call created is still there although initialising it "
                 "failed: remove it (IPC_RMID) before returning -1");
    int too_many = semmsl() + 1;
    unsigned short *many = calloc((size_t)too_many, sizeof *many);
    cr_assert_not_null(many);
    key = fresh_key();
    errno = 0;
    r = sysv_open_set(key, too_many, many, 200);
    err = errno;
    free(many);
    left = semget(key, 0, 0);
    if (r >= 0)
        track_set(r);
    if (left >= 0)
        track_set(left);
    cr_assert_eq(r, -1, "%d semaphores (SEMMSL + 1) in one set: semget refuses, fail",
                 too_many);
    cr_assert_eq(err, EINVAL, "semget's EINVAL must be passed on, got %s", strerror(err));
    cr_assert_lt(left, 0, "no set may be left for a failed call");
}

/* One semaphore and a timeout of 0 are valid: only nsems < 1 and timeout_ms < 0 are not.
 */
Test(open_set, smallest_arguments_work)
{
    const unsigned short init[1] = {3};
    int semid = sysv_open_set(fresh_key(), 1, init, 0);
    int err = errno;
    if (semid >= 0)
        track_set(semid);
    cr_assert_geq(semid, 0,
                  "sysv_open_set(key, nsems 1, init, timeout_ms 0) failed (%s): a set of "
                  "one semaphore and a zero timeout are valid",
                  strerror(err));
    cr_assert_eq(semval(semid, 0), 3);
}

/* The values array a creator builds for SETALL is freed, on success and when
 * setting the values fails; a joiner's call frees what it allocates too. */
Test(open_set, frees_what_it_allocates)
{
    const unsigned short init[3] = {2, 0, 5};
    key_t key = fresh_key();
    long before = ipct_heap_blocks();
    int semid = sysv_open_set(key, 3, init, 1000);
    int err = errno;
    if (semid >= 0)
        track_set(semid);
    cr_assert_geq(semid, 0, "sysv_open_set: %s", strerror(err));
    IPCT_EXPECT_HEAP_BACK(before, "sysv_open_set created and initialised a set");
    int again = sysv_open_set(key, 3, init, 1000);
    err = errno;
    cr_assert_eq(again, semid, "opening the set again: %s", strerror(err));
    IPCT_EXPECT_HEAP_BACK(before, "sysv_open_set opened an existing set");
    const unsigned short bad[2] = {1, 40000};
    key = fresh_key();
    int r = sysv_open_set(key, 2, bad, 200);
    int left = semget(key, 0, 0);
    if (r >= 0)
        track_set(r);
    if (left >= 0)
        track_set(left);
    cr_assert_eq(r, -1, "a value of 40000 (above SEMVMX) cannot be set: fail");
    IPCT_EXPECT_HEAP_BACK(before, "sysv_open_set failed to set the values (ERANGE)");
}

/* ---- exercise 2: sysv_lock / sysv_unlock ------------------------------- */

Test(sysv_lock, lock_then_unlock)
{
    int semid = test_set(1, 1);
    int r1 = sysv_lock(semid, 0, -1);
    int held = semval(semid, 0);
    int r2 = sysv_unlock(semid, 0);
    int after = semval(semid, 0);
    rm_set(semid);
    cr_assert_eq(r1, 0, "sysv_lock: %s", strerror(errno));
    cr_assert_eq(held, 0, "a held binary semaphore is 0, got %d", held);
    cr_assert_eq(r2, 0);
    cr_assert_eq(after, 1);
}

Test(sysv_lock, nowait_on_held_is_eagain)
{
    int semid = test_set(1, 0);
    errno = 0;
    int r = sysv_lock(semid, 0, 0);
    int err = errno;
    rm_set(semid);
    cr_assert_eq(r, -1, "timeout 0 must not wait (IPC_NOWAIT)");
    cr_assert_eq(err, EAGAIN, "errno should be EAGAIN, got %s", strerror(err));
}

/* $begin timeout */
Test(sysv_lock, timeout_is_bounded)
{
    int semid = test_set(1, 0); /* held by nobody we could wait for */
    long long start = mono_ms();
    errno = 0;
    int r = sysv_lock(semid, 0, 200);
    int err = errno;
    long long elapsed = mono_ms() - start;
    rm_set(semid);
    cr_assert_eq(r, -1);
    cr_assert_eq(err, EAGAIN, "semtimedop reports a timeout as EAGAIN, got %s",
                 strerror(err));
    cr_assert_geq(elapsed, 190, "returned after %lld ms, before the timeout", elapsed);
    cr_assert_lt(elapsed, 5000, "took %lld ms for a 200 ms timeout", elapsed);
}
/* $end timeout */

/* $begin sem_undo */
Test(sysv_lock, holder_killed_releases_lock)
{
    int semid = test_set(1, 1);
    int held[2];
    cr_assert_eq(pipe(held), 0);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(held[0]);
        IPCT_CHILD_CHECK(sysv_lock(semid, 0, -1) == 0);
        IPCT_CHILD_CHECK(put_byte(held[1], 'h') == 0);
        for (;;)
            pause(); /* hold the lock until SIGKILL */
    }
    close(held[1]);
    char c;
    int got = get_byte(held[0], &c);
    close(held[0]);
    kill(pid, SIGKILL);
    int status;
    cr_assert_eq(ipct_wait(pid, &status, 5000), 0);
    cr_assert_eq(got, 0, "the child could not take the lock (status %#x)", status);
    /* SEM_UNDO: the kernel gave the dead holder's unit back. */
    int r = sysv_lock(semid, 0, 2000);
    rm_set(semid);
    cr_assert_eq(r, 0, "the lock is still held by a dead process: use SEM_UNDO (%s)",
                 strerror(errno));
}
/* $end sem_undo */

Test(sysv_lock, unlock_balances_undo)
{
    /* A process that locks and unlocks, then exits, must leave the value 1. */
    int semid = test_set(1, 1);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        IPCT_CHILD_CHECK(sysv_lock(semid, 0, -1) == 0);
        IPCT_CHILD_CHECK(sysv_unlock(semid, 0) == 0);
        _exit(0);
    }
    int code = ipct_wait_exit(pid, 5000);
    int v = semval(semid, 0);
    rm_set(semid);
    cr_assert_eq(code, 0);
    cr_assert_eq(v, 1,
                 "after lock+unlock+exit the value is %d: unlock needs SEM_UNDO too, or "
                 "the exit undoes the lock a second time",
                 v);
}

Test(sysv_lock, waiter_wakes_on_unlock)
{
    int semid = test_set(1, 1);
    cr_assert_eq(sysv_lock(semid, 0, -1), 0, "sysv_lock: %s", strerror(errno));
    pid_t pid = ipct_fork();
    if (pid == 0) {
        IPCT_CHILD_CHECK(sysv_lock(semid, 0, -1) == 0);
        IPCT_CHILD_CHECK(sysv_unlock(semid, 0) == 0);
        _exit(0);
    }
    bool blocked = wait_ncnt(semid, 0, 1, pid, 5000);
    cr_assert_eq(sysv_unlock(semid, 0), 0);
    int code = ipct_wait_exit(pid, 5000);
    rm_set(semid);
    cr_assert(blocked, "the child never waited in semop (GETNCNT stayed 0)");
    cr_assert_eq(code, 0, "the waiting child did not get the lock (exit %d)", code);
}

/*
 * The kernel interrupts a semop when a handler runs, and never restarts it
 * (not even with SA_RESTART): the shim makes it happen (handout: "Faults the
 * tests inject"). The first semop and the first semtimedop of the student's
 * code fail with EINTR; both waits (forever and with a timeout) must resume.
 */
Test(sysv_lock, wait_resumes_after_signal)
{
    int semid = test_set(2, 1);
    ipct_fault_fail("semop", 1, EINTR);
    ipct_fault_fail("semtimedop", 1, EINTR);
    int forever = sysv_lock(semid, 0, -1);
    int err = errno;
    int timed = sysv_lock(semid, 1, 8000);
    int terr = errno;
    ipct_fault_clear();
    int v0 = semval(semid, 0), v1 = semval(semid, 1);
    rm_set(semid);
    cr_assert_eq(forever, 0,
                 "sysv_lock(timeout -1) failed (%s) when its semop was interrupted by a "
                 "signal (EINTR injected by the test): retry on EINTR",
                 strerror(err));
    cr_assert_eq(timed, 0,
                 "sysv_lock(timeout 8000) failed (%s) when its wait was interrupted by a "
                 "signal (EINTR injected by the test): go on with the time that is left",
                 strerror(terr));
    cr_assert(v0 == 0 && v1 == 0, "both locks must be held (values %d and %d)", v0, v1);
    cr_assert_geq(ipct_faults_count(), 2, "only %d waits were interrupted: %s",
                  ipct_faults_count(), ipct_faults_injected());
}

Test(sysv_lock, removed_set_is_eidrm)
{
    int semid = test_set(1, 0);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        errno = 0;
        int r = sysv_lock(semid, 0, -1);
        _exit(r == -1 && errno == EIDRM ? 0 : 1);
    }
    bool blocked = wait_ncnt(semid, 0, 1, pid, 5000);
    rm_set(semid);
    int code = ipct_wait_exit(pid, 5000);
    cr_assert(blocked, "the child never waited in semop");
    cr_assert_eq(code, 0, "a waiter whose set is removed must get -1 with EIDRM");
}

Test(sysv_lock, bad_id_and_number_fail)
{
    IPCT_ASSERT_FAILS(EINVAL, sysv_lock(-1, 0, 0), "bad id: must fail");
    int semid = test_set(1, 1);
    errno = 0;
    int r = sysv_lock(semid, 5, 0);
    int err = errno;
    rm_set(semid);
    cr_assert_eq(r, -1);
    cr_assert_eq(err, EFBIG, "semaphore 5 of a 1-semaphore set: EFBIG, got %s",
                 strerror(err));
}

/* ---- exercise 2: lock ordering ----------------------------------------- */

/* $begin lower_first */
Test(lock_order, pair_takes_lower_first)
{
    int semid = test_set(2, 1);
    cr_assert_eq(sysv_lock(semid, 0, -1), 0, "sysv_lock: %s", strerror(errno));
    pid_t pid = ipct_fork();
    if (pid == 0) {
        IPCT_CHILD_CHECK(sysv_lock_pair(semid, 1, 0) == 0); /* arguments reversed */
        IPCT_CHILD_CHECK(sysv_unlock_pair(semid, 1, 0) == 0);
        _exit(0);
    }
    /* We hold 0. A child that follows the order waits for 0 holding nothing. */
    bool blocked = wait_ncnt(semid, 0, 1, pid, 5000);
    int v1 = semval(semid, 1);
    cr_assert_eq(sysv_unlock(semid, 0), 0);
    int code = ipct_wait_exit(pid, 5000);
    rm_set(semid);
    cr_assert(blocked, "the child never waited for semaphore 0");
    cr_assert_eq(v1, 1,
                 "the child took semaphore 1 and then waited for 0: with another process "
                 "doing the opposite, both wait forever. Take the lower number first");
    cr_assert_eq(code, 0);
}
/* $end lower_first */

Test(lock_order, opposite_orders_never_deadlock)
{
    int semid = test_set(2, 1);
    unsigned iters = ipct_under_valgrind() ? 40 : 3000;
    long *shared = shared_area(sizeof(long));
    pid_t pids[2];
    for (int k = 0; k < 2; k++) {
        pids[k] = ipct_fork();
        if (pids[k] == 0) {
            unsigned short a = k == 0 ? 0 : 1, b = k == 0 ? 1 : 0;
            for (unsigned i = 0; i < iters; i++) {
                IPCT_CHILD_CHECK(sysv_lock_pair(semid, a, b) == 0);
                (*shared)++;
                IPCT_CHILD_CHECK(sysv_unlock_pair(semid, a, b) == 0);
            }
            _exit(0);
        }
    }
    int c0 = ipct_wait_exit(pids[0], 12000);
    int c1 = ipct_wait_exit(pids[1], 12000);
    long total = *shared;
    shared_area_free(shared, sizeof(long));
    rm_set(semid);
    cr_assert(c0 == 0 && c1 == 0, "the two processes deadlocked or failed (%d, %d)", c0,
              c1);
    cr_assert_eq(total, 2L * iters, "lost increments: %ld of %u", total, 2 * iters);
}

Test(lock_order, same_semaphore_is_einval)
{
    int semid = test_set(2, 1);
    errno = 0;
    int r = sysv_lock_pair(semid, 1, 1);
    int err = errno;
    int v = semval(semid, 1);
    rm_set(semid);
    cr_assert_eq(r, -1, "a pair of one semaphore would wait for itself");
    cr_assert_eq(err, EINVAL, "errno should be EINVAL, got %s", strerror(err));
    cr_assert_eq(v, 1, "nothing may stay taken after EINVAL");
}

/*
 * A pair whose second lock fails gives the first back; unlocking a pair reports
 * the failure of either release; a pair of one semaphore is EINVAL both ways.
 */
Test(lock_order, failed_pair_holds_nothing)
{
    int semid = test_set(2, 1);
    errno = 0;
    int r = sysv_lock_pair(semid, 5, 0); /* 0 first, then 5: not in the set */
    int err = errno;
    int v0 = semval(semid, 0);
    errno = 0;
    int bad = sysv_lock_pair(-1, 0, 1);
    int bad_err = errno;
    cr_assert_eq(sysv_lock(semid, 0, 0), 0, "sysv_lock: %s", strerror(errno));
    errno = 0;
    int u = sysv_unlock_pair(semid, 5, 0);
    int u_err = errno;
    errno = 0;
    int same = sysv_unlock_pair(semid, 1, 1);
    int same_err = errno;
    rm_set(semid);
    cr_assert(r == -1 && err == EFBIG,
              "sysv_lock_pair(0 and 5) of a 2-semaphore set: -1 with EFBIG, got %d (%s)",
              r, strerror(err));
    cr_assert_eq(v0, 1,
                 "semaphore 0 is still taken (value %d) after the pair failed: give the "
                 "first lock back when the second cannot be taken",
                 v0);
    cr_assert(bad == -1 && bad_err == EINVAL,
              "sysv_lock_pair on a bad id: -1 with EINVAL, got %d (%s)", bad,
              strerror(bad_err));
    cr_assert(u == -1 && u_err == EFBIG,
              "sysv_unlock_pair(0 and 5): releasing 5 fails, so -1 with EFBIG, got %d "
              "(%s)",
              u, strerror(u_err));
    cr_assert(same == -1 && same_err == EINVAL,
              "sysv_unlock_pair(1, 1) is not a pair: -1 with EINVAL, got %d (%s)", same,
              strerror(same_err));
}
