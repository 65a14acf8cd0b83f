/*
 * sinks.c - several valgrind log sinks (grader/engine/vgsink.c) at once, as a
 * grade's memcheck shards use them, each fed by many processes at the same time.
 *
 * Usage: sinks SINKS WRITERS LINES DIR
 *
 * Opens SINKS sinks (each with its own reader thread), forks WRITERS processes
 * per sink that each write LINES datagrams "==PID== line K of PID" (the shape of
 * valgrind's log lines) plus a marker and an ERROR SUMMARY, then closes every
 * sink into DIR/sN/. Checks that each process's log holds exactly its own lines,
 * all of them, in order, and that vgsink_finished counted every writer. Prints
 * "ok" and exits 0, or prints the first problem and exits 1.
 */
#include "engine/vgsink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAX_SINKS = 8, MAX_WRITERS = 64 };

/* One writer process: its datagrams on fd, then exit. */
static void writer(int fd, int lines)
{
    char line[160];
    int pid = (int)getpid();
    int n = snprintf(line, sizeof line, "**%d** IPCLAB-TEST sinks/writer_%d\n", pid, pid);
    if (write(fd, line, (size_t)n) != n)
        _exit(3);
    for (int k = 0; k < lines; k++) {
        n = snprintf(line, sizeof line, "==%d== line %d of %d\n", pid, k, pid);
        if (write(fd, line, (size_t)n) != n)
            _exit(3);
    }
    n = snprintf(line, sizeof line, "==%d== ERROR SUMMARY: 0 errors from 0 contexts\n",
                 pid);
    _exit(write(fd, line, (size_t)n) == n ? 0 : 3);
}

/* Check DIR/PID.log: the header, then exactly PID's lines. 0, or -1 with a message. */
static int check_log(const char *dir, int pid, int lines)
{
    char path[4200], want[160], got[4096];
    snprintf(path, sizeof path, "%s/%d.log", dir, pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        printf("no log %s\n", path);
        return -1;
    }
    int k = -3; /* two header lines, the marker, then LINES lines, then the summary */
    int rc = 0;
    while (rc == 0 && fgets(got, sizeof got, f) != NULL) {
        if (k == -3 || k == -2) {
            k++;
            continue; /* the sink's own header (Parent PID, blank) */
        }
        if (k == -1)
            snprintf(want, sizeof want, "**%d** IPCLAB-TEST sinks/writer_%d\n", pid, pid);
        else if (k < lines)
            snprintf(want, sizeof want, "==%d== line %d of %d\n", pid, k, pid);
        else
            snprintf(want, sizeof want,
                     "==%d== ERROR SUMMARY: 0 errors from 0 contexts\n", pid);
        if (strcmp(got, want) != 0) {
            printf("%s: line %d is \"%.100s\", wanted \"%.100s\"\n", path, k + 3, got,
                   want);
            rc = -1;
        }
        k++;
    }
    if (rc == 0 && k != lines + 1) {
        printf("%s: %d lines of %d\n", path, k, lines + 1);
        rc = -1;
    }
    fclose(f);
    return rc;
}

int main(int argc, char *argv[])
{
    if (argc != 5) {
        fprintf(stderr, "usage: sinks SINKS WRITERS LINES DIR\n");
        return 2;
    }
    int nsinks = atoi(argv[1]), nwriters = atoi(argv[2]), lines = atoi(argv[3]);
    const char *top = argv[4];
    if (nsinks < 1 || nsinks > MAX_SINKS || nwriters < 1 || nwriters > MAX_WRITERS ||
        lines < 0) {
        fprintf(stderr, "sinks: SINKS 1-%d, WRITERS 1-%d, LINES >= 0\n", MAX_SINKS,
                MAX_WRITERS);
        return 2;
    }
    static struct vgsink sinks[MAX_SINKS];
    static pid_t pids[MAX_SINKS][MAX_WRITERS];
    for (int s = 0; s < nsinks; s++)
        if (vgsink_open(&sinks[s]) != 0) {
            perror("vgsink_open");
            return 1;
        }
    for (int s = 0; s < nsinks; s++)
        for (int w = 0; w < nwriters; w++) {
            pids[s][w] = fork();
            if (pids[s][w] < 0) {
                perror("fork");
                return 1;
            }
            if (pids[s][w] == 0)
                writer(sinks[s].send_fd, lines);
        }
    int rc = 0;
    for (int s = 0; s < nsinks; s++)
        for (int w = 0; w < nwriters; w++) {
            int status;
            if (waitpid(pids[s][w], &status, 0) < 0 || !WIFEXITED(status) ||
                WEXITSTATUS(status) != 0) {
                printf("writer %d of sink %d failed\n", (int)pids[s][w], s);
                rc = 1;
            }
        }
    for (int s = 0; s < nsinks; s++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/s%d", top, s);
        if (mkdir(dir, 0755) != 0) {
            perror(dir);
            return 1;
        }
        int logs = vgsink_close(&sinks[s], dir); /* reads what is left first */
        size_t finished = vgsink_finished(&sinks[s]);
        if (finished != (size_t)nwriters) {
            printf("sink %d counted %zu finished writers of %d\n", s, finished, nwriters);
            rc = 1;
        }
        if (logs != nwriters) {
            printf("sink %d wrote %d logs for %d writers\n", s, logs, nwriters);
            rc = 1;
        }
        for (int w = 0; w < nwriters && rc == 0; w++)
            if (check_log(dir, (int)pids[s][w], lines) != 0)
                rc = 1;
    }
    if (rc == 0)
        printf("ok\n");
    return rc;
}
