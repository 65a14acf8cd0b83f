/* sandbox.h - wraps a command in a bubblewrap sandbox (namespaces, read-only host). */
#ifndef IPCLAB_SANDBOX_H
#define IPCLAB_SANDBOX_H

#include "grade.h"

/*
 * sandbox_probe - decide whether commands can run sandboxed, by running
 * `bwrap ... true` once as the uid the tests will use. Fills si (on, and a
 * note saying what the sandbox is or why it is off). want = false (the
 * --no-sandbox option) turns it off without trying. Returns si->on.
 */
bool sandbox_probe(struct sandbox_info *si, const char *work, bool want);

/*
 * sandbox_argv - the argv that runs argv inside the sandbox when si->on (or
 * argv itself, copied, when off): new user, IPC (own mqueue mount), PID, UTS
 * and network (loopback only) namespaces, a private /dev/shm, /tmp and /proc,
 * the host read-only, work (and only work) writable and the current
 * directory. Returns a malloc'd NULL-terminated array (strings not copied;
 * free the array only), or NULL when memory runs out.
 */
char **sandbox_argv(const struct sandbox_info *si, const char *work, char *const argv[]);

#endif /* IPCLAB_SANDBOX_H */
