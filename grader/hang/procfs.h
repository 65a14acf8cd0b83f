/* procfs.h - small, allocation-free readers for /proc/PID files (used by hang.c). */
#ifndef IPCLAB_PROCFS_H
#define IPCLAB_PROCFS_H

#include <stddef.h>
#include <sys/types.h>

/* What /proc/PID/stat says about a process or thread. */
struct procfs_stat {
    char comm[32];            /* command name, without the parentheses */
    char state;               /* R, S, D, T, t, Z, X, I ('?' if unknown) */
    pid_t ppid;               /* parent pid */
    pid_t sid;                /* session id */
    unsigned long flags;      /* kernel PF_* flags (0x4 PF_EXITING: in exit) */
    unsigned long long utime; /* user CPU time, in clock ticks */
    unsigned long long stime; /* system CPU time, in clock ticks */
    unsigned long long start; /* start time after boot, in clock ticks */
};

/* What /proc/PID/syscall says: the system call a task sleeps in. */
struct procfs_syscall {
    int status;            /* PROCFS_SC_* below */
    long nr;               /* system call number when status is BLOCKED */
    unsigned long args[6]; /* its raw arguments */
};

enum {
    PROCFS_SC_UNKNOWN = 0, /* file unreadable (permission) or gone */
    PROCFS_SC_BLOCKED = 1, /* in a system call: nr and args are valid */
    PROCFS_SC_RUNNING = 2, /* "running": on a CPU, in user space */
    PROCFS_SC_USER = 3,    /* "-1 ...": stopped outside any system call */
};

/* A mapping from /proc/PID/maps. */
struct procfs_map {
    unsigned long start, end; /* [start, end) */
    unsigned long offset;     /* file offset of start */
    char perms[5];            /* "rw-s": the last is 's' shared or 'p' private */
    char dev[16];             /* "00:1a" */
    unsigned long inode;      /* 0 for anonymous memory */
    char path[256];           /* file, "[heap]", "/dev/zero (deleted)", or "" */
};

/*
 * procfs_read - read at most len-1 bytes of the file at path into buf and
 * NUL-terminate it. Returns the number of bytes read, or -1 with errno set
 * (buf is then the empty string).
 */
ssize_t procfs_read(const char *path, char *buf, size_t len);

/*
 * procfs_read_stat - parse /proc/PID/stat, or /proc/PID/task/TID/stat when
 * tid > 0. Returns 0, or -1 with errno set (ENOENT: the process is gone).
 */
int procfs_read_stat(pid_t pid, pid_t tid, struct procfs_stat *st);

/*
 * procfs_read_syscall - parse /proc/PID/syscall (or task/TID/syscall when
 * tid > 0). Returns 0 with *sc filled in; sc->status is PROCFS_SC_UNKNOWN
 * when the file is unreadable, which needs ptrace-read permission.
 */
int procfs_read_syscall(pid_t pid, pid_t tid, struct procfs_syscall *sc);

/*
 * procfs_read_wchan - the kernel function a task sleeps in ("anon_pipe_read",
 * "wait_for_partner", ...) into buf; "" when it runs or is unknown.
 * Returns 0, or -1 with errno set.
 */
int procfs_read_wchan(pid_t pid, pid_t tid, char *buf, size_t len);

/*
 * procfs_fd_access - the access mode an fd was opened with (O_RDONLY,
 * O_WRONLY or O_RDWR), from the "flags:" line of /proc/PID/fdinfo/FD.
 * Returns -1 if it cannot be read.
 */
int procfs_fd_access(pid_t pid, int fd);

/*
 * procfs_find_map - find the mapping of pid that contains addr. Returns 0
 * and fills *map, or -1 (ENOENT: no mapping holds addr; other errno: maps
 * unreadable).
 */
int procfs_find_map(pid_t pid, unsigned long addr, struct procfs_map *map);

/*
 * procfs_maps_inode - does pid map the file (dev, inode) (as written in
 * /proc/PID/maps) anywhere? Returns 1, 0, or -1 if maps is unreadable.
 */
int procfs_maps_inode(pid_t pid, const char *dev, unsigned long inode);

/*
 * procfs_peek - copy len bytes at addr in pid's memory into buf through
 * /proc/PID/mem (needs the same permission as /proc/PID/syscall; the
 * process is neither stopped nor changed). Returns 0, or -1 with errno set.
 */
int procfs_peek(pid_t pid, unsigned long addr, void *buf, size_t len);

/*
 * procfs_peek_string - like procfs_peek for a NUL-terminated string of at
 * most len-1 bytes; buf is always terminated. Returns 0, or -1.
 */
int procfs_peek_string(pid_t pid, unsigned long addr, char *buf, size_t len);

/*
 * procfs_status_mask - the hexadecimal value of a "Key:" line of
 * /proc/PID/status such as "SigCgt". Returns 0 and sets *value, or -1.
 */
int procfs_status_mask(pid_t pid, const char *key, unsigned long long *value);

#endif /* IPCLAB_PROCFS_H */
