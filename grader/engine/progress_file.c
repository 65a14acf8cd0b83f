/* progress.c - the student's progress file (.ipclab-progress) and shared helpers. */
#include "cli/cli.h"
#include "cli/student.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct colours student_colours(FILE *out)
{
    const char *nc = getenv("NO_COLOR");
    if (isatty(fileno(out)) && (nc == NULL || nc[0] == '\0'))
        return (struct colours){"\033[32m", "\033[31m", "\033[33m",
                                "\033[1m",  "\033[2m",  "\033[0m"};
    return (struct colours){"", "", "", "", "", ""};
}

/* The progress file's path (static buffer). */
static const char *progress_path(void)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/.ipclab-progress", course_root());
    return path;
}

json_t *progress_load(void)
{
    json_t *p = json_load_file(progress_path(), 0, NULL);
    if (p == NULL || !json_is_object(p)) {
        json_decref(p);
        p = json_object();
    }
    if (p == NULL) {
        fprintf(stderr, "ipclab: out of memory\n");
        exit(2);
    }
    return p;
}

int progress_save(json_t *p)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", progress_path(), (long)getpid());
    json_object_set_new(p, "version", json_integer(1));
    if (json_dump_file(p, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) < 0 ||
        rename(tmp, progress_path()) < 0) {
        unlink(tmp);
        fprintf(stderr, "ipclab: warning: cannot write '%s' (progress not saved)\n",
                progress_path());
        return -1;
    }
    return 0;
}

/* obj[key] as an object, created when missing (borrowed). */
static json_t *child(json_t *obj, const char *key)
{
    json_t *c = json_object_get(obj, key);
    if (!json_is_object(c)) {
        c = json_object();
        json_object_set_new(obj, key, c);
    }
    return c;
}

json_t *progress_lab(json_t *p, const char *id)
{
    return child(child(p, "labs"), id);
}

void progress_record(json_t *p, const char *id, const struct grade *g,
                     const struct check_result *res, bool filtered)
{
    json_object_set_new(p, "current", json_string(id));
    if (filtered)
        return;
    json_t *lab = progress_lab(p, id);
    json_t *failing = json_array();
    for (size_t i = 0; res->build_ok && i < g->m.ntests; i++)
        if (g->tests[i].verdict != V_PASSED)
            json_array_append_new(failing, json_string(g->m.tests[i].name));
    json_object_set_new(lab, "build_ok", json_boolean(res->build_ok));
    json_object_set_new(lab, "passed", json_integer((json_int_t)res->passed));
    json_object_set_new(lab, "total", json_integer((json_int_t)g->m.ntests));
    json_object_set_new(lab, "points", json_real(res->points));
    json_object_set_new(lab, "max", json_real(manifest_max_points(&g->m)));
    json_object_set_new(lab, "failing", failing);
    json_object_set_new(lab, "time", json_integer((json_int_t)time(NULL)));
}

/* qsort comparator for strings. */
static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **student_lab_list(size_t *n)
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

void student_free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

int student_help(int argc, char **argv, const char *usage)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
    return -1;
}
