/* msgqueues.c - lab 03 skeleton: your message-queue code goes here. */
#include "msgqueues.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <time.h>
#include <unistd.h>

/* ===================================================================== */
/*  Functions you implement                                              */
/* ===================================================================== */

key_t sysv_key(const char *path, int proj)
{
    /* TODO(lab03): ftok(path, proj) after checking the arguments. */
    (void)path, (void)proj;
    errno = ENOSYS;
    return -1;
}

int sysv_create(key_t key, bool exclusive)
{
    /* TODO(lab03): msgget(key, IPC_CREAT [| IPC_EXCL] | 0600). */
    (void)key, (void)exclusive;
    errno = ENOSYS;
    return -1;
}

int sysv_info(int id, struct sysv_info *out)
{
    /* TODO(lab03): msgctl(id, IPC_STAT, &ds), copy the counters. */
    (void)id, (void)out;
    errno = ENOSYS;
    return -1;
}

int sysv_remove(int id)
{
    /* TODO(lab03): msgctl(id, IPC_RMID, NULL). */
    (void)id;
    errno = ENOSYS;
    return -1;
}

int sysv_send(int id, long type, const void *data, size_t len, bool nowait)
{
    /* TODO(lab03): build {mtype, data} and msgsnd it; the size excludes the mtype. */
    (void)id, (void)type, (void)data, (void)len, (void)nowait;
    errno = ENOSYS;
    return -1;
}

ssize_t sysv_recv(int id, long msgtyp, void *buf, size_t cap, long *type, int flags)
{
    /* TODO(lab03): msgrcv into {mtype, data}; msgtyp 0 / > 0 / < 0; flags. */
    (void)id, (void)msgtyp, (void)buf, (void)cap, (void)type, (void)flags;
    errno = ENOSYS;
    return -1;
}

ssize_t sysv_peek(int id, struct sysv_peek_entry *out, size_t max)
{
    /* TODO(lab03): msgrcv(MSG_COPY | IPC_NOWAIT) at positions 0, 1, 2 ... until
     * ENOMSG, into a buffer of msgmax bytes; count past max. */
    (void)id, (void)out, (void)max;
    errno = ENOSYS;
    return -1;
}

mqd_t pq_create(const char *name, long maxmsg, long msgsize)
{
    /* TODO(lab03): check the name, read /proc/sys/fs/mqueue limits, mq_open with
     * attributes. */
    (void)name, (void)maxmsg, (void)msgsize;
    errno = ENOSYS;
    return (mqd_t)-1;
}

int pq_remove(const char *name)
{
    /* TODO(lab03): mq_unlink. */
    (void)name;
    errno = ENOSYS;
    return -1;
}

int pq_send(mqd_t q, const void *data, size_t len, unsigned prio)
{
    /* TODO(lab03): mq_send, retry on EINTR. */
    (void)q, (void)data, (void)len, (void)prio;
    errno = ENOSYS;
    return -1;
}

int pq_send_timed(mqd_t q, const void *data, size_t len, unsigned prio, int timeout_ms)
{
    /* TODO(lab03): mq_timedsend with an absolute CLOCK_REALTIME deadline (carry
     * tv_nsec into tv_sec); pq_send when timeout_ms < 0; retry on EINTR. */
    (void)q, (void)data, (void)len, (void)prio, (void)timeout_ms;
    errno = ENOSYS;
    return -1;
}

ssize_t pq_receive(mqd_t q, void *buf, size_t cap, unsigned *prio, int timeout_ms)
{
    /* TODO(lab03): mq_receive, or mq_timedreceive with an absolute CLOCK_REALTIME
     * deadline. */
    (void)q, (void)buf, (void)cap, (void)prio, (void)timeout_ms;
    errno = ENOSYS;
    return -1;
}

int pq_set_nonblock(mqd_t q, bool on)
{
    /* TODO(lab03): mq_getattr, change mq_flags, mq_setattr. */
    (void)q, (void)on;
    errno = ENOSYS;
    return -1;
}

int pq_notify_signal(mqd_t q, int signo)
{
    /* TODO(lab03): mq_notify with SIGEV_SIGNAL (NULL when signo is 0). */
    (void)q, (void)signo;
    errno = ENOSYS;
    return -1;
}

long pq_consume_notified(mqd_t q, int signo, long count, int timeout_ms)
{
    /* TODO(lab03): register, drain, wait for the signal, register again, ... */
    (void)q, (void)signo, (void)count, (void)timeout_ms;
    errno = ENOSYS;
    return -1;
}

int jobq_sysv_push(int id, const struct job *j)
{
    /* TODO(lab03): mtype = priority. */
    (void)id, (void)j;
    errno = ENOSYS;
    return -1;
}

int jobq_sysv_pop(int id, struct job *j, bool nowait)
{
    /* TODO(lab03): msgrcv with msgtyp = -JOB_PRIO_MAX. */
    (void)id, (void)j, (void)nowait;
    errno = ENOSYS;
    return -1;
}

int jobq_posix_push(mqd_t q, const struct job *j)
{
    /* TODO(lab03): mq priority = priority. */
    (void)q, (void)j;
    errno = ENOSYS;
    return -1;
}

int jobq_posix_pop(mqd_t q, struct job *j)
{
    /* TODO(lab03): a buffer of mq_msgsize bytes. */
    (void)q, (void)j;
    errno = ENOSYS;
    return -1;
}

int rr_call(int id, long value, long *result)
{
    /* TODO(lab03): send a request typed RR_SERVER_TYPE, wait for the reply typed
     * getpid(). */
    (void)id, (void)value, (void)result;
    errno = ENOSYS;
    return -1;
}

long rr_serve(int id)
{
    /* TODO(lab03): loop: receive RR_SERVER_TYPE, answer with mtype = pid, stop at
     * RR_SHUTDOWN. */
    (void)id;
    errno = ENOSYS;
    return -1;
}

/* TODO(lab03): define struct pq_watch: what a notification thread needs. */

struct pq_watch *pq_watch_start(mqd_t q, pq_watch_fn *fn, void *arg)
{
    /* TODO(lab03): mq_notify with SIGEV_THREAD; the thread registers again, then
     * drains q into fn; drain the messages already waiting. */
    (void)q, (void)fn, (void)arg;
    errno = ENOSYS;
    return NULL;
}

int pq_watch_stop(struct pq_watch *w)
{
    /* TODO(lab03): cancel the registration (mq_notify(q, NULL)), wait for the
     * running thread, free the watch. */
    (void)w;
    errno = ENOSYS;
    return -1;
}
