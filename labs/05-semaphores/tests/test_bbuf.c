/* test_bbuf.c - lab 05 tests: bounded buffer on unnamed pshared semaphores (exercise 4).
 */
#include "ipclab_shim.h"
#include "ipclab_test.h"
#include "sem_helpers.h"
#include "semaphores.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

TestSuite(bbuf, .timeout = 20, .fini = cleanup_tracked);

#define PRODUCERS 4
#define CONSUMERS 4

Test(bbuf, initial_semaphore_values)
{
    struct bbuf *b = bbuf_create(6);
    cr_assert_not_null(b, "bbuf_create: %s", strerror(errno));
    int mutex = -1, empty = -1, full = -1;
    sem_getvalue(&b->mutex, &mutex);
    sem_getvalue(&b->empty, &empty);
    sem_getvalue(&b->full, &full);
    unsigned slots = b->slots;
    bbuf_destroy(b);
    cr_assert_eq(mutex, 1, "mutex is binary and starts free (1), got %d", mutex);
    cr_assert_eq(empty, 6, "empty counts free slots: starts at 6, got %d", empty);
    cr_assert_eq(full, 0, "full counts items: starts at 0, got %d", full);
    cr_assert_eq(slots, 6);
}

Test(bbuf, fifo_order)
{
    struct bbuf *b = bbuf_create(4);
    cr_assert_not_null(b, "bbuf_create: %s", strerror(errno));
    long got[6] = {0};
    int ok = 1;
    for (long round = 0; round < 2; round++) { /* the second round wraps around */
        for (long i = 0; i < 3; i++)
            ok &= bbuf_put(b, 10 * round + i) == 0;
        for (int i = 0; i < 3; i++)
            ok &= bbuf_get(b, &got[3 * round + i], 0) == 0;
    }
    bbuf_destroy(b);
    cr_assert(ok, "bbuf_put or bbuf_get failed");
    long want[6] = {0, 1, 2, 10, 11, 12};
    for (int i = 0; i < 6; i++)
        cr_assert_eq(got[i], want[i], "item %d is %ld, expected %ld", i, got[i], want[i]);
}

Test(bbuf, empty_trywait_is_eagain)
{
    struct bbuf *b = bbuf_create(2);
    cr_assert_not_null(b, "bbuf_create: %s", strerror(errno));
    long item;
    errno = 0;
    int r = bbuf_get(b, &item, 0);
    int err = errno;
    bbuf_destroy(b);
    cr_assert_eq(r, -1, "an empty buffer has nothing to give");
    cr_assert_eq(err, EAGAIN, "timeout 0 uses sem_trywait: EAGAIN, got %s",
                 strerror(err));
}

/* $begin timedwait */
Test(bbuf, empty_timedwait_is_etimedout)
{
    struct bbuf *b = bbuf_create(2);
    cr_assert_not_null(b, "bbuf_create: %s", strerror(errno));
    long item;
    long long start = mono_ms();
    errno = 0;
    int r = bbuf_get(b, &item, 250);
    int err = errno;
    long long elapsed = mono_ms() - start;
    bbuf_destroy(b);
    cr_assert_eq(r, -1);
    cr_assert_eq(err, ETIMEDOUT, "errno should be ETIMEDOUT, got %s", strerror(err));
    cr_assert_geq(elapsed, 240, "gave up after %lld ms, before the 250 ms timeout",
                  elapsed);
    cr_assert_lt(elapsed, 5000, "took %lld ms for a 250 ms timeout", elapsed);
}
/* $end timedwait */

/*
 * A deadline of exactly a whole second. The test's clock plan (shim,
 * ipct_clock_at_nsec) makes bbuf_get's clock_gettime(CLOCK_REALTIME) return
 * 900000000 ns past a second: now + 100 ms has tv_nsec 1000000000, which must
 * be carried into tv_sec. Left there, sem_timedwait fails with EINVAL at once.
 */
Test(bbuf, deadline_of_a_whole_second)
{
    struct bbuf *b = bbuf_create(2);
    cr_assert_not_null(b, "bbuf_create: %s", strerror(errno));
    long item;
    ipct_clock_at_nsec(CLOCK_REALTIME, 900000000L);
    errno = 0;
    int r = bbuf_get(b, &item, 100);
    int err = errno;
    ipct_fault_clear();
    bbuf_destroy(b);
    cr_assert_eq(r, -1, "an empty buffer has nothing to give");
    cr_assert_eq(err, ETIMEDOUT,
                 "errno should be ETIMEDOUT, got %s (EINVAL: a tv_nsec of exactly "
                 "1000000000 must be carried into tv_sec too)",
                 strerror(err));
}

Test(bbuf, put_waits_while_full)
{
    struct bbuf *b = bbuf_create(2);
    cr_assert_not_null(b, "bbuf_create: %s", strerror(errno));
    cr_assert_eq(bbuf_put(b, 1), 0);
    cr_assert_eq(bbuf_put(b, 2), 0);
    int empty = -1;
    sem_getvalue(&b->empty, &empty);
    int done[2];
    cr_assert_eq(pipe(done), 0);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(done[0]);
        IPCT_CHILD_CHECK(bbuf_put(b, 3) == 0); /* must wait for a free slot */
        IPCT_CHILD_CHECK(put_byte(done[1], 'p') == 0);
        _exit(0);
    }
    close(done[1]);
    /* While the buffer is full the child's put must not return. A wrong put
     * returns at once: give the child 500 ms to show it. */
    bool returned_early = ipct_readable_within(done[0], 500);
    long a = 0, c = 0, d = 0;
    int r1 = bbuf_get(b, &a, 5000); /* frees a slot: the child can go on */
    char byte;
    int child_done = get_byte(done[0], &byte);
    int r2 = bbuf_get(b, &c, 5000);
    int r3 = bbuf_get(b, &d, 5000);
    close(done[0]);
    int code = ipct_wait_exit(pid, 5000);
    bbuf_destroy(b);
    cr_assert_eq(empty, 0, "two items in two slots: empty should be 0, got %d", empty);
    cr_assert(!returned_early, "bbuf_put returned while the buffer was full");
    cr_assert(r1 == 0 && r2 == 0 && r3 == 0 && child_done == 0 && code == 0,
              "gets %d %d %d, child %d", r1, r2, r3, code);
    cr_assert(a == 1 && c == 2 && d == 3,
              "got %ld %ld %ld, expected 1 2 3: a full buffer must make put wait, never "
              "overwrite",
              a, c, d);
}

Test(bbuf, get_wakes_for_other_process)
{
    /* The consumer sleeps in sem_wait; only a pshared semaphore in shared
     * memory lets the producer's post in another process wake it. */
    struct bbuf *b = bbuf_create(2);
    cr_assert_not_null(b, "bbuf_create: %s", strerror(errno));
    int go[2];
    cr_assert_eq(pipe(go), 0);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(go[1]);
        char c;
        IPCT_CHILD_CHECK(get_byte(go[0], &c) == 0);
        for (long i = 0; i < 50; i++)
            IPCT_CHILD_CHECK(bbuf_put(b, i) == 0);
        _exit(0);
    }
    close(go[0]);
    long item = -1, sum = 0;
    int ok = 1;
    cr_assert_eq(put_byte(go[1], 'g'), 0);
    for (int i = 0; i < 50 && ok; i++) {
        ok = bbuf_get(b, &item, 4000) == 0;
        sum += item;
    }
    close(go[1]);
    int code = ipct_wait_exit(pid, 5000);
    bbuf_destroy(b);
    cr_assert(ok,
              "a get timed out: was the producer's post seen by this process? (pshared)");
    cr_assert_eq(code, 0);
    cr_assert_eq(sum, 49 * 50 / 2);
}

/* $begin checksum */
/* Producer p sends p * n + i for i in [0, n): every value once, known in advance.
 * Consumers count what they receive in seen[]: each value must arrive exactly once. */
Test(bbuf, four_by_four_checksum)
{
    unsigned n = stress_items(), total = PRODUCERS * n;
    struct bbuf *b = bbuf_create(8);
    cr_assert_not_null(b, "bbuf_create: %s", strerror(errno));
    unsigned *seen = shared_area(total * sizeof *seen);
    pid_t pids[PRODUCERS + CONSUMERS];
    for (int p = 0; p < PRODUCERS; p++) {
        pids[p] = ipct_fork();
        if (pids[p] == 0) {
            for (unsigned i = 0; i < n; i++)
                IPCT_CHILD_CHECK(bbuf_put(b, (long)p * n + i) == 0);
            _exit(0);
        }
    }
    for (int c = 0; c < CONSUMERS; c++) {
        pids[PRODUCERS + c] = ipct_fork();
        if (pids[PRODUCERS + c] == 0) {
            for (unsigned i = 0; i < n; i++) { /* 4 consumers x n = every item */
                long item;
                IPCT_CHILD_CHECK(bbuf_get(b, &item, 5000) == 0);
                IPCT_CHILD_CHECK(item >= 0 && item < (long)total);
                __atomic_fetch_add(&seen[item], 1, __ATOMIC_RELAXED);
            }
            _exit(0);
        }
    }
    int failed = 0;
    for (int k = 0; k < PRODUCERS + CONSUMERS; k++)
        failed += ipct_wait_exit(pids[k], 15000) != 0;
    unsigned lost = 0, doubled = 0;
    for (unsigned v = 0; v < total; v++) {
        lost += seen[v] == 0;
        doubled += seen[v] > 1;
    }
    int left = -1;
    sem_getvalue(&b->full, &left);
    shared_area_free(seen, total * sizeof *seen);
    bbuf_destroy(b);
    cr_assert_eq(failed, 0, "%d of the 8 processes failed or timed out", failed);
    cr_assert(lost == 0 && doubled == 0, "%u items lost, %u delivered twice", lost,
              doubled);
    cr_assert_eq(left, 0, "full is %d after every item was taken", left);
}
/* $end checksum */

/*
 * The kernel may interrupt any semaphore wait: the shim makes it happen
 * (handout: "Faults the tests inject"). Every other sem_wait or sem_timedwait
 * of the student's code fails with EINTR, starting with the first, so each
 * wait of bbuf_put and bbuf_get (blocking and timed) is interrupted once.
 */
Test(bbuf, waits_resume_after_eintr)
{
    struct bbuf *b = bbuf_create(4);
    cr_assert_not_null(b, "bbuf_create: %s", strerror(errno));
    ipct_fault_add(&(struct ipct_fault){
        .calls = "sem_wait sem_timedwait", .nth = 1, .every = 2, .error = EINTR});
    int put1 = bbuf_put(b, 41), put2 = bbuf_put(b, 42);
    int put_err = errno;
    long first = 0, second = 0;
    int get1 = bbuf_get(b, &first, -1), get2 = bbuf_get(b, &second, 5000);
    int get_err = errno;
    ipct_fault_clear();
    bbuf_destroy(b);
    cr_assert(put1 == 0 && put2 == 0,
              "bbuf_put failed (%s) when a wait was interrupted by a signal (EINTR "
              "injected by the test): resume the wait",
              strerror(put_err));
    cr_assert(get1 == 0 && get2 == 0,
              "bbuf_get failed (%s) when a wait was interrupted by a signal (EINTR "
              "injected by the test; the second get waits with a timeout): resume it",
              strerror(get_err));
    cr_assert(first == 41 && second == 42, "got %ld and %ld, expected 41 and 42", first,
              second);
    cr_assert_geq(ipct_faults_count(), 4, "only %d waits were interrupted: %s",
                  ipct_faults_count(), ipct_faults_injected());
}

Test(bbuf, bad_arguments)
{
    errno = 0;
    cr_assert_null(bbuf_create(0));
    cr_assert_eq(errno, EINVAL, "0 slots: errno should be EINVAL, got %s",
                 strerror(errno));
    errno = 0;
    cr_assert_null(bbuf_create(BBUF_MAX_SLOTS + 1));
    cr_assert_eq(errno, EINVAL);
    IPCT_ASSERT_FAILS(EINVAL, bbuf_put(NULL, 1), "must fail with EINVAL");
    long item;
    IPCT_ASSERT_FAILS(EINVAL, bbuf_get(NULL, &item, 0), "must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, bbuf_destroy(NULL), "must fail with EINVAL");
}

/* The end of the /proc/self/maps range holding addr, 0 if none does. An
 * anonymous MAP_SHARED mapping is never merged with its neighbours. */
static unsigned long mapping_end(const void *addr)
{
    FILE *f = fopen("/proc/self/maps", "r");
    cr_assert_not_null(f);
    unsigned long lo, hi, end = 0, a = (unsigned long)addr;
    char line[512];
    while (end == 0 && fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && a >= lo && a < hi)
            end = hi;
    fclose(f);
    return end;
}

/* BBUF_MAX_SLOTS is a valid capacity: the mapping holds every slot. */
Test(bbuf, holds_max_slots)
{
    struct bbuf *b = bbuf_create(BBUF_MAX_SLOTS);
    cr_assert_not_null(b, "bbuf_create(BBUF_MAX_SLOTS) failed (%s): it is a valid size",
                       strerror(errno));
    bool last_mapped = mapping_end(b) >= (unsigned long)&b->items[BBUF_MAX_SLOTS];
    int ok = 1;
    for (long i = 0; i < (long)BBUF_MAX_SLOTS && ok; i++)
        ok = bbuf_put(b, i) == 0;
    long bad = -1;
    for (long i = 0; i < (long)BBUF_MAX_SLOTS && ok && bad < 0; i++) {
        long item = -1;
        ok = bbuf_get(b, &item, 0) == 0;
        if (ok && item != i)
            bad = i;
    }
    int err = errno;
    bbuf_destroy(b);
    cr_assert(last_mapped,
              "the last slot's bytes lie past the mapping: map sizeof(struct bbuf) + "
              "slots * sizeof(long) bytes");
    cr_assert(ok, "filling and emptying %u slots failed: %s", BBUF_MAX_SLOTS,
              strerror(err));
    cr_assert_eq(bad, -1, "slot %ld came back wrong", bad);
}
