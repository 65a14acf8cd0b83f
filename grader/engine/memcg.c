/* memcg.c - a memory cgroup around one grade's sandboxed processes (memcg.h). */
#include "engine/memcg.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* Write text to DIR/name; 0 or -1 with errno. */
static int put(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "we");
    if (f == NULL)
        return -1;
    int rc = fputs(text, f) < 0 ? -1 : 0;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

/* The first line of DIR/name into buf (at most len bytes); 0 or -1. */
static int get(const char *dir, const char *name, char *buf, size_t len)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    int rc = fgets(buf, (int)len, f) != NULL ? 0 : -1;
    fclose(f);
    return rc;
}

/*
 * The folder of this process's memory cgroup, and its version: the v1
 * hierarchy with the memory controller, else the v2 one (where the memory
 * controller is delegated to its children). 0, or -1.
 */
static int own_cgroup(char *dir, size_t len, int *version)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (f == NULL)
        return -1;
    char line[PATH_MAX + 64], v2[PATH_MAX] = "";
    int rc = -1;
    while (rc < 0 && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        const char *controllers = c1 + 1, *path = c2 + 1;
        bool memory = false;
        for (const char *w = controllers; *w != '\0';) {
            size_t n = strcspn(w, ",");
            memory |= n == 6 && strncmp(w, "memory", 6) == 0;
            w += n + (w[n] == ',');
        }
        struct statfs sf;
        if (memory && statfs("/sys/fs/cgroup/memory", &sf) == 0) {
            snprintf(dir, len, "/sys/fs/cgroup/memory%s", path);
            *version = 1;
            rc = 0;
        } else if (*controllers == '\0' && strcmp(line, "0") == 0) {
            snprintf(v2, sizeof v2, "%s", path);
        }
    }
    fclose(f);
    struct statfs sf;
    if (rc < 0 && v2[0] != '\0' && statfs("/sys/fs/cgroup", &sf) == 0 &&
        sf.f_type == CGROUP2_SUPER_MAGIC) {
        snprintf(dir, len, "/sys/fs/cgroup%s", strcmp(v2, "/") == 0 ? "" : v2);
        char ctl[256];
        if (get(dir, "cgroup.subtree_control", ctl, sizeof ctl) == 0 &&
            strstr(ctl, "memory") != NULL) {
            *version = 2;
            rc = 0;
        }
    }
    return rc;
}

int memcg_create(struct memcg *m, long mb)
{
    memset(m, 0, sizeof *m);
    m->mb = mb;
    if (mb <= 0) {
        snprintf(m->note, sizeof m->note, "no memory bound (policy: memory_mb = 0)");
        return -1;
    }
    char parent[PATH_MAX - 64];
    if (geteuid() != 0 || own_cgroup(parent, sizeof parent, &m->version) < 0) {
        snprintf(m->note, sizeof m->note,
                 "no memory bound for the whole grade (%s): tmpfs sizes and per-process "
                 "limits only",
                 geteuid() != 0 ? "not root" : "no memory cgroup this grader may make");
        return -1;
    }
    static unsigned serial;
    snprintf(m->dir, sizeof m->dir, "%s/ipclab-%d-%u", parent, (int)getpid(), serial++);
    snprintf(m->procs, sizeof m->procs, "%.*s/cgroup.procs", PATH_MAX - 32, m->dir);
    if (mkdir(m->dir, 0755) < 0) {
        snprintf(m->note, sizeof m->note,
                 "no memory bound for the whole grade (cannot make a cgroup: %s)",
                 strerror(errno));
        return -1;
    }
    char bytes[32];
    snprintf(bytes, sizeof bytes, "%lld\n", (long long)mb << 20);
    int rc = m->version == 1 ? put(m->dir, "memory.limit_in_bytes", bytes)
                             : put(m->dir, "memory.max", bytes);
    /* No swap beyond the bound (v1: memory+swap; absent without swap accounting). */
    if (rc == 0 && m->version == 1)
        (void)put(m->dir, "memory.memsw.limit_in_bytes", bytes);
    else if (rc == 0)
        (void)put(m->dir, "memory.swap.max", "0\n");
    if (rc < 0) {
        snprintf(m->note, sizeof m->note,
                 "no memory bound for the whole grade (cannot set it: %s)",
                 strerror(errno));
        rmdir(m->dir);
        return -1;
    }
    m->on = true;
    snprintf(m->note, sizeof m->note,
             "memory of the whole grade bounded to %ld MiB (cgroup v%d)", mb, m->version);
    return 0;
}

bool memcg_hit(const struct memcg *m)
{
    if (!m->on)
        return false;
    char line[128];
    /* v1: a charge refused, an OOM kill, or the peak at the bound (the kernel may
     * reclaim or kill without counting a failure); v2: its "max" and "oom_kill"
     * events. */
    if (m->version == 1 &&
        ((get(m->dir, "memory.failcnt", line, sizeof line) == 0 && atoll(line) > 0) ||
         (get(m->dir, "memory.max_usage_in_bytes", line, sizeof line) == 0 &&
          atoll(line) >= (long long)m->mb << 20)))
        return true;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", m->dir,
             m->version == 1 ? "memory.oom_control" : "memory.events");
    FILE *f = fopen(path, "re");
    bool hit = false;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (((m->version == 2 && strncmp(line, "max ", 4) == 0) ||
             strncmp(line, "oom_kill ", 9) == 0) &&
            atoll(strchr(line, ' ') + 1) > 0)
            hit = true;
    if (f != NULL)
        fclose(f);
    return hit;
}

void memcg_destroy(struct memcg *m)
{
    if (!m->on)
        return;
    struct timespec nap = {0, 20 * 1000 * 1000};
    for (int round = 0; round < 100; round++) { /* 2 s */
        if (rmdir(m->dir) == 0 || errno == ENOENT) {
            m->on = false;
            return;
        }
        FILE *f = fopen(m->procs, "re");
        int pid;
        while (f != NULL && fscanf(f, "%d", &pid) == 1)
            if (pid > 0)
                kill(pid, SIGKILL);
        if (f != NULL)
            fclose(f);
        nanosleep(&nap, NULL);
    }
    fprintf(stderr, "ipclab: cannot remove the grade's cgroup %s: %s\n", m->dir,
            strerror(errno));
}
