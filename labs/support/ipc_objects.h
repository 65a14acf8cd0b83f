/* ipc_objects.h - where Linux shows the IPC objects a process can see, walked once. */
#ifndef IPCLAB_IPC_OBJECTS_H
#define IPCLAB_IPC_OBJECTS_H

/*
 * Two readers need this walk: the tests' probe (probe.c: what a test leaves
 * behind) and the grader (engine/check.c: what a run without namespaces
 * leaves on the machine). They filter and word the objects differently, so
 * the walk hands each object to a callback. Header-only (static inline), so
 * the grader takes it without linking any of the tests' support code; it
 * includes it as <ipc_objects.h>, like a library's header.
 */

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/*
 * One visible IPC object. kind is "sysv-msg", "sysv-sem", "sysv-shm",
 * "posix-shm", "posix-sem" or "posix-mq". A SysV object has its key and id
 * (name ""); a POSIX one its name as given to shm_open, sem_open or mq_open
 * ("/ipclab-1-2-x": a semaphore's without the "sem." of its file), key and
 * id 0.
 */
struct ipc_object {
    const char *kind;
    long long key;
    int id;
    char name[256];
};

/*
 * ipc_objects_each - call fn(object, ctx) for every IPC object this process
 * can see now: the SysV objects /proc/sysvipc lists, then the entries of
 * /dev/shm and /dev/mqueue (names starting with "." are not objects). A place
 * that cannot be read (not mounted, no /proc) is skipped.
 */
static inline void
ipc_objects_each(void (*fn)(const struct ipc_object *object, void *ctx), void *ctx)
{
    static const char *const sysv[][2] = {
        {"msg", "sysv-msg"}, {"sem", "sysv-sem"}, {"shm", "sysv-shm"}};
    for (size_t i = 0; i < sizeof sysv / sizeof sysv[0]; i++) {
        char path[64], line[512];
        snprintf(path, sizeof path, "/proc/sysvipc/%s", sysv[i][0]);
        FILE *f = fopen(path, "re");
        if (f == NULL)
            continue;
        if (fgets(line, sizeof line, f) != NULL) /* the header */
            while (fgets(line, sizeof line, f) != NULL) {
                struct ipc_object o = {.kind = sysv[i][1]};
                if (sscanf(line, "%lld %d", &o.key, &o.id) == 2)
                    fn(&o, ctx);
            }
        fclose(f);
    }
    static const char *const dirs[] = {"/dev/shm", "/dev/mqueue"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        DIR *d = opendir(dirs[i]);
        if (d == NULL)
            continue;
        const struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            struct ipc_object o = {.kind = i == 0 ? "posix-shm" : "posix-mq"};
            const char *name = e->d_name;
            if (i == 0 && strncmp(name, "sem.", 4) == 0) { /* sem_open's file */
                o.kind = "posix-sem";
                name += 4;
            }
            snprintf(o.name, sizeof o.name, "/%.250s", name);
            fn(&o, ctx);
        }
        closedir(d);
    }
}

#endif /* IPCLAB_IPC_OBJECTS_H */
