/* Tries to delete and rewrite the course's tests and the grader's output. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static void corpus_hostile(void)
{
    const char *dirs[] = {CORPUS_LABDIR "/tests", CORPUS_LABDIR, CORPUS_DECOY,
                          CORPUS_OUTDIR};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        DIR *d = opendir(dirs[i]);
        struct dirent *e;
        while (d != NULL && (e = readdir(d)) != NULL) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", dirs[i], e->d_name);
            int fd = open(p, O_WRONLY | O_TRUNC);
            if (fd >= 0) {
                (void)!write(fd, "owned\n", 6);
                close(fd);
            }
            unlink(p);
        }
        if (d != NULL)
            closedir(d);
    }
    const char *results = getenv("IPCLAB_RESULTS_FILE");
    if (results != NULL)
        unlink(results);
}
