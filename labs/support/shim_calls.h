/* shim_calls.h - the libc calls the shim wraps: one list for shim.c and the grader. */
#ifndef IPCLAB_SHIM_CALLS_H
#define IPCLAB_SHIM_CALLS_H

/*
 * Every call the shim wraps (X(name) for each). lab.mk renames exactly the
 * functions shim.c defines as ipclab_shim_NAME (it reads them from shim.o), so
 * a name listed here without its wrapper in shim.c is simply not renamed, and a
 * wrapper without its name here fails to compile (ID_NAME is unknown). The
 * grader checks the names a lab.ini `require`/`forbid` of a test gives against
 * this list: only these calls can be seen at run time. One wrapper is not
 * listed: free, renamed only to keep ipct_heap_blocks's count (never logged).
 */
/* The list is laid out by hand: clang-format staircases it. */
/* clang-format off */
#define SHIM_CALLS(X)                                                                    \
    X(read) X(write) X(readv) X(writev) X(pread) X(pwrite) X(recv) X(send) X(recvfrom)  \
    X(sendto) X(recvmsg) X(sendmsg) X(open) X(close) X(dup) X(dup2) X(pipe) X(pipe2)     \
    X(fcntl) X(ftruncate) X(mkfifo) X(socket) X(socketpair) X(bind) X(listen) X(accept)  \
    X(accept4) X(connect) X(shutdown) X(setsockopt) X(poll) X(ppoll) X(select)           \
    X(epoll_wait) X(msgsnd) X(msgrcv) X(mq_open) X(mq_send) X(mq_receive)               \
    X(mq_timedsend) X(mq_timedreceive) X(sem_wait) X(sem_timedwait) X(sem_trywait)       \
    X(sem_post) X(semop) X(semtimedop) X(mmap) X(munmap) X(msync) X(flock) X(fork)       \
    X(wait) X(waitpid) X(waitid) X(execve) X(execv) X(execvp) X(kill) X(sigaction)       \
    X(sigprocmask) X(pthread_sigmask) X(sigsuspend) X(sigwaitinfo) X(sigtimedwait)       \
    X(wait3) X(wait4) X(sem_close) X(sem_unlink)                                         \
    X(lockf) X(mremap) X(nanosleep) X(clock_nanosleep) X(pthread_create) X(pthread_join) \
    X(msgget) X(semget) X(shmget) X(shmat) X(clock_gettime) X(malloc) X(calloc)         \
    X(realloc) X(mq_notify) X(fread) X(fwrite) X(fflush) X(unlink)
/* clang-format on */

#endif /* IPCLAB_SHIM_CALLS_H */
