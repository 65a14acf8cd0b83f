/* solution.c - `ipclab solution NN`: the reference solution, once yours passes. */
#include "cli/cli.h"
#include "base/proc.h"
#include "base/term.h"
#include "engine/course.h"
#include "engine/progress_file.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] =
    "usage: ipclab solution NN\n"
    "\n"
    "For self-study: once `ipclab check NN` passes every test (it is run again\n"
    "now), shows the reference solution of each student file side by side with\n"
    "yours (diff -y; yours on the left). Until then it refuses and says why.\n"
    "The course edition ships no solutions.\n"
    "\n"
    "Exit status: 0 when the solution was shown, 1 when refused, 2 on a usage error.\n";

/* Run diff -y on mine and theirs, as wide as the terminal; returns diff's status. */
static int side_by_side(const char *mine, const char *theirs, bool colour)
{
    struct winsize ws;
    int width = ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 60 ? ws.ws_col : 160;
    char w[32];
    snprintf(w, sizeof w, "--width=%d", width);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        execlp("diff", "diff", "--side-by-side", "--expand-tabs", w,
               colour ? "--color=always" : "--color=never", mine, theirs, (char *)NULL);
        perror("ipclab: cannot run diff (Debian package diffutils)");
        _exit(2);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0)
        return 2;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

/* cmd_solution - `ipclab solution NN`: 0 when shown, 1 when refused, 2 on bad usage. */
int cmd_solution(int argc, char **argv)
{
    if (cli_help(argc, argv, usage) == 0)
        return 0;
    if (argc != 2) {
        fputs(usage, stderr);
        return 2;
    }
    char dir[4096], sol[4300];
    struct manifest m;
    if (resolve_lab(argv[1], dir, sizeof dir) < 0 || manifest_load(dir, &m) < 0)
        return 2;
    snprintf(sol, sizeof sol, "%s/solutions/%s/src", course_root(), m.slug);
    if (access(sol, R_OK) != 0) {
        fprintf(stderr,
                "ipclab: this checkout has no solutions/ (the course edition ships none; "
                "the self-study edition does)\n");
        manifest_free(&m);
        return 1;
    }
    fprintf(stdout,
            "checking lab %s first (the solution opens once every test passes)...\n",
            m.id);
    fflush(stdout);
    proc_install_signals();
    struct check_opts o = {.quiet = true, .record = true};
    struct check_result res;
    int rc = check_lab(dir, &o, &res);
    struct colours c = term_colours(stdout);
    if (rc != 0) {
        if (!res.build_ok)
            fprintf(stdout,
                    "%snot yet:%s lab %s does not compile; run `ipclab check %s`\n",
                    c.red, c.off, m.id, m.id);
        else
            fprintf(stdout,
                    "%snot yet:%s lab %s: %zu/%zu tests pass, %g/%g points. The solution "
                    "opens once `ipclab check %s` passes every test (next: %s, `ipclab "
                    "hint %s`).\n",
                    c.red, c.off, m.id, res.passed, res.run, res.points, res.max, m.id,
                    res.first_failing, m.id);
        manifest_free(&m);
        return 1;
    }
    for (size_t i = 0; i < m.nstudent_files; i++) {
        char mine[4400], theirs[4500];
        snprintf(mine, sizeof mine, "%s/src/%s", dir, m.student_files[i]);
        snprintf(theirs, sizeof theirs, "%s/%s", sol, m.student_files[i]);
        fprintf(stdout,
                "\n%syours: labs/%s/src/%s%s  |  %sreference: solutions/%s/src/%s%s\n",
                c.bold, m.slug, m.student_files[i], c.off, c.bold, m.slug,
                m.student_files[i], c.off);
        if (side_by_side(mine, theirs, c.off[0] != '\0') > 1)
            rc = 1;
    }
    manifest_free(&m);
    return rc;
}
