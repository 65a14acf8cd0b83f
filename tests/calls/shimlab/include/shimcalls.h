/* shimcalls.h - one call of each later shim wrapper, made from a "student" object. */
#ifndef SHIMCALLS_H
#define SHIMCALLS_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

/* sc_lockf - lockf(fd, cmd, len): its result, errno as lockf leaves it. */
int sc_lockf(int fd, int cmd, off_t len);

/* sc_mremap - mremap(old, oldlen, newlen, MREMAP_MAYMOVE): its result. */
void *sc_mremap(void *old, size_t oldlen, size_t newlen);

/* sc_nanosleep - nanosleep(req, rem) once (no retry): its result. */
int sc_nanosleep(const struct timespec *req, struct timespec *rem);

/* sc_clock_nanosleep - clock_nanosleep(CLOCK_MONOTONIC, flags, req, rem) once:
 * its result (0 or an error number). */
int sc_clock_nanosleep(int flags, const struct timespec *req, struct timespec *rem);

/* sc_block_usr1 - block SIGUSR1 in this thread with pthread_sigmask, then
 * restore the mask: 0, or the error number pthread_sigmask returned. */
int sc_block_usr1(void);

/* sc_thread - start a thread that stores 1 in *value, and join it: 0, or the
 * error number pthread_create or pthread_join returned (nothing started). */
int sc_thread(int *value);

/* sc_exec - fork, execv(path, {path, NULL}) in the child, wait: the child's
 * exit status (WEXITSTATUS; 127 when execv failed), or -1 if fork or waitpid
 * failed. */
int sc_exec(const char *path);

/* sc_clock - clock_gettime(clk, ts): its result. */
int sc_clock(clockid_t clk, struct timespec *ts);

/* sc_msgget, sc_semget, sc_shmget - a new private queue, set of one semaphore,
 * or segment of one page: the id, or -1 with errno as the call left it. */
int sc_msgget(void);
int sc_semget(void);
int sc_shmget(void);

/* sc_shmat - shmat(id, NULL, 0): its result. */
void *sc_shmat(int id);

/* sc_malloc, sc_calloc, sc_realloc, sc_free - the C library's, called from a student
 * object. */
void *sc_malloc(size_t n);
void *sc_calloc(size_t k, size_t n);
void *sc_realloc(void *p, size_t n);
void sc_free(void *p);

/* sc_lose - malloc n bytes, write them to fd, and lose the block (a leak
 * memcheck must call "definitely lost"). Returns write's result. */
ssize_t sc_lose(int fd, size_t n);

/* sc_fread, sc_fwrite, sc_fflush - the C library's, called from a student object. */
size_t sc_fread(void *p, size_t size, size_t n, FILE *f);
size_t sc_fwrite(const void *p, size_t size, size_t n, FILE *f);
int sc_fflush(FILE *f);

/* sc_lock, sc_unlock - pthread_mutex_lock(m), pthread_mutex_unlock(m): their result. */
int sc_lock(pthread_mutex_t *m);
int sc_unlock(pthread_mutex_t *m);

/* sc_cond_timedwait - pthread_cond_timedwait(c, m, at) once: its result. */
int sc_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *at);

#endif /* SHIMCALLS_H */
