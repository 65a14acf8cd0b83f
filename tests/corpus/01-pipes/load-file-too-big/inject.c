/* Writes a file past the size limit at load time: the runner dies of SIGXFSZ. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
static void corpus_hostile(void) {}
__attribute__((constructor)) static void corpus_at_load(void)
{
    static char buf[1 << 16];
    memset(buf, 'x', sizeof buf);
    int fd = open("huge-at-load.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    while (fd >= 0 && write(fd, buf, sizeof buf) > 0)
        ;
}
