/* test_pc.c - lab 05 tests: the source notes' producer/consumer, fixed (exercise 5). */
#include "ipclab_shim.h"
#include "ipclab_test.h"
#include "sem_helpers.h"
#include "semaphores.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

TestSuite(pc, .timeout = 20, .fini = cleanup_tracked);

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

Test(pc, open_sets_up_both_objects)
{
    key_t key = fresh_key();
    struct pc pc;
    int r = pc_open(&pc, key, 5, 1000);
    cr_assert_eq(r, 0, "pc_open: %s", strerror(errno));
    int mutex = semval(pc.semid, PC_MUTEX), empty = semval(pc.semid, PC_EMPTY);
    int full = semval(pc.semid, PC_FULL), users = semval(pc.semid, PC_USERS);
    unsigned slots = pc.shared->slots;
    int same_set = semget(key, 0, 0) == pc.semid,
        same_seg = shmget(key, 0, 0) == pc.shmid;
    int closed = pc_close(&pc);
    remove_key(key);
    cr_assert(mutex == 1 && empty == 5 && full == 0 && users == 1,
              "mutex %d empty %d full %d users %d, expected 1 5 0 1", mutex, empty, full,
              users);
    cr_assert_eq(slots, 5, "the segment's slots field must be set by the first opener");
    cr_assert(same_set && same_seg, "the set and the segment must both be named by key");
    cr_assert_eq(closed, 0, "pc_close: %s", strerror(errno));
}

/*
 * The set and the segment of a buffer may both have id 0 (the first of their
 * kind in a new IPC namespace, where a child of the test moves when it can):
 * pc_open must take them as any other.
 */
Test(pc, id_zero_works)
{
    key_t key = fresh_key();
    pid_t pid = ipct_fork();
    if (pid == 0) {
        bool own = ipct_new_ipc_namespace();
        struct pc pc;
        IPCT_CHILD_CHECK(pc_open(&pc, key, 3, 1000) == 0);
        IPCT_CHILD_CHECK(!own || (pc.semid == 0 && pc.shmid == 0));
        long got = 0;
        IPCT_CHILD_CHECK(pc_put(&pc, 42) == 0 && pc_get(&pc, &got, 0) == 0 && got == 42);
        IPCT_CHILD_CHECK(pc_close(&pc) == 0);
        remove_key(key);
        _exit(0);
    }
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0,
                 "in a new IPC namespace the set and the segment are ids 0: pc_open "
                 "must work with them (see the line above): every id semget or shmget "
                 "returns is valid, 0 too");
}

Test(pc, fifo_order)
{
    key_t key = fresh_key();
    struct pc pc;
    cr_assert_eq(pc_open(&pc, key, 3, 1000), 0, "pc_open: %s", strerror(errno));
    long got[7];
    int ok = 1;
    for (long i = 0; i < 7; i++) { /* wraps around the 3 slots */
        ok &= pc_put(&pc, 100 + i) == 0;
        ok &= pc_get(&pc, &got[i], 0) == 0;
    }
    pc_close(&pc);
    remove_key(key);
    cr_assert(ok, "pc_put or pc_get failed");
    for (int i = 0; i < 7; i++)
        cr_assert_eq(got[i], 100 + i);
}

/* $begin reset_bug */
Test(pc, second_open_keeps_items)
{
    /* The notes' producer re-initialised everything each time it started:
     * a second producer joining then wiped the items already queued. */
    key_t key = fresh_key();
    struct pc first, second;
    cr_assert_eq(pc_open(&first, key, 4, 1000), 0, "pc_open: %s", strerror(errno));
    long gone = 0;
    for (long i = 1; i <= 4; i++)
        cr_assert_eq(pc_put(&first, i), 0);
    cr_assert_eq(pc_get(&first, &gone, 0), 0); /* 2, 3, 4 are left, out is 1 */
    int r = pc_open(&second, key, 4, 1000);
    int full = semval(first.semid, PC_FULL);
    long got[3] = {0};
    int ok = 1;
    for (int i = 0; i < 3 && r == 0; i++)
        ok &= pc_get(&second, &got[i], 0) == 0;
    if (r == 0)
        pc_close(&second);
    pc_close(&first);
    remove_key(key);
    cr_assert_eq(r, 0, "second pc_open: %s", strerror(errno));
    cr_assert_eq(full, 3, "full is %d after a second open, expected 3", full);
    cr_assert(ok && got[0] == 2 && got[1] == 3 && got[2] == 4,
              "the second opener reads %ld %ld %ld, expected 2 3 4: do not reset in/out",
              got[0], got[1], got[2]);
}
/* $end reset_bug */

Test(pc, open_waits_for_uninitialised_set)
{
    key_t key = fresh_key();
    /* Someone created the set and has not initialised it yet. */
    int semid = semget(key, PC_NSEMS, IPC_CREAT | IPC_EXCL | 0600);
    cr_assert_geq(semid, 0, "semget: %s", strerror(errno));
    struct pc pc;
    errno = 0;
    int r = pc_open(&pc, key, 4, 200);
    int err = errno;
    int mutex = semval(semid, PC_MUTEX);
    if (r == 0)
        pc_close(&pc);
    remove_key(key);
    cr_assert_eq(r, -1, "pc_open used a set that nobody had initialised");
    cr_assert_eq(err, ETIMEDOUT, "errno should be ETIMEDOUT, got %s", strerror(err));
    cr_assert_eq(mutex, 0, "pc_open initialised a set it did not create");
}

/* $begin race */
Test(pc, joiner_and_creator_race)
{
    /* Force the interleaving of the init race: the test creates the set and
     * stops before initialising it; the child opens the buffer right then.
     * Only after the child is on its way does the test set the values. */
    key_t key = fresh_key();
    int semid = semget(key, PC_NSEMS, IPC_CREAT | IPC_EXCL | 0600);
    cr_assert_geq(semid, 0, "semget: %s", strerror(errno));
    int ready[2];
    cr_assert_eq(pipe(ready), 0);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(ready[0]);
        struct pc pc;
        IPCT_CHILD_CHECK(put_byte(ready[1], 'r') == 0);
        IPCT_CHILD_CHECK(pc_open(&pc, key, 4, 8000) == 0);
        IPCT_CHILD_CHECK(pc_put(&pc, 42) == 0);
        IPCT_CHILD_CHECK(pc_close(&pc) == 0);
        _exit(0);
    }
    close(ready[1]);
    char c;
    cr_assert_eq(get_byte(ready[0], &c), 0);
    close(ready[0]);
    unsigned short values[PC_NSEMS] = {1, 4, 0, 1}; /* users 1: the test itself */
    union semun arg = {.array = values};
    cr_assert_eq(semctl(semid, 0, SETALL, arg), 0);
    struct sembuf mark[2] = {{PC_MUTEX, 1, 0}, {PC_MUTEX, -1, 0}};
    cr_assert_eq(semop(semid, mark, 2), 0);
    int code = ipct_wait_exit(pid, 9000);
    int full = semval(semid, PC_FULL), users = semval(semid, PC_USERS);
    int shmid = shmget(key, 0, 0);
    long item = -1;
    if (shmid >= 0) {
        struct pc_shared *s = shmat(shmid, NULL, SHM_RDONLY);
        if (s != (void *)-1) {
            item = s->items[0];
            shmdt(s);
        }
    }
    remove_key(key);
    cr_assert_eq(code, 0, "the joiner failed (exit %d)", code);
    cr_assert(full == 1 && users == 1 && item == 42,
              "full %d users %d item %ld: the joiner must use the creator's values", full,
              users, item);
}
/* $end race */

/* $begin early_close */
Test(pc, early_close_keeps_objects)
{
    /* The notes' consumer removed both objects when it finished, while the
     * producer (or other consumers) still used them. */
    key_t key = fresh_key();
    struct pc consumer, producer;
    cr_assert_eq(pc_open(&producer, key, 4, 1000), 0, "pc_open: %s", strerror(errno));
    cr_assert_eq(pc_open(&consumer, key, 4, 1000), 0, "pc_open: %s", strerror(errno));
    int semid = producer.semid, shmid = producer.shmid;
    int c1 = pc_close(&consumer);
    bool set_kept = sem_set_exists(semid), seg_kept = shm_seg_exists(shmid);
    int put = pc_put(&producer, 7);
    int c2 = pc_close(&producer);
    bool set_gone = !sem_set_exists(semid), seg_gone = !shm_seg_exists(shmid);
    remove_key(key);
    cr_assert_eq(c1, 0, "pc_close: %s", strerror(errno));
    cr_assert(set_kept && seg_kept,
              "the first close removed the %s while another user still had it open",
              set_kept ? "segment" : "semaphore set");
    cr_assert_eq(put, 0, "the remaining user cannot put any more");
    cr_assert_eq(c2, 0);
    cr_assert(set_gone && seg_gone, "the last close must remove the set and the segment");
}
/* $end early_close */

Test(pc, killed_user_is_not_counted)
{
    key_t key = fresh_key();
    struct pc pc;
    cr_assert_eq(pc_open(&pc, key, 4, 1000), 0, "pc_open: %s", strerror(errno));
    int opened[2];
    cr_assert_eq(pipe(opened), 0);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(opened[0]);
        struct pc mine;
        IPCT_CHILD_CHECK(pc_open(&mine, key, 4, 5000) == 0);
        IPCT_CHILD_CHECK(put_byte(opened[1], 'o') == 0);
        for (;;)
            pause(); /* killed without pc_close */
    }
    close(opened[1]);
    char c;
    int got = get_byte(opened[0], &c);
    close(opened[0]);
    int users_while_open = semval(pc.semid, PC_USERS);
    kill(pid, SIGKILL);
    ipct_wait(pid, NULL, 5000);
    int users_after = semval(pc.semid, PC_USERS);
    int semid = pc.semid, shmid = pc.shmid;
    pc_close(&pc);
    bool removed = !sem_set_exists(semid) && !shm_seg_exists(shmid);
    remove_key(key);
    cr_assert_eq(got, 0, "the child could not open the buffer");
    cr_assert_eq(users_while_open, 2);
    cr_assert_eq(users_after, 1,
                 "PC_USERS is %d after the child was killed: count users with SEM_UNDO",
                 users_after);
    cr_assert(removed, "the last real user's close must remove both objects");
}

Test(pc, empty_get_times_out)
{
    key_t key = fresh_key();
    struct pc pc;
    cr_assert_eq(pc_open(&pc, key, 2, 1000), 0, "pc_open: %s", strerror(errno));
    long item;
    errno = 0;
    int r0 = pc_get(&pc, &item, 0);
    int e0 = errno;
    long long start = mono_ms();
    errno = 0;
    int r1 = pc_get(&pc, &item, 200);
    int e1 = errno;
    long long elapsed = mono_ms() - start;
    pc_close(&pc);
    remove_key(key);
    cr_assert(r0 == -1 && e0 == EAGAIN, "timeout 0 on empty: -1/EAGAIN, got %d/%s", r0,
              strerror(e0));
    cr_assert(r1 == -1 && e1 == EAGAIN, "timeout 200 on empty: -1/EAGAIN, got %d/%s", r1,
              strerror(e1));
    cr_assert(elapsed >= 190 && elapsed < 5000, "waited %lld ms for 200", elapsed);
}

/* Producer p sends p * n + i; consumers mark seen[value]. Every process
 * opens the buffer itself and closes it; the last close removes it. */
Test(pc, four_by_four_checksum)
{
    key_t key = fresh_key();
    unsigned n = stress_items(), total = 4 * n;
    unsigned *seen = shared_area(total * sizeof *seen);
    struct pc pc;
    cr_assert_eq(pc_open(&pc, key, 8, 1000), 0, "pc_open: %s", strerror(errno));
    int semid = pc.semid, shmid = pc.shmid;
    pid_t pids[8];
    for (int k = 0; k < 8; k++) {
        pids[k] = ipct_fork();
        if (pids[k] == 0) {
            struct pc mine;
            IPCT_CHILD_CHECK(pc_open(&mine, key, 8, 5000) == 0);
            for (unsigned i = 0; i < n; i++) {
                if (k < 4) {
                    IPCT_CHILD_CHECK(pc_put(&mine, (long)k * n + i) == 0);
                } else {
                    long item;
                    IPCT_CHILD_CHECK(pc_get(&mine, &item, 5000) == 0);
                    IPCT_CHILD_CHECK(item >= 0 && item < (long)total);
                    __atomic_fetch_add(&seen[item], 1, __ATOMIC_RELAXED);
                }
            }
            IPCT_CHILD_CHECK(pc_close(&mine) == 0);
            _exit(0);
        }
    }
    int failed = 0;
    for (int k = 0; k < 8; k++)
        failed += ipct_wait_exit(pids[k], 15000) != 0;
    unsigned lost = 0, doubled = 0;
    for (unsigned v = 0; v < total; v++) {
        lost += seen[v] == 0;
        doubled += seen[v] > 1;
    }
    shared_area_free(seen, total * sizeof *seen);
    int users = semval(semid, PC_USERS);
    int closed = pc_close(&pc);
    bool removed = !sem_set_exists(semid) && !shm_seg_exists(shmid);
    remove_key(key);
    cr_assert_eq(failed, 0, "%d of the 8 processes failed or timed out", failed);
    cr_assert(lost == 0 && doubled == 0, "%u items lost, %u delivered twice", lost,
              doubled);
    cr_assert_eq(users, 1, "PC_USERS is %d once only the test is left", users);
    cr_assert(closed == 0 && removed, "the last close must remove both objects");
}

Test(pc, bad_arguments)
{
    struct pc pc;
    key_t key = fresh_key();
    IPCT_ASSERT_FAILS(EINVAL, pc_open(NULL, key, 4, 100), "must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, pc_open(&pc, IPC_PRIVATE, 4, 100), "must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, pc_open(&pc, key, 0, 100), "must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, pc_close(NULL), "must fail with EINVAL");
    long item;
    IPCT_ASSERT_FAILS(EINVAL, pc_put(NULL, 1), "pc_put(NULL, 1) must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, pc_get(NULL, &item, 0),
                      "pc_get(NULL, &item, 0) must fail with EINVAL");
    cr_assert_eq(pc_open(&pc, key, 4, 1000), 0, "pc_open: %s", strerror(errno));
    IPCT_ASSERT_FAILS(EINVAL, pc_get(&pc, NULL, 0), "pc_get(pc, NULL, 0): EINVAL");
    cr_assert_eq(pc_close(&pc), 0);
    remove_key(key);
}

/* BBUF_MAX_SLOTS is a valid capacity and 0 a valid timeout: the segment holds every slot.
 */
Test(pc, holds_max_slots)
{
    key_t key = fresh_key();
    struct pc pc;
    int r = pc_open(&pc, key, BBUF_MAX_SLOTS, 0);
    int err = errno;
    track_key(key);
    cr_assert_eq(r, 0,
                 "pc_open(key, BBUF_MAX_SLOTS, timeout 0) failed (%s): both are valid "
                 "for a new buffer",
                 strerror(err));
    struct shmid_ds ds;
    cr_assert_eq(shmctl(pc.shmid, IPC_STAT, &ds), 0);
    size_t need = sizeof(struct pc_shared) + BBUF_MAX_SLOTS * sizeof(long);
    cr_assert_geq(ds.shm_segsz, need,
                  "the segment has %zu bytes, %zu are needed for %u items of a long",
                  (size_t)ds.shm_segsz, need, BBUF_MAX_SLOTS);
    int ok = 1;
    for (long i = 0; i < (long)BBUF_MAX_SLOTS && ok; i++)
        ok = pc_put(&pc, i) == 0;
    long bad = -1;
    for (long i = 0; i < (long)BBUF_MAX_SLOTS && ok && bad < 0; i++) {
        long item = -1;
        ok = pc_get(&pc, &item, 0) == 0;
        if (ok && item != i)
            bad = i;
    }
    err = errno;
    pc_close(&pc);
    remove_key(key);
    cr_assert(ok, "filling and emptying %u slots failed: %s", BBUF_MAX_SLOTS,
              strerror(err));
    cr_assert_eq(bad, -1, "slot %ld came back wrong", bad);
}

/* Attachments of segment shmid (shm_nattch), -1 if IPC_STAT fails. */
static long nattch(int shmid)
{
    struct shmid_ds ds;
    return shmctl(shmid, IPC_STAT, &ds) == 0 ? (long)ds.shm_nattch : -1;
}

/*
 * A process that opens the buffer, uses it, closes it and exits leaves every
 * count as it found it: PC_MUTEX taken and given back with SEM_UNDO both times
 * (the exit's undo then has nothing to do), PC_USERS back down, the segment
 * detached by pc_close itself.
 */
Test(pc, finished_user_leaves_counts_balanced)
{
    key_t key = fresh_key();
    struct pc pc;
    cr_assert_eq(pc_open(&pc, key, 4, 1000), 0, "pc_open: %s", strerror(errno));
    int semid = pc.semid, shmid = pc.shmid;
    pid_t pid = ipct_fork();
    if (pid == 0) {
        long before = nattch(shmid);
        struct pc mine;
        long item = 0;
        IPCT_CHILD_CHECK(pc_open(&mine, key, 4, 5000) == 0);
        IPCT_CHILD_CHECK(pc_put(&mine, 1) == 0 && pc_put(&mine, 2) == 0);
        IPCT_CHILD_CHECK(pc_put(&mine, 3) == 0);
        IPCT_CHILD_CHECK(pc_get(&mine, &item, 0) == 0 && item == 1);
        IPCT_CHILD_CHECK(pc_close(&mine) == 0);
        IPCT_CHILD_CHECK(nattch(shmid) == before); /* pc_close detached */
        _exit(0);
    }
    int code = ipct_wait_exit(pid, 5000);
    int mutex = semval(semid, PC_MUTEX), users = semval(semid, PC_USERS);
    long a = 0, b = 0;
    int got = pc_get(&pc, &a, 0) == 0 && pc_get(&pc, &b, 0) == 0;
    pc_close(&pc);
    remove_key(key);
    cr_assert_eq(code, 0, "the child's open, puts, get and close failed (exit %d)", code);
    cr_assert_eq(mutex, 1,
                 "PC_MUTEX is %d after a process used the buffer, closed it and exited: "
                 "take it and give it back with SEM_UNDO, always both",
                 mutex);
    cr_assert_eq(users, 1,
                 "PC_USERS is %d after the second user closed and exited: pc_close takes "
                 "its unit away with SEM_UNDO, balancing pc_open's",
                 users);
    cr_assert(got && a == 2 && b == 3, "the items left were not 2 and 3");
}

/*
 * A set removed under a user (IPC_RMID by someone else) makes every semop
 * fail: pc_put, pc_get and pc_close report it (EINVAL or EIDRM) instead of
 * using the buffer unguarded, and pc_close still detaches the segment.
 */
Test(pc, removed_set_fails)
{
    key_t key = fresh_key();
    struct pc pc;
    cr_assert_eq(pc_open(&pc, key, 4, 1000), 0, "pc_open: %s", strerror(errno));
    track_key(key);
    int shmid = pc.shmid;
    cr_assert_eq(pc_put(&pc, 5), 0, "pc_put: %s", strerror(errno));
    cr_assert_eq(semctl(pc.semid, 0, IPC_RMID), 0);
    errno = 0;
    int put = pc_put(&pc, 6);
    int put_err = errno;
    long item;
    errno = 0;
    int get = pc_get(&pc, &item, 0);
    int get_err = errno;
    errno = 0;
    int closed = pc_close(&pc);
    int close_err = errno;
    long attached = nattch(shmid);
    remove_key(key);
    cr_assert(put == -1 && (put_err == EINVAL || put_err == EIDRM),
              "pc_put on a removed set: -1 with semop's EINVAL or EIDRM, got %d (%s)",
              put, strerror(put_err));
    cr_assert(get == -1 && (get_err == EINVAL || get_err == EIDRM),
              "pc_get on a removed set: -1 with semop's EINVAL or EIDRM, got %d (%s)",
              get, strerror(get_err));
    cr_assert(closed == -1 && (close_err == EINVAL || close_err == EIDRM),
              "pc_close on a removed set: -1 with semop's EINVAL or EIDRM, got %d (%s)",
              closed, strerror(close_err));
    cr_assert_eq(attached, 0, "pc_close must detach the segment even when it fails");
}

/*
 * A second opener asking for more slots than the existing segment has: shmget
 * fails with EINVAL. The failed open holds nothing: PC_MUTEX is free again and
 * PC_USERS still counts the first user only.
 */
Test(pc, too_small_segment_fails_cleanly)
{
    key_t key = fresh_key();
    struct pc first, second;
    cr_assert_eq(pc_open(&first, key, 4, 1000), 0, "pc_open: %s", strerror(errno));
    track_key(key);
    int semid = first.semid, shmid = first.shmid;
    errno = 0;
    int r = pc_open(&second, key, 64, 1000);
    int err = errno;
    int mutex = semval(semid, PC_MUTEX), users = semval(semid, PC_USERS);
    int put = pc_put(&first, 9);
    int closed = pc_close(&first);
    bool removed = !sem_set_exists(semid) && !shm_seg_exists(shmid);
    remove_key(key);
    cr_assert_eq(r, -1, "the segment has 4 slots, 64 were asked for: shmget fails");
    cr_assert_eq(err, EINVAL, "pass shmget's EINVAL on, got %s", strerror(err));
    cr_assert_eq(mutex, 1, "PC_MUTEX is %d after the failed open: release it", mutex);
    cr_assert_eq(users, 1, "PC_USERS is %d: a failed open must not count as a user",
                 users);
    cr_assert_eq(put, 0, "the first user cannot put any more");
    cr_assert(closed == 0 && removed, "the only user's close must remove both objects");
}

/*
 * The kernel interrupts a semop when a handler runs and never restarts it: the
 * shim makes every other semop and semtimedop of the student's code fail with
 * EINTR, the first included, from pc_open to pc_close. Every wait resumes.
 */
Test(pc, waits_resume_after_eintr)
{
    key_t key = fresh_key();
    track_key(key);
    struct pc pc;
    ipct_fault_add(&(struct ipct_fault){
        .calls = "semop semtimedop", .nth = 1, .every = 2, .error = EINTR});
    int opened = pc_open(&pc, key, 4, 1000);
    int err = errno;
    int put = -1, get1 = -1, get2 = -1, closed = -1;
    long first = 0, second = 0;
    if (opened == 0) {
        put = pc_put(&pc, 41) == 0 && pc_put(&pc, 42) == 0 ? 0 : -1;
        get1 = pc_get(&pc, &first, -1);
        get2 = pc_get(&pc, &second, 5000);
        err = errno;
        closed = pc_close(&pc);
        if (closed < 0)
            err = errno;
    }
    ipct_fault_clear();
    remove_key(key);
    cr_assert(opened == 0 && put == 0 && get1 == 0 && get2 == 0 && closed == 0,
              "open %d, puts %d, gets %d %d, close %d: a semop interrupted by a signal "
              "(EINTR injected by the test) failed (%s): retry it",
              opened, put, get1, get2, closed, strerror(err));
    cr_assert(first == 41 && second == 42, "got %ld and %ld, expected 41 and 42", first,
              second);
    cr_assert_geq(ipct_faults_count(), 4, "only %d waits were interrupted: %s",
                  ipct_faults_count(), ipct_faults_injected());
}
