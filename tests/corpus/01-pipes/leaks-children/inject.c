/* Leaves a child running and an orphaned grandchild behind. */
#include <unistd.h>
static void corpus_hostile(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (fork() == 0) {
            setsid();
            for (;;)
                pause();
        }
        for (;;)
            pause();
    }
}
