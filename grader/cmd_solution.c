/* cmd_solution.c - `ipclab solution` (in progress). */
#include "commands.h"

#include <stdio.h>

int cmd_solution(int argc, char **argv)
{
    (void)argc, (void)argv;
    fprintf(stderr, "ipclab: 'solution' is not ready yet\n");
    return 2;
}
