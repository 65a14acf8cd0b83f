/* fs.h - the file operations the grader needs, each written once. */
#ifndef IPCLAB_FS_H
#define IPCLAB_FS_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

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
 * buffer (caller frees). Refuses files larger than max bytes (errno EFBIG),
 * a symbolic link as the file or its folder (ELOOP, ENOTDIR) and anything
 * but a regular file (EINVAL), without blocking: what the sandbox leaves is
 * hostile input. Returns NULL with errno set on failure.
 */
char *fs_read_text(const char *path, size_t max);

/*
 * fs_read_fd_text - read what an fd holds from offset 0 (a memfd another
 * process wrote: its size is fixed by then) into a malloc'd, NUL-terminated
 * buffer (caller frees). More than max bytes: NULL with errno EFBIG. The
 * fd's own offset is left alone. NULL with errno set on failure.
 */
char *fs_read_fd_text(int fd, size_t max);

/*
 * fs_write_fd_text - replace what an fd holds (a memfd that another process
 * reads with fs_read_fd_text) with len bytes of data: truncated, then written
 * from offset 0, retrying short writes and EINTR. The fd's own offset is left
 * alone. Returns 0, or -1 with errno set.
 */
int fs_write_fd_text(int fd, const char *data, size_t len);

/*
 * fs_fopen_untrusted - fopen(path, "r") with fs_read_text's refusals: for
 * reading a file the sandbox could have replaced line by line (a regular
 * file is read to its end and stops). NULL with errno set on failure.
 */
FILE *fs_fopen_untrusted(const char *path, size_t max);

/*
 * fs_opendir_untrusted - opendir(path), refusing a symbolic link (ENOTDIR or
 * ELOOP): for folders the sandbox could have replaced.
 */
DIR *fs_opendir_untrusted(const char *path);

/*
 * fs_write_atomic - replace path with len bytes of data: written to
 * "path.PID.tmp", then renamed over path, so a reader sees the old file or the
 * whole new one, never a torn one. Returns 0, or -1 with errno set (the
 * temporary file is removed).
 */
int fs_write_atomic(const char *path, const char *data, size_t len);

/* How fs_copy_file copies; NULL: a plain copy. */
struct fs_copy {
    long long max_bytes; /* refuse a larger file (errno EFBIG); 0: any size */
    bool keep_times;     /* give the copy the original's access and modification times */
    int owner;           /* chown the copy to this uid (and gid); -1: leave it ours */
};

/*
 * fs_copy_file - copy the regular file from to the file to (created or
 * truncated, mode 0644), as o says (NULL: plainly). Anything but a regular
 * file is refused (errno EINVAL); a FIFO never blocks the copy. 0 or -1/errno.
 */
int fs_copy_file(const char *from, const char *to, const struct fs_copy *o);

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

/*
 * fs_count_in_file - occurrences of needle in the first cap bytes of path (a
 * file another process writes: read as data, never through a symlink; 0
 * when it cannot be read).
 */
size_t fs_count_in_file(const char *path, const char *needle, size_t cap);

/*
 * fs_first_long_line - the number (from 1) of the first line of the text file
 * path longer than max characters (its newline not counted), with its length
 * in *len; 0 if there is none or the file cannot be read.
 */
int fs_first_long_line(const char *path, size_t max, size_t *len);

#endif /* IPCLAB_FS_H */
