/* watch.c - `ipclab watch [NN]`: re-run check each time a student file is saved. */
#include "cli/cli.h"
#include "base/proc.h"
#include "base/term.h"
#include "engine/course.h"
#include "engine/progress_file.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEBOUNCE_MS 50 /* editors write twice (truncate+write, or backup+rename) */

static const char usage[] =
    "usage: ipclab watch [--asan] [NN] [TEST-GLOB]\n"
    "\n"
    "Runs `ipclab check NN` now and again each time you save a file in\n"
    "labs/NN-x/src (inotify), clearing the screen between runs. A build that\n"
    "fails is shown and watched like any other. NN defaults to the lab in\n"
    "progress (the last one checked). When only a few tests failed last time,\n"
    "their verdict is shown first, as soon as they have run, while the others\n"
    "still run; then the whole lab's. Ctrl-C quits.\n"
    "\n"
    "Exit status: that of the last check (0 when every test passed).\n";

static volatile sig_atomic_t quit; /* set by SIGINT/SIGTERM/SIGHUP */

/* Signal handler: ask the loop to stop (poll returns EINTR). */
static void on_quit(int sig)
{
    (void)sig;
    quit = 1;
}

/*
 * last_failures - "@(a|b)": a glob of the tests of lab dir (manifest m) that
 * failed in its last recorded check, leaving out perf tests (they always run
 * alone, last), when there are some but at most a quarter of the lab
 * (reporting them first is then worth it), else NULL. malloc'd.
 */
static char *last_failures(const char *dir, const struct manifest *m)
{
    const char *slash = strrchr(dir, '/');
    char id[3] = {slash ? slash[1] : '0', slash ? slash[2] : '0', '\0'};
    json_t *p = progress_load();
    json_t *lab = json_object_get(json_object_get(p, "labs"), id);
    json_t *failing = json_object_get(lab, "failing");
    size_t n = json_array_size(failing);
    json_int_t total = json_integer_value(json_object_get(lab, "total"));
    char *glob = NULL;
    if (n > 0 && (json_int_t)n * 4 <= total) {
        size_t i;
        json_t *t;
        json_array_foreach(failing, i, t)
        {
            const char *name = json_string_value(t);
            const struct manifest_test *mt = name ? manifest_find_test(m, name) : NULL;
            if (mt == NULL || (mt->options & OPT_PERF))
                continue;
            char *g = xasprintf("%s%s%s", glob ? glob : "@(", glob ? "|" : "", name);
            free(glob);
            glob = g;
        }
    }
    if (glob != NULL) {
        char *g = xasprintf("%s)", glob);
        free(glob);
        glob = g;
    }
    json_decref(p);
    return glob;
}

/*
 * Run one check in a child (a crash or an exit() in the check cannot end
 * the watch), clearing the screen first on a terminal. Returns the check's
 * exit status, or 2 when it could not run or was interrupted.
 */
static int run_check(const char *dir, const struct manifest *m,
                     const struct check_opts *o, bool tty)
{
    if (tty)
        fputs("\033[H\033[2J\033[3J", stdout);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        proc_install_signals();
        struct check_result res;
        /* The tests being fixed first: their verdict at once. */
        struct check_opts fo = *o;
        char *first = o->glob == NULL ? last_failures(dir, m) : NULL;
        fo.first = first;
        int rc = check_lab(dir, &fo, &res);
        free(first);
        fflush(stdout);
        _exit(rc);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 2;
        else if (quit)
            kill(pid, SIGINT);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

/* Is name one of the manifest's student files? */
static bool is_student_file(const struct manifest *m, const char *name)
{
    for (size_t i = 0; i < m->nstudent_files; i++)
        if (strcmp(m->student_files[i], name) == 0)
            return true;
    return false;
}

/*
 * Read the pending inotify events of fd; returns true when one names a
 * student file (or the queue overflowed), false otherwise.
 */
static bool drain(int fd, const struct manifest *m)
{
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool hit = false;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
            if ((ev->mask & IN_Q_OVERFLOW) ||
                (ev->len > 0 && is_student_file(m, ev->name)))
                hit = true;
            p += sizeof *ev + ev->len;
        }
    return hit;
}

/* The lab to watch when none is given: the lab in progress, else the first. */
static const char *default_lab(char *buf, size_t len)
{
    json_t *p = progress_load();
    const char *cur = json_string_value(json_object_get(p, "current"));
    snprintf(buf, len, "%s", cur ? cur : "00");
    json_decref(p);
    return buf;
}

/* cmd_watch - `ipclab watch [--asan] [NN] [GLOB]` until Ctrl-C; status of the last check.
 */
int cmd_watch(int argc, char **argv)
{
    char spec[16], dir[4096], src[4200];
    struct check_opts o;
    const char *fallback = default_lab(spec, sizeof spec);
    int rc = check_args(argc, argv, usage, fallback, &o, dir, sizeof dir);
    if (rc >= 0)
        return rc;
    struct manifest m;
    if (manifest_load(dir, &m) < 0)
        return 2;
    snprintf(src, sizeof src, "%s/src", dir);
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0 ||
        inotify_add_watch(fd, src, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0) {
        fprintf(stderr, "ipclab: cannot watch '%s': %s\n", src, strerror(errno));
        manifest_free(&m);
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_quit}; /* no SA_RESTART: poll must wake */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    bool tty = isatty(1);
    struct colours c = term_colours(stdout);
    rc = 2;
    while (!quit) {
        rc = run_check(dir, &m, &o, tty);
        if (quit)
            break;
        fprintf(stdout, "\n%swatching labs/%s/src for saves (Ctrl-C to quit)%s\n", c.dim,
                m.slug, c.off);
        fflush(stdout);
        bool changed = drain(fd, &m); /* saved while the check ran: run again */
        while (!quit && !changed) {
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            if (poll(&pfd, 1, -1) > 0)
                changed = drain(fd, &m);
        }
        /* Debounce: wait until the editor has been quiet for DEBOUNCE_MS. */
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        while (!quit && poll(&pfd, 1, DEBOUNCE_MS) > 0)
            drain(fd, &m);
    }
    fprintf(stdout, "\nipclab watch: stopped\n");
    close(fd);
    manifest_free(&m);
    return rc;
}
