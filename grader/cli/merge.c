/* merge.c - `ipclab merge`: combine the outputs of grade-all shards into one. */
#include "base/fs.h"
#include "class/gradebook.h"
#include "class/progress_bar.h"
#include "cli/cli.h"
#include "base/err.h"
#include "engine/course.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* usage - the command's help, on out. */
static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: ipclab merge --out DIR SHARD_DIR...\n"
        "\n"
        "Combines the --out directories of `ipclab grade-all --shard K/N` runs (from\n"
        "any machines) into DIR: the students' outputs, one gradebook.csv sorted by\n"
        "student, summary.json and the histogram, byte for byte what one unsharded\n"
        "run would have written. Refuses directories of different labs, gradebook\n"
        "headers that differ, and a student found in two directories.\n"
        "\n"
        "Exit status: 0 merged, 1 merged but a shard is missing or unfinished, 2 "
        "refused.\n");
}

/*
 * copy_student - copy every regular file of FROM/students/NAME into
 * OUT/students/NAME, through OUT/.work/NAME and a rename as the last step
 * (so OUT never holds half a student). Returns 0, or -1 after a message.
 */
static int copy_student(const char *from, const char *out, const char *name)
{
    char src[PATH_MAX], tmp[PATH_MAX], dst[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
    fs_path(src, sizeof src, "%s/students/%s", from, name);
    fs_path(tmp, sizeof tmp, "%s/.work/%s", out, name);
    fs_path(dst, sizeof dst, "%s/students/%s", out, name);
    DIR *d = NULL;
    if (fs_rm_rf(tmp) < 0 || fs_mkdir_p(tmp) < 0)
        goto fail;
    d = opendir(src);
    if (d == NULL)
        goto fail;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        fs_path(a, sizeof a, "%s/%s", src, e->d_name);
        fs_path(b, sizeof b, "%s/%s", tmp, e->d_name);
        if (e->d_name[0] != '.' && fs_is_file(a) && fs_copy_file(a, b, NULL) < 0)
            goto fail;
    }
    closedir(d);
    d = NULL;
    if (fs_rm_rf(dst) < 0 || rename(tmp, dst) < 0)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "ipclab: cannot copy '%s' to '%s': %s\n", src, dst, strerror(errno));
    if (d != NULL)
        closedir(d);
    fs_rm_rf(tmp);
    return -1;
}

/*
 * read_inputs - read every input's grade-all.json, check they are one lab,
 * and collect their rosters into *all (refusing a student seen twice).
 * Sets *incomplete when a shard of N is missing or a student is unfinished.
 * Returns 0, or -1 after a message.
 */
static int read_inputs(char **dirs, int n, struct class_meta *meta, struct roster *all,
                       bool *incomplete)
{
    unsigned shard_n = 0;
    unsigned char seen[1024] = {0};
    for (int i = 0; i < n; i++) {
        struct class_meta m;
        struct roster r;
        char err[512];
        if (gradebook_read_meta(dirs[i], &m, &r, err, sizeof err) < 0) {
            fprintf(stderr, "ipclab: %s\n", err);
            return -1;
        }
        bool ok = true;
        if (i == 0) {
            meta->lab = strdup(m.lab);
            meta->slug = strdup(m.slug);
            shard_n = m.shard_n;
        } else if (strcmp(meta->slug, m.slug) != 0) {
            fprintf(stderr, "ipclab: '%s' holds lab %s, but '%s' holds lab %s\n", dirs[0],
                    meta->slug, dirs[i], m.slug);
            ok = false;
        }
        if (ok && m.shard_n != shard_n) {
            fprintf(stderr, "ipclab: '%s' is shard %u/%u, '%s' of %u shards\n", dirs[i],
                    m.shard_k, m.shard_n, dirs[0], shard_n);
            ok = false;
        }
        if (ok && m.shard_n > 0 && m.shard_n <= sizeof seen && seen[m.shard_k - 1]++) {
            fprintf(stderr, "ipclab: shard %u/%u is given twice ('%s')\n", m.shard_k,
                    m.shard_n, dirs[i]);
            ok = false;
        }
        for (size_t j = 0; ok && j < r.n; j++) {
            for (size_t k = 0; k < all->n && ok; k++)
                if (strcmp(all->names[k], r.names[j]) == 0) {
                    fprintf(stderr, "ipclab: student '%s' is in two directories (%s)\n",
                            r.names[j], dirs[i]);
                    ok = false;
                }
            if (ok && r.reasons[j] == NULL &&
                !gradebook_student_done(dirs[i], r.names[j])) {
                fprintf(stderr, "ipclab: warning: '%s' is unfinished: %s not graded\n",
                        dirs[i], r.names[j]);
                *incomplete = true;
            }
            if (ok && roster_add(all, r.names[j], r.reasons[j]) < 0)
                err_out_of_memory();
        }
        gradebook_free_meta(&m);
        gradebook_free_roster(&r);
        if (!ok)
            return -1;
    }
    for (unsigned k = 0; k < shard_n && k < sizeof seen; k++)
        if (!seen[k]) {
            fprintf(stderr, "ipclab: warning: shard %u/%u is missing\n", k + 1, shard_n);
            *incomplete = true;
        }
    roster_sort(all);
    return meta->lab != NULL && meta->slug != NULL ? 0 : -1;
}

/* cmd_merge - merge shard directories into --out (see usage); returns the exit status. */
int cmd_merge(int argc, char **argv)
{
    const char *out_arg = NULL;
    const struct cli_opt opts[] = {CLI_ROW("out", 'o', CLI_STRING, &out_arg)};
    int parsed = cli_parse(argc, argv, opts, 1, usage);
    if (parsed >= 0)
        return parsed;
    if (out_arg == NULL || optind >= argc) {
        usage(stderr);
        return 2;
    }
    char out[PATH_MAX], path[PATH_MAX];
    if (fs_mkdir_p(out_arg) < 0 || realpath(out_arg, out) == NULL) {
        fprintf(stderr, "ipclab: cannot create '%s': %s\n", out_arg, strerror(errno));
        return 2;
    }
    for (int i = optind; i < argc; i++) {
        char in[PATH_MAX];
        if (realpath(argv[i], in) != NULL && strcmp(in, out) == 0) {
            fprintf(stderr, "ipclab: --out must not be one of the inputs ('%s')\n",
                    argv[i]);
            return 2;
        }
    }
    fs_path(path, sizeof path, "%s/.lock", out);
    int lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
        fprintf(stderr, "ipclab: '%s' is in use (or: %s)\n", out, strerror(errno));
        if (lock_fd >= 0)
            close(lock_fd);
        return 2;
    }
    struct class_meta meta = {0};
    struct roster all = {0};
    bool incomplete = false;
    int rc = 2;
    if (read_inputs(argv + optind, argc - optind, &meta, &all, &incomplete) < 0)
        goto done;
    fs_path(path, sizeof path, "%s/students", out);
    if (fs_mkdir_p(path) < 0) {
        fprintf(stderr, "ipclab: cannot create '%s': %s\n", path, strerror(errno));
        goto done;
    }
    for (int i = optind; i < argc; i++) {
        struct class_meta m;
        struct roster r;
        char err[512];
        if (gradebook_read_meta(argv[i], &m, &r, err, sizeof err) < 0) {
            fprintf(stderr, "ipclab: %s\n", err);
            goto done;
        }
        int failed = 0;
        for (size_t j = 0; j < r.n && !failed; j++)
            if (gradebook_student_done(argv[i], r.names[j]))
                failed = copy_student(argv[i], out, r.names[j]);
        gradebook_free_meta(&m);
        gradebook_free_roster(&r);
        if (failed)
            goto done;
    }
    fs_path(path, sizeof path, "%s/.work", out);
    fs_rm_rf(path);
    struct histogram h;
    char err[512];
    long graded = gradebook_finish(out, &meta, &all, &h, err, sizeof err);
    if (graded < 0) {
        fprintf(stderr, "ipclab: %s\n", err);
        goto done;
    }
    histogram_print(stdout, &h, progress_bar_colour(stdout));
    printf("\nGradebook: %s/gradebook.csv (%ld student%s from %d director%s)\n", out,
           graded, graded == 1 ? "" : "s", argc - optind,
           argc - optind == 1 ? "y" : "ies");
    rc = incomplete ? 1 : 0;
done:
    close(lock_fd);
    gradebook_free_meta(&meta);
    gradebook_free_roster(&all);
    return rc;
}
