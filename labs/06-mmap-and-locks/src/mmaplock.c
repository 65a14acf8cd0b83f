/* mmaplock.c - lab 06 skeleton: your mapped-file and file-locking code goes here. */
#include "mmaplock.h"

#include <errno.h>
#include <fcntl.h>
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
    /* TODO(lab06): mmap PROT_READ | PROT_WRITE, MAP_SHARED or MAP_PRIVATE, offset 0. */
    (void)fd, (void)len, (void)shared;
    errno = ENOSYS;
    return NULL;
}

int mf_sync(void *addr, size_t len)
{
    /* TODO(lab06): msync with MS_SYNC. */
    (void)addr, (void)len;
    errno = ENOSYS;
    return -1;
}

int mf_grow(int fd, void **addr, size_t *len, size_t newlen)
{
    /* TODO(lab06): ftruncate the file first, then mremap with MREMAP_MAYMOVE. */
    (void)fd, (void)addr, (void)len, (void)newlen;
    errno = ENOSYS;
    return -1;
}

/* ---- Exercise 2: a record store shared by processes ------------------ */

int rs_open(const char *path, uint32_t rec_size, struct rs *rs)
{
    /* TODO(lab06): open, lock [0, RS_DATA), create the header if empty, map, check. */
    (void)path, (void)rec_size, (void)rs;
    errno = ENOSYS;
    return -1;
}

int64_t rs_append(struct rs *rs, const void *rec)
{
    /* TODO(lab06): under the header write lock: grow if full, remap, copy, count++. */
    (void)rs, (void)rec;
    errno = ENOSYS;
    return -1;
}

int rs_get(struct rs *rs, uint64_t idx, void *out)
{
    /* TODO(lab06): under the header read lock: check idx, remap if needed, copy. */
    (void)rs, (void)idx, (void)out;
    errno = ENOSYS;
    return -1;
}

int64_t rs_count(struct rs *rs)
{
    /* TODO(lab06): read the header's count under a read lock. */
    (void)rs;
    errno = ENOSYS;
    return -1;
}

int rs_sync(struct rs *rs)
{
    /* TODO(lab06): msync the whole mapping. */
    (void)rs;
    errno = ENOSYS;
    return -1;
}

int rs_close(struct rs *rs)
{
    /* TODO(lab06): munmap, close, and mark rs closed. */
    (void)rs;
    errno = ENOSYS;
    return -1;
}

/* ---- Exercise 3: fcntl record locks ---------------------------------- */

int lock_range(int fd, short type, off_t start, off_t len, bool wait)
{
    /* TODO(lab06): fcntl F_SETLK or F_SETLKW with a struct flock. */
    (void)fd, (void)type, (void)start, (void)len, (void)wait;
    errno = ENOSYS;
    return -1;
}

pid_t lock_holder(int fd, short type, off_t start, off_t len)
{
    /* TODO(lab06): fcntl F_GETLK; l_type F_UNLCK means "free", else l_pid holds it. */
    (void)fd, (void)type, (void)start, (void)len;
    errno = ENOSYS;
    return -1;
}

/* ---- Exercise 4: a counter file under a record lock ------------------ */

int64_t counter_file_add(int fd, off_t off, int64_t delta)
{
    /* TODO(lab06): lock [off, off + 8), pread, add, pwrite, unlock. */
    (void)fd, (void)off, (void)delta;
    errno = ENOSYS;
    return -1;
}

/* ---- Exercise 5: flock vs fcntl vs open-file-description locks ------- */

int lock_whole(int fd, enum lock_kind kind, bool exclusive)
{
    /* TODO(lab06): flock, fcntl F_SETLK or fcntl F_OFD_SETLK, never waiting. */
    (void)fd, (void)kind, (void)exclusive;
    errno = ENOSYS;
    return -1;
}

int unlock_whole(int fd, enum lock_kind kind)
{
    /* TODO(lab06): LOCK_UN or F_UNLCK with the same family. */
    (void)fd, (void)kind;
    errno = ENOSYS;
    return -1;
}

/* ---- Exercise 6: lockf ------------------------------------------------ */

int lockf_region(int fd, int cmd, off_t off, off_t len)
{
    /* TODO(lab06): check cmd, off, len; save the offset (lseek SEEK_CUR),
     * lseek to off, lockf(fd, cmd, len) (retry EINTR for F_LOCK), seek back
     * in every case; EACCES becomes EAGAIN. */
    (void)fd, (void)cmd, (void)off, (void)len;
    errno = ENOSYS;
    return -1;
}

int pidfile_lock(const char *path)
{
    /* TODO(lab06): open without O_TRUNC, lock the whole file with F_TLOCK,
     * then ftruncate and write "PID\n"; return the fd (close it on failure). */
    (void)path;
    errno = ENOSYS;
    return -1;
}
