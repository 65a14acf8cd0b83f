/* class_fs.h - small file-system helpers for class-scale grading (grade-all, merge). */
#ifndef IPCLAB_CLASS_FS_H
#define IPCLAB_CLASS_FS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * fs_rm_rf - remove path and everything below it, never following symbolic
 * links. A path that does not exist is not an error. Returns 0, or -1 with
 * errno set by the first removal that failed (the rest is still attempted).
 */
int fs_rm_rf(const char *path);

/* fs_mkdir_p - create dir and its missing parents (mode 0755). Returns 0 or -1/errno. */
int fs_mkdir_p(const char *dir);

/*
 * fs_read_text - read a whole regular file into a malloc'd, NUL-terminated
 * buffer (caller frees). Refuses files larger than max bytes (errno EFBIG).
 * Returns NULL with errno set on failure.
 */
char *fs_read_text(const char *path, size_t max);

/*
 * fs_write_atomic - replace path with len bytes of data: written to
 * "path.tmp", then renamed over path, so a reader sees the old file or the
 * whole new one, never a torn one. Returns 0, or -1 with errno set (the
 * temporary file is removed).
 */
int fs_write_atomic(const char *path, const char *data, size_t len);

/* fs_copy_file - copy the regular file from to a new file to (mode 0644). 0 or -1/errno.
 */
int fs_copy_file(const char *from, const char *to);

/*
 * fs_path - snprintf(3) for paths: format into buf (len bytes). Returns 0, or
 * -1 with errno ENAMETOOLONG when the path did not fit (buf is truncated).
 */
int fs_path(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* fs_is_dir - true when path exists and is a directory (following links). */
bool fs_is_dir(const char *path);

/* fs_is_file - true when path exists and is a regular file (following links). */
bool fs_is_file(const char *path);

#endif /* IPCLAB_CLASS_FS_H */
