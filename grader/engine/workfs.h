/* workfs.h - the grade's work folder on capped tmpfs mounts, where the grader may. */
#ifndef IPCLAB_WORKFS_H
#define IPCLAB_WORKFS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * The sandbox writes into the work folder (its build, the native pass's
 * files, the stress and trace lanes), which otherwise lies on the host's
 * disk with no bound but the file size limit per file. As root the grader
 * mounts a tmpfs there with a size and an inode count (policy work_mb,
 * work_inodes), and a second tmpfs at WORK/sealed, which only the grader
 * writes (memcheck's logs): a sandbox that fills its own folder cannot stop
 * those logs being written. Both live in a mount namespace of the grader's
 * own (made once per process, private), so they vanish with the grader
 * however it ends; the host's mount table never sees them. Their pages are
 * charged to the memory cgroup of whoever wrote them (memcg.h).
 *
 * Not root, or with --keep-work (a kept folder must outlive the grader),
 * the folder stays on the host's disk and the note says so.
 */
struct workfs {
    bool on;                    /* both tmpfs are mounted */
    char work[PATH_MAX];        /* the work folder */
    char sealed[PATH_MAX];      /* WORK/sealed */
    char note[200];             /* what holds, for the report's isolation line */
    char holder[PATH_MAX + 16]; /* WORK/sealed/scratch: where workfs_scratch mounts */
    char **scratch;             /* the mounts workfs_scratch made (paths, owned) */
    size_t nscratch;
};

/*
 * workfs_mount - mount the capped tmpfs on the empty folder work (mb MiB,
 * inodes files) and the grader's own tmpfs on WORK/sealed (made here).
 * mb <= 0 or keep: none. Returns 0 with w->on, or -1 with w->note saying
 * why not; either way the grade goes on, on the host's disk.
 */
int workfs_mount(struct workfs *w, const char *work, long mb, long inodes, bool keep);

/* Each writable mount of a sandbox that workfs_scratch gives: its size and file count. */
#define WORKFS_SCRATCH_MB     512
#define WORKFS_SCRATCH_INODES 32768

/*
 * workfs_scratch - a fresh tmpfs of WORKFS_SCRATCH_MB MiB and
 * WORKFS_SCRATCH_INODES files (mode 1777) under w->holder, for one writable
 * mount of one sandbox (/tmp, /var/tmp, /dev/shm, a scratch folder), which
 * the sandbox binds in place of bubblewrap's own tmpfs (bubblewrap cannot
 * cap a tmpfs's file count). Every sandbox hides w->holder, so no run sees
 * another's. Its files stay until workfs_unmount. Returns its path (owned
 * by w), or NULL (w off, or it cannot be made: errno) when the caller must
 * fall back to bubblewrap's tmpfs.
 */
const char *workfs_scratch(struct workfs *w);

/*
 * workfs_scratch_release - detach the scratch mounts made since the first
 * `from` (workfs_scratch's count, w->nscratch, read before a run): one more
 * run's /tmp, /dev/shm ... go as soon as its sandbox has ended, so many runs
 * (race stress) do not add up. Safe when off.
 */
void workfs_scratch_release(struct workfs *w, size_t from);

/*
 * workfs_lane - a fresh tmpfs of WORKFS_SCRATCH_MB MiB and
 * WORKFS_SCRATCH_INODES files (mode 0755, programs may run from it) at
 * WORK/sealed/lane-NAME, for the folder of one more run of the tests (a
 * race stress run, a trace): made where no sandbox writes, so tests that
 * filled the work folder cannot keep it from being made. The sandbox sees
 * WORK/sealed read-only: the run gets writable only what its caller binds
 * (sandbox_opts.rw). Writes its path to path. Returns 0, or -1 with errno
 * (w off: ENODEV) when the caller must make the lane in the work folder.
 */
int workfs_lane(struct workfs *w, const char *name, char *path, size_t len);

/* workfs_lane_drop - detach the lane at path (its files go) and remove its mount point.
 */
void workfs_lane_drop(const char *path);

/* workfs_unmount - detach every mount (their files go with them). Safe when off. */
void workfs_unmount(struct workfs *w);

#endif
