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
    "usage: ipclab reset NN [FILE] [--yes]\n"
    "\n"
    "Puts the skeleton of lab NN's student files (or only FILE, e.g. pipes.c)\n"
    "back in labs/NN-x/src, after copying your version to a new folder\n"
    ".ipclab-backup/NN-x/YYYYMMDD-HHMMSS[-N]/ (never one an earlier reset\n"
    "wrote). On a terminal it asks first; --yes (-y) does not ask. A file that\n"
    "is already the skeleton is left alone. The skeleton comes from the copy\n"
    "shipped in .skeleton/ (a release), else from git (HEAD of the course).\n"
    "\n"
    "Exit status: 0 when every file was restored, 1 otherwise (or when you\n"
    "answered no), 2 on a usage error.\n";

/*
 * make_backup_dir - create a folder for this reset's backups that no other
 * reset wrote: ROOT/.ipclab-backup/SLUG/STAMP, or STAMP-2, STAMP-3 ... when
 * a reset in the same second made it first (mkdir(2) decides, atomically).
 * The path goes to out (len bytes). Returns 0, or -1 with errno set.
 */
static int make_backup_dir(const char *slug, char *out, size_t len)
{
    char stamp[32], parent[4200];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
    snprintf(parent, sizeof parent, "%s/.ipclab-backup/%s", course_root(), slug);
    if (fs_mkdir_p(parent) < 0)
        return -1;
    for (int n = 1; n < 1000; n++) {
        if (n == 1)
            snprintf(out, len, "%s/%s", parent, stamp);
        else
            snprintf(out, len, "%s/%s-%d", parent, stamp, n);
        if (mkdir(out, 0755) == 0)
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

/* same_content - whether files a and b hold the same bytes (false if either is
 * unreadable). */
static bool same_content(const char *a, const char *b)
{
    char *x = fs_read_text(a, 16u << 20), *y = fs_read_text(b, 16u << 20);
    bool same = x != NULL && y != NULL && strcmp(x, y) == 0;
    free(x);
    free(y);
    return same;
}

/* confirmed - on a terminal, ask whether to replace what; true if answered yes. */
static bool confirmed(const char *what)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
        return true;
    fprintf(stderr,
            "Replace %s with the skeleton? Your version is kept in .ipclab-backup/. "
            "[y/N] ",
            what);
    char line[32];
    if (fgets(line, sizeof line, stdin) == NULL)
        return false;
    return line[0] == 'y' || line[0] == 'Y';
}

/* cmd_reset - `ipclab reset NN [FILE]`: back up, then restore; 0 when all restored. */
int cmd_reset(int argc, char **argv)
{
    bool yes = false;
    int kept = 0;
    for (int i = 0; i < argc; i++) /* --yes may stand anywhere after the verb */
        if (i > 0 && (strcmp(argv[i], "--yes") == 0 || strcmp(argv[i], "-y") == 0))
            yes = true;
        else
            argv[kept++] = argv[i];
    argc = kept;
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
    char backup[4400] = "";
    int status = 0;
    for (size_t i = 0; i < m.nstudent_files; i++) {
        const char *f = m.student_files[i];
        if (argc == 3 && strcmp(f, argv[2]) != 0)
            continue;
        char cur[4400], bak[4500], tmp[4500];
        snprintf(cur, sizeof cur, "%s/src/%s", dir, f);
        snprintf(tmp, sizeof tmp, "%s.ipclab-reset", cur);
        if (course_skeleton_to(m.slug, f, tmp) < 0) {
            fprintf(stderr,
                    "ipclab: cannot find the skeleton of '%s' (no .skeleton/, no git)\n",
                    f);
            unlink(tmp);
            status = 1;
            continue;
        }
        if (same_content(cur, tmp)) {
            fprintf(stdout, "labs/%s/src/%s is already the skeleton\n", m.slug, f);
            unlink(tmp);
            continue;
        }
        char what[4200];
        snprintf(what, sizeof what, "labs/%s/src/%s", m.slug, f);
        bool had = access(cur, F_OK) == 0;
        if (had && !yes && !confirmed(what)) {
            fprintf(stderr, "ipclab: %s left as it is\n", what);
            unlink(tmp);
            status = 1;
            continue;
        }
        if (had && backup[0] == '\0' &&
            make_backup_dir(m.slug, backup, sizeof backup) < 0) {
            fprintf(stderr, "ipclab: cannot make a backup folder: %s (nothing changed)\n",
                    strerror(errno));
            backup[0] = '\0';
            unlink(tmp);
            status = 1;
            continue;
        }
        snprintf(bak, sizeof bak, "%s/%s", backup, f);
        if (had && fs_copy_file(cur, bak, NULL) < 0) {
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
        if (had)
            fprintf(stdout, "restored labs/%s/src/%s (your version: %s)\n", m.slug, f,
                    bak);
        else
            fprintf(stdout, "restored labs/%s/src/%s\n", m.slug, f);
    }
    manifest_free(&m);
    return status;
}
