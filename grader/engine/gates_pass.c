/* gates_pass.c - a speed-gated lab's perf tests, run on their own after the other
 * passes (gates_pass.h). */
#include "engine/gates_pass.h"
#include "base/fs.h"
#include "engine/class_lock.h"
#include "engine/collect.h"
#include "engine/pass_common.h"
#include "engine/passes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Add "speed gates: what" to g's runner note. */
static void gates_note(struct grade *g, const char *what)
{
    char *note = xasprintf("%s%sspeed gates: %s", g->runner_note ? g->runner_note : "",
                           g->runner_note ? "; " : "", what);
    free(g->runner_note);
    g->runner_note = note;
}

/* Make the perf tests' results of run (a lane's) g's own; run keeps the rest. */
static void take_results(struct grade *g, struct grade *run)
{
    for (size_t i = 0; i < g->m.ntests; i++) {
        if (!(g->m.tests[i].options & OPT_PERF))
            continue;
        test_result_free(&g->tests[i]);
        g->tests[i] = run->tests[i];
        memset(&run->tests[i], 0, sizeof run->tests[i]);
    }
    if (run->runner_note != NULL)
        gates_note(g, run->runner_note);
}

void pass_gates(struct grade *g)
{
    char *names = manifest_perf_names(&g->m);
    if (names == NULL)
        return;
    double each = 0; /* every gate up to its own timeout, plus 3 s of start and kill */
    for (size_t i = 0; i < g->m.ntests; i++)
        if (g->m.tests[i].options & OPT_PERF)
            each += g->m.tests[i].timeout + 3;
    char *filter = xasprintf("@(%s)", names);
    free(names);
    int lock = class_lock(CLASS_LOCK_ALONE);
    pass_show_progress(g, "gates");
    double t0 = now_seconds();
    g->gates_began = unix_seconds();
    char dir[4200];
    bool own = pass_lane_folder(g, "gates", dir, sizeof dir);
    json_t *report = NULL;
    bool ran = pass_lane_work(g, dir, filter) == 0 &&
               pass_run_lane(g, dir, each, NULL, &report) == 0;
    int why = errno;
    if (ran) {
        struct grade run;
        collect_run(&run, g, dir, report);
        take_results(g, &run);
        collect_run_free(&run);
    } else {
        char *what = xasprintf("the run could not start (%s)", strerror(why));
        gates_note(g, what);
        free(what);
    }
    if (own)
        workfs_lane_drop(dir);
    else
        fs_rm_rf(dir);
    g->native_seconds += now_seconds() - t0;
    g->native_ended = g->gates_ended = unix_seconds();
    class_unlock(lock);
    free(filter);
}
