/*
 * msgqueues.h - lab 03: System V and POSIX message queues.
 *
 * Memory: a function that allocates a buffer (a struct with its mtype, room
 * for a POSIX message) frees it before it returns, on success and on
 * failure; pq_watch_stop frees what pq_watch_start allocated. The tests
 * count the heap blocks your code holds before and after a call. A function
 * that cannot allocate what it needs fails with ENOMEM before it touches
 * the queue: no message is sent, taken or lost.
 */
#ifndef IPCLAB_MSGQUEUES_H
#define IPCLAB_MSGQUEUES_H

#include <mqueue.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ===================================================================== */
/*  Provided: shared types                                               */
/* ===================================================================== */

/* What sysv_info reports about a System V queue (from msgctl IPC_STAT). */
struct sysv_info {
    size_t messages;   /* msg_qnum: messages waiting */
    size_t bytes;      /* __msg_cbytes: data bytes waiting (mtypes not counted) */
    size_t max_bytes;  /* msg_qbytes: capacity in data bytes (msgmnb by default) */
    pid_t last_sender; /* msg_lspid: pid of the last msgsnd, 0 if none */
};

/* One line of sysv_peek's listing: what a waiting message is, not its data. */
struct sysv_peek_entry {
    long type;   /* the message's mtype */
    size_t size; /* its data bytes (the mtype not counted) */
};

#define JOB_NAME_MAX 32
#define JOB_PRIO_MAX 9

/*
 * A job for the priority job queue. The same struct travels through both
 * implementations; what "priority" means differs, and that is the lesson:
 *   System V: priority is the mtype, and the queue hands out the LOWEST
 *             first (msgrcv with msgtyp = -JOB_PRIO_MAX);
 *   POSIX:    priority is the mq priority, and the queue hands out the
 *             HIGHEST first.
 * Within one priority both are first in, first out.
 */
struct job {
    int priority;            /* 1 .. JOB_PRIO_MAX */
    char name[JOB_NAME_MAX]; /* NUL-terminated */
};

/* The request/reply protocol over one System V queue (rr_call, rr_serve). */
#define RR_SERVER_TYPE 1L /* mtype of every request: the server reads only these */

enum rr_op {
    RR_SQUARE = 1,   /* reply with value * value */
    RR_SHUTDOWN = 2, /* stop rr_serve, no reply */
};

/* Request body (after the mtype, which is RR_SERVER_TYPE). */
struct rr_request {
    int op;     /* enum rr_op */
    pid_t pid;  /* the client: the reply's mtype */
    long value; /* the argument */
};

/* Reply body (after the mtype, which is the client's pid). */
struct rr_reply {
    long value;  /* copied from the request */
    long result; /* value * value */
};

/* ===================================================================== */
/*  Functions you implement (src/msgqueues.c)                            */
/* ===================================================================== */

/* ---- 1. System V queues: keys, creation, status, removal ---------------- */

/*
 * sysv_key - ftok(3): a key from an existing file and a project id.
 *
 * Returns the key, or -1 with errno set: EINVAL if path is NULL or the low 8
 * bits of proj are 0 (ftok uses only those bits), otherwise ftok's errno
 * (ENOENT if the file does not exist).
 */
key_t sysv_key(const char *path, int proj);

/*
 * sysv_create - get a System V message queue with permissions 0600.
 *
 * key IPC_PRIVATE always makes a new queue. For another key, the queue is
 * created if it does not exist; if it does, its id is returned, unless
 * exclusive is true, in which case that is an error (EEXIST).
 * The caller removes the queue with sysv_remove when done.
 *
 * Returns the queue id (>= 0), or -1 with errno set (EEXIST, or msgget's).
 */
int sysv_create(key_t key, bool exclusive);

/*
 * sysv_info - read a queue's counters with msgctl(IPC_STAT).
 *
 * Returns 0, or -1 with errno set: EINVAL if out is NULL or id is not a
 * queue, EIDRM if it was removed, otherwise msgctl's errno.
 */
int sysv_info(int id, struct sysv_info *out);

/*
 * sysv_remove - remove a queue with msgctl(IPC_RMID), at once: messages in
 * it are lost and processes blocked on it wake up with EIDRM.
 *
 * Returns 0, or -1 with errno set (EINVAL if id is not a queue).
 */
int sysv_remove(int id);

/* ---- 2. System V messages ----------------------------------------------- */

/*
 * sysv_send - send len bytes of data as one message of the given type.
 *
 * The message is an mtype (long) followed by the data; the size passed to
 * msgsnd(2) is len, the data only, never counting the mtype. With nowait, a
 * full queue is EAGAIN instead of blocking. EINTR is retried.
 *
 * Returns 0, or -1 with errno set: EINVAL if type < 1, data is NULL while
 * len > 0, or len is larger than the system's msgmax
 * (/proc/sys/kernel/msgmax); EAGAIN (queue full and nowait); EIDRM if the
 * queue was removed; ENOMEM; otherwise msgsnd's errno.
 */
int sysv_send(int id, long type, const void *data, size_t len, bool nowait);

/*
 * sysv_recv - receive one message, chosen by msgtyp as msgrcv(2) does:
 *   msgtyp == 0  the first message in the queue;
 *   msgtyp  > 0  the first message of that type (with MSG_EXCEPT: the first
 *                of any other type);
 *   msgtyp  < 0  the first message with the lowest type <= |msgtyp|.
 * flags is 0 or an OR of IPC_NOWAIT, MSG_NOERROR and MSG_EXCEPT.
 *
 * Up to cap data bytes are stored in buf; the message's type goes to *type
 * if type is not NULL. A message longer than cap is an error (E2BIG, and it
 * stays in the queue) unless MSG_NOERROR is given: then it is truncated to
 * cap bytes and the rest is lost. EINTR is retried.
 *
 * Returns the number of data bytes stored, or -1 with errno set: EINVAL for
 * other flags or buf NULL while cap > 0; ENOMSG if IPC_NOWAIT is given and
 * no message matches; E2BIG; EIDRM if the queue is removed while waiting;
 * ENOMEM if no buffer of cap bytes can be had; otherwise msgrcv's errno.
 * A message without data is received as 0 bytes, a success.
 */
ssize_t sysv_recv(int id, long msgtyp, void *buf, size_t cap, long *type, int flags);

/* ---- 3. POSIX queues ---------------------------------------------------- */

/*
 * pq_create - create a new POSIX message queue, opened for reading and
 * writing, in blocking mode.
 *
 * name must look like "/something": one leading '/', no other '/', at most
 * NAME_MAX characters after the slash. The queue must not exist (EEXIST).
 * maxmsg and msgsize become mq_maxmsg and mq_msgsize; both must be at least
 * 1 and at most the system limits read from /proc/sys/fs/mqueue/msg_max and
 * msgsize_max (checked here, before mq_open, so that the rule holds for
 * every user, privileged or not). The caller closes the queue (mq_close)
 * and removes the name (pq_remove).
 *
 * Returns the descriptor, or (mqd_t)-1 with errno set: EINVAL for a bad
 * name or attributes past the limits, EEXIST, otherwise mq_open's errno or
 * the errno of reading the limits.
 */
mqd_t pq_create(const char *name, long maxmsg, long msgsize);

/*
 * pq_remove - mq_unlink(name): the name goes at once, the queue itself when
 * the last descriptor on it is closed.
 *
 * Returns 0, or -1 with errno set: EINVAL if name is NULL, ENOENT if there
 * is no such queue, otherwise mq_unlink's errno.
 */
int pq_remove(const char *name);

/*
 * pq_send - mq_send one message of len bytes with priority prio.
 *
 * Blocks while the queue is full unless the descriptor is non-blocking.
 * EINTR is retried. Returns 0, or -1 with errno set: EMSGSIZE if len is
 * larger than the queue's mq_msgsize, EAGAIN if the queue is full and the
 * descriptor non-blocking, EINVAL if prio >= MQ_PRIO_MAX, otherwise
 * mq_send's errno.
 */
int pq_send(mqd_t q, const void *data, size_t len, unsigned prio);

/*
 * pq_receive - take the oldest message of the highest priority.
 *
 * timeout_ms < 0 waits as long as it takes (mq_receive); timeout_ms >= 0
 * waits at most that long (mq_timedreceive, whose deadline is an absolute
 * CLOCK_REALTIME time: now + timeout_ms, with tv_nsec carried into tv_sec as
 * in pq_send_timed). A non-blocking descriptor never waits. The message's
 * priority goes to *prio if prio is not NULL. EINTR is retried.
 *
 * Returns the message length, or -1 with errno set: EMSGSIZE if cap is
 * smaller than the queue's mq_msgsize (even when the message itself would
 * fit), ETIMEDOUT, EAGAIN (empty and non-blocking), otherwise the errno of
 * mq_receive or mq_timedreceive.
 */
ssize_t pq_receive(mqd_t q, void *buf, size_t cap, unsigned *prio, int timeout_ms);

/*
 * pq_set_nonblock - turn O_NONBLOCK on or off for this descriptor with
 * mq_getattr/mq_setattr (only mq_flags can change after creation).
 *
 * Returns the previous state (1 non-blocking, 0 blocking), or -1 with errno
 * set (EBADF for a bad descriptor).
 */
int pq_set_nonblock(mqd_t q, bool on);

/* ---- 4. mq_notify ------------------------------------------------------- */

/*
 * pq_notify_signal - ask for signal signo when a message arrives in the
 * empty queue q (mq_notify with SIGEV_SIGNAL; si_value carries the queue
 * descriptor). signo 0 cancels this process's registration instead.
 *
 * A registration is used up by the first notification: to hear about the
 * next message, register again (after emptying the queue). Only one process
 * can be registered per queue; a receiver blocked in mq_receive gets the
 * message first, and then no notification is sent.
 *
 * Returns 0, or -1 with errno set: EBUSY if a process is already registered,
 * EINVAL for a bad signo, EBADF for a bad descriptor.
 */
int pq_notify_signal(mqd_t q, int signo);

/*
 * pq_consume_notified - receive count messages from q, sleeping between
 * bursts until mq_notify says a message arrived in the empty queue.
 *
 * The caller has blocked signo (sigprocmask) so it stays pending until this
 * function takes it with sigtimedwait. The loop: register with
 * pq_notify_signal(q, signo); drain q without waiting (pq_receive with
 * timeout 0) until it is empty, because messages that were already there
 * never cause a notification; if count messages have arrived, stop; else
 * wait at most timeout_ms for signo, which also ends the registration, so
 * the next turn registers again. Before returning, the registration is
 * cancelled and a signo left pending is consumed. Messages past count that
 * a drain happens to take are counted too.
 *
 * Returns the number of messages received (>= count), or -1 with errno set:
 * ETIMEDOUT if no notification came within timeout_ms, EINVAL if count or
 * signo is < 1, otherwise the errno of the failed call.
 */
long pq_consume_notified(mqd_t q, int signo, long count, int timeout_ms);

/* ---- 5. The priority job queue, twice ----------------------------------- */

/*
 * jobq_sysv_push - send *j on System V queue id with mtype = j->priority.
 * jobq_sysv_pop  - receive the most urgent job, that is the one with the
 *                  LOWEST priority number (msgrcv msgtyp = -JOB_PRIO_MAX),
 *                  oldest first within a priority.
 *
 * pop waits for a job unless nowait is true (then ENOMSG when none).
 * Both return 0, or -1 with errno set: EINVAL if j is NULL or j->priority
 * is outside 1..JOB_PRIO_MAX (push), EIO if a message has the wrong size
 * (pop), otherwise the errno of msgsnd/msgrcv.
 */
int jobq_sysv_push(int id, const struct job *j);
int jobq_sysv_pop(int id, struct job *j, bool nowait);

/*
 * jobq_posix_push - mq_send *j on POSIX queue q with priority j->priority.
 * jobq_posix_pop  - receive the job with the HIGHEST priority, oldest first
 *                   within a priority. q's mq_msgsize may be larger than a
 *                   struct job: the receive buffer follows mq_msgsize.
 *
 * pop waits unless q is non-blocking (then EAGAIN when empty).
 * Both return 0, or -1 with errno set: EINVAL if j is NULL or j->priority
 * is outside 1..JOB_PRIO_MAX (push), EIO if a message is not exactly one
 * struct job (pop), ENOMEM, otherwise the errno of mq_send/mq_receive.
 */
int jobq_posix_push(mqd_t q, const struct job *j);
int jobq_posix_pop(mqd_t q, struct job *j);

/* ---- 6. Request/reply keyed by pid over one System V queue ------------- */

/*
 * rr_call - send {RR_SQUARE, getpid(), value} with mtype RR_SERVER_TYPE on
 * queue id, then wait for the reply whose mtype is this process's pid, so
 * that many clients can share the queue without taking each other's
 * answers. Stores the result in *result.
 *
 * Returns 0, or -1 with errno set: EINVAL if result is NULL, EIO if the
 * reply has the wrong size or another value, EIDRM if the queue is removed
 * while waiting, otherwise the errno of msgsnd/msgrcv.
 */
int rr_call(int id, long value, long *result);

/*
 * rr_serve - the server: receive only mtype RR_SERVER_TYPE messages on id,
 * answer each RR_SQUARE with mtype = the request's pid, skip unknown ops,
 * stop at RR_SHUTDOWN. A message that is no struct rr_request (shorter or
 * longer) never stops it: it is skipped, and so is a request whose pid is
 * below 2 (no reply can be typed for it: mtype 1 is RR_SERVER_TYPE's, and
 * an mtype must be > 0). It does not remove the queue (its creator does).
 *
 * Returns the number of requests answered, or -1 with errno set: EIDRM if
 * the queue is removed under it, otherwise the errno of msgrcv/msgsnd.
 */
long rr_serve(int id);

/* ---- 7. Peeking with MSG_COPY ----------------------------------------- */

/*
 * sysv_peek - list the messages waiting in queue id, oldest first, without
 * taking any: msgrcv(2) with MSG_COPY | IPC_NOWAIT copies the message at
 * position msgtyp (0 is the oldest; msgtyp is an index here, not a type)
 * and leaves the queue as it was: no message removed, msg_lrpid and
 * msg_rtime unchanged. ENOMSG means the position is past the last message.
 *
 * Stores the type and data size of the first max messages in out[0..max-1]
 * (out may be NULL when max is 0) and returns how many messages the queue
 * holds, which may be more than max: as with snprintf, a result larger than
 * max says the list was cut short. Every message is listed whatever its
 * size, up to msgmax (/proc/sys/kernel/msgmax) data bytes: MSG_COPY never
 * truncates (into a buffer too small it fails: E2BIG, or EINVAL when
 * MSG_NOERROR is given).
 * The list is a series of copies, not a snapshot: messages that other
 * processes send or take meanwhile may be missed or listed twice.
 *
 * MSG_COPY exists only in kernels built with CONFIG_CHECKPOINT_RESTORE
 * (most distributions' are); elsewhere msgrcv fails with ENOSYS, and so does
 * sysv_peek: nothing is stored and the queue is untouched (never fall back
 * to taking the messages and sending them again).
 *
 * Returns the number of messages (>= 0), or -1 with errno set: EINVAL if out
 * is NULL while max > 0, or id is not a queue; EIDRM if it was removed;
 * EACCES without read permission on it; ENOSYS as above; otherwise the errno
 * of msgrcv or of reading msgmax.
 */
ssize_t sysv_peek(int id, struct sysv_peek_entry *out, size_t max);

/* ---- 8. mq_timedsend --------------------------------------------------- */

/*
 * pq_send_timed - pq_send that waits at most timeout_ms milliseconds for
 * room in a full queue.
 *
 * mq_timedsend(3) takes its deadline as an absolute CLOCK_REALTIME time, so
 * the function turns timeout_ms into now + timeout_ms, with tv_nsec carried
 * into tv_sec to stay within 0 .. 999999999 (the call rejects any other
 * tv_nsec, 1000000000 included, with EINVAL, even when the queue has room).
 * The tests read "now" through the function's own clock_gettime, at
 * moments they choose (such as a tv_nsec that makes the sum exactly a
 * second). timeout_ms < 0 waits as long as it takes (like pq_send); 0 does
 * not wait at all. A non-blocking descriptor never waits. EINTR (a signal
 * handler ran) is retried with the same deadline, so signals never stretch
 * the wait.
 *
 * Returns 0, or -1 with errno set: ETIMEDOUT if the queue was still full at
 * the deadline; EAGAIN if it is full and the descriptor non-blocking;
 * EMSGSIZE if len is larger than mq_msgsize; EINVAL if prio >= MQ_PRIO_MAX;
 * EBADF if q is not open for writing; otherwise the errno of mq_timedsend,
 * mq_send or clock_gettime.
 */
int pq_send_timed(mqd_t q, const void *data, size_t len, unsigned prio, int timeout_ms);

/* ---- 9. mq_notify with SIGEV_THREAD ------------------------------------ */

/* What a watch calls for each message: its bytes (valid during the call
 * only), their number, its priority, and the arg given to pq_watch_start. */
typedef void pq_watch_fn(const char *msg, size_t len, unsigned prio, void *arg);

/* A watch on a POSIX queue. Its contents are yours: define the struct in
 * msgqueues.c. */
struct pq_watch;

/*
 * pq_watch_start - hand every message that arrives on q to fn, in a thread
 * started by mq_notify(3) with SIGEV_THREAD, while nobody blocks in
 * mq_receive.
 *
 * With sigev_notify = SIGEV_THREAD, the C library runs
 * sigev_notify_function(sigev_value) in a new thread when a message arrives
 * in the empty queue. A registration is used up by that one notification,
 * so the notified thread registers again first, then receives every message
 * waiting (without blocking) and hands each to fn. Messages already in the
 * queue when pq_watch_start is called never cause a notification: they are
 * handed to fn too. fn is never run by two threads at once, it gets the
 * messages in the order mq_receive returns them, and it must not call
 * pq_watch_stop. Every pthread_mutex_unlock and pthread_cond_wait of your
 * code must be made by the thread that holds the mutex: the tests check
 * each call (unlocking a mutex you do not hold is undefined behaviour, and
 * glibc lets it pass).
 *
 * q stays the caller's: it must be open for reading and stay open until
 * pq_watch_stop has returned; the watch never closes it. A queue has at
 * most one registration, system-wide: a second one, by another process or
 * by this one (another watch, pq_notify_signal), fails with EBUSY.
 *
 * Returns the watch, to be ended with pq_watch_stop, or NULL with errno
 * set: EINVAL if fn is NULL; EBUSY as above; EBADF if q is not an open
 * queue; ENOMEM; otherwise the errno of mq_getattr, mq_notify, mq_receive
 * or the thread functions. On failure nothing is left registered.
 */
struct pq_watch *pq_watch_start(mqd_t q, pq_watch_fn *fn, void *arg);

/*
 * pq_watch_stop - end a watch: cancel its registration, wait until no
 * thread of the watch is running fn, and free it. Once it has returned, fn
 * is not called again, no thread touches the watch (not even a notification
 * already on its way), and q may be closed; messages that arrive later stay
 * in the queue.
 *
 * Returns 0, or -1 with errno set: EINVAL if w is NULL (nothing else is
 * done); otherwise the first error a notification thread met, after which
 * it delivered nothing more (EBUSY: another process registered on q between
 * a notification and the re-registration). The watch is freed either way.
 */
int pq_watch_stop(struct pq_watch *w);

#endif /* IPCLAB_MSGQUEUES_H */
