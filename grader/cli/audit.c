/* audit.c - `ipclab audit`: the grader's submission audit on its own, for lab checks. */
#include "cli/cli.h"
#include "engine/audit.h"
#include "engine/course.h"
#include "engine/manifest.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: ipclab audit --lab NN (--build DIR | --submission DIR) [--harness DIR]\n"
        "                    [--time]\n"
        "\n"
        "Runs the audit `ipclab grade` runs before any test: the student files'\n"
        "includes, inline assembly, sections, definitions and calls. --build DIR\n"
        "audits a lab build (make -C LAB BUILD_DIR=DIR: DIR/student/NAME.s, .d, .o);\n"
        "--submission DIR builds DIR's student files first, in a temporary folder.\n"
        "The tests' and support objects are read from --harness DIR (default: the\n"
        "build). --time prints the audit's own seconds. Exit status: 0 when nothing\n"
        "refuses the submission, 1 when something does, 2 on an error.\n");
}

/* nftw callback: remove one entry of the temporary build. */
static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Build sub's student files (and the lab's tests) into dir: 0, or -1. */
static int build(const char *lab_dir, const char *sub, const char *dir)
{
    char src[4200], bdir[4200];
    snprintf(src, sizeof src, "SRC_DIR=%s", sub);
    snprintf(bdir, sizeof bdir, "BUILD_DIR=%s", dir);
    char *argv[] = {
        "make",     "-s", "--no-print-directory", "-C", (char *)lab_dir, "all", src, bdir,
        "WERROR=1", NULL};
    pid_t pid;
    int st;
    if (posix_spawnp(&pid, "make", NULL, NULL, argv, environ) != 0 ||
        waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int cmd_audit(int argc, char **argv)
{
    const char *lab = NULL, *bdir = NULL, *sub = NULL, *harness = NULL;
    bool timed = false;
    const struct cli_opt opts[] = {CLI_ROW("lab", 0, CLI_STRING, &lab),
                                   CLI_ROW("build", 0, CLI_STRING, &bdir),
                                   CLI_ROW("submission", 0, CLI_STRING, &sub),
                                   CLI_ROW("harness", 0, CLI_STRING, &harness),
                                   CLI_ROW("time", 0, CLI_TRUE, &timed)};
    int rc = cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], usage);
    if (rc >= 0)
        return rc;
    if (lab == NULL || (bdir == NULL) == (sub == NULL) || optind != argc) {
        usage(stderr);
        return 2;
    }
    char lab_dir[4096], tmp[4200] = "";
    struct manifest m = {0};
    if (resolve_lab(lab, lab_dir, sizeof lab_dir) < 0 || manifest_load(lab_dir, &m) < 0)
        return 2;
    int status = 2;
    if (sub != NULL) {
        const char *t = getenv("TMPDIR");
        snprintf(tmp, sizeof tmp, "%s/ipclab-audit.XXXXXX", t && *t ? t : "/tmp");
        if (mkdtemp(tmp) == NULL) {
            fprintf(stderr, "ipclab: cannot make a temporary folder: %s\n",
                    strerror(errno));
            tmp[0] = '\0';
            goto done;
        }
        if (build(lab_dir, sub, tmp) < 0) {
            fprintf(stderr, "ipclab: '%s' does not build for lab %s\n", sub, m.id);
            goto done;
        }
        bdir = tmp;
    }
    struct audit a;
    if (audit_build(&m, bdir, harness ? harness : bdir, &a) < 0) {
        fprintf(stderr, "ipclab: the audit could not run on '%s': %s\n", bdir,
                strerror(errno));
        goto done;
    }
    for (size_t i = 0; i < a.n; i++) {
        char *text = audit_finding_text(&a.f[i]);
        printf("%s%s\n", a.f[i].refused ? "" : "note: ", text ? text : a.f[i].what);
        free(text);
    }
    if (timed)
        printf("audit: %.3f s\n", a.seconds);
    status = audit_refused(&a) ? 1 : 0;
    audit_free(&a);
done:
    if (tmp[0] != '\0')
        nftw(tmp, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
    manifest_free(&m);
    return status;
}
