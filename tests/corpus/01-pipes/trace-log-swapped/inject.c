/*
 * Rerun under strace for --trace-failures, the test swaps strace's log
 * (native/strace.log, in its working folder) for a link to a host file,
 * then crashes: the grader must not follow it into a timeline page.
 */
#include <stdlib.h>
#include <unistd.h>
static void corpus_hostile(void)
{
    unlink("native/strace.log");
    if (symlink("/etc/passwd", "native/strace.log") != 0)
        abort();
    abort();
}
