/* ns.c - why-it-hung in the test's namespaces: same_ns, and running a read inside them.
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

/* Is process pid in the same namespace ns ("ipc", "net") as we are? */
static int same_ns(pid_t pid, const char *ns)
{
    char mine[64], theirs[64];
    struct stat a, b;
    snprintf(mine, sizeof mine, "/proc/self/ns/%s", ns);
    snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", (int)pid, ns);
    return stat(mine, &a) == 0 && stat(theirs, &b) == 0 && a.st_ino == b.st_ino &&
           a.st_dev == b.st_dev;
}

/*
 * in_ns - run fn(arg, out, max) in pid's namespace ns ("ipc" or "net"):
 * directly when we share it, else in a child that joins it with setns()
 * (needs CAP_SYS_ADMIN, so in practice root) and sends its result back
 * through a pipe. fn must only make system calls (the child of a threaded
 * grader may do nothing else). Returns the bytes fn produced, or -1.
 */
ssize_t in_ns(pid_t pid, const char *ns, int nstype,
              ssize_t (*fn)(const void *arg, void *out, size_t max), const void *arg,
              void *out, size_t max)
{
    if (same_ns(pid, ns))
        return fn(arg, out, max);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, ns);
    int nsfd = open(path, O_RDONLY | O_CLOEXEC);
    if (nsfd < 0)
        return -1;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        close(nsfd);
        return -1;
    }
    pid_t child = fork();
    if (child == 0) {
        close(p[0]);
        if (setns(nsfd, nstype) < 0)
            _exit(1);
        ssize_t n = fn(arg, out, max);
        for (ssize_t done = 0; n > 0 && done < n;) {
            ssize_t w = write(p[1], (char *)out + done, (size_t)(n - done));
            if (w <= 0)
                _exit(1);
            done += w;
        }
        _exit(n < 0);
    }
    close(nsfd);
    close(p[1]);
    size_t got = 0;
    while (child > 0 && got < max) {
        ssize_t r = read(p[0], (char *)out + got, max - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(p[0]);
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return got > 0 ? (ssize_t)got : -1;
    return (ssize_t)got;
}
