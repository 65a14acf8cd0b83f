/* Leaks heap memory in one test (valgrind: definitely lost). */
#include <stdlib.h>
#include <string.h>
static void *volatile corpus_sink;
static void corpus_hostile(void)
{
    corpus_sink = malloc(4096);
    memset(corpus_sink, 1, 4096);
    corpus_sink = NULL;
}
