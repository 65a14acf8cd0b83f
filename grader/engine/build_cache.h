/* build_cache.h - compiles a lab's own tests and support code once, for every grade. */
#ifndef IPCLAB_BUILD_CACHE_H
#define IPCLAB_BUILD_CACHE_H

/*
 * build_cache_seed - make sure ROOT/build/grade-cache/SLUG holds an
 * up-to-date build of the lab's skeleton (make decides; a lock file keeps
 * parallel grades from building it twice), then copy its tests/ and
 * support/ objects into build_dir with their modification times, so that
 * make, run on the submission, compiles only the student's files. Those
 * objects come only from the course's pristine sources. Returns 0, or -1
 * (nothing harmful: the submission's build then compiles everything).
 */
int build_cache_seed(const char *lab_dir, const char *slug, const char *build_dir);

#endif /* IPCLAB_BUILD_CACHE_H */
