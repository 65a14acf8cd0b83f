/* term.c - colour on a terminal (NO_COLOR decides it once) and a UTF-8 progress bar. */
#include "base/term.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool term_colour_wanted(FILE *out)
{
    const char *nc = getenv("NO_COLOR"); /* https://no-color.org: set and not empty */
    return isatty(fileno(out)) && (nc == NULL || nc[0] == '\0');
}

struct colours term_no_colours(void)
{
    return (struct colours){"", "", "", "", "", ""};
}

struct colours term_colours(FILE *out)
{
    if (term_colour_wanted(out))
        return (struct colours){"\033[32m", "\033[31m", "\033[33m",
                                "\033[1m",  "\033[2m",  "\033[0m"};
    return term_no_colours();
}

void term_bar(char *out, size_t len, double done, double total, int width)
{
    int full = total > 0 ? (int)(done / total * width + 0.5) : 0;
    size_t k = 0;
    for (int i = 0; i < width && k + 4 < len; i++) {
        const char *cell = i < full ? "█" : "░";
        memcpy(out + k, cell, 3);
        k += 3;
    }
    out[k] = '\0';
}
