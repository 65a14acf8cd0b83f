/* tmpdirs.c - the tests' private folders under $TMPDIR (see tmpdirs.h). */
#include "tmpdirs.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RUN_ENV     "IPCLAB_RUN"
#define RUN_TAG_MAX 24 /* "PID-hhhh" with room to spare */

static bool began;                /* this process began a run */
static char run_tag[RUN_TAG_MAX]; /* its tag */
static char run_base[256];        /* the $TMPDIR its folders are made in */

/* The folder base of this process: $TMPDIR, or /tmp when it is unset or empty. */
static const char *base_dir(void)
{
    const char *base = getenv("TMPDIR");
    return base != NULL && base[0] != '\0' ? base : "/tmp";
}

/* Is tag one a run could have made: 1 to RUN_TAG_MAX-1 of [0-9a-f-]? A test
 * can set any $IPCLAB_RUN; only a tag of this shape goes into a path. */
static bool valid_tag(const char *tag)
{
    size_t n = strlen(tag);
    return n > 0 && n < RUN_TAG_MAX && strspn(tag, "0123456789abcdef-") == n;
}

void tmpdirs_begin_run(void)
{
    unsigned short salt;
    if (getrandom(&salt, sizeof salt, GRND_NONBLOCK) != (ssize_t)sizeof salt)
        salt = (unsigned short)(time(NULL) ^ getpid());
    snprintf(run_tag, sizeof run_tag, "%ld-%04x", (long)getpid(), salt);
    snprintf(run_base, sizeof run_base, "%s", base_dir());
    setenv(RUN_ENV, run_tag, 1);
    began = true;
}

void tmpdirs_end_run(void)
{
    if (!began)
        return;
    char prefix[RUN_TAG_MAX + 16];
    snprintf(prefix, sizeof prefix, "ipclab-%s-", run_tag);
    DIR *dir = opendir(run_base);
    if (dir == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        char path[512];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", run_base, e->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid())
            tmpdirs_remove(path);
    }
    closedir(dir);
}

bool tmpdirs_make(char *buf, size_t len)
{
    const char *tag = getenv(RUN_ENV);
    int n = tag != NULL && valid_tag(tag)
                ? snprintf(buf, len, "%s/ipclab-%s-%ld-XXXXXX", base_dir(), tag,
                           (long)getpid())
                : snprintf(buf, len, "%s/ipclab-%ld-XXXXXX", base_dir(), (long)getpid());
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return false;
    }
    return mkdtemp(buf) != NULL;
}

/* nftw callback: remove one entry (children before parents). */
static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void tmpdirs_remove(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}
