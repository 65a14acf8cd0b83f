/* audit_object.h - the audit's look into objects, and the rules both halves of it share.
 */
#ifndef IPCLAB_AUDIT_OBJECT_H
#define IPCLAB_AUDIT_OBJECT_H

#include "base/strset.h"

#include <stdbool.h>
#include <stddef.h>

/* One thing the audit found. */
struct audit_finding {
    char *file;   /* the student file ("pipes.c") */
    int line;     /* its line, or 0 when not known */
    char *what;   /* one sentence for the student */
    bool refused; /* true: the submission is refused; false: a note */
};

/* What the audit found in one submission. */
struct audit {
    struct audit_finding *f;
    size_t n;
    double seconds; /* how long the audit took */
};

struct audit_rules {
    struct strset allowed;   /* course list + lab allow, minus lab forbid */
    struct strset forbidden; /* the lab's forbid */
    struct strset contract;  /* functions the lab's headers declare */
    struct strset harness;   /* names the tests and support code define or use */
    struct strset libc;      /* names the C library exports */
    struct strset student;   /* globals every student object defines */
    struct strset called;    /* names the student objects refer to */
};

/* Names reserved for the harness, the C implementation, or a program's start. */

/* audit_add - append a finding; -1 (errno ENOMEM) when memory runs out. */
int audit_add(struct audit *a, bool refused, const char *file, int line, const char *fmt,
              ...) __attribute__((format(printf, 5, 6)));

/* audit_object_names - add the object's global definitions and references. 0 or -1. */
int audit_object_names(const char *path, struct strset *defs, struct strset *refs);

/* audit_object_dir_names - the same for every *.o in dir (none: nothing). 0 or -1. */
int audit_object_dir_names(const char *dir, struct strset *defs, struct strset *refs);

/* audit_object_libc - add the names the C library exports. 0 or -1. */
int audit_object_libc(struct strset *libc);

/*
 * audit_line_of - the line of the student's file where function func
 * begins, from the compiler's assembly (spath: the first ".loc 1 LINE"
 * after the label "func:"), or 0 when not found.
 */
int audit_line_of(const char *spath, const char *func);

/*
 * audit_object_check - check one student object (compiled from file): its
 * sections, what it defines and what it calls, against r. spath is the
 * same file's assembly (for line numbers). 0, or -1 (ENOMEM).
 */
int audit_object_check(const char *file, const char *opath, const char *spath,
                       struct audit_rules *r, struct audit *a);

#endif /* IPCLAB_AUDIT_OBJECT_H */
