/* test_msgqueues.c - Criterion tests for lab 03 (System V and POSIX message queues). */
#include "ipclab_shim.h"
#include "ipclab_test.h"
#include "msgqueues.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- cleanup: every queue a test makes is removed, pass or fail -------- */

static int sysv_ids[32];
static int n_sysv;
static char mq_names[8][96];
static int n_names;
static mqd_t mq_fds[8];
static int n_fds;

/* Remember a System V queue id so that .fini removes it. */
static int track_id(int id)
{
    if (id >= 0 && n_sysv < 32)
        sysv_ids[n_sysv++] = id;
    return id;
}

static mqd_t track_mqd(mqd_t q)
{
    if (q != (mqd_t)-1 && n_fds < 8)
        mq_fds[n_fds++] = q;
    return q;
}

/* A fresh POSIX queue name, unlinked by .fini. */
static const char *mq_name(const char *tag)
{
    cr_assert_lt(n_names, 8);
    return ipct_name(mq_names[n_names++], sizeof mq_names[0], "/", tag);
}

/* Close, unlink and remove everything tracked (also run as each suite's .fini). */
static void cleanup(void)
{
    for (int i = 0; i < n_fds; i++)
        mq_close(mq_fds[i]);
    for (int i = 0; i < n_names; i++)
        mq_unlink(mq_names[i]);
    for (int i = 0; i < n_sysv; i++)
        msgctl(sysv_ids[i], IPC_RMID, NULL);
    n_fds = n_names = n_sysv = 0;
}

TestSuite(sysv_queue, .timeout = 10, .fini = cleanup);
TestSuite(sysv_msg, .timeout = 10, .fini = cleanup);
TestSuite(posix, .timeout = 10, .fini = cleanup);
TestSuite(notify, .timeout = 10, .fini = cleanup);
TestSuite(jobq, .timeout = 10, .fini = cleanup);
TestSuite(rr, .timeout = 20, .fini = cleanup);

/* ---- helpers ----------------------------------------------------------- */

/* A private System V queue made by the test itself (not by student code). */
static int raw_queue(void)
{
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    cr_assert_geq(id, 0, "msgget: %s", strerror(errno));
    return track_id(id);
}

struct raw_msg {
    long mtype;
    char mtext[256];
};

static void raw_send(int id, long type, const char *text)
{
    struct raw_msg m = {.mtype = type};
    size_t len = strlen(text);
    memcpy(m.mtext, text, len);
    cr_assert_eq(msgsnd(id, &m, len, IPC_NOWAIT), 0, "msgsnd: %s", strerror(errno));
}

static struct msqid_ds raw_stat(int id)
{
    struct msqid_ds ds;
    cr_assert_eq(msgctl(id, IPC_STAT, &ds), 0, "msgctl IPC_STAT: %s", strerror(errno));
    return ds;
}

/* A POSIX queue made by the test itself, opened O_RDWR, blocking. */
static mqd_t raw_mq(const char *name, long maxmsg, long msgsize)
{
    struct mq_attr attr = {.mq_maxmsg = maxmsg, .mq_msgsize = msgsize};
    mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
    cr_assert_neq(q, (mqd_t)-1, "mq_open '%s': %s", name, strerror(errno));
    return track_mqd(q);
}

static long proc_limit(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot read %s", path);
    long v = -1;
    cr_assert_eq(fscanf(f, "%ld", &v), 1);
    fclose(f);
    return v;
}

/* ---- 1. sysv_queue ----------------------------------------------------- */

static void make_file(char *path, size_t len, const char *tag)
{
    char name[64];
    ipct_path(path, len, ipct_name(name, sizeof name, "", tag));
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0);
    close(fd);
}

Test(sysv_queue, key_comes_from_ftok)
{
    char path[256];
    make_file(path, sizeof path, "keyfile");
    key_t k = sysv_key(path, 'Q');
    cr_assert_neq(k, (key_t)-1, "sysv_key failed: %s", strerror(errno));
    cr_assert_eq(k, ftok(path, 'Q'), "the key must be ftok(path, proj)");
    cr_assert_neq(sysv_key(path, 'R'), k, "another project id gives another key");
    unlink(path);
}

Test(sysv_queue, key_errors)
{
    char path[256], name[64];
    ipct_path(path, sizeof path, ipct_name(name, sizeof name, "", "absent"));
    errno = 0;
    cr_assert_eq(sysv_key(path, 'Q'), (key_t)-1);
    cr_assert_eq(errno, ENOENT, "missing file: errno should be ENOENT, got %s",
                 strerror(errno));
    make_file(path, sizeof path, "keyfile");
    errno = 0;
    cr_assert_eq(sysv_key(path, 0), (key_t)-1, "proj 0 must be rejected");
    cr_assert_eq(errno, EINVAL, "errno should be EINVAL, got %s", strerror(errno));
    errno = 0;
    cr_assert_eq(sysv_key(path, 0x100), (key_t)-1, "ftok uses 8 bits: 0x100 is 0");
    cr_assert_eq(errno, EINVAL);
    unlink(path);
}

Test(sysv_queue, private_queues_are_distinct)
{
    int a = track_id(sysv_create(IPC_PRIVATE, false));
    int b = track_id(sysv_create(IPC_PRIVATE, false));
    cr_assert_geq(a, 0, "sysv_create(IPC_PRIVATE) failed: %s", strerror(errno));
    cr_assert_geq(b, 0);
    cr_assert_neq(a, b, "IPC_PRIVATE must make a new queue every time");
    struct msqid_ds ds = raw_stat(a);
    cr_assert_eq(ds.msg_perm.mode & 0777, 0600, "permissions should be 0600, got %o",
                 ds.msg_perm.mode & 0777);
}

Test(sysv_queue, same_key_same_queue)
{
    key_t k = ipct_key();
    int a = track_id(sysv_create(k, false));
    cr_assert_geq(a, 0, "sysv_create failed: %s", strerror(errno));
    int b = track_id(sysv_create(k, false));
    cr_assert_eq(a, b, "the same key must find the same queue (%d vs %d)", a, b);
}

Test(sysv_queue, exclusive_existing_is_eexist)
{
    key_t k = ipct_key();
    int a = track_id(sysv_create(k, true));
    cr_assert_geq(a, 0, "the first exclusive create must work: %s", strerror(errno));
    errno = 0;
    int b = track_id(sysv_create(k, true));
    cr_assert_eq(b, -1, "IPC_CREAT | IPC_EXCL on an existing key must fail");
    cr_assert_eq(errno, EEXIST, "errno should be EEXIST, got %s", strerror(errno));
}

Test(sysv_queue, info_counts_data_bytes)
{
    int id = raw_queue();
    raw_send(id, 1, "0123456789");
    raw_send(id, 2, "abcde");
    struct sysv_info info = {0};
    cr_assert_eq(sysv_info(id, &info), 0, "sysv_info failed: %s", strerror(errno));
    cr_assert_eq(info.messages, 2);
    cr_assert_eq(info.bytes, 15, "15 data bytes (mtypes are not counted), got %zu",
                 info.bytes);
    long mnb = proc_limit("/proc/sys/kernel/msgmnb");
    cr_assert_eq(info.max_bytes, (size_t)mnb, "a new queue holds msgmnb = %ld bytes",
                 mnb);
    cr_assert_eq(info.last_sender, getpid());
    errno = 0;
    cr_assert_eq(sysv_info(id, NULL), -1);
    cr_assert_eq(errno, EINVAL);
}

Test(sysv_queue, remove_makes_it_gone)
{
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    cr_assert_geq(id, 0);
    int r = sysv_remove(id);
    if (r != 0)
        track_id(id);
    cr_assert_eq(r, 0, "sysv_remove failed: %s", strerror(errno));
    struct msqid_ds ds;
    cr_assert_eq(msgctl(id, IPC_STAT, &ds), -1, "the queue still exists");
    errno = 0;
    cr_assert_eq(sysv_remove(id), -1, "removing twice must fail");
    cr_assert(errno == EINVAL || errno == EIDRM, "errno should be EINVAL, got %s",
              strerror(errno));
    struct sysv_info info;
    cr_assert_eq(sysv_info(id, &info), -1);
}

Test(sysv_queue, remove_wakes_blocked_receiver)
{
    int id = raw_queue();
    pid_t pid = ipct_fork();
    if (pid == 0) {
        struct raw_msg m;
        ssize_t n = msgrcv(id, &m, sizeof m.mtext, 0, 0);
        _exit(n < 0 && errno == EIDRM ? 0 : 1);
    }
    bool waiting = ipct_blocked_in(pid, SYS_msgrcv, 5000);
    int r = waiting ? sysv_remove(id) : -1;
    if (r != 0)
        ipct_stop_child(pid);
    cr_assert(waiting, "the receiver never blocked in msgrcv");
    cr_assert_eq(r, 0, "sysv_remove failed: %s", strerror(errno));
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0, "the blocked receiver did not get EIDRM");
}

/* ---- 2. sysv_msg ------------------------------------------------------- */

/* $begin size_excludes_mtype */
Test(sysv_msg, size_excludes_mtype)
{
    int id = raw_queue();
    cr_assert_eq(sysv_send(id, 7, "hello", 5, false), 0, "sysv_send failed: %s",
                 strerror(errno));
    struct msqid_ds ds = raw_stat(id);
    cr_assert_eq(ds.msg_qnum, 1);
    cr_assert_eq(ds.__msg_cbytes, 5,
                 "msgsnd's size is the data only: expected 5, got %lu",
                 (unsigned long)ds.__msg_cbytes);
    struct raw_msg m;
    cr_assert_eq(msgrcv(id, &m, 5, 0, IPC_NOWAIT), 5);
    cr_assert_eq(m.mtype, 7);
    cr_assert_eq(memcmp(m.mtext, "hello", 5), 0);
}
/* $end size_excludes_mtype */

Test(sysv_msg, recv_returns_data_and_type)
{
    int id = raw_queue();
    raw_send(id, 3, "abc");
    char buf[16] = {0};
    long type = 0;
    ssize_t n = sysv_recv(id, 0, buf, sizeof buf, &type, 0);
    cr_assert_eq(n, 3, "expected 3 data bytes, got %zd (%s)", n, strerror(errno));
    cr_assert_eq(type, 3);
    cr_assert_str_eq(buf, "abc");
}

/* Receive one message with sysv_recv and check its type and text. */
static void expect_msg(int id, long msgtyp, int flags, long want_type, const char *want)
{
    char buf[64] = {0};
    long type = 0;
    ssize_t n = sysv_recv(id, msgtyp, buf, sizeof buf - 1, &type, flags);
    cr_assert_eq(n, (ssize_t)strlen(want),
                 "msgtyp %ld: expected \"%s\", got %zd bytes (%s)", msgtyp, want, n,
                 n < 0 ? strerror(errno) : buf);
    cr_assert_eq(type, want_type, "msgtyp %ld: expected type %ld, got %ld", msgtyp,
                 want_type, type);
    cr_assert_str_eq(buf, want);
}

Test(sysv_msg, msgtyp_zero_takes_first)
{
    int id = raw_queue();
    raw_send(id, 3, "three");
    raw_send(id, 1, "one");
    expect_msg(id, 0, 0, 3, "three");
    expect_msg(id, 0, 0, 1, "one");
}

Test(sysv_msg, msgtyp_positive_takes_that_type)
{
    int id = raw_queue();
    raw_send(id, 3, "three");
    raw_send(id, 1, "one");
    raw_send(id, 2, "two");
    expect_msg(id, 2, 0, 2, "two");
    expect_msg(id, 1, 0, 1, "one");
    cr_assert_eq(raw_stat(id).msg_qnum, 1);
}

Test(sysv_msg, msgtyp_negative_takes_lowest)
{
    int id = raw_queue();
    raw_send(id, 3, "three");
    raw_send(id, 1, "one");
    raw_send(id, 2, "two");
    raw_send(id, 1, "one again");
    expect_msg(id, -2, 0, 1, "one");
    expect_msg(id, -2, 0, 1, "one again");
    expect_msg(id, -2, 0, 2, "two");
    errno = 0;
    char buf[16];
    cr_assert_eq(sysv_recv(id, -2, buf, sizeof buf, NULL, IPC_NOWAIT), -1,
                 "only type 3 is left, above |-2|");
    cr_assert_eq(errno, ENOMSG);
}

Test(sysv_msg, msg_except_skips_type)
{
    int id = raw_queue();
    raw_send(id, 1, "a");
    raw_send(id, 1, "b");
    raw_send(id, 2, "c");
    expect_msg(id, 1, MSG_EXCEPT, 2, "c");
    cr_assert_eq(raw_stat(id).msg_qnum, 2);
}

Test(sysv_msg, nowait_empty_is_enomsg)
{
    int id = raw_queue();
    char buf[8];
    errno = 0;
    cr_assert_eq(sysv_recv(id, 0, buf, sizeof buf, NULL, IPC_NOWAIT), -1);
    cr_assert_eq(errno, ENOMSG, "errno should be ENOMSG, got %s", strerror(errno));
    raw_send(id, 4, "x");
    errno = 0;
    cr_assert_eq(sysv_recv(id, 5, buf, sizeof buf, NULL, IPC_NOWAIT), -1,
                 "no message of type 5");
    cr_assert_eq(errno, ENOMSG);
}

Test(sysv_msg, too_big_is_e2big_and_kept)
{
    int id = raw_queue();
    raw_send(id, 1, "0123456789");
    char buf[4];
    errno = 0;
    cr_assert_eq(sysv_recv(id, 0, buf, sizeof buf, NULL, IPC_NOWAIT), -1,
                 "10 bytes do not fit in 4 without MSG_NOERROR");
    cr_assert_eq(errno, E2BIG, "errno should be E2BIG, got %s", strerror(errno));
    cr_assert_eq(raw_stat(id).msg_qnum, 1, "the message must stay in the queue");
}

Test(sysv_msg, noerror_truncates)
{
    int id = raw_queue();
    raw_send(id, 1, "0123456789");
    char buf[4];
    ssize_t n = sysv_recv(id, 0, buf, sizeof buf, NULL, IPC_NOWAIT | MSG_NOERROR);
    cr_assert_eq(n, 4, "MSG_NOERROR truncates to cap: expected 4, got %zd (%s)", n,
                 strerror(errno));
    cr_assert_eq(memcmp(buf, "0123", 4), 0);
    cr_assert_eq(raw_stat(id).msg_qnum, 0, "the rest of the message is discarded");
}

Test(sysv_msg, send_errors_are_einval)
{
    int id = raw_queue();
    errno = 0;
    cr_assert_eq(sysv_send(id, 0, "x", 1, true), -1, "mtype must be > 0");
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_eq(sysv_send(id, -3, "x", 1, true), -1, "mtype must be > 0");
    cr_assert_eq(errno, EINVAL);
    long msgmax = proc_limit("/proc/sys/kernel/msgmax");
    char *big = calloc(1, (size_t)msgmax + 1);
    cr_assert_not_null(big);
    errno = 0;
    int r = sysv_send(id, 1, big, (size_t)msgmax + 1, true);
    int err = errno;
    free(big);
    cr_assert_eq(r, -1, "a message of msgmax + 1 = %ld bytes must be refused",
                 msgmax + 1);
    cr_assert_eq(err, EINVAL, "errno should be EINVAL, got %s", strerror(err));
    cr_assert_eq(raw_stat(id).msg_qnum, 0);
}

Test(sysv_msg, full_queue_nowait_is_eagain)
{
    int id = raw_queue();
    struct msqid_ds ds = raw_stat(id);
    ds.msg_qbytes = 64; /* lowering the capacity needs no privilege */
    cr_assert_eq(msgctl(id, IPC_SET, &ds), 0, "IPC_SET: %s", strerror(errno));
    char data[40] = {0};
    cr_assert_eq(sysv_send(id, 1, data, sizeof data, true), 0, "%s", strerror(errno));
    errno = 0;
    cr_assert_eq(sysv_send(id, 1, data, sizeof data, true), -1,
                 "80 bytes do not fit in 64: a nowait send must fail");
    cr_assert_eq(errno, EAGAIN, "errno should be EAGAIN, got %s", strerror(errno));
}

Test(sysv_msg, bad_flags_are_einval)
{
    int id = raw_queue();
    raw_send(id, 1, "x");
    char buf[8];
    errno = 0;
    cr_assert_eq(sysv_recv(id, 0, buf, sizeof buf, NULL, 040000 /* MSG_COPY */), -1);
    cr_assert_eq(errno, EINVAL,
                 "only IPC_NOWAIT, MSG_NOERROR and MSG_EXCEPT are allowed");
    cr_assert_eq(raw_stat(id).msg_qnum, 1);
}

/*
 * The shim makes the first blocking msgsnd and msgrcv fail with EINTR (a
 * signal handler ran while they waited): neither is an error.
 */
Test(sysv_msg, send_and_recv_retry_eintr)
{
    int id = raw_queue();
    ipct_fault_fail("msgsnd", 1, EINTR);
    ipct_fault_fail("msgrcv", 1, EINTR);
    cr_assert_eq(sysv_send(id, 4, "abc", 3, false), 0,
                 "sysv_send failed (%s): the test made msgsnd fail with EINTR, retry it",
                 strerror(errno));
    cr_assert_eq(raw_stat(id).msg_qnum, 1, "the message is not in the queue");
    char buf[8] = {0};
    long type = 0;
    ssize_t n = sysv_recv(id, 0, buf, sizeof buf, &type, 0);
    cr_assert_eq(n, 3,
                 "sysv_recv returned %zd (%s): the test made msgrcv fail with EINTR, "
                 "retry it",
                 n, n < 0 ? strerror(errno) : "no error");
    cr_assert_str_eq(buf, "abc");
    cr_assert_eq(type, 4);
}

/*
 * A message may carry no data at all: msgrcv then returns 0, a success.
 * After an EINTR (injected by the shim) the retry takes the empty message,
 * and errno still says EINTR: only -1 is a failure, so the loop must stop.
 */
Test(sysv_msg, empty_message_after_eintr)
{
    int id = raw_queue();
    struct raw_msg m = {.mtype = 1};
    cr_assert_eq(msgsnd(id, &m, 0, IPC_NOWAIT), 0, "msgsnd: %s", strerror(errno));
    raw_send(id, 2, "x");
    ipct_fault_fail("msgrcv", 1, EINTR);
    char buf[8];
    long type = 0;
    ssize_t n = sysv_recv(id, 0, buf, sizeof buf, &type, 0);
    cr_assert_eq(n, 0,
                 "the first message has no data: sysv_recv must return 0, got %zd (%s, "
                 "type %ld); only -1 is an error (the test made msgrcv fail with EINTR "
                 "first, and errno keeps EINTR after the retry succeeds)",
                 n, n < 0 ? strerror(errno) : "no error", type);
    cr_assert_eq(type, 1);
    cr_assert_eq(raw_stat(id).msg_qnum, 1, "only the empty message may be taken");
}

/*
 * No process can hold a buffer of 2^62 bytes: such a send or receive fails
 * (EINVAL or ENOMEM for the send, ENOMEM or ENOMSG for a receive on an empty
 * queue) and never reports success. data and buf are small: a call that
 * fails as it must never touches them past their end.
 */
Test(sysv_msg, impossible_sizes_fail)
{
    int id = raw_queue();
    char buf[8] = "data";
    size_t huge = (size_t)1 << 62;
    errno = 0;
    int r = sysv_send(id, 1, buf, huge, true);
    int err = errno;
    cr_assert_eq(r, -1, "a message of 2^62 bytes cannot be sent: sysv_send returned %d",
                 r);
    cr_assert(err == EINVAL || err == ENOMEM, "errno should be EINVAL or ENOMEM, got %s",
              strerror(err));
    errno = 0;
    ssize_t n = sysv_recv(id, 0, buf, huge, NULL, IPC_NOWAIT);
    err = errno;
    cr_assert_eq(n, -1,
                 "the queue is empty and no buffer of 2^62 bytes can be made: sysv_recv "
                 "returned %zd",
                 n);
    cr_assert(err == ENOMEM || err == ENOMSG, "errno should be ENOMEM or ENOMSG, got %s",
              strerror(err));
    cr_assert_eq(raw_stat(id).msg_qnum, 0);
}

/* ---- 3. posix ---------------------------------------------------------- */

Test(posix, create_sets_attributes)
{
    const char *name = mq_name("attr");
    mqd_t q = track_mqd(pq_create(name, 4, 128));
    cr_assert_neq(q, (mqd_t)-1, "pq_create failed: %s", strerror(errno));
    struct mq_attr attr;
    cr_assert_eq(mq_getattr(q, &attr), 0);
    cr_assert_eq(attr.mq_maxmsg, 4);
    cr_assert_eq(attr.mq_msgsize, 128);
    cr_assert_eq(attr.mq_curmsgs, 0);
    cr_assert_eq(attr.mq_flags & O_NONBLOCK, 0, "the queue should be blocking");
    cr_assert_eq(mq_send(q, "x", 1, 0), 0, "the queue must be open for writing");
    char buf[128];
    cr_assert_eq(mq_receive(q, buf, sizeof buf, NULL), 1, "and for reading");
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(posix, bad_names_are_einval)
{
    char longname[NAME_MAX + 3];
    longname[0] = '/';
    memset(longname + 1, 'n', NAME_MAX + 1);
    longname[NAME_MAX + 2] = '\0';
    const char *bad[] = {"noslash", "/a/b", "/", longname};
    for (int i = 0; i < 4; i++) {
        errno = 0;
        mqd_t q = track_mqd(pq_create(bad[i], 2, 16));
        cr_assert_eq(q, (mqd_t)-1, "\"%.20s\" is not a valid queue name", bad[i]);
        cr_assert_eq(errno, EINVAL, "\"%.20s\": errno should be EINVAL, got %s", bad[i],
                     strerror(errno));
    }
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(posix, existing_is_eexist)
{
    const char *name = mq_name("twice");
    raw_mq(name, 2, 16);
    errno = 0;
    mqd_t q = track_mqd(pq_create(name, 2, 16));
    cr_assert_eq(q, (mqd_t)-1, "the queue exists: pq_create must fail");
    cr_assert_eq(errno, EEXIST, "errno should be EEXIST, got %s", strerror(errno));
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(posix, limits_past_proc_are_einval)
{
    long msg_max = proc_limit("/proc/sys/fs/mqueue/msg_max");
    long msgsize_max = proc_limit("/proc/sys/fs/mqueue/msgsize_max");
    const char *name = mq_name("limits");
    struct {
        long maxmsg, msgsize;
    } bad[] = {{msg_max + 1, 16}, {1, msgsize_max + 1}, {0, 16}, {2, 0}};
    for (int i = 0; i < 4; i++) {
        errno = 0;
        mqd_t q = track_mqd(pq_create(name, bad[i].maxmsg, bad[i].msgsize));
        cr_assert_eq(q, (mqd_t)-1,
                     "maxmsg %ld, msgsize %ld is past the limits (%ld, %ld)",
                     bad[i].maxmsg, bad[i].msgsize, msg_max, msgsize_max);
        cr_assert_eq(errno, EINVAL, "errno should be EINVAL, got %s", strerror(errno));
    }
    mqd_t q = track_mqd(pq_create(name, msg_max, 16));
    cr_assert_neq(q, (mqd_t)-1, "maxmsg = msg_max (%ld) is allowed: %s", msg_max,
                  strerror(errno));
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/* The limits are inclusive: 1, msg_max, msgsize_max and a name of NAME_MAX
 * characters are all allowed. */
Test(posix, limits_are_inclusive)
{
    long msg_max = proc_limit("/proc/sys/fs/mqueue/msg_max");
    long msgsize_max = proc_limit("/proc/sys/fs/mqueue/msgsize_max");
    struct {
        long maxmsg, msgsize;
    } ok[] = {{1, 1}, {msg_max, 1}, {1, msgsize_max}};
    for (int i = 0; i < 3; i++) {
        const char *name = mq_name("edge");
        mqd_t q = track_mqd(pq_create(name, ok[i].maxmsg, ok[i].msgsize));
        cr_assert_neq(
            q, (mqd_t)-1,
            "maxmsg %ld, msgsize %ld is within the limits (1 .. %ld, 1 .. %ld): "
            "%s",
            ok[i].maxmsg, ok[i].msgsize, msg_max, msgsize_max, strerror(errno));
        struct mq_attr attr;
        cr_assert_eq(mq_getattr(q, &attr), 0);
        cr_assert_eq(attr.mq_maxmsg, ok[i].maxmsg);
        cr_assert_eq(attr.mq_msgsize, ok[i].msgsize);
    }
    /* A unique name padded to NAME_MAX characters after the '/'. */
    char *name = mq_names[n_names];
    mq_name("long");
    size_t len = strlen(name);
    cr_assert_lt(len, sizeof mq_names[0]);
    char longname[NAME_MAX + 2];
    memcpy(longname, name, len);
    memset(longname + len, 'n', NAME_MAX + 1 - len);
    longname[NAME_MAX + 1] = '\0';
    mqd_t q = track_mqd(pq_create(longname, 2, 16));
    if (q != (mqd_t)-1)
        mq_unlink(longname);
    cr_assert_neq(q, (mqd_t)-1,
                  "a name of NAME_MAX (%d) characters after the '/' is "
                  "allowed: %s",
                  NAME_MAX, strerror(errno));
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(posix, bad_arguments)
{
    IPCT_ASSERT_FAILS(EINVAL, pq_remove(NULL), "pq_remove(NULL) must fail");
    IPCT_ASSERT_FAILS(EBADF, pq_set_nonblock((mqd_t)-1, true),
                      "-1 is no queue descriptor: pq_set_nonblock must fail");
    IPCT_ASSERT_FAILS(EBADF, pq_set_nonblock((mqd_t)-1, false),
                      "-1 is no queue descriptor: pq_set_nonblock must fail");
}

Test(posix, remove_unlinks_the_name)
{
    const char *name = mq_name("rm");
    errno = 0;
    cr_assert_eq(pq_remove(name), -1, "no such queue yet");
    cr_assert_eq(errno, ENOENT, "errno should be ENOENT, got %s", strerror(errno));
    mqd_t q = raw_mq(name, 2, 16);
    cr_assert_eq(pq_remove(name), 0, "pq_remove failed: %s", strerror(errno));
    cr_assert_eq(mq_open(name, O_RDWR), (mqd_t)-1, "the name is still there");
    cr_assert_eq(errno, ENOENT);
    /* An open descriptor keeps the queue itself alive. */
    cr_assert_eq(mq_send(q, "still", 5, 0), 0);
    char buf[16];
    cr_assert_eq(mq_receive(q, buf, sizeof buf, NULL), 5);
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(posix, highest_priority_first)
{
    mqd_t q = raw_mq(mq_name("prio"), 8, 32);
    cr_assert_eq(mq_send(q, "p1", 2, 1), 0);
    cr_assert_eq(mq_send(q, "p5", 2, 5), 0);
    cr_assert_eq(mq_send(q, "p3", 2, 3), 0);
    cr_assert_eq(mq_send(q, "p5b", 3, 5), 0);
    const char *want[] = {"p5", "p5b", "p3", "p1"};
    unsigned want_prio[] = {5, 5, 3, 1};
    for (int i = 0; i < 4; i++) {
        char buf[32] = {0};
        unsigned prio = 99;
        ssize_t n = pq_receive(q, buf, sizeof buf, &prio, -1);
        cr_assert_eq(n, (ssize_t)strlen(want[i]), "message %d: got %zd (%s)", i, n,
                     strerror(errno));
        cr_assert_str_eq(buf, want[i]);
        cr_assert_eq(prio, want_prio[i]);
    }
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(posix, send_uses_priority)
{
    mqd_t q = raw_mq(mq_name("send"), 4, 16);
    cr_assert_eq(pq_send(q, "low", 3, 2), 0, "pq_send failed: %s", strerror(errno));
    cr_assert_eq(pq_send(q, "high", 4, 7), 0);
    char buf[16] = {0};
    unsigned prio;
    cr_assert_eq(mq_receive(q, buf, sizeof buf, &prio), 4);
    cr_assert_eq(prio, 7);
    cr_assert_str_eq(buf, "high");
    errno = 0;
    char big[17] = {0};
    cr_assert_eq(pq_send(q, big, sizeof big, 0), -1, "17 bytes > mq_msgsize 16");
    cr_assert_eq(errno, EMSGSIZE, "errno should be EMSGSIZE, got %s", strerror(errno));
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(posix, small_buffer_is_emsgsize)
{
    mqd_t q = raw_mq(mq_name("small"), 2, 64);
    cr_assert_eq(mq_send(q, "tiny", 4, 0), 0);
    char buf[10];
    errno = 0;
    cr_assert_eq(pq_receive(q, buf, sizeof buf, NULL, 0), -1,
                 "the buffer must hold mq_msgsize (64) bytes, even for a 4-byte message");
    cr_assert_eq(errno, EMSGSIZE, "errno should be EMSGSIZE, got %s", strerror(errno));
    struct mq_attr attr;
    cr_assert_eq(mq_getattr(q, &attr), 0);
    cr_assert_eq(attr.mq_curmsgs, 1, "the message must stay in the queue");
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* expect_timed_out - a timed call that saw nothing arrive returned n with errno err:
 * they must be -1 and ETIMEDOUT (why follows the errno in the failure message). */
static void expect_timed_out(long n, int err, const char *why)
{
    cr_assert_eq(n, -1, "nothing arrives: the call must time out");
    cr_assert_eq(err, ETIMEDOUT, "errno should be ETIMEDOUT, got %s%s", strerror(err),
                 why);
}

Test(posix, timed_receive_times_out)
{
    mqd_t q = raw_mq(mq_name("timed"), 2, 16);
    char buf[16];
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    errno = 0;
    ssize_t n = pq_receive(q, buf, sizeof buf, NULL, 150);
    long elapsed = ms_since(&t0);
    cr_assert_eq(n, -1, "an empty queue: the receive must time out");
    cr_assert_eq(errno, ETIMEDOUT, "errno should be ETIMEDOUT, got %s", strerror(errno));
    cr_assert_geq(elapsed, 140, "returned after %ld ms, before the 150 ms timeout",
                  elapsed);
    cr_assert_eq(mq_send(q, "now", 3, 0), 0);
    cr_assert_eq(pq_receive(q, buf, sizeof buf, NULL, 5000), 3,
                 "a waiting message comes at once");
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/*
 * A deadline of exactly a whole second. The test's clock plan (shim,
 * ipct_clock_at_nsec) makes the function's clock_gettime(CLOCK_REALTIME)
 * return 900000000 ns past a second: now + 100 ms has tv_nsec 1000000000,
 * which must be carried into tv_sec. Left there, mq_timedreceive rejects it
 * with EINVAL at once instead of waiting out the timeout.
 */
Test(posix, timed_receive_whole_second)
{
    mqd_t q = raw_mq(mq_name("whole"), 2, 16);
    char buf[16];
    ipct_clock_at_nsec(CLOCK_REALTIME, 900000000L);
    errno = 0;
    ssize_t n = pq_receive(q, buf, sizeof buf, NULL, 100);
    int err = errno;
    ipct_fault_clear();
    expect_timed_out(n, err,
                     " (EINVAL: a tv_nsec of exactly 1000000000 must be carried into "
                     "tv_sec too)");
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(posix, nonblock_empty_is_eagain)
{
    mqd_t q = raw_mq(mq_name("nb"), 2, 16);
    cr_assert_eq(pq_set_nonblock(q, true), 0, "it was blocking: expected 0 (%s)",
                 strerror(errno));
    struct mq_attr attr;
    cr_assert_eq(mq_getattr(q, &attr), 0);
    cr_assert_neq(attr.mq_flags & O_NONBLOCK, 0, "mq_flags lacks O_NONBLOCK");
    char buf[16];
    errno = 0;
    cr_assert_eq(pq_receive(q, buf, sizeof buf, NULL, -1), -1);
    cr_assert_eq(errno, EAGAIN, "errno should be EAGAIN, got %s", strerror(errno));
    cr_assert_eq(pq_set_nonblock(q, false), 1, "it was non-blocking: expected 1");
    cr_assert_eq(mq_getattr(q, &attr), 0);
    cr_assert_eq(attr.mq_flags & O_NONBLOCK, 0);
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(posix, nonblock_full_send_is_eagain)
{
    mqd_t q = raw_mq(mq_name("full"), 2, 16);
    struct mq_attr nb = {.mq_flags = O_NONBLOCK};
    cr_assert_eq(mq_setattr(q, &nb, NULL), 0);
    cr_assert_eq(pq_send(q, "1", 1, 0), 0, "%s", strerror(errno));
    cr_assert_eq(pq_send(q, "2", 1, 0), 0, "%s", strerror(errno));
    errno = 0;
    cr_assert_eq(pq_send(q, "3", 1, 0), -1, "mq_maxmsg is 2: the third send must fail");
    cr_assert_eq(errno, EAGAIN, "errno should be EAGAIN, got %s", strerror(errno));
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/*
 * The shim makes the first blocking mq_send fail with EINTR, and every second
 * blocking receive (the first of each pq_receive call below): a signal
 * handler ran while they waited. Neither is an error.
 */
Test(posix, send_and_receive_retry_eintr)
{
    mqd_t q = raw_mq(mq_name("eintr"), 4, 16);
    ipct_fault_fail("mq_send mq_timedsend", 1, EINTR);
    ipct_fault_add(&(struct ipct_fault){
        .calls = "mq_receive mq_timedreceive", .nth = 1, .every = 2, .error = EINTR});
    cr_assert_eq(pq_send(q, "one", 3, 1), 0,
                 "pq_send failed (%s): the test made mq_send fail with EINTR, retry it",
                 strerror(errno));
    cr_assert_eq(mq_send(q, "two", 3, 1), 0);
    char buf[16] = {0};
    ssize_t n = pq_receive(q, buf, sizeof buf, NULL, -1);
    cr_assert_eq(n, 3,
                 "pq_receive(timeout -1) returned %zd (%s): the test made mq_receive "
                 "fail with EINTR, retry it",
                 n, n < 0 ? strerror(errno) : "no error");
    cr_assert_str_eq(buf, "one");
    n = pq_receive(q, buf, sizeof buf, NULL, 5000);
    cr_assert_eq(n, 3,
                 "pq_receive(timeout 5000) returned %zd (%s): the test made "
                 "mq_timedreceive fail with EINTR, retry it (with the same deadline)",
                 n, n < 0 ? strerror(errno) : "no error");
    cr_assert_str_eq(buf, "two");
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/*
 * An empty message (no data) is received as 0 bytes, a success. The shim
 * makes the first receive of each call fail with EINTR first: errno still
 * says EINTR after the retry succeeds, and only -1 is a failure.
 */
Test(posix, empty_message_after_eintr)
{
    mqd_t q = raw_mq(mq_name("empty"), 4, 16);
    ipct_fault_add(&(struct ipct_fault){
        .calls = "mq_receive mq_timedreceive", .nth = 1, .every = 2, .error = EINTR});
    char buf[16];
    for (int timeout = -1; timeout <= 5000; timeout += 5001) {
        cr_assert_eq(mq_send(q, "", 0, 5), 0, "mq_send: %s", strerror(errno));
        cr_assert_eq(mq_send(q, "x", 1, 1), 0, "mq_send: %s", strerror(errno));
        unsigned prio = 0;
        ssize_t n = pq_receive(q, buf, sizeof buf, &prio, timeout);
        cr_assert_eq(
            n, 0,
            "pq_receive(timeout %d): the first message is empty, expected 0, got "
            "%zd (%s, priority %u); only -1 is an error (the test made the "
            "receive fail with EINTR first)",
            timeout, n, n < 0 ? strerror(errno) : "no error", prio);
        cr_assert_eq(prio, 5);
        cr_assert_eq(mq_receive(q, buf, sizeof buf, NULL), 1, "the other message stays");
    }
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/* ---- 4. notify --------------------------------------------------------- */

/* Put n copies of text (priority 0) in q, which has room for them. */
static void send_copies(mqd_t q, const char *text, int n)
{
    for (int i = 0; i < n; i++)
        cr_assert_eq(mq_send(q, text, strlen(text), 0), 0, "mq_send: %s",
                     strerror(errno));
}

/* Block SIGUSR1 so that a notification waits, pending, for sigtimedwait. */
static void block_usr1(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    cr_assert_eq(sigprocmask(SIG_BLOCK, &set, NULL), 0);
}

/*
 * A fresh queue of maxmsg messages of 16 bytes for a notification test, with
 * SIGUSR1 blocked (block_usr1) so that a notification waits for sigtimedwait.
 */
static mqd_t notify_queue(const char *tag, long maxmsg)
{
    block_usr1();
    return raw_mq(mq_name(tag), maxmsg, 16);
}

/* Take a pending SIGUSR1 within timeout_ms; false if none came. */
static bool got_usr1(int timeout_ms, siginfo_t *info)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
    int r;
    do
        r = sigtimedwait(&set, info, &ts);
    while (r < 0 && errno == EINTR);
    return r == SIGUSR1;
}

Test(notify, signal_on_arrival)
{
    mqd_t q = notify_queue("ntf", 4);
    cr_assert_eq(pq_notify_signal(q, SIGUSR1), 0, "pq_notify_signal failed: %s",
                 strerror(errno));
    cr_assert_eq(mq_send(q, "ping", 4, 0), 0);
    siginfo_t info;
    cr_assert(got_usr1(5000, &info),
              "no SIGUSR1 after a message reached the empty queue");
    cr_assert_eq(info.si_code, SI_MESGQ, "the signal should come from the queue");
    cr_assert_eq(info.si_value.sival_int, (int)q, "si_value should carry the descriptor");
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(notify, second_registration_is_ebusy)
{
    mqd_t q = raw_mq(mq_name("busy"), 4, 16);
    cr_assert_eq(pq_notify_signal(q, SIGUSR1), 0, "%s", strerror(errno));
    errno = 0;
    cr_assert_eq(pq_notify_signal(q, SIGUSR1), -1, "only one registration per queue");
    cr_assert_eq(errno, EBUSY, "errno should be EBUSY, got %s", strerror(errno));
    cr_assert_eq(pq_notify_signal(q, 0), 0, "signo 0 cancels: %s", strerror(errno));
    cr_assert_eq(pq_notify_signal(q, SIGUSR1), 0, "after cancelling, registering works");
    cr_assert_eq(pq_notify_signal(q, 0), 0);
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/* $begin one_shot */
Test(notify, one_shot_needs_reregistration)
{
    block_usr1();
    mqd_t q = raw_mq(mq_name("once"), 4, 16);
    char buf[16];
    cr_assert_eq(pq_notify_signal(q, SIGUSR1), 0, "%s", strerror(errno));
    cr_assert_eq(mq_send(q, "m1", 2, 0), 0);
    cr_assert(got_usr1(5000, NULL), "the first message must be notified");
    cr_assert_eq(mq_receive(q, buf, sizeof buf, NULL), 2);
    /* The registration was used up: m2 arrives in silence. */
    cr_assert_eq(mq_send(q, "m2", 2, 0), 0);
    cr_assert_not(got_usr1(200, NULL), "a second notification came without registering");
    cr_assert_eq(mq_receive(q, buf, sizeof buf, NULL), 2);
    cr_assert_eq(pq_notify_signal(q, SIGUSR1), 0, "registering again: %s",
                 strerror(errno));
    cr_assert_eq(mq_send(q, "m3", 2, 0), 0);
    cr_assert(got_usr1(5000, NULL), "after registering again, m3 must be notified");
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}
/* $end one_shot */

Test(notify, consume_takes_waiting_messages)
{
    mqd_t q = notify_queue("wait", 4);
    send_copies(q, "w", 3);
    /* Messages already queued never cause a notification: drain first. */
    long n = pq_consume_notified(q, SIGUSR1, 3, 2000);
    cr_assert_eq(n, 3, "expected the 3 waiting messages, got %ld (%s)", n,
                 strerror(errno));
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(notify, consume_gets_every_burst)
{
    mqd_t q = notify_queue("burst", 8);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        for (int burst = 0; burst < 4; burst++) {
            for (int i = 0; i < 3; i++)
                IPCT_CHILD_CHECK(mq_send(q, "b", 1, 0) == 0);
            /* Let the consumer empty the queue before the next burst. */
            struct mq_attr attr;
            long end = ipct_now_ms() + 8000;
            do {
                IPCT_CHILD_CHECK(mq_getattr(q, &attr) == 0);
                if (attr.mq_curmsgs > 0)
                    ipct_pause_ms(1);
            } while (attr.mq_curmsgs > 0 && ipct_now_ms() < end);
            IPCT_CHILD_CHECK(attr.mq_curmsgs == 0);
        }
        _exit(0);
    }
    long n = pq_consume_notified(q, SIGUSR1, 12, 5000);
    int err = errno;
    if (n != 12)
        ipct_stop_child(pid);
    else
        cr_assert_eq(ipct_wait_exit(pid, 5000), 0, "the producer failed");
    cr_assert_eq(n, 12, "expected 12 messages in 4 bursts, got %ld (%s)", n,
                 strerror(err));
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(notify, consume_times_out)
{
    mqd_t q = notify_queue("quiet", 4);
    errno = 0;
    cr_assert_eq(pq_consume_notified(q, SIGUSR1, 1, 100), -1, "nothing ever arrives");
    cr_assert_eq(errno, ETIMEDOUT, "errno should be ETIMEDOUT, got %s", strerror(errno));
    errno = 0;
    cr_assert_eq(pq_notify_signal(q, SIGUSR1), 0,
                 "the registration must be cancelled on the way out (%s)",
                 strerror(errno));
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(notify, consume_errors)
{
    mqd_t q = notify_queue("cerr", 4);
    cr_assert_eq(mq_send(q, "w", 1, 0), 0);
    IPCT_ASSERT_FAILS(EINVAL, pq_consume_notified(q, SIGUSR1, 0, 100),
                      "count 0 must be refused");
    IPCT_ASSERT_FAILS(EINVAL, pq_consume_notified(q, 0, 1, 100),
                      "signo 0 must be refused");
    IPCT_ASSERT_FAILS(EBADF, pq_consume_notified((mqd_t)-1, SIGUSR1, 1, 100),
                      "-1 is no queue descriptor");
    struct mq_attr attr;
    cr_assert_eq(mq_getattr(q, &attr), 0);
    cr_assert_eq(attr.mq_curmsgs, 1, "a refused call must not take messages");
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(notify, consume_counts_empty_messages)
{
    mqd_t q = notify_queue("cempty", 4);
    send_copies(q, "", 3);
    errno = EAGAIN; /* what an earlier call may have left: the drain must not read it */
    long n = pq_consume_notified(q, SIGUSR1, 3, 2000);
    cr_assert_eq(n, 3,
                 "3 empty messages (0 bytes each) wait: expected 3, got %ld (%s); a "
                 "receive of 0 bytes is a message, only -1 ends the drain",
                 n, n < 0 ? strerror(errno) : "no error");
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/*
 * The shim makes the wait for the notification fail with EINTR (a signal
 * handler ran): that is no timeout and no error, the wait goes on.
 */
Test(notify, consume_retries_eintr)
{
    mqd_t q = notify_queue("cintr", 4);
    ipct_fault_fail("sigtimedwait sigwaitinfo", 1, EINTR);
    errno = 0;
    long n = pq_consume_notified(q, SIGUSR1, 1, 100);
    int err = errno;
    cr_assert_eq(ipct_faults_count(), 1, "the call never waited for the signal");
    expect_timed_out(n, err, ": the test made the wait fail with EINTR, wait again");
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/* ---- 5. jobq ----------------------------------------------------------- */

static struct job mkjob(int prio, const char *name)
{
    struct job j;
    memset(&j, 0, sizeof j);
    j.priority = prio;
    snprintf(j.name, sizeof j.name, "%s", name);
    return j;
}

/* The same five jobs for both queues. */
static const struct {
    int prio;
    const char *name;
} jobs[] = {
    {5, "backup"}, {1, "page-oncall"}, {9, "reindex"}, {1, "restart-db"}, {3, "email"}};

/*
 * Push the five jobs, in table order, to the System V queue id (or, with id
 * -1, to the POSIX queue q), then pop five: their names must come in want's
 * order (rule says which order that is, for the message).
 */
static void expect_job_order(int id, mqd_t q, const char *rule, const char *const want[5])
{
    for (int i = 0; i < 5; i++) {
        struct job j = mkjob(jobs[i].prio, jobs[i].name);
        int r = id >= 0 ? jobq_sysv_push(id, &j) : jobq_posix_push(q, &j);
        cr_assert_eq(r, 0, "push: %s", strerror(errno));
    }
    for (int i = 0; i < 5; i++) {
        struct job j;
        int r = id >= 0 ? jobq_sysv_pop(id, &j, true) : jobq_posix_pop(q, &j);
        cr_assert_eq(r, 0, "pop %d: %s", i, strerror(errno));
        cr_assert_str_eq(j.name, want[i], "%s, got %s at %d", rule, j.name, i);
    }
}

Test(jobq, sysv_lowest_type_first)
{
    int id = raw_queue();
    const char *want[] = {"page-oncall", "restart-db", "email", "backup", "reindex"};
    expect_job_order(id, (mqd_t)-1, "System V: lowest type first", want);
    struct job j;
    errno = 0;
    cr_assert_eq(jobq_sysv_pop(id, &j, true), -1);
    cr_assert_eq(errno, ENOMSG, "empty queue with nowait: ENOMSG, got %s",
                 strerror(errno));
}

Test(jobq, posix_highest_prio_first)
{
    mqd_t q = raw_mq(mq_name("jobs"), 8, sizeof(struct job));
    const char *want[] = {"reindex", "backup", "email", "page-oncall", "restart-db"};
    expect_job_order(-1, q, "POSIX: highest priority first", want);
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(jobq, sysv_ignores_types_past_max)
{
    int id = raw_queue();
    raw_send(id, JOB_PRIO_MAX + 1, "not a job");
    struct job j;
    errno = 0;
    cr_assert_eq(jobq_sysv_pop(id, &j, true), -1, "type %d is not a job priority",
                 JOB_PRIO_MAX + 1);
    cr_assert_eq(errno, ENOMSG, "errno should be ENOMSG, got %s", strerror(errno));
    struct job k = mkjob(JOB_PRIO_MAX, "last");
    cr_assert_eq(jobq_sysv_push(id, &k), 0);
    cr_assert_eq(jobq_sysv_pop(id, &j, true), 0, "%s", strerror(errno));
    cr_assert_str_eq(j.name, "last");
}

Test(jobq, posix_pop_follows_msgsize)
{
    mqd_t q = raw_mq(mq_name("wide"), 4, 256);
    struct job j = mkjob(2, "wide");
    cr_assert_eq(jobq_posix_push(q, &j), 0, "%s", strerror(errno));
    struct job out;
    memset(&out, 0xaa, sizeof out); /* every byte must come from the job */
    cr_assert_eq(jobq_posix_pop(q, &out), 0,
                 "mq_msgsize is 256: the receive buffer must be that big (%s)",
                 strerror(errno));
    cr_assert_str_eq(out.name, "wide");
    cr_assert_eq(memcmp(&out, &j, sizeof j), 0,
                 "the whole struct job must be copied out");
    struct mq_attr nb = {.mq_flags = O_NONBLOCK};
    cr_assert_eq(mq_setattr(q, &nb, NULL), 0);
    errno = 0;
    cr_assert_eq(jobq_posix_pop(q, &out), -1);
    cr_assert_eq(errno, EAGAIN, "empty non-blocking queue: EAGAIN, got %s",
                 strerror(errno));
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(jobq, bad_priority_is_einval)
{
    int id = raw_queue();
    mqd_t q = raw_mq(mq_name("badprio"), 4, sizeof(struct job));
    int bad[] = {0, JOB_PRIO_MAX + 1, -1};
    for (int i = 0; i < 3; i++) {
        struct job j = mkjob(bad[i], "bad");
        errno = 0;
        cr_assert_eq(jobq_sysv_push(id, &j), -1, "priority %d is out of range", bad[i]);
        cr_assert_eq(errno, EINVAL);
        errno = 0;
        cr_assert_eq(jobq_posix_push(q, &j), -1, "priority %d is out of range", bad[i]);
        cr_assert_eq(errno, EINVAL);
    }
    cr_assert_eq(raw_stat(id).msg_qnum, 0);
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/* A message that is not one struct job (here: an empty one) is EIO, a NULL
 * job EINVAL, a bad descriptor EBADF. */
Test(jobq, errors)
{
    int id = raw_queue();
    mqd_t q = raw_mq(mq_name("jsize"), 4, sizeof(struct job));
    struct job j = mkjob(1, "x");
    IPCT_ASSERT_FAILS(EINVAL, jobq_sysv_push(id, NULL), "jobq_sysv_push(NULL)");
    IPCT_ASSERT_FAILS(EINVAL, jobq_posix_push(q, NULL), "jobq_posix_push(NULL)");
    IPCT_ASSERT_FAILS(EINVAL, jobq_sysv_pop(id, NULL, true), "jobq_sysv_pop(NULL)");
    IPCT_ASSERT_FAILS(EINVAL, jobq_posix_pop(q, NULL), "jobq_posix_pop(NULL)");
    IPCT_ASSERT_FAILS(EBADF, jobq_posix_pop((mqd_t)-1, &j), "-1 is no queue descriptor");
    struct raw_msg m = {.mtype = 1};
    cr_assert_eq(msgsnd(id, &m, 0, IPC_NOWAIT), 0, "msgsnd: %s", strerror(errno));
    IPCT_ASSERT_FAILS(EIO, jobq_sysv_pop(id, &j, true),
                      "an empty message is no struct job: jobq_sysv_pop must fail");
    cr_assert_eq(mq_send(q, "", 0, 1), 0, "mq_send: %s", strerror(errno));
    IPCT_ASSERT_FAILS(EIO, jobq_posix_pop(q, &j),
                      "an empty message is no struct job: jobq_posix_pop must fail");
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(jobq, sysv_pop_waits_for_a_job)
{
    int id = raw_queue();
    pid_t pid = ipct_fork();
    if (pid == 0) {
        struct job j;
        IPCT_CHILD_CHECK(jobq_sysv_pop(id, &j, false) == 0);
        IPCT_CHILD_CHECK(strcmp(j.name, "late") == 0);
        _exit(0);
    }
    bool waiting = ipct_blocked_in(pid, SYS_msgrcv, 5000);
    if (!waiting)
        ipct_stop_child(pid);
    cr_assert(waiting, "pop without nowait must block in msgrcv");
    struct job j = mkjob(4, "late");
    cr_assert_eq(jobq_sysv_push(id, &j), 0);
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0, "the waiting pop did not get the job");
}

/* ---- 6. rr ------------------------------------------------------------- */

/*
 * In an answering child: send ret, what the function under test returned,
 * and errno as that call left it (the call is the argument: nothing runs in
 * between) to the test through ans, then end the child.
 */
static _Noreturn void answer_and_exit(int ans, long ret)
{
    long r[2] = {ret, errno};
    IPCT_CHILD_CHECK(write(ans, r, sizeof r) == (ssize_t)sizeof r);
    _exit(0);
}

/*
 * The answering child pid's answer (its function's return value and errno)
 * into r, within timeout_ms. Closes ans and reaps the child, or stops it if
 * it sent nothing (then r stays as it was). True if the answer came.
 */
static bool child_answer(pid_t pid, int ans, int timeout_ms, long r[2])
{
    long got_r[2];
    bool got = ipct_readable_within(ans, timeout_ms) &&
               read(ans, got_r, sizeof got_r) == (ssize_t)sizeof got_r;
    close(ans);
    if (!got) {
        ipct_stop_child(pid);
        return false;
    }
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0);
    r[0] = got_r[0];
    r[1] = got_r[1];
    return true;
}

/* Put a request (op, from pid, argument value) in the server's queue id. */
static void send_request(int id, int op, pid_t pid, long value)
{
    struct {
        long mtype;
        struct rr_request req;
    } m;
    memset(&m, 0, sizeof m); /* no uninitialised padding on the wire */
    m.mtype = RR_SERVER_TYPE;
    m.req.op = op;
    m.req.pid = pid;
    m.req.value = value;
    cr_assert_eq(msgsnd(id, &m, sizeof m.req, 0), 0, "msgsnd: %s", strerror(errno));
}

/* Run rr_serve(id) in an answering child (its answer pipe in *ans_fd). */
static pid_t start_rr(int id, int *ans_fd)
{
    int ans;
    pid_t pid = ipct_fork_answering(&ans);
    if (pid == 0)
        answer_and_exit(ans, rr_serve(id));
    *ans_fd = ans;
    return pid;
}

/* Stop the server with RR_SHUTDOWN and return what rr_serve returned. */
static long stop_rr(int id, pid_t pid, int ans, int *err)
{
    send_request(id, RR_SHUTDOWN, getpid(), 0);
    long r[2] = {-2, 0};
    bool got = child_answer(pid, ans, 8000, r);
    cr_assert(got, "rr_serve did not stop at RR_SHUTDOWN");
    *err = (int)r[1];
    return r[0];
}

/*
 * One rr_call(id, value) to an rr_serve child, which is then stopped: the
 * call must succeed (its result in *result). Returns what rr_serve returned,
 * its errno in *err.
 */
static long one_served_call(int id, long value, long *result, int *err)
{
    int ans;
    pid_t pid = start_rr(id, &ans);
    int r = rr_call(id, value, result);
    int cerr = errno;
    long served = stop_rr(id, pid, ans, err);
    cr_assert_eq(r, 0, "rr_call failed: %s", strerror(cerr));
    return served;
}

Test(rr, one_call_gets_the_square)
{
    int id = raw_queue();
    long result = 0;
    int err;
    long served = one_served_call(id, 12, &result, &err);
    cr_assert_eq(result, 144);
    cr_assert_eq(served, 1, "rr_serve should count 1 answer, got %ld (%s)", served,
                 strerror(err));
    cr_assert_eq(raw_stat(id).msg_qnum, 0, "messages were left in the queue");
}

/* What each client of clients_get_their_own_answers asks, and on which queue. */
struct client_load {
    int id;    /* the server's queue */
    int calls; /* calls per client */
};

/* Client c (a child): calls squares of values no other client sends. */
static void rr_client(int c, void *arg)
{
    const struct client_load *load = arg;
    for (int i = 0; i < load->calls; i++) {
        long v = 1000L * (c + 1) + i, result = -1;
        IPCT_CHILD_CHECK(rr_call(load->id, v, &result) == 0);
        IPCT_CHILD_CHECK(result == v * v);
    }
}

Test(rr, clients_get_their_own_answers, .timeout = 30)
{
    int id = raw_queue();
    int ans, err;
    pid_t pid = start_rr(id, &ans);
    int clients = ipct_under_valgrind() ? 3 : 6;
    struct client_load load = {id, ipct_under_valgrind() ? 5 : 50};
    int bad = ipct_fork_all(clients, rr_client, &load, 25000);
    int calls = load.calls;
    long served = stop_rr(id, pid, ans, &err);
    cr_assert_eq(bad, 0, "%d clients got an error or someone else's answer", bad);
    cr_assert_eq(served, (long)clients * calls, "expected %d answers, got %ld",
                 clients * calls, served);
    cr_assert_eq(raw_stat(id).msg_qnum, 0, "messages were left in the queue");
}

Test(rr, server_skips_unknown_op)
{
    int id = raw_queue();
    send_request(id, 99, getpid(), 0);
    long result = 0;
    int err;
    long served = one_served_call(id, 5, &result, &err);
    cr_assert_eq(result, 25, "got %ld: was the reply to the unknown op taken?", result);
    cr_assert_eq(served, 1, "only one request was answered, got %ld", served);
}

/* Messages typed RR_SERVER_TYPE that are no struct rr_request (longer,
 * shorter, empty), and requests from pid 0 or 1 (a reply typed 1 would be
 * a request), are skipped: a malformed message never stops the server. */
Test(rr, server_survives_odd_sizes)
{
    int id = raw_queue();
    struct raw_msg m;
    memset(&m, 0, sizeof m);
    m.mtype = RR_SERVER_TYPE;
    cr_assert_eq(msgsnd(id, &m, 64, IPC_NOWAIT), 0, "msgsnd: %s", strerror(errno));
    cr_assert_eq(msgsnd(id, &m, 4, IPC_NOWAIT), 0, "msgsnd: %s", strerror(errno));
    cr_assert_eq(msgsnd(id, &m, 0, IPC_NOWAIT), 0, "msgsnd: %s", strerror(errno));
    /* Requests no reply can be typed for: mtype 1 is the server's, 0 none. */
    struct {
        long mtype;
        struct rr_request req;
    } bad = {.mtype = RR_SERVER_TYPE, .req = {.op = RR_SQUARE, .value = 5}};
    for (bad.req.pid = 0; bad.req.pid <= 1; bad.req.pid++)
        cr_assert_eq(msgsnd(id, &bad, sizeof bad.req, IPC_NOWAIT), 0, "msgsnd: %s",
                     strerror(errno));
    int ans, err;
    pid_t pid = start_rr(id, &ans);
    /* The odd messages are all taken before the server sleeps in msgrcv again. */
    bool waiting = ipct_blocked_in(pid, SYS_msgrcv, 5000) && raw_stat(id).msg_qnum == 0;
    long result = 0;
    int r = waiting ? rr_call(id, 6, &result) : -1;
    long served = stop_rr(id, pid, ans, &err);
    cr_assert(waiting,
              "rr_serve stopped at a message of 64, 4 or 0 bytes or a request from "
              "pid 0: skip what is no request (receive with MSG_NOERROR, check the "
              "size, 0 is no error, check the pid)");
    cr_assert_eq(r, 0, "rr_call failed");
    cr_assert_eq(result, 36);
    cr_assert_eq(served, 1,
                 "one request could be answered, got %ld: a request from pid 1 gets no "
                 "reply (mtype 1 is RR_SERVER_TYPE, the server would read it back)",
                 served);
}

/*
 * The reply may fail to go out (EIDRM: the queue was removed while msgsnd
 * waited for room). The shim makes the server's first msgsnd fail so:
 * rr_serve returns -1 with that errno, it does not carry on.
 */
Test(rr, serve_reports_a_failed_reply)
{
    int id = raw_queue();
    int ans;
    pid_t pid = ipct_fork_answering(&ans);
    if (pid == 0) {
        ipct_fault_fail("msgsnd", 1, EIDRM);
        answer_and_exit(ans, rr_serve(id));
    }
    send_request(id, RR_SQUARE, getpid(), 4);
    long r[2] = {-2, 0};
    bool got = child_answer(pid, ans, 5000, r);
    cr_assert(got, "rr_serve went on serving after its reply failed (EIDRM, injected by "
                   "the test)");
    cr_assert_eq(r[0], -1,
                 "the reply could not be sent: rr_serve must return -1, not %ld", r[0]);
    cr_assert_eq(r[1], EIDRM, "errno should be msgsnd's EIDRM, got %s",
                 strerror((int)r[1]));
}

/*
 * Once the answering child pid, which runs fn on queue id, sleeps in msgrcv
 * (waiting for what), remove the queue: fn must return -1 with EIDRM.
 */
static void expect_eidrm_on_removal(int id, pid_t pid, int ans, const char *fn,
                                    const char *what)
{
    bool waiting = ipct_blocked_in(pid, SYS_msgrcv, 5000);
    msgctl(id, IPC_RMID, NULL);
    long r[2] = {-2, 0};
    bool got = child_answer(pid, ans, 5000, r);
    cr_assert(waiting, "%s did not wait in msgrcv for %s", fn, what);
    cr_assert(got, "%s did not return when its queue was removed", fn);
    cr_assert_eq(r[0], -1,
                 "the queue was removed while %s waited: it must fail, not return %ld",
                 fn, r[0]);
    cr_assert_eq(r[1], EIDRM, "errno should be EIDRM, got %s", strerror((int)r[1]));
}

Test(rr, serve_ends_with_eidrm_on_removal)
{
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    cr_assert_geq(id, 0);
    int ans;
    pid_t pid = start_rr(id, &ans);
    expect_eidrm_on_removal(id, pid, ans, "rr_serve", "requests");
}

Test(rr, call_errors)
{
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    cr_assert_geq(id, 0);
    cr_assert_eq(msgctl(id, IPC_RMID, NULL), 0);
    long result;
    errno = 0;
    cr_assert_eq(rr_call(id, 3, &result), -1, "the queue is gone");
    cr_assert(errno == EINVAL || errno == EIDRM, "errno should be EINVAL, got %s",
              strerror(errno));
    int live = raw_queue();
    errno = 0;
    cr_assert_eq(rr_call(live, 3, NULL), -1);
    cr_assert_eq(errno, EINVAL, "NULL result: errno should be EINVAL, got %s",
                 strerror(errno));
    cr_assert_eq(raw_stat(live).msg_qnum, 0, "nothing may be sent when result is NULL");
}

/* Put a message typed with this process's pid in the queue: rr_call takes
 * it as its reply at once. */
static void fake_reply(int id, const void *body, size_t len)
{
    struct raw_msg m = {.mtype = (long)getpid()};
    memcpy(m.mtext, body, len);
    cr_assert_eq(msgsnd(id, &m, len, IPC_NOWAIT), 0, "msgsnd: %s", strerror(errno));
}

/* A reply of the wrong size (an empty one too) or for another value is EIO. */
Test(rr, call_checks_the_reply)
{
    int id = raw_queue();
    long result = 1234;
    struct rr_reply other = {.value = 99, .result = 99 * 99};
    fake_reply(id, &other, sizeof other);
    IPCT_ASSERT_FAILS(EIO, rr_call(id, 3, &result),
                      "the reply is for value 99, not 3: rr_call must fail");
    fake_reply(id, "", 0);
    IPCT_ASSERT_FAILS(
        EIO, rr_call(id, 3, &result),
        "an empty reply (0 bytes, a success of msgrcv) is no struct rr_reply");
    long half = 9;
    fake_reply(id, &half, sizeof half);
    IPCT_ASSERT_FAILS(EIO, rr_call(id, 3, &result),
                      "a reply of %zu bytes is no struct rr_reply", sizeof half);
    cr_assert_eq(result, 1234, "*result must be left alone on failure");
}

Test(rr, call_ends_with_eidrm_on_removal)
{
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    cr_assert_geq(id, 0);
    int ans;
    pid_t pid = ipct_fork_answering(&ans);
    if (pid == 0) {
        long result = 0;
        answer_and_exit(ans, rr_call(id, 3, &result)); /* no server: it waits */
    }
    expect_eidrm_on_removal(id, pid, ans, "rr_call", "its reply");
}

/* ---- 7. peek (MSG_COPY) ------------------------------------------------- */

TestSuite(peek, .timeout = 10, .fini = cleanup);

/* True if this kernel has MSG_COPY (built with CONFIG_CHECKPOINT_RESTORE). */
static bool kernel_has_msg_copy(void)
{
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    cr_assert_geq(id, 0, "msgget: %s", strerror(errno));
    struct raw_msg m;
    errno = 0;
    ssize_t n = msgrcv(id, &m, sizeof m.mtext, 0, MSG_COPY | IPC_NOWAIT);
    int err = errno;
    msgctl(id, IPC_RMID, NULL);
    return !(n < 0 && err == ENOSYS); /* an empty queue: ENOMSG when it exists */
}

/*
 * On a kernel without MSG_COPY, the only right answer is -1 with ENOSYS and
 * the queue left alone: check that and return true (the test ends there).
 */
static bool no_msg_copy_here(int id)
{
    if (kernel_has_msg_copy())
        return false;
    struct msqid_ds before = raw_stat(id);
    struct sysv_peek_entry e[8];
    errno = 0;
    ssize_t n = sysv_peek(id, e, 8);
    cr_assert_eq(n, -1, "this kernel has no MSG_COPY: sysv_peek must fail");
    cr_assert_eq(errno, ENOSYS, "errno should be ENOSYS, got %s", strerror(errno));
    struct msqid_ds after = raw_stat(id);
    cr_assert_eq(after.msg_qnum, before.msg_qnum, "the queue must be left as it was");
    cr_assert_eq(after.msg_lrpid, before.msg_lrpid, "no message may be received");
    return true;
}

/* Send len bytes of fill with type, from the test itself. */
static void raw_send_n(int id, long type, size_t len, char fill)
{
    struct sysv_big {
        long mtype;
        char mtext[];
    } *m = malloc(sizeof *m + len + 1);
    cr_assert_not_null(m);
    m->mtype = type;
    memset(m->mtext, fill, len);
    int r = msgsnd(id, m, len, IPC_NOWAIT);
    int err = errno;
    free(m);
    cr_assert_eq(r, 0, "msgsnd of %zu bytes: %s", len, strerror(err));
}

Test(peek, lists_types_and_sizes_in_order)
{
    int id = raw_queue();
    raw_send(id, 3, "three");
    raw_send(id, 1, "a");
    raw_send_n(id, 7, 0, 'x'); /* an empty message is a message too */
    raw_send(id, 2, "twenty-two chars long!");
    if (no_msg_copy_here(id))
        return;
    struct sysv_peek_entry e[8];
    memset(e, 0, sizeof e);
    ssize_t n = sysv_peek(id, e, 8);
    cr_assert_eq(n, 4, "4 messages wait, sysv_peek returned %zd (%s)", n,
                 n < 0 ? strerror(errno) : "");
    const long type[] = {3, 1, 7, 2};
    const size_t size[] = {5, 1, 0, 22};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(e[i].type, type[i], "message %d: type %ld, expected %ld", i,
                     e[i].type, type[i]);
        cr_assert_eq(e[i].size, size[i],
                     "message %d: %zu data bytes, expected %zu (the mtype is not data)",
                     i, e[i].size, size[i]);
    }
}

/* $begin peek_untouched */
Test(peek, leaves_the_queue_untouched)
{
    int id = raw_queue();
    raw_send(id, 2, "first");
    raw_send(id, 1, "second");
    raw_send(id, 2, "third");
    if (no_msg_copy_here(id))
        return;
    struct msqid_ds before = raw_stat(id);
    struct sysv_peek_entry e[4];
    ssize_t n = sysv_peek(id, e, 4);
    cr_assert_eq(n, 3, "expected 3 messages, got %zd (%s)", n,
                 n < 0 ? strerror(errno) : "");
    struct msqid_ds after = raw_stat(id);
    cr_assert_eq(after.msg_qnum, 3, "sysv_peek took messages: %lu left of 3",
                 (unsigned long)after.msg_qnum);
    cr_assert_eq(after.__msg_cbytes, before.__msg_cbytes);
    cr_assert_eq(after.msg_lrpid, 0,
                 "msg_lrpid is %d: a message was received (MSG_COPY receives none)",
                 (int)after.msg_lrpid);
    cr_assert_eq(after.msg_lspid, before.msg_lspid,
                 "msg_lspid changed: messages were sent again");
    /* The same messages, in the same order, with the same data. */
    expect_msg(id, 0, IPC_NOWAIT, 2, "first");
    expect_msg(id, 0, IPC_NOWAIT, 1, "second");
    expect_msg(id, 0, IPC_NOWAIT, 2, "third");
}
/* $end peek_untouched */

Test(peek, lists_a_message_of_msgmax_bytes)
{
    int id = raw_queue();
    long msgmax = proc_limit("/proc/sys/kernel/msgmax");
    size_t big = (size_t)msgmax;
    struct msqid_ds ds = raw_stat(id);
    if (big > ds.msg_qbytes) /* a queue smaller than one message: the largest that fits */
        big = ds.msg_qbytes;
    raw_send_n(id, 4, big, 'b');
    if (no_msg_copy_here(id))
        return;
    struct sysv_peek_entry e[2];
    memset(e, 0, sizeof e);
    errno = 0;
    ssize_t n = sysv_peek(id, e, 2);
    cr_assert_eq(n, 1,
                 "a message of %zu bytes (msgmax is %ld) must be listed: got %zd (%s)",
                 big, msgmax, n, n < 0 ? strerror(errno) : "");
    cr_assert_eq(e[0].type, 4);
    cr_assert_eq(e[0].size, big, "expected %zu bytes, got %zu", big, e[0].size);
    cr_assert_eq(raw_stat(id).msg_qnum, 1);
}

Test(peek, counts_past_max)
{
    int id = raw_queue();
    for (long t = 1; t <= 5; t++)
        raw_send(id, t, "m");
    if (no_msg_copy_here(id))
        return;
    struct sysv_peek_entry e[3];
    memset(e, 0, sizeof e);
    e[2].type = -42; /* must stay: only 2 entries are asked for */
    ssize_t n = sysv_peek(id, e, 2);
    cr_assert_eq(n, 5, "5 messages wait: return 5 even when max is 2, got %zd (%s)", n,
                 n < 0 ? strerror(errno) : "");
    cr_assert_eq(e[0].type, 1);
    cr_assert_eq(e[1].type, 2);
    cr_assert_eq(e[2].type, -42, "out[2] was written, past max");
    cr_assert_eq(sysv_peek(id, NULL, 0), 5, "out NULL with max 0 only counts (%s)",
                 strerror(errno));
    cr_assert_eq(raw_stat(id).msg_qnum, 5);
}

Test(peek, empty_queue_is_zero)
{
    int id = raw_queue();
    if (no_msg_copy_here(id))
        return;
    struct sysv_peek_entry e[1] = {{-42, 42}};
    ssize_t n = sysv_peek(id, e, 1);
    cr_assert_eq(n, 0, "an empty queue has 0 messages, got %zd (%s)", n,
                 n < 0 ? strerror(errno) : "");
    cr_assert_eq(e[0].type, -42, "nothing may be stored");
}

Test(peek, errors)
{
    int id = raw_queue();
    raw_send(id, 1, "x");
    if (no_msg_copy_here(id))
        return;
    errno = 0;
    cr_assert_eq(sysv_peek(id, NULL, 1), -1, "out NULL with max 1");
    cr_assert_eq(errno, EINVAL, "errno should be EINVAL, got %s", strerror(errno));
    int gone = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    cr_assert_geq(gone, 0);
    cr_assert_eq(msgctl(gone, IPC_RMID, NULL), 0);
    struct sysv_peek_entry e[1];
    errno = 0;
    cr_assert_eq(sysv_peek(gone, e, 1), -1, "the queue was removed: not an empty list");
    cr_assert(errno == EINVAL || errno == EIDRM, "errno should be EINVAL, got %s",
              strerror(errno));
    cr_assert_eq(raw_stat(id).msg_qnum, 1);
}

/*
 * Make msgrcv with MSG_COPY fail with ENOSYS in this process, as on a kernel
 * without CONFIG_CHECKPOINT_RESTORE: a seccomp filter (no privilege needed
 * after PR_SET_NO_NEW_PRIVS). Returns false where the architecture is not
 * known here.
 */
static bool hide_msg_copy(void)
{
    const struct sock_filter rules[] = {
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_msgrcv, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* msgrcv(id, buf, size, msgtyp, msgflg): msgflg is args[4] */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[4])),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MSG_COPY, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    return ipct_seccomp(rules, sizeof rules / sizeof rules[0]);
}

Test(peek, enosys_without_kernel_support)
{
    int id = raw_queue();
    raw_send(id, 5, "kept");
    raw_send(id, 6, "also kept");
    if (no_msg_copy_here(id))
        return;
    ssize_t n = sysv_peek(id, NULL, 0);
    cr_assert_eq(n, 2, "2 messages wait, got %zd (%s)", n, n < 0 ? strerror(errno) : "");
    int answer;
    pid_t pid = ipct_fork_answering(&answer);
    if (pid == 0) {
        /* A child: a seccomp filter cannot be taken back. */
        int r[2] = {-2, 0};
        if (hide_msg_copy()) {
            struct sysv_peek_entry e[4];
            errno = 0;
            r[0] = (int)sysv_peek(id, e, 4);
            r[1] = errno;
        }
        IPCT_CHILD_CHECK(write(answer, r, sizeof r) == (ssize_t)sizeof r);
        _exit(0);
    }
    int r[2] = {-3, 0};
    bool got = ipct_readable_within(answer, 5000) &&
               read(answer, r, sizeof r) == (ssize_t)sizeof r;
    close(answer);
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0);
    cr_assert(got, "the child did not answer");
    if (r[0] == -2)
        cr_skip_test("cannot emulate a kernel without MSG_COPY on this architecture");
    cr_assert_eq(r[0], -1,
                 "without MSG_COPY (ENOSYS) sysv_peek returned %d: it must fail, not "
                 "report a list",
                 r[0]);
    cr_assert_eq(r[1], ENOSYS, "errno should be ENOSYS, got %s", strerror(r[1]));
    struct msqid_ds ds = raw_stat(id);
    cr_assert_eq(ds.msg_qnum, 2, "the queue must be left as it was");
    cr_assert_eq(ds.msg_lrpid, 0, "no message may be received");
}

/*
 * With every descriptor the process may have in use (RLIMIT_NOFILE), the
 * /proc limits cannot be opened: sysv_peek and pq_create fail with that
 * errno (EMFILE) instead of guessing a limit or reporting an empty list.
 */
Test(peek, unreadable_limits_are_an_error)
{
    int id = raw_queue();
    raw_send(id, 5, "kept");
    const char *name = mq_name("nofd");
    int lowest = open("/dev/null", O_RDONLY | O_CLOEXEC);
    cr_assert_geq(lowest, 0, "open /dev/null: %s", strerror(errno));
    close(lowest);
    struct rlimit old;
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
    struct rlimit tight = {(rlim_t)lowest, old.rlim_max};
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &tight), 0, "setrlimit: %s", strerror(errno));
    struct sysv_peek_entry e[4];
    errno = 0;
    ssize_t n = sysv_peek(id, e, 4);
    int peek_err = errno;
    errno = 0;
    mqd_t q = track_mqd(pq_create(name, 2, 16));
    int create_err = errno;
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &old), 0, "setrlimit: %s", strerror(errno));
    cr_assert_eq(n, -1,
                 "no descriptor was left to read /proc/sys/kernel/msgmax: sysv_peek must "
                 "fail, got %zd",
                 n);
    cr_assert_eq(peek_err, EMFILE, "errno should be EMFILE (from fopen), got %s",
                 strerror(peek_err));
    cr_assert_eq(q, (mqd_t)-1, "no descriptor was left: pq_create must fail");
    cr_assert_eq(create_err, EMFILE, "errno should be EMFILE, got %s",
                 strerror(create_err));
    cr_assert_eq(raw_stat(id).msg_qnum, 1);
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/* ---- 8. timed_send (mq_timedsend) --------------------------------------- */

TestSuite(timed_send, .timeout = 10, .fini = cleanup);

/* A queue of one message that already holds one: every send must wait. */
static mqd_t full_mq(const char *tag)
{
    mqd_t q = raw_mq(mq_name(tag), 1, 16);
    cr_assert_eq(mq_send(q, "full", 4, 0), 0, "mq_send: %s", strerror(errno));
    return q;
}

static long mq_count(mqd_t q)
{
    struct mq_attr attr;
    cr_assert_eq(mq_getattr(q, &attr), 0, "mq_getattr: %s", strerror(errno));
    return attr.mq_curmsgs;
}

Test(timed_send, sends_when_there_is_room)
{
    mqd_t q = raw_mq(mq_name("room"), 2, 16);
    cr_assert_eq(pq_send_timed(q, "hi", 2, 6, 1000), 0, "pq_send_timed failed: %s",
                 strerror(errno));
    char buf[16] = {0};
    unsigned prio = 0;
    cr_assert_eq(mq_receive(q, buf, sizeof buf, &prio), 2);
    cr_assert_str_eq(buf, "hi");
    cr_assert_eq(prio, 6, "the message must carry priority 6, got %u", prio);
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(timed_send, full_queue_times_out)
{
    mqd_t q = full_mq("tfull");
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    errno = 0;
    int r = pq_send_timed(q, "late", 4, 0, 150);
    int err = errno;
    long elapsed = ms_since(&t0);
    cr_assert_eq(r, -1, "the queue stays full: the send must time out");
    cr_assert_eq(err, ETIMEDOUT, "errno should be ETIMEDOUT, got %s", strerror(err));
    cr_assert_geq(elapsed, 140,
                  "returned after %ld ms, before the 150 ms timeout: is the deadline "
                  "now + 150 ms on CLOCK_REALTIME?",
                  elapsed);
    cr_assert_eq(mq_count(q), 1, "nothing may be added");
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/* In a child (a wrong answer may wait for ever): send to the full queue q with
 * timeout_ms; exit 0 if it failed with want_errno. */
static pid_t send_in_child(mqd_t q, int timeout_ms, int want_errno)
{
    pid_t pid = ipct_fork();
    if (pid == 0) {
        errno = 0;
        int r = pq_send_timed(q, "x", 1, 0, timeout_ms);
        _exit(r == -1 && errno == want_errno ? 0 : 1);
    }
    return pid;
}

Test(timed_send, zero_timeout_does_not_wait)
{
    mqd_t q = full_mq("tzero");
    pid_t pid = send_in_child(q, 0, ETIMEDOUT);
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0,
                 "timeout 0 on a full queue: fail at once with ETIMEDOUT");
    struct mq_attr nb = {.mq_flags = O_NONBLOCK};
    cr_assert_eq(mq_setattr(q, &nb, NULL), 0);
    pid = send_in_child(q, 5000, EAGAIN);
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0,
                 "a non-blocking descriptor never waits: EAGAIN at once");
    cr_assert_eq(mq_count(q), 1);
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/* The child sends to the full queue q and must block in mq_timedsend until the
 * test makes room; it exits 0 once its message is in. */
static void expect_wait_for_room(mqd_t q, int timeout_ms)
{
    pid_t pid = ipct_fork();
    if (pid == 0) {
        IPCT_CHILD_CHECK(pq_send_timed(q, "late", 4, 3, timeout_ms) == 0);
        _exit(0);
    }
    bool waiting = ipct_blocked_in(pid, SYS_mq_timedsend, 5000);
    if (!waiting)
        ipct_stop_child(pid);
    cr_assert(waiting, "with timeout %d ms the send must wait in mq_timedsend for room",
              timeout_ms);
    char buf[16] = {0};
    cr_assert_eq(mq_receive(q, buf, sizeof buf, NULL), 4);
    cr_assert_str_eq(buf, "full");
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0, "the waiting send did not succeed");
    unsigned prio = 0;
    memset(buf, 0, sizeof buf);
    cr_assert_eq(mq_receive(q, buf, sizeof buf, &prio), 4);
    cr_assert_str_eq(buf, "late");
    cr_assert_eq(prio, 3);
}

Test(timed_send, waits_for_room_before_deadline)
{
    mqd_t q = full_mq("tdead");
    expect_wait_for_room(q, 8000);
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(timed_send, negative_timeout_waits_for_room)
{
    mqd_t q = full_mq("tneg");
    expect_wait_for_room(q, -1);
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/* $begin carry */
Test(timed_send, deadline_carries_nanoseconds)
{
    mqd_t q = raw_mq(mq_name("carry"), 2, 16);
    /* now + 999 ms needs a carry into tv_sec unless now.tv_nsec < 1 ms; now +
     * 2500 ms also overflows an int counting nanoseconds. Count only the calls
     * made at least 2 ms into a second (read before and after the call): for
     * those the carry is certain, whatever the clock said in between. */
    const int timeouts[] = {999, 2500};
    int certain = 0;
    long end = ipct_now_ms() + 3000;
    for (int i = 0; certain < 4 && ipct_now_ms() < end; i++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_REALTIME, &t0);
        errno = 0;
        int r = pq_send_timed(q, "c", 1, 0, timeouts[i % 2]);
        int err = errno;
        clock_gettime(CLOCK_REALTIME, &t1);
        cr_assert_eq(r, 0,
                     "pq_send_timed(timeout %d ms) on a queue with room failed: %s "
                     "(EINVAL: is tv_nsec carried into tv_sec?)",
                     timeouts[i % 2], strerror(err));
        char buf[16];
        cr_assert_eq(mq_receive(q, buf, sizeof buf, NULL), 1);
        if (t0.tv_sec == t1.tv_sec && t0.tv_nsec >= 2000000L)
            certain++;
    }
    cr_assert_geq(certain, 1, "no call made at a time that proves the carry");
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}
/* $end carry */

/*
 * The same carry when the sum is exactly a whole second: the test's clock plan
 * (shim, ipct_clock_at_nsec) makes the function's clock_gettime(CLOCK_REALTIME)
 * return a time whose tv_nsec plus the timeout's nanoseconds is 1000000000.
 * Only a carry taken when tv_nsec >= 1000000000 leaves a valid timespec.
 */
Test(timed_send, deadline_of_a_whole_second)
{
    mqd_t q = raw_mq(mq_name("whole"), 2, 16);
    const int timeouts[] = {999, 2500};
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        ipct_clock_at_nsec(CLOCK_REALTIME, 1000000000L - (timeouts[i] % 1000) * 1000000L);
        errno = 0;
        int r = pq_send_timed(q, "w", 1, 0, timeouts[i]);
        int err = errno;
        ipct_fault_clear();
        cr_assert_eq(r, 0,
                     "pq_send_timed(timeout %d ms) on a queue with room failed: %s "
                     "(EINVAL: a tv_nsec of exactly 1000000000 must be carried too)",
                     timeouts[i], strerror(err));
        char buf[16];
        cr_assert_eq(mq_receive(q, buf, sizeof buf, NULL), 1);
    }
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/*
 * The shim makes the first mq_timedsend fail with EINTR, as a signal handler
 * running while it waits for room would (handout: "Faults the tests inject").
 * The queue is full: the retried call must wait again, until the test makes
 * room.
 */
Test(timed_send, retries_after_eintr)
{
    mqd_t q = full_mq("teintr");
    ipct_fault_fail("mq_timedsend mq_send", 1, EINTR);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        IPCT_CHILD_CHECK(pq_send_timed(q, "late", 4, 0, 8000) == 0);
        _exit(0);
    }
    if (!ipct_blocked_in(pid, SYS_mq_timedsend, 5000)) {
        int code = ipct_wait_exit(pid, 5000);
        cr_assert_fail("the send did not wait for room after the EINTR the test injected "
                       "(child exit %d): retry mq_timedsend with the same deadline",
                       code);
    }
    char buf[16];
    cr_assert_eq(mq_receive(q, buf, sizeof buf, NULL), 4);
    cr_assert_eq(ipct_wait_exit(pid, 5000), 0, "the retried send did not succeed");
    cr_assert_gt(ipct_faults_count(), 0,
                 "the send waited for room without the EINTR the test planned for its "
                 "first blocking mq_timedsend or mq_send: did it block in another call?");
    cr_assert_eq(mq_count(q), 1, "the retried message must be in the queue");
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(timed_send, errors)
{
    mqd_t q = raw_mq(mq_name("terr"), 2, 16);
    char big[17] = {0};
    errno = 0;
    cr_assert_eq(pq_send_timed(q, big, sizeof big, 0, 100), -1,
                 "17 bytes > mq_msgsize 16");
    cr_assert_eq(errno, EMSGSIZE, "errno should be EMSGSIZE, got %s", strerror(errno));
    errno = 0;
    cr_assert_eq(pq_send_timed(q, "x", 1, MQ_PRIO_MAX, 100), -1, "prio MQ_PRIO_MAX");
    cr_assert_eq(errno, EINVAL, "errno should be EINVAL, got %s", strerror(errno));
    cr_assert_eq(mq_count(q), 0);
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/* ---- 9. watch (mq_notify with SIGEV_THREAD) ----------------------------- */

static void ignore_notification(union sigval sv)
{
    (void)sv;
}

/*
 * The first SIGEV_THREAD registration makes the C library open a netlink
 * socket and start a helper thread, both kept for the life of the process.
 * Make them here, before the probe's fd snapshot, so that they are not
 * counted as the test's leak.
 */
static void prime_sigev_thread(void)
{
    char name[96];
    ipct_name(name, sizeof name, "/", "prime");
    struct mq_attr attr = {.mq_maxmsg = 1, .mq_msgsize = 8};
    mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
    if (q == (mqd_t)-1)
        return;
    mq_unlink(name);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD;
    sev.sigev_notify_function = ignore_notification;
    if (mq_notify(q, &sev) == 0)
        mq_notify(q, NULL);
    mq_close(q);
}

TestSuite(watch, .timeout = 10, .init = prime_sigev_thread, .fini = cleanup);

/* What the test's fn saw of one message. */
struct seen {
    char text[16];
    size_t len;
    unsigned prio;
    pid_t tid;
};

/* fn's state: where it reports, and a gate that holds its first call. */
struct sink {
    int out;               /* write end: one struct seen per call */
    int gate;              /* read end, or -1: the first call waits for a byte */
    atomic_int calls;      /* calls begun */
    atomic_int finished;   /* calls ended */
    atomic_int inside;     /* calls running now */
    atomic_int overlapped; /* set if two calls ever ran at once */
};

static void record_message(const char *msg, size_t len, unsigned prio, void *arg)
{
    struct sink *s = arg;
    if (atomic_fetch_add(&s->inside, 1) != 0)
        atomic_store(&s->overlapped, 1);
    struct seen r;
    memset(&r, 0, sizeof r);
    memcpy(r.text, msg, len < sizeof r.text - 1 ? len : sizeof r.text - 1);
    r.len = len;
    r.prio = prio;
    r.tid = gettid();
    if (write(s->out, &r, sizeof r) != (ssize_t)sizeof r)
        abort(); /* a pipe of 64 KiB never refuses a record here */
    if (atomic_fetch_add(&s->calls, 1) == 0 && s->gate >= 0) {
        char c;
        while (read(s->gate, &c, 1) < 0 && errno == EINTR)
            ;
    }
    atomic_fetch_sub(&s->inside, 1);
    atomic_fetch_add(&s->finished, 1);
}

static int sink_in;  /* read end of the records */
static int gate_out; /* write end of the gate */

/* A sink whose records the test reads from sink_in; with gated, the first
 * call waits until the test writes to gate_out. */
static struct sink *make_sink(struct sink *s, bool gated)
{
    int p[2], g[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    memset(s, 0, sizeof *s);
    s->out = p[1];
    sink_in = p[0];
    s->gate = gate_out = -1;
    if (gated) {
        cr_assert_eq(pipe2(g, O_CLOEXEC), 0);
        s->gate = g[0];
        gate_out = g[1];
    }
    return s;
}

static void close_sink(struct sink *s)
{
    close(s->out);
    close(sink_in);
    if (s->gate >= 0) {
        close(s->gate);
        close(gate_out);
    }
}

/* The next message fn saw, within 5 s; its text must be want. */
static void expect_seen(const char *want, unsigned want_prio)
{
    struct seen r;
    bool got = ipct_readable_within(sink_in, 5000) &&
               read(sink_in, &r, sizeof r) == (ssize_t)sizeof r;
    cr_assert(got, "fn was never called for \"%s\"", want);
    cr_assert_str_eq(r.text, want, "fn got \"%s\" where \"%s\" was due", r.text, want);
    cr_assert_eq(r.len, strlen(want));
    cr_assert_eq(r.prio, want_prio, "\"%s\": priority %u, expected %u", want, r.prio,
                 want_prio);
}

static void open_gate(void)
{
    cr_assert_eq(write(gate_out, "g", 1), 1);
}

/* Start a watch on q whose fn records into s, made here (gated: see make_sink). */
static struct pq_watch *watch_into(mqd_t q, struct sink *s, bool gated)
{
    make_sink(s, gated);
    struct pq_watch *w = pq_watch_start(q, record_message, s);
    cr_assert_not_null(w, "pq_watch_start failed: %s", strerror(errno));
    return w;
}

/*
 * Send a (priority pa), then b (pb, not pa) to q, and only then start a
 * watch into s: fn must get both with no new message, the higher priority
 * first. Returns the running watch.
 */
static struct pq_watch *watch_waiting(mqd_t q, struct sink *s, const char *a, unsigned pa,
                                      const char *b, unsigned pb)
{
    cr_assert_eq(mq_send(q, a, strlen(a), pa), 0);
    cr_assert_eq(mq_send(q, b, strlen(b), pb), 0);
    struct pq_watch *w = watch_into(q, s, false);
    expect_seen(pa > pb ? a : b, pa > pb ? pa : pb);
    expect_seen(pa > pb ? b : a, pa > pb ? pb : pa);
    return w;
}

/* Close the sink s and the test's queues, whose watches are all stopped. */
static void close_sink_and_queues(struct sink *s)
{
    close_sink(s);
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/* Stop the watch w (it must succeed), close its sink s and the test's queues. */
static void end_watch(struct pq_watch *w, struct sink *s)
{
    cr_assert_eq(pq_watch_stop(w), 0, "pq_watch_stop failed: %s", strerror(errno));
    close_sink_and_queues(s);
}

Test(watch, runs_fn_in_a_new_thread)
{
    mqd_t q = raw_mq(mq_name("wnew"), 4, 16);
    struct sink s;
    struct pq_watch *w = watch_into(q, &s, false);
    cr_assert_eq(mq_send(q, "hello", 5, 4), 0);
    struct seen r;
    bool got = ipct_readable_within(sink_in, 5000) &&
               read(sink_in, &r, sizeof r) == (ssize_t)sizeof r;
    int stopped = pq_watch_stop(w);
    int err = errno;
    close_sink(&s);
    cr_assert(got, "fn was not called after a message reached the empty queue");
    cr_assert_str_eq(r.text, "hello");
    cr_assert_eq(r.prio, 4);
    cr_assert_neq(r.tid, gettid(), "fn must run in the notification thread");
    cr_assert_eq(stopped, 0, "pq_watch_stop failed: %s", strerror(err));
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/* The number of threads of this process (entries of /proc/self/task). */
static int thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    if (d != NULL)
        closedir(d);
    return n;
}

/*
 * Wait (at most 2 s) until the process is back to `threads` threads: the
 * thread a notification started has returned, so its drain is over and the
 * next message can only reach fn through a new notification. Never fails:
 * a watch that keeps a thread of its own just goes on at once.
 */
static void wait_notification_thread_gone(int threads)
{
    long long deadline = ipct_now_ms() + 2000;
    while (thread_count() > threads && ipct_now_ms() < deadline)
        sched_yield();
}

Test(watch, registers_again_after_each_message)
{
    mqd_t q = raw_mq(mq_name("wagain"), 4, 16);
    struct sink s;
    struct pq_watch *w = watch_into(q, &s, false);
    int threads = thread_count(); /* with whatever helper the watch started */
    const char *text[] = {"one", "two", "three", "four", "five"};
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(mq_send(q, text[i], strlen(text[i]), 1), 0);
        expect_seen(text[i], 1); /* received: the queue is empty again */
        /* Only a drain that is over proves the next message needs a new
         * registration (a running drain would just take it). */
        wait_notification_thread_gone(threads);
    }
    end_watch(w, &s);
}

Test(watch, hands_over_messages_already_waiting)
{
    mqd_t q = raw_mq(mq_name("wwait"), 4, 16);
    struct sink s;
    struct pq_watch *w = watch_waiting(q, &s, "early", 2, "bird", 7);
    cr_assert_eq(mq_send(q, "late", 4, 0), 0);
    expect_seen("late", 0);
    end_watch(w, &s);
}

/* A message of 0 bytes is a message: fn gets it (len 0), and the drain
 * goes on past it. */
Test(watch, hands_over_empty_messages)
{
    mqd_t q = raw_mq(mq_name("wempty"), 4, 16);
    struct sink s;
    struct pq_watch *w = watch_waiting(q, &s, "", 5, "after", 1);
    end_watch(w, &s);
}

/* $begin drain_all */
Test(watch, drains_every_message_per_notification)
{
    mqd_t q = raw_mq(mq_name("wdrain"), 4, 16);
    struct sink s;
    make_sink(&s, true); /* fn's first call waits at the gate */
    struct pq_watch *w = pq_watch_start(q, record_message, &s);
    cr_assert_not_null(w, "pq_watch_start failed: %s", strerror(errno));
    cr_assert_eq(mq_send(q, "m1", 2, 0), 0);
    expect_seen("m1", 0);
    /* fn is busy with m1: m2 lands in the empty queue (a notification), m3
     * in a queue that is not empty (none). Both must still be delivered. */
    cr_assert_eq(mq_send(q, "m2", 2, 0), 0);
    cr_assert_eq(mq_send(q, "m3", 2, 0), 0);
    open_gate();
    expect_seen("m2", 0);
    expect_seen("m3", 0);
    cr_assert_eq(pq_watch_stop(w), 0, "pq_watch_stop failed: %s", strerror(errno));
    cr_assert_eq(atomic_load(&s.overlapped), 0, "fn ran in two threads at once");
    close_sink(&s);
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}
/* $end drain_all */

Test(watch, second_registration_is_ebusy)
{
    mqd_t q = raw_mq(mq_name("wbusy"), 4, 16);
    struct sink s;
    struct pq_watch *w = watch_into(q, &s, false);
    errno = 0;
    struct pq_watch *w2 = pq_watch_start(q, record_message, &s);
    int err = errno;
    if (w2 != NULL)
        pq_watch_stop(w2);
    cr_assert_null(w2, "the queue already has a registration: a second watch must fail");
    cr_assert_eq(err, EBUSY, "errno should be EBUSY, got %s", strerror(err));
    cr_assert_eq(mq_send(q, "still", 5, 0), 0);
    expect_seen("still", 0); /* the first watch is unharmed */
    cr_assert_eq(pq_watch_stop(w), 0, "pq_watch_stop failed: %s", strerror(errno));
    /* With a registration of the test's own in place, a watch cannot start either. */
    struct sigevent none = {.sigev_notify = SIGEV_NONE};
    cr_assert_eq(mq_notify(q, &none), 0, "pq_watch_stop must cancel: %s",
                 strerror(errno));
    errno = 0;
    w2 = pq_watch_start(q, record_message, &s);
    err = errno;
    if (w2 != NULL)
        pq_watch_stop(w2);
    mq_notify(q, NULL);
    cr_assert_null(w2, "a registration is in place: pq_watch_start must fail");
    cr_assert_eq(err, EBUSY, "errno should be EBUSY, got %s", strerror(err));
    close_sink_and_queues(&s);
}

Test(watch, stop_cancels_the_registration)
{
    mqd_t q = raw_mq(mq_name("wstop"), 4, 16);
    struct sink s;
    struct pq_watch *w = watch_into(q, &s, false);
    cr_assert_eq(pq_watch_stop(w), 0, "pq_watch_stop failed: %s", strerror(errno));
    struct sigevent none = {.sigev_notify = SIGEV_NONE};
    errno = 0;
    cr_assert_eq(mq_notify(q, &none), 0,
                 "the queue still has a registration after pq_watch_stop (%s)",
                 strerror(errno));
    cr_assert_eq(mq_notify(q, NULL), 0);
    cr_assert_eq(mq_send(q, "after", 5, 0), 0);
    cr_assert_eq(mq_count(q), 1, "a message sent after pq_watch_stop must stay queued");
    cr_assert_eq(atomic_load(&s.calls), 0);
    w = pq_watch_start(q, record_message, &s);
    cr_assert_not_null(w, "a new watch after the stop: %s", strerror(errno));
    expect_seen("after", 0);
    cr_assert_eq(pq_watch_stop(w), 0);
    close_sink_and_queues(&s);
}

/*
 * Another process registers on q between a notification and the watch's
 * re-registration: the test makes the watch's next mq_notify fail with EBUSY
 * (injected), waits until that call was made, then pq_watch_stop must
 * report EBUSY.
 */
Test(watch, lost_registration_is_reported)
{
    mqd_t q = raw_mq(mq_name("wlost"), 4, 16);
    struct sink s;
    struct pq_watch *w = watch_into(q, &s, false);
    int hits = ipct_faults_count();
    ipct_fault_fail("mq_notify", 1, EBUSY);
    cr_assert_eq(mq_send(q, "first", 5, 0), 0);
    long long deadline = ipct_now_ms() + 5000;
    while (ipct_faults_count() == hits && ipct_now_ms() < deadline)
        ipct_pause_ms(1);
    bool hit = ipct_faults_count() > hits;
    ipct_fault_clear();
    errno = 0;
    int r = pq_watch_stop(w);
    int err = errno;
    close_sink_and_queues(&s);
    cr_assert(hit, "after a notification the watch never registered again (mq_notify)");
    cr_assert_eq(
        r, -1,
        "the watch's re-registration failed with EBUSY (injected): pq_watch_stop "
        "must report it, got %d",
        r);
    cr_assert_eq(err, EBUSY, "errno should be EBUSY, got %s", strerror(err));
}

/* pq_watch_stop, run in a thread of its own. */
struct stopper {
    struct pq_watch *w;
    struct sink *s;
    atomic_int tid;
    atomic_int returned;
    int result;
    int finished_at_return; /* fn calls ended when pq_watch_stop returned */
};

static void *run_stop(void *p)
{
    struct stopper *st = p;
    atomic_store(&st->tid, gettid());
    st->result = pq_watch_stop(st->w);
    st->finished_at_return = atomic_load(&st->s->finished);
    atomic_store(&st->returned, 1);
    return NULL;
}

/* True once thread tid of this process sleeps (state S). */
static bool thread_sleeps(pid_t tid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char state = '?';
    if (fgets(buf, sizeof buf, f) != NULL) {
        const char *p = strrchr(buf, ')');
        if (p != NULL && p[1] == ' ')
            state = p[2];
    }
    fclose(f);
    return state == 'S';
}

Test(watch, stop_waits_for_fn)
{
    mqd_t q = raw_mq(mq_name("wwaitfn"), 4, 16);
    struct sink s;
    struct pq_watch *w = watch_into(q, &s, true);
    cr_assert_eq(mq_send(q, "busy", 4, 0), 0);
    expect_seen("busy", 0); /* fn now waits at the gate */
    struct stopper st = {.w = w, .s = &s};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, run_stop, &st), 0);
    /* Let pq_watch_stop run until it returns or sleeps, waiting for fn. */
    for (long end = ipct_now_ms() + 5000; ipct_now_ms() < end; ipct_pause_ms(1)) {
        pid_t tid = atomic_load(&st.tid);
        if (atomic_load(&st.returned) || (tid != 0 && thread_sleeps(tid)))
            break;
    }
    open_gate();
    pthread_join(th, NULL);
    close_sink(&s);
    cr_assert_eq(st.result, 0, "pq_watch_stop failed");
    cr_assert_eq(st.finished_at_return, 1,
                 "pq_watch_stop returned while fn was still running: the caller may "
                 "free what fn uses");
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

Test(watch, errors)
{
    mqd_t q = raw_mq(mq_name("werr"), 4, 16);
    errno = 0;
    cr_assert_null(pq_watch_start(q, NULL, NULL), "fn NULL");
    cr_assert_eq(errno, EINVAL, "errno should be EINVAL, got %s", strerror(errno));
    struct sigevent none = {.sigev_notify = SIGEV_NONE};
    cr_assert_eq(mq_notify(q, &none), 0, "a failed start must leave nothing registered");
    cr_assert_eq(mq_notify(q, NULL), 0);
    errno = 0;
    cr_assert_null(pq_watch_start((mqd_t)-1, record_message, NULL), "a bad descriptor");
    cr_assert_eq(errno, EBADF, "errno should be EBADF, got %s", strerror(errno));
    errno = 0;
    cr_assert_eq(pq_watch_stop(NULL), -1);
    cr_assert_eq(errno, EINVAL, "errno should be EINVAL, got %s", strerror(errno));
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/* ---- memory: each call frees what it allocates -------------------------------------
 */

/* sysv_send, sysv_recv and sysv_peek free the message buffer each allocates. */
Test(sysv_msg, calls_free_their_buffers)
{
    int id = raw_queue();
    long before = ipct_heap_blocks();
    cr_assert_eq(sysv_send(id, 5, "abc", 3, false), 0, "sysv_send: %s", strerror(errno));
    IPCT_EXPECT_HEAP_BACK(before, "sysv_send returned");
    char buf[16];
    long type;
    cr_assert_eq(sysv_recv(id, 0, buf, sizeof buf, &type, 0), 3, "sysv_recv: %s",
                 strerror(errno));
    IPCT_EXPECT_HEAP_BACK(before, "sysv_recv returned");
    IPCT_ASSERT_FAILS(ENOMSG, sysv_recv(id, 0, buf, sizeof buf, &type, IPC_NOWAIT),
                      "sysv_recv of an empty queue with IPC_NOWAIT");
    IPCT_EXPECT_HEAP_BACK(before, "sysv_recv failed (ENOMSG)");
    raw_send(id, 2, "x");
    struct sysv_peek_entry e[2];
    (void)sysv_peek(id, e, 2); /* ENOSYS without the kernel's MSG_COPY: freed alike */
    IPCT_EXPECT_HEAP_BACK(before, "sysv_peek returned");
    ipct_fault_fail("msgrcv", 1, EIDRM); /* the queue vanishes under the first copy */
    ssize_t n = sysv_peek(id, e, 2);
    ipct_fault_clear();
    cr_assert_eq(n, -1, "msgrcv failed with EIDRM (injected): sysv_peek must fail");
    IPCT_EXPECT_HEAP_BACK(before, "sysv_peek failed (msgrcv's EIDRM, injected)");
}

/*
 * With no memory (every malloc, calloc and realloc of the student's code
 * fails with ENOMEM, injected), each call either does its work without the
 * heap or fails with ENOMEM and leaves the queue as it was.
 */
Test(sysv_msg, no_memory_is_enomem)
{
    int id = raw_queue();
    raw_send(id, 4, "kept");
    ipct_fault_add(&(struct ipct_fault){
        .calls = "malloc calloc realloc", .every = 1, .error = ENOMEM});
    errno = 0;
    int sent = sysv_send(id, 5, "abc", 3, false);
    int send_err = errno;
    struct sysv_peek_entry e[4];
    errno = 0;
    ssize_t peeked = sysv_peek(id, e, 4);
    int peek_err = errno;
    char buf[16];
    long type = 0;
    errno = 0;
    ssize_t got = sysv_recv(id, 4, buf, sizeof buf, &type, IPC_NOWAIT);
    int recv_err = errno;
    ipct_fault_clear();
    long queued = (long)raw_stat(id).msg_qnum;
    cr_assert(sent == 0 || (sent == -1 && send_err == ENOMEM),
              "sysv_send with no memory: 0, or -1 with ENOMEM; got %d (%s)", sent,
              strerror(send_err));
    long want_peek = sent == 0 ? 2 : 1;
    cr_assert(peeked == want_peek || (peeked == -1 && peek_err == ENOMEM) ||
                  (peeked == -1 && peek_err == ENOSYS),
              "sysv_peek with no memory: %ld (the messages queued), or -1 with ENOMEM; "
              "got %zd (%s)",
              want_peek, peeked, strerror(peek_err));
    cr_assert(
        got == 4 || (got == -1 && recv_err == ENOMEM),
        "sysv_recv with no memory: 4 (the message), or -1 with ENOMEM; got %zd (%s)", got,
        strerror(recv_err));
    long want_queued = (sent == 0 ? 2 : 1) - (got == 4 ? 1 : 0);
    cr_assert_eq(
        queued, want_queued,
        "%ld message(s) queued, expected %ld: a call that failed with ENOMEM must "
        "leave the queue as it was",
        queued, want_queued);
}

/* pq_consume_notified frees the buffer it receives into. */
Test(notify, consume_frees_its_buffer)
{
    mqd_t q = notify_queue("cfree", 4);
    send_copies(q, "m", 2);
    long before = ipct_heap_blocks();
    long n = pq_consume_notified(q, SIGUSR1, 2, 2000);
    cr_assert_eq(n, 2, "expected the 2 waiting messages, got %ld (%s)", n,
                 strerror(errno));
    IPCT_EXPECT_HEAP_BACK(before, "pq_consume_notified returned");
    send_copies(q, "m", 1);
    IPCT_ASSERT_FAILS(ETIMEDOUT, pq_consume_notified(q, SIGUSR1, 2, 50),
                      "one message of the 2 asked for, no notification in 50 ms: fail");
    IPCT_EXPECT_HEAP_BACK(before, "pq_consume_notified failed (ETIMEDOUT)");
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/* jobq_posix_pop frees the buffer it receives into, on success and on failure. */
Test(jobq, posix_pop_frees_its_buffer)
{
    mqd_t q = raw_mq(mq_name("jfree"), 4, sizeof(struct job));
    struct job j = mkjob(3, "frees");
    cr_assert_eq(jobq_posix_push(q, &j), 0, "jobq_posix_push: %s", strerror(errno));
    long before = ipct_heap_blocks();
    cr_assert_eq(jobq_posix_pop(q, &j), 0, "jobq_posix_pop: %s", strerror(errno));
    IPCT_EXPECT_HEAP_BACK(before, "jobq_posix_pop returned a job");
    cr_assert_eq(mq_send(q, "", 0, 1), 0, "mq_send: %s", strerror(errno));
    IPCT_ASSERT_FAILS(EIO, jobq_posix_pop(q, &j), "an empty message is no struct job");
    IPCT_EXPECT_HEAP_BACK(before, "jobq_posix_pop failed (EIO)");
    cleanup(); /* close the descriptors: the probe counts fds before .fini */
}

/* pq_watch_stop frees what pq_watch_start allocated (the watch, its buffer). */
Test(watch, stop_frees_the_watch)
{
    mqd_t q = raw_mq(mq_name("wfree"), 4, 16);
    struct sink s;
    long before = ipct_heap_blocks();
    struct pq_watch *w = watch_into(q, &s, false);
    cr_assert_eq(pq_watch_stop(w), 0, "pq_watch_stop failed: %s", strerror(errno));
    IPCT_EXPECT_HEAP_BACK(before, "pq_watch_start then pq_watch_stop");
    /* A registration of the test's own: the watch cannot start (EBUSY). */
    struct sigevent none = {.sigev_notify = SIGEV_NONE};
    cr_assert_eq(mq_notify(q, &none), 0, "mq_notify: %s", strerror(errno));
    w = pq_watch_start(q, record_message, &s);
    int err = errno;
    if (w != NULL)
        pq_watch_stop(w);
    mq_notify(q, NULL);
    cr_assert_null(w, "a registration is in place: pq_watch_start must fail");
    cr_assert_eq(err, EBUSY, "errno should be EBUSY, got %s", strerror(err));
    IPCT_EXPECT_HEAP_BACK(before, "pq_watch_start failed (EBUSY)");
    /* Memory runs out at its 1st, 2nd, ... allocation. */
    for (int k = 1; k <= 4; k++) {
        ipct_fault_fail("malloc calloc realloc", k, ENOMEM);
        w = pq_watch_start(q, record_message, &s);
        err = errno;
        ipct_fault_clear();
        if (w != NULL)
            cr_assert_eq(pq_watch_stop(w), 0, "pq_watch_stop: %s", strerror(errno));
        else
            cr_assert_eq(err, ENOMEM,
                         "allocation %d failed (injected): errno should be "
                         "ENOMEM, got %s",
                         k, strerror(err));
        IPCT_EXPECT_HEAP_BACK(before, w != NULL
                                          ? "pq_watch_start then pq_watch_stop"
                                          : "pq_watch_start failed (ENOMEM, injected)");
    }
    close_sink_and_queues(&s);
}
