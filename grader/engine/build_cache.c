/* build_cache.c - a per-lab cache of the pristine test and support objects. */
#include "engine/build_cache.h"
#include "base/fs.h"
#include "engine/course.h"
#include "engine/grade.h"
#include "base/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Copy every *.o of cache/sub into build/sub (created, owned by nobody if root). */
static int copy_objects(const char *cache, const char *build, const char *sub)
{
    char from[4200], to[4200];
    snprintf(from, sizeof from, "%s/%s", cache, sub);
    snprintf(to, sizeof to, "%s/%s", build, sub);
    if (mkdir(to, 0755) < 0 && errno != EEXIST)
        return -1;
    if (grade_chown(to) < 0)
        return -1;
    DIR *d = opendir(from);
    if (d == NULL)
        return -1;
    int rc = 0;
    const struct fs_copy keep = {.keep_times = true, .owner = grade_uid()};
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 3 || strcmp(e->d_name + len - 2, ".o") != 0)
            continue;
        char a[4600], b[4600];
        snprintf(a, sizeof a, "%s/%s", from, e->d_name);
        snprintf(b, sizeof b, "%s/%s", to, e->d_name);
        if (fs_copy_file(a, b, &keep) < 0)
            rc = -1;
    }
    closedir(d);
    return rc;
}

int build_cache_seed(const char *lab_dir, const char *slug, const char *build_dir)
{
    char cache[4200], lockp[4300], src[4300], bd[4300];
    snprintf(cache, sizeof cache, "%s/build/grade-cache", course_root());
    mkdir(cache, 0755);
    snprintf(cache, sizeof cache, "%s/build/grade-cache/%s", course_root(), slug);
    if (mkdir(cache, 0755) < 0 && errno != EEXIST)
        return -1;
    snprintf(lockp, sizeof lockp, "%s/.lock", cache);
    int lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0)
        return -1;
    int rc = -1;
    if (flock(lock, LOCK_EX) < 0)
        goto done;
    snprintf(src, sizeof src, "SRC_DIR=%s/src", lab_dir);
    snprintf(bd, sizeof bd, "BUILD_DIR=%s", cache);
    char *argv[] = {"make",
                    "-s",
                    "--no-print-directory",
                    "-C",
                    (char *)lab_dir,
                    "all",
                    (char *)course_make_jobs(),
                    src,
                    bd,
                    "WERROR=1",
                    NULL};
    struct proc_opts o = {
        .wall_seconds = 300, .stop_grace = PROC_BUILD_GRACE, .out_cap = 8192};
    struct proc p;
    if (proc_start(&p, "build cache", argv, &o) < 0)
        goto done;
    proc_wait_all(&p, 1, NULL, NULL);
    bool ok = !p.killed && WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0;
    proc_free(&p);
    if (ok && copy_objects(cache, build_dir, "tests") == 0 &&
        copy_objects(cache, build_dir, "support") == 0)
        rc = 0;
done:
    close(lock); /* releases the lock */
    return rc;
}
