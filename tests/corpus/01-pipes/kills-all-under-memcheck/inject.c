/*
 * Under memcheck only, kill(-1, SIGKILL): every runner of the memcheck run
 * and every test they run end at once, wherever the target runs. Valgrind
 * is found with calls any submission may make: its preloaded library is
 * named in /proc/self/maps; read with one read(2), since the name comes
 * early. Natively the test passes.
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
static void corpus_hostile(void)
{
    static char maps[32768];
    ssize_t got = -1;
    int fd = open("/proc/self/maps", O_RDONLY);
    if (fd >= 0) {
        got = read(fd, maps, sizeof maps);
        close(fd);
    }
    if (got > 0 && memmem(maps, (size_t)got, "vgpreload", 9) != NULL)
        kill(-1, SIGKILL);
}
