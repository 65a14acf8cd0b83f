/* stress.c - `ipclab check NN --stress N [--seed S]`: the stress-marked tests rerun
 * under seeded race stress (labs/support/ipclab_shim.h), seed by seed. */
#include "cli/cli.h"
#include "base/clock.h"
#include "base/proc.h"
#include "base/term.h"
#include "base/text.h"
#include "engine/check.h"

#include <errno.h>
#include <fnmatch.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

int stress_arg(const char *opt, const char *value, struct check_opts *o)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = value != NULL ? strtoull(value, &end, 10) : 0;
    if (value == NULL || end == value || *end != '\0' || errno != 0 || value[0] == '-' ||
        (strcmp(opt, "--stress") == 0 && (v < 1 || v > 100000))) {
        fprintf(stderr, "ipclab: %s needs %s\n", opt,
                strcmp(opt, "--stress") == 0 ? "a number of runs (1 to 100000)"
                                             : "a seed (a non-negative whole number)");
        return -1;
    }
    if (strcmp(opt, "--stress") == 0) {
        o->stress = (int)v;
    } else {
        o->seed = v;
        o->seed_given = true;
    }
    return 0;
}

/*
 * The CPUs a run with seed may use, into *set: an even seed one CPU (the
 * (seed / 2)-th allowed one, so runs visit each), an odd seed every allowed
 * CPU. Derived from the seed alone, so `--stress 1 --seed S` repeats it.
 * Returns how many CPUs that is.
 */
static int seed_cpus(unsigned long long seed, const cpu_set_t *allowed, cpu_set_t *set)
{
    int n = CPU_COUNT(allowed);
    *set = *allowed;
    if (seed % 2 == 1 || n < 2)
        return n;
    int want = (int)((seed / 2) % (unsigned long long)n);
    CPU_ZERO(set);
    for (int cpu = 0, k = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, allowed) && k++ == want) {
            CPU_SET(cpu, set);
            break;
        }
    return 1;
}

/* The selection's filter: the tests matching glob, else the stress-marked ones
 * ("@(a|b)"); NULL when there is none. Counts them into *n. */
static char *stress_filter(const struct manifest *m, const char *glob, size_t *n)
{
    char *f = NULL;
    *n = 0;
    for (size_t i = 0; i < m->ntests; i++) {
        const struct manifest_test *t = &m->tests[i];
        if (glob != NULL ? fnmatch(glob, t->name, FNM_EXTMATCH) != 0
                         : !(t->options & OPT_STRESS))
            continue;
        char *next = xasprintf("%s%s%s", f ? f : "@(", f ? "|" : "", t->name);
        free(f);
        f = next;
        (*n)++;
    }
    if (f != NULL) {
        char *next = xasprintf("%s)", f);
        free(f);
        f = next;
    }
    return f;
}

/* What went wrong in one stressed test, over the runs. */
struct stress_tally {
    int failed;               /* runs it failed */
    unsigned long long first; /* the seed of its first failure */
};

/* Free the results of one run, leaving g ready for grade_init. */
static void drop_results(struct grade *g)
{
    for (size_t i = 0; g->tests != NULL && i < g->m.ntests; i++)
        test_result_free(&g->tests[i]);
    free(g->tests);
    free(g->runner_note);
    free(g->cleaned);
    free(g->left_behind);
    g->tests = NULL;
    g->runner_note = g->cleaned = g->left_behind = NULL;
}

/* Print a failure of run seed: the test, the seed, its message and how to replay it. */
static void print_stress_failure(const struct grade *g, const struct test_result *r,
                                 unsigned long long seed, int ncpus,
                                 const struct colours *c)
{
    fprintf(stdout, "%s✗ %s%s  %s(%s with stress seed %llu, %d CPU%s)%s\n", c->red,
            r->mt->name, c->off, c->dim, verdict_name(r->verdict), seed, ncpus,
            ncpus == 1 ? "" : "s", c->off);
    print_message_and_hang(r, c, 6);
    fprintf(stdout, "    %sreproduce:%s ipclab check %s '%s' --stress 1 --seed %llu\n",
            c->bold, c->off, g->m.id, r->mt->name, seed);
}

int check_stress(struct grade *g, const char *bin, const struct check_opts *o)
{
    struct colours c = term_colours(stdout);
    size_t n = 0;
    char *filter = stress_filter(&g->m, o->glob, &n);
    if (filter == NULL) {
        fprintf(stdout, "lab %s: %s\n", g->m.id,
                o->glob ? "no test matches that name (names look like suite/test)"
                        : "no test is marked for stress (options = stress in lab.ini)");
        return 2;
    }
    unsigned long long base = o->seed;
    if (!o->seed_given) { /* a fresh base, short enough to type */
        unsigned r = 0;
        if (getrandom(&r, sizeof r, 0) != sizeof r)
            r = (unsigned)getpid() ^ (unsigned)(now_seconds() * 1e6);
        base = r % 1000000;
    }
    cpu_set_t allowed, set;
    if (sched_getaffinity(0, sizeof allowed, &allowed) < 0) {
        fprintf(stderr, "ipclab: sched_getaffinity: %s\n", strerror(errno));
        free(filter);
        return 2;
    }
    struct stress_tally *tally = xcalloc(g->m.ntests, sizeof *tally);
    bool tty = isatty(1);
    double t0 = now_seconds();
    int runs = 0, failed_runs = 0;
    fprintf(stdout, "%slab %s: %zu test%s under race stress, %d run%s from seed %llu%s\n",
            c.bold, g->m.id, n, n == 1 ? "" : "s", o->stress, o->stress == 1 ? "" : "s",
            base, c.off);
    fflush(stdout);
    for (int run = 0; run < o->stress && !proc_interrupted(); run++) {
        unsigned long long seed = base + (unsigned long long)run;
        int ncpus = seed_cpus(seed, &allowed, &set);
        char env[32];
        snprintf(env, sizeof env, "%llu", seed);
        setenv("IPCLAB_STRESS_SEED", env, 1);
        /* The lanes, their sandbox and every test process inherit the affinity. */
        if (sched_setaffinity(0, sizeof set, &set) < 0)
            ncpus = CPU_COUNT(&allowed);
        if (tty)
            fprintf(stdout, "%srun %d/%d: seed %llu, %d CPU%s, %d failed so far...%s",
                    c.dim, run + 1, o->stress, seed, ncpus, ncpus == 1 ? "" : "s",
                    failed_runs, c.off);
        fflush(stdout);
        grade_init(g);
        check_run_tests(g, bin, filter, NULL, NULL);
        sched_setaffinity(0, sizeof allowed, &allowed);
        if (tty)
            fputs("\r\033[K", stdout);
        if (proc_interrupted()) {
            drop_results(g);
            break;
        }
        runs++;
        bool bad = false;
        for (size_t i = 0; i < g->m.ntests; i++) {
            const struct test_result *r = &g->tests[i];
            if (fnmatch(filter, r->mt->name, FNM_EXTMATCH) != 0 ||
                r->verdict == V_PASSED || r->verdict == V_SKIPPED)
                continue;
            if (tally[i].failed++ == 0)
                tally[i].first = seed;
            print_stress_failure(g, r, seed, ncpus, &c);
            bad = true;
        }
        failed_runs += bad;
        if (!tty && (run + 1) % 10 == 0 && run + 1 < o->stress)
            fprintf(stdout, "%d/%d runs, %d failed\n", run + 1, o->stress, failed_runs);
        fflush(stdout);
        drop_results(g);
    }
    unsetenv("IPCLAB_STRESS_SEED");
    fprintf(stdout, "\n%slab %s: %s%d of %d stress run%s failed%s  %s[%.1f s]%s\n",
            c.bold, g->m.id, failed_runs ? c.red : c.green, failed_runs, runs,
            runs == 1 ? "" : "s", c.off, c.dim, now_seconds() - t0, c.off);
    for (size_t i = 0; i < g->m.ntests; i++)
        if (tally[i].failed > 0)
            fprintf(stdout,
                    "  %s: failed %d of %d runs; reproduce: ipclab check %s '%s' "
                    "--stress 1 --seed %llu\n",
                    g->m.tests[i].name, tally[i].failed, runs, g->m.id,
                    g->m.tests[i].name, tally[i].first);
    if (failed_runs > 0)
        fprintf(
            stdout,
            "a seed replays the same delays and yields at your synchronisation "
            "calls; the scheduler may still differ, so run the command a few times\n");
    free(tally);
    free(filter);
    if (runs < o->stress)
        return 130;
    return failed_runs > 0 ? 1 : 0;
}
