/* mmaplock.c - lab 06 reference solution: mapped files, a record store, file locks. */
#include "mmaplock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ===================================================================== */
/*  Functions you implement                                              */
/* ===================================================================== */

/* ---- Exercise 1: mapping a file -------------------------------------- */

void *mf_map(int fd, size_t len, bool shared)
{
    void *p;

    if (len == 0) {
        errno = EINVAL;
        return NULL;
    }
    p = mmap(NULL, len, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
    return p == MAP_FAILED ? NULL : p;
}

int mf_sync(void *addr, size_t len)
{
    if (addr == NULL) {
        errno = EINVAL;
        return -1;
    }
    return msync(addr, len, MS_SYNC); /* EINVAL if addr is not page-aligned */
}

int mf_grow(int fd, void **addr, size_t *len, size_t newlen)
{
    void *p;

    if (addr == NULL || len == NULL || *addr == NULL || newlen <= *len) {
        errno = EINVAL;
        return -1;
    }
    /* The file first: a mapping past end of file would SIGBUS when touched. */
    if (ftruncate(fd, (off_t)newlen) < 0)
        return -1;
    p = mremap(*addr, *len, newlen, MREMAP_MAYMOVE);
    if (p == MAP_FAILED)
        return -1;
    *addr = p;
    *len = newlen;
    return 0;
}

/* ---- Exercise 2: a record store shared by processes ------------------ */

/* Lock (F_RDLCK/F_WRLCK) or unlock (F_UNLCK) the header range, waiting. */
static int header_lock(int fd, short type)
{
    struct flock fl = {
        .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = RS_DATA};
    int r;

    do
        r = fcntl(fd, F_SETLKW, &fl);
    while (r < 0 && errno == EINTR);
    return r;
}

/* Unlock the header range, keeping the errno of an earlier failure. */
static void header_unlock(int fd)
{
    int saved = errno;
    header_lock(fd, F_UNLCK);
    errno = saved;
}

/* Make rs->map cover the whole file if it grew (caller holds a header lock). */
static int rs_remap(struct rs *rs)
{
    struct stat st;
    void *p;

    if (fstat(rs->fd, &st) < 0)
        return -1;
    if ((size_t)st.st_size <= rs->maplen)
        return 0;
    p = mremap(rs->map, rs->maplen, (size_t)st.st_size, MREMAP_MAYMOVE);
    if (p == MAP_FAILED)
        return -1;
    rs->map = p;
    rs->maplen = (size_t)st.st_size;
    return 0;
}

int rs_open(const char *path, uint32_t rec_size, struct rs *rs)
{
    struct rs_header h;
    struct stat st;
    void *map = MAP_FAILED;
    int fd;
    int saved;

    if (path == NULL || rs == NULL || rec_size == 0) {
        errno = EINVAL;
        return -1;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (header_lock(fd, F_WRLCK) < 0)
        goto fail;
    if (fstat(fd, &st) < 0)
        goto fail_locked;
    if (st.st_size == 0) { /* new: we hold the lock, so nobody else initialises it */
        h = (struct rs_header){RS_MAGIC, rec_size, 0, RS_INITIAL};
        st.st_size = (off_t)(RS_DATA + (size_t)RS_INITIAL * rec_size);
        if (ftruncate(fd, st.st_size) < 0)
            goto fail_locked;
        if (pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h) {
            if (errno == 0)
                errno = EIO;
            goto fail_locked;
        }
    }
    if ((size_t)st.st_size < RS_DATA) {
        errno = EINVAL;
        goto fail_locked;
    }
    map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        goto fail_locked;
    memcpy(&h, map, sizeof h);
    if (h.magic != RS_MAGIC || h.rec_size != rec_size ||
        RS_DATA + h.capacity * rec_size > (uint64_t)st.st_size) {
        errno = EINVAL;
        goto fail_locked;
    }
    header_unlock(fd);
    *rs = (struct rs){
        .fd = fd, .rec_size = rec_size, .map = map, .maplen = (size_t)st.st_size};
    return 0;

fail_locked:
    header_unlock(fd);
fail:
    saved = errno;
    if (map != MAP_FAILED)
        munmap(map, (size_t)st.st_size);
    close(fd);
    errno = saved;
    return -1;
}

int64_t rs_append(struct rs *rs, const void *rec)
{
    struct rs_header *h;
    uint64_t idx;

    if (rs == NULL || rec == NULL || rs->map == NULL) {
        errno = EINVAL;
        return -1;
    }
    if (header_lock(rs->fd, F_WRLCK) < 0)
        return -1;
    h = rs->map; /* the header is always inside the mapping */
    if (h->count == h->capacity) {
        uint64_t cap = h->capacity * 2;
        if (ftruncate(rs->fd, (off_t)(RS_DATA + cap * rs->rec_size)) < 0)
            goto fail;
        h->capacity = cap;
    }
    if (rs_remap(rs) < 0) /* it may have grown here or in another process */
        goto fail;
    h = rs->map;
    idx = h->count;
    memcpy((char *)rs->map + RS_DATA + idx * rs->rec_size, rec, rs->rec_size);
    h->count = idx + 1; /* after the record: a reader never sees a half record */
    header_unlock(rs->fd);
    return (int64_t)idx;

fail:
    header_unlock(rs->fd);
    return -1;
}

int rs_get(struct rs *rs, uint64_t idx, void *out)
{
    const struct rs_header *h;

    if (rs == NULL || out == NULL || rs->map == NULL) {
        errno = EINVAL;
        return -1;
    }
    if (header_lock(rs->fd, F_RDLCK) < 0)
        return -1;
    h = rs->map;
    if (idx >= h->count) {
        errno = ERANGE;
        goto fail;
    }
    if (RS_DATA + (idx + 1) * rs->rec_size > rs->maplen && rs_remap(rs) < 0)
        goto fail;
    memcpy(out, (char *)rs->map + RS_DATA + idx * rs->rec_size, rs->rec_size);
    header_unlock(rs->fd);
    return 0;

fail:
    header_unlock(rs->fd);
    return -1;
}

int64_t rs_count(struct rs *rs)
{
    int64_t n;

    if (rs == NULL || rs->map == NULL) {
        errno = EINVAL;
        return -1;
    }
    if (header_lock(rs->fd, F_RDLCK) < 0)
        return -1;
    n = (int64_t)((const struct rs_header *)rs->map)->count;
    header_unlock(rs->fd);
    return n;
}

int rs_sync(struct rs *rs)
{
    if (rs == NULL || rs->map == NULL) {
        errno = EINVAL;
        return -1;
    }
    return msync(rs->map, rs->maplen, MS_SYNC);
}

int rs_close(struct rs *rs)
{
    int r = 0;

    if (rs == NULL || rs->map == NULL || rs->fd < 0) {
        errno = EINVAL;
        return -1;
    }
    if (munmap(rs->map, rs->maplen) < 0)
        r = -1;
    if (close(rs->fd) < 0)
        r = -1;
    rs->map = NULL;
    rs->fd = -1;
    return r;
}

/* ---- Exercise 3: fcntl record locks ---------------------------------- */

int lock_range(int fd, short type, off_t start, off_t len, bool wait)
{
    struct flock fl = {
        .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    int r;

    if ((type != F_RDLCK && type != F_WRLCK && type != F_UNLCK) || start < 0 || len < 0) {
        errno = EINVAL;
        return -1;
    }
    do
        r = fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl);
    while (r < 0 && wait && errno == EINTR);
    if (r < 0 && errno == EACCES)
        errno = EAGAIN; /* POSIX allows either for "held by someone else" */
    return r < 0 ? -1 : 0;
}

pid_t lock_holder(int fd, short type, off_t start, off_t len)
{
    struct flock fl = {
        .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};

    if ((type != F_RDLCK && type != F_WRLCK) || start < 0 || len < 0) {
        errno = EINVAL;
        return -1;
    }
    if (fcntl(fd, F_GETLK, &fl) < 0)
        return -1;
    return fl.l_type == F_UNLCK ? 0 : fl.l_pid;
}

/* ---- Exercise 4: a counter file under a record lock ------------------ */

int64_t counter_file_add(int fd, off_t off, int64_t delta)
{
    int64_t v = 0;
    ssize_t n;

    if (off < 0) {
        errno = EINVAL;
        return -1;
    }
    if (lock_range(fd, F_WRLCK, off, sizeof v, true) < 0)
        return -1;
    n = pread(fd, &v, sizeof v, off);
    if (n < 0)
        goto fail;
    if (n < (ssize_t)sizeof v)
        v = 0; /* past end of file: a counter not yet written */
    v += delta;
    if (pwrite(fd, &v, sizeof v, off) != (ssize_t)sizeof v) {
        if (errno == 0)
            errno = EIO;
        goto fail;
    }
    lock_range(fd, F_UNLCK, off, sizeof v, false);
    return v;

fail:;
    int saved = errno;
    lock_range(fd, F_UNLCK, off, sizeof v, false);
    errno = saved;
    return -1;
}

/* ---- Exercise 5: flock vs fcntl vs open-file-description locks ------- */

static int set_whole(int fd, enum lock_kind kind, short type)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    int r;

    switch (kind) {
    case LOCK_KIND_FLOCK:
        r = flock(fd, type == F_UNLCK ? LOCK_UN
                                      : (type == F_WRLCK ? LOCK_EX : LOCK_SH) | LOCK_NB);
        break;
    case LOCK_KIND_POSIX:
        r = fcntl(fd, F_SETLK, &fl);
        break;
    case LOCK_KIND_OFD:
        fl.l_pid = 0; /* required for OFD locks */
        r = fcntl(fd, F_OFD_SETLK, &fl);
        break;
    default:
        errno = EINVAL;
        return -1;
    }
    if (r < 0 && (errno == EWOULDBLOCK || errno == EACCES))
        errno = EAGAIN;
    return r < 0 ? -1 : 0;
}

int lock_whole(int fd, enum lock_kind kind, bool exclusive)
{
    return set_whole(fd, kind, exclusive ? F_WRLCK : F_RDLCK);
}

int unlock_whole(int fd, enum lock_kind kind)
{
    return set_whole(fd, kind, F_UNLCK);
}

/* ===================================================================== */
/*  Exercise 6: lockf                                                    */
/* ===================================================================== */

int lockf_region(int fd, int cmd, off_t off, off_t len)
{
    if ((cmd != F_LOCK && cmd != F_TLOCK && cmd != F_ULOCK && cmd != F_TEST) || off < 0 ||
        len < 0) {
        errno = EINVAL;
        return -1;
    }
    off_t saved = lseek(fd, 0, SEEK_CUR); /* EBADF, or ESPIPE for a pipe */
    if (saved < 0)
        return -1;
    /* lockf counts from the current offset: put it at off for the call. */
    if (lseek(fd, off, SEEK_SET) < 0)
        return -1;
    int r;
    while ((r = lockf(fd, cmd, len)) < 0 && errno == EINTR && cmd == F_LOCK)
        continue; /* a signal cut the wait short: wait again */
    int err = errno;
    /* Back where the caller had it, on success and on failure alike. */
    if (lseek(fd, saved, SEEK_SET) < 0 && r == 0)
        return -1;
    if (r < 0) {
        errno = err == EACCES ? EAGAIN : err; /* F_TEST says EACCES */
        return -1;
    }
    return 0;
}

int pidfile_lock(const char *path)
{
    if (path == NULL) {
        errno = EINVAL;
        return -1;
    }
    /* No O_TRUNC: until we hold the lock, the file names the running
     * instance, and it is not ours to wipe. */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (lockf_region(fd, F_TLOCK, 0, 0) < 0) /* from byte 0, to EOF and beyond */
        goto fail;
    char line[32];
    int n = snprintf(line, sizeof line, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0) /* a longer old pid must not show through */
        goto fail;
    for (int done = 0; done < n;) {
        ssize_t w = pwrite(fd, line + done, (size_t)(n - done), done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            goto fail;
        done += (int)w;
    }
    return fd; /* the lock lives as long as this fd (and every fd on the file) */
fail:;
    int err = errno;
    close(fd);
    errno = err;
    return -1;
}
