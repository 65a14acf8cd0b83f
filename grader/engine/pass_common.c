/* pass_common.c - what every sandboxed pass of a grade shares (pass_common.h). */
#include "engine/pass_common.h"
#include "base/fs.h"
#include "engine/course.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *pass_grade_id(void)
{
    static char id[64];
    if (id[0] == '\0') {
        unsigned r = 0;
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            if (read(fd, &r, sizeof r) != sizeof r)
                r = (unsigned)now_seconds();
            close(fd);
        }
        snprintf(id, sizeof id, "%ld-%08x", (long)getpid(), r);
    }
    return id;
}

/* The environment every sandboxed command gets (static strings, rebuilt per call). */
char **pass_env(const struct grade *g, const char *extra1, const char *extra2)
{
    static char tmp[4200], root[4200], id[128], e1[4200], e2[4200];
    static char *env[PASS_ENV_MAX + 1];
    snprintf(tmp, sizeof tmp, "TMPDIR=%s/tmp", g->work);
    snprintf(root, sizeof root, "IPCLAB_ROOT=%s", course_root());
    snprintf(id, sizeof id, "IPCLAB_GRADE_ID=%s", pass_grade_id());
    int k = 0;
    env[k++] = "PATH=/usr/local/bin:/usr/bin:/bin";
    env[k++] = "LC_ALL=C";
    env[k++] = "HOME=/nonexistent";
    env[k++] = tmp;
    env[k++] = root;
    env[k++] = id;
    if (extra1 != NULL) {
        snprintf(e1, sizeof e1, "%s", extra1);
        env[k++] = e1;
    }
    if (extra2 != NULL) {
        snprintf(e2, sizeof e2, "%s", extra2);
        env[k++] = e2;
    }
    env[k] = NULL;
    return env;
}

/* Start argv in the sandbox with opts; on failure record an infrastructure error. */
int pass_start(struct grade *g, struct proc *p, const char *label, char *const argv[],
               struct proc_opts *o, const struct sandbox_opts *so)
{
    char **full = sandbox_argv(&g->sb, g->work, so, argv);
    o->uid = grade_uid();
    o->cgroup_procs = g->mem.on ? g->mem.procs : NULL;
    if (o->cwd == NULL)
        o->cwd = g->work;
    int rc = full != NULL ? proc_start(p, label, full, o) : -1;
    if (rc < 0 && g->infra_error == NULL)
        g->infra_error = xasprintf("cannot start the %s: %s", label, strerror(errno));
    free(full);
    return rc;
}

double pass_budget(const struct grade *g, double seconds)
{
    double t = 20 + seconds;
    return t < g->pol.max_wall_seconds ? t : g->pol.max_wall_seconds;
}

/* The lab's test sources (real path), which no sandbox needs to see. */
const char *pass_lab_tests_dir(const struct grade *g)
{
    static char dir[PATH_MAX];
    char path[PATH_MAX + 8];
    snprintf(path, sizeof path, "%.4000s/tests", g->lab_dir);
    if (realpath(path, dir) == NULL)
        snprintf(dir, sizeof dir, "%.4000s/tests", g->lab_dir);
    return dir;
}

/* pass_show_progress - tell g's display (if any) where the run is now. */
void pass_show_progress(struct grade *g, const char *phase)
{
    if (phase != NULL)
        g->prog.phase = phase;
    if (g->progress != NULL)
        g->progress(g, &g->prog, g->progress_arg);
}

bool pass_lane_folder(struct grade *g, const char *name, char *dir, size_t len)
{
    if (workfs_lane(&g->wfs, name, dir, len) == 0)
        return true;
    snprintf(dir, len, "%.4000s/%s", g->work, name);
    fs_rm_rf(dir);
    return false;
}

int pass_lane_work(const struct grade *g, const char *dir, const char *filter)
{
    char p[4400];
    const char *subs[] = {"", "/native", "/tmp", "/build"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%.4000s%s", dir, subs[i]);
        if ((mkdir(p, 0755) < 0 && !(i == 0 && errno == EEXIST)) || grade_chown(p) < 0)
            return -1;
    }
    snprintf(p, sizeof p, "%.4000s/build/run-tests", dir);
    FILE *f = fopen(p, "we");
    if (f == NULL)
        return -1;
    /* Test names are [A-Za-z0-9_/]: nothing in the filter needs quoting. */
    fprintf(f, "#!/bin/sh\nexec '%s/build/run-tests' '--filter=%s' \"$@\"\n", g->work,
            filter);
    if (fclose(f) != 0 || chmod(p, 0755) != 0)
        return -1;
    return 0;
}
