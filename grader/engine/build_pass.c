/* build_pass.c - builds the submission in the sandbox and audits it (build_pass.h). */
#include "engine/build_pass.h"
#include "engine/audit.h"
#include "engine/build_cache.h"
#include "engine/class_lock.h"
#include "engine/course.h"
#include "engine/pass_common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* Remove every occurrence of prefix from s, in place. */
static void strip_all(char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    char *hit;
    while (n > 0 && (hit = strstr(s, prefix)) != NULL)
        memmove(hit, hit + n, strlen(hit + n) + 1);
}

void pass_build(struct grade *g)
{
    char src[4200], build[4200];
    snprintf(src, sizeof src, "SRC_DIR=%s/src", g->work);
    snprintf(build, sizeof build, "BUILD_DIR=%s/build", g->work);
    /* With the tests and support code compiled outside (build_cache.h), the
     * sandbox builds only the student's files and never sees the tests'
     * sources (a lab may have hidden tests). */
    double t0 = now_seconds();
    pass_show_progress(g, "build");
    char bdir[4200];
    snprintf(bdir, sizeof bdir, "%s/build", g->work);
    bool prebuilt = build_cache_seed(g->lab_dir, g->m.slug, bdir) == 0;
    const char *hidden[] = {pass_lab_tests_dir(g), NULL};
    struct sandbox_opts so = {NULL, false, prebuilt ? hidden : NULL, NULL, NULL};
    char *argv[] = {"make",
                    "-s",
                    "--no-print-directory",
                    "-C",
                    g->lab_dir,
                    "all",
                    (char *)course_make_jobs(),
                    "--output-sync=target",
                    src,
                    build,
                    "WERROR=1",
                    prebuilt ? "PREBUILT_TESTS=1" : NULL,
                    NULL};
    struct proc_opts o = {.env = pass_env(g, NULL, NULL),
                          .lim = {.cpu_seconds = 300,
                                  .as_mb = 4096,
                                  .fsize_mb = 256,
                                  .nproc = 256,
                                  .nofile = 1024},
                          .wall_seconds = 180,
                          .out_cap = 32 * 1024};
    struct proc p;
    int lock = manifest_has_perf(&g->m) ? class_lock(CLASS_LOCK_SHARED)
                                        : -1; /* see class_lock.h */
    if (pass_start(g, &p, "build", argv, &o, &so) < 0) {
        class_unlock(lock);
        return;
    }
    proc_wait_all(&p, 1, NULL, NULL);
    class_unlock(lock);
    g->build_seconds = now_seconds() - t0;
    g->build_ok = !p.killed && WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0;
    char *clean = text_clean(p.out); /* compilers echo source bytes as they are */
    free(p.out);
    p.out = clean;
    /* Show "pipes.c:12:3: error" rather than the private work directory's path. */
    char prefix[4300];
    snprintf(prefix, sizeof prefix, "%s/src/", g->work);
    strip_all(p.out, prefix);
    snprintf(prefix, sizeof prefix, "%s/", g->work);
    strip_all(p.out, prefix);
    if (p.killed)
        g->build_log =
            xasprintf("%s\n(the build was stopped after %g s)", p.out, o.wall_seconds);
    else
        g->build_log = xasprintf("%s%s", p.out,
                                 p.total > p.len ? "\n(compiler output truncated)" : "");
    proc_free(&p);
}

void pass_audit(struct grade *g)
{
    pass_show_progress(g, "audit");
    char bdir[4200];
    snprintf(bdir, sizeof bdir, "%s/build", g->work);
    if (audit_build(&g->m, bdir, bdir, &g->audit) < 0) {
        g->infra_error =
            xasprintf("the submission audit could not run: %s", strerror(errno));
        return;
    }
    /* Name the student's files as they know them, not by the private work directory. */
    char prefix[4300];
    snprintf(prefix, sizeof prefix, "%s/src/", g->work);
    for (size_t i = 0; i < g->audit.n; i++)
        strip_all(g->audit.f[i].what, prefix);
    if (!audit_refused(&g->audit))
        return;
    if (g->pol.audit == AUDIT_REVIEW)
        g->audit_flagged = true;
    else
        g->audit_refused = true;
}
