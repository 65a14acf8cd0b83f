/* workfs.c - the grade's work folder on capped tmpfs mounts (workfs.h). */
#include "engine/workfs.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* WORK/sealed holds the memcheck logs of a grade's runs, 64 MiB each at most
 * (vgsink.c): room for 16. */
#define SEALED_OPTS "size=1088m,nr_inodes=70000,mode=0755"

/*
 * Move this process into a mount namespace of its own, once, with nothing
 * propagating back to the host: what it mounts later is seen only by it and
 * its children, and goes when the last of them ends. 0 or -1 (errno).
 * unshare(CLONE_NEWNS) wants a process with one thread: call it early.
 */
static int own_mount_namespace(void)
{
    static bool done;
    if (done)
        return 0;
    if (unshare(CLONE_NEWNS) < 0)
        return -1;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return -1;
    done = true;
    return 0;
}

int workfs_mount(struct workfs *w, const char *work, long mb, long inodes, bool keep)
{
    *w = (struct workfs){.on = false};
    snprintf(w->work, sizeof w->work, "%s", work);
    snprintf(w->sealed, sizeof w->sealed, "%s/sealed", work);
    if (mb <= 0 || keep) {
        snprintf(w->note, sizeof w->note, "work folder on the host's disk%s",
                 keep ? " (kept: --keep-work)" : " (policy work_mb = 0)");
        return -1;
    }
    if (geteuid() != 0) {
        snprintf(w->note, sizeof w->note,
                 "work folder on the host's disk, not capped (the grader is not root)");
        return -1;
    }
    char opts[128];
    snprintf(opts, sizeof opts, "size=%ldm,nr_inodes=%ld,mode=0755", mb, inodes);
    if (own_mount_namespace() < 0 ||
        mount("ipclab-work", work, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
        goto fail;
    if (mkdir(w->sealed, 0755) < 0 ||
        mount("ipclab-sealed", w->sealed, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              SEALED_OPTS) < 0) {
        int e = errno;
        umount2(work, MNT_DETACH);
        errno = e;
        goto fail;
    }
    snprintf(w->holder, sizeof w->holder, "%s/scratch", w->sealed);
    if (mkdir(w->holder, 0755) < 0) { /* bubblewrap, unprivileged, reads it */
        int e = errno;
        umount2(w->sealed, MNT_DETACH);
        umount2(work, MNT_DETACH);
        errno = e;
        goto fail;
    }
    w->on = true;
    snprintf(w->note, sizeof w->note,
             "work folder a tmpfs of %ld MiB and %ld files; /tmp, /var/tmp and /dev/shm "
             "of %d MiB and %d files each",
             mb, inodes, WORKFS_SCRATCH_MB, WORKFS_SCRATCH_INODES);
    return 0;
fail:
    snprintf(w->note, sizeof w->note,
             "work folder on the host's disk, not capped (cannot mount a tmpfs: %s)",
             strerror(errno));
    return -1;
}

/*
 * Make the folder path and mount on it a fresh tmpfs of WORKFS_SCRATCH_MB MiB
 * and WORKFS_SCRATCH_INODES files, of root mode mode, named source in the
 * mount table. 0, or -1 with errno (the folder removed again).
 */
static int mount_capped(const char *path, const char *source, int mode)
{
    char opts[96];
    snprintf(opts, sizeof opts, "size=%dm,nr_inodes=%d,mode=%04o", WORKFS_SCRATCH_MB,
             WORKFS_SCRATCH_INODES, (unsigned)mode);
    if (mkdir(path, 0755) < 0 ||
        mount(source, path, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) {
        int e = errno;
        rmdir(path);
        errno = e;
        return -1;
    }
    return 0;
}

const char *workfs_scratch(struct workfs *w)
{
    if (w == NULL || !w->on) {
        errno = ENODEV;
        return NULL;
    }
    char **more = realloc(w->scratch, (w->nscratch + 1) * sizeof *more);
    if (more == NULL)
        return NULL;
    w->scratch = more;
    char *path = NULL;
    if (asprintf(&path, "%s/%zu", w->holder, w->nscratch) < 0)
        return NULL;
    if (mount_capped(path, "ipclab-scratch", 01777) < 0) {
        free(path);
        return NULL;
    }
    w->scratch[w->nscratch++] = path;
    return path;
}

void workfs_scratch_release(struct workfs *w, size_t from)
{
    while (w->nscratch > from) {
        char *path = w->scratch[--w->nscratch];
        umount2(path, MNT_DETACH);
        rmdir(path);
        free(path);
    }
}

int workfs_lane(struct workfs *w, const char *name, char *path, size_t len)
{
    if (w == NULL || !w->on) {
        errno = ENODEV;
        return -1;
    }
    if ((size_t)snprintf(path, len, "%s/lane-%s", w->sealed, name) >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    workfs_lane_drop(path); /* a lane an interrupted run left */
    return mount_capped(path, "ipclab-lane", 0755);
}

void workfs_lane_drop(const char *path)
{
    umount2(path, MNT_DETACH);
    rmdir(path);
}

void workfs_unmount(struct workfs *w)
{
    for (size_t i = 0; i < w->nscratch; i++) {
        umount2(w->scratch[i], MNT_DETACH);
        free(w->scratch[i]);
    }
    free(w->scratch);
    w->scratch = NULL;
    w->nscratch = 0;
    if (!w->on)
        return;
    umount2(w->sealed, MNT_DETACH);
    umount2(w->work, MNT_DETACH);
    w->on = false;
}
