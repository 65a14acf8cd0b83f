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

/*
 * pass_start - start argv as label in g's sandbox (so) with opts, as the
 * grade's uid and in its memory cgroup; on failure record an infrastructure
 * error in g. 0 or -1.
 */
int pass_start(struct grade *g, struct proc *p, const char *label, char *const argv[],
               struct proc_opts *o, const struct sandbox_opts *so);

/* pass_lab_tests_dir - the lab's test sources (real path), which no sandbox needs to see.
 */
const char *pass_lab_tests_dir(const struct grade *g);

/* pass_show_progress - tell g's display (if any) where the run is now (phase NULL: same).
 */
void pass_show_progress(struct grade *g, const char *phase);

#endif
