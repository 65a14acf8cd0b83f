/*
 * Under memcheck only, never finish: the test runner stops the test at its
 * timeout, before valgrind's leak check. Natively the test passes. Valgrind
 * is found with calls any submission may make: its preloaded library's name
 * in the first 64 KiB of /proc/self/maps.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
static void corpus_hostile(void)
{
    static char maps[65536];
    size_t have = 0;
    ssize_t got;
    int fd = open("/proc/self/maps", O_RDONLY);
    while (fd >= 0 && have < sizeof maps &&
           (got = read(fd, maps + have, sizeof maps - have)) > 0)
        have += (size_t)got;
    if (fd >= 0)
        close(fd);
    while (memmem(maps, have, "vgpreload_memcheck", 18) != NULL)
        pause();
}
