/* archive.c - unpack a student's archive (.tar.gz, .tgz, .tar, .zip, ...) safely.
 */
#include "class/archive.h"
#include "base/err.h"

#include <archive.h>
#include <archive_entry.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const struct unpack_limits UNPACK_DEFAULT_LIMITS = {64u << 20, 10000};

size_t archive_suffix_len(const char *name)
{
    static const char *const suffixes[] = {".tar.gz", ".tgz", ".tar.bz2", ".tbz2",
                                           ".tar.xz", ".txz", ".tar",     ".zip"};
    size_t len = strlen(name);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t n = strlen(suffixes[i]);
        if (len > n && strcasecmp(name + len - n, suffixes[i]) == 0)
            return n;
    }
    return 0;
}

/* unsafe_path - true when name is absolute or has a ".." component. */
static bool unsafe_path(const char *name)
{
    if (name[0] == '/')
        return true;
    for (const char *p = name; *p != '\0';) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return true;
        p += n;
        p += (*p == '/');
    }
    return false;
}

/* litter - true for the metadata macOS adds to archives ("__MACOSX/", "._x"). */
static bool litter(const char *name)
{
    if (strncmp(name, "__MACOSX/", 9) == 0 || strcmp(name, "__MACOSX") == 0)
        return true;
    const char *base = strrchr(name, '/');
    base = base != NULL ? base + 1 : name;
    return strncmp(base, "._", 2) == 0;
}

/*
 * copy_data - stream the current entry's data from in to out, adding to
 * *total and failing once it passes max (a small archive can expand to
 * gigabytes). Returns 0, or -1 with err set.
 */
static int copy_data(struct archive *in, struct archive *out, uint64_t *total,
                     uint64_t max, char *err, size_t errlen)
{
    for (;;) {
        const void *buf;
        size_t size;
        la_int64_t offset;
        int r = archive_read_data_block(in, &buf, &size, &offset);
        if (r == ARCHIVE_EOF)
            return 0;
        if (r < ARCHIVE_WARN) {
            err_say(err, errlen, "cannot read: %s", archive_error_string(in));
            return -1;
        }
        *total += size;
        if (*total > max) {
            err_say(err, errlen, "more than %llu bytes of data", (unsigned long long)max);
            return -1;
        }
        if (archive_write_data_block(out, buf, size, offset) < ARCHIVE_WARN) {
            err_say(err, errlen, "cannot write: %s", archive_error_string(out));
            return -1;
        }
    }
}

long archive_unpack(const char *path, const char *dest, const struct unpack_limits *lim,
                    char *err, size_t errlen)
{
    long files = -1;
    struct archive *in = archive_read_new();
    struct archive *out = archive_write_disk_new();
    if (in == NULL || out == NULL) {
        err_say(err, errlen, "out of memory");
        goto done;
    }
    archive_read_support_format_tar(in);
    archive_read_support_format_gnutar(in);
    archive_read_support_format_zip(in);
    archive_read_support_filter_gzip(in);
    archive_read_support_filter_bzip2(in);
    archive_read_support_filter_xz(in);
    /*
     * Our own checks come first; these are libarchive's second line of
     * defence. (SECURE_NOABSOLUTEPATHS cannot be used: we prefix dest.)
     */
    archive_write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                            ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                            ARCHIVE_EXTRACT_NO_OVERWRITE);
    if (archive_read_open_filename(in, path, 16384) != ARCHIVE_OK) {
        err_say(err, errlen, "cannot open: %s", archive_error_string(in));
        goto done;
    }
    uint64_t total = 0;
    size_t entries = 0;
    long written = 0;
    struct archive_entry *e;
    int r;
    while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        if (++entries > lim->max_entries) {
            err_say(err, errlen, "more than %zu entries", lim->max_entries);
            goto done;
        }
        const char *name = archive_entry_pathname(e);
        if (name == NULL || name[0] == '\0') {
            err_say(err, errlen, "an entry has no usable name");
            goto done;
        }
        if (unsafe_path(name)) {
            err_say(err, errlen, "unsafe path '%s' (absolute or with '..')", name);
            goto done;
        }
        mode_t type = archive_entry_filetype(e);
        bool dir = (type == AE_IFDIR);
        if ((!dir && type != AE_IFREG) || archive_entry_hardlink(e) != NULL ||
            litter(name))
            continue; /* links, devices, FIFOs, sockets, macOS litter */
        char full[PATH_MAX];
        if (snprintf(full, sizeof full, "%s/%s", dest, name) >= (int)sizeof full) {
            err_say(err, errlen, "path too long: '%s'", name);
            goto done;
        }
        archive_entry_set_pathname(e, full);
        archive_entry_set_perm(e, dir || (archive_entry_perm(e) & 0111) ? 0755 : 0644);
        if (archive_write_header(out, e) < ARCHIVE_WARN) {
            err_say(err, errlen, "cannot write '%s': %s", name,
                    archive_error_string(out));
            goto done;
        }
        if (!dir && copy_data(in, out, &total, lim->max_bytes, err, errlen) < 0)
            goto done;
        if (archive_write_finish_entry(out) < ARCHIVE_WARN) {
            err_say(err, errlen, "cannot write '%s': %s", name,
                    archive_error_string(out));
            goto done;
        }
        written += !dir;
    }
    if (r != ARCHIVE_EOF) {
        err_say(err, errlen, "not a readable archive: %s", archive_error_string(in));
        goto done;
    }
    files = written;
done:
    if (in != NULL)
        archive_read_free(in);
    if (out != NULL)
        archive_write_free(out);
    return files;
}
