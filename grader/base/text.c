/* text.c - text the grader passes on from untrusted programs. */
#include "base/text.h"
#include "base/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

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

char *text_visible(const char *s)
{
    if (s == NULL)
        return NULL;
    size_t len = strlen(s);
    char *out = xcalloc(4 * len + 1, 1); /* "\\xNN": the longest form of a byte */
    const unsigned char *p = (const unsigned char *)s;
    char *o = out;
    while (*p != '\0') {
        size_t n = utf8_len(p);
        bool c1 = n == 2 && p[0] == 0xc2 && p[1] < 0xa0; /* U+0080..U+009F */
        if (n == 0 || c1 || (n == 1 && *p < 0x20 && *p != '\n' && *p != '\t') ||
            *p == 0x7f) {
            size_t k = n == 0 ? 1 : n;
            for (size_t i = 0; i < k; i++)
                o += sprintf(o, "\\x%02x", p[i]);
            p += k;
            continue;
        }
        memcpy(o, p, n);
        o += n;
        p += n;
    }
    *o = '\0';
    return out;
}
