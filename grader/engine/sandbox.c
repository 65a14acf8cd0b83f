/* sandbox.c - bubblewrap command lines for running a submission in isolation. */
#include "engine/sandbox.h"
#include "engine/course.h"
#include "base/proc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Size of every writable tmpfs in the sandbox (bwrap --size), and of the
 * empty ones that hide host folders. */
#define TMPFS_BYTES  "536870912" /* 512 MiB */
#define HIDDEN_BYTES "65536"

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
                                         "--disable-userns",
                                         "--dev",
                                         "/dev",
                                         "--mqueue",
                                         "/dev/mqueue",
                                         "--proc",
                                         "/proc",
                                         NULL};

/* The sandbox's own writable folders, each a fresh tmpfs (see writable). */
static const char *const private_tmp[] = {"/dev/shm", "/tmp", "/var/tmp", NULL};

/*
 * Host folders the sandbox sees empty (each an empty tmpfs of HIDDEN_BYTES):
 * the host's services (/run: unix sockets), people's homes, and, in the
 * course, what a submission must never read: the reference solutions, the
 * history, the broken variants and corpus (tests/), the benchmark cases,
 * grades and submissions kept in the course, and the grader's build cache
 * (its lock files: a flock held there would stall other grades' builds).
 * A command may hide more (sandbox_opts.hidden: a lab's test sources once
 * they are compiled outside). IPCLAB_SANDBOX_HIDE adds more
 * (a colon-separated list: grade-all hides its output folder and the
 * submissions folder). The course root itself is bound again after /home
 * and /root, so a course kept in a home stays visible.
 */
static const char *const hidden_host[] = {"/run", "/home", "/root", NULL};
static const char *const hidden_in_course[] = {
    "solutions",         ".git", "tests", "bench", "grades", "submissions",
    "build/grade-cache", NULL};

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

/* COURSE/name as a string that lives as long as the process (one per name). */
static const char *course_path(const char *name)
{
    static char paths[8][PATH_MAX];
    static const char *names[8];
    size_t i = 0;
    while (i < 8 && names[i] != NULL && strcmp(names[i], name) != 0)
        i++;
    if (i == 8)
        return NULL;
    if (names[i] == NULL) {
        snprintf(paths[i], sizeof paths[i], "%s/%s", course_root(), name);
        names[i] = name;
    }
    return paths[i];
}

/* The folders IPCLAB_SANDBOX_HIDE names (colon-separated), read once. */
static const char *const *extra_hidden(size_t *n)
{
    static char buf[8192];
    static const char *list[32];
    static size_t count;
    static int done;
    if (!done) {
        done = 1;
        const char *env = getenv("IPCLAB_SANDBOX_HIDE");
        snprintf(buf, sizeof buf, "%s", env != NULL ? env : "");
        for (char *save = NULL, *p = strtok_r(buf, ":", &save); p != NULL && count < 32;
             p = strtok_r(NULL, ":", &save))
            if (p[0] == '/')
                list[count++] = p;
    }
    *n = count;
    return list;
}

/* The folders one command line hides, to be made read-only at its end. */
struct hidden_list {
    const char *path[64];
    size_t n;
};

/* Append "--size HIDDEN_BYTES --tmpfs path" to out at k when path is an
 * existing folder (bwrap mounts on it, it cannot create it in a read-only
 * host), and note it in h; returns the new k. */
static size_t hide(char **out, size_t k, const char *path, struct hidden_list *h)
{
    struct stat st;
    if (path == NULL || lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || h->n == 64)
        return k;
    out[k++] = "--size";
    out[k++] = HIDDEN_BYTES;
    out[k++] = "--tmpfs";
    out[k++] = (char *)path;
    h->path[h->n++] = path;
    return k;
}

/*
 * Append a fresh writable tmpfs on dest to out at k: one of si->capped's
 * (a size and a file count) bound there, else bubblewrap's own (a size
 * only). Returns the new k.
 */
static size_t writable(char **out, size_t k, const struct sandbox_info *si,
                       const char *dest)
{
    const char *host = workfs_scratch(si->capped);
    if (host != NULL) {
        out[k++] = "--bind";
        out[k++] = (char *)host;
    } else {
        out[k++] = "--size";
        out[k++] = TMPFS_BYTES;
        out[k++] = "--tmpfs";
    }
    out[k++] = (char *)dest;
    return k;
}

char **sandbox_argv(const struct sandbox_info *si, const char *work,
                    const struct sandbox_opts *o, char *const argv[])
{
    size_t nopts = sizeof bwrap_opts / sizeof bwrap_opts[0] - 1, nargs = 0, nro = 0,
           nextra = 0;
    while (argv[nargs] != NULL)
        nargs++;
    while (o != NULL && o->ro != NULL && o->ro[nro] != NULL)
        nro++;
    size_t nhidden = 0, nscratch = 0, nrw = 0;
    while (o != NULL && o->hidden != NULL && o->hidden[nhidden] != NULL)
        nhidden++;
    while (o != NULL && o->rw != NULL && o->rw[nrw] != NULL)
        nrw++;
    while (o != NULL && o->scratch != NULL && o->scratch[nscratch] != NULL)
        nscratch++;
    const char *const *extra = extra_hidden(&nextra);
    char **out = calloc(nopts + nargs + 3 * (nro + nrw) +
                            6 * (nextra + nhidden + nscratch + 24) + 16,
                        sizeof *out);
    if (out == NULL)
        return NULL;
    size_t k = 0;
    struct hidden_list h = {.n = 0};
    if (si->on) {
        for (size_t i = 0; i < nopts; i++)
            out[k++] = (char *)bwrap_opts[i];
        for (size_t i = 0; private_tmp[i] != NULL; i++)
            k = writable(out, k, si, private_tmp[i]);
        for (size_t i = 0; hidden_host[i] != NULL; i++)
            k = hide(out, k, hidden_host[i], &h);
        /* A course checked out under /tmp or a home stays visible (read-only). */
        out[k++] = "--ro-bind";
        out[k++] = (char *)course_root();
        out[k++] = (char *)course_root();
        for (size_t i = 0; hidden_in_course[i] != NULL; i++)
            k = hide(out, k, course_path(hidden_in_course[i]), &h);
        for (size_t i = 0; i < nextra; i++)
            k = hide(out, k, extra[i], &h);
        /* ... and so do its labs when they are a link to a tree under /tmp. */
        const char *labs = course_labs_target();
        if (labs != NULL) {
            out[k++] = "--ro-bind";
            out[k++] = (char *)labs;
            out[k++] = (char *)labs;
        }
        for (size_t i = 0; i < nhidden; i++)
            k = hide(out, k, o->hidden[i], &h);
        out[k++] = "--bind";
        out[k++] = (char *)work;
        out[k++] = (char *)work;
        for (size_t i = 0; i < nro; i++) {
            out[k++] = "--ro-bind";
            out[k++] = (char *)o->ro[i];
            out[k++] = (char *)o->ro[i];
        }
        for (size_t i = 0; i < nrw; i++) {
            out[k++] = "--bind";
            out[k++] = (char *)o->rw[i];
            out[k++] = (char *)o->rw[i];
        }
        for (size_t i = 0; i < nscratch; i++)
            k = writable(out, k, si, o->scratch[i]);
        if (si->capped != NULL && si->capped->on) /* no run sees another's mounts */
            k = hide(out, k, si->capped->holder, &h);
        /* Last, once every mount inside them is made: an empty tmpfs that
         * hides a folder must not be a place to write (its size would not
         * bound its files' count). */
        for (size_t i = 0; i < h.n; i++) {
            out[k++] = "--remount-ro";
            out[k++] = (char *)h.path[i];
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
