/* grade_all.c - grade-all's engine: list, unpack, grade in parallel and sum up a class.
 */
#include "class/grade_all.h"
#include "class/archive.h"
#include "engine/class_lock.h"
#include "base/fs.h"
#include "class/gradebook.h"
#include "class/pool.h"
#include "class/progress_bar.h"
#include "base/err.h"
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

/* cmp_student - qsort order by name (strcmp: the same in every locale). */
static int cmp_student(const void *a, const void *b)
{
    return strcmp(((const struct class_student *)a)->name,
                  ((const struct class_student *)b)->name);
}

void class_free_students(struct class_run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->s[i].name);
        free(r->s[i].entry);
        free(r->s[i].reason);
    }
    free(r->s);
    r->s = NULL;
    r->n = 0;
}

int class_list_students(struct class_run *r)
{
    DIR *dir = opendir(r->subs);
    if (dir == NULL) {
        fprintf(stderr, "ipclab: cannot open '%s': %s\n", r->subs, strerror(errno));
        return -1;
    }
    size_t cap = 0, n = 0;
    struct class_student *all = NULL;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[PATH_MAX];
        fs_path(path, sizeof path, "%s/%s", r->subs, e->d_name);
        size_t suffix = archive_suffix_len(e->d_name);
        bool is_dir = fs_is_dir(path);
        if (!is_dir && (suffix == 0 || !fs_is_file(path))) {
            fprintf(stderr, "ipclab: skipping '%s': not a directory or an archive\n",
                    path);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            struct class_student *bigger = realloc(all, cap * sizeof *all);
            if (bigger == NULL) {
                rc = -1;
                break;
            }
            all = bigger;
        }
        struct class_student *s = &all[n];
        memset(s, 0, sizeof *s);
        s->archive = !is_dir;
        s->name = strndup(e->d_name, strlen(e->d_name) - (is_dir ? 0 : suffix));
        s->entry = strdup(path);
        s->run = r;
        n++;
        if (s->name == NULL || s->entry == NULL)
            rc = -1;
    }
    closedir(dir);
    r->s = all;
    r->n = n;
    if (rc < 0)
        err_out_of_memory();
    qsort(all, n, sizeof *all, cmp_student);
    for (size_t i = 1; i < n; i++)
        if (strcmp(all[i - 1].name, all[i].name) == 0) {
            fprintf(stderr, "ipclab: '%s' and '%s' are both student '%s': keep one\n",
                    all[i - 1].entry, all[i].entry, all[i].name);
            return -1;
        }
    if (r->meta.shard_n > 0) { /* round robin over the sorted list: even, stable */
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (i % r->meta.shard_n == r->meta.shard_k - 1)
                all[k++] = all[i];
            else {
                free(all[i].name);
                free(all[i].entry);
            }
        }
        r->n = k;
    }
    return 0;
}

/*
 * descend - while dir holds exactly one visible entry and it is a
 * directory, step into it (archives often wrap everything in one folder).
 * dir is a PATH_MAX buffer, changed in place.
 */
static void descend(char *dir)
{
    for (int depth = 0; depth < 8; depth++) {
        DIR *d = opendir(dir);
        if (d == NULL)
            return;
        struct dirent *e;
        char only[NAME_MAX + 1] = "";
        int seen = 0;
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] != '.' && seen++ == 0)
                snprintf(only, sizeof only, "%s", e->d_name);
        closedir(d);
        char next[PATH_MAX];
        if (seen != 1 || fs_path(next, sizeof next, "%s/%s", dir, only) >= PATH_MAX ||
            !fs_is_dir(next))
            return;
        memcpy(dir, next, strlen(next) + 1);
    }
}

/* work_dir - OUT/.work/NAME: where a student is unpacked and graded. */
static void work_dir(const struct class_run *r, const struct class_student *s, char *buf,
                     size_t len)
{
    fs_path(buf, len, "%s/.work/%s", r->out, s->name);
}

/* set_reason - record why s could not be graded (printf-style). */
static void set_reason(struct class_student *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_reason(struct class_student *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(s->reason);
    if (vasprintf(&s->reason, fmt, ap) < 0)
        s->reason = NULL;
    va_end(ap);
}

/*
 * start_student - unpack s if it is an archive, then start `ipclab grade`
 * on it in the pool, writing into OUT/.work/NAME/out/. Returns 0 when it
 * started, or -1 with s->reason set (nothing is left in OUT/.work).
 */
static int start_student(struct class_run *r, struct pool *pool, struct class_student *s)
{
    char work[PATH_MAX], sub[PATH_MAX], out[PATH_MAX], p[5][PATH_MAX];
    work_dir(r, s, work, sizeof work);
    fs_path(out, sizeof out, "%s/out", work);
    fs_path(sub, sizeof sub, "%s/submission", work);
    if (fs_rm_rf(work) < 0 || fs_mkdir_p(out) < 0) {
        set_reason(s, "cannot create '%s': %s", out, strerror(errno));
        goto fail;
    }
    if (s->archive) {
        char err[512];
        if (mkdir(sub, 0755) < 0) {
            set_reason(s, "cannot create '%s': %s", sub, strerror(errno));
            goto fail;
        }
        if (archive_unpack(s->entry, sub, &UNPACK_DEFAULT_LIMITS, err, sizeof err) < 0) {
            set_reason(s, "bad archive '%s': %s", s->entry, err);
            goto fail;
        }
    } else if (realpath(s->entry, sub) == NULL) {
        set_reason(s, "cannot resolve '%s': %s", s->entry, strerror(errno));
        goto fail;
    }
    descend(sub);
    static const char *const names[] = {"results.json", "row.csv", "full.json",
                                        "report.txt", "grade.log"};
    for (int i = 0; i < 5; i++)
        fs_path(p[i], sizeof p[i], "%s/%s", out, names[i]);
    char *fixed[] = {"ipclab",       "grade", "--lab",         (char *)r->lab,
                     "--submission", sub,     "--json",        p[0],
                     "--csv",        p[1],    "--report-json", p[2],
                     "--student",    s->name, "--jobs",        "1"};
    enum { NFIXED = sizeof fixed / sizeof fixed[0] };
    char *argv[NFIXED + MAX_GRADE_OPTS + 3];
    memcpy(argv, fixed, sizeof fixed);
    memcpy(argv + NFIXED, r->extra, r->nextra * sizeof *argv);
    size_t k = NFIXED + r->nextra;
    char traces[PATH_MAX];
    if (r->traces) { /* where they stay: the report names them (see finish) */
        fs_path(traces, sizeof traces, "%s/students/%s/traces", r->out, s->name);
        if (fs_rm_rf(traces) < 0) { /* the last grade's charts */
            set_reason(s, "cannot remove '%s': %s", traces, strerror(errno));
            goto fail;
        }
        argv[k++] = "--trace-failures";
        argv[k++] = traces;
    }
    argv[k] = NULL;
    if (pool_start(pool, r->exe, argv, p[3], p[4], r->timeout, s) < 0) {
        set_reason(s, "cannot start '%s': %s", r->exe, strerror(errno));
        goto fail;
    }
    return 0;
fail:
    fs_rm_rf(work);
    return -1;
}

/* forget_student - pool callback for a child killed on interrupt: drop its work. */
static void forget_student(void *data)
{
    struct class_student *s = data;
    char work[PATH_MAX];
    work_dir(s->run, s, work, sizeof work);
    fs_rm_rf(work);
}

/* last_line - the last non-empty line of a small text file, into buf ("" if none). */
static void last_line(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    char *text = fs_read_text(path, 1u << 20);
    if (text == NULL)
        return;
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    char *nl = strrchr(text, '\n');
    snprintf(buf, len, "%s", nl != NULL ? nl + 1 : text);
    free(text);
}

/*
 * finish_student - s's grade ended with done->status. If it graded (exit 0
 * or 1, every output present), rename its outputs into OUT/students/NAME as
 * the last step, and put "score/max" into result; otherwise set s->reason
 * and keep the log as OUT/errors/NAME.log. The work directory is removed.
 * Returns true when graded; *full_marks says whether the score is the max.
 */
static bool finish_student(struct class_run *r, struct class_student *s,
                           const struct pool_done *done, char *result, size_t len,
                           bool *full_marks)
{
    char work[PATH_MAX], out[PATH_MAX], path[PATH_MAX], final[PATH_MAX];
    work_dir(r, s, work, sizeof work);
    fs_path(out, sizeof out, "%s/out", work);
    int st = done->status;
    bool graded = false;
    *full_marks = false;
    if (done->timed_out) {
        set_reason(s, "grading took longer than %.0f s", r->timeout);
    } else if (WIFSIGNALED(st)) {
        set_reason(s, "ipclab grade was killed by signal %d (%s)", WTERMSIG(st),
                   strsignal(WTERMSIG(st)));
    } else if (WEXITSTATUS(st) > 1) {
        char line[256];
        fs_path(path, sizeof path, "%s/grade.log", out);
        last_line(path, line, sizeof line);
        set_reason(s, "ipclab grade exited with %d%s%s", WEXITSTATUS(st),
                   line[0] ? ": " : "", line);
    } else {
        graded = true;
        for (size_t i = 0; i < GRADEBOOK_NSTUDENT_FILES && graded; i++) {
            fs_path(path, sizeof path, "%s/%s", out, GRADEBOOK_STUDENT_FILES[i]);
            if (!fs_is_file(path)) {
                set_reason(s, "ipclab grade wrote no %s", GRADEBOOK_STUDENT_FILES[i]);
                graded = false;
            }
        }
    }
    if (graded) {
        json_error_t jerr;
        fs_path(path, sizeof path, "%s/full.json", out);
        json_t *res = json_load_file(path, 0, &jerr);
        double score = 0, max = 0;
        if (res == NULL ||
            json_unpack(res, "{s:F, s:F}", "score", &score, "max_score", &max) < 0) {
            set_reason(s, "full.json has no score: %s", res ? "" : jerr.text);
            graded = false;
        }
        json_decref(res);
        snprintf(result, len, "%g/%g", score, max);
        *full_marks = score >= max;
    }
    fs_path(final, sizeof final, "%s/students/%s", r->out, s->name);
    /* The charts were drawn into final/traces already (--trace-failures): they
     * join the new outputs before the old folder goes. */
    fs_path(path, sizeof path, "%s/traces", final);
    char moved[PATH_MAX];
    fs_path(moved, sizeof moved, "%s/traces", out);
    if (graded && fs_is_dir(path) && rename(path, moved) < 0) {
        set_reason(s, "cannot keep the charts of '%s': %s", path, strerror(errno));
        graded = false;
    }
    if (graded && (fs_rm_rf(final) < 0 || rename(out, final) < 0)) {
        set_reason(s, "cannot move outputs to '%s': %s", final, strerror(errno));
        graded = false;
    }
    if (!graded) {
        fs_path(path, sizeof path, "%s/students/%s/traces", r->out, s->name);
        fs_rm_rf(path); /* charts of a grade that did not count */
        fs_path(path, sizeof path, "%s/grade.log", out);
        fs_path(final, sizeof final, "%s/errors", r->out);
        fs_mkdir_p(final);
        fs_path(final, sizeof final, "%s/errors/%s.log", r->out, s->name);
        if (fs_is_file(path))
            rename(path, final);
        snprintf(result, len, "not graded: %s", s->reason ? s->reason : "?");
    }
    fs_rm_rf(work);
    return graded;
}

int class_grade_pending(struct class_run *r, size_t todo)
{
    struct pool pool;
    if (pool_init(&pool, r->jobs) < 0) {
        fprintf(stderr, "ipclab: cannot set up the job pool: %s\n", strerror(errno));
        return -1;
    }
    struct progress_bar prog;
    progress_bar_init(&prog, stderr, todo, r->quiet);
    size_t next = 0;
    int stopped = 0;
    for (;;) {
        while (pool.running < pool.max && next < r->n) {
            struct class_student *s = &r->s[next++];
            if (s->skip)
                continue;
            if (start_student(r, &pool, s) < 0) {
                progress_bar_student(&prog, s->name, s->reason, false, 0);
                continue;
            }
        }
        progress_bar_tick(&prog, pool.running);
        if (pool.running == 0 && next >= r->n)
            break;
        struct pool_done done;
        int got = pool_next(&pool, 1000, &done);
        if (got < 0) {
            stopped = pool.stop_signal;
            break;
        }
        if (got == 1) {
            struct class_student *s = done.data;
            char result[512];
            bool full;
            bool ok = finish_student(r, s, &done, result, sizeof result, &full);
            prog.running = pool.running;
            progress_bar_student(&prog, s->name, result, ok && full, done.seconds);
        }
    }
    if (stopped) {
        progress_bar_end(&prog);
        if (!r->quiet)
            fprintf(stderr, "ipclab: %s: stopping %zu running grade%s\n",
                    strsignal(stopped), pool.running, pool.running == 1 ? "" : "s");
        pool_kill_all(&pool, 3.0, forget_student);
    }
    progress_bar_end(&prog);
    pool_destroy(&pool);
    return stopped;
}

int class_setup_out(struct class_run *r, const char *out_arg, int *lock_fd)
{
    char path[PATH_MAX];
    if (fs_mkdir_p(out_arg) < 0 || realpath(out_arg, r->out) == NULL) {
        fprintf(stderr, "ipclab: cannot create '%s': %s\n", out_arg, strerror(errno));
        return -1;
    }
    if (strlen(r->out) > PATH_MAX / 2) { /* room for .work/NAME/submission/... below */
        fprintf(stderr, "ipclab: '%s': path too long for --out\n", r->out);
        return -1;
    }
    fs_path(path, sizeof path, "%s/.lock", r->out);
    *lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*lock_fd < 0 || flock(*lock_fd, LOCK_EX | LOCK_NB) < 0) {
        fprintf(stderr, "ipclab: '%s' is in use by another grade-all (or: %s)\n", r->out,
                strerror(errno));
        return -1;
    }
    fs_path(path, sizeof path, "%s/grade-all.json", r->out);
    if (fs_is_file(path)) {
        struct class_meta old;
        struct roster ro;
        char err[512];
        if (gradebook_read_meta(r->out, &old, &ro, err, sizeof err) < 0) {
            fprintf(stderr, "ipclab: %s\n", err);
            return -1;
        }
        bool same = strcmp(old.slug, r->meta.slug) == 0 &&
                    old.shard_k == r->meta.shard_k && old.shard_n == r->meta.shard_n;
        if (!same)
            fprintf(
                stderr,
                "ipclab: '%s' holds grades of %s (shard %u/%u), not %s (shard %u/%u): "
                "use another --out\n",
                r->out, old.slug, old.shard_k, old.shard_n, r->meta.slug, r->meta.shard_k,
                r->meta.shard_n);
        gradebook_free_meta(&old);
        gradebook_free_roster(&ro);
        if (!same)
            return -1;
    }
    fs_path(path, sizeof path, "%s/.work", r->out);
    if (fs_rm_rf(path) < 0 || fs_mkdir_p(path) < 0) { /* a killed run's leftovers */
        fprintf(stderr, "ipclab: cannot reset '%s': %s\n", path, strerror(errno));
        return -1;
    }
    fs_path(path, sizeof path, "%s/students", r->out);
    if (fs_mkdir_p(path) < 0) {
        fprintf(stderr, "ipclab: cannot create '%s': %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int class_make_roster(const struct class_run *r, struct roster *ro)
{
    memset(ro, 0, sizeof *ro);
    for (size_t i = 0; i < r->n; i++)
        if (roster_add(ro, r->s[i].name, r->s[i].reason) < 0)
            return -1;
    return 0;
}

int class_report_end(struct class_run *r, bool colour, double seconds)
{
    struct roster ro;
    struct histogram h;
    char err[512];
    if (class_make_roster(r, &ro) < 0)
        err_out_of_memory();
    long graded = gradebook_finish(r->out, &r->meta, &ro, &h, err, sizeof err);
    gradebook_free_roster(&ro);
    if (graded < 0) {
        fprintf(stderr, "ipclab: %s\n", err);
        return 2;
    }
    size_t ungraded = 0;
    for (size_t i = 0; i < r->n; i++)
        ungraded += r->s[i].reason != NULL;
    if (!r->quiet) {
        printf("\n");
        histogram_print(stdout, &h, colour);
        printf(
            "\nGradebook: %s/gradebook.csv (%ld student%s), summary: %s/summary.json\n",
            r->out, graded, graded == 1 ? "" : "s", r->out);
        printf("Took %.1f s with -j%u.\n", seconds, r->jobs);
    }
    if (ungraded > 0) {
        fprintf(stderr, "\n%zu student%s could not be graded (re-run to retry):\n",
                ungraded, ungraded == 1 ? "" : "s");
        for (size_t i = 0; i < r->n; i++)
            if (r->s[i].reason != NULL)
                fprintf(stderr, "  %s: %s\n", r->s[i].name, r->s[i].reason);
    }
    return ungraded > 0 ? 1 : 0;
}
