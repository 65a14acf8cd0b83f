/* exec_helper.c - run by tests/calls.test.sh's exec test: the shim's later calls,
 * made by a program without the shim. Exits 0 only when every call succeeded.
 * Usage: exec_helper (in a writable working directory: it makes a lock file) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* The thread started: it does nothing. */
static void *nothing(void *arg)
{
    return arg;
}

int main(void)
{
    char path[] = "/tmp/exec_helper.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || unlink(path) < 0 || lockf(fd, F_LOCK, 0) < 0)
        return 1;
    long page = sysconf(_SC_PAGESIZE);
    void *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 2;
    p = mremap(p, (size_t)page, 2 * (size_t)page, MREMAP_MAYMOVE);
    if (p == MAP_FAILED)
        return 3;
    struct timespec ms = {0, 1000000};
    if (nanosleep(&ms, NULL) < 0 || clock_nanosleep(CLOCK_MONOTONIC, 0, &ms, NULL) != 0)
        return 4;
    pthread_t t;
    if (pthread_create(&t, NULL, nothing, NULL) != 0 || pthread_join(t, NULL) != 0)
        return 5;
    return 0;
}
