/* help.c - what every verb's command line shares: --help, a lab and its manifest. */
#include "cli/cli.h"
#include "engine/course.h"

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

int cli_lab_manifest(int argc, char **argv, const char *usage, char *dir, size_t len,
                     struct manifest *m)
{
    if (cli_help(argc, argv, usage) == 0)
        return 0;
    if (argc < 2 || argc > 3) {
        fputs(usage, stderr);
        return 2;
    }
    if (resolve_lab(argv[1], dir, len) < 0 || manifest_load(dir, m) < 0)
        return 2;
    return -1;
}

int cli_help_or_usage(int c, void (*usage)(FILE *out))
{
    usage(c == 'h' ? stdout : stderr);
    return c == 'h' ? 0 : 2;
}
