/* shimcalls.c - the "student" side of the shim's self-test: plain libc calls. */
#include "shimcalls.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

int sc_lockf(int fd, int cmd, off_t len)
{
    return lockf(fd, cmd, len);
}

void *sc_mremap(void *old, size_t oldlen, size_t newlen)
{
    return mremap(old, oldlen, newlen, MREMAP_MAYMOVE);
}

int sc_nanosleep(const struct timespec *req, struct timespec *rem)
{
    return nanosleep(req, rem);
}

int sc_clock_nanosleep(int flags, const struct timespec *req, struct timespec *rem)
{
    return clock_nanosleep(CLOCK_MONOTONIC, flags, req, rem);
}

/* The thread of sc_thread: marks that it ran. */
static void *set_one(void *value)
{
    *(int *)value = 1;
    return NULL;
}

int sc_thread(int *value)
{
    pthread_t t;
    int err = pthread_create(&t, NULL, set_one, value);
    if (err != 0)
        return err;
    return pthread_join(t, NULL);
}

int sc_block_usr1(void)
{
    sigset_t usr1, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    int err = pthread_sigmask(SIG_BLOCK, &usr1, &old);
    return err != 0 ? err : pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int sc_exec(const char *path)
{
    int status;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char *const argv[] = {(char *)path, NULL};
        execv(path, argv);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int sc_clock(clockid_t clk, struct timespec *ts)
{
    return clock_gettime(clk, ts);
}

int sc_msgget(void)
{
    return msgget(IPC_PRIVATE, IPC_CREAT | 0600);
}

int sc_semget(void)
{
    return semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
}

int sc_shmget(void)
{
    return shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
}

void *sc_shmat(int id)
{
    return shmat(id, NULL, 0);
}

void *sc_malloc(size_t n)
{
    return malloc(n);
}

void *sc_calloc(size_t k, size_t n)
{
    return calloc(k, n);
}

void *sc_realloc(void *p, size_t n)
{
    return realloc(p, n);
}

void sc_free(void *p)
{
    free(p);
}

ssize_t sc_lose(int fd, size_t n)
{
    char *p = malloc(n);
    if (p == NULL)
        return -1;
    memset(p, 'x', n);
    return write(fd, p, n);
}

size_t sc_fread(void *p, size_t size, size_t n, FILE *f)
{
    return fread(p, size, n, f);
}

size_t sc_fwrite(const void *p, size_t size, size_t n, FILE *f)
{
    return fwrite(p, size, n, f);
}

int sc_fflush(FILE *f)
{
    return fflush(f);
}

int sc_lock(pthread_mutex_t *m)
{
    return pthread_mutex_lock(m);
}

int sc_unlock(pthread_mutex_t *m)
{
    return pthread_mutex_unlock(m);
}

int sc_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *at)
{
    return pthread_cond_timedwait(c, m, at);
}
