/* grade_all.c - `ipclab grade-all`: grade a whole class in parallel, resumably. */
#include "class/grade_all.h"
#include "engine/class_lock.h"
#include "base/fs.h"
#include "class/gradebook.h"
#include "class/pool.h"
#include "class/progress_bar.h"
#include "cli/cli.h"
#include "base/err.h"
#include "engine/course.h"
#include "engine/manifest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* usage - the command's help, on out. */
static void usage(FILE *out)
{
    static const char *const text[] = {
        "usage: ipclab grade-all --lab NN --out DIR [-j N] [--shard K/N]",
        "                        [--timeout SECS] [--force] [--quiet] [--trace-failures]",
        "                        [--grade-opt OPT]... SUBMISSIONS/",
        "",
        "Grades every entry of SUBMISSIONS/ (a directory, or a .tar.gz, .tgz, .tar or",
        ".zip archive, per student; the student is the entry's name) with",
        "`ipclab grade`, N at a time (default: one per CPU), and writes:",
        "  DIR/gradebook.csv      one row per student, sorted by name",
        "  DIR/summary.json       histogram, per-test pass rates, common deductions",
        "  DIR/students/NAME/     results.json (Gradescope), report.txt, full.json,",
        "                         row.csv; traces/SUITE--TEST.html with --trace-failures",
        "Re-running with the same DIR skips the students already graded (--force",
        "grades them again); Ctrl-C stops cleanly. --shard K/N grades only the K-th",
        "of N parts of the sorted class; combine the parts with `ipclab merge`.",
        "--timeout stops one student's grading after SECS seconds (default 1800).",
        "--grade-opt OPT adds OPT to every `ipclab grade` command (repeatable), for",
        "example --grade-opt=--no-valgrind for a quick first pass.",
        "--trace-failures draws each student's failed tests (at most 5, each run once",
        "more under strace) as timelines in their folder's traces/ (slower).",
        "",
        "Exit status: 0 every student graded, 1 some could not be graded (listed at",
        "the end; a re-run retries them), 2 grade-all could not run, 128+N on signal N.",
    };
    for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
        fprintf(out, "%s\n", text[i]);
}

/* parse_shard - "K/N" with 1 <= K <= N into *k, *n. Returns 0 or -1. */
static int parse_shard(const char *s, unsigned *k, unsigned *n)
{
    char *end;
    unsigned long a = strtoul(s, &end, 10);
    if (end == s || *end != '/')
        return -1;
    const char *rest = end + 1;
    unsigned long b = strtoul(rest, &end, 10);
    if (end == rest || *end != '\0' || a < 1 || b < a || b > 100000)
        return -1;
    *k = (unsigned)a;
    *n = (unsigned)b;
    return 0;
}

/* parse_shard_opt - --shard K/N into the class_meta dst; -1 (after saying why) if wrong.
 */
static int parse_shard_opt(char *arg, void *dst)
{
    struct class_meta *meta = dst;
    if (parse_shard(arg, &meta->shard_k, &meta->shard_n) < 0) {
        fprintf(stderr, "ipclab: --shard wants K/N with 1 <= K <= N, not '%s'\n", arg);
        return -1;
    }
    return 0;
}

/* parse_jobs - -j N (1 to 1024) into the unsigned dst; -1 (after saying why) if wrong. */
static int parse_jobs(char *arg, void *dst)
{
    char *end;
    unsigned long jobs = strtoul(arg, &end, 10);
    if (*end != '\0' || jobs < 1 || jobs > 1024) {
        fprintf(stderr, "ipclab: -j wants a number from 1 to 1024\n");
        return -1;
    }
    *(unsigned *)dst = (unsigned)jobs;
    return 0;
}

/* parse_timeout - --timeout SECS into the double dst; -1 (after saying why) if wrong. */
static int parse_timeout(char *arg, void *dst)
{
    char *end;
    double secs = strtod(arg, &end);
    if (*end != '\0' || secs < 0) {
        fprintf(stderr, "ipclab: --timeout wants seconds, not '%s'\n", arg);
        return -1;
    }
    *(double *)dst = secs;
    return 0;
}

/* add_grade_opt - one more --grade-opt for the class_run dst; -1 past MAX_GRADE_OPTS. */
static int add_grade_opt(char *arg, void *dst)
{
    struct class_run *r = dst;
    if (r->nextra == MAX_GRADE_OPTS) {
        fprintf(stderr, "ipclab: at most %d --grade-opt\n", MAX_GRADE_OPTS);
        return -1;
    }
    r->extra[r->nextra++] = arg;
    return 0;
}

/* parse_args - fill r from the command line. Returns -1 to go on, else an exit status. */
static int parse_args(struct class_run *r, int argc, char **argv, const char **out_arg)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    r->jobs = ncpu > 0 ? (unsigned)ncpu : 1;
    r->timeout = 1800;
    const struct cli_opt opts[] = {CLI_ROW("lab", 0, CLI_STRING, &r->lab),
                                   CLI_ROW("out", 'o', CLI_STRING, out_arg),
                                   CLI_WITH("jobs", 'j', &r->jobs, parse_jobs),
                                   CLI_WITH("shard", 0, &r->meta, parse_shard_opt),
                                   CLI_WITH("timeout", 0, &r->timeout, parse_timeout),
                                   CLI_ROW("force", 0, CLI_TRUE, &r->force),
                                   CLI_ROW("trace-failures", 0, CLI_TRUE, &r->traces),
                                   CLI_WITH("grade-opt", 0, r, add_grade_opt),
                                   CLI_ROW("quiet", 'q', CLI_TRUE, &r->quiet)};
    int rc = cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], usage);
    if (rc >= 0)
        return rc;
    if (r->lab == NULL || *out_arg == NULL || optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    r->subs = argv[optind];
    return -1;
}

/* cmd_grade_all - grade every student of SUBMISSIONS/ (see usage); returns the exit
 * status. */
int cmd_grade_all(int argc, char **argv)
{
    struct class_run r;
    memset(&r, 0, sizeof r);
    const char *out_arg = NULL;
    int rc = parse_args(&r, argc, argv, &out_arg);
    if (rc >= 0)
        return rc;

    char lab_dir[PATH_MAX];
    struct manifest m;
    if (resolve_lab(r.lab, lab_dir, sizeof lab_dir) < 0 || manifest_load(lab_dir, &m) < 0)
        return 2;
    r.meta.lab = strdup(m.id);
    r.meta.slug = strdup(m.slug);
    bool gated = manifest_has_perf(&m); /* the native passes take turns (class_lock.h) */
    manifest_free(&m);
    const char *alt = getenv("IPCLAB_GRADE_EXE"); /* for tests: a stand-in grader */
    snprintf(r.exe, sizeof r.exe, "%s", alt != NULL && alt[0] ? alt : "/proc/self/exe");

    int lock_fd = -1;
    rc = 2;
    if (r.meta.lab == NULL || r.meta.slug == NULL || class_list_students(&r) < 0 ||
        class_setup_out(&r, out_arg, &lock_fd) < 0)
        goto done;

    size_t todo = 0;
    char path[PATH_MAX];
    for (size_t i = 0; i < r.n; i++) {
        bool done = gradebook_student_done(r.out, r.s[i].name);
        r.s[i].skip = done && !r.force;
        todo += !r.s[i].skip;
        if (!done) { /* not ours (we rename whole directories): clear it */
            fs_path(path, sizeof path, "%s/students/%s", r.out, r.s[i].name);
            fs_rm_rf(path);
        }
    }
    struct roster ro;
    char err[512];
    if (class_make_roster(&r, &ro) < 0 ||
        gradebook_write_meta(r.out, &r.meta, &ro, err, sizeof err) < 0) {
        fprintf(stderr, "ipclab: %s\n", err);
        gradebook_free_roster(&ro);
        goto done;
    }
    gradebook_free_roster(&ro);
    if (!r.quiet)
        fprintf(
            stderr,
            "ipclab: lab %s, %zu student%s%s: %zu to grade, %zu already graded, -j%u%s\n",
            r.meta.slug, r.n, r.n == 1 ? "" : "s", r.meta.shard_n ? " in this shard" : "",
            todo, r.n - todo, r.jobs,
            gated && r.jobs > 1 ? " (speed gates: one native pass at a time, alone)"
                                : "");

    bool colour = progress_bar_colour(stdout);
    setenv("NO_COLOR", "1", 1); /* the reports are files: no escape codes in them */
    fs_path(path, sizeof path, "%s/.class-lock", r.out); /* speed gates run alone */
    setenv(CLASS_LOCK_ENV, path, 1);
    /* No student's sandbox sees the others' submissions or any output. */
    char subs_real[PATH_MAX], hide[2 * PATH_MAX + 2];
    if (realpath(r.subs, subs_real) == NULL)
        snprintf(subs_real, sizeof subs_real, "%s", r.subs);
    snprintf(hide, sizeof hide, "%s:%s", r.out, subs_real);
    setenv("IPCLAB_SANDBOX_HIDE", hide, 1);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int sig = class_grade_pending(&r, todo);
    fs_path(path, sizeof path, "%s/.work", r.out);
    fs_rm_rf(path);
    if (sig > 0) {
        size_t left = 0;
        for (size_t i = 0; i < r.n; i++)
            left += !gradebook_student_done(r.out, r.s[i].name);
        fprintf(stderr,
                "ipclab: interrupted: %zu of %zu students graded; run the same command "
                "again to grade the other %zu\n",
                r.n - left, r.n, left);
        close(lock_fd);
        class_free_students(&r);
        gradebook_free_meta(&r.meta);
        signal(sig, SIG_DFL); /* die of the same signal, so callers see why */
        raise(sig);
        return 128 + sig;
    }
    rc = sig < 0 ? 2 : class_report_end(&r, colour, pool_elapsed(&t0));
done:
    if (lock_fd >= 0)
        close(lock_fd);
    class_free_students(&r);
    gradebook_free_meta(&r.meta);
    return rc;
}
