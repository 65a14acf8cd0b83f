/* native_report.c - the native pass's report channel (native_report.h). */
#include "engine/native_report.h"
#include "base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Results of every test with their messages and end records: generous. */
#define MAX_REPORT_BYTES (64u << 20)

int native_report_open(void)
{
    return memfd_create("ipclab-native-report", MFD_CLOEXEC);
}

const char *native_report_env(char *buf, size_t len, int fd)
{
    snprintf(buf, len, "%s=%d", NATIVE_REPORT_ENV, fd);
    return buf;
}

int native_report_take(void)
{
    const char *v = getenv(NATIVE_REPORT_ENV);
    char *end = NULL;
    long fd = v != NULL ? strtol(v, &end, 10) : -1;
    if (v == NULL || end == v || *end != '\0' || fd < 3 || fd > 1 << 20 ||
        fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0) {
        errno = EBADF;
        return -1;
    }
    unsetenv(NATIVE_REPORT_ENV);
    return (int)fd;
}

int native_report_write(int fd, json_t *results, json_t *watch)
{
    json_t *doc = json_pack("{s:o, s:o}", "results", results ? results : json_null(),
                            "watch", watch ? watch : json_null());
    char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (text == NULL) {
        errno = ENOMEM;
        return -1;
    }
    int rc = fs_write_fd_text(fd, text, strlen(text));
    int saved = errno;
    free(text);
    errno = saved;
    return rc;
}

json_t *native_report_read(int fd)
{
    if (fd < 0)
        return NULL;
    char *text = fs_read_fd_text(fd, MAX_REPORT_BYTES);
    close(fd);
    json_t *doc = text != NULL && text[0] != '\0' ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (doc != NULL && !json_is_object(doc)) {
        json_decref(doc);
        doc = NULL;
    }
    return doc;
}
