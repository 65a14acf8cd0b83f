/* reset.c - `ipclab reset NN [FILE]`: restore the skeleton, keeping a backup. */
#include "cli/cli.h"
#include "base/fs.h"
#include "base/term.h"
#include "engine/course.h"
#include "engine/progress_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: ipclab reset NN [FILE]\n"
    "\n"
    "Puts the skeleton of lab NN's student files (or only FILE, e.g. pipes.c)\n"
    "back in labs/NN-x/src, after copying your version to\n"
    ".ipclab-backup/NN-x/YYYYMMDD-HHMMSS/. The skeleton comes from the copy\n"
    "shipped in .skeleton/ (a release), else from git (HEAD of the course).\n"
    "\n"
    "Exit status: 0 when every file was restored, 1 otherwise, 2 on a usage error.\n";

/* cmd_reset - `ipclab reset NN [FILE]`: back up, then restore; 0 when all restored. */
int cmd_reset(int argc, char **argv)
{
    char dir[4096];
    struct manifest m;
    int rc = cli_lab_manifest(argc, argv, usage, dir, sizeof dir, &m);
    if (rc >= 0)
        return rc;
    if (argc == 3) {
        bool known = false;
        for (size_t i = 0; i < m.nstudent_files; i++)
            known = known || strcmp(m.student_files[i], argv[2]) == 0;
        if (!known) {
            fprintf(stderr, "ipclab: '%s' is not a student file of lab %s\n", argv[2],
                    m.id);
            manifest_free(&m);
            return 2;
        }
    }
    char stamp[32], backup[4400];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
    snprintf(backup, sizeof backup, "%s/.ipclab-backup/%s/%s", course_root(), m.slug,
             stamp);
    int status = 0;
    for (size_t i = 0; i < m.nstudent_files; i++) {
        const char *f = m.student_files[i];
        if (argc == 3 && strcmp(f, argv[2]) != 0)
            continue;
        char cur[4400], bak[4500], tmp[4500];
        snprintf(cur, sizeof cur, "%s/src/%s", dir, f);
        snprintf(bak, sizeof bak, "%s/%s", backup, f);
        snprintf(tmp, sizeof tmp, "%s.ipclab-reset", cur);
        if (course_skeleton_to(m.slug, f, tmp) < 0) {
            fprintf(stderr,
                    "ipclab: cannot find the skeleton of '%s' (no .skeleton/, no git)\n",
                    f);
            unlink(tmp);
            status = 1;
            continue;
        }
        if (access(cur, F_OK) == 0 &&
            (fs_mkdir_p(backup) < 0 || fs_copy_file(cur, bak, NULL) < 0)) {
            fprintf(stderr, "ipclab: cannot back up '%s' to '%s': %s (nothing changed)\n",
                    cur, bak, strerror(errno));
            unlink(tmp);
            status = 1;
            continue;
        }
        if (rename(tmp, cur) < 0) {
            fprintf(stderr, "ipclab: cannot restore '%s': %s\n", cur, strerror(errno));
            unlink(tmp);
            status = 1;
            continue;
        }
        fprintf(stdout, "restored labs/%s/src/%s (your version: %s)\n", m.slug, f, bak);
    }
    manifest_free(&m);
    return status;
}
