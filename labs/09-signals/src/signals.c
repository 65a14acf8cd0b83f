/* signals.c - lab 09 skeleton: your signal handling code goes here. */
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* ===================================================================== */
/*  Functions you implement                                              */
/* ===================================================================== */

int sig_install(int sig, void (*fn)(int), int flags, struct sigaction *old)
{
    /* TODO(lab09): fill a struct sigaction (handler, flags, empty mask), call sigaction.
     */
    (void)sig, (void)fn, (void)flags, (void)old;
    errno = ENOSYS;
    return -1;
}

int run_service(const char *dir, int ready_fd)
{
    /* TODO(lab09): block SIGTERM/SIGINT, install flag handlers, create the pid file
       and the socket, say ready, sigsuspend until the flag is set, clean up. */
    (void)dir, (void)ready_fd;
    errno = ENOSYS;
    return -1;
}

int reaper_install(void)
{
    /* TODO(lab09): a SIGCHLD handler that reaps with waitpid(-1, ..., WNOHANG) in a loop.
     */
    errno = ENOSYS;
    return -1;
}

long reaper_count(void)
{
    /* TODO(lab09): the handler's counter. */
    return -1;
}

int reaper_uninstall(void)
{
    /* TODO(lab09): restore the previous SIGCHLD action. */
    errno = ENOSYS;
    return -1;
}

int wait_signal(int sig, int ready_fd)
{
    /* TODO(lab09): block sig, install a flag handler, say ready, loop on sigsuspend. */
    (void)sig, (void)ready_fd;
    errno = ENOSYS;
    return -1;
}

int tally_signals(int sig, int n, struct tally *t)
{
    /* TODO(lab09): SA_SIGINFO handler, block, sigqueue n times, unblock, restore. */
    (void)sig, (void)n, (void)t;
    errno = ENOSYS;
    return -1;
}

int signal_loop(int in_fd, int out_fd)
{
    /* TODO(lab09): block the signals, signalfd, poll it with in_fd, copy and report. */
    (void)in_fd, (void)out_fd;
    errno = ENOSYS;
    return -1;
}

int reload_service(const char *path, int in_fd, int out_fd)
{
    /* TODO(lab09): load the first line, block SIGHUP/SIGTERM, install flag handlers,
       say ready, then loop: ppoll with them unblocked, reload when the flag is set. */
    (void)path, (void)in_fd, (void)out_fd;
    errno = ENOSYS;
    return -1;
}

int take_signals(const sigset_t *set, int ready_fd, int timeout_ms, struct sigrecord *out,
                 int max)
{
    /* TODO(lab09): block *set, say ready, then sigwaitinfo/sigtimedwait in a loop. */
    (void)set, (void)ready_fd, (void)timeout_ms, (void)out, (void)max;
    errno = ENOSYS;
    return -1;
}
