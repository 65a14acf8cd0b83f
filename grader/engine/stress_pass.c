/* stress_pass.c - the grader's race stress pass: the stress-marked tests rerun under
 * seeded delays (labs/support/ipclab_shim.h), in the grading sandbox. */
#include "engine/stress_pass.h"
#include "base/fs.h"
#include "base/proc.h"
#include "engine/collect.h"
#include "engine/course.h"
#include "engine/passes.h"
#include "engine/sandbox.h"
#include "engine/timeouts.h"

#include <errno.h>
#include <fnmatch.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * The stress work directory WORK/stress: native/ and tmp/ for one run, and
 * build/run-tests, a script running the grade's test binary on the tests of
 * filter. Returns 0, or -1 with errno set.
 */
static int make_stress_work(const struct grade *g, const char *dir, const char *filter)
{
    char p[4400];
    fs_rm_rf(dir);
    const char *subs[] = {"", "/native", "/tmp", "/build"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%.4000s%s", dir, subs[i]);
        if (mkdir(p, 0755) < 0 || grade_chown(p) < 0)
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

/* The CPUs of a run with seed: an even seed one of allowed, an odd one all. */
static void seed_cpus(unsigned long long seed, const cpu_set_t *allowed, cpu_set_t *set)
{
    int n = CPU_COUNT(allowed),
        want = (int)((seed / 2) % (unsigned long long)(n ? n : 1));
    *set = *allowed;
    if (seed % 2 == 1 || n < 2)
        return;
    CPU_ZERO(set);
    for (int cpu = 0, k = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, allowed) && k++ == want) {
            CPU_SET(cpu, set);
            return;
        }
}

/* One stressed run of the native pass in dir, with seed; 0, or -1 if it did not run. */
static int stress_run(struct grade *g, const char *dir, unsigned long long seed,
                      double wall)
{
    static char tmp[4200], root[4200], id[128], env_seed[64], timeout[32], walls[32];
    snprintf(tmp, sizeof tmp, "TMPDIR=%.4000s/tmp", dir);
    snprintf(root, sizeof root, "IPCLAB_ROOT=%.4000s", course_root());
    snprintf(id, sizeof id, "IPCLAB_GRADE_ID=%s", pass_grade_id());
    snprintf(env_seed, sizeof env_seed, "IPCLAB_STRESS_SEED=%llu", seed);
    char *env[] = {"PATH=/usr/local/bin:/usr/bin:/bin",
                   "LC_ALL=C",
                   "HOME=/nonexistent",
                   tmp,
                   root,
                   id,
                   env_seed,
                   NULL};
    snprintf(timeout, sizeof timeout, "%d", g->m.timeout);
    snprintf(walls, sizeof walls, "%g", wall - 5);
    char self[4200] = "ipclab";
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 6] = '\0';
    char *table = timeouts_table(&g->m);
    char *argv[] = {self,  "grade", "--inner-native", (char *)dir, timeout, walls,
                    table, NULL};
    /* The grade's binary, sources and sealed logs stay read-only, as in the native
     * pass; the lab's test sources stay hidden. */
    char ro_build[4200], ro_src[4200], ro_sealed[4200], tests[4200];
    snprintf(ro_build, sizeof ro_build, "%.4000s/build", g->work);
    snprintf(ro_src, sizeof ro_src, "%.4000s/src", g->work);
    snprintf(ro_sealed, sizeof ro_sealed, "%.4000s/sealed", g->work);
    snprintf(tests, sizeof tests, "%.4000s/tests", g->lab_dir);
    const char *ro[] = {ro_build, ro_src, ro_sealed, NULL};
    const char *hidden[] = {tests, NULL};
    struct sandbox_opts so = {ro, true, hidden, NULL};
    char **full = sandbox_argv(&g->sb, g->work, &so, argv);
    struct proc_opts o = {.cwd = g->work,
                          .env = env,
                          .uid = grade_uid(),
                          .lim = {.cpu_seconds = (long)wall,
                                  .as_mb = 2048,
                                  .fsize_mb = 64,
                                  .nproc = 256,
                                  .nofile = 1024},
                          .wall_seconds = wall,
                          .out_cap = 16 * 1024};
    cpu_set_t allowed, set;
    bool pinned = sched_getaffinity(0, sizeof allowed, &allowed) == 0;
    if (pinned) { /* the child (and all it starts) inherits the run's CPUs */
        seed_cpus(seed, &allowed, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
    struct proc p;
    int rc = full != NULL ? proc_start(&p, "stress run", full, &o) : -1;
    if (pinned)
        sched_setaffinity(0, sizeof allowed, &allowed);
    free(full);
    free(table);
    if (rc < 0)
        return -1;
    proc_wait_all(&p, 1, NULL, NULL);
    proc_free(&p);
    return 0;
}

/* Count run's verdicts (in dir) into g's stress tests (selected[i]). */
static void tally(struct grade *g, const char *dir, const bool *selected,
                  unsigned long long seed)
{
    struct grade run;
    memset(&run, 0, sizeof run);
    run.m = g->m; /* shared, not owned */
    snprintf(run.work, sizeof run.work, "%.4000s", dir);
    grade_init(&run);
    collect_native(&run);
    for (size_t i = 0; i < g->m.ntests; i++) {
        if (!selected[i])
            continue;
        struct test_result *r = &g->tests[i], *s = &run.tests[i];
        r->stress_runs++;
        if (s->verdict == V_PASSED || s->verdict == V_SKIPPED)
            continue;
        if (r->stress_failed++ == 0) {
            r->stress_seed = seed;
            r->stress_message = xasprintf("%s: %s", verdict_name(s->verdict),
                                          s->message ? s->message : "(no message)");
        }
    }
    for (size_t i = 0; i < g->m.ntests; i++)
        test_result_free(&run.tests[i]);
    free(run.tests);
    free(run.runner_note);
}

void pass_stress(struct grade *g)
{
    if (g->pol.stress_runs <= 0)
        return;
    bool *selected = xcalloc(g->m.ntests + 1, sizeof *selected);
    char *filter = NULL;
    double each = 0;
    for (size_t i = 0; i < g->m.ntests; i++) {
        /* A test that failed natively already lost its points. */
        if (!(g->m.tests[i].options & OPT_STRESS) || g->tests[i].verdict != V_PASSED)
            continue;
        selected[i] = true;
        each += g->m.tests[i].timeout + 3;
        char *f = xasprintf("%s%s%s", filter ? filter : "@(", filter ? "|" : "",
                            g->m.tests[i].name);
        free(filter);
        filter = f;
    }
    char dir[4200];
    snprintf(dir, sizeof dir, "%.4000s/stress", g->work);
    if (filter != NULL) {
        char *f = xasprintf("%s)", filter);
        free(filter);
        filter = f;
        unsigned base = 0;
        if (getrandom(&base, sizeof base, 0) != sizeof base)
            base = (unsigned)getpid();
        base %= 1000000;
        for (int k = 0; k < g->pol.stress_runs && !proc_interrupted(); k++) {
            unsigned long long seed = (unsigned long long)base + (unsigned long long)k;
            if (make_stress_work(g, dir, filter) < 0 ||
                stress_run(g, dir, seed, each + 20) < 0)
                break;
            tally(g, dir, selected, seed);
        }
        fs_rm_rf(dir);
    }
    free(filter);
    free(selected);
}
