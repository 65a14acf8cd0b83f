/* At load, before any test, fills the folder the tests run in (the grade's
 * work folder) with 1.5 GiB of data and 80,000 files, more than its tmpfs
 * holds (policy work_mb, work_inodes); the target test then leaks a block,
 * and fails whenever it runs under race stress (the case turns the stress
 * pass on). Every test still passes natively (they write to their own
 * TMPDIR), the native results and memcheck's logs still reach the grader (the
 * leak is deducted): the runner's report travels on a memfd, the logs go to a
 * tmpfs of the grader's own. The stress runs still happen and their failure
 * is deducted: each runs in a lane on a tmpfs of the grader's own
 * (workfs_lane). Nothing stays on the host's disk. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
__attribute__((constructor)) static void corpus_fill_work(void)
{
    static char block[1 << 20];
    memset(block, 'f', sizeof block);
    if (mkdir("fill", 0700) < 0) /* done already, or no room for it */
        return;
    char name[64];
    for (int i = 0; i < 48; i++) { /* 32 MiB a file: under the file size limit */
        snprintf(name, sizeof name, "fill/data%d", i);
        int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
            break;
        int mib = 0;
        while (mib < 32 && write(fd, block, sizeof block) == (ssize_t)sizeof block)
            mib++;
        close(fd);
        if (mib < 32)
            break; /* the folder is full */
    }
    for (int i = 0; i < 80000; i++) {
        snprintf(name, sizeof name, "fill/f%d", i);
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0)
            break; /* no inode left */
        close(fd);
    }
}
static void corpus_hostile(void)
{
    if (getenv("IPCLAB_STRESS_SEED") != NULL)
        _exit(3);                     /* a race that shows only under stress */
    volatile char *lost = malloc(64); /* definitely lost: memcheck must still see it */
    if (lost != NULL)
        lost[0] = 1;
}
