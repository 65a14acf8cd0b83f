/* cmd_submit.c - `ipclab submit` (in progress). */
#include "commands.h"

#include <stdio.h>

int cmd_submit(int argc, char **argv)
{
    (void)argc, (void)argv;
    fprintf(stderr, "ipclab: 'submit' is not ready yet\n");
    return 2;
}
