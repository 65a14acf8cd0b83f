/* Leaves a child running and an orphaned grandchild behind. */
#include <unistd.h>
static void corpus_hostile(void)
{
    if (fork() == 0) {
        if (fork() == 0)
            setsid(); /* the grandchild: a session of its own */
        for (;;)      /* both pause forever */
            pause();
    }
}
