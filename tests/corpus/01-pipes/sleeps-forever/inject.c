/* Blocks forever in one test: the report says where it was blocked. */
#include <unistd.h>
static void corpus_hostile(void)
{
    for (;;)
        pause();
}
