/* main.c - `ipclab`: the course's command (grading, manifests, student tools). */
#include "cli/cli.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
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
    {"why-hung", cmd_why_hung, "say where stuck processes are blocked, and why"},
};

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
