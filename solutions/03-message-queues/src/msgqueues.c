/* msgqueues.c - lab 03 reference solution: System V and POSIX message queues. */
#include "msgqueues.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <time.h>
#include <unistd.h>

/* ===================================================================== */
/*  Helpers (private to this file)                                        */
/* ===================================================================== */

/* A System V message: the mtype, then the data (a flexible array). */
struct sysv_msg {
    long mtype;
    char mtext[];
};

/* free(p) keeping errno: a failure path reports the call that failed. */
static void free_keep_errno(void *p)
{
    int saved = errno;
    free(p);
    errno = saved;
}

/*
 * A buffer for one message of queue q: mq_msgsize bytes, the least
 * mq_receive accepts, its size in *size. Returns NULL with errno set.
 */
static char *alloc_msg_buffer(mqd_t q, size_t *size)
{
    struct mq_attr attr;
    if (mq_getattr(q, &attr) < 0)
        return NULL;
    *size = (size_t)attr.mq_msgsize;
    return malloc(*size);
}

/* Read one number from a /proc file such as /proc/sys/fs/mqueue/msg_max. */
static int read_limit(const char *path, long *out)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    int ok = fscanf(f, "%ld", out) == 1;
    fclose(f);
    if (!ok) {
        errno = EIO;
        return -1;
    }
    return 0;
}

/*
 * The absolute CLOCK_REALTIME time timeout_ms (>= 0) from now, the form
 * mq_timedsend and mq_timedreceive want. tv_nsec must stay below one
 * second: a forgotten carry makes the call fail with EINVAL.
 */
static int deadline_after(int timeout_ms, struct timespec *ts)
{
    if (clock_gettime(CLOCK_REALTIME, ts) < 0)
        return -1;
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
    return 0;
}

/* ===================================================================== */
/*  Functions you implement                                              */
/* ===================================================================== */

key_t sysv_key(const char *path, int proj)
{
    if (path == NULL || (proj & 0xff) == 0) {
        errno = EINVAL;
        return -1;
    }
    return ftok(path, proj);
}

int sysv_create(key_t key, bool exclusive)
{
    int flags = IPC_CREAT | 0600;
    if (exclusive)
        flags |= IPC_EXCL;
    return msgget(key, flags);
}

int sysv_info(int id, struct sysv_info *out)
{
    if (out == NULL) {
        errno = EINVAL;
        return -1;
    }
    struct msqid_ds ds;
    if (msgctl(id, IPC_STAT, &ds) < 0)
        return -1;
    out->messages = (size_t)ds.msg_qnum;
    out->bytes = (size_t)ds.__msg_cbytes;
    out->max_bytes = (size_t)ds.msg_qbytes;
    out->last_sender = ds.msg_lspid;
    return 0;
}

int sysv_remove(int id)
{
    return msgctl(id, IPC_RMID, NULL);
}

int sysv_send(int id, long type, const void *data, size_t len, bool nowait)
{
    if (type < 1 || (data == NULL && len > 0)) {
        errno = EINVAL;
        return -1;
    }
    struct sysv_msg *m = malloc(sizeof *m + len);
    if (m == NULL)
        return -1;
    m->mtype = type;
    if (len > 0)
        memcpy(m->mtext, data, len);
    int r;
    do /* the size is the data only: the mtype is not counted */
        r = msgsnd(id, m, len, nowait ? IPC_NOWAIT : 0);
    while (r < 0 && errno == EINTR);
    int saved = errno;
    free(m);
    errno = saved;
    return r;
}

ssize_t sysv_recv(int id, long msgtyp, void *buf, size_t cap, long *type, int flags)
{
    if ((flags & ~(IPC_NOWAIT | MSG_NOERROR | MSG_EXCEPT)) != 0 ||
        (buf == NULL && cap > 0)) {
        errno = EINVAL;
        return -1;
    }
    struct sysv_msg *m = malloc(sizeof *m + cap);
    if (m == NULL)
        return -1;
    ssize_t n;
    do
        n = msgrcv(id, m, cap, msgtyp, flags);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        goto fail;
    if (n > 0)
        memcpy(buf, m->mtext, (size_t)n);
    if (type != NULL)
        *type = m->mtype;
    free(m);
    return n;
fail:
    free_keep_errno(m);
    return -1;
}

ssize_t sysv_peek(int id, struct sysv_peek_entry *out, size_t max)
{
    if (out == NULL && max > 0) {
        errno = EINVAL;
        return -1;
    }
    /* MSG_COPY never truncates, so the buffer must hold the largest message. */
    long msgmax;
    if (read_limit("/proc/sys/kernel/msgmax", &msgmax) < 0)
        return -1;
    struct sysv_msg *m = malloc(sizeof *m + (size_t)msgmax);
    if (m == NULL)
        return -1;
    ssize_t count = 0;
    for (;;) {
        /* With MSG_COPY, msgtyp is a position in the queue, not a type. */
        ssize_t n = msgrcv(id, m, (size_t)msgmax, (long)count, MSG_COPY | IPC_NOWAIT);
        if (n < 0) {
            if (errno == ENOMSG)
                break; /* past the last message: the list is complete */
            goto fail; /* ENOSYS included: an empty list would be a lie */
        }
        if ((size_t)count < max) {
            out[count].type = m->mtype;
            out[count].size = (size_t)n;
        }
        count++;
    }
    free(m);
    return count;
fail:
    free_keep_errno(m);
    return -1;
}

/* True if name is "/x..." with no other '/' and at most NAME_MAX chars after it. */
static bool valid_mq_name(const char *name)
{
    if (name == NULL || name[0] != '/')
        return false;
    size_t len = strlen(name + 1);
    return len > 0 && len <= NAME_MAX && strchr(name + 1, '/') == NULL;
}

mqd_t pq_create(const char *name, long maxmsg, long msgsize)
{
    if (!valid_mq_name(name)) {
        errno = EINVAL;
        return (mqd_t)-1;
    }
    long msg_max, msgsize_max;
    if (read_limit("/proc/sys/fs/mqueue/msg_max", &msg_max) < 0 ||
        read_limit("/proc/sys/fs/mqueue/msgsize_max", &msgsize_max) < 0)
        return (mqd_t)-1;
    if (maxmsg < 1 || maxmsg > msg_max || msgsize < 1 || msgsize > msgsize_max) {
        errno = EINVAL;
        return (mqd_t)-1;
    }
    struct mq_attr attr = {.mq_maxmsg = maxmsg, .mq_msgsize = msgsize};
    return mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
}

int pq_remove(const char *name)
{
    if (name == NULL) {
        errno = EINVAL;
        return -1;
    }
    return mq_unlink(name);
}

int pq_send(mqd_t q, const void *data, size_t len, unsigned prio)
{
    int r;
    do
        r = mq_send(q, data, len, prio);
    while (r < 0 && errno == EINTR);
    return r;
}

int pq_send_timed(mqd_t q, const void *data, size_t len, unsigned prio, int timeout_ms)
{
    if (timeout_ms < 0)
        return pq_send(q, data, len, prio);
    /* Computed once: a retry after EINTR keeps the same deadline. */
    struct timespec deadline;
    if (deadline_after(timeout_ms, &deadline) < 0)
        return -1;
    int r;
    do
        r = mq_timedsend(q, data, len, prio, &deadline);
    while (r < 0 && errno == EINTR);
    return r;
}

ssize_t pq_receive(mqd_t q, void *buf, size_t cap, unsigned *prio, int timeout_ms)
{
    ssize_t n;
    if (timeout_ms < 0) {
        do
            n = mq_receive(q, buf, cap, prio);
        while (n < 0 && errno == EINTR);
        return n;
    }
    /* The deadline is absolute, so a retry after EINTR does not extend it. */
    struct timespec deadline;
    if (deadline_after(timeout_ms, &deadline) < 0)
        return -1;
    do
        n = mq_timedreceive(q, buf, cap, prio, &deadline);
    while (n < 0 && errno == EINTR);
    return n;
}

int pq_set_nonblock(mqd_t q, bool on)
{
    struct mq_attr attr;
    if (mq_getattr(q, &attr) < 0)
        return -1;
    int was = (attr.mq_flags & O_NONBLOCK) != 0;
    attr.mq_flags = on ? O_NONBLOCK : 0; /* the only field mq_setattr uses */
    if (mq_setattr(q, &attr, NULL) < 0)
        return -1;
    return was;
}

int pq_notify_signal(mqd_t q, int signo)
{
    if (signo == 0)
        return mq_notify(q, NULL);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = signo;
    sev.sigev_value.sival_int = (int)q;
    return mq_notify(q, &sev);
}

long pq_consume_notified(mqd_t q, int signo, long count, int timeout_ms)
{
    if (count < 1 || signo <= 0) {
        errno = EINVAL;
        return -1;
    }
    size_t size;
    char *buf = alloc_msg_buffer(q, &size);
    if (buf == NULL)
        return -1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signo);
    long got = 0;
    for (;;) {
        /* Register first, then drain: a message that lands after the drain
         * finds the queue empty and registered, so it is notified. */
        if (pq_notify_signal(q, signo) < 0)
            goto fail;
        for (;;) {
            ssize_t n = pq_receive(q, buf, size, NULL, 0);
            if (n < 0) {
                if (errno == ETIMEDOUT || errno == EAGAIN)
                    break;
                goto fail;
            }
            got++;
        }
        if (got >= count)
            break;
        struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
        int sig;
        do
            sig = sigtimedwait(&set, NULL, &ts);
        while (sig < 0 && errno == EINTR);
        if (sig < 0) {
            if (errno == EAGAIN)
                errno = ETIMEDOUT;
            goto fail;
        }
    }
    free(buf);
    if (mq_notify(q, NULL) < 0)
        return -1;
    const struct timespec zero = {0, 0};
    while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
        ;
    return got;
fail : {
    int saved = errno;
    free(buf);
    mq_notify(q, NULL); /* may fail if the registration was used: fine */
    const struct timespec zero = {0, 0};
    while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
        ;
    errno = saved;
    return -1;
}
}

int jobq_sysv_push(int id, const struct job *j)
{
    if (j == NULL || j->priority < 1 || j->priority > JOB_PRIO_MAX) {
        errno = EINVAL;
        return -1;
    }
    return sysv_send(id, j->priority, j, sizeof *j, false);
}

int jobq_sysv_pop(int id, struct job *j, bool nowait)
{
    if (j == NULL) {
        errno = EINVAL;
        return -1;
    }
    /* -JOB_PRIO_MAX: the lowest mtype <= JOB_PRIO_MAX, oldest first. */
    ssize_t n = sysv_recv(id, -JOB_PRIO_MAX, j, sizeof *j, NULL, nowait ? IPC_NOWAIT : 0);
    if (n < 0)
        return -1;
    if ((size_t)n != sizeof *j) {
        errno = EIO;
        return -1;
    }
    return 0;
}

int jobq_posix_push(mqd_t q, const struct job *j)
{
    if (j == NULL || j->priority < 1 || j->priority > JOB_PRIO_MAX) {
        errno = EINVAL;
        return -1;
    }
    return pq_send(q, j, sizeof *j, (unsigned)j->priority);
}

int jobq_posix_pop(mqd_t q, struct job *j)
{
    if (j == NULL) {
        errno = EINVAL;
        return -1;
    }
    size_t size;
    char *buf = alloc_msg_buffer(q, &size);
    if (buf == NULL)
        return -1;
    ssize_t n = pq_receive(q, buf, size, NULL, -1);
    if (n < 0)
        goto fail;
    if ((size_t)n != sizeof *j) {
        errno = EIO;
        goto fail;
    }
    memcpy(j, buf, sizeof *j);
    free(buf);
    return 0;
fail:
    free_keep_errno(buf);
    return -1;
}

int rr_call(int id, long value, long *result)
{
    if (result == NULL) {
        errno = EINVAL;
        return -1;
    }
    struct rr_request req;
    memset(&req, 0, sizeof req); /* no uninitialised padding in the message */
    req.op = RR_SQUARE;
    req.pid = getpid();
    req.value = value;
    if (sysv_send(id, RR_SERVER_TYPE, &req, sizeof req, false) < 0)
        return -1;
    /* Only the message typed with our pid is ours. */
    struct rr_reply rep;
    ssize_t n = sysv_recv(id, (long)req.pid, &rep, sizeof rep, NULL, 0);
    if (n < 0)
        return -1;
    if ((size_t)n != sizeof rep || rep.value != value) {
        errno = EIO;
        return -1;
    }
    *result = rep.result;
    return 0;
}

long rr_serve(int id)
{
    long answered = 0;
    for (;;) {
        struct rr_request req;
        ssize_t n = sysv_recv(id, RR_SERVER_TYPE, &req, sizeof req, NULL, MSG_NOERROR);
        if (n < 0)
            return -1;
        if ((size_t)n != sizeof req)
            continue; /* not a request: ignore it */
        if (req.op == RR_SHUTDOWN)
            return answered;
        if (req.op != RR_SQUARE || req.pid <= 1)
            continue;
        struct rr_reply rep = {.value = req.value, .result = req.value * req.value};
        if (sysv_send(id, (long)req.pid, &rep, sizeof rep, false) < 0)
            return -1;
        answered++;
    }
}

/*
 * A watch. Notification threads find it through its id in the list below,
 * never through a pointer carried by the notification: a notification
 * already on its way when pq_watch_stop frees the watch then finds no id,
 * and touches nothing.
 */
struct pq_watch {
    struct pq_watch *next; /* in watches */
    int id;                /* the sigev_value of its registrations */
    mqd_t q;
    pq_watch_fn *fn;
    void *arg;
    char *buf; /* mq_msgsize bytes: mq_receive wants no less */
    size_t cap;
    pthread_mutex_t drain; /* held while registering and draining: one drainer */
    bool registered;       /* under drain: our registration may be in place */
    bool stopping;         /* under drain: pq_watch_stop has begun */
    int error;             /* under drain: a notification thread's first error */
    int users;             /* under watches_lock: threads that found the watch */
    pthread_cond_t idle;   /* under watches_lock: users went down to 0 */
};

static pthread_mutex_t watches_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pq_watch *watches; /* every watch started and not yet stopped */
static int last_watch_id;

static void watch_notified(union sigval sv);

/* Register w for one SIGEV_THREAD notification. Called with w->drain held. */
static int watch_register(struct pq_watch *w)
{
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD;
    sev.sigev_notify_function = watch_notified;
    sev.sigev_value.sival_int = w->id;
    if (mq_notify(w->q, &sev) < 0)
        return -1;
    w->registered = true;
    return 0;
}

/* Hand every waiting message to fn, without blocking. Called with w->drain held. */
static int watch_drain(struct pq_watch *w)
{
    for (;;) {
        unsigned prio;
        ssize_t n = pq_receive(w->q, w->buf, w->cap, &prio, 0);
        if (n < 0) /* empty: ETIMEDOUT, or EAGAIN on a non-blocking descriptor */
            return errno == ETIMEDOUT || errno == EAGAIN ? 0 : -1;
        w->fn(w->buf, (size_t)n, prio, w->arg);
    }
}

/* The SIGEV_THREAD function: the C library runs it in a new thread. */
static void watch_notified(union sigval sv)
{
    pthread_mutex_lock(&watches_lock);
    struct pq_watch *w = watches;
    while (w != NULL && w->id != sv.sival_int)
        w = w->next;
    if (w != NULL)
        w->users++;
    pthread_mutex_unlock(&watches_lock);
    if (w == NULL)
        return; /* stopped before this thread started */
    pthread_mutex_lock(&w->drain);
    w->registered = false; /* this notification used it up */
    /* Register again before draining: a message that lands after the drain
     * finds the queue empty and registered, so it is notified. */
    if (!w->stopping && w->error == 0 && (watch_register(w) < 0 || watch_drain(w) < 0))
        w->error = errno;
    pthread_mutex_unlock(&w->drain);
    pthread_mutex_lock(&watches_lock);
    if (--w->users == 0)
        pthread_cond_broadcast(&w->idle);
    pthread_mutex_unlock(&watches_lock);
}

/* Take w out of the list, wait for the threads that found it, free it. */
static void watch_free(struct pq_watch *w)
{
    pthread_mutex_lock(&watches_lock);
    struct pq_watch **p = &watches;
    while (*p != NULL && *p != w)
        p = &(*p)->next;
    if (*p == w)
        *p = w->next;
    while (w->users > 0)
        pthread_cond_wait(&w->idle, &watches_lock);
    pthread_mutex_unlock(&watches_lock);
    pthread_cond_destroy(&w->idle);
    pthread_mutex_destroy(&w->drain);
    free(w->buf);
    free(w);
}

struct pq_watch *pq_watch_start(mqd_t q, pq_watch_fn *fn, void *arg)
{
    if (fn == NULL) {
        errno = EINVAL;
        return NULL;
    }
    struct mq_attr attr;
    if (mq_getattr(q, &attr) < 0)
        return NULL;
    struct pq_watch *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->q = q;
    w->fn = fn;
    w->arg = arg;
    w->cap = (size_t)attr.mq_msgsize;
    w->buf = malloc(w->cap);
    if (w->buf == NULL) {
        free(w);
        return NULL;
    }
    int e = pthread_mutex_init(&w->drain, NULL);
    if (e == 0 && (e = pthread_cond_init(&w->idle, NULL)) != 0)
        pthread_mutex_destroy(&w->drain);
    if (e != 0) {
        free(w->buf);
        free(w);
        errno = e;
        return NULL;
    }
    pthread_mutex_lock(&watches_lock);
    w->id = ++last_watch_id;
    w->next = watches;
    watches = w;
    pthread_mutex_unlock(&watches_lock);
    /* Messages already waiting are never notified: register, then drain them. */
    pthread_mutex_lock(&w->drain);
    int r = watch_register(w);
    if (r == 0)
        r = watch_drain(w);
    int saved = errno;
    pthread_mutex_unlock(&w->drain);
    if (r < 0) {
        if (w->registered)
            pq_watch_stop(w);
        else
            watch_free(w); /* EBUSY: the registration is someone else's, keep it */
        errno = saved;
        return NULL;
    }
    return w;
}

int pq_watch_stop(struct pq_watch *w)
{
    if (w == NULL) {
        errno = EINVAL;
        return -1;
    }
    /* Under drain: a running fn finishes first, and no thread registers again. */
    pthread_mutex_lock(&w->drain);
    w->stopping = true;
    if (w->registered)
        (void)mq_notify(w->q, NULL); /* cancels ours; a used-up one is gone already */
    int error = w->error;
    pthread_mutex_unlock(&w->drain);
    watch_free(w);
    if (error != 0) {
        errno = error;
        return -1;
    }
    return 0;
}
