/* memcg.h - a memory cgroup around one grade's sandboxed processes, where one can be
 * made. */
#ifndef IPCLAB_MEMCG_H
#define IPCLAB_MEMCG_H

#include <limits.h>
#include <stdbool.h>

/*
 * A bound on the memory of everything one grade runs together: heaps, the
 * sandbox's tmpfs (/tmp, /var/tmp, /dev/shm, the work folder's scratch),
 * SysV shared memory and message queues in its IPC namespace, and the kernel
 * memory of its files' inodes. Per-process limits (RLIMIT_AS) and tmpfs
 * sizes cannot bound these: a segment outlives the process that touched it,
 * and many processes each under RLIMIT_AS add up. The kernel charges all of
 * it to the cgroup of the process that caused it, and kills a process of the
 * cgroup when the bound is reached.
 *
 * The grader makes a child of its own memory cgroup (cgroup v1's memory
 * hierarchy, or cgroup v2 where memory is delegated to its cgroup's
 * children) and each sandboxed process joins it before it drops its uid
 * (proc_opts.cgroup_procs). Where it cannot (not root, no writable memory
 * controller), the grade runs without one and the report says so.
 */
struct memcg {
    bool on;              /* the cgroup exists and processes join it */
    int version;          /* 1 or 2 */
    long mb;              /* the bound, MiB */
    char dir[PATH_MAX];   /* the cgroup's folder */
    char procs[PATH_MAX]; /* DIR/cgroup.procs, for proc_opts.cgroup_procs */
    char note[200];       /* what it is, or why there is none */
};

/*
 * memcg_create - a new cgroup bounded to mb MiB (memory and swap), for the
 * processes of one grade. mb <= 0: none (the note says the policy turned it
 * off). Returns 0 with m->on, or -1 with m->note saying why there is none;
 * either way the grade goes on.
 */
int memcg_create(struct memcg *m, long mb);

/* memcg_hit - whether the kernel refused memory to m's processes at its bound. */
bool memcg_hit(const struct memcg *m);

/*
 * memcg_destroy - kill whatever is still in m, wait (about 2 s at most) until
 * it is empty, and remove it. Safe on a memcg that is off.
 */
void memcg_destroy(struct memcg *m);

#endif /* IPCLAB_MEMCG_H */
