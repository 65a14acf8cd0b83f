/* Writes output without end at load time: no test ever starts. */
#include <stdio.h>
static void corpus_hostile(void) {}
__attribute__((constructor)) static void corpus_at_load(void)
{
    for (;;)
        fputs("corpus: output without end at load time\n", stdout);
}
