/* text.c - text the grader passes on from untrusted programs. */
#include "base/text.h"
#include "base/err.h"

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n;
    unsigned min;
    unsigned cp;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0)
        n = 2, min = 0x80, cp = s[0] & 0x1f;
    else if ((s[0] & 0xf0) == 0xe0)
        n = 3, min = 0x800, cp = s[0] & 0x0f;
    else if ((s[0] & 0xf8) == 0xf0)
        n = 4, min = 0x10000, cp = s[0] & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
        cp == 0xffff)
        return 0;
    return n;
}

char *text_clean(const char *s)
{
    if (s == NULL)
        return NULL;
    char *out = xstrdup_or_null(s);
    unsigned char *p = (unsigned char *)out;
    while (*p != '\0') {
        size_t n = utf8_len(p);
        if (n == 0 || (n == 1 && *p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
    return out;
}
