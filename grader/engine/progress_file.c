/* progress_file.c - the student's progress file (.ipclab-progress). */
#include "engine/progress_file.h"
#include "base/err.h"
#include "base/fs.h"
#include "engine/course.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    if (p == NULL)
        err_out_of_memory();
    return p;
}

int progress_save(json_t *p)
{
    json_object_set_new(p, "version", json_integer(1));
    char *text = json_dumps(p, JSON_INDENT(1) | JSON_SORT_KEYS);
    if (text == NULL || fs_write_atomic(progress_path(), text, strlen(text)) < 0) {
        free(text);
        fprintf(stderr, "ipclab: warning: cannot write '%s' (progress not saved)\n",
                progress_path());
        return -1;
    }
    free(text);
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
    /* What each failure showed, for `ipclab hint` to pick the hint keyed to it. */
    json_t *shown = json_object();
    for (size_t i = 0; res->build_ok && i < g->m.ntests; i++) {
        const struct test_result *r = &g->tests[i];
        if (r->verdict == V_PASSED)
            continue;
        json_array_append_new(failing, json_string(r->mt->name));
        char *text = xasprintf("%s%s%s", r->message ? r->message : "",
                               r->hang ? "\n" : "", r->hang ? r->hang : "");
        size_t cut = 2000; /* enough to key a hint; keeps the file small */
        if (strlen(text) > cut) {
            while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
                cut--; /* not inside a UTF-8 character: jansson wants valid text */
            text[cut] = '\0';
        }
        json_object_set_new(shown, r->mt->name, json_string(text));
        free(text);
    }
    json_object_set_new(lab, "build_ok", json_boolean(res->build_ok));
    json_object_set_new(lab, "passed", json_integer((json_int_t)res->passed));
    json_object_set_new(lab, "total", json_integer((json_int_t)g->m.ntests));
    json_object_set_new(lab, "points", json_real(res->points));
    json_object_set_new(lab, "max", json_real(manifest_max_points(&g->m)));
    json_object_set_new(lab, "failing", failing);
    json_object_set_new(lab, "failures", shown);
    json_object_set_new(lab, "time", json_integer((json_int_t)time(NULL)));
}

void progress_record_grade(json_t *p, const char *id, const struct grade *g)
{
    json_t *lab = progress_lab(p, id);
    json_t *deds = json_array();
    for (size_t i = 0; i < g->ndeds; i++)
        json_array_append_new(
            deds, json_pack("{s:s, s:s, s:f}", "title", policy_title(g->deds[i].cat),
                            "test", g->deds[i].test, "points", g->deds[i].points));
    json_object_set_new(lab, "grade",
                        json_pack("{s:f, s:f, s:o, s:I}", "score", g->score, "max",
                                  g->max_score, "deductions", deds, "time",
                                  (json_int_t)time(NULL)));
}
