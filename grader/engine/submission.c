/* submission.c - locating the student's files in a checkout, solutions/ or an archive. */
#include "engine/submission.h"
#include "base/fs.h"
#include "engine/grade.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE  (1 << 20)
#define MAX_DEPTH 5

/* True if path resolves to a regular file inside root (a resolved path). */
static bool inside(const char *root, const char *path)
{
    char real[PATH_MAX];
    struct stat st;
    if (realpath(path, real) == NULL || stat(real, &st) < 0 || !S_ISREG(st.st_mode))
        return false;
    size_t n = strlen(root);
    return strncmp(real, root, n) == 0 && (real[n] == '/' || strcmp(root, "/") == 0);
}

/* Depth-first search for a file called name below dir; best match into out. */
static void search(const char *root, const char *dir, const char *name, const char *slug,
                   int depth, char *out, size_t len, bool *slug_hit)
{
    if (depth > MAX_DEPTH)
        return;
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "build") == 0)
            continue;
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            continue;
        struct stat st;
        if (lstat(path, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            search(root, path, name, slug, depth + 1, out, len, slug_hit);
        } else if (strcmp(e->d_name, name) == 0 && inside(root, path)) {
            bool hit = strstr(path + strlen(root), slug) != NULL;
            if (out[0] == '\0' || (hit && !*slug_hit)) {
                snprintf(out, len, "%s", path);
                *slug_hit = hit;
            }
        }
    }
    closedir(d);
}

int submission_collect(const struct manifest *m, const char *dir, const char *dest,
                       char **missing)
{
    char root[PATH_MAX];
    const struct fs_copy limit = {.max_bytes = MAX_FILE, .owner = -1};
    *missing = NULL;
    if (realpath(dir, root) == NULL) {
        *missing = xasprintf("cannot open '%s': %s", dir, strerror(errno));
        return -1;
    }
    /* A checkout (or an archive of `ipclab submit`) holds the lab's folder:
     * its files are there or nowhere. Searching on would grade another copy,
     * the reference in solutions/ of a checkout that has one. */
    char lab[PATH_MAX + 512];
    snprintf(lab, sizeof lab, "%s/labs/%s", root, m->slug);
    bool checkout = fs_is_dir(lab);
    for (size_t i = 0; i < m->nstudent_files; i++) {
        const char *f = m->student_files[i];
        char found[PATH_MAX + 512] = "", cand[PATH_MAX + 512];
        const char *fmts[] = {"%s/labs/%s/src/%s", "%s/%s/src/%s"};
        for (size_t k = 0; k < (checkout ? 1 : 2) && found[0] == '\0'; k++) {
            snprintf(cand, sizeof cand, fmts[k], root, m->slug, f);
            if (inside(root, cand))
                snprintf(found, sizeof found, "%s", cand);
        }
        snprintf(cand, sizeof cand, "%s/src/%s", root, f);
        if (!checkout && found[0] == '\0' && inside(root, cand))
            snprintf(found, sizeof found, "%s", cand);
        snprintf(cand, sizeof cand, "%s/%s", root, f);
        if (!checkout && found[0] == '\0' && inside(root, cand))
            snprintf(found, sizeof found, "%s", cand);
        bool slug_hit = false;
        if (!checkout && found[0] == '\0')
            search(root, root, f, m->slug, 0, found, sizeof found, &slug_hit);
        snprintf(cand, sizeof cand, "%s/%s", dest, f);
        if (found[0] == '\0' || fs_copy_file(found, cand, &limit) < 0) {
            char why[600] = "";
            if (found[0] != '\0')
                snprintf(why, sizeof why, " (unreadable or over 1 MiB)");
            else if (checkout)
                snprintf(why, sizeof why, " (not in labs/%s/src/)", m->slug);
            char *n = xasprintf("%s%s%s%s", *missing ? *missing : "", *missing ? " " : "",
                                f, why);
            free(*missing);
            *missing = n;
        }
    }
    return *missing == NULL ? 0 : -1;
}
