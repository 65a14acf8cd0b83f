/* sem_helpers.c - lab 05 test helpers shared by the test files. */
#include "sem_helpers.h"

#include "ipclab_test.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

int semval(int semid, int num)
{
    return semctl(semid, num, GETVAL);
}

long long sem_otime_of(int semid)
{
    struct semid_ds ds;
    union semun arg = {.buf = &ds};
    if (semctl(semid, 0, IPC_STAT, arg) < 0)
        return -1;
    return (long long)ds.sem_otime;
}

bool sem_set_exists(int semid)
{
    return sem_otime_of(semid) >= 0;
}

bool shm_seg_exists(int shmid)
{
    struct shmid_ds ds;
    return shmctl(shmid, IPC_STAT, &ds) == 0;
}

#define MAX_TRACKED 16
static int tracked_sets[MAX_TRACKED];
static key_t tracked_keys[MAX_TRACKED];
static char tracked_names[MAX_TRACKED][64];
static int n_sets, n_keys, n_names;

void track_set(int semid)
{
    if (n_sets < MAX_TRACKED)
        tracked_sets[n_sets++] = semid;
}

void track_key(key_t key)
{
    if (n_keys < MAX_TRACKED)
        tracked_keys[n_keys++] = key;
}

void track_name(const char *name)
{
    if (n_names < MAX_TRACKED)
        snprintf(tracked_names[n_names++], sizeof tracked_names[0], "%s", name);
}

void remove_key(key_t key)
{
    int semid = semget(key, 0, 0);
    if (semid >= 0)
        semctl(semid, 0, IPC_RMID);
    int shmid = shmget(key, 0, 0);
    if (shmid >= 0)
        shmctl(shmid, IPC_RMID, NULL);
}

void cleanup_tracked(void)
{
    for (int i = 0; i < n_sets; i++)
        semctl(tracked_sets[i], 0, IPC_RMID); /* EINVAL if already gone */
    for (int i = 0; i < n_keys; i++)
        remove_key(tracked_keys[i]);
    for (int i = 0; i < n_names; i++)
        sem_unlink(tracked_names[i]);
    n_sets = n_keys = n_names = 0;
}

key_t fresh_key(void)
{
    key_t key = ipct_key();
    track_key(key);
    remove_key(key);
    return key;
}

long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* true once pid has ended (not reaped: WNOWAIT). */
static bool peer_ended(pid_t pid)
{
    siginfo_t info = {0};
    if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0)
        return errno != EINTR;
    return info.si_pid == pid;
}

bool wait_ncnt(int semid, int num, int want, pid_t peer, int timeout_ms)
{
    long long deadline = mono_ms() + timeout_ms;
    for (;;) {
        int n = semctl(semid, num, GETNCNT);
        if (n >= want)
            return true;
        if (n < 0 || mono_ms() > deadline || peer_ended(peer))
            return false;
        /* Polling an observable state, not sleeping in place of a sync. */
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

void *shared_area(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(p, MAP_FAILED, "mmap of a %zu-byte shared area: %s", size,
                  strerror(errno));
    return p;
}

void shared_area_free(void *p, size_t size)
{
    if (p != NULL)
        munmap(p, size);
}

int put_byte(int fd, char c)
{
    ssize_t w;
    do
        w = write(fd, &c, 1);
    while (w < 0 && errno == EINTR);
    return w == 1 ? 0 : -1;
}

int get_byte(int fd, char *c)
{
    ssize_t r;
    do
        r = read(fd, c, 1);
    while (r < 0 && errno == EINTR);
    return r == 1 ? 0 : -1;
}

unsigned stress_items(void)
{
    return ipct_under_valgrind() ? 60 : 2500;
}
