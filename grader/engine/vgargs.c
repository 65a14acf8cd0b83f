/* vgargs.c - the course's valgrind options and the memcheck pass's runner mode. */
#include "engine/vgargs.h"
#include "engine/course.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The file's lines, read once: options and environment variables. */
static struct {
    int read; /* 0: not yet, 1: read, -1: failed with err */
    int err;
    char text[4096];
    char *opts[VG_MAX_OPTIONS + 1], *vars[VG_MAX_OPTIONS + 1];
    int nopts, nvars;
} vg;

/* is_variable - line is NAME=value with NAME a C identifier. */
static bool is_variable(const char *line)
{
    size_t n = strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                            "0123456789_");
    return n > 0 && line[n] == '=' && !(line[0] >= '0' && line[0] <= '9');
}

/* vg_read - read labs/support/valgrind.args into vg, once; 0, or -1 with errno. */
static int vg_read(void)
{
    if (vg.read != 0) {
        errno = vg.err;
        return vg.read > 0 ? 0 : -1;
    }
    vg.read = -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/labs/support/valgrind.args", course_root());
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return vg.err = errno, -1;
    size_t len = fread(vg.text, 1, sizeof vg.text - 1, f);
    bool whole = feof(f) && !ferror(f);
    fclose(f);
    if (!whole)
        return errno = vg.err = EFBIG, -1;
    vg.text[len] = '\0';
    for (char *save = NULL, *line = strtok_r(vg.text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        line += strspn(line, " \t");
        line[strcspn(line, " \t\r")] = '\0'; /* one option a line, no quoting */
        if (line[0] == '\0' || line[0] == '#')
            continue;
        bool option = strncmp(line, "--", 2) == 0;
        if (!option && !is_variable(line))
            return errno = vg.err = EINVAL, -1;
        int *n = option ? &vg.nopts : &vg.nvars;
        if (*n == VG_MAX_OPTIONS)
            return errno = vg.err = E2BIG, -1;
        (option ? vg.opts : vg.vars)[(*n)++] = line;
    }
    vg.read = 1;
    vg.err = 0;
    return 0;
}

/* vg_options - see vgargs.h. */
int vg_options(char ***opts)
{
    if (vg_read() < 0)
        return -1;
    *opts = vg.opts;
    return vg.nopts;
}

/* vg_environment - see vgargs.h. */
int vg_environment(char ***vars)
{
    if (vg_read() < 0)
        return -1;
    *vars = vg.vars;
    return vg.nvars;
}
