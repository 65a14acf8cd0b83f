/* test_shimcalls.c - the shim's later wrappers, proven one by one: a fault injected,
 * the call recorded with its arguments, and nothing of the plan left after exec. */
#include "shimcalls.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ipclab_shim.h>
#include <ipclab_test.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(lockf, .timeout = 10);
TestSuite(mremap, .timeout = 10);
TestSuite(sleep, .timeout = 10);
TestSuite(thread, .timeout = 10);
TestSuite(exec, .timeout = 20);
TestSuite(locks, .timeout = 10);

/* A new file of 100 bytes in the test's directory, open read-write. */
static int new_file(void)
{
    char path[256];
    int fd =
        open(ipct_path(path, sizeof path, "locked"), O_RDWR | O_CREAT | O_EXCL, 0600);
    cr_assert_geq(fd, 0, "open: %s", strerror(errno));
    cr_assert_eq(ftruncate(fd, 100), 0);
    return fd;
}

/* ---- lockf ------------------------------------------------------------------------ */

Test(lockf, fails_as_planned)
{
    const int errs[] = {EAGAIN, EACCES, EDEADLK, ENOLCK};
    int fd = new_file();
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        ipct_fault_clear();
        ipct_fault_fail("lockf", 2, errs[i]);
        cr_assert_eq(sc_lockf(fd, F_TLOCK, 10), 0, "lockf #1 is not planned to fail");
        errno = 0;
        cr_assert_eq(sc_lockf(fd, F_TLOCK, 10), -1, "lockf #2 did not fail with %s",
                     strerrorname_np(errs[i]));
        cr_assert_eq(errno, errs[i], "lockf #2: errno %s, planned %s",
                     strerrorname_np(errno), strerrorname_np(errs[i]));
        cr_assert_eq(sc_lockf(fd, F_ULOCK, 10), 0, "the plan failed one call only");
    }
    cr_assert_eq(ipct_faults_count(), 4);
    cr_assert(strstr(ipct_faults_injected(), "lockf #2 (fd ") != NULL &&
                  strstr(ipct_faults_injected(), "failed with ENOLCK") != NULL,
              "%s", ipct_faults_injected());
    close(fd);
}

Test(lockf, eintr_only_when_waiting)
{
    int fd = new_file();
    ipct_fault_fail("lockf", 1, EINTR);
    /* F_TLOCK, F_TEST and F_ULOCK never wait: they are not counted. */
    cr_assert_eq(sc_lockf(fd, F_TLOCK, 0), 0);
    cr_assert_eq(sc_lockf(fd, F_TEST, 0), 0);
    cr_assert_eq(sc_lockf(fd, F_ULOCK, 0), 0);
    cr_assert_eq(ipct_faults_count(), 0, "%s", ipct_faults_injected());
    errno = 0;
    cr_assert_eq(sc_lockf(fd, F_LOCK, 0), -1, "the first F_LOCK was planned to fail");
    cr_assert_eq(errno, EINTR, "errno %s", strerrorname_np(errno));
    cr_assert_eq(sc_lockf(fd, F_LOCK, 0), 0, "a second F_LOCK: %s", strerror(errno));
    cr_assert(strstr(ipct_faults_injected(), "lockf #4") != NULL, "%s",
              ipct_faults_injected());
    close(fd);
}

Test(lockf, recorded)
{
    int fd = new_file();
    ipct_calls_record();
    cr_assert_eq(sc_lockf(fd, F_TLOCK, 30), 0);
    ipct_fault_fail("lockf", 1, EDEADLK);
    cr_assert_eq(sc_lockf(fd, F_LOCK, 0), -1);
    size_t at = 0;
    struct ipct_call copy;
    const struct ipct_call *c = ipct_calls_next("lockf", getpid(), &at, &copy);
    cr_assert(c != NULL && c->arg[0] == fd && c->arg[1] == F_TLOCK && c->arg[2] == 30 &&
                  c->ret == 0 && !c->injected,
              "log: %s", ipct_calls_describe((char[512]){0}, 512));
    c = ipct_calls_next("lockf", 0, &at, &copy);
    cr_assert(c != NULL && c->arg[1] == F_LOCK && c->ret == -1 && c->err == EDEADLK &&
                  c->injected,
              "log: %s", ipct_calls_describe((char[512]){0}, 512));
    close(fd);
}

/* ---- mremap ----------------------------------------------------------------------- */

Test(mremap, enomem_keeps_mapping)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *p =
        mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(p, MAP_FAILED);
    p[0] = 'x';
    ipct_fault_fail("mremap", 1, ENOMEM);
    errno = 0;
    cr_assert_eq(sc_mremap(p, page, 2 * page), MAP_FAILED, "mremap was planned to fail");
    cr_assert_eq(errno, ENOMEM, "errno %s", strerrorname_np(errno));
    cr_assert_eq(p[0], 'x', "a failed mremap leaves the mapping as it was");
    char *q = sc_mremap(p, page, 2 * page);
    cr_assert_neq(q, MAP_FAILED, "the second mremap: %s", strerror(errno));
    q[page] = 'y';
    cr_assert(strstr(ipct_faults_injected(), "mremap #1 failed with ENOMEM") != NULL,
              "%s", ipct_faults_injected());
    munmap(q, 2 * page);
}

Test(mremap, recorded)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *p =
        mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(p, MAP_FAILED);
    ipct_calls_record();
    void *q = sc_mremap(p, page, 3 * page);
    cr_assert_neq(q, MAP_FAILED);
    size_t at = 0;
    struct ipct_call copy;
    const struct ipct_call *c = ipct_calls_next("mremap", 0, &at, &copy);
    cr_assert(c != NULL && c->arg[0] == (long)p && c->arg[1] == (long)page &&
                  c->arg[2] == (long)(3 * page) && c->arg[3] == MREMAP_MAYMOVE &&
                  c->ret == (long)q,
              "log: %s", ipct_calls_describe((char[512]){0}, 512));
    munmap(q, 3 * page);
}

/* ---- nanosleep and clock_nanosleep ------------------------------------------------ */

Test(sleep, eintr_halfway_with_rest)
{
    struct timespec req = {0, 30000000}, rem = {-1, -1};
    ipct_fault_fail("nanosleep", 1, EINTR);
    long long t0 = ipct_now_ms();
    errno = 0;
    cr_assert_eq(sc_nanosleep(&req, &rem), -1, "nanosleep was planned to be interrupted");
    long long slept = ipct_now_ms() - t0;
    cr_assert_eq(errno, EINTR, "errno %s", strerrorname_np(errno));
    cr_assert(rem.tv_sec == 0 && rem.tv_nsec == 15000000,
              "*rem is %lld.%09ld s: half of the 30 ms asked remains",
              (long long)rem.tv_sec, rem.tv_nsec);
    /* The other half was slept for real (a floor, never a ceiling). */
    cr_assert_geq(slept, 14, "an interrupted 30 ms sleep returned after %lld ms", slept);
    cr_assert_eq(sc_nanosleep(&rem, NULL), 0, "the rest of the sleep: %s",
                 strerror(errno));
    /* An odd request: the halves still add up. */
    struct timespec left;
    ipct_fault_fail("nanosleep", 1, EINTR);
    struct timespec tiny = {0, 3};
    cr_assert_eq(sc_nanosleep(&tiny, &left), -1);
    cr_assert(left.tv_sec == 0 && left.tv_nsec == 2, "3 ns halved: %ld ns left",
              left.tv_nsec);
}

Test(sleep, zero_or_bad_not_interrupted)
{
    ipct_fault_fail("nanosleep clock_nanosleep", 1, EINTR);
    struct timespec zero = {0, 0}, bad = {0, 1000000000L};
    cr_assert_eq(sc_nanosleep(&zero, NULL), 0, "a zero sleep never waits");
    errno = 0;
    cr_assert_eq(sc_nanosleep(&bad, NULL), -1);
    cr_assert_eq(errno, EINVAL, "a bad request fails before any wait: %s",
                 strerrorname_np(errno));
    cr_assert_eq(sc_clock_nanosleep(0, &zero, NULL), 0);
    cr_assert_eq(ipct_faults_count(), 0, "%s", ipct_faults_injected());
}

Test(sleep, clock_eintr_is_returned)
{
    struct timespec req = {0, 20000000}, rem = {-1, -1};
    ipct_fault_fail("clock_nanosleep", 1, EINTR);
    errno = 1234;
    cr_assert_eq(sc_clock_nanosleep(0, &req, &rem), EINTR,
                 "clock_nanosleep returns its error number");
    cr_assert_eq(errno, 1234,
                 "clock_nanosleep leaves errno alone, even when interrupted");
    cr_assert(rem.tv_sec == 0 && rem.tv_nsec == 10000000, "*rem is %ld ns", rem.tv_nsec);
    /* An absolute sleep is interrupted at once, and has no remaining time. */
    struct timespec at;
    clock_gettime(CLOCK_MONOTONIC, &at);
    at.tv_sec += 5;
    ipct_fault_fail("clock_nanosleep", 1, EINTR);
    struct timespec untouched = {-1, -1};
    long long t0 = ipct_now_ms();
    cr_assert_eq(sc_clock_nanosleep(TIMER_ABSTIME, &at, &untouched), EINTR);
    cr_assert_lt(ipct_now_ms() - t0, 4000,
                 "an interrupted absolute sleep waited its deadline");
    cr_assert_eq(untouched.tv_sec, -1, "an absolute sleep stores no remaining time");
    cr_assert_eq(ipct_faults_count(), 2, "%s", ipct_faults_injected());
}

Test(sleep, recorded)
{
    struct timespec req = {0, 1000000}, rem;
    ipct_calls_record();
    cr_assert_eq(sc_nanosleep(&req, &rem), 0);
    cr_assert_eq(sc_clock_nanosleep(0, &req, NULL), 0);
    size_t at = 0;
    struct ipct_call copy;
    const struct ipct_call *c = ipct_calls_next("nanosleep", 0, &at, &copy);
    struct timespec seen;
    cr_assert(c != NULL && c->arg[0] == (long)&req && c->arg[1] == (long)&rem &&
                  c->ret == 0 && c->datalen == sizeof seen,
              "log: %s", ipct_calls_describe((char[512]){0}, 512));
    memcpy(&seen, c->data, sizeof seen);
    cr_assert(seen.tv_sec == 0 && seen.tv_nsec == 1000000, "the request is kept");
    c = ipct_calls_next("clock_nanosleep", 0, &at, &copy);
    cr_assert(c != NULL && c->arg[0] == CLOCK_MONOTONIC && c->arg[1] == 0 &&
                  c->arg[2] == (long)&req && c->ret == 0 && c->err == 0,
              "log: %s", ipct_calls_describe((char[512]){0}, 512));
}

/* ---- pthread_create and pthread_join ---------------------------------------------- */

Test(thread, create_eagain)
{
    int value = 0;
    ipct_fault_fail("pthread_create", 1, EAGAIN);
    errno = 1234;
    cr_assert_eq(sc_thread(&value), EAGAIN, "pthread_create returns its error number");
    cr_assert_eq(errno, 1234, "pthread_create leaves errno alone");
    cr_assert_eq(value, 0, "no thread ran");
    cr_assert_eq(sc_thread(&value), 0,
                 "the second pthread_create was not planned to fail");
    cr_assert_eq(value, 1);
    cr_assert(strstr(ipct_faults_injected(), "pthread_create #1 failed with EAGAIN") !=
                  NULL,
              "%s", ipct_faults_injected());
}

Test(thread, recorded)
{
    int value = 0;
    ipct_calls_record();
    ipct_fault_fail("pthread_create", 2, EAGAIN);
    cr_assert_eq(sc_thread(&value), 0);
    cr_assert_eq(sc_thread(&value), EAGAIN);
    size_t at = 0;
    struct ipct_call copy;
    const struct ipct_call *c = ipct_calls_next("pthread_create", 0, &at, &copy);
    cr_assert(c != NULL && c->arg[1] == 0 && c->arg[2] != 0 &&
                  c->arg[3] == (long)&value && c->ret == 0 && c->err == 0,
              "log: %s", ipct_calls_describe((char[512]){0}, 512));
    struct ipct_call join_copy;
    const struct ipct_call *j = ipct_calls_next("pthread_join", 0, &at, &join_copy);
    cr_assert(j != NULL && j->arg[0] != 0 && j->arg[1] == 0 && j->ret == 0,
              "the join of the thread started: %s",
              ipct_calls_describe((char[512]){0}, 512));
    c = ipct_calls_next("pthread_create", 0, &at, &copy);
    cr_assert(c != NULL && c->injected && c->ret == EAGAIN && c->err == EAGAIN, "log: %s",
              ipct_calls_describe((char[512]){0}, 512));
    cr_assert_null(ipct_calls_next("pthread_join", 0, &at, &copy), "nothing to join");
}

/* lab.ini requires pthread_sigmask here: a call of it counts (it is only
 * logged, never failed, yet the rule must see it). */
Test(thread, sigmask_meets_require)
{
    cr_assert_eq(sc_block_usr1(), 0);
}

/* Expected to FAIL (calls.test.sh checks its message): no kernel fails a join. */
Test(thread, join_rule_refused)
{
    ipct_fault_fail("pthread_join", 1, EINVAL);
}

/* ---- clock_gettime ---------------------------------------------------------------- */

TestSuite(clock, .timeout = 10);

/* A planned read returns the chosen nanoseconds, a moment already past; the read
 * after it, another clock, and a plan dropped by ipct_fault_clear are untouched. */
Test(clock, at_planned_nsec)
{
    for (int i = 1; i <= 2; i++) {
        ipct_clock_at_nsec(CLOCK_REALTIME, 900000000L);
        struct timespec planned, before, after;
        clock_gettime(CLOCK_REALTIME, &before);
        cr_assert_eq(sc_clock(CLOCK_REALTIME, &planned), 0);
        clock_gettime(CLOCK_REALTIME, &after);
        cr_assert_eq(planned.tv_nsec, 900000000L,
                     "read #%d: tv_nsec %ld, planned 900000000", i, planned.tv_nsec);
        long long b = before.tv_sec * 1000000000LL + before.tv_nsec;
        long long p = planned.tv_sec * 1000000000LL + planned.tv_nsec;
        long long a = after.tv_sec * 1000000000LL + after.tv_nsec;
        cr_assert(b <= p && p <= a && p - b <= 1000000000LL,
                  "read #%d: the planned time is the next such moment, already past "
                  "(before %lld, planned %lld, after %lld)",
                  i, b, p, a);
    }
    cr_assert_eq(ipct_faults_count(), 2, "%s", ipct_faults_injected());
    cr_assert(strstr(ipct_faults_injected(),
                     "clock_gettime #2 returned a time 900000000 ns past a whole "
                     "second") != NULL,
              "%s", ipct_faults_injected());
    struct timespec t;
    cr_assert_eq(sc_clock(CLOCK_REALTIME, &t), 0);
    ipct_clock_at_nsec(CLOCK_REALTIME, 900000000L);
    cr_assert_eq(sc_clock(CLOCK_MONOTONIC, &t), 0);
    ipct_fault_clear();
    cr_assert_eq(sc_clock(CLOCK_REALTIME, &t), 0);
    cr_assert_eq(ipct_faults_count(), 2, "only the next read of the planned clock: %s",
                 ipct_faults_injected());
}

/* ---- msgget, semget, shmget and shmat ---------------------------------------------- */

TestSuite(sysv, .timeout = 10);

/* Each fails once as planned, with its errno, and works the next time. */
Test(sysv, fails_as_planned)
{
    ipct_fault_fail("msgget", 1, ENOSPC);
    ipct_fault_fail("semget", 1, ENOSPC);
    ipct_fault_fail("shmget", 1, ENOMEM);
    ipct_fault_fail("shmat", 1, EACCES);
    errno = 0;
    cr_assert(sc_msgget() == -1 && errno == ENOSPC, "msgget: %s", strerrorname_np(errno));
    errno = 0;
    cr_assert(sc_semget() == -1 && errno == ENOSPC, "semget: %s", strerrorname_np(errno));
    errno = 0;
    cr_assert(sc_shmget() == -1 && errno == ENOMEM, "shmget: %s", strerrorname_np(errno));
    int q = sc_msgget(), s = sc_semget(), m = sc_shmget();
    cr_assert(q >= 0 && s >= 0 && m >= 0, "the second calls were not planned to fail");
    errno = 0;
    cr_assert(sc_shmat(m) == (void *)-1 && errno == EACCES, "shmat: %s",
              strerrorname_np(errno));
    void *at = sc_shmat(m);
    cr_assert_neq(at, (void *)-1, "the second shmat: %s", strerror(errno));
    shmdt(at);
    msgctl(q, IPC_RMID, NULL);
    semctl(s, 0, IPC_RMID);
    shmctl(m, IPC_RMID, NULL);
    cr_assert_eq(ipct_faults_count(), 4, "%s", ipct_faults_injected());
}

Test(sysv, recorded)
{
    ipct_calls_record();
    int q = sc_msgget();
    cr_assert_geq(q, 0, "msgget: %s", strerror(errno));
    msgctl(q, IPC_RMID, NULL);
    size_t at = 0;
    struct ipct_call copy;
    const struct ipct_call *c = ipct_calls_next("msgget", 0, &at, &copy);
    cr_assert(c != NULL && c->arg[0] == IPC_PRIVATE && c->arg[1] == (IPC_CREAT | 0600) &&
                  c->ret == q,
              "log: %s", ipct_calls_describe((char[512]){0}, 512));
}

/* ---- malloc, calloc and realloc ---------------------------------------------------- */

TestSuite(memory, .timeout = 10);

/* The second call of each fails with ENOMEM; a failed realloc leaves the block as it
 * was; the failures are logged as NULL with ENOMEM. */
Test(memory, fails_as_planned)
{
    ipct_calls_record();
    ipct_fault_fail("malloc", 2, ENOMEM);
    ipct_fault_fail("calloc", 2, ENOMEM);
    ipct_fault_fail("realloc", 2, ENOMEM);
    char *a = sc_malloc(8), *b = sc_calloc(2, 4);
    cr_assert(a != NULL && b != NULL, "the first calls were not planned to fail");
    errno = 0;
    cr_assert(sc_malloc(8) == NULL && errno == ENOMEM, "malloc #2: %s",
              strerrorname_np(errno));
    errno = 0;
    cr_assert(sc_calloc(2, 4) == NULL && errno == ENOMEM, "calloc #2: %s",
              strerrorname_np(errno));
    strcpy(a, "kept");
    a = sc_realloc(a, 16);
    cr_assert_not_null(a, "realloc #1 was not planned to fail");
    errno = 0;
    cr_assert(sc_realloc(a, 32) == NULL && errno == ENOMEM, "realloc #2: %s",
              strerrorname_np(errno));
    cr_assert_str_eq(a, "kept", "a failed realloc leaves the block as it was");
    free(a);
    free(b);
    cr_assert_eq(ipct_faults_count(), 3, "%s", ipct_faults_injected());
    size_t at = 0;
    struct ipct_call copy;
    const struct ipct_call *c = ipct_calls_next("malloc", 0, &at, &copy);
    c = ipct_calls_next("malloc", 0, &at, &copy);
    cr_assert(c != NULL && c->injected && c->ret == 0 && c->err == ENOMEM &&
                  c->arg[0] == 8,
              "log: %s", ipct_calls_describe((char[512]){0}, 512));
}

TestSuite(stdio, .timeout = 10);

/* fread, fwrite and fflush fail as the read(2) or write(2) under them would: 0 items
 * (fflush: EOF), errno, the stream's error indicator; EINTR only on a stream that may
 * block (a pipe, not a regular file); the data of a failed fflush stays buffered. */
Test(stdio, fails_as_planned)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    FILE *w = fdopen(p[1], "w"), *r = fdopen(p[0], "r");
    cr_assert(w != NULL && r != NULL);
    ipct_calls_record();
    ipct_fault_fail("fwrite", 1, EIO);
    errno = 0;
    cr_assert(sc_fwrite("ab", 1, 2, w) == 0 && errno == EIO && ferror(w),
              "fwrite #1: 0 items, EIO, ferror; errno %s", strerrorname_np(errno));
    clearerr(w);
    cr_assert_eq(sc_fwrite("ab", 1, 2, w), 2, "fwrite #2 was not planned to fail");
    ipct_fault_fail("fflush", 1, EINTR);
    errno = 0;
    cr_assert(sc_fflush(w) == EOF && errno == EINTR && ferror(w), "fflush #1: %s",
              strerrorname_np(errno));
    clearerr(w);
    cr_assert_eq(sc_fflush(w), 0, "fflush #2 was not planned to fail");
    ipct_fault_fail("fread", 1, EIO);
    char buf[4] = "";
    errno = 0;
    cr_assert(sc_fread(buf, 1, 2, r) == 0 && errno == EIO && ferror(r), "fread #1: %s",
              strerrorname_np(errno));
    clearerr(r);
    cr_assert(sc_fread(buf, 1, 2, r) == 2 && memcmp(buf, "ab", 2) == 0,
              "the data of the failed fflush was kept and flushed by the next");
    ipct_fault_clear();
    FILE *file = tmpfile();
    cr_assert_not_null(file);
    ipct_fault_fail("fflush", 1, EINTR);
    cr_assert(sc_fwrite("x", 1, 1, file) == 1 && sc_fflush(file) == 0,
              "EINTR hit a regular file's fflush: it cannot block");
    ipct_fault_clear();
    fclose(file);
    cr_assert_eq(ipct_faults_count(), 3, "%s", ipct_faults_injected());
    size_t at = 0;
    struct ipct_call copy;
    const struct ipct_call *c = ipct_calls_next("fwrite", 0, &at, &copy);
    cr_assert(c != NULL && c->injected && c->ret == 0 && c->err == EIO && c->arg[2] == 2,
              "log: %s", ipct_calls_describe((char[512]){0}, 512));
    c = ipct_calls_next("fwrite", 0, &at, &copy);
    cr_assert(c != NULL && !c->injected && c->ret == 2 && c->err == 0, "log: %s",
              ipct_calls_describe((char[512]){0}, 512));
    fclose(w);
    fclose(r);
}

/* The count of blocks the student's code holds follows malloc, calloc, realloc (a
 * moved block, realloc of NULL, realloc to 0) and free, through a thousand blocks
 * freed in a shuffled order, and a forked child counts its own copy. */
Test(memory, blocks_counted)
{
    long base = ipct_heap_blocks();
    cr_assert_geq(base, 0, "the count is lost at the start");
    char *a = sc_malloc(8), *b = sc_calloc(1, 8);
    cr_assert(a != NULL && b != NULL);
    cr_assert_eq(ipct_heap_blocks(), base + 2, "after malloc and calloc");
    a = sc_realloc(a, 1 << 20); /* large enough to move */
    cr_assert_not_null(a);
    cr_assert_eq(ipct_heap_blocks(), base + 2, "realloc moves a block, it adds none");
    sc_free(a);
    sc_free(b);
    cr_assert_eq(ipct_heap_blocks(), base, "after both are freed");
    char *c = sc_realloc(NULL, 8);
    cr_assert_eq(ipct_heap_blocks(), base + 1, "realloc(NULL, n) allocates");
    cr_assert_null(sc_realloc(c, 0));
    cr_assert_eq(ipct_heap_blocks(), base, "realloc(p, 0) frees");
    static void *many[1000];
    for (int i = 0; i < 1000; i++)
        many[i] = sc_malloc(16);
    cr_assert_eq(ipct_heap_blocks(), base + 1000);
    for (int i = 0; i < 1000; i++) { /* i * 7 mod 1000 visits each once, shuffled */
        sc_free(many[i * 7 % 1000]);
        cr_assert_eq(ipct_heap_blocks(), base + 999 - i, "after %d frees", i + 1);
    }
    void *kept = sc_malloc(8);
    pid_t pid = fork();
    if (pid == 0) {
        void *mine = sc_malloc(8);
        bool ok = ipct_heap_blocks() == base + 2;
        sc_free(mine);
        sc_free(kept);
        _exit(ok && ipct_heap_blocks() == base ? 0 : 1);
    }
    cr_assert_gt(pid, 0, "fork: %s", strerror(errno));
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child's count was wrong");
    cr_assert_eq(ipct_heap_blocks(), base + 1, "the child's frees are its own");
    sc_free(kept);
}

/*
 * A block the student's code loses while calls are logged: the log has its
 * address (malloc's result, write's buffer), and gives it back as it was, but
 * keeps it disguised, so that memcheck calls the block "definitely lost"
 * rather than reachable from the log (tests/calls.test.sh runs this test
 * under valgrind and reads its log).
 */
Test(memory, lost_while_recording)
{
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    cr_assert_geq(fd, 0, "open /dev/null: %s", strerror(errno));
    ipct_calls_record();
    cr_assert_eq(sc_lose(fd, 24), 24);
    close(fd);
    size_t at = 0;
    struct ipct_call m, w;
    bool malloced = ipct_calls_next("malloc", 0, &at, &m) != NULL;
    bool written = ipct_calls_next("write", 0, &at, &w) != NULL;
    bool same = malloced && written && m.arg[0] == 24 && m.ret != 0 && w.arg[0] == fd &&
                w.arg[1] == m.ret && w.arg[2] == 24 && w.ret == 24;
    explicit_bzero(&m, sizeof m); /* no copy of the address left on the stack */
    explicit_bzero(&w, sizeof w);
    cr_assert(same, "malloc(24), then write(fd, that block, 24): %s",
              ipct_calls_describe((char[512]){0}, 512));
}

/* ---- after exec ------------------------------------------------------------------- */

/* Every later wrapper's first call planned to fail, then a program without the
 * shim makes those calls in a child the student's code exec'd: none fails, none
 * is logged (the log has the execv and the wait only). */
Test(exec, plan_gone_after_exec)
{
    const char *helper = getenv("SHIMTEST_HELPER");
    cr_assert(helper != NULL, "SHIMTEST_HELPER names the program to exec");
    ipct_fault_fail("lockf nanosleep clock_nanosleep", 1, EINTR);
    ipct_fault_fail("lockf", 1, ENOLCK);
    ipct_fault_fail("mremap", 1, ENOMEM);
    ipct_fault_fail("pthread_create", 1, EAGAIN);
    ipct_calls_record();
    int st = sc_exec(helper);
    cr_assert_eq(st, 0, "the exec'd helper exited %d: a call failed there (%s)", st,
                 ipct_faults_injected());
    cr_assert_eq(ipct_faults_count(), 0, "%s", ipct_faults_injected());
    size_t at = 0;
    struct ipct_call copy;
    cr_assert_not_null(ipct_calls_next("execv", 0, &at, &copy),
                       "the child's execv is logged");
    const char *later[] = {"lockf",           "mremap",         "nanosleep",
                           "clock_nanosleep", "pthread_create", "pthread_join"};
    for (size_t i = 0; i < sizeof later / sizeof later[0]; i++) {
        at = 0;
        cr_assert_null(ipct_calls_next(later[i], 0, &at, &copy),
                       "%s is logged after exec: %s", later[i],
                       ipct_calls_describe((char[512]){0}, 512));
    }
    /* The plan still holds in this process: the wrappers are here, not there. */
    int value = 0;
    cr_assert_eq(sc_thread(&value), EAGAIN);
}

/* ---- lock checks (shim_locks.c) --------------------------------------------------- */

/* The other thread of held_calls_pass: locks and unlocks a mutex of its own. */
static void *own_pair(void *m)
{
    return (void *)(long)(sc_lock(m) | sc_unlock(m));
}

/* Every correct use passes unflagged: pairs (static and dynamic mutexes, in two
 * threads), a condition wait with the mutex held, an error-checking mutex's EPERM
 * (glibc's own check), a recursive mutex, and pthread_atfork's idiom (a mutex the
 * forking thread holds is unlocked in the child). */
Test(locks, held_calls_pass)
{
    static pthread_mutex_t fixed = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t m, checked, recursive;
    pthread_mutexattr_t a;
    cr_assert_eq(pthread_mutex_init(&m, NULL), 0);
    cr_assert_eq(sc_lock(&fixed) | sc_unlock(&fixed) | sc_lock(&m) | sc_unlock(&m), 0);

    pthread_t t;
    void *r;
    cr_assert_eq(pthread_create(&t, NULL, own_pair, &m), 0);
    cr_assert_eq(pthread_join(t, &r), 0);
    cr_assert_null(r);

    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    struct timespec past = {0, 0}; /* 1970: the wait times out at once */
    cr_assert_eq(sc_lock(&m), 0);
    cr_assert_eq(sc_cond_timedwait(&c, &m, &past), ETIMEDOUT);
    cr_assert_eq(sc_unlock(&m), 0);

    cr_assert_eq(pthread_mutexattr_init(&a), 0);
    cr_assert_eq(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK), 0);
    cr_assert_eq(pthread_mutex_init(&checked, &a), 0);
    cr_assert_eq(sc_unlock(&checked), EPERM, "an error-checking mutex refuses it");
    cr_assert_eq(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE), 0);
    cr_assert_eq(pthread_mutex_init(&recursive, &a), 0);
    cr_assert_eq(sc_lock(&recursive) | sc_lock(&recursive), 0);
    cr_assert_eq(sc_unlock(&recursive) | sc_unlock(&recursive), 0);
    pthread_mutexattr_destroy(&a);

    cr_assert_eq(sc_lock(&m), 0);
    pid_t pid = fork();
    if (pid == 0)
        _exit(sc_unlock(&m) == 0 && ipct_locks_misused() == 0 ? 0 : 1);
    cr_assert_eq(sc_unlock(&m), 0);
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0,
                 "the child's unlock of the mutex its forking thread held was flagged");
    cr_assert_eq(ipct_locks_misused(), 0);
    pthread_mutex_destroy(&checked);
    pthread_mutex_destroy(&recursive);
    pthread_mutex_destroy(&m);
}

/* A normal mutex unlocked by a thread that never locked it: counted at the call, and
 * the probe fails the test when its body returns ("... does not hold ..."). */
Test(locks, unheld_unlock_fails)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    cr_assert_eq(sc_unlock(&m), 0, "glibc lets it pass");
    cr_assert_eq(ipct_locks_misused(), 1, "the unlock was not noticed");
}
