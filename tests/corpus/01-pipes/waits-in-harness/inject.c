/* Leaves a child waiting for a signal nobody sends; the harness's ipct_wait then waits
 * for it. */
#include <unistd.h>
int ipct_wait(pid_t pid, int *status, int timeout_ms);
static void corpus_hostile(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    /* As a test waits for the student's child, with a limit past the test's own. */
    (void)ipct_wait(pid, NULL, 600000);
}
