/* progress_file.h - the student's progress file (ROOT/.ipclab-progress). */
#ifndef IPCLAB_PROGRESS_FILE_H
#define IPCLAB_PROGRESS_FILE_H

#include "engine/check.h"
#include "engine/grade.h"

#include <jansson.h>
#include <stdbool.h>

/*
 * progress_load - the progress file (ROOT/.ipclab-progress) as a jansson
 * object, a fresh empty object when it is absent or unreadable. Never NULL
 * (exits when memory runs out). Caller decrefs.
 */
json_t *progress_load(void);

/* progress_save - write p back atomically (temp file + rename); 0 or -1 (warned). */
int progress_save(json_t *p);

/* progress_lab - p["labs"][id], created when missing (borrowed reference). */
json_t *progress_lab(json_t *p, const char *id);

/*
 * progress_record - store a check's outcome for lab id (passed, total,
 * points, max, failing tests in manifest order, what each failure showed
 * (its message and why-it-hung sentence, for keyed hints), time) and mark it as the
 * lab in progress. A filtered check (a glob) updates only the "current" mark.
 */
void progress_record(json_t *p, const char *id, const struct grade *g,
                     const struct check_result *res, bool filtered);

/*
 * progress_record_grade - store `ipclab grade NN`'s outcome for lab id under
 * labs[id]["grade"]: score, max, time and each deduction (title, test,
 * points), for the status screen.
 */
void progress_record_grade(json_t *p, const char *id, const struct grade *g);

#endif /* IPCLAB_PROGRESS_FILE_H */
