/* cmd_watch.c - `ipclab watch` (in progress). */
#include "commands.h"

#include <stdio.h>

int cmd_watch(int argc, char **argv)
{
    (void)argc, (void)argv;
    fprintf(stderr, "ipclab: 'watch' is not ready yet\n");
    return 2;
}
