/* Forks without end at load time: no test ever starts. */
#include <unistd.h>
static void corpus_hostile(void) {}
__attribute__((constructor)) static void corpus_at_load(void)
{
    for (;;)
        if (fork() < 0)
            pause();
}
