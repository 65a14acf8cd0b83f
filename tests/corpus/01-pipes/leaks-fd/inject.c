/* Leaves a file descriptor open in one test. */
#include <fcntl.h>
static void corpus_hostile(void)
{
    (void)open("/dev/null", O_RDONLY);
}
