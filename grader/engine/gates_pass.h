/* gates_pass.h - a speed-gated lab's perf tests, run on their own after the other passes.
 */
#ifndef IPCLAB_GATES_PASS_H
#define IPCLAB_GATES_PASS_H

#include "engine/grade.h"

/*
 * pass_gates - run the lab's perf tests (manifest option perf) once more in
 * the grade's sandbox (pass_run_lane, on a lane folder of their own), alone
 * on the machine (the class lock, class_lock.h), and make their results the
 * grade's: verdict, message, probe data, hang. For a grade whose
 * g->gates_pending pass_tests set: it left them out of its native pass to
 * overlap that pass with memcheck, which must not share the CPUs with a speed
 * measurement. A run that cannot start leaves them not run and says why in
 * g's runner note.
 */
void pass_gates(struct grade *g);

#endif
