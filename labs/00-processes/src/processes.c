/* processes.c - lab 00 skeleton: your fork/exec/wait code goes here. */
#include "processes.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ===================================================================== */
/*  Functions you implement                                              */
/* ===================================================================== */

int fork_isolation(int *value, int delta)
{
    /* TODO(lab00): fork; the child changes its copy and exits with it. */
    (void)value, (void)delta;
    errno = ENOSYS;
    return -1;
}

int run_and_wait(char *const argv[])
{
    /* TODO(lab00): fork, execvp in the child (exit 127 on failure), waitpid. */
    (void)argv;
    errno = ENOSYS;
    return -1;
}

int describe_status(int status, char *buf, size_t len)
{
    /* TODO(lab00): decode with WIFEXITED, WIFSIGNALED, WCOREDUMP, ... */
    (void)status, (void)buf, (void)len;
    errno = ENOSYS;
    return -1;
}

int reap_finished(pid_t *pids, int *statuses, size_t max)
{
    /* TODO(lab00): waitpid(-1, ..., WNOHANG) until nothing is left to reap. */
    (void)pids, (void)statuses, (void)max;
    errno = ENOSYS;
    return -1;
}

int parallel_sum(const long *values, size_t n, unsigned workers, long *result)
{
    /* TODO(lab00): one pipe and one child per worker; add up the answers. */
    (void)values, (void)n, (void)workers, (void)result;
    errno = ENOSYS;
    return -1;
}
