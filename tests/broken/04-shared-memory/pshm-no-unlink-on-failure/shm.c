/* shm.c - BROKEN on purpose: a failed create leaves its object in /dev/shm */
#include "shm.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ===================================================================== */
/*  Functions you implement                                              */
/* ===================================================================== */

/* ---- Exercise 1: System V shared memory ------------------------------ */

void *sysv_attach(key_t key, size_t size, int *shmid)
{
    bool created = true;
    int id;
    void *addr;
    int saved;

    if (size == 0 || shmid == NULL) {
        errno = EINVAL;
        return NULL;
    }
    /* IPC_EXCL first, so we know whether a failure must remove the segment. */
    id = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
    if (id < 0 && errno == EEXIST) {
        created = false;
        id = shmget(key, size, 0600); /* EINVAL if it is smaller than size */
    }
    if (id < 0)
        return NULL;
    addr = shmat(id, NULL, 0);
    if (addr == (void *)-1)
        goto fail;
    *shmid = id;
    return addr;

fail:
    saved = errno;
    if (created)
        shmctl(id, IPC_RMID, NULL);
    errno = saved;
    return NULL;
}

int sysv_release(void *addr, int shmid, bool destroy)
{
    if (addr == NULL) {
        errno = EINVAL;
        return -1;
    }
    if (shmdt(addr) < 0)
        return -1;
    if (destroy && shmctl(shmid, IPC_RMID, NULL) < 0)
        return -1;
    return 0;
}

long sysv_nattch(int shmid)
{
    struct shmid_ds ds;

    if (shmctl(shmid, IPC_STAT, &ds) < 0)
        return -1;
    return (long)ds.shm_nattch;
}

/* ---- Exercise 2: POSIX shared memory --------------------------------- */

static bool valid_shm_name(const char *name)
{
    return name != NULL && name[0] == '/';
}

/* $begin find_the_bug */
void *pshm_create(const char *name, size_t size)
{
    int fd;
    void *addr;
    int saved;

    if (!valid_shm_name(name) || size == 0) {
        errno = EINVAL;
        return NULL;
    }
    fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
        return NULL;
    if (size > (size_t)INT64_MAX) {
        errno = EFBIG;
        goto fail;
    }
    if (ftruncate(fd, (off_t)size) < 0)
        goto fail;
    addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (addr == MAP_FAILED)
        goto fail;
    close(fd); /* the mapping keeps the object alive */
    return addr;

fail:
    saved = errno;
    close(fd);
    errno = saved;
    return NULL;
}
/* $end find_the_bug */

void *pshm_open(const char *name, size_t *size)
{
    struct stat st;
    int fd;
    void *addr;
    int saved;

    if (!valid_shm_name(name) || size == NULL) {
        errno = EINVAL;
        return NULL;
    }
    fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) < 0)
        goto fail;
    if (st.st_size == 0) {
        errno = EINVAL;
        goto fail;
    }
    addr = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (addr == MAP_FAILED)
        goto fail;
    close(fd);
    *size = (size_t)st.st_size;
    return addr;

fail:
    saved = errno;
    close(fd);
    errno = saved;
    return NULL;
}

/* ---- Exercise 3: anonymous shared memory across fork ----------------- */

void *shared_anon_alloc(size_t size)
{
    void *p;

    if (size == 0) {
        errno = EINVAL;
        return NULL;
    }
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int shared_anon_free(void *p, size_t size)
{
    if (p == NULL || size == 0) {
        errno = EINVAL;
        return -1;
    }
    return munmap(p, size);
}

/* Wait for pid, retrying on EINTR; true if it exited with status 0. */
static bool child_succeeded(pid_t pid)
{
    int status;
    pid_t r;

    do
        r = waitpid(pid, &status, 0);
    while (r < 0 && errno == EINTR);
    return r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int count_with_children(atomic_long *counter, unsigned nprocs, unsigned long iters)
{
    pid_t pids[64];
    unsigned started = 0;
    int fork_errno = 0;
    bool all_ok = true;

    if (counter == NULL || nprocs == 0 || nprocs > sizeof pids / sizeof pids[0]) {
        errno = EINVAL;
        return -1;
    }
    for (; started < nprocs; started++) {
        pid_t pid = fork();
        if (pid < 0) {
            fork_errno = errno;
            break;
        }
        if (pid == 0) {
            for (unsigned long i = 0; i < iters; i++)
                atomic_fetch_add(counter, 1);
            _exit(0);
        }
        pids[started] = pid;
    }
    for (unsigned i = 0; i < started; i++)
        if (!child_succeeded(pids[i]))
            all_ok = false;
    if (fork_errno != 0) {
        errno = fork_errno;
        return -1;
    }
    if (!all_ok) {
        errno = EIO;
        return -1;
    }
    return 0;
}

/* ---- Exercise 4: lost updates and two fixes -------------------------- */

long counter_add_racy(volatile long *counter, long delta, rmw_hook hook, void *arg)
{
    long seen = *counter; /* read ...               */
    if (hook != NULL)
        hook(arg);           /* ... anyone may run here */
    *counter = seen + delta; /* ... write back a stale sum */
    return seen + delta;
}

long counter_add_locked(struct locked_counter *c, long delta, rmw_hook hook, void *arg)
{
    long v;

    while (atomic_exchange_explicit(&c->lock, 1, memory_order_acquire) != 0)
        sched_yield(); /* the holder may be parked: let it run */
    v = c->value + delta;
    if (hook != NULL)
        hook(arg);
    c->value = v;
    atomic_store_explicit(&c->lock, 0, memory_order_release);
    return v;
}

long counter_add_atomic(atomic_long *counter, long delta)
{
    return atomic_fetch_add(counter, delta) + delta;
}

/* ---- Exercise 5: offsets instead of pointers ------------------------- */

static struct otable_hdr *otable_hdr_of(const void *base)
{
    struct otable_hdr *h = (struct otable_hdr *)base;
    return h != NULL && h->magic == OTABLE_MAGIC ? h : NULL;
}

int otable_init(void *base, size_t size)
{
    struct otable_hdr *h = base;

    if (base == NULL || size < OTABLE_FIRST || size > UINT32_MAX) {
        errno = EINVAL;
        return -1;
    }
    h->size = (uint32_t)size;
    h->used = OTABLE_FIRST;
    h->head = 0;
    h->count = 0;
    h->magic = OTABLE_MAGIC;
    return 0;
}

/* The entry for name, or NULL. Follows offsets only. */
static struct otable_entry *otable_find(const void *base, const char *name)
{
    const struct otable_hdr *h = base;
    size_t nlen = strlen(name);

    for (uint64_t off = h->head; off != 0;) {
        struct otable_entry *e = otable_at((void *)(uintptr_t)base, off);
        if (e->nlen == nlen && memcmp(e->name, name, nlen) == 0)
            return e;
        off = e->next;
    }
    return NULL;
}

int otable_insert(void *base, const char *name, int64_t value)
{
    struct otable_hdr *h = otable_hdr_of(base);
    struct otable_entry *e;
    size_t nlen;
    uint32_t need;

    if (h == NULL || name == NULL || name[0] == '\0') {
        errno = EINVAL;
        return -1;
    }
    if (otable_find(base, name) != NULL) {
        errno = EEXIST;
        return -1;
    }
    nlen = strlen(name);
    if (nlen > h->size) {
        errno = ENOSPC;
        return -1;
    }
    need = otable_entry_bytes(nlen);
    if (need > h->size - h->used) {
        errno = ENOSPC;
        return -1;
    }
    e = otable_at(base, h->used);
    e->next = h->head; /* an offset, valid in every mapping */
    e->nlen = (uint32_t)nlen;
    e->value = value;
    memcpy(e->name, name, nlen + 1);
    h->head = h->used; /* offsets again, never e itself */
    h->used += need;
    h->count++;
    return 0;
}

int otable_lookup(const void *base, const char *name, int64_t *value)
{
    const struct otable_entry *e;

    if (otable_hdr_of(base) == NULL || name == NULL || value == NULL) {
        errno = EINVAL;
        return -1;
    }
    e = otable_find(base, name);
    if (e == NULL) {
        errno = ENOENT;
        return -1;
    }
    *value = e->value;
    return 0;
}

/* ---- Exercise 6: a lock-free single-producer/single-consumer ring ---- */

int spsc_init(struct spsc_ring *r, uint32_t capacity)
{
    if (r == NULL || capacity == 0 || (capacity & (capacity - 1)) != 0) {
        errno = EINVAL;
        return -1;
    }
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    r->capacity = capacity;
    r->mask = capacity - 1;
    return 0;
}

int spsc_try_push(struct spsc_ring *r, uint64_t v)
{
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed); /* ours */
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);

    if (head - tail == r->capacity) {
        errno = EAGAIN;
        return -1;
    }
    r->slots[head & r->mask] = v;
    atomic_store_explicit(&r->head, head + 1, memory_order_release); /* publish */
    return 0;
}

int spsc_try_pop(struct spsc_ring *r, uint64_t *v)
{
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed); /* ours */
    uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);

    if (head == tail) {
        errno = EAGAIN;
        return -1;
    }
    *v = r->slots[tail & r->mask];
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release); /* free the slot */
    return 0;
}
