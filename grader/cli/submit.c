/* submit.c - `ipclab submit [NN...]`: a tar.gz of exactly the student files. */
#include "cli/cli.h"
#include "base/fs.h"
#include "engine/provenance.h"
#include "base/term.h"
#include "engine/course.h"
#include "engine/progress_file.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: ipclab submit [-o FILE] [NN...]\n"
    "\n"
    "Writes a .tar.gz holding exactly your student files of labs NN... (default:\n"
    "every lab whose files differ from the skeleton) as labs/NN-x/src/F, plus a\n"
    "MANIFEST with the SHA-256 of each of them and of the lab's provided headers\n"
    "and tests, so the grader can warn when a provided file was edited (it always\n"
    "builds with the course's own). Default FILE: ipclab-submission.tar.gz at the\n"
    "root of your checkout. Hand in that file. An existing FILE is replaced\n"
    "only when it is an archive (an earlier submission).\n"
    "\n"
    "Exit status: 0 when the archive was written, 1 otherwise, 2 on a usage error.\n";

/* Do two files hold the same bytes? (A missing file differs from anything.) */
static bool same_bytes(const char *a, const char *b)
{
    FILE *fa = fopen(a, "re"), *fb = fopen(b, "re");
    bool same = fa != NULL && fb != NULL;
    while (same) {
        int ca = getc(fa), cb = getc(fb);
        if (ca != cb)
            same = false;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

/* Does any student file of m differ from its skeleton? */
static bool lab_changed(const struct manifest *m)
{
    const char *base = getenv("TMPDIR");
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s/ipclab-skel-XXXXXX",
             base != NULL && *base ? base : "/tmp");
    int fd = mkstemp(tmp);
    if (fd < 0)
        return true;
    close(fd);
    bool changed = false;
    for (size_t i = 0; !changed && i < m->nstudent_files; i++) {
        char cur[4400];
        snprintf(cur, sizeof cur, "%s/src/%s", m->dir, m->student_files[i]);
        changed = course_skeleton_to(m->slug, m->student_files[i], tmp) < 0 ||
                  !same_bytes(cur, tmp);
    }
    unlink(tmp);
    return changed;
}

/* Add the file at path to the archive as name; 0 or -1 (printed). */
static int add_file(struct archive *a, const char *path, const char *name)
{
    FILE *f = fopen(path, "rbe");
    struct stat st;
    if (f == NULL || fstat(fileno(f), &st) < 0) {
        fprintf(stderr, "ipclab: cannot read '%s': %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_size(e, st.st_size);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_mtime(e, st.st_mtime, 0);
    int rc = archive_write_header(a, e) == ARCHIVE_OK ? 0 : -1;
    char buf[16384];
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, f)) > 0)
        if (archive_write_data(a, buf, n) != (la_ssize_t)n)
            rc = -1;
    archive_entry_free(e);
    fclose(f);
    if (rc < 0)
        fprintf(stderr, "ipclab: archive: %s\n", archive_error_string(a));
    return rc;
}

/* Append "provided SUM labs/SLUG/SUB/F" for every regular file of lab's SUB dir. */
static void sum_provided(FILE *man, const struct manifest *m, const char *sub)
{
    char d[4300];
    snprintf(d, sizeof d, "%s/%s", m->dir, sub);
    struct dirent **names;
    int n = scandir(d, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        char p[4600], hex[65];
        snprintf(p, sizeof p, "%s/%s", d, names[i]->d_name);
        struct stat st;
        if (names[i]->d_name[0] != '.' && stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
            provenance_sha256(p, hex) == 0)
            fprintf(man, "provided %s labs/%s/%s/%s\n", hex, m->slug, sub,
                    names[i]->d_name);
        free(names[i]);
    }
    if (n >= 0)
        free(names);
}

/*
 * Write MANIFEST into the archive: a header, "student SUM PATH" for each
 * file archived and "provided SUM PATH" for each provided file. 0 or -1.
 */
static int add_manifest(struct archive *a, struct manifest *labs, size_t n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *man = open_memstream(&text, &len);
    if (man == NULL)
        return -1;
    fprintf(man, "# ipclab submission v1: KIND SHA256 PATH\n");
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < labs[i].nstudent_files; k++) {
            char p[4400], hex[65];
            snprintf(p, sizeof p, "%s/src/%s", labs[i].dir, labs[i].student_files[k]);
            if (provenance_sha256(p, hex) == 0)
                fprintf(man, "student %s labs/%s/src/%s\n", hex, labs[i].slug,
                        labs[i].student_files[k]);
        }
        sum_provided(man, &labs[i], "include");
        sum_provided(man, &labs[i], "tests");
    }
    fclose(man);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, PROVENANCE_FILE);
    archive_entry_set_size(e, (la_int64_t)len);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_mtime(e, time(NULL), 0);
    int rc = archive_write_header(a, e) == ARCHIVE_OK &&
                     archive_write_data(a, text, len) == (la_ssize_t)len
                 ? 0
                 : -1;
    archive_entry_free(e);
    free(text);
    return rc;
}

/*
 * may_replace - may the archive go to out? Yes when nothing is there or an
 * earlier archive is (a regular file starting with gzip's magic bytes); any
 * other file (a source file named by mistake, a symlink, a folder) is never
 * replaced: false, after saying why.
 */
static bool may_replace(const char *out)
{
    struct stat st;
    if (lstat(out, &st) < 0)
        return errno == ENOENT;
    unsigned char magic[2] = {0, 0};
    FILE *f = S_ISREG(st.st_mode) ? fopen(out, "rbe") : NULL;
    bool archive =
        f != NULL && fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (f != NULL)
        fclose(f);
    if (!archive)
        fprintf(stderr,
                "ipclab: '%s' exists and is %s: not replaced (name a new file with -o, "
                "or move that one away)\n",
                out,
                S_ISLNK(st.st_mode)   ? "a symbolic link"
                : S_ISDIR(st.st_mode) ? "a folder"
                                      : "not an archive");
    return archive;
}

/* cmd_submit - `ipclab submit [-o FILE] [NN...]`: write the archive; 0 when written. */
int cmd_submit(int argc, char **argv)
{
    if (cli_help(argc, argv, usage) == 0)
        return 0;
    char out[4200];
    snprintf(out, sizeof out, "%s/ipclab-submission.tar.gz", course_root());
    struct manifest *labs = calloc((size_t)argc + 16, sizeof *labs);
    size_t nlabs = 0;
    int status = 2;
    if (labs == NULL)
        return 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            snprintf(out, sizeof out, "%s", argv[++i]);
            continue;
        }
        char dir[4096];
        if (argv[i][0] == '-' || resolve_lab(argv[i], dir, sizeof dir) < 0 ||
            manifest_load(dir, &labs[nlabs]) < 0) {
            fputs(usage, stderr);
            goto done;
        }
        nlabs++;
    }
    if (nlabs == 0) { /* every lab with changes */
        size_t n;
        char **all = course_lab_list(&n);
        for (size_t i = 0; i < n; i++) {
            struct manifest m;
            if (manifest_load(all[i], &m) < 0)
                continue;
            if (lab_changed(&m) && nlabs < (size_t)argc + 16) {
                labs[nlabs++] = m;
            } else
                manifest_free(&m);
        }
        course_free_list(all, n);
        if (nlabs == 0) {
            fprintf(stderr, "ipclab: no lab differs from its skeleton: nothing to submit "
                            "(name labs: `ipclab submit 01`)\n");
            status = 1;
            goto done;
        }
    }
    status = 1;
    if (!may_replace(out))
        goto done;
    /* Made in memory, then put in place whole (fs_write_atomic): an earlier
     * archive stays as it is until the new one is complete. */
    char *bytes = NULL;
    size_t nbytes = 0;
    FILE *mem = open_memstream(&bytes, &nbytes);
    struct archive *a = archive_write_new();
    if (mem == NULL || archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
        archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_open_FILE(a, mem) != ARCHIVE_OK) {
        fprintf(stderr, "ipclab: cannot make the archive: %s\n",
                mem == NULL ? strerror(errno) : archive_error_string(a));
        archive_write_free(a);
        if (mem != NULL)
            fclose(mem);
        free(bytes);
        goto done;
    }
    int rc = add_manifest(a, labs, nlabs);
    for (size_t i = 0; rc == 0 && i < nlabs; i++)
        for (size_t k = 0; rc == 0 && k < labs[i].nstudent_files; k++) {
            char p[4400], name[4400];
            snprintf(p, sizeof p, "%s/src/%s", labs[i].dir, labs[i].student_files[k]);
            snprintf(name, sizeof name, "labs/%s/src/%s", labs[i].slug,
                     labs[i].student_files[k]);
            rc = add_file(a, p, name);
        }
    if (archive_write_close(a) != ARCHIVE_OK) {
        fprintf(stderr, "ipclab: cannot make the archive: %s\n", archive_error_string(a));
        rc = -1;
    }
    archive_write_free(a);
    fclose(mem); /* bytes and nbytes now final */
    if (rc == 0 && fs_write_atomic(out, bytes, nbytes) < 0) {
        fprintf(stderr, "ipclab: cannot write '%s': %s\n", out, strerror(errno));
        rc = -1;
    }
    free(bytes);
    if (rc < 0)
        goto done;
    fprintf(stdout, "wrote %s:\n", out);
    for (size_t i = 0; i < nlabs; i++)
        for (size_t k = 0; k < labs[i].nstudent_files; k++)
            fprintf(stdout, "  labs/%s/src/%s\n", labs[i].slug, labs[i].student_files[k]);
    fprintf(stdout,
            "  MANIFEST (checksums of those and of the provided headers and tests)\n");
    status = 0;
done:
    for (size_t i = 0; i < nlabs; i++)
        manifest_free(&labs[i]);
    free(labs);
    return status;
}
