/* class_lock.c - a fair readers-writer lock between grades, made of two flock(2)s. */
#include "engine/class_lock.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

/* open_lock - open (creating) path for flock; -1 on failure. */
static int open_lock(const char *path)
{
    return open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
}

int class_lock(enum class_lock_mode mode)
{
    const char *path = getenv(CLASS_LOCK_ENV);
    if (path == NULL || path[0] == '\0')
        return -1;
    char gate_path[4200];
    snprintf(gate_path, sizeof gate_path, "%s.turnstile", path);
    int gate = open_lock(gate_path), fd = open_lock(path);
    if (gate < 0 || fd < 0)
        goto fail;
    /* Through the turnstile: a waiting "alone" request holds it, so later
     * "shared" ones queue behind it instead of overtaking it. A signal
     * (EINTR) gives up: the grade is being stopped anyway. */
    if (flock(gate, LOCK_EX) < 0)
        goto fail;
    if (flock(fd, mode == CLASS_LOCK_ALONE ? LOCK_EX : LOCK_SH) < 0)
        goto fail;
    close(gate); /* releases the turnstile */
    return fd;
fail:
    if (gate >= 0)
        close(gate);
    if (fd >= 0)
        close(fd);
    return -1;
}

void class_unlock(int handle)
{
    if (handle >= 0)
        close(handle); /* the last descriptor of the open file: the lock goes */
}
