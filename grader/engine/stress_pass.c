/* stress_pass.c - the grader's race stress pass: the stress-marked tests rerun under
 * seeded delays (labs/support/ipclab_shim.h), in the grading sandbox. */
#include "engine/stress_pass.h"
#include "base/fs.h"
#include "base/proc.h"
#include "engine/collect.h"
#include "engine/course.h"
#include "engine/pass_common.h"
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

/*
 * One stressed run of the native pass in dir (pass_run_lane: the grade's own
 * sandbox, limits and uid), with seed, on the CPUs the seed picks; each test
 * up to its own timeout, seconds in all; *report its watchdog's report. 0, or -1
 * if it did not run.
 */
static int stress_run(struct grade *g, const char *dir, unsigned long long seed,
                      double seconds, json_t **report)
{
    char env_seed[64];
    snprintf(env_seed, sizeof env_seed, "IPCLAB_STRESS_SEED=%llu", seed);
    cpu_set_t allowed, set;
    bool pinned = sched_getaffinity(0, sizeof allowed, &allowed) == 0;
    if (pinned) { /* the run (and all it starts) inherits the seed's CPUs */
        seed_cpus(seed, &allowed, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
    int rc = pass_run_lane(g, dir, seconds, env_seed, report);
    if (pinned)
        sched_setaffinity(0, sizeof allowed, &allowed);
    return rc;
}

/* Count run's verdicts (in dir, its report taken) into g's stress tests (selected[i]). */
static void tally(struct grade *g, const char *dir, json_t *report, const bool *selected,
                  unsigned long long seed)
{
    struct grade run;
    collect_run(&run, g, dir, report);
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
    collect_run_free(&run);
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
            json_t *report = NULL;
            bool own = pass_lane_folder(g, "stress", dir, sizeof dir);
            bool ran = pass_lane_work(g, dir, filter) == 0 &&
                       stress_run(g, dir, seed, each, &report) == 0;
            int why = errno;
            if (ran)
                tally(g, dir, report, selected, seed);
            if (own)
                workfs_lane_drop(dir);
            else
                fs_rm_rf(dir);
            if (!ran) { /* said in the report: fewer runs than the policy asks */
                char *note = xasprintf(
                    "%s%srace stress: %d of %d run(s) could not start (%s)",
                    g->runner_note ? g->runner_note : "", g->runner_note ? "; " : "",
                    g->pol.stress_runs - k, g->pol.stress_runs, strerror(why));
                free(g->runner_note);
                g->runner_note = note;
                break;
            }
        }
    }
    free(filter);
    free(selected);
}
