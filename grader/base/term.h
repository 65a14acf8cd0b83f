/* term.h - what a terminal gets: colour (or none) and a progress bar. */
#ifndef IPCLAB_TERM_H
#define IPCLAB_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* ANSI colours, or "" everywhere when colour is off. */
struct colours {
    const char *green, *red, *yellow, *bold, *dim, *off;
};

/* term_colour_wanted - colour for stream out: only on a terminal, never with NO_COLOR. */
bool term_colour_wanted(FILE *out);

/* term_colours - the colours for stream out (all "" when term_colour_wanted is false). */
struct colours term_colours(FILE *out);

/* term_no_colours - colours that are all "" (quiet output, files). */
struct colours term_no_colours(void);

/* term_bar - width cells of a UTF-8 progress bar for done/total into out. */
void term_bar(char *out, size_t len, double done, double total, int width);

#endif /* IPCLAB_TERM_H */
