/* manifest.c - `ipclab manifest`: print what a lab's manifest says (for scripts). */
#include "cli/cli.h"
#include "engine/course.h"
#include "engine/manifest.h"
#include "engine/timeouts.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: ipclab manifest [--tests | --student-files | --points | --title |\n"
        "                         --timeout | --hidden | --no-valgrind | --perf |\n"
        "                         --stress | --mutants | --call-rules] LAB\n"
        "\n"
        "Checks LAB's lab.ini (a lab number such as 01, or a lab directory) and\n"
        "prints one item per line: test names (default), student files, \"name "
        "points\",\n"
        "the title, \"name seconds\" for every test's timeout (its own Criterion\n"
        "timeout: the test's, else its suite's), the tests with an option set, or\n"
        "\"id<TAB>reason\" for every mutant [mutants] marks equivalent.\n"
        "--call-rules prints the C table of the tests' require/forbid calls that\n"
        "the lab's test binary is built with (labs/lab.mk, build/tests/call_rules.c).\n");
}

/* s as a C string literal's contents (names and lists: no quote or backslash
 * gets past the manifest's checks, but a test name is the author's text). */
static void put_c_string(const char *s)
{
    putchar('"');
    for (; s != NULL && *s != '\0'; s++)
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            printf("\\%03o", (unsigned char)*s);
        else
            putchar(*s);
    putchar('"');
}

/* The table of the tests' call rules, as C (labs/support/ipclab_shim.h). */
static void print_call_rules(const struct manifest *m)
{
    printf("/* call_rules.c - lab %s's require/forbid calls, from lab.ini.\n"
           " * Written by `ipclab manifest --call-rules`: edit lab.ini, not this. */\n"
           "#include \"ipclab_shim.h\"\n\n#include <stddef.h>\n\n"
           "const struct ipct_call_rule ipct_call_rules[] = {\n",
           m->id);
    for (size_t i = 0; i < m->ntests; i++) {
        const struct manifest_test *t = &m->tests[i];
        if (t->require == NULL && t->forbid == NULL)
            continue;
        printf("    {");
        put_c_string(t->name);
        printf(", ");
        put_c_string(t->require);
        printf(", ");
        put_c_string(t->forbid);
        printf("},\n");
    }
    printf("    {NULL, NULL, NULL},\n};\n");
}

int cmd_manifest(int argc, char **argv)
{
    enum {
        TESTS,
        FILES,
        POINTS,
        TITLE,
        TIMEOUT,
        HIDDEN,
        NOVG,
        PERF,
        STRESS,
        MUTANTS,
        RULES
    };
    int what = TESTS;
    const struct cli_opt opts[] = {
        CLI_CHOOSE("tests", &what, TESTS),      CLI_CHOOSE("student-files", &what, FILES),
        CLI_CHOOSE("points", &what, POINTS),    CLI_CHOOSE("title", &what, TITLE),
        CLI_CHOOSE("timeout", &what, TIMEOUT),  CLI_CHOOSE("hidden", &what, HIDDEN),
        CLI_CHOOSE("no-valgrind", &what, NOVG), CLI_CHOOSE("perf", &what, PERF),
        CLI_CHOOSE("stress", &what, STRESS),    CLI_CHOOSE("mutants", &what, MUTANTS),
        CLI_CHOOSE("call-rules", &what, RULES)};
    int rc = cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], usage);
    if (rc >= 0)
        return rc;
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    char lab_dir[4096];
    if (resolve_lab(argv[optind], lab_dir, sizeof lab_dir) < 0)
        return 2;
    struct manifest m;
    if (manifest_load(lab_dir, &m) < 0)
        return 2;
    switch (what) {
    case FILES:
        for (size_t i = 0; i < m.nstudent_files; i++)
            puts(m.student_files[i]);
        break;
    case TITLE:
        puts(m.title);
        break;
    case RULES:
        print_call_rules(&m);
        break;
    case MUTANTS:
        for (size_t i = 0; i < m.nmutants; i++)
            printf("%s\t%s\n", m.mutants[i].id, m.mutants[i].reason);
        break;
    case TIMEOUT:
        if (timeouts_load(&m) < 0) {
            manifest_free(&m);
            return 1;
        }
        for (size_t i = 0; i < m.ntests; i++)
            printf("%s %g\n", m.tests[i].name, m.tests[i].timeout);
        break;
    default:
        for (size_t i = 0; i < m.ntests; i++) {
            const struct manifest_test *t = &m.tests[i];
            if (what == TESTS || (what == HIDDEN && (t->options & OPT_HIDDEN)) ||
                (what == NOVG && (t->options & OPT_NO_VALGRIND)) ||
                (what == PERF && (t->options & OPT_PERF)) ||
                (what == STRESS && (t->options & OPT_STRESS)))
                puts(t->name);
            else if (what == POINTS)
                printf("%s %g\n", t->name, t->points);
        }
    }
    manifest_free(&m);
    return 0;
}
