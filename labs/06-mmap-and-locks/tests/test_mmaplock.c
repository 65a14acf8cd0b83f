/* test_mmaplock.c - Criterion tests for lab 06 (memory-mapped files and locks). */
#include "ipclab_shim.h"
#include "ipclab_test.h"
#include "mmaplock.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(mapfile, .timeout = 10);
TestSuite(recstore, .timeout = 10);
TestSuite(reclock, .timeout = 10);
TestSuite(counter, .timeout = 10);
TestSuite(lockkinds, .timeout = 10);

/* ---- test helpers ------------------------------------------------------ */

#define PAGE 4096

/* A fresh file in the test's tmpdir holding `size` bytes of `fill`. */
static int new_file(char *path, size_t cap, const char *tag, size_t size, char fill)
{
    char buf[PAGE];
    ipct_path(path, cap, tag);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
    memset(buf, fill, sizeof buf);
    for (size_t done = 0; done < size;) {
        size_t n = size - done < sizeof buf ? size - done : sizeof buf;
        cr_assert_eq(write(fd, buf, n), (ssize_t)n);
        done += n;
    }
    return fd;
}

static off_t file_size(int fd)
{
    struct stat st;
    cr_assert_eq(fstat(fd, &st), 0);
    return st.st_size;
}

static void make_pipe(int fds[2])
{
    cr_assert_eq(pipe(fds), 0, "pipe: %s", strerror(errno));
}

/* True if one byte arrived on fd within timeout_ms (false on EOF or timeout). */
static bool got_byte(int fd, int timeout_ms)
{
    char c;
    return ipct_readable_within(fd, timeout_ms) && read(fd, &c, 1) == 1;
}

/* Few processes under memcheck: each one pays a leak check at exit. */
static int nprocs(void)
{
    return ipct_under_valgrind() ? 2 : 4;
}

/*
 * raw_lock - lock fd without waiting, with the system calls themselves (never the
 * code under test): flock (the whole file) for LOCK_KIND_FLOCK, else fcntl's F_SETLK
 * or F_OFD_SETLK on len bytes from start (0: to the end). Returns 0 or -1.
 */
static int raw_lock(int fd, enum lock_kind kind, short type, off_t start, off_t len)
{
    if (kind == LOCK_KIND_FLOCK)
        return flock(fd, (type == F_WRLCK ? LOCK_EX : LOCK_SH) | LOCK_NB);
    struct flock fl = {
        .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, kind == LOCK_KIND_OFD ? F_OFD_SETLK : F_SETLK, &fl);
}

/*
 * A lock holder: a child that opens path itself, takes the lock with a raw
 * fcntl(F_SETLK) (or flock when kind is LOCK_KIND_FLOCK), says so on a pipe,
 * and keeps it until release_holder(). Returns the child's pid.
 */
struct holder {
    pid_t pid;
    int release; /* write a byte here to let the holder go */
};

static struct holder hold_lock(const char *path, enum lock_kind kind, short type,
                               off_t start, off_t len)
{
    int ready[2], go[2];
    make_pipe(ready);
    make_pipe(go);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        char c;
        close(ready[0]);
        close(go[1]);
        int fd = open(path, O_RDWR);
        IPCT_CHILD_CHECK(fd >= 0);
        IPCT_CHILD_CHECK(raw_lock(fd, kind, type, start, len) == 0);
        IPCT_CHILD_CHECK(write(ready[1], "L", 1) == 1);
        IPCT_CHILD_CHECK(read(go[0], &c, 1) >= 0); /* a byte (or EOF): let go */
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    cr_assert(got_byte(ready[0], 5000), "the lock holder could not take its lock");
    close(ready[0]);
    return (struct holder){pid, go[1]};
}

static void release_holder(struct holder h)
{
    /* A byte, not EOF: children forked since then hold copies of h.release. */
    cr_assert_eq(write(h.release, "U", 1), 1);
    close(h.release);
    cr_assert_eq(ipct_wait_exit(h.pid, 5000), 0, "the lock holder failed");
}

/* In a child: can this process take the lock right now? exit 0 yes, 1 no. */
static int child_can_lock(const char *path, enum lock_kind kind, short type)
{
    pid_t pid = ipct_fork();
    if (pid == 0) {
        int fd = open(path, O_RDWR);
        IPCT_CHILD_CHECK(fd >= 0);
        _exit(raw_lock(fd, kind, type, 0, 0) == 0 ? 0 : 1);
    }
    int code = ipct_wait_exit(pid, 5000);
    cr_assert(code == 0 || code == 1, "the probing child failed (%d)", code);
    return code;
}

/* ---- Exercise 1: mapfile ------------------------------------------------ */

/* mapped_file - a new file of size bytes of fill (its path into path, cap bytes; its
 * fd into *fd) and mf_map(*fd, len, shared) of it (asserted), returned. */
static char *mapped_file(char *path, size_t cap, const char *tag, size_t size, char fill,
                         size_t len, bool shared, int *fd)
{
    *fd = new_file(path, cap, tag, size, fill);
    char *p = mf_map(*fd, len, shared);
    cr_assert_not_null(p, "mf_map: %s", strerror(errno));
    return p;
}

Test(mapfile, shared_store_reaches_file)
{
    char path[256], c = 0;
    int fd;
    char *p = mapped_file(path, sizeof path, "shared", PAGE, 'a', PAGE, true, &fd);
    cr_assert_eq(p[0], 'a', "the mapping shows the file's bytes");
    p[10] = 'X';
    cr_assert_eq(pread(fd, &c, 1, 10), 1);
    cr_assert_eq(c, 'X', "a store into a MAP_SHARED mapping is a store into the file");
    cr_assert_eq(pwrite(fd, "Y", 1, 20), 1);
    cr_assert_eq(p[20], 'Y', "write(2) to the file shows in a MAP_SHARED mapping");
    munmap(p, PAGE);
    close(fd);
}

Test(mapfile, private_store_stays_private)
{
    char path[256], c = 0;
    int fd;
    char *priv = mapped_file(path, sizeof path, "private", PAGE, 'a', PAGE, false, &fd);
    char *shared = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
    cr_assert_neq(shared, MAP_FAILED);
    priv[10] = 'X';
    cr_assert_eq(priv[10], 'X');
    cr_assert_eq(pread(fd, &c, 1, 10), 1);
    cr_assert_eq(c, 'a', "a MAP_PRIVATE store must not reach the file");
    cr_assert_eq(shared[10], 'a', "nor any other mapping of the file");
    munmap(priv, PAGE);
    munmap(shared, PAGE);
    close(fd);
}

/* $begin persists */
Test(mapfile, persists_across_processes)
{
    char path[256], buf[32] = {0};
    int fd = new_file(path, sizeof path, "persist", PAGE, 0);
    close(fd);
    pid_t pid = ipct_fork();
    if (pid == 0) { /* the writer maps, stores, syncs, and is gone */
        int cfd = open(path, O_RDWR);
        IPCT_CHILD_CHECK(cfd >= 0);
        char *p = mf_map(cfd, PAGE, true);
        IPCT_CHILD_CHECK(p != NULL);
        close(cfd); /* the mapping does not need the fd */
        strcpy(p + 100, "written by a dead process");
        IPCT_CHILD_CHECK(mf_sync(p, PAGE) == 0);
        _exit(0);
    }
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0, "the writer failed");
    fd = open(path, O_RDONLY); /* a later process reads plain file bytes */
    cr_assert_geq(fd, 0);
    cr_assert_eq(pread(fd, buf, 25, 100), 25);
    cr_assert_str_eq(buf, "written by a dead process");
    close(fd);
}
/* $end persists */

Test(mapfile, sync_checks_its_range)
{
    char path[256];
    int fd;
    char *p = mapped_file(path, sizeof path, "sync", 2 * PAGE, 'a', 2 * PAGE, true, &fd);
    p[PAGE + 1] = 'b';
    cr_assert_eq(mf_sync(p, 2 * PAGE), 0, "mf_sync: %s", strerror(errno));
    IPCT_ASSERT_FAILS(EINVAL, mf_sync(p + 1, 10), "msync needs a page-aligned address");
    IPCT_ASSERT_FAILS(EINVAL, mf_sync(NULL, PAGE),
                      "mf_sync(NULL, PAGE) must fail with EINVAL");
    munmap(p, 2 * PAGE);
    close(fd);
}

/*
 * Call check (ipclab_shim.h): did the student's code, since
 * ipct_calls_record(), msync every page of [addr, addr + len) with MS_SYNC,
 * successfully? One call or several, over that range or a larger one.
 */
static bool msynced(const void *addr, size_t len)
{
    uintptr_t from = (uintptr_t)addr, to = from + len;
    for (uintptr_t page = from; page < to; page += PAGE) {
        bool covered = false;
        size_t i = 0;
        struct ipct_call copy;
        const struct ipct_call *c;
        while (!covered && (c = ipct_calls_next("msync", 0, &i, &copy)) != NULL)
            covered = c->ret == 0 && (c->arg[2] & MS_SYNC) &&
                      (uintptr_t)c->arg[0] <= page &&
                      (uintptr_t)c->arg[0] + (uintptr_t)c->arg[1] > page;
        if (!covered)
            return false;
    }
    return true;
}

/* The changed range reaches the file before mf_sync returns: msync with MS_SYNC. */
Test(mapfile, sync_waits_with_ms_sync)
{
    char path[256];
    int fd;
    char *p =
        mapped_file(path, sizeof path, "syncflag", 3 * PAGE, 'a', 3 * PAGE, true, &fd);
    p[PAGE + 7] = 'b';
    ipct_calls_record();
    cr_assert_eq(mf_sync(p + PAGE, PAGE), 0, "mf_sync: %s", strerror(errno));
    char calls[1024];
    cr_assert(msynced(p + PAGE, PAGE),
              "mf_sync(p + 4096, 4096) must msync that page with MS_SYNC (MS_ASYNC only "
              "schedules the write); your calls: %s",
              ipct_calls_describe(calls, sizeof calls));
    munmap(p, 3 * PAGE);
    close(fd);
}

Test(mapfile, readonly_file_shared_is_eacces)
{
    char path[256];
    int fd = new_file(path, sizeof path, "rdonly", PAGE, 'r');
    close(fd);
    fd = open(path, O_RDONLY);
    cr_assert_geq(fd, 0);
    errno = 0;
    cr_assert_null(mf_map(fd, PAGE, true),
                   "a writable shared mapping needs an O_RDWR fd");
    cr_assert_eq(errno, EACCES, "errno %s", strerror(errno));
    char *p = mf_map(fd, PAGE, false);
    cr_assert_not_null(p, "a private mapping is a copy: a read-only fd is enough (%s)",
                       strerror(errno));
    p[0] = 'w';
    cr_assert_eq(p[0], 'w');
    munmap(p, PAGE);
    close(fd);
}

Test(mapfile, bad_arguments)
{
    char path[256];
    int fd = new_file(path, sizeof path, "badargs", PAGE, 'a');
    errno = 0;
    cr_assert_null(mf_map(fd, 0, true));
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_null(mf_map(-1, PAGE, true));
    cr_assert_eq(errno, EBADF);
    close(fd);
}

Test(mapfile, last_page_tail_reads_zero)
{
    char path[256];
    int fd;
    char *p = mapped_file(path, sizeof path, "tail", 100, 'a', PAGE, true, &fd);
    cr_assert_eq(p[99], 'a');
    for (int i = 100; i < PAGE; i++)
        cr_assert_eq(p[i], 0, "byte %d past end of file should read 0", i);
    p[200] = 'z'; /* allowed, but never reaches the file */
    cr_assert_eq(mf_sync(p, PAGE), 0);
    cr_assert_eq(file_size(fd), 100, "a store past end of file does not grow it");
    munmap(p, PAGE);
    close(fd);
}

/* $begin sigbus */
/* The mapping is two pages, the file 100 bytes: page 2 has no file behind it. */
Test(mapfile, touch_past_eof_is_sigbus, .signal = SIGBUS)
{
    char path[256];
    int fd = new_file(path, sizeof path, "sigbus", 100, 'a');
    volatile char *p = mf_map(fd, 2 * PAGE, true);
    cr_assert_not_null(p, "mapping past end of file is allowed: %s", strerror(errno));
    p[PAGE - 1] = 'x'; /* last page of the file: fine */
    p[PAGE] = 'x';     /* wholly past end of file: SIGBUS */
    cr_assert_fail("touching a page past end of file should have raised SIGBUS");
}
/* $end sigbus */

Test(mapfile, truncated_under_mapping_is_sigbus, .signal = SIGBUS)
{
    char path[256];
    int fd;
    volatile char *p =
        mapped_file(path, sizeof path, "shrunk", 2 * PAGE, 'a', 2 * PAGE, true, &fd);
    cr_assert_eq(p[PAGE], 'a');
    cr_assert_eq(ftruncate(fd, 0), 0); /* as another process might */
    char c = p[PAGE];                  /* the page is gone: SIGBUS */
    cr_assert_fail(
        "reading a page of a truncated file should have raised SIGBUS, read %d", c);
}

Test(mapfile, grow_extends_file_and_mapping)
{
    char path[256], c = 0;
    int fd = new_file(path, sizeof path, "grow", PAGE, 'a');
    size_t len = PAGE;
    void *map = mf_map(fd, len, true);
    cr_assert_not_null(map, "mf_map: %s", strerror(errno));
    cr_assert_eq(mf_grow(fd, &map, &len, 3 * PAGE), 0, "mf_grow: %s", strerror(errno));
    char *p = map;
    cr_assert_eq(len, 3 * PAGE);
    cr_assert_eq(file_size(fd), 3 * PAGE,
                 "the file must grow (ftruncate) with the mapping");
    cr_assert_eq(p[0], 'a', "the old contents stay");
    cr_assert_eq(p[PAGE + 5], 0, "the new bytes read as zeros");
    p[3 * PAGE - 1] = 'q'; /* SIGBUS here if the file did not grow */
    cr_assert_eq(pread(fd, &c, 1, 3 * PAGE - 1), 1);
    cr_assert_eq(c, 'q');
    munmap(map, len);
    close(fd);
}

Test(mapfile, grow_bad_arguments)
{
    char path[256];
    int fd = new_file(path, sizeof path, "growbad", 2 * PAGE, 'a');
    size_t len = 2 * PAGE;
    void *map = mf_map(fd, len, true), *nothing = NULL;
    cr_assert_not_null(map, "mf_map: %s", strerror(errno));
    void *before = map;
    IPCT_ASSERT_FAILS(EINVAL, mf_grow(fd, &map, &len, PAGE), "shrinking is not growing");
    IPCT_ASSERT_FAILS(EINVAL, mf_grow(fd, &map, &len, 2 * PAGE),
                      "the same size is not growing");
    IPCT_ASSERT_FAILS(EINVAL, mf_grow(fd, &nothing, &len, 4 * PAGE),
                      "mf_grow(fd, &nothing, &len, 4 * PAGE) must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, mf_grow(fd, NULL, &len, 4 * PAGE),
                      "mf_grow(fd, NULL, &len, 4 * PAGE) must fail with EINVAL");
    cr_assert_eq(map, before);
    cr_assert_eq(len, 2 * PAGE, "a failed call leaves the mapping alone");
    cr_assert_eq(file_size(fd), 2 * PAGE, "a rejected call leaves the file alone");
    munmap(map, len);
    close(fd);
}

/* ---- Exercise 2: recstore ----------------------------------------------- */

struct rec {
    uint32_t writer; /* who appended it */
    uint32_t seq;    /* the writer's sequence number */
    char text[24];
};

static struct rec make_rec(uint32_t writer, uint32_t seq)
{
    struct rec r = {writer, seq, {0}};
    snprintf(r.text, sizeof r.text, "w%u-s%u", writer, seq);
    return r;
}

static void check_rec(struct rs *s, uint64_t idx, uint32_t writer, uint32_t seq)
{
    struct rec got, want = make_rec(writer, seq);
    cr_assert_eq(rs_get(s, idx, &got), 0, "rs_get(%lu): %s", (unsigned long)idx,
                 strerror(errno));
    cr_assert(memcmp(&got, &want, sizeof got) == 0, "record %lu is %s, expected %s",
              (unsigned long)idx, got.text, want.text);
}

/* check_recs - records 0..n-1 of s are make_rec(writer, 0..n-1). */
static void check_recs(struct rs *s, uint32_t writer, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        check_rec(s, i, writer, i);
}

/* new_store - a fresh store of struct rec records (its path into path, cap bytes),
 * opened into *s (asserted). */
static void new_store(char *path, size_t cap, struct rs *s)
{
    ipct_path(path, cap, "store");
    cr_assert_eq(rs_open(path, sizeof(struct rec), s), 0, "rs_open: %s", strerror(errno));
}

/* append_recs - append make_rec(writer, 0..n-1) to s: each must get its index. */
static void append_recs(struct rs *s, uint32_t writer, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        struct rec r = make_rec(writer, i);
        cr_assert_eq(rs_append(s, &r), (int64_t)i,
                     "rs_append of record %u returns its index: %s", i, strerror(errno));
    }
}

/* fork_writer - a child that opens the store at path itself, appends
 * make_rec(writer, 0..n-1) (each at its index), rs_syncs if sync, and closes it;
 * returns its pid (it exits 0 when all of that worked). */
static pid_t fork_writer(const char *path, uint32_t writer, uint32_t n, bool sync)
{
    pid_t pid = ipct_fork();
    if (pid == 0) {
        struct rs c;
        IPCT_CHILD_CHECK(rs_open(path, sizeof(struct rec), &c) == 0);
        for (uint32_t i = 0; i < n; i++) {
            struct rec r = make_rec(writer, i);
            IPCT_CHILD_CHECK(rs_append(&c, &r) == (int64_t)i);
        }
        IPCT_CHILD_CHECK(!sync || rs_sync(&c) == 0);
        IPCT_CHILD_CHECK(rs_close(&c) == 0);
        _exit(0);
    }
    return pid;
}

Test(recstore, open_creates_header)
{
    char path[256];
    struct rs s;
    struct rs_header h;
    new_store(path, sizeof path, &s);
    cr_assert_eq(file_size(s.fd), RS_DATA + RS_INITIAL * sizeof(struct rec),
                 "a new store holds the header and RS_INITIAL records");
    cr_assert_eq(pread(s.fd, &h, sizeof h, 0), (ssize_t)sizeof h);
    cr_assert_eq(h.magic, RS_MAGIC);
    cr_assert_eq(h.rec_size, sizeof(struct rec));
    cr_assert_eq(h.count, 0);
    cr_assert_eq(h.capacity, RS_INITIAL);
    cr_assert_eq(rs_count(&s), 0);
    cr_assert_eq(rs_close(&s), 0);
}

Test(recstore, append_then_get)
{
    char path[256];
    struct rs s;
    new_store(path, sizeof path, &s);
    append_recs(&s, 1, 10);
    cr_assert_eq(rs_count(&s), 10);
    check_recs(&s, 1, 10);
    cr_assert_eq(rs_close(&s), 0);
}

Test(recstore, get_past_count_is_erange)
{
    char path[256];
    struct rs s;
    struct rec r = make_rec(1, 1), out;
    ipct_path(path, sizeof path, "store");
    cr_assert_eq(rs_open(path, sizeof r, &s), 0, "rs_open: %s", strerror(errno));
    IPCT_ASSERT_FAILS(ERANGE, rs_get(&s, 0, &out), "an empty store has no record 0");
    cr_assert_eq(rs_append(&s, &r), 0);
    IPCT_ASSERT_FAILS(ERANGE, rs_get(&s, 1, &out), "records past count do not exist yet");
    IPCT_ASSERT_FAILS(ERANGE, rs_get(&s, RS_INITIAL + 5, &out),
                      "rs_get(&s, RS_INITIAL + 5, &out) must fail with ERANGE");
    cr_assert_eq(rs_close(&s), 0);
}

Test(recstore, grows_by_doubling)
{
    char path[256];
    struct rs s;
    struct rs_header h;
    new_store(path, sizeof path, &s);
    append_recs(&s, 2, 200);
    cr_assert_eq(pread(s.fd, &h, sizeof h, 0), (ssize_t)sizeof h);
    cr_assert_eq(h.capacity, 256, "16 doubled until 200 fit: 256, got %lu",
                 (unsigned long)h.capacity);
    cr_assert_eq(file_size(s.fd), RS_DATA + 256 * sizeof(struct rec),
                 "the file must grow with the capacity (ftruncate)");
    check_recs(&s, 2, 200);
    struct rec last, want = make_rec(2, 199); /* past the first page: in the file? */
    cr_assert_eq(pread(s.fd, &last, sizeof last, RS_DATA + 199 * sizeof last),
                 (ssize_t)sizeof last);
    cr_assert(memcmp(&last, &want, sizeof last) == 0, "record 199 is not in the file");
    cr_assert_eq(rs_close(&s), 0);
}

/* rs_sync puts every record in the file: msync(MS_SYNC) over the whole mapping. */
Test(recstore, sync_msyncs_the_whole_mapping)
{
    char path[256];
    struct rs s;
    new_store(path, sizeof path, &s);
    append_recs(&s, 4, 200); /* past the first page: the mapping grew */
    ipct_calls_record();
    cr_assert_eq(rs_sync(&s), 0, "rs_sync: %s", strerror(errno));
    char calls[1024];
    cr_assert(
        msynced(s.map, s.maplen),
        "rs_sync must msync all %zu bytes of the mapping with MS_SYNC; your calls: %s",
        s.maplen, ipct_calls_describe(calls, sizeof calls));
    cr_assert_eq(rs_close(&s), 0);
}

Test(recstore, persists_across_processes)
{
    char path[256];
    struct rs s;
    ipct_path(path, sizeof path, "store");
    pid_t pid = fork_writer(path, 3, 50, true);
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0, "the writer failed");
    cr_assert_eq(rs_open(path, sizeof(struct rec), &s), 0, "rs_open: %s",
                 strerror(errno));
    cr_assert_eq(rs_count(&s), 50, "the records outlive the process that wrote them");
    check_recs(&s, 3, 50);
    cr_assert_eq(rs_close(&s), 0);
}

Test(recstore, sees_growth_by_another_process)
{
    char path[256];
    struct rs s;
    new_store(path, sizeof path, &s);
    size_t first_len = s.maplen;
    pid_t pid = fork_writer(path, 4, 200, false);
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0, "the writer failed");
    cr_assert_eq(rs_count(&s), 200);
    check_rec(&s, 199, 4, 199); /* far past this process's first mapping */
    check_rec(&s, 0, 4, 0);
    cr_assert_gt(s.maplen, first_len,
                 "the store must be mapped again to reach record 199");
    struct rec r = make_rec(5, 0);
    cr_assert_eq(rs_append(&s, &r), 200);
    check_rec(&s, 200, 5, 0);
    cr_assert_eq(rs_close(&s), 0);
}

/* $begin concurrent_appends */
Test(recstore, concurrent_appends_from_processes)
{
    int n = nprocs();
    uint32_t per = ipct_under_valgrind() ? 40 : 300;
    char path[256];
    struct rs s;
    pid_t pids[4];
    ipct_path(path, sizeof path, "store");
    for (int w = 0; w < n; w++) {
        pids[w] = ipct_fork();
        if (pids[w] == 0) { /* every writer opens the store itself, at once */
            struct rs c;
            IPCT_CHILD_CHECK(rs_open(path, sizeof(struct rec), &c) == 0);
            for (uint32_t i = 0; i < per; i++) {
                struct rec r = make_rec((uint32_t)w, i);
                IPCT_CHILD_CHECK(rs_append(&c, &r) >= 0);
            }
            IPCT_CHILD_CHECK(rs_close(&c) == 0);
            _exit(0);
        }
    }
    for (int w = 0; w < n; w++)
        cr_assert_eq(ipct_wait_exit(pids[w], 9000), 0, "writer %d failed", w);

    cr_assert_eq(rs_open(path, sizeof(struct rec), &s), 0, "rs_open: %s",
                 strerror(errno));
    cr_assert_eq(rs_count(&s), (int64_t)n * per, "every append must be kept");
    uint32_t next[4] = {0}; /* each writer's records appear in its own order */
    for (uint64_t i = 0; i < (uint64_t)n * per; i++) {
        struct rec r;
        cr_assert_eq(rs_get(&s, i, &r), 0);
        cr_assert_lt(r.writer, (uint32_t)n, "record %lu is garbage", (unsigned long)i);
        cr_assert_eq(r.seq, next[r.writer], "record %lu: writer %u seq %u, expected %u",
                     (unsigned long)i, r.writer, r.seq, next[r.writer]);
        next[r.writer]++;
    }
    cr_assert_eq(rs_close(&s), 0);
}
/* $end concurrent_appends */

Test(recstore, wrong_store_is_einval)
{
    char path[256], junk[256];
    struct rs s;
    struct ipct_fdset before;
    ipct_path(path, sizeof path, "store");
    cr_assert_eq(rs_open(path, 32, &s), 0, "rs_open: %s", strerror(errno));
    cr_assert_eq(rs_close(&s), 0);
    ipct_fd_snapshot(&before);
    IPCT_ASSERT_FAILS(EINVAL, rs_open(path, 48, &s),
                      "the store was made with 32-byte records");
    int fd = new_file(junk, sizeof junk, "junk", 1000, 'j');
    close(fd);
    IPCT_ASSERT_FAILS(EINVAL, rs_open(junk, 32, &s),
                      "a file without RS_MAGIC is not a store");
    cr_assert_eq(ipct_fds_leaked(&before, NULL, 0), 0,
                 "a failed rs_open must close its fd");
    IPCT_ASSERT_FAILS(EINVAL, rs_open(path, 0, &s),
                      "rs_open(path, 0, &s) must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, rs_open(NULL, 32, &s),
                      "rs_open(NULL, 32, &s) must fail with EINVAL");
}

Test(recstore, close_releases_everything)
{
    char path[256];
    struct rs s;
    struct ipct_fdset before;
    struct rec r = make_rec(1, 1);
    ipct_path(path, sizeof path, "store");
    ipct_fd_snapshot(&before);
    cr_assert_eq(rs_open(path, sizeof r, &s), 0, "rs_open: %s", strerror(errno));
    cr_assert_eq(rs_append(&s, &r), 0);
    void *map = s.map;
    cr_assert_eq(rs_close(&s), 0);
    cr_assert_eq(ipct_fds_leaked(&before, NULL, 0), 0, "rs_close must close the fd");
    cr_assert_not(ipct_is_mapped(map), "rs_close must unmap the store");
    cr_assert_eq(s.fd, -1);
    cr_assert_null(s.map);
    IPCT_ASSERT_FAILS(EINVAL, rs_close(&s), "closing twice is an error");
}

/* ---- Exercise 3: reclock ------------------------------------------------ */

/* A call a child makes on its own open of a file, arg its one parameter: true when
 * it succeeded. */
typedef bool (*file_call)(int fd, off_t arg);

/*
 * call_finishes_within - run call(fd, arg) in a child on its own open of path (so
 * its locks are another process's); true if it succeeded within ms. The child's
 * pid goes to *pid_out; *fd_out is a pipe's read end that gets one byte when the
 * call has succeeded (got_byte waits longer for it).
 */
static bool call_finishes_within(const char *path, file_call call, off_t arg, int ms,
                                 pid_t *pid_out, int *fd_out)
{
    int done[2];
    make_pipe(done);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(done[0]);
        int cfd = open(path, O_RDWR);
        IPCT_CHILD_CHECK(cfd >= 0);
        IPCT_CHILD_CHECK(call(cfd, arg));
        IPCT_CHILD_CHECK(write(done[1], "!", 1) == 1);
        _exit(0);
    }
    close(done[1]);
    *pid_out = pid;
    *fd_out = done[0];
    return got_byte(done[0], ms);
}

/* file_calls: add 1 to the counter at off; write-lock the whole file, waiting;
 * lockf F_LOCK one byte at off (from the start: the new fd's offset is 0). */
static bool add_one(int fd, off_t off)
{
    return counter_file_add(fd, off, 1) == 1;
}
static bool lock_all_waiting(int fd, off_t unused)
{
    (void)unused;
    return lock_range(fd, F_WRLCK, 0, 0, true) == 0;
}
static bool lockf_byte_waiting(int fd, off_t off)
{
    return lockf_region(fd, F_LOCK, off, 1) == 0;
}

/* held_file - a new 100-byte file (its path into path, cap bytes; this process's fd
 * on it into *fd) on which another process holds a POSIX lock of this type on len
 * bytes from start (0: to the end); release it with release_holder. */
static struct holder held_file(char *path, size_t cap, const char *tag, short type,
                               off_t start, off_t len, int *fd)
{
    *fd = new_file(path, cap, tag, 100, 'a');
    return hold_lock(path, LOCK_KIND_POSIX, type, start, len);
}

/* range_locked_file - a new 100-byte file (its path into path, cap bytes) whose
 * bytes 0..len-1 (0: all) this process write-locks with lock_range (asserted; wait
 * as lock_range's own argument says); returns its fd. */
static int range_locked_file(char *path, size_t cap, const char *tag, off_t len,
                             bool wait)
{
    int fd = new_file(path, cap, tag, 100, 'a');
    cr_assert_eq(lock_range(fd, F_WRLCK, 0, len, wait), 0, "lock_range: %s",
                 strerror(errno));
    return fd;
}

/* $begin holder_pid */
Test(reclock, holder_pid_is_reported)
{
    char path[256];
    int fd = new_file(path, sizeof path, "locks", 100, 'a');
    struct holder h =
        hold_lock(path, LOCK_KIND_POSIX, F_WRLCK, 10, 20); /* bytes 10..29 */
    cr_assert_eq(lock_holder(fd, F_WRLCK, 0, 100), h.pid,
                 "F_GETLK names the holder's pid");
    cr_assert_eq(lock_holder(fd, F_RDLCK, 29, 1), h.pid, "byte 29 is inside the lock");
    cr_assert_eq(lock_holder(fd, F_WRLCK, 30, 10), 0, "bytes 30..39 are free");
    cr_assert_eq(lock_holder(fd, F_WRLCK, 0, 10), 0, "bytes 0..9 are free");
    release_holder(h);
    cr_assert_eq(lock_holder(fd, F_WRLCK, 0, 0), 0, "a dead process holds no locks");
    close(fd);
}
/* $end holder_pid */

Test(reclock, own_lock_is_not_reported)
{
    char path[256];
    int fd = range_locked_file(path, sizeof path, "own", 50, false);
    cr_assert_eq(lock_holder(fd, F_WRLCK, 0, 50), 0,
                 "a process's own locks never conflict with its own requests");
    cr_assert_eq(child_can_lock(path, LOCK_KIND_POSIX, F_WRLCK), 1,
                 "another process must see the lock");
    close(fd);
}

Test(reclock, try_lock_conflict_is_eagain)
{
    char path[256];
    int fd;
    struct holder h = held_file(path, sizeof path, "try", F_WRLCK, 0, 100, &fd);
    errno = 0;
    cr_assert_eq(lock_range(fd, F_WRLCK, 50, 10, false), -1, "the range is held");
    cr_assert_eq(errno, EAGAIN, "errno %s (EACCES must be reported as EAGAIN)",
                 strerror(errno));
    release_holder(h);
    cr_assert_eq(lock_range(fd, F_WRLCK, 50, 10, false), 0, "free again: %s",
                 strerror(errno));
    close(fd);
}

Test(reclock, ranges_do_not_conflict)
{
    char path[256];
    int fd;
    struct holder h = held_file(path, sizeof path, "ranges", F_WRLCK, 0, 8, &fd);
    cr_assert_eq(lock_range(fd, F_WRLCK, 8, 8, false), 0,
                 "bytes 8..15 do not overlap 0..7: %s", strerror(errno));
    IPCT_ASSERT_FAILS(EAGAIN, lock_range(fd, F_WRLCK, 7, 2, false), "bytes 7..8 overlap");
    release_holder(h);
    close(fd);
}

Test(reclock, read_locks_are_shared)
{
    char path[256];
    int fd;
    struct holder h = held_file(path, sizeof path, "shared", F_RDLCK, 0, 0, &fd);
    cr_assert_eq(lock_range(fd, F_RDLCK, 0, 100, false), 0, "readers share: %s",
                 strerror(errno));
    cr_assert_eq(lock_holder(fd, F_RDLCK, 0, 0), 0, "a read lock does not stop readers");
    cr_assert_eq(lock_holder(fd, F_WRLCK, 0, 0), h.pid, "but it stops a writer");
    IPCT_ASSERT_FAILS(EAGAIN, lock_range(fd, F_WRLCK, 0, 100, false),
                      "lock_range(fd, F_WRLCK, 0, 100, false) must fail with EAGAIN");
    release_holder(h);
    close(fd);
}

Test(reclock, unlock_lets_others_in)
{
    char path[256];
    int fd = range_locked_file(path, sizeof path, "unlock", 0, true);
    cr_assert_eq(child_can_lock(path, LOCK_KIND_POSIX, F_WRLCK), 1);
    cr_assert_eq(lock_range(fd, F_UNLCK, 0, 0, false), 0, "unlock: %s", strerror(errno));
    cr_assert_eq(child_can_lock(path, LOCK_KIND_POSIX, F_WRLCK), 0,
                 "the lock is still held");
    close(fd);
}

Test(reclock, wait_blocks_until_release)
{
    char path[256];
    int fd, done;
    pid_t waiter;
    struct holder h = held_file(path, sizeof path, "wait", F_WRLCK, 0, 0, &fd);
    cr_assert_not(call_finishes_within(path, lock_all_waiting, 0, 300, &waiter, &done),
                  "F_SETLKW must wait for the holder");
    release_holder(h);
    cr_assert(got_byte(done, 5000), "the waiter never got the lock");
    cr_assert_eq(ipct_wait_exit(waiter, 5000), 0);
    close(done);
    close(fd);
}

/* A signal may interrupt the wait (F_SETLKW fails with EINTR): the contract
 * says lock_range retries, so the lock is held when it returns 0. The shim
 * makes the first waiting fcntl of the student's code fail so. */
Test(reclock, wait_retries_eintr)
{
    char path[256];
    int fd = new_file(path, sizeof path, "eintr", 100, 'a');
    ipct_fault_fail("fcntl", 1, EINTR);
    cr_assert_eq(lock_range(fd, F_WRLCK, 0, 0, true), 0,
                 "lock_range(..., wait) must retry the F_SETLKW a signal interrupted: %s",
                 strerror(errno));
    cr_assert_gt(
        ipct_faults_count(), 0,
        "lock_range(..., wait) must wait with F_SETLKW (the test saw no such call)");
    cr_assert_eq(child_can_lock(path, LOCK_KIND_POSIX, F_WRLCK), 1,
                 "lock_range returned 0, and another process can still lock the file");
    close(fd);
}

Test(reclock, bad_arguments)
{
    char path[256];
    int fd = new_file(path, sizeof path, "bad", 100, 'a');
    IPCT_ASSERT_FAILS(EINVAL, lock_range(fd, 42, 0, 0, false),
                      "lock_range(fd, 42, 0, 0, false) must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, lock_range(fd, F_WRLCK, -1, 0, false),
                      "lock_range(fd, F_WRLCK, -1, 0, false) must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, lock_holder(fd, F_UNLCK, 0, 0),
                      "F_GETLK asks about F_RDLCK or F_WRLCK");
    IPCT_ASSERT_FAILS(EBADF, lock_range(-1, F_WRLCK, 0, 0, false),
                      "lock_range(-1, F_WRLCK, 0, 0, false) must fail with EBADF");
    IPCT_ASSERT_FAILS(EBADF, lock_holder(-1, F_WRLCK, 0, 0),
                      "lock_holder(-1, F_WRLCK, 0, 0) must fail with fcntl's EBADF");
    close(fd);
    fd = open(path, O_RDONLY);
    IPCT_ASSERT_FAILS(EBADF, lock_range(fd, F_WRLCK, 0, 0, false),
                      "a write lock needs a writable fd");
    close(fd);
}

/* ---- Exercise 4: counter ------------------------------------------------ */

static int64_t read_counter(int fd, off_t off)
{
    int64_t v = 0;
    cr_assert_eq(pread(fd, &v, sizeof v, off), (ssize_t)sizeof v, "no counter at %lld",
                 (long long)off);
    return v;
}

/* $begin exact_count */
Test(counter, exact_across_processes)
{
    int n = nprocs();
    int per = ipct_under_valgrind() ? 100 : 1000;
    char path[256];
    int fd = new_file(path, sizeof path, "counter", 0, 0);
    pid_t pids[4];
    for (int k = 0; k < n; k++) {
        pids[k] = ipct_fork();
        if (pids[k] == 0) {
            int cfd = open(path, O_RDWR); /* its own open file description */
            IPCT_CHILD_CHECK(cfd >= 0);
            for (int i = 0; i < per; i++)
                IPCT_CHILD_CHECK(counter_file_add(cfd, 0, 1) > 0);
            _exit(0);
        }
    }
    for (int k = 0; k < n; k++)
        cr_assert_eq(ipct_wait_exit(pids[k], 9000), 0, "child %d failed", k);
    cr_assert_eq(read_counter(fd, 0), (int64_t)n * per, "an increment was lost");
    close(fd);
}
/* $end exact_count */

Test(counter, missing_bytes_count_as_zero)
{
    char path[256];
    int fd = new_file(path, sizeof path, "empty", 0, 0);
    errno = 0;
    cr_assert_eq(counter_file_add(fd, 16, 5), 5, "counter_file_add: %s", strerror(errno));
    cr_assert_eq(file_size(fd), 24, "the counter at 16 takes bytes 16..23");
    cr_assert_eq(counter_file_add(fd, 16, -7), -2);
    cr_assert_eq(read_counter(fd, 16), -2);
    cr_assert_eq(read_counter(fd, 0), 0, "bytes before the counter are a hole of zeros");
    close(fd);
}

Test(counter, counters_at_two_offsets)
{
    int per = ipct_under_valgrind() ? 100 : 1000;
    char path[256];
    int fd = new_file(path, sizeof path, "two", 0, 0);
    pid_t pids[2];
    for (int k = 0; k < 2; k++) {
        pids[k] = ipct_fork();
        if (pids[k] == 0) {
            int cfd = open(path, O_RDWR);
            IPCT_CHILD_CHECK(cfd >= 0);
            for (int i = 0; i < per; i++) {
                IPCT_CHILD_CHECK(counter_file_add(cfd, 0, 1) > 0);
                IPCT_CHILD_CHECK(counter_file_add(cfd, 8, 2) > 0);
            }
            _exit(0);
        }
    }
    for (int k = 0; k < 2; k++)
        cr_assert_eq(ipct_wait_exit(pids[k], 9000), 0, "child %d failed", k);
    cr_assert_eq(read_counter(fd, 0), 2 * per);
    cr_assert_eq(read_counter(fd, 8), 4 * per);
    close(fd);
}

/*
 * add_beside_holder - another process write-locks the 8 bytes at held of a new
 * counter file (tag names it); counter_file_add(0, 1) in a child must then wait for
 * that lock (must_wait: it must not finish within 300 ms, and must once the lock
 * is released) or finish without waiting (within 5 s); why says which and why.
 * Either way the counter ends at 1.
 */
static void add_beside_holder(const char *tag, off_t held, bool must_wait,
                              const char *why)
{
    char path[256];
    int fd = new_file(path, sizeof path, tag, 0, 0), done;
    pid_t adder;
    struct holder h = hold_lock(path, LOCK_KIND_POSIX, F_WRLCK, held, 8);
    bool finished =
        call_finishes_within(path, add_one, 0, must_wait ? 300 : 5000, &adder, &done);
    if (must_wait) {
        cr_assert_not(finished, "%s", why);
        release_holder(h);
        cr_assert(got_byte(done, 5000), "the add never finished after the release");
        cr_assert_eq(ipct_wait_exit(adder, 5000), 0);
    } else {
        cr_assert(finished, "%s", why);
        cr_assert_eq(ipct_wait_exit(adder, 5000), 0);
        release_holder(h);
    }
    cr_assert_eq(read_counter(fd, 0), 1);
    close(done);
    close(fd);
}

Test(counter, waits_for_the_lock_holder)
{
    add_beside_holder("held", 0, true,
                      "the counter is locked by another process: the add must wait");
}

Test(counter, locks_only_its_own_bytes)
{
    add_beside_holder(
        "mine", 8, false,
        "bytes 8..15 are locked, the counter at 0..7 is free: lock only [off, off + 8)");
}

Test(counter, bad_arguments)
{
    char path[256];
    int fd = new_file(path, sizeof path, "bad", 0, 0);
    IPCT_ASSERT_FAILS(EINVAL, counter_file_add(fd, -8, 1),
                      "counter_file_add(fd, -8, 1) must fail with EINVAL");
    IPCT_ASSERT_FAILS(EBADF, counter_file_add(-1, 0, 1),
                      "counter_file_add(-1, 0, 1) must fail with EBADF");
    close(fd);
}

/* ---- Exercise 5: lockkinds ---------------------------------------------- */

static int reopen(const char *path)
{
    int fd = open(path, O_RDWR);
    cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
    return fd;
}

/* locked_file - a new 10-byte file (its path into path, cap bytes) that this process
 * then locks whole for writing with lock_whole(kind) (asserted); returns its fd. */
static int locked_file(char *path, size_t cap, const char *tag, enum lock_kind kind)
{
    int fd = new_file(path, cap, tag, 10, 'a');
    cr_assert_eq(lock_whole(fd, kind, true), 0, "lock_whole: %s", strerror(errno));
    return fd;
}

/* Two open file descriptions of one new file; a holds a write lock on all of it. */
struct two_opens {
    char path[256];
    int a, b;
};

/* open_two - a new 10-byte file in t->path, locked whole for writing through t->a by
 * lock_whole(kind) (asserted), and t->b a second open(2) of it. */
static void open_two(struct two_opens *t, const char *tag, enum lock_kind kind)
{
    t->a = locked_file(t->path, sizeof t->path, tag, kind);
    t->b = reopen(t->path);
}

/* close_two - close both of t's fds (and so drop what they hold). */
static void close_two(struct two_opens *t)
{
    close(t->a);
    close(t->b);
}

Test(lockkinds, flock_conflicts_between_two_opens)
{
    struct two_opens t;
    open_two(&t, "flock", LOCK_KIND_FLOCK);
    IPCT_ASSERT_FAILS(
        EAGAIN, lock_whole(t.b, LOCK_KIND_FLOCK, true),
        "flock locks belong to the open file description: b is another one");
    cr_assert_eq(unlock_whole(t.a, LOCK_KIND_FLOCK), 0);
    cr_assert_eq(lock_whole(t.b, LOCK_KIND_FLOCK, false), 0, "free after unlock");
    close_two(&t);
}

Test(lockkinds, posix_locks_belong_to_the_process)
{
    struct two_opens t;
    open_two(&t, "posix", LOCK_KIND_POSIX);
    cr_assert_eq(lock_whole(t.b, LOCK_KIND_POSIX, true), 0,
                 "fcntl locks belong to the process: its second fd does not conflict");
    cr_assert_eq(child_can_lock(t.path, LOCK_KIND_POSIX, F_WRLCK), 1,
                 "another process must be kept out");
    close_two(&t);
}

Test(lockkinds, ofd_conflicts_between_two_opens)
{
    struct two_opens t;
    open_two(&t, "ofd", LOCK_KIND_OFD);
    IPCT_ASSERT_FAILS(EAGAIN, lock_whole(t.b, LOCK_KIND_OFD, true),
                      "OFD locks belong to the open file description, like flock");
    cr_assert_eq(lock_whole(t.b, LOCK_KIND_OFD, false), -1,
                 "a shared lock conflicts too");
    cr_assert_eq(unlock_whole(t.a, LOCK_KIND_OFD), 0);
    cr_assert_eq(lock_whole(t.b, LOCK_KIND_OFD, false), 0);
    close_two(&t);
}

/* $begin close_trap */
Test(lockkinds, posix_lock_lost_on_any_close)
{
    char path[256];
    int a = new_file(path, sizeof path, "trap", 10, 'a');
    cr_assert_eq(lock_whole(a, LOCK_KIND_POSIX, true), 0, "lock_whole: %s",
                 strerror(errno));
    cr_assert_eq(child_can_lock(path, LOCK_KIND_POSIX, F_WRLCK), 1, "the file is locked");
    int b = reopen(path); /* say, a library opens the same file ... */
    close(b);             /* ... and closes it: every fcntl lock of ours is gone */
    cr_assert_eq(child_can_lock(path, LOCK_KIND_POSIX, F_WRLCK), 0,
                 "closing any fd of the file drops the process's POSIX locks");
    close(a);
}
/* $end close_trap */

Test(lockkinds, ofd_lock_survives_other_close)
{
    char path[256];
    int a = locked_file(path, sizeof path, "ofdclose", LOCK_KIND_OFD);
    int b = reopen(path);
    close(b);
    cr_assert_eq(child_can_lock(path, LOCK_KIND_OFD, F_WRLCK), 1,
                 "an OFD lock lives as long as its own description");
    close(a);
    cr_assert_eq(child_can_lock(path, LOCK_KIND_OFD, F_WRLCK), 0,
                 "gone with the last fd");
}

Test(lockkinds, fork_shares_ofd_not_posix)
{
    char ofd_path[256], posix_path[256];
    int a = new_file(ofd_path, sizeof ofd_path, "forkofd", 10, 'a');
    int b = new_file(posix_path, sizeof posix_path, "forkposix", 10, 'b');
    cr_assert_eq(lock_whole(a, LOCK_KIND_OFD, true), 0, "lock_whole OFD: %s",
                 strerror(errno));
    cr_assert_eq(lock_whole(b, LOCK_KIND_POSIX, true), 0, "lock_whole POSIX: %s",
                 strerror(errno));
    pid_t pid = ipct_fork();
    if (pid == 0) { /* the child inherits both fds */
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        IPCT_CHILD_CHECK(fcntl(a, F_OFD_SETLK, &fl) == 0); /* same description: ours */
        IPCT_CHILD_CHECK(fcntl(b, F_SETLK, &fl) == -1);    /* another process's */
        IPCT_CHILD_CHECK(errno == EAGAIN || errno == EACCES);
        _exit(0);
    }
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0,
                 "the child shares the OFD lock but not the parent's POSIX lock");
    close(a);
    close(b);
}

Test(lockkinds, flock_and_fcntl_are_independent)
{
    char path[256];
    int a = locked_file(path, sizeof path, "indep", LOCK_KIND_FLOCK);
    cr_assert_eq(child_can_lock(path, LOCK_KIND_POSIX, F_WRLCK), 0,
                 "on Linux a flock lock does not stop an fcntl lock");
    cr_assert_eq(child_can_lock(path, LOCK_KIND_FLOCK, F_WRLCK), 1, "but it stops flock");
    close(a);
}

Test(lockkinds, bad_kind_is_einval)
{
    char path[256];
    int a = new_file(path, sizeof path, "kind", 10, 'a');
    IPCT_ASSERT_FAILS(EINVAL, lock_whole(a, (enum lock_kind)7, true),
                      "lock_whole(a, (enum lock_kind)7, true) must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, unlock_whole(a, (enum lock_kind) - 1),
                      "unlock_whole(a, (enum lock_kind) - 1) must fail with EINVAL");
    IPCT_ASSERT_FAILS(EBADF, lock_whole(-1, LOCK_KIND_OFD, true),
                      "lock_whole(-1, LOCK_KIND_OFD, true) must fail with EBADF");
    close(a);
}

/* ---- Exercise 6: lockf ------------------------------------------------- */

TestSuite(lockf, .timeout = 10);
TestSuite(pidfile, .timeout = 10);

/*
 * What another open file description's F_OFD_GETLK says about a `type` lock
 * on [start, start + len) of probe's file: the conflicting lock's type
 * (F_UNLCK if none), range and pid. OFD locks conflict with this process's
 * own fcntl (and so lockf) locks, so a probe fd opened with its own open()
 * sees them as another process would, without a fork per question. Keep
 * the probe open until the end of the test: closing it would drop this
 * process's fcntl locks on the file.
 */
static struct flock probe_lock(int probe, short type, off_t start, off_t len)
{
    struct flock fl = {
        .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    cr_assert_eq(fcntl(probe, F_OFD_GETLK, &fl), 0, "F_OFD_GETLK: %s", strerror(errno));
    return fl;
}

static int open_probe(const char *path)
{
    int probe = open(path, O_RDONLY);
    cr_assert_geq(probe, 0, "open %s: %s", path, strerror(errno));
    return probe;
}

static off_t offset_of(int fd)
{
    return lseek(fd, 0, SEEK_CUR);
}

/* $begin lockf_offset */
Test(lockf, locks_from_off_not_offset)
{
    char path[256];
    int fd = new_file(path, sizeof path, "lockf", 100, 'a'); /* offset now 100 */
    int probe = open_probe(path);
    cr_assert_eq(lseek(fd, 70, SEEK_SET), 70);
    cr_assert_eq(lockf_region(fd, F_TLOCK, 10, 20), 0, "lockf_region: %s",
                 strerror(errno));
    off_t after = offset_of(fd);
    struct flock fl = probe_lock(probe, F_RDLCK, 0, 0); /* who holds what? */
    close(probe);
    close(fd);
    cr_assert_eq(fl.l_type, F_WRLCK, "another open of the file sees no lock at all");
    cr_assert(
        fl.l_start == 10 && fl.l_len == 20,
        "the lock covers [%lld, +%lld), not [10, +20): lockf counts from the current "
        "offset, so seek to off first",
        (long long)fl.l_start, (long long)fl.l_len);
    cr_assert_eq(fl.l_pid, getpid(), "F_GETLK names pid %ld", (long)fl.l_pid);
    cr_assert_eq(after, 70, "the file offset moved from 70 to %lld: put it back",
                 (long long)after);
}
/* $end lockf_offset */

/* lockf_file - a new 100-byte file (its path into path, cap bytes) whose returned fd
 * locks len bytes from off (0: to the end) with lockf_region(F_TLOCK) (asserted),
 * and a probe fd on it (open_probe) into *probe. */
static int lockf_file(char *path, size_t cap, const char *tag, off_t off, off_t len,
                      int *probe)
{
    int fd = new_file(path, cap, tag, 100, 'a');
    *probe = open_probe(path);
    cr_assert_eq(lockf_region(fd, F_TLOCK, off, len), 0, "lockf_region: %s",
                 strerror(errno));
    return fd;
}

Test(lockf, len_zero_reaches_past_eof)
{
    char path[256];
    int probe;
    int fd = lockf_file(path, sizeof path, "eof", 40, 0, &probe);
    struct flock far = probe_lock(probe, F_RDLCK, 5000, 1);
    struct flock before = probe_lock(probe, F_WRLCK, 0, 40);
    close(probe);
    close(fd);
    cr_assert(far.l_type == F_WRLCK && far.l_start == 40 && far.l_len == 0,
              "len 0 locks from off to the end of the file and beyond");
    cr_assert_eq(before.l_type, F_UNLCK, "bytes before off must stay free");
}

Test(lockf, offset_kept_on_failure)
{
    char path[256];
    int fd;
    struct holder h = held_file(path, sizeof path, "kept", F_WRLCK, 0, 100, &fd);
    cr_assert_eq(lseek(fd, 33, SEEK_SET), 33);
    errno = 0;
    int r = lockf_region(fd, F_TLOCK, 50, 10);
    int err = errno;
    off_t after = offset_of(fd);
    release_holder(h);
    close(fd);
    cr_assert(r == -1 && err == EAGAIN, "a held range: -1 and EAGAIN, got %d (%s)", r,
              strerror(err));
    cr_assert_eq(after, 33, "a failed lockf_region moved the offset from 33 to %lld",
                 (long long)after);
}

/* $begin lockf_interop */
Test(lockf, tlock_conflicts_with_fcntl_holders)
{
    char path[256];
    int fd = new_file(path, sizeof path, "interop", 100, 'a');
    struct holder w = hold_lock(path, LOCK_KIND_POSIX, F_WRLCK, 50, 10); /* 50..59 */
    struct holder r = hold_lock(path, LOCK_KIND_POSIX, F_RDLCK, 0, 10);  /* 0..9 */
    errno = 0;
    int in_write = lockf_region(fd, F_TLOCK, 55, 1);
    int in_write_err = errno;
    errno = 0;
    int in_read = lockf_region(fd, F_TLOCK, 5, 10);
    int in_read_err = errno;
    int beside = lockf_region(fd, F_TLOCK, 60, 10); /* 60..69: free */
    release_holder(w);
    release_holder(r);
    close(fd);
    cr_assert(
        in_write == -1 && in_write_err == EAGAIN,
        "bytes 50..59 are fcntl-write-locked by another process: -1 and EAGAIN, got "
        "%d (%s)",
        in_write, strerror(in_write_err));
    cr_assert(
        in_read == -1 && in_read_err == EAGAIN,
        "lockf takes a write lock, so another process's read lock on 0..9 blocks it "
        "too: got %d (%s)",
        in_read, strerror(in_read_err));
    cr_assert_eq(beside, 0, "bytes 60..69 are free: %s", strerror(errno));
}
/* $end lockf_interop */

Test(lockf, test_sees_write_locks_only)
{
    char path[256];
    int fd = new_file(path, sizeof path, "ftest", 100, 'a');
    struct holder w = hold_lock(path, LOCK_KIND_POSIX, F_WRLCK, 0, 10);
    struct holder r = hold_lock(path, LOCK_KIND_POSIX, F_RDLCK, 20, 10);
    cr_assert_eq(lockf_region(fd, F_TLOCK, 80, 5), 0, "lockf_region: %s",
                 strerror(errno));
    /* Every answer first, then the holders go, then the verdicts. */
    static const off_t asked[][2] = {{5, 1}, {10, 10}, {20, 10}, {80, 5}};
    int rc[4], err[4];
    for (int i = 0; i < 4; i++) {
        errno = 0;
        rc[i] = lockf_region(fd, F_TEST, asked[i][0], asked[i][1]);
        err[i] = errno;
    }
    release_holder(w);
    release_holder(r);
    close(fd);
    cr_assert(rc[0] == -1 && err[0] == EAGAIN,
              "F_TEST on another process's write lock: -1 and EAGAIN (lockf says "
              "EACCES), got %d (%s)",
              rc[0], strerror(err[0]));
    cr_assert_eq(rc[1], 0, "F_TEST on free bytes 10..19 must succeed");
    cr_assert_eq(rc[2], 0, "F_TEST asks with a read lock: another reader does not count");
    cr_assert_eq(rc[3], 0, "F_TEST on the caller's own lock must succeed");
}

Test(lockf, lock_waits_for_fcntl_holder)
{
    char path[256];
    int fd = new_file(path, sizeof path, "wait", 100, 'a');
    close(fd);
    struct holder h = hold_lock(path, LOCK_KIND_POSIX, F_WRLCK, 0, 10);
    int done;
    pid_t pid;
    /* A lock that does not wait returns at once: give it 300 ms to show it. */
    bool early = call_finishes_within(path, lockf_byte_waiting, 5, 300, &pid, &done);
    release_holder(h);
    bool later = got_byte(done, 5000);
    close(done);
    int code = ipct_wait_exit(pid, 5000);
    cr_assert_not(early, "F_LOCK returned while another process held the byte");
    cr_assert(later && code == 0, "F_LOCK did not get the lock once it was released");
}

Test(lockf, ulock_releases_only_its_range)
{
    char path[256];
    int probe;
    int fd = lockf_file(path, sizeof path, "ulock", 0, 50, &probe);
    cr_assert_eq(lseek(fd, 90, SEEK_SET), 90);
    cr_assert_eq(lockf_region(fd, F_ULOCK, 0, 20), 0, "F_ULOCK: %s", strerror(errno));
    struct flock head = probe_lock(probe, F_WRLCK, 0, 20);
    struct flock rest = probe_lock(probe, F_WRLCK, 20, 30);
    cr_assert_eq(lockf_region(fd, F_ULOCK, 20, 30), 0, "F_ULOCK: %s", strerror(errno));
    struct flock all = probe_lock(probe, F_WRLCK, 0, 0);
    close(probe);
    close(fd);
    cr_assert_eq(head.l_type, F_UNLCK, "F_ULOCK of 0..19 must release 0..19");
    cr_assert(
        rest.l_type == F_WRLCK && rest.l_start == 20 && rest.l_len == 30,
        "20..49 must stay locked (F_ULOCK counts from off too), F_GETLK says type %d "
        "[%lld, +%lld)",
        rest.l_type, (long long)rest.l_start, (long long)rest.l_len);
    cr_assert_eq(all.l_type, F_UNLCK, "after both F_ULOCKs the whole file is free");
}

Test(lockf, released_by_closing_another_fd)
{
    /* lockf is an fcntl lock: it belongs to the process, and any close of
     * any fd on the file drops it (the trap OFD locks were made to fix). */
    char path[256];
    int probe;
    int fd = lockf_file(path, sizeof path, "close", 0, 0, &probe);
    struct flock before = probe_lock(probe, F_WRLCK, 0, 0);
    int other = open(path, O_RDONLY);
    cr_assert_geq(other, 0);
    close(other);
    struct flock after = probe_lock(probe, F_WRLCK, 0, 0);
    close(probe);
    close(fd);
    cr_assert_eq(before.l_type, F_WRLCK, "the lockf-locked file looks free");
    cr_assert_eq(after.l_type, F_UNLCK,
                 "closing another fd on the file releases a lockf lock");
}

Test(lockf, bad_arguments)
{
    char path[256];
    int fd = new_file(path, sizeof path, "bad", 10, 'a');
    int cases[][3] = {{99, 0, 1}, {F_TLOCK, -1, 1}, {F_TLOCK, 0, -1}};
    for (int i = 0; i < 3; i++) {
        IPCT_ASSERT_FAILS(EINVAL, lockf_region(fd, cases[i][0], cases[i][1], cases[i][2]),
                          "cmd %d off %d len %d: must fail", cases[i][0], cases[i][1],
                          cases[i][2]);
    }
    int ro = open(path, O_RDONLY);
    cr_assert_geq(ro, 0);
    errno = 0;
    int ro_lock = lockf_region(ro, F_TLOCK, 0, 1);
    int ro_err = errno;
    int ro_test = lockf_region(ro, F_TEST, 0, 1);
    close(ro);
    close(fd);
    cr_assert(ro_lock == -1 && ro_err == EBADF,
              "a write lock on a read-only fd: -1 and EBADF, got %d (%s)", ro_lock,
              strerror(ro_err));
    cr_assert_eq(ro_test, 0, "F_TEST only asks: a read-only fd may");
    int p[2];
    make_pipe(p);
    errno = 0;
    int piped = lockf_region(p[0], F_TLOCK, 0, 1);
    int pipe_err = errno;
    close(p[0]);
    close(p[1]);
    cr_assert(piped == -1 && pipe_err == ESPIPE, "a pipe has no offsets: ESPIPE, got %s",
              strerror(pipe_err));
    IPCT_ASSERT_FAILS(EBADF, lockf_region(-1, F_TLOCK, 0, 1),
                      "lockf_region(-1, F_TLOCK, 0, 1) must fail with EBADF");
}

/* ---- pidfile ------------------------------------------------------------ */

/* The file's contents, NUL-terminated, in buf. */
static void read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    cr_assert_geq(n, 0);
    buf[n] = '\0';
}

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

Test(pidfile, writes_pid_and_locks_whole_file)
{
    char path[256], text[64], want[64];
    ipct_path(path, sizeof path, "app.pid");
    int fd = pidfile_lock(path);
    cr_assert_geq(fd, 0, "pidfile_lock: %s", strerror(errno));
    int probe = open_probe(path); /* closed only after the checks */
    int fdflags = fcntl(fd, F_GETFD);
    /* Read through fd itself: opening and closing another fd on the file
     * would release the lock (this process's fcntl locks go with any close). */
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    struct flock fl = probe_lock(probe, F_RDLCK, 0, 1);
    close(fd);
    struct flock after_close = probe_lock(probe, F_WRLCK, 0, 0);
    close(probe);
    snprintf(want, sizeof want, "%ld\n", (long)getpid());
    cr_assert_str_eq(text, want, "the pid file must hold our pid and a newline");
    cr_assert(fl.l_type == F_WRLCK && fl.l_pid == getpid(),
              "another open of the file must see our write lock on byte 0");
    cr_assert(
        fl.l_start == 0 && fl.l_len == 0,
        "the lock covers [%lld, +%lld): lock the whole file, from byte 0 (lock before "
        "writing, or seek to 0)",
        (long long)fl.l_start, (long long)fl.l_len);
    cr_assert(fdflags >= 0 && (fdflags & FD_CLOEXEC), "open the pid file with O_CLOEXEC");
    cr_assert_eq(after_close.l_type, F_UNLCK, "closing the fd must release the lock");
}

/* $begin pidfile_second */
Test(pidfile, second_instance_is_eagain)
{
    char path[256], text[64], want[64];
    ipct_path(path, sizeof path, "app.pid");
    int ready[2], go[2];
    make_pipe(ready);
    make_pipe(go);
    pid_t pid = ipct_fork();
    if (pid == 0) { /* the running instance */
        close(ready[0]);
        close(go[1]);
        char c;
        IPCT_CHILD_CHECK(pidfile_lock(path) >= 0);
        IPCT_CHILD_CHECK(write(ready[1], "R", 1) == 1);
        IPCT_CHILD_CHECK(read(go[0], &c, 1) >= 0);
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    bool running = got_byte(ready[0], 5000);
    struct ipct_fdset before;
    ipct_fd_snapshot(&before);
    errno = 0;
    int fd = pidfile_lock(path); /* a second instance */
    int err = errno;
    int leaked = ipct_fds_leaked(&before, NULL, 0);
    read_file(path, text, sizeof text);
    close(go[1]);
    close(ready[0]);
    int code = ipct_wait_exit(pid, 5000);
    snprintf(want, sizeof want, "%ld\n", (long)pid);
    cr_assert(running && code == 0, "the first instance could not take the pid file");
    cr_assert(fd == -1 && err == EAGAIN,
              "a second instance must fail with EAGAIN, got %d (%s)", fd, strerror(err));
    cr_assert_str_eq(
        text, want,
        "the running instance's pid was overwritten: never truncate or write "
        "before holding the lock");
    cr_assert_eq(leaked, 0, "the failed pidfile_lock left its fd open");
}
/* $end pidfile_second */

Test(pidfile, stale_file_is_taken_over)
{
    char path[256], text[64], want[64];
    ipct_path(path, sizeof path, "app.pid");
    write_file(path, "2147483646\n"); /* left by a dead instance: no lock */
    int fd = pidfile_lock(path);
    cr_assert_geq(fd, 0, "pidfile_lock of a stale file: %s", strerror(errno));
    read_file(path, text, sizeof text);
    close(fd);
    snprintf(want, sizeof want, "%ld\n", (long)getpid());
    cr_assert_str_eq(text, want,
                     "the stale pid must be replaced entirely (truncate before writing)");
}

Test(pidfile, bad_arguments)
{
    char path[256];
    IPCT_ASSERT_FAILS(EINVAL, pidfile_lock(NULL),
                      "pidfile_lock(NULL) must fail with EINVAL");
    ipct_path(path, sizeof path, "missing-dir/app.pid");
    IPCT_ASSERT_FAILS(ENOENT, pidfile_lock(path),
                      "open's errno: pidfile_lock(path) must fail with ENOENT");
}

/* ---- Error paths and lock hygiene (#20: mutants the tests above missed) ---- */

/* A new file of 2 pages of 'a', mapped whole and writable by mf_map. */
struct two_pages {
    char path[256];
    int fd;
    void *map;
    size_t len; /* 2 * PAGE */
};

/* two_page_mapping - make m's file (named after tag) and its mapping. */
static void two_page_mapping(struct two_pages *m, const char *tag)
{
    m->fd = new_file(m->path, sizeof m->path, tag, 2 * PAGE, 'a');
    m->len = 2 * PAGE;
    m->map = mf_map(m->fd, m->len, true);
    cr_assert_not_null(m->map, "mf_map: %s", strerror(errno));
}

/* mf_grow on an fd not open for writing: ftruncate fails, and so does the call. */
Test(mapfile, grow_failure_keeps_mapping)
{
    struct two_pages m;
    two_page_mapping(&m, "growro");
    void *before = m.map;
    int ro = open(m.path, O_RDONLY);
    cr_assert_geq(ro, 0);
    errno = 0;
    int r = mf_grow(ro, &m.map, &m.len, 4 * PAGE);
    int err = errno;
    close(ro);
    off_t size = file_size(m.fd);
    cr_assert_eq(r, -1, "ftruncate on a read-only fd fails: mf_grow must return -1");
    cr_assert(err == EINVAL || err == EBADF, "pass ftruncate's errno on, got %s",
              strerror(err));
    cr_assert(m.map == before && m.len == 2 * PAGE,
              "a failed call leaves the mapping alone");
    cr_assert_eq(size, 2 * PAGE);
    munmap(m.map, m.len);
    close(m.fd);
}

/*
 * header_is_free - can another open file description write-lock [0, RS_DATA) of
 * path right now? An OFD lock conflicts with every POSIX lock, the calling
 * process's own included, so this sees a header lock the store forgot.
 */
static bool header_is_free(const char *path)
{
    int fd = open(path, O_RDWR);
    cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
    bool free_now = raw_lock(fd, LOCK_KIND_OFD, F_WRLCK, 0, RS_DATA) == 0;
    close(fd); /* the last fd of the description: its OFD lock goes with it */
    return free_now;
}

/* How many mappings of path this process has (lines of /proc/self/maps naming it). */
static int mappings_of(const char *path)
{
    FILE *f = fopen("/proc/self/maps", "r");
    cr_assert_not_null(f);
    char line[512];
    int n = 0;
    size_t len = strlen(path);
    while (fgets(line, sizeof line, f) != NULL) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        size_t l = strlen(line);
        n += l >= len && strcmp(line + l - len, path) == 0;
    }
    fclose(f);
    return n;
}

/*
 * Every record-store call releases the header lock before it returns, on
 * success and on failure, and a failed rs_open leaves no mapping behind.
 */
Test(recstore, calls_release_header_lock)
{
    char path[256];
    struct rs s, other;
    struct rec r = make_rec(1, 1), out;
    new_store(path, sizeof path, &s);
    cr_assert(header_is_free(path), "rs_open returned holding the header lock");
    cr_assert_eq(rs_append(&s, &r), 0, "rs_append: %s", strerror(errno));
    cr_assert(header_is_free(path), "rs_append returned holding the header lock");
    cr_assert_eq(rs_get(&s, 0, &out), 0, "rs_get: %s", strerror(errno));
    cr_assert(header_is_free(path), "rs_get returned holding the header lock");
    IPCT_ASSERT_FAILS(ERANGE, rs_get(&s, 5, &out), "record 5 of 1: ERANGE");
    cr_assert(header_is_free(path), "a failed rs_get returned holding the header lock");
    cr_assert_eq(rs_count(&s), 1);
    cr_assert(header_is_free(path), "rs_count returned holding the header lock");
    int maps = mappings_of(path);
    IPCT_ASSERT_FAILS(EINVAL, rs_open(path, sizeof r + 8, &other),
                      "the store was made with another record size");
    cr_assert_eq(mappings_of(path), maps,
                 "a failed rs_open left the file mapped: munmap before returning -1");
    cr_assert_eq(rs_close(&s), 0);
}

/* In a child: rs_open path (s NULL) or rs_append to *s (inherited from the test).
 * One byte on *done_fd when the call has returned successfully. */
static pid_t store_writer(const char *path, struct rs *s, int *done_fd)
{
    int done[2];
    make_pipe(done);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(done[0]);
        struct rs mine;
        struct rec r = make_rec(9, 0);
        if (s == NULL)
            IPCT_CHILD_CHECK(rs_open(path, sizeof r, &mine) == 0);
        else
            IPCT_CHILD_CHECK(rs_append(s, &r) >= 0);
        IPCT_CHILD_CHECK(write(done[1], "!", 1) == 1);
        _exit(0);
    }
    close(done[1]);
    *done_fd = done[0];
    return pid;
}

/*
 * rs_open and rs_append take a WRITE lock on the header: while another process
 * holds a read lock there (a reader in rs_get or rs_count), they wait.
 */
Test(recstore, writers_wait_for_readers)
{
    char path[256];
    struct rs s;
    new_store(path, sizeof path, &s);
    for (int k = 0; k < 2; k++) {
        struct holder h = hold_lock(path, LOCK_KIND_POSIX, F_RDLCK, 0, RS_DATA);
        int done;
        pid_t pid = store_writer(path, k == 0 ? NULL : &s, &done);
        bool early = got_byte(done, 300);
        release_holder(h);
        bool finished = early || got_byte(done, 5000);
        int code = ipct_wait_exit(pid, 5000);
        close(done);
        cr_assert_not(
            early,
            "%s went on while another process held a read lock on [0, RS_DATA): "
            "it must take a write lock (F_WRLCK) and wait",
            k == 0 ? "rs_open" : "rs_append");
        cr_assert(finished && code == 0, "%s failed after the reader let go (exit %d)",
                  k == 0 ? "rs_open" : "rs_append", code);
    }
    cr_assert_eq(rs_count(&s), 1);
    cr_assert_eq(rs_close(&s), 0);
}

/*
 * A signal can interrupt fcntl(F_SETLKW) while it waits for the header: the
 * shim makes every other blocking fcntl of the student's code fail with EINTR,
 * the first included. Every record-store call must resume the wait.
 */
Test(recstore, lock_waits_resume_after_eintr)
{
    char path[256];
    struct rs s;
    struct rec out;
    ipct_path(path, sizeof path, "store");
    ipct_fault_add(
        &(struct ipct_fault){.calls = "fcntl", .nth = 1, .every = 2, .error = EINTR});
    int opened = rs_open(path, sizeof(struct rec), &s);
    int err = errno;
    int64_t a0 = -1, a1 = -1, n = -1;
    int got = -1;
    if (opened == 0) {
        struct rec r0 = make_rec(1, 0), r1 = make_rec(1, 1);
        a0 = rs_append(&s, &r0);
        a1 = rs_append(&s, &r1);
        got = rs_get(&s, 1, &out);
        n = rs_count(&s);
        err = errno;
    }
    ipct_fault_clear();
    cr_assert(opened == 0 && a0 == 0 && a1 == 1 && got == 0 && n == 2,
              "open %d, appends %lld %lld, get %d, count %lld: a lock wait interrupted "
              "by a signal (EINTR injected by the test) failed (%s): retry it",
              opened, (long long)a0, (long long)a1, got, (long long)n, strerror(err));
    cr_assert_geq(ipct_faults_count(), 1, "no lock wait was interrupted: %s",
                  ipct_faults_injected());
    check_rec(&s, 1, 1, 1);
    cr_assert_eq(rs_close(&s), 0);
}

Test(recstore, bad_arguments)
{
    char path[256];
    struct rs s;
    struct rec r = make_rec(1, 1), out;
    new_store(path, sizeof path, &s);
    IPCT_ASSERT_FAILS(EINVAL, rs_append(NULL, &r), "rs_append(NULL, rec): EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, rs_append(&s, NULL), "rs_append(rs, NULL): EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, rs_get(NULL, 0, &out), "rs_get(NULL, ...): EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, rs_get(&s, 0, NULL), "rs_get(rs, 0, NULL): EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, rs_count(NULL), "rs_count(NULL): EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, rs_sync(NULL), "rs_sync(NULL): EINVAL");
    cr_assert_eq(rs_count(&s), 0, "a refused append must add nothing");
    cr_assert_eq(rs_close(&s), 0);
    char missing[300];
    snprintf(missing, sizeof missing, "%s.nodir/store", path);
    IPCT_ASSERT_FAILS(ENOENT, rs_open(missing, sizeof r, &s),
                      "a path in a missing directory: open's ENOENT");
}

/*
 * The kernel can refuse a lock (ENOLCK: the lock table is full) or the room to
 * grow (ENOSPC): the shim injects both. Each call reports the error, changes
 * nothing, and still releases the header lock.
 */
Test(recstore, failures_are_reported)
{
    char path[256];
    struct rs s;
    struct rec r = make_rec(1, 0), out;
    new_store(path, sizeof path, &s);
    ipct_fault_fail("fcntl", 1, ENOLCK);
    IPCT_ASSERT_FAILS(ENOLCK, rs_append(&s, &r), "fcntl failed with ENOLCK: report it");
    ipct_fault_clear();
    ipct_fault_fail("fcntl", 1, ENOLCK);
    IPCT_ASSERT_FAILS(ENOLCK, rs_get(&s, 0, &out), "fcntl failed with ENOLCK: report it");
    ipct_fault_clear();
    ipct_fault_fail("fcntl", 1, ENOLCK);
    IPCT_ASSERT_FAILS(ENOLCK, rs_count(&s), "fcntl failed with ENOLCK: report it");
    ipct_fault_clear();
    append_recs(&s, 1, RS_INITIAL); /* full: the next append grows the file */
    ipct_fault_fail("ftruncate", 1, ENOSPC);
    struct rec more = make_rec(2, 0);
    errno = 0;
    int64_t grown = rs_append(&s, &more);
    int err = errno;
    ipct_fault_clear();
    cr_assert(grown == -1 && err == ENOSPC,
              "ftruncate failed with ENOSPC (injected by the test): rs_append must "
              "return -1 with it, got %lld (%s)",
              (long long)grown, strerror(err));
    cr_assert(header_is_free(path), "the failed rs_append kept the header lock");
    cr_assert_eq(rs_count(&s), RS_INITIAL, "a failed append must add nothing");
    cr_assert_eq(rs_close(&s), 0);
}

/*
 * With 252-byte records a new store is exactly one page (RS_DATA + 16 * 252 =
 * 4096), so record 16, once another process has appended it, starts right
 * where this process's mapping ends: rs_get must map the file again for it.
 */
Test(recstore, reads_record_just_past_its_mapping)
{
    char path[256], rec[252], out[252];
    struct rs s;
    ipct_path(path, sizeof path, "page");
    cr_assert_eq(rs_open(path, sizeof rec, &s), 0, "rs_open: %s", strerror(errno));
    pid_t pid = ipct_fork();
    if (pid == 0) {
        struct rs mine;
        IPCT_CHILD_CHECK(rs_open(path, sizeof rec, &mine) == 0);
        for (int i = 0; i <= RS_INITIAL; i++) {
            memset(rec, 'a' + i, sizeof rec);
            IPCT_CHILD_CHECK(rs_append(&mine, rec) == i);
        }
        IPCT_CHILD_CHECK(rs_close(&mine) == 0);
        _exit(0);
    }
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0, "the appending child failed");
    memset(out, 0, sizeof out);
    int r = rs_get(&s, RS_INITIAL, out);
    int err = errno;
    memset(rec, 'a' + RS_INITIAL, sizeof rec);
    cr_assert_eq(r, 0, "rs_get of record %d: %s", RS_INITIAL, strerror(err));
    cr_assert(memcmp(out, rec, sizeof rec) == 0, "record %d came back wrong", RS_INITIAL);
    cr_assert_eq(rs_close(&s), 0);
}

/* The counter's lock covers its last byte too: a holder of byte 7 makes it wait. */
Test(counter, waits_for_a_holder_of_its_last_byte)
{
    add_beside_holder("last", 7, true,
                      "another process holds bytes 7..14: the counter's lock [0, 8) "
                      "includes byte 7, so the add must wait");
}

/*
 * The counter's lock is released whole, after success and after a failure
 * (pread on a write-only fd fails with EBADF, which is reported).
 */
Test(counter, releases_all_its_bytes)
{
    char path[256];
    int fd = new_file(path, sizeof path, "free", 0, 0);
    cr_assert_eq(counter_file_add(fd, 8, 5), 5, "counter_file_add: %s", strerror(errno));
    int probe = open(path, O_RDWR);
    cr_assert_geq(probe, 0);
    bool free_after_add = raw_lock(probe, LOCK_KIND_OFD, F_WRLCK, 8, 8) == 0;
    close(probe);
    int wo = open(path, O_WRONLY);
    cr_assert_geq(wo, 0);
    errno = 0;
    int64_t r = counter_file_add(wo, 8, 1);
    int err = errno;
    probe = open(path, O_RDWR);
    cr_assert_geq(probe, 0);
    bool free_after_failure = raw_lock(probe, LOCK_KIND_OFD, F_WRLCK, 8, 8) == 0;
    close(probe);
    close(wo);
    close(fd);
    cr_assert(free_after_add, "bytes 8..15 are still locked after counter_file_add");
    cr_assert(r == -1 && err == EBADF,
              "pread on a write-only fd fails with EBADF: return -1 with it, got %lld "
              "(%s)",
              (long long)r, strerror(err));
    cr_assert(free_after_failure, "bytes 8..15 are still locked after a failed add");
}

/* ---- Faults of mremap and lockf (#20: the shim wraps them now) ---- */

/*
 * The kernel may have no room for the larger mapping (mremap fails with
 * ENOMEM): the shim injects it into the first mremap (or mmap, for a solution
 * that maps anew). mf_grow reports it and leaves the old mapping valid.
 */
Test(mapfile, grow_remap_failure_keeps_mapping)
{
    struct two_pages m;
    two_page_mapping(&m, "nomem");
    char *old = m.map;
    ipct_fault_fail("mremap mmap", 1, ENOMEM);
    errno = 0;
    int r = mf_grow(m.fd, &m.map, &m.len, 4 * PAGE);
    int err = errno;
    ipct_fault_clear();
    cr_assert(r == -1 && err == ENOMEM,
              "mremap failed with ENOMEM (injected by the test): mf_grow must return -1 "
              "with it, got %d (%s)",
              r, strerror(err));
    cr_assert(m.map == old && m.len == 2 * PAGE,
              "a failed mf_grow must leave *addr and *len alone");
    cr_assert_eq(old[PAGE], 'a', "the old mapping must still be valid");
    munmap(old, 2 * PAGE);
    close(m.fd);
}

/*
 * rs_append on a full store grows the file, then maps it again: when that
 * remap fails (ENOMEM, injected), the append reports it, adds nothing and
 * releases the header lock; the next append remaps and works.
 */
Test(recstore, remap_failure_is_reported)
{
    char path[256];
    struct rs s;
    new_store(path, sizeof path, &s);
    append_recs(&s, 1, RS_INITIAL); /* full: the next append grows the file */
    struct rec more = make_rec(2, 0);
    ipct_fault_fail("mremap mmap", 1, ENOMEM);
    errno = 0;
    int64_t grown = rs_append(&s, &more);
    int err = errno;
    ipct_fault_clear();
    cr_assert(
        grown == -1 && err == ENOMEM,
        "mremap failed with ENOMEM (injected by the test): rs_append must return -1 "
        "with it, got %lld (%s)",
        (long long)grown, strerror(err));
    cr_assert(header_is_free(path), "the failed rs_append kept the header lock");
    cr_assert_eq(rs_count(&s), RS_INITIAL, "a failed append must add nothing");
    cr_assert_eq(rs_append(&s, &more), RS_INITIAL,
                 "the next rs_append must map the grown file and work: %s",
                 strerror(errno));
    check_rec(&s, RS_INITIAL, 2, 0);
    cr_assert_eq(rs_close(&s), 0);
}

/*
 * A signal may interrupt lockf(F_LOCK) while it waits (EINTR): the shim makes
 * the first waiting lockf (or fcntl F_SETLKW) fail so. lockf_region resumes the
 * wait, and returns once the lock is held, with the offset put back. A loop
 * that tests errno after a lockf that succeeded never ends (errno is still
 * EINTR): this test then times out.
 */
Test(lockf, lock_wait_resumes_after_eintr)
{
    char path[256];
    int fd = new_file(path, sizeof path, "eintr", 100, 'a');
    int probe = open_probe(path);
    cr_assert_eq(lseek(fd, 7, SEEK_SET), 7);
    ipct_fault_fail("lockf fcntl", 1, EINTR);
    errno = 0;
    int r = lockf_region(fd, F_LOCK, 20, 10);
    int err = errno;
    ipct_fault_clear();
    off_t after = offset_of(fd);
    struct flock fl = probe_lock(probe, F_RDLCK, 0, 0);
    close(probe);
    close(fd);
    cr_assert_eq(r, 0,
                 "lockf(F_LOCK) was interrupted by a signal (EINTR injected by the test: "
                 "%s): lockf_region must wait again, got %d (%s)",
                 ipct_faults_injected(), r, strerror(err));
    cr_assert_gt(
        ipct_faults_count(), 0,
        "F_LOCK must wait for the lock (lockf F_LOCK; the test saw no such call)");
    cr_assert(fl.l_type == F_WRLCK && fl.l_start == 20 && fl.l_len == 10,
              "after the retry another open of the file must see [20, +10) locked");
    cr_assert_eq(after, 7, "the file offset moved from 7 to %lld", (long long)after);
}
