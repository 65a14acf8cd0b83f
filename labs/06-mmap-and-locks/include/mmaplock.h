/* mmaplock.h - lab 06: memory-mapped files, a record store, fcntl/flock/OFD/lockf locks.
 */
#ifndef IPCLAB_MMAPLOCK_H
#define IPCLAB_MMAPLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h> /* F_LOCK, F_TLOCK, F_ULOCK, F_TEST for lockf */

/* ===================================================================== */
/*  Provided: the record store's file layout (do not change it)          */
/* ===================================================================== */

/*
 * A record store file:
 *
 *   offset 0        RS_DATA                 RS_DATA + capacity * rec_size
 *   | rs_header ... | rec 0 | rec 1 | ... | rec count-1 | unused ... |
 *
 * The header's bytes [0, RS_DATA) double as the lock range: every process
 * takes an fcntl write lock on them to append (or to create the header) and
 * a read lock to read. The file grows by doubling capacity (ftruncate), so
 * another process may find the file bigger than its own mapping and must
 * map it again before touching a record past its mapping.
 */
#define RS_MAGIC   0x31535252u /* "RRS1" */
#define RS_DATA    64          /* first record's offset; also the lock range */
#define RS_INITIAL 16          /* capacity of a new file, in records */

struct rs_header {
    uint32_t magic;    /* RS_MAGIC once initialised */
    uint32_t rec_size; /* bytes per record, fixed at creation */
    uint64_t count;    /* records appended so far */
    uint64_t capacity; /* records the file has room for */
};

/* One process's handle on a store (not shared: each process opens its own). */
struct rs {
    int fd; /* open O_RDWR on the file */
    uint32_t rec_size;
    void *map;     /* MAP_SHARED mapping of the file's first maplen bytes */
    size_t maplen; /* the file size when it was last mapped */
};

/* The three lock families of exercise 5. */
enum lock_kind {
    LOCK_KIND_FLOCK, /* flock(2): whole file, owned by the open file description */
    LOCK_KIND_POSIX, /* fcntl F_SETLK: byte ranges, owned by the process */
    LOCK_KIND_OFD    /* fcntl F_OFD_SETLK: byte ranges, owned by the description */
};

/* ===================================================================== */
/*  Functions you implement (src/mmaplock.c)                             */
/* ===================================================================== */

/* ---- Exercise 1: mapping a file -------------------------------------- */

/*
 * mf_map - map the first len bytes of the file fd, read-write, at offset 0.
 *
 * shared selects MAP_SHARED (stores reach the file and every other mapping
 * of it) or MAP_PRIVATE (stores go to this process's copy-on-write pages
 * and never reach the file). len may exceed the file's size: the part of
 * the last page past end of file reads as zeros, and touching a page that
 * lies wholly past end of file raises SIGBUS. fd stays the caller's (it
 * may be closed after the call; the mapping stays valid).
 *
 * Returns the mapping, or NULL with errno set: EINVAL if len is 0;
 * otherwise mmap's errno (EACCES for a MAP_SHARED mapping of a file not
 * opened for writing, EBADF for a bad fd). Undo with munmap(p, len).
 */
void *mf_map(int fd, size_t len, bool shared);

/*
 * mf_sync - write the dirty pages of [addr, addr + len) back to the file
 * and wait for the writes (msync with MS_SYNC).
 *
 * Returns 0, or -1 with errno set: EINVAL if addr is NULL or not
 * page-aligned; ENOMEM if the range is not mapped (msync reports both).
 */
int mf_sync(void *addr, size_t len);

/*
 * mf_grow - grow the file fd to newlen bytes and make the mapping *addr
 * (of *len bytes, from mf_map with shared = true) cover all of it.
 *
 * Extends the file first (ftruncate: the new bytes read as zeros), then
 * remaps (mremap with MREMAP_MAYMOVE: the address may change). On success
 * *addr and *len describe the new mapping. On failure the old mapping is
 * still valid and unchanged.
 *
 * Returns 0, or -1 with errno set: EINVAL if addr, len or *addr is NULL or
 * newlen is not larger than *len; otherwise the errno of
 * ftruncate(2)/mremap(2).
 */
int mf_grow(int fd, void **addr, size_t *len, size_t newlen);

/* ---- Exercise 2: a record store shared by processes ------------------ */

/*
 * Every record-store call below that takes the header lock releases it
 * before returning, on success and on failure, and resumes a lock wait that
 * a signal interrupts (fcntl F_SETLKW failing with EINTR).
 */

/*
 * rs_open - open (creating it if needed, mode 0600) the record store at
 * path with records of rec_size bytes, and map it MAP_SHARED into rs.
 *
 * Holding a write lock on [0, RS_DATA): if the file is empty it is a new
 * store, so give it RS_DATA + RS_INITIAL * rec_size bytes and write the
 * header (count 0, capacity RS_INITIAL). Then map the whole file. Two
 * processes opening a new path at once must end up with one header.
 *
 * Returns 0, or -1 with errno set (and nothing left open or mapped):
 * EINVAL if path or rs is NULL, rec_size is 0, or the file is not a store
 * made with this rec_size (bad magic, other rec_size, too short); otherwise
 * the errno of open/fcntl/ftruncate/mmap.
 */
int rs_open(const char *path, uint32_t rec_size, struct rs *rs);

/*
 * rs_append - copy rec (rs->rec_size bytes) into the next free record.
 *
 * Under a write lock on [0, RS_DATA): if count == capacity, double the
 * capacity (ftruncate, then the header). Map the file again if it is now
 * bigger than rs->maplen (another process may have grown it too). Write the
 * record, then count + 1.
 *
 * Returns the new record's index, or -1 with errno set: EINVAL if rs or
 * rec is NULL; otherwise the errno of fcntl/ftruncate/mremap.
 */
int64_t rs_append(struct rs *rs, const void *rec);

/*
 * rs_get - copy record idx into out (rs->rec_size bytes).
 *
 * Under a read lock on [0, RS_DATA); maps the file again first if record
 * idx lies past rs->maplen. Returns 0, or -1 with errno set: EINVAL if rs
 * or out is NULL; ERANGE if idx >= count; otherwise fcntl/mremap's errno.
 */
int rs_get(struct rs *rs, uint64_t idx, void *out);

/*
 * rs_count - the number of records (read under a read lock).
 * Returns it, or -1 with errno set (EINVAL if rs is NULL, fcntl's errno).
 */
int64_t rs_count(struct rs *rs);

/*
 * rs_sync - msync(MS_SYNC) the whole mapping: the records are in the file
 * on return. Returns 0, or -1 with errno set (EINVAL if rs is NULL).
 */
int rs_sync(struct rs *rs);

/*
 * rs_close - unmap and close. rs->map becomes NULL and rs->fd -1.
 * Returns 0, or -1 with errno set (EINVAL if rs is NULL or not open).
 */
int rs_close(struct rs *rs);

/* ---- Exercise 3: fcntl record locks ---------------------------------- */

/*
 * lock_range - set a POSIX record lock of `type` (F_RDLCK, F_WRLCK, or
 * F_UNLCK to release) on bytes [start, start + len) of fd (len 0 means "to
 * end of file and beyond").
 *
 * With wait, blocks until the lock is granted (F_SETLKW), retrying on EINTR.
 * Without it, fails at once if another process holds a conflicting lock.
 * The lock belongs to the calling process: it is released by F_UNLCK, by
 * the process's exit, and by the close of ANY fd the process has on the
 * file.
 *
 * Returns 0, or -1 with errno set: EAGAIN if !wait and the range is locked
 * (also when fcntl says EACCES); EINVAL if type is not one of the three or
 * start or len is negative; EDEADLK if waiting would deadlock; EBADF if fd
 * is not open (or not open for reading for F_RDLCK, writing for F_WRLCK).
 */
int lock_range(int fd, short type, off_t start, off_t len, bool wait);

/*
 * lock_holder - ask (F_GETLK) whether a lock of `type` on [start,
 * start + len) could be set now.
 *
 * Returns 0 if it could (no other process holds a conflicting lock: locks
 * of the calling process itself never conflict), or the pid of a process
 * holding a conflicting lock; -1 with errno set: EINVAL if type is not
 * F_RDLCK or F_WRLCK or start or len is negative; otherwise fcntl's errno.
 */
pid_t lock_holder(int fd, short type, off_t start, off_t len);

/* ---- Exercise 4: a counter file under a record lock ------------------ */

/*
 * counter_file_add - add delta to the 8-byte counter (an int64_t in host
 * byte order) at offset off of fd, holding a write lock (waiting for it)
 * on exactly [off, off + 8) from the read to the write, so counters at
 * other offsets stay free. Bytes past end of file count as zero (a short
 * read, not an error).
 *
 * The lock is released before returning, on success and on failure.
 *
 * Returns the new value, or -1 with errno set: EINVAL if off is negative;
 * otherwise the errno of fcntl/pread/pwrite (EBADF for an fd not open for
 * reading and writing). (A counter that becomes -1 is
 * told apart by errno being set to 0 before the call.)
 */
int64_t counter_file_add(int fd, off_t off, int64_t delta);

/* ---- Exercise 5: flock vs fcntl vs open-file-description locks ------- */

/*
 * lock_whole - try (never wait) to lock the whole of fd's file, shared or
 * exclusive, with the given lock family:
 *   LOCK_KIND_FLOCK  flock(fd, LOCK_SH or LOCK_EX | LOCK_NB)
 *   LOCK_KIND_POSIX  fcntl(fd, F_SETLK, ...)      l_start 0, l_len 0
 *   LOCK_KIND_OFD    fcntl(fd, F_OFD_SETLK, ...)  l_start 0, l_len 0, l_pid 0
 *
 * Returns 0, or -1 with errno set: EAGAIN if a conflicting lock is held
 * (EWOULDBLOCK and EACCES are reported as EAGAIN); EINVAL if kind is not
 * one of the three; otherwise the errno of flock/fcntl.
 */
int lock_whole(int fd, enum lock_kind kind, bool exclusive);

/*
 * unlock_whole - release the lock_whole() lock of this kind on fd.
 * Returns 0, or -1 with errno set (EINVAL for a bad kind).
 */
int unlock_whole(int fd, enum lock_kind kind);

/* ---- Exercise 6: lockf, the POSIX record lock with an implicit start -- */

/*
 * lockf_region - apply lockf(3) command cmd to bytes [off, off + len) of
 * fd (len 0: from off to the end of the file and beyond), leaving fd's
 * file offset where it was.
 *
 * lockf(fd, cmd, len) has no start argument: it acts on len bytes from the
 * fd's CURRENT file offset. So: note the offset (lseek(fd, 0, SEEK_CUR)),
 * move it to off, call lockf, and move it back, also when lockf fails (the
 * offset is shared by every fd dup'ed from this one and by its reads and
 * writes; a lock helper has no business moving it). The commands:
 *   F_LOCK   take a write lock, waiting for it (retried on EINTR);
 *   F_TLOCK  take it if no other process holds any lock there, else fail;
 *   F_ULOCK  release the range (never an error if nothing was locked);
 *   F_TEST   only ask: fails if another process holds a WRITE lock
 *            there, succeeds if the range is free, read-locked, or locked
 *            by the caller itself (glibc asks F_GETLK with a read lock, so
 *            F_TEST succeeding does not promise that F_TLOCK will).
 * On Linux lockf is a write lock of fcntl(2) (F_SETLK/F_SETLKW/F_GETLK):
 * it conflicts with fcntl locks of other processes, F_GETLK reports it
 * with the locker's pid, and it belongs to the process, so it is released
 * when the process exits or closes ANY fd on the file.
 *
 * Returns 0, or -1 with errno set: EAGAIN if F_TLOCK or F_TEST finds a
 * conflicting lock of another process (lockf says EACCES for F_TEST and
 * may for F_TLOCK: report EAGAIN);
 * EINVAL if cmd is not one of the four or off or len is negative; EBADF if
 * fd is not open, or F_LOCK/F_TLOCK on an fd not open for writing; ESPIPE
 * if fd cannot seek (a pipe or socket: it has no offsets to lock); EDEADLK
 * if waiting would deadlock; otherwise the errno of lseek or lockf.
 */
int lockf_region(int fd, int cmd, off_t off, off_t len);

/*
 * pidfile_lock - become the one running instance of a program: the classic
 * lockf pid file.
 *
 * Opens path (O_RDWR | O_CREAT | O_CLOEXEC, mode 0644), locks the WHOLE
 * file (from byte 0, len 0) with F_TLOCK, and only once the lock is held
 * replaces the contents with the caller's pid in decimal and a newline
 * ("4711\n"; the file is truncated first, so nothing of an older, longer
 * pid remains). A file left by a dead instance holds no lock: it is simply
 * taken over. The file is never truncated or written before the lock is
 * held: it names the running instance.
 *
 * Returns the open fd, which the caller keeps open for as long as it runs
 * (closing it, or any other fd on the file, releases the lock; the file is
 * left in place). Returns -1 with errno set: EINVAL if path is NULL;
 * EAGAIN if another process holds the lock (the fd is closed again and the
 * file untouched); otherwise the errno of open, lockf, ftruncate or write
 * (the fd is closed).
 */
int pidfile_lock(const char *path);

#endif /* IPCLAB_MMAPLOCK_H */
