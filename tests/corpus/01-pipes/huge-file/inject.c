/* Writes a file until something stops it. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
static void corpus_hostile(void)
{
    static char buf[1 << 16];
    memset(buf, 'x', sizeof buf);
    int fd = open("huge.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    while (fd >= 0 && write(fd, buf, sizeof buf) > 0)
        ;
    _exit(3);
}
