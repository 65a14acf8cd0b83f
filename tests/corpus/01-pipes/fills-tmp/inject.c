/* Counts the files /tmp, /var/tmp and /dev/shm may hold, then creates empty
 * files in /dev/shm until none more fits (empty files use no space, so only
 * a file count stops them) and removes them: where the grader caps each
 * writable tmpfs's files (as root, engine/workfs.h), the creation stops at
 * the cap. Otherwise the test crashes, naming what it saw. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/statvfs.h>
#include <unistd.h>
#define CORPUS_MAX_FILES 32768
static void corpus_hostile(void)
{
    const char *dirs[] = {"/tmp", "/var/tmp", "/dev/shm"};
    for (size_t i = 0; i < 3; i++) {
        struct statvfs sv;
        if (statvfs(dirs[i], &sv) != 0 || sv.f_files > CORPUS_MAX_FILES) {
            fprintf(stderr, "corpus fills-tmp: %s holds %llu files\n", dirs[i],
                    (unsigned long long)sv.f_files);
            abort();
        }
    }
    char name[64];
    int made = 0;
    while (made <= CORPUS_MAX_FILES) {
        snprintf(name, sizeof name, "/dev/shm/corpus-%d", made);
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0)
            break;
        close(fd);
        made++;
    }
    for (int i = 0; i < made; i++) {
        snprintf(name, sizeof name, "/dev/shm/corpus-%d", i);
        unlink(name);
    }
    if (made > CORPUS_MAX_FILES) {
        fprintf(stderr, "corpus fills-tmp: %d files made in /dev/shm\n", made);
        abort();
    }
}
