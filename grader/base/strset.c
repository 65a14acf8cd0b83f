/* strset.c - a set of strings, searched by binary search. */
#include "base/strset.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int strset_add(struct strset *s, const char *name, size_t len)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        char **v = realloc(s->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    char *copy = strndup(name, len);
    if (copy == NULL)
        return -1;
    s->v[s->n++] = copy;
    s->sorted = false;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

bool strset_has(struct strset *s, const char *name)
{
    if (s->n == 0)
        return false;
    if (!s->sorted) {
        qsort(s->v, s->n, sizeof *s->v, cmp_str);
        s->sorted = true;
    }
    return bsearch(&name, s->v, s->n, sizeof *s->v, cmp_str) != NULL;
}

void strset_free(struct strset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

int strset_add_words(struct strset *s, const char *text)
{
    const char *p = text;
    while (p != NULL && *p != '\0') {
        if (*p == '#') {
            p = strchr(p, '\n');
            continue;
        }
        if (isspace((unsigned char)*p)) {
            p++;
            continue;
        }
        size_t len = 0;
        while (p[len] != '\0' && !isspace((unsigned char)p[len]) && p[len] != '#')
            len++;
        if (strset_add(s, p, len) < 0)
            return -1;
        p += len;
    }
    return 0;
}
