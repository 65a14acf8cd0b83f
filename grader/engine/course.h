/* course.h - the course checkout this binary belongs to, and its labs. */
#ifndef IPCLAB_COURSE_H
#define IPCLAB_COURSE_H

#include <stddef.h>

/*
 * course_root - the course checkout this binary belongs to: $IPCLAB_ROOT if
 * set, else the parent of the directory holding the executable (build/..).
 */
const char *course_root(void);

/*
 * resolve_lab - turn "01", "1", "01-pipes" or a path to a lab directory into
 * that lab's directory. Returns 0, or -1 after printing an error.
 */
int resolve_lab(const char *spec, char *out, size_t len);

/*
 * course_lab_list - the lab directories under ROOT/labs, sorted; *n set.
 * Caller frees with course_free_list.
 */
char **course_lab_list(size_t *n);

/* course_free_list - free what course_lab_list returned. */
void course_free_list(char **list, size_t n);

/*
 * course_skeleton_to - write the skeleton of lab slug's student file to
 * dst: from ROOT/.skeleton/SLUG/src/FILE (a release ships it) when present,
 * else `git show HEAD:labs/SLUG/src/FILE` in ROOT. Returns 0 or -1.
 */
int course_skeleton_to(const char *slug, const char *file, const char *dst);

/*
 * course_missing_file - the first of lab m's student files that is not a
 * regular file in m->dir/src (deleted, moved away), or NULL when all are.
 */
struct manifest;
const char *course_missing_file(const struct manifest *m);

/*
 * course_make_jobs - make's "-jN" for a build of lab code: N is the number
 * of CPUs this process may run on (at least 1). A static string.
 */
const char *course_make_jobs(void);

#endif /* IPCLAB_COURSE_H */
