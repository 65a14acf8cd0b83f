/* timeouts.c - every test's time limit, from the lab's own Criterion declarations. */
#include "engine/timeouts.h"
#include "engine/course.h"
#include "engine/grade.h"
#include "base/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run `make timeouts` for m's lab into its grade cache; its output, or NULL. */
static char *lister_output(const struct manifest *m)
{
    char cache[4200], lockp[4300], bd[4300];
    snprintf(cache, sizeof cache, "%s/build", course_root());
    mkdir(cache, 0755);
    snprintf(cache, sizeof cache, "%s/build/grade-cache", course_root());
    mkdir(cache, 0755);
    snprintf(cache, sizeof cache, "%s/build/grade-cache/%s", course_root(), m->slug);
    if (mkdir(cache, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "ipclab: cannot create %s: %s\n", cache, strerror(errno));
        return NULL;
    }
    /* The same lock as build_cache.c: one make at a time in this directory. */
    snprintf(lockp, sizeof lockp, "%s/.lock", cache);
    int lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0 || flock(lock, LOCK_EX) < 0) {
        fprintf(stderr, "ipclab: cannot lock %s: %s\n", lockp, strerror(errno));
        if (lock >= 0)
            close(lock);
        return NULL;
    }
    snprintf(bd, sizeof bd, "BUILD_DIR=%s", cache);
    char *argv[] = {"make",
                    "-s",
                    "--no-print-directory",
                    (char *)course_make_jobs(),
                    "-C",
                    m->dir,
                    "timeouts",
                    bd,
                    "WERROR=1",
                    NULL};
    struct proc_opts o = {
        .wall_seconds = 300, .stop_grace = PROC_BUILD_GRACE, .out_cap = 256 * 1024};
    struct proc p;
    char *out = NULL;
    if (proc_start(&p, "timeouts", argv, &o) == 0) {
        proc_wait_all(&p, 1, NULL, NULL);
        if (!p.killed && WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0)
            out = xasprintf("%s", p.out);
        else if (!proc_interrupted()) /* stopped by Ctrl-C: the caller says so */
            fprintf(stderr,
                    "ipclab: lab %s: `make timeouts` failed, so no test has a time "
                    "limit:\n%s\n",
                    m->id, p.out);
        proc_free(&p);
    }
    close(lock); /* releases the lock */
    return out;
}

int timeouts_load(struct manifest *m)
{
    char *out = lister_output(m);
    if (out == NULL)
        return -1;
    m->timeout = 0;
    for (char *save = NULL, *line = strtok_r(out, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char *sp = strrchr(line, ' ');
        if (sp == NULL)
            continue;
        *sp = '\0';
        char *end;
        double t = strtod(sp + 1, &end);
        if (end == sp + 1 || *end != '\0')
            continue;
        for (size_t i = 0; i < m->ntests; i++)
            if (strcmp(m->tests[i].name, line) == 0)
                m->tests[i].timeout = t;
    }
    free(out);
    int rc = 0;
    for (size_t i = 0; i < m->ntests; i++) {
        double t = m->tests[i].timeout;
        if (t <= 0) {
            fprintf(stderr,
                    "ipclab: lab %s: test %s has no timeout: declare one in its "
                    "suite, TestSuite(suite, .timeout = N), or in the test\n",
                    m->id, m->tests[i].name);
            rc = -1;
        } else if (t > m->timeout) {
            m->timeout = (int)(t + 0.999);
        }
    }
    return rc;
}

char *timeouts_table(const struct manifest *m)
{
    char *s = xasprintf("%s", "");
    for (size_t i = 0; i < m->ntests; i++) {
        char *n = xasprintf("%s%s %g\n", s, m->tests[i].name, m->tests[i].timeout);
        free(s);
        s = n;
    }
    return s;
}
