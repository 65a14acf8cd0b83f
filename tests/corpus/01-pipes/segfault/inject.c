/* Segfaults in one test: that test crashes, the others still count. */
#include <stddef.h>
static void corpus_hostile(void)
{
    volatile int *volatile p = NULL; /* volatile: the store must happen */
    *p = 42;
}
