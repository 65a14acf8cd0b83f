/* A test that crashes: with --trace-failures its timeline is drawn. */
#include <stdlib.h>
static void corpus_hostile(void)
{
    abort();
}
