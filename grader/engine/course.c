/* course.c - the course checkout this binary belongs to, and its labs. */
#include "engine/course.h"
#include "base/err.h"
#include "base/fs.h"
#include "engine/manifest.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *course_root(void)
{
    static char root[PATH_MAX];
    if (root[0] != '\0')
        return root;
    const char *env = getenv("IPCLAB_ROOT");
    if (env != NULL && env[0] != '\0') {
        snprintf(root, sizeof root, "%s", env);
        return root;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0) {
        snprintf(root, sizeof root, ".");
        return root;
    }
    exe[n] = '\0';
    /* .../ROOT/build/ipclab -> .../ROOT */
    snprintf(root, sizeof root, "%s", dirname(dirname(exe)));
    return root;
}

const char *course_make_jobs(void)
{
    static char arg[32];
    cpu_set_t allowed;
    int n = sched_getaffinity(0, sizeof allowed, &allowed) == 0 ? CPU_COUNT(&allowed) : 1;
    snprintf(arg, sizeof arg, "-j%d", n > 0 ? n : 1);
    return arg;
}

int resolve_lab(const char *spec, char *out, size_t len)
{
    struct stat st;
    if (strchr(spec, '/') != NULL && stat(spec, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(out, len, "%s", spec);
        return 0;
    }
    char want[16];
    char *end;
    long num = strtol(spec, &end, 10);
    if (end == spec || num < 0 || num > 99) {
        fprintf(stderr, "ipclab: '%s' is not a lab (try a number such as 01)\n", spec);
        return -1;
    }
    snprintf(want, sizeof want, "%02ld-", num);
    char labs[PATH_MAX];
    snprintf(labs, sizeof labs, "%s/labs", course_root());
    DIR *dir = opendir(labs);
    if (dir == NULL) {
        fprintf(stderr, "ipclab: cannot open '%s': %s\n", labs, strerror(errno));
        return -1;
    }
    struct dirent *e;
    int found = -1;
    while ((e = readdir(dir)) != NULL)
        if (strncmp(e->d_name, want, 3) == 0) {
            snprintf(out, len, "%s/%s", labs, e->d_name);
            found = 0;
            break;
        }
    closedir(dir);
    if (found < 0)
        fprintf(stderr, "ipclab: no lab %s in '%s'\n", spec, labs);
    return found;
}

/* qsort comparator for strings. */
static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **course_lab_list(size_t *n)
{
    char labs[4200];
    snprintf(labs, sizeof labs, "%s/labs", course_root());
    *n = 0;
    DIR *d = opendir(labs);
    if (d == NULL)
        return NULL;
    char **list = NULL;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || e->d_name[1] < '0' ||
            e->d_name[1] > '9' || e->d_name[2] != '-')
            continue;
        char **bigger = realloc(list, (*n + 1) * sizeof *list);
        if (bigger == NULL)
            break;
        list = bigger;
        list[(*n)++] = xasprintf("%s/%s", labs, e->d_name);
    }
    closedir(d);
    if (*n > 0)
        qsort(list, *n, sizeof *list, by_name);
    return list;
}

void course_free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

int course_skeleton_to(const char *slug, const char *file, const char *dst)
{
    char shipped[4400];
    snprintf(shipped, sizeof shipped, "%s/.skeleton/%s/src/%s", course_root(), slug,
             file);
    if (access(shipped, R_OK) == 0)
        return fs_copy_file(shipped, dst, NULL);
    char spec[4400];
    snprintf(spec, sizeof spec, "HEAD:labs/%s/src/%s", slug, file);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        FILE *out = fopen(dst, "we");
        if (out == NULL || dup2(fileno(out), 1) < 0)
            _exit(127);
        execlp("git", "git", "-C", course_root(), "show", spec, (char *)NULL);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

const char *course_missing_file(const struct manifest *m)
{
    for (size_t i = 0; i < m->nstudent_files; i++) {
        char path[4400];
        struct stat st;
        snprintf(path, sizeof path, "%s/src/%s", m->dir, m->student_files[i]);
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
            return m->student_files[i];
    }
    return NULL;
}
