/* audit.h - the submission audit: what the student's objects include, define, call and
 * hold. */
#ifndef IPCLAB_AUDIT_H
#define IPCLAB_AUDIT_H

#include "engine/audit_object.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * A submission shares its process with the tests, so before any of its
 * code runs the grader checks what the compiler made of it:
 *   - includes: only system headers and the lab's include/ (from the
 *     compiler's own dependency file, NAME.d);
 *   - inline assembly: none (the preprocessed file, NAME.i, holds every
 *     __asm__ of the student's lines, even one GCC emits nothing for; the
 *     assembly, NAME.s, marks every other asm statement with #APP); this
 *     also rules out valgrind client requests and raw system call
 *     instructions;
 *   - sections: only code and data (no constructors, destructors, ifuncs,
 *     Criterion tests or report hooks);
 *   - definitions: no global that replaces a C library, harness or test
 *     symbol; other globals outside the lab's contract are noted;
 *   - calls: only the course's allowed list (labs/allowed-calls.txt), as the
 *     lab's allow/forbid narrow or widen it, and every call it requires.
 */

/* What to audit, and against which rules. */
struct audit_input {
    const char *student_dir;  /* the build's student files: NAME.o, .s, .i, .d */
    const char *const *files; /* the student files (NAME.c), NULL-terminated */
    const char *include_dir;  /* the lab's include/ as the compiler saw it */
    const char *const
        *harness; /* object dirs of the tests and support code, NULL-terminated */
    const char *allowed_path; /* the course's allowed calls (labs/allowed-calls.txt) */
    const char *allow;   /* the lab's extra allowed calls, space-separated, or NULL */
    const char *forbid;  /* the lab's forbidden calls, or NULL */
    const char *require; /* the calls the lab requires, or NULL */
    const char *const
        *contract; /* the functions the lab's headers declare, NULL-terminated */
};

/*
 * audit_run - audit the objects in->student_dir holds for in->files and fill
 * *out (zeroed first). Returns 0, or -1 with errno set when the audit itself
 * could not run (a missing object is a finding, not an error).
 */
int audit_run(const struct audit_input *in, struct audit *out);

/*
 * audit_build - audit the student files of the lab m as its build left
 * them in build_dir (lab.mk: build_dir/student/NAME.s, NAME.d, NAME.o),
 * the tests' and support objects being in harness_dir/tests and
 * harness_dir/support (usually the same build),
 * against labs/allowed-calls.txt, the lab's allow/forbid/require and the
 * contract its include/ declares. Fills *out; 0, or -1 with errno set.
 */
struct manifest;
int audit_build(const struct manifest *m, const char *build_dir, const char *harness_dir,
                struct audit *out);

/*
 * audit_finding_text - one finding as the student sees it:
 * "pipes.c:12: what" ("pipes.c: what" without a line); malloc'd, or NULL.
 */
char *audit_finding_text(const struct audit_finding *f);

/* audit_refused - whether any finding refuses the submission. */
bool audit_refused(const struct audit *a);

/* audit_free - free the findings (a itself is the caller's). */
void audit_free(struct audit *a);

/*
 * audit_contract - the functions the lab's headers (every *.h in
 * include_dir) declare, read from the compiler's -aux-info output: a
 * malloc'd NULL-terminated array of malloc'd names, or NULL with errno set.
 * cc is the compiler ("cc"); support_dir is also on the include path, as
 * in the lab's build.
 */
char **audit_contract(const char *cc, const char *include_dir, const char *support_dir);

/* audit_strv_free - free an array audit_contract returned. */
void audit_strv_free(char **v);

#endif /* IPCLAB_AUDIT_H */
