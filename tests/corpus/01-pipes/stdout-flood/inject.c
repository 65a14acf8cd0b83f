/* Writes to stdout without end (gigabytes). */
#include <string.h>
#include <unistd.h>
static void corpus_hostile(void)
{
    static char buf[1 << 16];
    memset(buf, 'x', sizeof buf);
    for (;;)
        if (write(1, buf, sizeof buf) < 0)
            break;
}
