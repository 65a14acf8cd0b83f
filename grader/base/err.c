/* err.c - the grader's one error style (err.h) and allocation that cannot fail. */
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void err_say(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void err_out_of_memory(void)
{
    fprintf(stderr, "ipclab: out of memory\n");
    exit(2);
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (p == NULL)
        err_out_of_memory();
    return p;
}

void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size);
    if (q == NULL)
        err_out_of_memory();
    return q;
}

char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (d == NULL)
        err_out_of_memory();
    return d;
}

char *xstrdup_or_null(const char *s)
{
    return s == NULL ? NULL : xstrdup(s);
}

/* xvasprintf - vasprintf into a new string; exits (status 2) when memory runs out. */
static char *xvasprintf(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        err_out_of_memory();
    return s;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

void xappendf(char **s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *more = xvasprintf(fmt, ap);
    va_end(ap);
    char *joined = xasprintf("%s%s", *s, more);
    free(more);
    free(*s);
    *s = joined;
}
