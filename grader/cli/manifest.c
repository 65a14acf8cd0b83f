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
        "                         --timeout | --hidden | --no-valgrind | --perf] LAB\n"
        "\n"
        "Checks LAB's lab.ini (a lab number such as 01, or a lab directory) and\n"
        "prints one item per line: test names (default), student files, \"name "
        "points\",\n"
        "the title, \"name seconds\" for every test's timeout (its own Criterion\n"
        "timeout: the test's, else its suite's), or the tests with an option set.\n");
}

int cmd_manifest(int argc, char **argv)
{
    enum { TESTS, FILES, POINTS, TITLE, TIMEOUT, HIDDEN, NOVG, PERF } what = TESTS;
    static const struct option opts[] = {{"tests", no_argument, NULL, 't'},
                                         {"student-files", no_argument, NULL, 'f'},
                                         {"points", no_argument, NULL, 'p'},
                                         {"title", no_argument, NULL, 'T'},
                                         {"timeout", no_argument, NULL, 'o'},
                                         {"hidden", no_argument, NULL, 'H'},
                                         {"no-valgrind", no_argument, NULL, 'n'},
                                         {"perf", no_argument, NULL, 'P'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            what = TESTS;
            break;
        case 'f':
            what = FILES;
            break;
        case 'p':
            what = POINTS;
            break;
        case 'T':
            what = TITLE;
            break;
        case 'o':
            what = TIMEOUT;
            break;
        case 'H':
            what = HIDDEN;
            break;
        case 'n':
            what = NOVG;
            break;
        case 'P':
            what = PERF;
            break;
        default: /* 'h' (--help) or an unknown option */
            return cli_help_or_usage(c, usage);
        }
    }
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
                (what == PERF && (t->options & OPT_PERF)))
                puts(t->name);
            else if (what == POINTS)
                printf("%s %g\n", t->name, t->points);
        }
    }
    manifest_free(&m);
    return 0;
}
