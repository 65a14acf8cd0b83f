/* stress_pass.h - the grader's race stress pass (policy.ini [stress] runs). */
#ifndef IPCLAB_STRESS_PASS_H
#define IPCLAB_STRESS_PASS_H

#include "engine/grade.h"

/*
 * pass_stress - after the native pass: when g->pol.stress_runs > 0, run the
 * tests of g->m marked `options = stress` that passed natively that many more
 * times, each run the grader's own native pass (`--inner-native`: watchdog,
 * sealed verdicts) in the grading sandbox with IPCLAB_STRESS_SEED set to the
 * run's seed (a random base + the run number) and the CPUs the seed picks
 * (even: one, odd: all), as `ipclab check NN --stress` runs them. Records in
 * each such test's result the runs made, the runs failed, the first failing
 * seed and its message (score.c deducts for it). Nothing when the policy or
 * the lab has no stress; an infrastructure failure stops the pass quietly
 * (the runs made are kept).
 */
void pass_stress(struct grade *g);

#endif /* IPCLAB_STRESS_PASS_H */
