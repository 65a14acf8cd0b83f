/* help.c - what every verb's command line shares: --help and a table-driven getopt. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* The most options one verb has, --help included (grade has 16). */
#define CLI_MAX_OPTS 24

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

/* Store the option of row o, given with arg (NULL when it takes none). */
static int cli_store(const struct cli_opt *o, char *arg)
{
    switch (o->kind) {
    case CLI_STRING:
        *(const char **)o->dst = arg;
        return 0;
    case CLI_TRUE:
    case CLI_FALSE:
        *(bool *)o->dst = o->kind == CLI_TRUE;
        return 0;
    case CLI_CHOICE:
        *(int *)o->dst = o->value;
        return 0;
    case CLI_CALL:
        return o->call(arg, o->dst);
    }
    return -1;
}

int cli_parse(int argc, char **argv, const struct cli_opt *opts, size_t n,
              void (*usage)(FILE *out))
{
    /* getopt_long's val is the row's index past the byte range, so that rows
       without a letter need none; a letter maps back to its row below. */
    enum { ROW = 256 };
    struct option longs[CLI_MAX_OPTS + 2];
    char shorts[2 * CLI_MAX_OPTS + 2] = "h";
    size_t ns = 1;
    if (n > CLI_MAX_OPTS) {
        fprintf(stderr, "ipclab: internal error: more than %d options\n", CLI_MAX_OPTS);
        return 2;
    }
    for (size_t i = 0; i < n; i++) {
        bool takes = opts[i].kind == CLI_STRING || opts[i].kind == CLI_CALL;
        longs[i] = (struct option){opts[i].name, takes ? required_argument : no_argument,
                                   NULL, ROW + (int)i};
        if (opts[i].letter != 0) {
            shorts[ns++] = opts[i].letter;
            if (takes)
                shorts[ns++] = ':';
        }
    }
    shorts[ns] = '\0';
    longs[n] = (struct option){"help", no_argument, NULL, 'h'};
    longs[n + 1] = (struct option){NULL, 0, NULL, 0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        size_t row = c >= ROW ? (size_t)(c - ROW) : n;
        for (size_t i = 0; row == n && i < n && c != 'h'; i++)
            if (opts[i].letter == c)
                row = i;
        if (row == n)
            return cli_help_or_usage(c, usage);
        if (cli_store(&opts[row], optarg) < 0)
            return 2;
    }
    return -1;
}
