/* diag_memory.c - why-it-hung's diagnoses of futex waits (semaphores, mutexes, joins). */
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

/* Does any other process of the test map (dev, inode)? Lists them in b. */
static size_t sharers(struct hctx *c, struct hproc *w, const struct procfs_map *m,
                      struct hproc **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n && n < max; i++) {
        struct hproc *o = &c->procs[i];
        if (o != w && o->alive && procfs_maps_inode(o->pid, m->dev, m->inode) == 1)
            out[n++] = o;
    }
    return n;
}

/* Finish a "nobody can release it" sentence: every other process is stuck. */
int nobody_can(struct hctx *c, struct hproc *p, struct sbuf *b, const char *verb,
               const char *advice)
{
    struct sbuf o = {0};
    int running = others_phrase(c, p, &o);
    if (o.failed)
        c->oom = 1;
    if (running) {
        sb_printf(b, " (%s)", o.s ? o.s : "");
        free(o.s);
        return RANK_FACT;
    }
    sb_printf(b, ", and no other process of the test is in a position to %s it: %s; %s",
              verb, o.s ? o.s : "", advice);
    free(o.s);
    return RANK_PATTERN;
}

/*
 * shm_name - the current name in /dev/shm of the file behind mapping m of
 * pid, found by inode (sem_open maps a temporary file, then links it to
 * sem.NAME, so the mapping's own path is not the name). Looks through the
 * process's root, so it works across mount namespaces. Returns 0, or -1.
 */
static int shm_name(pid_t pid, const struct procfs_map *m, char *buf, size_t len)
{
    if (strncmp(m->path, "/dev/shm/", 9) != 0)
        return -1;
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/root/dev/shm", (int)pid);
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int found = -1;
    struct dirent *e;
    while (found < 0 && (e = readdir(d)) != NULL)
        if (e->d_ino == m->inode && e->d_name[0] != '.') {
            snprintf(buf, len, "%s", e->d_name);
            found = 0;
        }
    closedir(d);
    return found;
}

/* Pattern: a futex wait: a semaphore nobody posts, a mutex in private memory, a join. */
int diag_futex(struct hctx *c, struct hproc *p, struct hthread *t, struct sbuf *b)
{
    unsigned long addr = t->sc.args[0];
    int op = (int)(t->sc.args[1] & 127) & ~256; /* drop PRIVATE and CLOCK_REALTIME */
    struct procfs_map m;
    int mapped = procfs_find_map(p->pid, addr, &m) == 0;
    unsigned int word[2] = {0, 0};
    int peeked = procfs_peek(p->pid, addr, word, sizeof word) == 0;
    (void)op;
    if (t->inferred) {
        sb_printf(b,
                  "pid %d waits on a futex (sem_wait(), a mutex or a condition variable)",
                  (int)p->pid);
        int rank = nobody_can(c, p, b, "wake",
                              "post or unlock it where the resource is released");
        return rank > RANK_FACT ? RANK_FACT : rank; /* not even sure it is a semaphore */
    }
    /* pthread_join waits on the thread's tid word until the thread exits. */
    for (size_t i = 0; peeked && i < p->nth; i++)
        if (p->th[i].tid != t->tid && (pid_t)word[0] == p->th[i].tid) {
            char doing[96];
            const char *name = call_name(&p->th[i]);
            if (name != NULL)
                snprintf(doing, sizeof doing, "is blocked in %s()", name);
            else
                snprintf(doing, sizeof doing, "%s",
                         p->th[i].state == 'R' ? "is running" : "is blocked");
            sb_printf(b, "pid %d waits in pthread_join() for thread %d, which %s",
                      (int)p->pid, (int)p->th[i].tid, doing);
            return RANK_CHAIN;
        }
    int shared = mapped && m.perms[3] == 's';
    const char *slash = mapped ? strrchr(m.path, '/') : NULL;
    char semname[NAME_MAX + 1];
    if (shared && shm_name(p->pid, &m, semname, sizeof semname) == 0 &&
        strncmp(semname, "sem.", 4) == 0) {
        sb_printf(b, "pid %d waits in sem_wait() on the POSIX named semaphore '/%s'",
                  (int)p->pid, semname + 4);
    } else if (shared && strncmp(m.path, "/dev/shm/", 9) == 0 &&
               strstr(m.path, "(deleted)")) {
        sb_printf(
            b, "pid %d waits in sem_wait() on a POSIX named semaphore (already unlinked)",
            (int)p->pid);
    } else if (shared) {
        const char *what =
            strstr(m.path, "/dev/zero") == m.path  ? "anonymous shared memory"
            : strncmp(m.path, "/SYSV", 5) == 0     ? "a SysV shared memory segment"
            : strncmp(m.path, "/dev/shm/", 9) == 0 ? "POSIX shared memory"
                                                   : "a shared mapping";
        sb_printf(b, "pid %d waits on a %s at %#lx in %s", (int)p->pid,
                  peeked && word[0] == 0 && word[1] > 0 ? "semaphore (sem_wait())"
                                                        : "futex (a semaphore, mutex or "
                                                          "condition variable)",
                  addr, what);
        if (strncmp(m.path, "/dev/shm/", 9) == 0 && slash != NULL)
            sb_printf(b, " '/%s'", slash + 1);
    } else if (p->nth <= 1) {
        sb_printf(
            b,
            "pid %d waits on a futex (a semaphore or mutex) at %#lx in its private "
            "memory (%s), which no other process can reach: after fork() each process "
            "has its own copy, so a sem_post() or unlock elsewhere never wakes it; put "
            "it in shared memory (mmap MAP_SHARED, sem_init with pshared = 1)",
            (int)p->pid, addr,
            mapped && m.path[0] ? m.path
            : mapped            ? "a global, heap or stack variable"
                                : "unmapped");
        return RANK_PATTERN;
    } else {
        sb_printf(b,
                  "pid %d waits on a futex (a mutex, condition variable or semaphore) at "
                  "%#lx",
                  (int)p->pid, addr);
        return RANK_FACT;
    }
    if (peeked && word[0] == 0)
        sb_printf(b, " (value 0)");
    struct hproc *sh[32];
    size_t ns = sharers(c, p, &m, sh, 32);
    if (ns == 0) {
        sb_printf(b, ", and no other process of the test has it mapped (");
        others_phrase(c, p, b);
        sb_printf(b, "), so no one can post it: post it where the resource is released, "
                     "or give it the right initial value");
        return RANK_PATTERN;
    }
    int running = 0;
    sb_printf(b, ", and no other process of the test is in a position to post it: ");
    for (size_t i = 0; i < ns; i++) {
        char rel[96], doing[96];
        relation(c, p, sh[i]->pid, rel, sizeof rel);
        doing_phrase(sh[i], doing, sizeof doing);
        running |= !is_stuck(sh[i], NULL);
        sb_printf(b, "%s%s %s", i ? ", " : "", rel, doing);
    }
    if (running)
        return RANK_FACT;
    sb_printf(b, "; post it where the resource is released, or give it the right "
                 "initial value");
    return RANK_PATTERN;
}
