/* help.c - what every verb's command line shares: --help and the end of a getopt switch.
 */
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

int cli_help_or_usage(int c, void (*usage)(FILE *out))
{
    usage(c == 'h' ? stdout : stderr);
    return c == 'h' ? 0 : 2;
}
