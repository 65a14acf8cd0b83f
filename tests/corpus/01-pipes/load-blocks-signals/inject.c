/* Blocks and ignores every signal at load time, then waits forever. */
#include <signal.h>
#include <unistd.h>
static void corpus_hostile(void) {}
__attribute__((constructor)) static void corpus_at_load(void)
{
    sigset_t all;
    sigfillset(&all);
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_IGN);
    sigprocmask(SIG_BLOCK, &all, NULL);
    for (;;)
        pause();
}
