/* Harmless: proves the tests run unprivileged, with the course read-only. */
#include <stdlib.h>
#include <unistd.h>
static void corpus_hostile(void)
{
    if (getuid() == 0 || access(CORPUS_COURSE "/Makefile", W_OK) == 0)
        abort(); /* not isolated: crash so the harness notices */
}
