/* Correct but slow: 13 s in an rr test, under the rr suite's own 20 s timeout. */
#include <errno.h>
#include <time.h>
static void corpus_hostile(void)
{
    struct timespec left = {13, 0};
    while (nanosleep(&left, &left) < 0 && errno == EINTR)
        ;
}
