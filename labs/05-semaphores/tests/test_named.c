/* test_named.c - lab 05 tests: POSIX named semaphores (exercise 3). */
#include "ipclab_shim.h"
#include "ipclab_test.h"
#include "sem_helpers.h"
#include "semaphores.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(named, .timeout = 15, .fini = cleanup_tracked);

/* true if /dev/shm/sem.NAME exists for the POSIX name "/NAME". */
static bool in_dev_shm(const char *name)
{
    char path[160];
    struct stat st;
    snprintf(path, sizeof path, "/dev/shm/sem.%s", name + 1);
    return stat(path, &st) == 0;
}

/* A fresh semaphore name ("/...tag..."), removed by cleanup_tracked if a test fails. */
static void new_sem_name(char *name, size_t len, const char *tag)
{
    ipct_name(name, len, "/", tag);
    track_name(name);
}

Test(named, create_appears_in_dev_shm)
{
    char name[64];
    new_sem_name(name, sizeof name, "sem");
    sem_t *sem = named_create(name, 3);
    cr_assert_neq(sem, SEM_FAILED, "named_create: %s", strerror(errno));
    bool seen = in_dev_shm(name);
    int value = -1;
    sem_getvalue(sem, &value);
    sem_close(sem);
    sem_unlink(name);
    cr_assert(seen, "a named semaphore lives in /dev/shm/sem.%s", name + 1);
    cr_assert_eq(value, 3, "initial value %d, expected 3", value);
}

Test(named, existing_name_is_eexist)
{
    char name[64];
    new_sem_name(name, sizeof name, "sem");
    sem_t *first = sem_open(name, O_CREAT | O_EXCL, 0600, 5);
    cr_assert_neq(first, SEM_FAILED, "sem_open: %s", strerror(errno));
    errno = 0;
    sem_t *second = named_create(name, 1);
    int err = errno;
    int value = -1;
    sem_getvalue(first, &value);
    if (second != SEM_FAILED)
        sem_close(second);
    sem_close(first);
    sem_unlink(name);
    cr_assert_eq(second, SEM_FAILED,
                 "a name that exists must not be opened again (O_EXCL)");
    cr_assert_eq(err, EEXIST, "errno should be EEXIST, got %s", strerror(err));
    cr_assert_eq(value, 5, "the existing semaphore was changed");
}

Test(named, value_too_large_is_einval)
{
    char name[64];
    new_sem_name(name, sizeof name, "sem");
    errno = 0;
    sem_t *sem = named_create(name, (unsigned)SEM_VALUE_MAX + 1u);
    int err = errno;
    if (sem != SEM_FAILED) {
        sem_close(sem);
        sem_unlink(name);
    }
    cr_assert_eq(sem, SEM_FAILED);
    cr_assert_eq(err, EINVAL, "errno should be EINVAL, got %s", strerror(err));
    errno = 0;
    cr_assert_eq(named_create(NULL, 1), SEM_FAILED);
    cr_assert_eq(errno, EINVAL);
}

/* SEM_VALUE_MAX itself is a valid value: only larger ones are EINVAL. */
Test(named, value_max_is_accepted)
{
    char name[64];
    new_sem_name(name, sizeof name, "sem");
    sem_t *sem = named_create(name, SEM_VALUE_MAX);
    int err = errno;
    cr_assert_neq(sem, SEM_FAILED, "named_create(name, SEM_VALUE_MAX) failed (%s)",
                  strerror(err));
    int value = -1;
    sem_getvalue(sem, &value);
    sem_close(sem);
    sem_unlink(name);
    cr_assert_eq(value, SEM_VALUE_MAX);
    IPCT_ASSERT_FAILS(EINVAL, named_remove(NULL, NULL), "a NULL name: EINVAL");
}

Test(named, remove_closes_and_unlinks)
{
    char name[64];
    new_sem_name(name, sizeof name, "sem");
    sem_t *sem = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
    cr_assert_neq(sem, SEM_FAILED, "sem_open: %s", strerror(errno));
    int r = named_remove(name, sem);
    int err = errno;
    bool still_there = in_dev_shm(name);
    if (still_there)
        sem_unlink(name);
    cr_assert_eq(r, 0, "named_remove: %s", strerror(err));
    cr_assert(!still_there, "the name must be unlinked (sem_unlink)");
    errno = 0;
    cr_assert_eq(sem_open(name, 0), SEM_FAILED, "the name can still be opened");
    cr_assert_eq(errno, ENOENT);
}

Test(named, remove_missing_name_is_enoent)
{
    char name[64];
    new_sem_name(name, sizeof name, "gone");
    IPCT_ASSERT_FAILS(ENOENT, named_remove(name, NULL), "must fail with ENOENT");
}

/* $begin count_up */
Test(named, count_up_is_exact)
{
    char name[64];
    ipct_name(name, sizeof name, "/", "count");
    track_name(name);
    long *counter = shared_area(sizeof *counter);
    unsigned iters = ipct_under_valgrind() ? 50 : 20000;
    int r = named_count_up(name, counter, 4, iters);
    int err = errno;
    long total = *counter;
    shared_area_free(counter, sizeof *counter);
    cr_assert_eq(r, 0, "named_count_up: %s", strerror(err));
    cr_assert_eq(total, 4L * iters, "counter is %ld, expected %ld: increments were lost",
                 total, 4L * iters);
    cr_assert_eq(ipct_children_left(), 0, "workers were not reaped");
}
/* $end count_up */

Test(named, count_up_unlinks_the_name)
{
    char name[64];
    new_sem_name(name, sizeof name, "count");
    long *counter = shared_area(sizeof *counter);
    int r = named_count_up(name, counter, 2, 10);
    shared_area_free(counter, sizeof *counter);
    bool left = in_dev_shm(name);
    if (left)
        sem_unlink(name);
    cr_assert_eq(r, 0, "named_count_up: %s", strerror(errno));
    cr_assert(!left, "/dev/shm/sem.%s is left behind: sem_unlink it", name + 1);
}

/* Whether process pid (0: any) made a successful call named name. */
static bool called(const char *name, pid_t pid)
{
    size_t from = 0;
    struct ipct_call copy;
    const struct ipct_call *c;
    while ((c = ipct_calls_next(name, pid, &from, &copy)) != NULL)
        if (c->ret == 0)
            return true;
    return false;
}

/* How many successful calls named name process pid made. */
static int successes(const char *name, pid_t pid)
{
    size_t from = 0;
    struct ipct_call copy;
    const struct ipct_call *c;
    int n = 0;
    while ((c = ipct_calls_next(name, pid, &from, &copy)) != NULL)
        n += c->ret == 0;
    return n;
}

/*
 * Call check: a process that exits closes its semaphores anyway, so only the
 * calls show whether each worker and the parent close theirs, and whether each
 * worker really took the lock for every increment (the contract
 * asks for it: code that runs on after the work would keep the mapping).
 */
Test(named, count_up_closes_everywhere)
{
    char name[64];
    new_sem_name(name, sizeof name, "count");
    long *counter = shared_area(sizeof *counter);
    ipct_calls_record();
    int r = named_count_up(name, counter, 3, 10);
    int err = errno;
    shared_area_free(counter, sizeof *counter);
    cr_assert_eq(r, 0, "named_count_up: %s", strerror(err));
    char calls[2048];
    ipct_calls_describe(calls, sizeof calls);
    size_t from = 0;
    struct ipct_call copy;
    const struct ipct_call *c;
    int workers = 0;
    while ((c = ipct_calls_next("fork", getpid(), &from, &copy)) != NULL) {
        if (c->ret <= 0)
            continue;
        workers++;
        cr_assert(called("sem_close", (pid_t)c->ret),
                  "worker %ld never called sem_close before _exit: each worker closes "
                  "the semaphore it opened. The calls: %s",
                  c->ret, calls);
        int waits = successes("sem_wait", (pid_t)c->ret) +
                    successes("sem_timedwait", (pid_t)c->ret) +
                    successes("sem_trywait", (pid_t)c->ret);
        cr_assert_geq(waits, 10,
                      "worker %ld took the semaphore %d times for its 10 increments: "
                      "every increment happens between a sem_wait and a sem_post. The "
                      "calls: %s",
                      c->ret, waits, calls);
    }
    cr_assert_eq(workers, 3, "expected 3 workers forked, saw %d: %s", workers, calls);
    cr_assert(called("sem_close", getpid()),
              "named_count_up itself never called sem_close. The calls: %s", calls);
    cr_assert(called("sem_unlink", getpid()),
              "named_count_up itself never called sem_unlink. The calls: %s", calls);
}

Test(named, count_up_keeps_existing_name)
{
    char name[64];
    new_sem_name(name, sizeof name, "count");
    sem_t *theirs = sem_open(name, O_CREAT | O_EXCL, 0600, 7);
    cr_assert_neq(theirs, SEM_FAILED, "sem_open: %s", strerror(errno));
    long *counter = shared_area(sizeof *counter);
    errno = 0;
    int r = named_count_up(name, counter, 2, 10);
    int err = errno;
    bool kept = in_dev_shm(name);
    long total = *counter;
    shared_area_free(counter, sizeof *counter);
    sem_close(theirs);
    sem_unlink(name);
    cr_assert_eq(r, -1, "the name belongs to someone else: fail with EEXIST");
    cr_assert_eq(err, EEXIST, "errno should be EEXIST, got %s", strerror(err));
    cr_assert(kept, "named_count_up unlinked a semaphore it did not create");
    cr_assert_eq(total, 0, "no worker may run after EEXIST");
    cr_assert_eq(ipct_children_left(), 0);
}

Test(named, count_up_bad_arguments)
{
    char name[64];
    long counter = 0;
    new_sem_name(name, sizeof name, "count");
    IPCT_ASSERT_FAILS(EINVAL, named_count_up(name, &counter, 0, 1),
                      "must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, named_count_up(NULL, &counter, 1, 1),
                      "must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, named_count_up(name, NULL, 1, 1), "must fail with EINVAL");
    cr_assert(!in_dev_shm(name), "nothing may be created for bad arguments");
}

/*
 * fork can fail (EAGAIN at the process limit): the shim makes the second fork
 * fail. named_count_up fails with fork's errno, yet waits for the worker it
 * did start and unlinks the name.
 */
Test(named, count_up_fork_failure_cleans_up)
{
    char name[64];
    new_sem_name(name, sizeof name, "count");
    long *counter = shared_area(sizeof *counter);
    ipct_fault_fail("fork", 2, EAGAIN);
    errno = 0;
    int r = named_count_up(name, counter, 3, 10);
    int err = errno;
    ipct_fault_clear();
    int children = ipct_children_left();
    shared_area_free(counter, sizeof *counter);
    bool left = in_dev_shm(name);
    cr_assert_eq(r, -1, "the second fork failed (EAGAIN injected by the test): fail");
    cr_assert_eq(err, EAGAIN, "errno should be fork's EAGAIN, got %s", strerror(err));
    cr_assert_eq(children, 0,
                 "%d worker(s) not waited for: wait for every child started before the "
                 "fork failed",
                 children);
    cr_assert(!left, "/dev/shm/sem.%s is left behind after the failure", name + 1);
}

/* The array of worker pids is freed, on success and when a fork fails. */
Test(named, count_up_frees_what_it_allocates)
{
    char name[64];
    new_sem_name(name, sizeof name, "count");
    long *counter = shared_area(sizeof *counter);
    long before = ipct_heap_blocks();
    int r = named_count_up(name, counter, 3, 5);
    int err = errno;
    cr_assert_eq(r, 0, "named_count_up: %s", strerror(err));
    IPCT_EXPECT_HEAP_BACK(before, "named_count_up returned 0");
    new_sem_name(name, sizeof name, "count");
    ipct_fault_fail("fork", 3, EAGAIN);
    r = named_count_up(name, counter, 3, 5);
    ipct_fault_clear();
    shared_area_free(counter, sizeof *counter);
    cr_assert_eq(r, -1, "the third fork failed (EAGAIN injected by the test): fail");
    IPCT_EXPECT_HEAP_BACK(before, "named_count_up failed (its third fork)");
    cr_assert_eq(ipct_children_left(), 0, "workers were not reaped");
}

/*
 * A signal handler can interrupt the parent's wait for its workers: the shim
 * makes every other wait call (wait, waitpid, waitid, wait3, wait4) fail with
 * EINTR, the first included. The wait must be resumed.
 */
Test(named, count_up_waits_resume_after_eintr)
{
    char name[64];
    new_sem_name(name, sizeof name, "count");
    long *counter = shared_area(sizeof *counter);
    ipct_fault_wait_eintr(2, 0); /* the first, third, fifth ... wait */
    int r = named_count_up(name, counter, 3, 10);
    int err = errno;
    ipct_fault_clear();
    long total = *counter;
    shared_area_free(counter, sizeof *counter);
    ipct_expect_wait_retried("named_count_up", r, err, 1);
    cr_assert_eq(total, 30, "counter is %ld, expected 30", total);
}
