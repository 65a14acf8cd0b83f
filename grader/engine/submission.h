/* submission.h - finds a submission's student files and copies them for building. */
#ifndef IPCLAB_SUBMISSION_H
#define IPCLAB_SUBMISSION_H

#include "engine/manifest.h"

/*
 * submission_collect - find each of m's student files under dir and copy it
 * into dest (which exists). In a checkout (dir/labs/SLUG is a folder) a
 * file F is taken from dir/labs/SLUG/src/F only. Elsewhere it is looked for
 * at dir/SLUG/src/F, dir/src/F and dir/F, then anywhere below dir (at most
 * 5 levels, skipping build and hidden directories; a path naming the lab
 * wins). Only regular files inside dir (after resolving symlinks) and at
 * most 1 MiB are taken. Returns 0 when every file was copied; otherwise -1
 * and *missing (malloc'd) lists the files not found, or says why.
 */
int submission_collect(const struct manifest *m, const char *dir, const char *dest,
                       char **missing);

#endif /* IPCLAB_SUBMISSION_H */
