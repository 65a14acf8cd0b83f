/* Leaves a daemon that keeps rewriting the native pass's report files (an
 * all-passed results.json, clean end records) for a minute, in case the
 * grader reads them late; then its test crashes. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
static void corpus_forge(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%.4000s/results.json", dir);
    FILE *f = fopen(path, "w");
    if (f != NULL) {
        fprintf(f,
                "{\"tests\":[{\"name\":\"%s\",\"status\":\"passed\",\"signal\":0,"
                "\"exit_code\":0,\"time\":0.01,\"message\":\"\",\"failures\":[]}]}\n",
                CORPUS_TARGET);
        fclose(f);
    }
    snprintf(path, sizeof path, "%.4000s/probe.jsonl", dir);
    f = fopen(path, "a");
    if (f != NULL) {
        fprintf(f,
                "{\"event\":\"end\",\"test\":\"%s\",\"pid\":2,\"fds\":[],"
                "\"children\":0,\"ipc\":[]}\n",
                CORPUS_TARGET);
        fclose(f);
    }
}
static void corpus_hostile(void)
{
    const char *probe = getenv("IPCLAB_PROBE_FILE");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", probe != NULL ? probe : "native/probe.jsonl");
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    if (fork() == 0) {
        setsid();
        signal(SIGHUP, SIG_IGN);
        if (fork() != 0)
            _exit(0);
        struct timespec pause = {0, 5000000};
        for (int i = 0; i < 12000; i++) {
            corpus_forge(dir);
            nanosleep(&pause, NULL);
        }
        _exit(0);
    }
    abort();
}
