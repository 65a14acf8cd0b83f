/* Every process that loads this code double-forks a daemon (setsid, pause forever). */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static void corpus_hostile(void) {}
__attribute__((constructor)) static void corpus_at_load(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (fork() == 0) {
            setsid();
            for (;;)
                pause();
        }
        _exit(0);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}
