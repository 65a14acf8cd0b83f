/* strset.h - a set of strings, searched by binary search. */
#ifndef IPCLAB_STRSET_H
#define IPCLAB_STRSET_H

#include <stdbool.h>
#include <stddef.h>

/* A set of strings (each owned); zero-initialise it, strset_free it. */
struct strset {
    char **v;
    size_t n, cap;
    bool sorted;
};

/* strset_add - add the first len bytes of name. 0, or -1 (ENOMEM). */
int strset_add(struct strset *s, const char *name, size_t len);

/*
 * strset_add_words - add every white-space separated word of text; '#'
 * starts a comment to the end of its line. text may be NULL. 0, or -1.
 */
int strset_add_words(struct strset *s, const char *text);

/* strset_has - whether name is in the set (sorts it on first use after an add). */
bool strset_has(struct strset *s, const char *name);

/* strset_free - free the strings and the array; the set is empty again. */
void strset_free(struct strset *s);

#endif /* IPCLAB_STRSET_H */
