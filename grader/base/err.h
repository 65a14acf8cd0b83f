/* err.h - the grader's one error style, and allocation that cannot fail. */
#ifndef IPCLAB_ERR_H
#define IPCLAB_ERR_H

#include <stddef.h>

/*
 * Three kinds of trouble, three ways to say it:
 * - infrastructure failure (the machine, the course or the grader cannot do
 *   its job): the function returns -1 with errno meaningful and, when the
 *   caller needs words, err_say()s them into the caller's buffer; only the
 *   command (cli/) prints them, once, as "ipclab: ...", and exits 2 (in a
 *   grade: g->infra_error, and the grade says it could not grade).
 * - finding (something about the submission: it does not build, a test
 *   fails, a leak, an unsafe archive): data, not an error; it goes on the
 *   grade (message, deduction, missing files) or the student's row.
 * - out of memory: the x-helpers below print "ipclab: out of memory" and
 *   exit 2; their callers never check.
 */

/* err_say - format a reason into err (errlen bytes, printf-style); NULL err: nothing. */
void err_say(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* err_out_of_memory - print "ipclab: out of memory" and exit 2. */
_Noreturn void err_out_of_memory(void);

/* xcalloc - calloc(n ? n : 1, size) that exits (status 2) when memory runs out. */
void *xcalloc(size_t n, size_t size);

/* xrealloc - realloc that exits (status 2) when memory runs out. */
void *xrealloc(void *p, size_t size);

/* xstrdup - strdup that exits (status 2) when memory runs out. */
char *xstrdup(const char *s);

/* xstrdup_or_null - strdup(s), or NULL when s is NULL; exits on no memory. */
char *xstrdup_or_null(const char *s);

/* xasprintf - asprintf that exits the grader (status 2) when memory runs out. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* xappendf - replace the malloc'd string *s by *s followed by the formatted text; exits
   (status 2) when memory runs out. */
void xappendf(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* IPCLAB_ERR_H */
