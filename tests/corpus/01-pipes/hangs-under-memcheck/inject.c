/*
 * Under memcheck only, never finish: the test runner stops the test at its
 * timeout, before valgrind's leak check. Natively the test passes. Valgrind
 * is found with calls any submission may make (its preloaded library shows
 * in /proc/self/maps).
 */
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
    while (under_memcheck)
        pause();
}
