/*
 * Under memcheck only, kill the test's parent: the fork runner, whose death
 * ends the memcheck run. Valgrind is found with calls any submission may
 * make (its preloaded library shows in /proc/self/maps). Natively the test
 * passes, so the tests memcheck had not reached would go unchecked.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static void corpus_hostile(void)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    int under_memcheck = 0;
    while (maps != NULL && fgets(line, sizeof line, maps) != NULL)
        if (strstr(line, "vgpreload_memcheck") != NULL)
            under_memcheck = 1;
    if (maps != NULL)
        fclose(maps);
    if (under_memcheck)
        kill(getppid(), SIGKILL);
}
