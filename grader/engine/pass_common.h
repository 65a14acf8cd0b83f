/* pass_common.h - what every sandboxed pass of a grade shares (start, env, progress). */
#ifndef IPCLAB_PASS_COMMON_H
#define IPCLAB_PASS_COMMON_H

#include "base/proc.h"
#include "engine/grade.h"
#include "engine/sandbox.h"

/* pass_grade_id - this run's unique id ("<pid>-<random>"), put in every child's env. */
const char *pass_grade_id(void);

/*
 * pass_env - the environment every sandboxed command gets (PATH, LC_ALL,
 * HOME, TMPDIR, IPCLAB_ROOT, IPCLAB_GRADE_ID) plus extra1 and extra2
 * ("NAME=value", or NULL). Static strings, rebuilt by each call.
 */
char **pass_env(const struct grade *g, const char *extra1, const char *extra2);

/* The most variables pass_env returns. */
#define PASS_ENV_MAX 8

/*
 * pass_start - start argv as label in g's sandbox (so) with opts, as the
 * grade's uid and in its memory cgroup; on failure record an infrastructure
 * error in g. 0 or -1.
 */
int pass_start(struct grade *g, struct proc *p, const char *label, char *const argv[],
               struct proc_opts *o, const struct sandbox_opts *so);

/* pass_budget - the wall seconds of a pass whose tests may take seconds in all:
 * 20 more for its start and end, at most the policy's max_wall_seconds. */
double pass_budget(const struct grade *g, double seconds);

/* pass_lab_tests_dir - the lab's test sources (real path), which no sandbox needs to see.
 */
const char *pass_lab_tests_dir(const struct grade *g);

/*
 * pass_lane_folder - a fresh folder for one more native run called name: a
 * tmpfs of the grader's own (workfs_lane: WORK/sealed/lane-NAME), so tests
 * that filled the work folder cannot keep the run from happening; else (not
 * root) WORK/NAME, emptied. Writes its path to dir; returns true when it is a
 * lane of its own (workfs_lane_drop it afterwards, else fs_rm_rf it).
 */
bool pass_lane_folder(struct grade *g, const char *name, char *dir, size_t len);

/*
 * pass_lane_work - fill the lane folder dir: native/ and tmp/ for one run, and
 * build/run-tests, a script running the grade's test binary on the tests of
 * filter (a Criterion --filter pattern). Returns 0, or -1 with errno set.
 */
int pass_lane_work(const struct grade *g, const char *dir, const char *filter);

/* pass_show_progress - tell g's display (if any) where the run is now (phase NULL: same).
 */
void pass_show_progress(struct grade *g, const char *phase);

#endif
