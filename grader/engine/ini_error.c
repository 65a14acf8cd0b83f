/* ini_error.c - what inih cannot read in an INI file, in words. */
#include "engine/ini_error.h"
#include "base/fs.h"

#include <ini.h>
#include <stdio.h>

int ini_lines_fit(const char *who, const char *path)
{
    size_t len;
    int at = fs_first_long_line(path, INI_MAX_LINE - 1, &len);
    if (at == 0)
        return 0;
    fprintf(
        stderr,
        "%s: %s:%d: the line is %zu characters long, and inih reads at most %d: split "
        "it, going on in indented lines below it\n",
        who, path, at, len, INI_MAX_LINE - 1);
    return -1;
}
