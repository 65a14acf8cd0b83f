/* cleanup.c - after a run without a sandbox: the processes and IPC objects it left,
 * removed. */
#include "engine/cleanup.h"
#include "engine/pass_common.h"

#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

/* True if /proc/PID/environ contains needle (an exact "NAME=value" entry). */
static bool environ_has(const char *pid, const char *needle)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%.20s/environ", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    static char buf[1 << 16];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    size_t want = strlen(needle);
    for (ssize_t i = 0; i < n;) {
        if ((size_t)(n - i) >= want && memcmp(buf + i, needle, want + 1) == 0)
            return true;
        i += (ssize_t)strlen(buf + i) + 1;
    }
    return false;
}

/*
 * Remove one IPC object the probe reported ("sysv-shm", "key=...,id=N"...).
 * Returns what it was ("SysV semaphore set id 5"; static), or NULL when it
 * was gone already.
 */
static const char *remove_ipc(const char *kind, const char *name)
{
    static const char *const labels[][2] = {{"sysv-msg", "SysV message queue id"},
                                            {"sysv-shm", "SysV shared memory segment id"},
                                            {"sysv-sem", "SysV semaphore set id"},
                                            {"posix-shm", "POSIX shared memory"},
                                            {"posix-mq", "POSIX message queue"},
                                            {"posix-sem", "POSIX named semaphore"}};
    static char what[320];
    const char *id = strstr(name, "id=");
    int num = id ? atoi(id + 3) : -1, rc = -1;
    bool sysv = strncmp(kind, "sysv-", 5) == 0;
    if (strcmp(kind, "sysv-msg") == 0 && num >= 0)
        rc = msgctl(num, IPC_RMID, NULL);
    else if (strcmp(kind, "sysv-shm") == 0 && num >= 0)
        rc = shmctl(num, IPC_RMID, NULL);
    else if (strcmp(kind, "sysv-sem") == 0 && num >= 0)
        rc = semctl(num, 0, IPC_RMID);
    else if (strcmp(kind, "posix-shm") == 0)
        rc = shm_unlink(name);
    else if (strcmp(kind, "posix-mq") == 0)
        rc = mq_unlink(name);
    else if (strcmp(kind, "posix-sem") == 0) {
        char path[512];
        snprintf(path, sizeof path, "/dev/shm/sem.%s", name + (name[0] == '/'));
        rc = unlink(path);
    }
    if (rc < 0)
        return NULL;
    const char *label = kind;
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (strcmp(kind, labels[i][0]) == 0)
            label = labels[i][1];
    if (sysv)
        snprintf(what, sizeof what, "%s %d", label, num);
    else
        snprintf(what, sizeof what, "%s %.256s", label, name);
    return what;
}

/* cleaned_add - append one thing pass_cleanup_host did to g->cleaned. */
static void cleaned_add(struct grade *g, const char *what)
{
    char *next =
        xasprintf("%s%s%s", g->cleaned ? g->cleaned : "", g->cleaned ? "; " : "", what);
    free(g->cleaned);
    g->cleaned = next;
}

void pass_cleanup_host(struct grade *g)
{
    if (g->sb.on)
        return;
    char needle[128];
    snprintf(needle, sizeof needle, "IPCLAB_GRADE_ID=%s", pass_grade_id());
    size_t killed = 0;
    /* Twice: a process may fork while the first sweep runs. */
    for (int round = 0; round < 2; round++) {
        DIR *d = opendir("/proc");
        if (d == NULL)
            return;
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
                atol(e->d_name) != (long)getpid() && environ_has(e->d_name, needle) &&
                kill((pid_t)atol(e->d_name), SIGKILL) == 0)
                killed++;
        closedir(d);
    }
    if (killed > 0) {
        char what[64];
        snprintf(what, sizeof what, "%zu process%s still running killed", killed,
                 killed == 1 ? "" : "es");
        cleaned_add(g, what);
    }
    for (size_t i = 0; g->tests != NULL && i < g->m.ntests; i++) {
        size_t k;
        json_t *o;
        json_array_foreach(g->tests[i].ipc, k, o)
        {
            const char *kind = json_string_value(json_object_get(o, "kind"));
            const char *name = json_string_value(json_object_get(o, "name"));
            const char *what = kind != NULL && name != NULL && ipc_owned_by_us(kind, name)
                                   ? remove_ipc(kind, name)
                                   : NULL;
            if (what != NULL)
                cleaned_add(g, what);
        }
    }
}
