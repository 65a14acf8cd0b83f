/* Harmless: proves the tests run unprivileged with the course read-only and
 * a minimal view: no reference solutions, history, broken variants, the
 * lab's test sources, the grader's build cache (its lock files), host
 * services (/run) or homes, and the empty folders that hide them read-only
 * (a file count their size would not bound); no nested user namespace;
 * every writable tmpfs capped at 512 MiB. Any failure crashes the target test (the expect
 * file wants it passed) after naming what it saw on stderr. */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Crash with a reason: the harness reports the target test as crashed. */
static void corpus_not_isolated(const char *why, const char *what)
{
    fprintf(stderr, "corpus sandbox-check: %s: %s\n", why, what);
    abort();
}

/* True when dir has an entry other than . and .. */
static int corpus_has_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;
    while (d != NULL && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' || (e->d_name[1] != '\0' && e->d_name[1] != '.'))
            found = 1;
    if (d != NULL)
        closedir(d);
    return found;
}

static void corpus_hostile(void)
{
    if (getuid() == 0)
        corpus_not_isolated("runs as", "root");
    if (access(CORPUS_COURSE "/Makefile", W_OK) == 0)
        corpus_not_isolated("writable", CORPUS_COURSE "/Makefile");
    const char *hidden[] = {CORPUS_COURSE "/solutions",
                            CORPUS_COURSE "/.git",
                            CORPUS_COURSE "/tests",
                            "/run",
                            "/root",
                            CORPUS_LABDIR "/tests",
                            CORPUS_COURSE "/build/grade-cache"};
    for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++) {
        char made[4200];
        snprintf(made, sizeof made, "%s/corpus-made", hidden[i]);
        if (corpus_has_entries(hidden[i]))
            corpus_not_isolated("visible", hidden[i]);
        if (mkdir(made, 0700) == 0 || (errno != EROFS && errno != ENOENT))
            corpus_not_isolated("writable (or not read-only)", hidden[i]);
    }
    if (unshare(CLONE_NEWUSER) == 0)
        corpus_not_isolated("allowed", "a nested user namespace");
    const char *tmpfs[] = {"/tmp", "/dev/shm", "/var/tmp"};
    for (size_t i = 0; i < sizeof tmpfs / sizeof tmpfs[0]; i++) {
        struct statvfs sv;
        if (statvfs(tmpfs[i], &sv) != 0 ||
            (unsigned long long)sv.f_blocks * sv.f_frsize > 512ull << 20)
            corpus_not_isolated("larger than 512 MiB", tmpfs[i]);
    }
}
