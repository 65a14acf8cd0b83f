/* build_pass.h - the first stages of a grade: build the submission, audit it. */
#ifndef IPCLAB_BUILD_PASS_H
#define IPCLAB_BUILD_PASS_H

#include "engine/grade.h"

/*
 * pass_build - compile the student files in WORK/src against the lab's
 * pristine headers, tests and support code (make -C LAB all, -Werror) into
 * WORK/build, inside the sandbox. Sets g->build_ok, g->build_log (the
 * compiler's messages, capped) and g->build_seconds.
 */
void pass_build(struct grade *g);

/*
 * pass_audit - after a successful build, before any student code runs:
 * audit what the compiler made of the student files (engine/audit.h) into
 * g->audit. A refusing finding sets g->audit_refused (policy [audit]
 * action = refuse: the caller runs no test, the score is 0) or
 * g->audit_flagged (action = review: graded as usual). An audit that cannot
 * run sets g->infra_error.
 */
void pass_audit(struct grade *g);

#endif
