/* Calls exit(0) inside a test: Criterion would count that as a pass. */
#include <stdlib.h>
static void corpus_hostile(void)
{
    exit(0);
}
