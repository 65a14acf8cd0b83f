/* main.c - `ipclab`: the course's command (grading, manifests, student tools). */
#include "cli/cli.h"
#include "engine/course.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A subcommand: its name, its entry point, one line of help. */
struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    bool on_a_checkout; /* works on the student's own course tree */
};

static const struct command commands[] = {
    {"manifest", cmd_manifest, "print what a lab's manifest says (for scripts)", false},
    {"check", cmd_check,
     "build and run a lab's tests fast, with hints (--asan: sanitizers)", true},
    {"watch", cmd_watch, "re-run check each time a file of the lab is saved", true},
    {"hint", cmd_hint, "the next hint of a failing test", true},
    {"grade", cmd_grade_student,
     "grade one submission of one lab (sandbox, valgrind, score); `grade NN`: this "
     "checkout",
     false},
    {"submit", cmd_submit, "a checksummed archive of exactly your student files", true},
    {"reset", cmd_reset, "restore a lab's skeleton (keeps a backup)", true},
    {"solution", cmd_solution, "the reference solution, side by side, once yours passes",
     true},
    {"grade-all", cmd_grade_all, "grade a whole class in parallel, resumably", false},
    {"merge", cmd_merge, "merge grade-all --shard outputs into one gradebook", false},
    {"audit", cmd_audit, "the grader's submission audit of a build (for lab checks)",
     false},
    {"trace", cmd_trace,
     "one test's IPC timeline: processes, pipes, messages, signals (--svg: a chart)",
     true},
    {"why-hung", cmd_why_hung, "say where stuck processes are blocked, and why", false},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: ipclab COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun `ipclab COMMAND --help` for a command's options.\n");
}

/* The course root that holds dir (a folder with labs/lab.mk), into out; false if none. */
static bool enclosing_course(const char *dir, char *out, size_t len)
{
    char d[PATH_MAX];
    snprintf(d, sizeof d, "%s", dir);
    for (;;) {
        char mk[PATH_MAX + 16];
        struct stat st;
        snprintf(mk, sizeof mk, "%s/labs/lab.mk", d);
        if (stat(mk, &st) == 0) {
            snprintf(out, len, "%s", d);
            return true;
        }
        char *slash = strrchr(d, '/');
        if (slash == NULL || slash == d)
            return false;
        *slash = '\0';
    }
}

/*
 * name_course_tree - a student command works on the course this ipclab was
 * built in; when that is not the tree the current directory is in, say so
 * on stderr (with another course's build/ on PATH, `ipclab check 05` would
 * otherwise check the wrong checkout in silence).
 */
static void name_course_tree(void)
{
    char cwd[PATH_MAX], root[PATH_MAX], other[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == NULL || realpath(course_root(), root) == NULL)
        return;
    size_t n = strlen(root);
    if (strncmp(cwd, root, n) == 0 && (cwd[n] == '/' || cwd[n] == '\0'))
        return;
    if (enclosing_course(cwd, other, sizeof other))
        fprintf(stderr,
                "ipclab: working on the course at %s, not the one you are in (%s): "
                "run %s/build/ipclab for that one\n",
                root, other, other);
    else
        fprintf(stderr, "ipclab: working on the course at %s\n", root);
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "grade") == 0 && argc > 2 && argv[2][0] != '-'))
        name_course_tree(); /* status, and `grade NN` (this checkout) */
    if (argc < 2)
        return cmd_status(argc, argv); /* the student's progress view */
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) {
            bool help = argc > 2 &&
                        (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0);
            if (commands[i].on_a_checkout && !help)
                name_course_tree();
            return commands[i].run(argc - 1, argv + 1);
        }
    fprintf(stderr, "ipclab: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
