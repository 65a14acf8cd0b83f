/* sandbox.h - wraps a command in a bubblewrap sandbox (namespaces, read-only host). */
#ifndef IPCLAB_SANDBOX_H
#define IPCLAB_SANDBOX_H

#include "engine/grade.h"

/*
 * sandbox_probe - decide whether commands can run sandboxed, by running
 * `bwrap ... true` once as the uid the tests will use. Fills si (on, and a
 * note saying what the sandbox is or why it is off). want = false (the
 * --no-sandbox option) turns it off without trying. Returns si->on.
 */
bool sandbox_probe(struct sandbox_info *si, const char *work, bool want);

/* Per-command choices for sandbox_argv. */
struct sandbox_opts {
    const char *const *ro;      /* NULL-terminated: paths under work bound read-only */
    bool as_pid_1;              /* the command is PID 1 of its namespace (reaps orphans,
                                   immune to kill(-1)) instead of bwrap's own init */
    const char *const *hidden;  /* NULL-terminated: more folders it sees empty */
    const char *const *scratch; /* NULL-terminated: folders under work it sees as
                                   a fresh tmpfs of 512 MiB (gone afterwards) */
    const char *const *rw;      /* NULL-terminated: folders inside an ro one (a lane
                                   under WORK/sealed) it may write again */
};

/*
 * sandbox_argv - the argv that runs argv inside the sandbox when si->on (or
 * argv itself, copied, when off): new user, IPC (own mqueue mount), PID, UTS
 * and network (loopback only) namespaces, a private /dev/shm, /tmp and /proc
 * (each tmpfs at most 512 MiB), the host and the course read-only (even
 * under /tmp), work writable (except o->ro, but o->rw inside them) and the
 * current directory. o may be NULL. Returns a malloc'd
 * NULL-terminated array (strings not copied: free the array only, and keep
 * o's strings alive while it is used), or NULL when memory runs out.
 */
char **sandbox_argv(const struct sandbox_info *si, const char *work,
                    const struct sandbox_opts *o, char *const argv[]);

#endif /* IPCLAB_SANDBOX_H */
