/* Leaves traps for the grader that reads the run's files afterwards: the
 * probe file becomes a symbolic link to /dev/zero (an endless line), the
 * results file a FIFO (an open that blocks) and, when memcheck runs, its
 * log folder gains a link to /dev/zero named like a log. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
static void corpus_hostile(void)
{
    const char *probe = getenv("IPCLAB_PROBE_FILE");
    if (probe != NULL) {
        unlink(probe);
        (void)!symlink("/dev/zero", probe);
    }
    const char *results = getenv("IPCLAB_RESULTS_FILE");
    if (results != NULL) {
        unlink(results);
        mkfifo(results, 0666);
        /* memcheck's logs sit next to its results file */
        char log[4096];
        snprintf(log, sizeof log, "%.4000s", results);
        char *slash = strrchr(log, '/');
        if (slash != NULL) {
            snprintf(slash, sizeof log - (size_t)(slash - log), "/99999.log");
            (void)!symlink("/dev/zero", log);
        }
    }
}
