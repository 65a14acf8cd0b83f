/* status.c - `ipclab` with no arguments: every lab's progress and the next step. */
#include "cli/cli.h"
#include "base/term.h"
#include "engine/course.h"
#include "engine/progress_file.h"

#include <string.h>

static const char usage[] =
    "usage: ipclab [COMMAND ...]\n"
    "\n"
    "With no command: every lab with a bar of the points of its last check (and\n"
    "the deductions of its last `ipclab grade`), the lab in progress and the one\n"
    "next step. Progress is kept in .ipclab-progress\n"
    "at the root of your checkout (deleting it loses only the hint counters).\n"
    "Run `ipclab --help` for every command.\n";

/* The lab id ("01") of a lab directory path. */
static void lab_id(const char *dir, char id[3])
{
    const char *base = strrchr(dir, '/');
    base = base ? base + 1 : dir;
    id[0] = base[0];
    id[1] = base[1];
    id[2] = '\0';
}

/* Has lab id been fully passed according to the progress file? */
static bool lab_done(json_t *lab)
{
    json_int_t passed = json_integer_value(json_object_get(lab, "passed"));
    json_int_t total = json_integer_value(json_object_get(lab, "total"));
    return total > 0 && passed == total;
}

/*
 * print_grade - under a lab's line, its last `ipclab grade`: the score and
 * each deduction, so points the tests alone do not show are never a surprise.
 */
static void print_grade(json_t *grade, const struct colours *c)
{
    if (!json_is_object(grade))
        return;
    double score = json_number_value(json_object_get(grade, "score"));
    double max = json_number_value(json_object_get(grade, "max"));
    json_t *deds = json_object_get(grade, "deductions");
    fprintf(stdout, "      %slast grade: %g/%g%s%s\n", score < max ? c->yellow : c->dim,
            score, max, json_array_size(deds) ? ", deductions:" : "", c->off);
    size_t i;
    json_t *d;
    json_array_foreach(deds, i, d)
    {
        if (i == 5) {
            fprintf(stdout, "        ... and %zu more (`ipclab grade` shows them)\n",
                    json_array_size(deds) - i);
            break;
        }
        fprintf(stdout, "        -%g  %s  %s\n",
                json_number_value(json_object_get(d, "points")),
                json_string_value(json_object_get(d, "title")),
                json_string_value(json_object_get(d, "test")));
    }
}

/* cmd_status - the progress view; 0 when every lab passes, 1 otherwise, 2 without labs.
 */
int cmd_status(int argc, char **argv)
{
    if (cli_help(argc, argv, usage) == 0)
        return 0;
    struct colours c = term_colours(stdout);
    size_t n;
    char **labs = course_lab_list(&n);
    if (n == 0) {
        fprintf(stderr, "ipclab: no labs under '%s/labs'\n", course_root());
        return 2;
    }
    json_t *p = progress_load();
    const char *current = json_string_value(json_object_get(p, "current"));
    char next_lab[3] = "";
    bool all_done = true;
    fprintf(stdout, "%sipclab%s  %s%s%s\n\n", c.bold, c.off, c.dim, course_root(), c.off);
    for (size_t i = 0; i < n; i++) {
        struct manifest m;
        if (manifest_load(labs[i], &m) < 0)
            continue;
        char id[3];
        lab_id(labs[i], id);
        json_t *lab = json_object_get(json_object_get(p, "labs"), id);
        double max = manifest_max_points(&m);
        double pts = json_number_value(json_object_get(lab, "points"));
        json_int_t passed = json_integer_value(json_object_get(lab, "passed"));
        char b[256];
        term_bar(b, sizeof b, pts, max, 20);
        bool done = lab_done(lab);
        bool here = current != NULL && strcmp(current, id) == 0;
        const char *col = done ? c.green : (lab != NULL ? c.yellow : c.dim);
        char tests[64];
        if (lab == NULL)
            snprintf(tests, sizeof tests, "not checked yet");
        else if (!json_is_true(json_object_get(lab, "build_ok")))
            snprintf(tests, sizeof tests, "does not compile");
        else
            snprintf(tests, sizeof tests, "%lld/%zu tests, %g/%g pts", (long long)passed,
                     m.ntests, pts, max);
        int tlen = (int)strcspn(m.title, ":"); /* "Pipes: complete ..." -> "Pipes" */
        fprintf(stdout, "%s %s %-22.*s %s%s%s  %s%s\n", here ? "▶" : " ", id,
                tlen < 22 ? tlen : 22, m.title, col, b, c.off, tests, done ? "  ✓" : "");
        print_grade(json_object_get(lab, "grade"), &c);
        if (!done) {
            all_done = false;
            if (next_lab[0] == '\0' || (here && lab != NULL))
                snprintf(next_lab, sizeof next_lab, "%s", id);
        }
        manifest_free(&m);
    }
    fprintf(stdout, "\n");
    if (all_done) {
        fprintf(stdout, "%severy lab passes%s: `ipclab grade NN` shows each grade\n",
                c.green, c.off);
    } else {
        json_t *lab = json_object_get(json_object_get(p, "labs"), next_lab);
        json_t *failing = json_object_get(lab, "failing");
        const char *first = json_string_value(json_array_get(failing, 0));
        if (lab == NULL)
            fprintf(stdout,
                    "next: read handouts/ for lab %s, then run `ipclab check %s`\n",
                    next_lab, next_lab);
        else if (!json_is_true(json_object_get(lab, "build_ok")))
            fprintf(stdout, "lab %s does not compile; next: run `ipclab check %s`\n",
                    next_lab, next_lab);
        else
            fprintf(
                stdout, "lab %s: %lld/%lld tests pass; next: %s, run `ipclab hint %s`\n",
                next_lab, (long long)json_integer_value(json_object_get(lab, "passed")),
                (long long)json_integer_value(json_object_get(lab, "total")),
                first ? first : "?", next_lab);
    }
    json_decref(p);
    course_free_list(labs, n);
    return all_done ? 0 : 1;
}
