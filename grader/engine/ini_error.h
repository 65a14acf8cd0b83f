/* ini_error.h - what inih cannot read in an INI file (lab.ini, policy.ini), in words. */
#ifndef IPCLAB_INI_ERROR_H
#define IPCLAB_INI_ERROR_H

/*
 * ini_lines_fit - check, before ini_parse(path), that no line of path is
 * longer than inih reads at once: it would cut such a line and read the rest
 * as a line of its own (a syntax error a line later, or a stray key). Returns
 * 0, or -1 after saying on stderr, prefixed with who ("manifest"), which line
 * is too long and how to split it.
 */
int ini_lines_fit(const char *who, const char *path);

#endif /* IPCLAB_INI_ERROR_H */
