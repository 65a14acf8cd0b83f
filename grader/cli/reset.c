/* cmd_reset.c - `ipclab reset NN [FILE]`: restore the skeleton, keeping a backup. */
#include "cli/cli.h"
#include "cli/student.h"

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

/* Copy src to dst (created 0644); 0 or -1 with errno set. */
static int copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "re");
    if (in == NULL)
        return -1;
    FILE *out = fopen(dst, "we");
    if (out == NULL) {
        fclose(in);
        return -1;
    }
    char buf[8192];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    if (ferror(in))
        rc = -1;
    fclose(in);
    if (fclose(out) != 0)
        rc = -1;
    return rc;
}

/* mkdir -p path; 0 or -1 with errno set. */
static int mkdirs(const char *path)
{
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p != '\0'; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

int student_skeleton_to(const char *slug, const char *file, const char *dst)
{
    char shipped[4400];
    snprintf(shipped, sizeof shipped, "%s/.skeleton/%s/src/%s", course_root(), slug,
             file);
    if (access(shipped, R_OK) == 0)
        return copy_file(shipped, dst);
    char spec[4400];
    snprintf(spec, sizeof spec, "HEAD:labs/%s/src/%s", slug, file);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        FILE *out = fopen(dst, "we");
        if (out == NULL || dup2(fileno(out), 1) < 0)
            _exit(127);
        execlp("git", "git", "-C", course_root(), "show", spec, (char *)NULL);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* cmd_reset - `ipclab reset NN [FILE]`: back up, then restore; 0 when all restored. */
int cmd_reset(int argc, char **argv)
{
    if (student_help(argc, argv, usage) == 0)
        return 0;
    if (argc < 2 || argc > 3) {
        fputs(usage, stderr);
        return 2;
    }
    char dir[4096];
    struct manifest m;
    if (resolve_lab(argv[1], dir, sizeof dir) < 0 || manifest_load(dir, &m) < 0)
        return 2;
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
        if (student_skeleton_to(m.slug, f, tmp) < 0) {
            fprintf(stderr,
                    "ipclab: cannot find the skeleton of '%s' (no .skeleton/, no git)\n",
                    f);
            unlink(tmp);
            status = 1;
            continue;
        }
        if (access(cur, F_OK) == 0 && (mkdirs(backup) < 0 || copy_file(cur, bak) < 0)) {
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
