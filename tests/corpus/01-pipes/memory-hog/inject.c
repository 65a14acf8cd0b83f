/* Allocates (and touches) memory until it runs out. */
#include <stdlib.h>
#include <string.h>
static void corpus_hostile(void)
{
    for (;;) {
        char *p = malloc(64 << 20);
        if (p == NULL)
            abort();
        memset(p, 1, 64 << 20);
    }
}
