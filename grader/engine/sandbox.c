/* sandbox.c - bubblewrap command lines for running a submission in isolation. */
#include "engine/sandbox.h"
#include "engine/course.h"
#include "base/proc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The bwrap options, before the bind of the work directory. */
static const char *const bwrap_opts[] = {"bwrap",
                                         "--unshare-user",
                                         "--unshare-ipc",
                                         "--unshare-pid",
                                         "--unshare-net",
                                         "--unshare-uts",
                                         "--unshare-cgroup-try",
                                         "--die-with-parent",
                                         "--new-session",
                                         "--hostname",
                                         "ipclab-sandbox",
                                         "--ro-bind",
                                         "/",
                                         "/",
                                         "--dev",
                                         "/dev",
                                         "--tmpfs",
                                         "/dev/shm",
                                         "--mqueue",
                                         "/dev/mqueue",
                                         "--proc",
                                         "/proc",
                                         "--tmpfs",
                                         "/tmp",
                                         "--tmpfs",
                                         "/var/tmp",
                                         NULL};

/*
 * course_labs_target - the real path of the course's labs/ when it lies
 * outside the course root (labs/ is a symbolic link, as in a private
 * course root made for testing), else NULL. The sandbox's fresh /tmp would
 * otherwise hide a target under /tmp. Computed once; the string is static.
 */
static const char *course_labs_target(void)
{
    static char real[PATH_MAX];
    static int done;
    if (!done) {
        char link[PATH_MAX];
        snprintf(link, sizeof link, "%s/labs", course_root());
        size_t n = strlen(course_root());
        done = 1;
        if (realpath(link, real) == NULL ||
            (strncmp(real, course_root(), n) == 0 && real[n] == '/'))
            real[0] = '\0';
    }
    return real[0] ? real : NULL;
}

char **sandbox_argv(const struct sandbox_info *si, const char *work,
                    const struct sandbox_opts *o, char *const argv[])
{
    size_t nopts = sizeof bwrap_opts / sizeof bwrap_opts[0] - 1, nargs = 0, nro = 0;
    while (argv[nargs] != NULL)
        nargs++;
    while (o != NULL && o->ro != NULL && o->ro[nro] != NULL)
        nro++;
    char **out = calloc(nopts + nargs + 3 * nro + 16, sizeof *out);
    if (out == NULL)
        return NULL;
    size_t k = 0;
    if (si->on) {
        for (size_t i = 0; i < nopts; i++)
            out[k++] = (char *)bwrap_opts[i];
        /* A course checked out under /tmp stays visible (read-only). */
        out[k++] = "--ro-bind";
        out[k++] = (char *)course_root();
        out[k++] = (char *)course_root();
        /* ... and so do its labs when they are a link to a tree under /tmp. */
        const char *labs = course_labs_target();
        if (labs != NULL) {
            out[k++] = "--ro-bind";
            out[k++] = (char *)labs;
            out[k++] = (char *)labs;
        }
        out[k++] = "--bind";
        out[k++] = (char *)work;
        out[k++] = (char *)work;
        for (size_t i = 0; i < nro; i++) {
            out[k++] = "--ro-bind";
            out[k++] = (char *)o->ro[i];
            out[k++] = (char *)o->ro[i];
        }
        if (o != NULL && o->as_pid_1)
            out[k++] = "--as-pid-1";
        out[k++] = "--chdir";
        out[k++] = (char *)work;
        out[k++] = "--";
    }
    for (size_t i = 0; i < nargs; i++)
        out[k++] = argv[i];
    out[k] = NULL;
    return out;
}

bool sandbox_probe(struct sandbox_info *si, const char *work, bool want)
{
    si->uid_dropped = geteuid() == 0;
    si->on = false;
    if (!want || getenv("IPCLAB_NO_SANDBOX") != NULL) {
        snprintf(si->note, sizeof si->note, "isolation off (--no-sandbox)");
        return false;
    }
    si->on = true;
    char *cmd[] = {"true", NULL};
    char **argv = sandbox_argv(si, work, NULL, cmd);
    struct proc_opts o = {
        .cwd = work, .uid = grade_uid(), .wall_seconds = 10, .out_cap = 512};
    struct proc p;
    si->on = false;
    if (argv != NULL && proc_start(&p, "sandbox probe", argv, &o) == 0) {
        proc_wait_all(&p, 1, NULL, NULL);
        if (!p.killed && p.status == 0) {
            si->on = true;
            snprintf(si->note, sizeof si->note,
                     "bubblewrap: private IPC, PID, network (loopback), /dev/shm, "
                     "/tmp; host read-only; %s",
                     si->uid_dropped ? "an unprivileged uid"
                                     : "uid unchanged (not root)");
        } else {
            char *nl = strchr(p.out, '\n');
            if (nl != NULL)
                *nl = '\0';
            snprintf(si->note, sizeof si->note,
                     "isolation off: bubblewrap does not work here (%.180s)", p.out);
        }
        proc_free(&p);
    } else {
        snprintf(si->note, sizeof si->note, "isolation off: cannot start bubblewrap");
    }
    free(argv);
    return si->on;
}
