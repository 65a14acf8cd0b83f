/* main.c - `ipclab`: the course's command (grading, manifests, student tools). */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A subcommand: its name, its entry point, one line of help. */
struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"manifest", cmd_manifest, "print what a lab's manifest says (for scripts)"},
    {"check", cmd_check,
     "build and run a lab's tests fast, with hints (--asan: sanitizers)"},
    {"watch", cmd_watch, "re-run check each time a file of the lab is saved"},
    {"hint", cmd_hint, "the next hint of a failing test"},
    {"grade", cmd_grade_student,
     "grade one submission of one lab (sandbox, valgrind, score); `grade NN`: this "
     "checkout"},
    {"submit", cmd_submit, "a checksummed archive of exactly your student files"},
    {"reset", cmd_reset, "restore a lab's skeleton (keeps a backup)"},
    {"solution", cmd_solution, "the reference solution, side by side, once yours passes"},
    {"grade-all", cmd_grade_all, "grade a whole class in parallel, resumably"},
    {"merge", cmd_merge, "merge grade-all --shard outputs into one gradebook"},
    {"audit", cmd_audit, "the grader's submission audit of a build (for lab checks)"},
    {"why-hung", cmd_why_hung, "say where stuck processes are blocked, and why"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: ipclab COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun `ipclab COMMAND --help` for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return cmd_status(argc, argv); /* the student's progress view */
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "ipclab: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
