/* solution.c - `ipclab solution NN`: the reference solution, once yours passes. */
#include "cli/cli.h"
#include "base/proc.h"
#include "base/term.h"
#include "engine/course.h"
#include "engine/progress_file.h"

#include <signal.h>
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
    "yours (diff -y; yours on the left), or as a unified diff when the terminal\n"
    "is too narrow for both sides uncut, through $PAGER (default less -R) on a\n"
    "terminal. Until then it refuses and says why.\n"
    "The course edition ships no solutions.\n"
    "\n"
    "Exit status: 0 when the solution was shown, 1 when refused, 2 on a usage error.\n";

/* The widest line of path in columns (tabs expanded to 8), 0 when unreadable. */
static int widest_line(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    int widest = 0, col = 0, ch;
    while ((ch = getc(f)) != EOF) {
        if (ch == '\n') {
            col = 0;
            continue;
        }
        if (ch == '\t')
            col = (col / 8 + 1) * 8;
        else if ((ch & 0xC0) != 0x80) /* one column per UTF-8 character */
            col++;
        if (col > widest)
            widest = col;
    }
    fclose(f);
    return widest;
}

/* The width to use: the terminal's, else $COLUMNS, else 160. */
static int output_width(void)
{
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
        ws.ws_col > 0)
        return ws.ws_col;
    const char *env = getenv("COLUMNS");
    int cols = env ? atoi(env) : 0;
    return cols > 0 ? cols : 160;
}

/*
 * Show mine against theirs on out's fd: side by side (diff -y, yours on the
 * left) when both fit the width uncut, else a unified diff, which cuts
 * nothing. Returns diff's status (0 same, 1 different, 2 trouble).
 */
static int show_diff(FILE *out, const char *mine, const char *theirs, bool colour)
{
    int width = output_width();
    /* diff -y gives each side (width - 3) / 2 columns, less a tab stop's rounding. */
    int a = widest_line(mine), b = widest_line(theirs);
    int need = 2 * (a > b ? a : b) + 11;
    bool side = width >= need;
    char w[32];
    snprintf(w, sizeof w, "--width=%d", width);
    if (!side)
        fprintf(out,
                "(side by side needs %d columns and this is %d wide: a unified diff "
                "instead, - yours, + the reference)\n",
                need, width);
    fflush(out);
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL); /* quitting the pager ends diff quietly */
        if (fileno(out) != STDOUT_FILENO && dup2(fileno(out), STDOUT_FILENO) < 0)
            _exit(2);
        const char *col = colour ? "--color=always" : "--color=never";
        if (side)
            execlp("diff", "diff", "--side-by-side", "--expand-tabs", w, col, mine,
                   theirs, (char *)NULL);
        else
            execlp("diff", "diff", "--unified=3", "--label=yours", "--label=reference",
                   col, mine, theirs, (char *)NULL);
        perror("ipclab: cannot run diff (Debian package diffutils)");
        _exit(2);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0)
        return 2;
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE)
        return 0; /* the student quit the pager: not a failure */
    return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

/*
 * On a terminal, a pipe to $PAGER (default `less -R`; LESS defaults to FRX,
 * so a short diff prints and returns); else stdout. PAGER="" or "cat" means
 * no pager.
 */
static FILE *open_pager(void)
{
    if (!isatty(STDOUT_FILENO))
        return stdout;
    const char *pager = getenv("PAGER");
    if (pager == NULL)
        pager = "less -R";
    if (pager[0] == '\0' || strcmp(pager, "cat") == 0)
        return stdout;
    setenv("LESS", getenv("LESS") ? getenv("LESS") : "FRX", 1);
    fflush(stdout);
    FILE *p = popen(pager, "w");
    return p ? p : stdout;
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
    FILE *out = open_pager();
    for (size_t i = 0; i < m.nstudent_files; i++) {
        char mine[4400], theirs[4500];
        snprintf(mine, sizeof mine, "%s/src/%s", dir, m.student_files[i]);
        snprintf(theirs, sizeof theirs, "%s/%s", sol, m.student_files[i]);
        fprintf(out,
                "\n%syours: labs/%s/src/%s%s  |  %sreference: solutions/%s/src/%s%s\n",
                c.bold, m.slug, m.student_files[i], c.off, c.bold, m.slug,
                m.student_files[i], c.off);
        if (show_diff(out, mine, theirs, c.off[0] != '\0') > 1)
            rc = 1;
    }
    if (out != stdout)
        pclose(out);
    manifest_free(&m);
    return rc;
}
