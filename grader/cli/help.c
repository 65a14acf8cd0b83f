/* help.c - `--help` for every verb (cli_help, cli.h). */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

int cli_help(int argc, char **argv, const char *usage)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
    return -1;
}
