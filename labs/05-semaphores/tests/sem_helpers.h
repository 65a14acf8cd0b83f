/* sem_helpers.h - lab 05 test helpers (semaphore values, waiting, shared memory). */
#ifndef IPCLAB_SEM_HELPERS_H
#define IPCLAB_SEM_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/ipc.h>
#include <sys/types.h>

/* Value of semaphore num of set semid (semctl GETVAL); -1 on error. */
int semval(int semid, int num);

/* sem_otime of the set, or -1 if IPC_STAT fails. */
long long sem_otime_of(int semid);

/* true while the SysV semaphore set / shared memory segment exists. */
bool sem_set_exists(int semid);
bool shm_seg_exists(int shmid);

/*
 * wait_ncnt - poll GETNCNT until at least `want` processes are blocked
 * decrementing semaphore num (so a peer is known to be asleep in semop).
 * Returns true when reached; false after timeout_ms or as soon as the child
 * `peer` has ended (it stays unreaped for the caller's ipct_wait).
 */
bool wait_ncnt(int semid, int num, int want, pid_t peer, int timeout_ms);

/*
 * fresh_key - ipct_key(), after removing any set or segment still named by
 * it. ftok keys come from inode numbers, which the next test's file may
 * reuse: an object left by an earlier failed test must not be joined.
 */
key_t fresh_key(void);

/* Remove the set and the segment named by key, if they exist. */
void remove_key(key_t key);

/*
 * Objects a test makes are also recorded here, and cleanup_tracked (every
 * suite's .fini) removes whatever is still there, even when an assertion
 * ended the test early: one failed test must not leave sets behind.
 */
void track_set(int semid);
void track_key(key_t key);
void track_name(const char *name);
void cleanup_tracked(void);

/* Milliseconds on CLOCK_MONOTONIC. */
long long mono_ms(void);

/* An anonymous MAP_SHARED zeroed area shared with children forked later (the test fails
 * if mmap does). */
void *shared_area(size_t size);
void shared_area_free(void *p, size_t size);

/* One byte through a pipe, retrying EINTR: 0 on success, -1 otherwise. */
int put_byte(int fd, char c);
int get_byte(int fd, char *c);

/* Items per producer in the 4x4 stress tests: smaller under valgrind. */
unsigned stress_items(void);

#endif /* IPCLAB_SEM_HELPERS_H */
