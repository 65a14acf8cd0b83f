/* Blocks at load time (a constructor reading a pipe nobody writes): no test ever starts.
 */
#include <unistd.h>
static void corpus_hostile(void) {}
__attribute__((constructor)) static void corpus_at_load(void)
{
    int fds[2];
    char c;
    if (pipe(fds) == 0)
        (void)read(fds[0], &c, 1);
}
