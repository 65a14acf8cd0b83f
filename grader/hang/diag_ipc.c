/* diag_ipc.c - why-it-hung's diagnoses of System V semaphores and queues, POSIX queues.
 */
#include "hang/hang_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sched.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* in_ns callback: the value of semaphore a[1] of set a[0] (arg is an int[2]) into out. */
static ssize_t sem_value(const void *arg, void *out, size_t max)
{
    const int *a = arg;
    int v = semctl(a[0], a[1], GETVAL);
    if (v < 0 || max < sizeof v)
        return -1;
    memcpy(out, &v, sizeof v);
    return (ssize_t)sizeof v;
}

/* in_ns callback: msgctl(IPC_STAT) of queue a[0] into out (a struct msqid_ds). */
static ssize_t msq_stat(const void *arg, void *out, size_t max)
{
    const int *a = arg;
    if (max < sizeof(struct msqid_ds) || msgctl(a[0], IPC_STAT, out) < 0)
        return -1;
    return (ssize_t)sizeof(struct msqid_ds);
}

/* Pattern: semop on a SysV semaphore that nobody will raise. */
int diag_semop(struct hctx *c, struct hproc *p, struct hthread *t, struct sbuf *b)
{
    int semid = (int)t->sc.args[0];
    if (t->inferred) {
        sb_printf(b, "pid %d waits in semop() on a SysV semaphore", (int)p->pid);
        return nobody_can(c, p, b, "post",
                          "raise it with semop(+1) where the resource is "
                          "released, or give it the right initial value");
    }
    struct sembuf ops[8];
    size_t nops = t->sc.args[2] < 8 ? (size_t)t->sc.args[2] : 8;
    int have_ops =
        nops > 0 && procfs_peek(p->pid, t->sc.args[1], ops, nops * sizeof ops[0]) == 0;
    sb_printf(b, "pid %d waits in semop() on SysV semaphore set %d", (int)p->pid, semid);
    if (have_ops) {
        /* The operation that cannot proceed: a decrement or a wait-for-zero. */
        struct sembuf *op = &ops[0];
        for (size_t i = 0; i < nops; i++)
            if (ops[i].sem_op <= 0) {
                op = &ops[i];
                break;
            }
        sb_printf(b, " (semaphore %u, %s %d", op->sem_num,
                  op->sem_op == 0 ? "waiting for zero" : "wants", op->sem_op);
        int arg[2] = {semid, op->sem_num}, val = -1;
        if (in_ns(p->pid, "ipc", CLONE_NEWIPC, sem_value, arg, &val, sizeof val) ==
            (ssize_t)sizeof val)
            sb_printf(b, ", value %d", val);
        sb_printf(b, ")");
    }
    return nobody_can(
        c, p, b, "post",
        "raise it with semop(+1) where the resource is released, or give it "
        "the right initial value with semctl(SETVAL)");
}

/* Pattern: msgrcv on an empty queue, or msgsnd on a full one. */
int diag_msg(struct hctx *c, struct hproc *p, struct hthread *t, int rcv, struct sbuf *b)
{
    int msqid = (int)t->sc.args[0];
    long type = (long)t->sc.args[3];
    struct msqid_ds ds;
    int stat_ok =
        !t->inferred && in_ns(p->pid, "ipc", CLONE_NEWIPC, msq_stat, (int[2]){msqid, 0},
                              &ds, sizeof ds) == (ssize_t)sizeof ds;
    if (t->inferred) {
        sb_printf(b, "pid %d waits in %s() on a SysV message queue, which is %s",
                  (int)p->pid, rcv ? "msgrcv" : "msgsnd", rcv ? "empty" : "full");
        return nobody_can(c, p, b, rcv ? "send to" : "receive from",
                          rcv ? "send before receiving, or receive with IPC_NOWAIT"
                              : "receive as you send, or send with IPC_NOWAIT");
    }
    if (rcv) {
        sb_printf(
            b, "pid %d waits in msgrcv() on SysV message queue %d, which has no message",
            (int)p->pid, msqid);
        if (type > 0)
            sb_printf(b, " of type %ld", type);
        else if (type < 0)
            sb_printf(b, " of type <= %ld", -type);
        if (stat_ok)
            sb_printf(b, " (%lu in the queue)", (unsigned long)ds.msg_qnum);
        return nobody_can(c, p, b, "send to",
                          "send before receiving, or receive with IPC_NOWAIT and handle "
                          "ENOMSG");
    }
    sb_printf(b, "pid %d waits in msgsnd() on SysV message queue %d, which is full",
              (int)p->pid, msqid);
    if (stat_ok)
        sb_printf(b, " (%lu messages, %lu of %lu bytes)", (unsigned long)ds.msg_qnum,
                  (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qbytes);
    return nobody_can(c, p, b, "receive from",
                      "receive as you send, or send with IPC_NOWAIT and handle EAGAIN");
}

/* Pattern: a POSIX message queue that stays empty (or full). */
int diag_mq(struct hctx *c, struct hproc *p, struct hthread *t, int rcv, struct sbuf *b)
{
    struct hfd *f = fd_find(p, (long)(int)t->sc.args[0]);
    sb_printf(b, "pid %d waits in %s() on the POSIX message queue %s%s%s, which is %s",
              (int)p->pid, rcv ? "mq_receive" : "mq_send", f ? "'" : "",
              f ? f->target : "(unknown)", f ? "'" : "", rcv ? "empty" : "full");
    return nobody_can(
        c, p, b, rcv ? "send to" : "receive from",
        rcv ? "send before receiving, or open it O_NONBLOCK and handle EAGAIN"
            : "receive as you send, or open it O_NONBLOCK and handle EAGAIN");
}
