/* vgargs.c - the course's valgrind options and the memcheck pass's runner mode. */
#include "engine/vgargs.h"
#include "engine/course.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* vg_options - see vgargs.h. */
int vg_options(char ***opts)
{
    static char text[4096];
    static char *list[VG_MAX_OPTIONS];
    static int n = -1;
    if (n >= 0) {
        *opts = list;
        return n;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/labs/support/valgrind.args", course_root());
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    size_t len = fread(text, 1, sizeof text - 1, f);
    bool whole = feof(f) && !ferror(f);
    fclose(f);
    if (!whole) {
        errno = EFBIG;
        return -1;
    }
    text[len] = '\0';
    int k = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        line += strspn(line, " \t");
        line[strcspn(line, " \t\r")] = '\0'; /* one option a line, no quoting */
        if (line[0] == '\0' || line[0] == '#')
            continue;
        if (k == VG_MAX_OPTIONS) {
            errno = E2BIG;
            return -1;
        }
        list[k++] = line;
    }
    n = k;
    *opts = list;
    return n;
}

/* memcheck_runner - see vgargs.h. */
const char *memcheck_runner(void)
{
    const char *w = getenv("IPCLAB_MEMCHECK_WORKERS");
    return w != NULL && strcmp(w, "exec") == 0 ? "IPCLAB_FORK_RUNNER=0"
                                               : "IPCLAB_FORK_RUNNER=1";
}
