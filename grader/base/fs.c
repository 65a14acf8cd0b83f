/* fs.c - the file operations the grader needs, each written once (fs.h). */
#include "base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* First errno seen by rm_one during one fs_rm_rf walk (nftw has no user pointer). */
static int rm_errno;

/* nftw callback: remove one entry, children first (FTW_DEPTH). */
static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int rc = (type == FTW_DP) ? rmdir(path) : unlink(path);
    if (rc < 0 && errno != ENOENT && rm_errno == 0)
        rm_errno = errno;
    return 0; /* keep going: remove as much as possible */
}

int fs_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    rm_errno = 0;
    if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
        return -1;
    if (rm_errno != 0) {
        errno = rm_errno;
        return -1;
    }
    return 0;
}

int fs_mkdir_p(const char *dir)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

/*
 * Open path for reading as hostile input: its folder and the file itself
 * not symbolic links, never blocking on a FIFO's open, a regular file of at
 * most max bytes. Returns the fd (its size in *size), or -1 with errno set.
 */
static int open_untrusted(const char *path, size_t max, size_t *size)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int dfd = AT_FDCWD;
    if (slash != NULL && slash != path) {
        if ((size_t)(slash - path) >= sizeof dir) {
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
            return -1;
    }
    const char *name = slash != NULL ? slash + 1 : path;
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    int saved = errno;
    if (dfd != AT_FDCWD)
        close(dfd);
    errno = saved;
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0)
        saved = errno;
    else if (!S_ISREG(st.st_mode))
        saved = EINVAL;
    else if ((size_t)st.st_size > max)
        saved = EFBIG;
    else {
        *size = (size_t)st.st_size;
        return fd;
    }
    close(fd);
    errno = saved;
    return -1;
}

FILE *fs_fopen_untrusted(const char *path, size_t max)
{
    size_t size;
    int fd = open_untrusted(path, max, &size);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "r");
    if (f == NULL) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return f;
}

DIR *fs_opendir_untrusted(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return d;
}

char *fs_read_text(const char *path, size_t max)
{
    size_t size;
    int fd = open_untrusted(path, max, &size);
    if (fd < 0)
        return NULL;
    char *buf = malloc(size + 1);
    if (buf == NULL)
        goto fail;
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, size - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto fail;
        if (n == 0 || (len += (size_t)n) == size)
            break;
    }
    buf[len] = '\0';
    close(fd);
    return buf;
fail:;
    int saved = errno;
    free(buf);
    close(fd);
    errno = saved;
    return NULL;
}

char *fs_read_fd_text(int fd, size_t max)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return NULL;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        return NULL;
    }
    if ((unsigned long long)st.st_size > max) {
        errno = EFBIG;
        return NULL;
    }
    size_t size = (size_t)st.st_size, len = 0;
    char *buf = malloc(size + 1);
    if (buf == NULL)
        return NULL;
    while (len < size) {
        ssize_t n = pread(fd, buf + len, size - len, (off_t)len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* shorter than it was: what is there */
        len += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

int fs_write_fd_text(int fd, const char *data, size_t len)
{
    if (ftruncate(fd, 0) < 0)
        return -1;
    for (size_t at = 0; at < len;) {
        ssize_t n = pwrite(fd, data + at, len - at, (off_t)at);
        if (n < 0 && errno != EINTR)
            return -1;
        if (n > 0) /* n < 0 here: interrupted before writing, so try again */
            at += (size_t)n;
    }
    return 0;
}

/* write_all - write len bytes to fd, retrying short writes and EINTR. 0 or -1/errno. */
static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno != EINTR)
            return -1;
        if (n > 0) { /* n < 0 here: interrupted before writing, so try again */
            data += n;
            len -= (size_t)n;
        }
    }
    return 0;
}

int fs_write_atomic(const char *path, const char *data, size_t len)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >=
        (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (write_all(fd, data, len) < 0)
        goto fail;
    if (close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) < 0)
        goto fail;
    return 0;
fail:;
    int saved = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = saved;
    return -1;
}

int fs_copy_file(const char *from, const char *to, const struct fs_copy *o)
{
    char buf[65536];
    int out = -1;
    struct stat st;
    int in = open(from, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (in < 0)
        return -1;
    if (fstat(in, &st) < 0)
        goto fail;
    if (!S_ISREG(st.st_mode) ||
        (o != NULL && o->max_bytes > 0 && st.st_size > o->max_bytes)) {
        errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
        goto fail;
    }
    out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0)
        goto fail;
    ssize_t n;
    do { /* to the end of the file (n == 0), reading again after EINTR */
        n = read(in, buf, sizeof buf);
        if (n > 0 && write_all(out, buf, (size_t)n) < 0)
            goto fail;
    } while (n > 0 || (n < 0 && errno == EINTR));
    if (n < 0)
        goto fail;
    if (o != NULL && o->keep_times) {
        struct timespec times[2] = {st.st_atim, st.st_mtim};
        if (futimens(out, times) < 0)
            goto fail;
    }
    if (o != NULL && o->owner >= 0 && fchown(out, (uid_t)o->owner, (gid_t)o->owner) < 0)
        goto fail;
    close(in);
    if (close(out) < 0)
        return -1;
    return 0;
fail:;
    int saved = errno;
    close(in);
    if (out >= 0)
        close(out);
    errno = saved;
    return -1;
}

int fs_path(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

bool fs_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool fs_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

size_t fs_count_in_file(const char *path, const char *needle, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return 0;
    char *buf = malloc(cap + 1);
    ssize_t n = buf != NULL ? read(fd, buf, cap) : -1;
    close(fd);
    size_t count = 0;
    if (n > 0) {
        buf[n] = '\0';
        for (const char *p = buf; (p = memmem(p, (size_t)n - (size_t)(p - buf), needle,
                                              strlen(needle))) != NULL;
             p += strlen(needle))
            count++;
    }
    free(buf);
    return count;
}

int fs_first_long_line(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    int line = 1, found = 0;
    size_t n = 0;
    for (int c; found == 0 && (c = getc(f)) != EOF;) {
        if (c != '\n') {
            n++;
            continue;
        }
        if (n > max)
            found = line;
        else
            line++, n = 0;
    }
    if (found == 0 && n > max)
        found = line;
    fclose(f);
    if (found != 0)
        *len = n;
    return found;
}
