/* Ignores SIGTERM and blocks every signal (SIGPROF too: Criterion's timeout). */
#include <signal.h>
#include <unistd.h>
static void corpus_hostile(void)
{
    signal(SIGTERM, SIG_IGN);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    for (;;)
        pause();
}
