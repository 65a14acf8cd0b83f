/* score.h - applies the policy: points for verdicts, capped deductions with evidence. */
#ifndef IPCLAB_SCORE_H
#define IPCLAB_SCORE_H

#include "engine/grade.h"

/*
 * score_compute - from g->tests[] (verdicts, probe and valgrind data) and
 * g->pol, set each test's earned points, build g->deds (one per category and
 * test, each capped so a category never removes more than its cap, with the
 * evidence and the command that shows it) and g->earned, g->deducted,
 * g->score (never below 0), g->max_score. A build failure scores 0.
 */
void score_compute(struct grade *g);

#endif /* IPCLAB_SCORE_H */
