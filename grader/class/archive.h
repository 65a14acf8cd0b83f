/* archive.h - unpack a student's archive (.tar.gz, .tgz, .tar, .zip, ...) safely.
 */
#ifndef IPCLAB_CLASS_ARCHIVE_H
#define IPCLAB_CLASS_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

/* What one archive may hold; anything past these rejects the whole archive. */
struct unpack_limits {
    uint64_t max_bytes; /* total bytes of file data, after decompression */
    size_t max_entries; /* entries of any kind, skipped ones included */
};

/* The defaults grade-all uses: 64 MiB and 10000 entries (a lab is a few KiB). */
extern const struct unpack_limits UNPACK_DEFAULT_LIMITS;

/*
 * archive_suffix_len - if name ends in an archive suffix grade-all reads
 * (.tar.gz .tgz .tar.bz2 .tbz2 .tar.xz .txz .tar .zip, any case), the length
 * of that suffix; else 0. "alice.tar.gz" -> 7, so the student is "alice".
 */
size_t archive_suffix_len(const char *name);

/*
 * archive_unpack - extract the archive at path into the existing directory
 * dest (a path free of symbolic links and "..", such as realpath(3) gives),
 * with libarchive.
 *
 * Only regular files and directories are written (mode 0644/0755, owned by
 * the caller); symbolic and hard links, devices, FIFOs and sockets are
 * skipped, as are macOS "__MACOSX/" and "._*" litter. An absolute path or a
 * ".." component anywhere, more than lim->max_entries entries or more than
 * lim->max_bytes of data reject the archive. Returns the number of files
 * written, or -1 with a one-line reason in err (the caller removes dest:
 * part of the archive may have been written).
 */
long archive_unpack(const char *path, const char *dest, const struct unpack_limits *lim,
                    char *err, size_t errlen);

#endif /* IPCLAB_CLASS_ARCHIVE_H */
