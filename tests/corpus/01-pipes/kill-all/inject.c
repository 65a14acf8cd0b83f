/* kill(-1, SIGKILL): every process it may signal. Only ever run sandboxed. */
#include <signal.h>
static void corpus_hostile(void)
{
    kill(-1, SIGKILL);
}
