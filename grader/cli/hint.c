/* hint.c - `ipclab hint NN [TEST]`: one more hint each time it is asked. */
#include "cli/cli.h"
#include "base/term.h"
#include "engine/course.h"
#include "engine/progress_file.h"

#include <string.h>

static const char usage[] =
    "usage: ipclab hint NN [TEST]\n"
    "\n"
    "Shows the hints of a test in order, one more each time you ask; the ones\n"
    "already shown are shown again. TEST is suite/test (default: the first test\n"
    "that failed in your last `ipclab check NN`, or the lab's first test when\n"
    "the lab was never checked; none when every test passed). When the lab's\n"
    "manifest keys a hint to what the test's last failure showed, that one comes\n"
    "first.\n"
    "The counters live in .ipclab-progress.\n"
    "\n"
    "Exit status: 0 when a hint was shown, 2 on a usage error.\n";

int cli_lab_manifest(int argc, char **argv, const char *usage, char *dir, size_t len,
                     struct manifest *m)
{
    if (cli_help(argc, argv, usage) == 0)
        return 0;
    if (argc < 2 || argc > 3) {
        fputs(usage, stderr);
        return 2;
    }
    if (resolve_lab(argv[1], dir, len) < 0 || manifest_load(dir, m) < 0)
        return 2;
    return -1;
}

/* cmd_hint - `ipclab hint NN [TEST]`: show hints 1..k+1 and store k+1; 0, or 2 on bad
 * usage. */
int cmd_hint(int argc, char **argv)
{
    char dir[4096];
    struct manifest m;
    int rc = cli_lab_manifest(argc, argv, usage, dir, sizeof dir, &m);
    if (rc >= 0)
        return rc;
    struct colours c = term_colours(stdout);
    json_t *p = progress_load();
    json_t *lab = progress_lab(p, m.id);
    const char *name = argc == 3 ? argv[2] : NULL;
    if (name == NULL)
        name = json_string_value(json_array_get(json_object_get(lab, "failing"), 0));
    json_t *passed = json_object_get(lab, "passed"),
           *total = json_object_get(lab, "total");
    if (name == NULL && json_is_true(json_object_get(lab, "build_ok")) &&
        passed != NULL && json_integer_value(passed) == json_integer_value(total)) {
        /* Never a hint for a test that passes: there is nothing to fix. */
        fprintf(stdout,
                "every test of lab %s passed in your last `ipclab check %s`: no hint "
                "needed (`ipclab hint %s TEST` shows a test's hints anyway)\n",
                m.id, m.id, m.id);
        json_decref(p);
        manifest_free(&m);
        return 0;
    }
    if (name == NULL && m.ntests > 0)
        name = m.tests[0].name;
    const struct manifest_test *t = name ? manifest_find_test(&m, name) : NULL;
    if (t == NULL) {
        fprintf(stderr, "ipclab: lab %s has no test '%s' (names look like suite/test)\n",
                m.id, name ? name : "");
        json_decref(p);
        manifest_free(&m);
        return 2;
    }
    json_t *shown = json_object_get(lab, "hints");
    if (!json_is_object(shown)) {
        shown = json_object();
        json_object_set_new(lab, "hints", shown);
    }
    json_int_t k = json_integer_value(json_object_get(shown, t->name)) + 1;
    if (k > t->nhints)
        k = t->nhints;
    fprintf(stdout, "%slab %s, %s%s\n", c.bold, m.id, t->name, c.off);
    /* A hint keyed to what the last check's failure showed (lab.ini's when/then)
     * comes first: it speaks to this failure, the numbered ones to the test. */
    const char *failure =
        json_string_value(json_object_get(json_object_get(lab, "failures"), t->name));
    bool keyed = false;
    const char *for_this = manifest_hint_for(t, failure, NULL, &keyed);
    if (keyed)
        fprintf(stdout, "%s  for this failure:%s %s\n", c.yellow, c.off, for_this);
    if (t->nhints == 0)
        fprintf(stdout, "  this test has no hint: read its contract in include/ and the "
                        "test in tests/\n");
    for (json_int_t i = 0; i < k; i++)
        fprintf(stdout, "%s  hint %lld/%d:%s %s\n", i == k - 1 ? c.yellow : c.dim,
                (long long)i + 1, t->nhints, c.off, t->hints[i]);
    if (k > 0 && k < t->nhints)
        fprintf(stdout, "%s(run it again for hint %lld)%s\n", c.dim, (long long)k + 1,
                c.off);
    else if (k > 0)
        fprintf(stdout, "%s(that is every hint for this test)%s\n", c.dim, c.off);
    json_object_set_new(shown, t->name, json_integer(k));
    progress_save(p);
    json_decref(p);
    manifest_free(&m);
    return 0;
}
