/* provenance.h - the MANIFEST of a student's archive: checksums of the provided files. */
#ifndef IPCLAB_PROVENANCE_H
#define IPCLAB_PROVENANCE_H

#include "engine/grade.h"

#include <stddef.h>

/* The name of the checksum file at the top of an `ipclab submit` archive. */
#define PROVENANCE_FILE "MANIFEST"

/*
 * provenance_sha256 - the SHA-256 of the file at path as 64 hex digits and a
 * NUL in hex. Returns 0, or -1 with errno set when it cannot be read.
 */
int provenance_sha256(const char *path, char hex[65]);

/*
 * provenance_check - when the submission g->submission holds a MANIFEST
 * written by `ipclab submit`, compare each "provided" checksum in it with
 * the course's own file (course_root()/PATH). Files that differ were edited
 * by the student (the grader ignores those edits: it builds with its own):
 * say so in g->runner_note, which every report shows. No MANIFEST, or no
 * difference: nothing happens.
 */
void provenance_check(struct grade *g);

#endif /* IPCLAB_PROVENANCE_H */
