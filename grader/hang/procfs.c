/* procfs.c - small readers for /proc/PID files: stat, syscall, wchan, fdinfo, maps, mem.
 */
#include "hang/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Build "/proc/PID/NAME" or "/proc/PID/task/TID/NAME" into buf. */
static void task_path(char *buf, size_t len, pid_t pid, pid_t tid, const char *name)
{
    if (tid > 0)
        snprintf(buf, len, "/proc/%d/task/%d/%s", (int)pid, (int)tid, name);
    else
        snprintf(buf, len, "/proc/%d/%s", (int)pid, name);
}

/* The contracts of the procfs_* functions are in procfs.h. */
ssize_t procfs_read(const char *path, char *buf, size_t len)
{
    if (len == 0) {
        errno = EINVAL;
        return -1;
    }
    buf[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got < len - 1) {
        ssize_t n = read(fd, buf + got, len - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            close(fd);
            buf[0] = '\0';
            errno = saved;
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    close(fd);
    return (ssize_t)got;
}

int procfs_read_stat(pid_t pid, pid_t tid, struct procfs_stat *st)
{
    char path[64], buf[1024];
    task_path(path, sizeof path, pid, tid, "stat");
    memset(st, 0, sizeof *st);
    st->state = '?';
    if (procfs_read(path, buf, sizeof buf) < 0)
        return -1;
    /* The command may hold spaces and parentheses: it ends at the last ')'. */
    char *open_paren = strchr(buf, '(');
    char *close_paren = strrchr(buf, ')');
    if (open_paren == NULL || close_paren == NULL || close_paren < open_paren) {
        errno = EINVAL;
        return -1;
    }
    size_t n = (size_t)(close_paren - open_paren - 1);
    if (n >= sizeof st->comm)
        n = sizeof st->comm - 1;
    memcpy(st->comm, open_paren + 1, n);
    st->comm[n] = '\0';
    /* Fields after the command: 3 state, 4 ppid, 6 session, 9 flags, 14 utime,
     * 15 stime, 22 start. */
    char *p = close_paren + 1;
    unsigned long long field[24] = {0};
    char state = '?';
    int i = 3;
    char *save = NULL;
    for (char *tok = strtok_r(p, " \n", &save); tok != NULL && i < 24;
         tok = strtok_r(NULL, " \n", &save), i++) {
        if (i == 3)
            state = tok[0];
        else
            field[i] = strtoull(tok, NULL, 10);
    }
    st->state = state;
    st->ppid = (pid_t)field[4];
    st->sid = (pid_t)field[6];
    st->flags = (unsigned long)field[9];
    st->utime = field[14];
    st->stime = field[15];
    st->start = field[22];
    return 0;
}

int procfs_read_syscall(pid_t pid, pid_t tid, struct procfs_syscall *sc)
{
    char path[64], buf[256];
    task_path(path, sizeof path, pid, tid, "syscall");
    memset(sc, 0, sizeof *sc);
    sc->status = PROCFS_SC_UNKNOWN;
    sc->nr = -1;
    if (procfs_read(path, buf, sizeof buf) <= 0)
        return 0;
    if (strncmp(buf, "running", 7) == 0) {
        sc->status = PROCFS_SC_RUNNING;
        return 0;
    }
    char *end;
    long nr = strtol(buf, &end, 10);
    if (end == buf)
        return 0;
    if (nr < 0) {
        sc->status = PROCFS_SC_USER;
        return 0;
    }
    sc->status = PROCFS_SC_BLOCKED;
    sc->nr = nr;
    char *p = end;
    for (int i = 0; i < 6; i++) {
        sc->args[i] = strtoul(p, &end, 16);
        if (end == p)
            break;
        p = end;
    }
    return 0;
}

int procfs_read_wchan(pid_t pid, pid_t tid, char *buf, size_t len)
{
    char path[64];
    task_path(path, sizeof path, pid, tid, "wchan");
    if (procfs_read(path, buf, len) < 0)
        return -1;
    buf[strcspn(buf, "\n")] = '\0';
    if (strcmp(buf, "0") == 0)
        buf[0] = '\0';
    return 0;
}

int procfs_fd_access(pid_t pid, int fd)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)pid, fd);
    if (procfs_read(path, buf, sizeof buf) < 0)
        return -1;
    const char *flags = strstr(buf, "flags:");
    if (flags == NULL)
        return -1;
    unsigned long value = strtoul(flags + 6, NULL, 8);
    return (int)(value & O_ACCMODE);
}

/* Parse one line of /proc/PID/maps into *map. Returns 0, or -1 if malformed. */
static int parse_map_line(const char *line, struct procfs_map *map)
{
    int path_at = 0;
    memset(map, 0, sizeof *map);
    if (sscanf(line, "%lx-%lx %4s %lx %15s %lu %n", &map->start, &map->end, map->perms,
               &map->offset, map->dev, &map->inode, &path_at) < 6)
        return -1;
    if (path_at > 0) {
        snprintf(map->path, sizeof map->path, "%s", line + path_at);
        map->path[strcspn(map->path, "\n")] = '\0';
    }
    return 0;
}

/* open_maps - /proc/PID/maps for reading, or NULL with errno set. */
static FILE *open_maps(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    return fopen(path, "re");
}

int procfs_find_map(pid_t pid, unsigned long addr, struct procfs_map *map)
{
    FILE *f = open_maps(pid);
    if (f == NULL)
        return -1;
    char line[512];
    int found = -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (parse_map_line(line, map) == 0 && addr >= map->start && addr < map->end) {
            found = 0;
            break;
        }
    }
    fclose(f);
    if (found < 0)
        errno = ENOENT;
    return found;
}

int procfs_maps_inode(pid_t pid, const char *dev, unsigned long inode)
{
    FILE *f = open_maps(pid);
    if (f == NULL)
        return -1;
    char line[512];
    struct procfs_map map;
    int found = 0;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = parse_map_line(line, &map) == 0 && map.inode == inode &&
                strcmp(map.dev, dev) == 0;
    fclose(f);
    return found;
}

int procfs_peek(pid_t pid, unsigned long addr, void *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = pread(fd, buf, len, (off_t)addr);
    int saved = errno;
    close(fd);
    if (n == (ssize_t)len)
        return 0;
    errno = n < 0 ? saved : EIO;
    return -1;
}

int procfs_peek_string(pid_t pid, unsigned long addr, char *buf, size_t len)
{
    if (len == 0)
        return -1;
    buf[0] = '\0';
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    /* A string may end just before an unmapped page: read it piece by piece. */
    size_t got = 0;
    while (got < len - 1) {
        size_t chunk = 64;
        if (chunk > len - 1 - got)
            chunk = len - 1 - got;
        ssize_t n = pread(fd, buf + got, chunk, (off_t)(addr + got));
        if (n <= 0)
            break;
        if (memchr(buf + got, '\0', (size_t)n) != NULL) {
            got += (size_t)n;
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    buf[got < len ? got : len - 1] = '\0';
    return got > 0 ? 0 : -1;
}

int procfs_status_mask(pid_t pid, const char *key, unsigned long long *value)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if (procfs_read(path, buf, sizeof buf) < 0)
        return -1;
    size_t klen = strlen(key);
    for (char *line = buf; line != NULL && *line != '\0';) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            *value = strtoull(line + klen + 1, NULL, 16);
            return 0;
        }
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    errno = ENOENT;
    return -1;
}
