/* diag_process.c - why-it-hung's diagnoses of waitpid, signals and sleeps. */
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

/* Pattern: waitpid() for a child that is itself stuck. */
int diag_wait(struct hctx *c, struct hproc *p, struct hthread *t, struct sbuf *b)
{
    const struct sc_info *si = sc_lookup(t->sc.nr);
    pid_t target = -1;
    if (si->kind == K_WAIT)
        target = (pid_t)(int)t->sc.args[0];
    else if ((int)t->sc.args[0] == P_PID)
        target = (pid_t)(int)t->sc.args[1];
    struct hproc *child = NULL;
    size_t nchildren = 0;
    for (size_t i = 0; i < c->n; i++) {
        struct hproc *o = &c->procs[i];
        if (o->alive && o->st.ppid == p->pid && (target <= 0 || o->pid == target)) {
            nchildren++;
            if (child == NULL || (child->rank < RANK_CHAIN && o->rank >= RANK_CHAIN))
                child = o;
        }
    }
    if (child == NULL) {
        sb_printf(b, "pid %d waits in %s() for ", (int)p->pid, si->name);
        if (target > 0)
            sb_printf(b, "pid %d, which is not a process of the test", (int)target);
        else
            sb_printf(b, "a child outside the test");
        return RANK_FACT;
    }
    char doing[96];
    doing_phrase(child, doing, sizeof doing);
    if (target > 0 || nchildren == 1)
        sb_printf(b, "pid %d waits in %s() for its child pid %d, which never exits",
                  (int)p->pid, si->name, (int)child->pid);
    else
        sb_printf(b,
                  "pid %d waits in %s() for any of its %zu children, and none exits; "
                  "its child pid %d never will",
                  (int)p->pid, si->name, nchildren, (int)child->pid);
    if (child->sentence != NULL)
        sb_printf(b, ": %s", child->sentence);
    else
        sb_printf(b, ": it %s", doing);
    return child->rank >= RANK_FACT ? RANK_CHAIN : RANK_FACT;
}

/* A signal mask as names: "USR1 TERM". */
static void sig_names(unsigned long long mask, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int s = 1; s < 64; s++) {
        if (!(mask & (1ULL << (s - 1))))
            continue;
        const char *name = sigabbrev_np(s);
        char num[16];
        if (name == NULL) {
            snprintf(num, sizeof num, "%d", s);
            name = num;
        }
        int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "", name);
        if (n < 0 || used + (size_t)n >= len)
            break;
        used += (size_t)n;
    }
}

/* Waits for a signal or a timer: pause(), sigsuspend(), sigwait(), sleep(). */
int diag_signal_or_sleep(struct hctx *c, struct hproc *p, struct hthread *t,
                         struct sbuf *b)
{
    const struct sc_info *si = sc_lookup(t->sc.nr);
    if (si->kind == K_SLEEP || si->kind == K_CLOCKSLEEP) {
        long ts[2];
        unsigned long addr = t->sc.args[si->kind == K_SLEEP ? 0 : 2];
        sb_printf(b, "pid %d sleeps in %s()", (int)p->pid, si->name);
        if (procfs_peek(p->pid, addr, ts, sizeof ts) == 0)
            sb_printf(b, " for %ld.%03ld s", ts[0], ts[1] / 1000000);
        sb_printf(b, ": a sleep is not a way to wait for another process; wait on the "
                     "event itself (read, waitpid, sem_wait)");
        return RANK_FACT;
    }
    unsigned long long caught = 0;
    procfs_status_mask(p->pid, "SigCgt", &caught);
    char names[256];
    sig_names(caught, names, sizeof names);
    sb_printf(b, "pid %d waits in %s() for a signal", (int)p->pid, si->name);
    /* A caught signal already pending but blocked by the mask it waits with: it came,
     * and the wait itself keeps it out (a wait mask that blocks everything else). */
    unsigned long long pending = 0, shared = 0, blocked = 0;
    procfs_status_mask(p->pid, "SigPnd", &pending);
    procfs_status_mask(p->pid, "ShdPnd", &shared);
    procfs_status_mask(p->pid, "SigBlk", &blocked);
    unsigned long long held = (pending | shared) & blocked & caught;
    if (held != 0 && t->sc.nr == SYS_rt_sigsuspend) {
        char held_names[256];
        sig_names(held, held_names, sizeof held_names);
        sb_printf(b,
                  ": signal %s arrived and is pending, but the mask it waits with blocks "
                  "it, so "
                  "its handler never runs and whatever follows it never comes. Wait "
                  "with the mask from before the call minus the signal awaited, not one "
                  "that blocks every other signal",
                  held_names);
        return RANK_PATTERN;
    }
    if (caught == 0)
        sb_printf(
            b, ", but it catches none, so only a signal that kills it can end the wait");
    else
        sb_printf(b, " (it catches %s)", names);
    int rank = nobody_can(c, p, b, "send",
                          "send the signal the process waits for (kill()), and block it "
                          "before the wait so it cannot arrive too early (sigprocmask, "
                          "sigsuspend)");
    /* A wait for a signal is rarely the mistake itself: whoever waits for it says more.
     */
    return rank > RANK_FACT ? RANK_FACT : rank;
}
