/* vglog.c - parses valgrind memcheck text logs (one per process) into per-test data. */
#include "engine/vglog.h"
#include "base/fs.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LOGS     4096
#define EVIDENCE_MAX 1200

/* What one process's log says. */
struct vg_proc {
    long pid, ppid;
    char test[256]; /* "" unless the log names its test */
    int errors;
    bool complete; /* the log reached its ERROR SUMMARY (the process ended) */
    bool aborted;  /* valgrind itself failed an assertion in this process */
    char *abort_text;
    long leak_bytes, leak_blocks;
    char *error_text, *leak_text;
};

/* Parse "1,234" (valgrind's thousands separators) into a number. */
static long parse_count(const char *s)
{
    long v = 0;
    for (; *s == ',' || (*s >= '0' && *s <= '9'); s++)
        if (*s != ',')
            v = v * 10 + (*s - '0');
    return v;
}

/* Append one log line (without its ==PID== prefix) to *text, within EVIDENCE_MAX. */
static void add_line(char **text, const char *raw)
{
    char *line = text_clean(raw);
    size_t have = *text ? strlen(*text) : 0, add = strlen(line);
    char *s = have + add + 2 <= EVIDENCE_MAX ? realloc(*text, have + add + 2) : NULL;
    if (s != NULL) {
        memcpy(s + have, line, add);
        s[have + add] = '\n';
        s[have + add + 1] = '\0';
        *text = s;
    }
    free(line);
}

/* Is body a stack frame of the shim (labs/support/shim.c), which sits between the
 * student's call and libc ("by 0x1234: ipclab_shim_malloc (shim.c:12)")? Reports
 * leave it out: the student called malloc, not the shim. */
static bool shim_frame(const char *body)
{
    return body[0] == ' ' && (strstr(body, " at 0x") || strstr(body, " by 0x")) &&
           strstr(body, ": ipclab_shim_") != NULL;
}

/* Read one log file into *vp. Returns 0, or -1 if it cannot be read. */
static int parse_log(const char *path, struct vg_proc *vp)
{
    FILE *f = fs_fopen_untrusted(path, 64u << 20); /* the sandbox could replace it */
    if (f == NULL)
        return -1;
    char line[4096];
    enum { NONE, ERROR_BLOCK, LEAK_BLOCK } in = NONE;
    bool header_done = false;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        const char *body = line;
        if (line[0] == '=' && line[1] == '=') {
            const char *end = strstr(line + 2, "== ");
            body = end != NULL ? end + 3 : "";
            if (end == NULL && strstr(line + 2, "==") != NULL)
                body = ""; /* "==PID==" alone: a blank log line */
        } else if (line[0] == '*' && line[1] == '*') {
            const char *t = strstr(line, "IPCLAB-TEST ");
            if (t != NULL && vp->test[0] == '\0')
                snprintf(vp->test, sizeof vp->test, "%s", t + 12);
            continue;
        } else if (strncmp(line, "valgrind: ", 10) == 0 &&
                   (strstr(line, "Assertion") != NULL ||
                    strstr(line, "the 'impossible' happened") != NULL)) {
            /* valgrind aborted: the code under test wrote its pipes or memory */
            if (!vp->aborted)
                add_line(&vp->abort_text, line);
            vp->aborted = true;
            continue;
        } else {
            continue;
        }
        const char *p;
        if ((p = strstr(body, "Parent PID: ")) != NULL) {
            vp->ppid = atol(p + 12);
            continue;
        }
        if (body[0] == '\0') {
            in = NONE;
            header_done = header_done || vp->ppid != 0;
            continue;
        }
        if ((p = strstr(body, "ERROR SUMMARY: ")) != NULL) {
            vp->errors = (int)parse_count(p + 15);
            vp->complete = true;
            continue;
        }
        if ((p = strstr(body, "definitely lost: ")) != NULL &&
            strstr(body, "in") != NULL && body[0] == ' ') {
            vp->leak_bytes = parse_count(p + 17);
            const char *in_ = strstr(p, " in ");
            vp->leak_blocks = in_ ? parse_count(in_ + 4) : 0;
            continue;
        }
        if (in != NONE && shim_frame(body))
            continue;
        if (in == ERROR_BLOCK && vp->error_text != NULL) {
            add_line(&vp->error_text, body);
            continue;
        }
        if (in == LEAK_BLOCK) {
            add_line(&vp->leak_text, body);
            continue;
        }
        if (!header_done || body[0] == ' ')
            continue;
        if (strstr(body, "are definitely lost in loss record") != NULL) {
            if (vp->leak_text == NULL) {
                add_line(&vp->leak_text, body);
                in = LEAK_BLOCK;
            }
            continue;
        }
        if (strncmp(body, "HEAP SUMMARY", 12) == 0 ||
            strncmp(body, "LEAK SUMMARY", 12) == 0 ||
            strncmp(body, "All heap blocks", 15) == 0 ||
            strncmp(body, "For lists", 9) == 0 || strncmp(body, "For counts", 10) == 0 ||
            strstr(body, "lost in loss record") || strncmp(body, "Memcheck", 8) == 0 ||
            strncmp(body, "Command:", 8) == 0 || strncmp(body, "Copyright", 9) == 0 ||
            strncmp(body, "Using Valgrind", 14) == 0 ||
            strncmp(body, "Reachable blocks", 16) == 0 ||
            strncmp(body, "To see them", 11) == 0 ||
            strncmp(body, "Rerun with", 10) == 0 ||
            strncmp(body, "Process terminating", 19) == 0 ||
            strncmp(body, "Warning:", 8) == 0)
            continue;
        /* The first line of an error report ("Invalid read of size 4", ...). */
        if (vp->error_text == NULL) {
            add_line(&vp->error_text, body);
            in = ERROR_BLOCK;
        }
    }
    fclose(f);
    if (vp->aborted) {
        /* Its findings are lost: count the abort itself as the error. */
        char *text = NULL;
        add_line(&text, "valgrind itself aborted in this process, so memcheck could not "
                        "check it (code that writes valgrind's own pipes, for example "
                        "reopened through /proc/self/fd, does this):");
        add_line(&text, vp->abort_text);
        free(vp->error_text);
        vp->error_text = text;
        vp->errors++;
        vp->complete = true;
    }
    free(vp->abort_text);
    vp->abort_text = NULL;
    return 0;
}

/* Find the test a process belongs to by following parent pids. */
static const char *owner(struct vg_proc *procs, int n, int i)
{
    for (int depth = 0; depth < 64 && i >= 0; depth++) {
        if (procs[i].test[0] != '\0')
            return procs[i].test;
        int parent = -1;
        for (int j = 0; j < n; j++)
            if (procs[j].pid == procs[i].ppid) {
                parent = j;
                break;
            }
        i = parent;
    }
    return NULL;
}

int vglog_collect(struct grade *g, const char *dir, bool mark_started)
{
    DIR *d = fs_opendir_untrusted(dir);
    if (d == NULL)
        return 0;
    struct vg_proc *procs = calloc(MAX_LOGS, sizeof *procs);
    int n = 0;
    struct dirent *e;
    while (procs != NULL && n < MAX_LOGS && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".log") != 0)
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        procs[n].pid = atol(e->d_name);
        if (parse_log(path, &procs[n]) == 0)
            n++;
    }
    closedir(d);
    /* Only tests whose worker ran to its end here count (a run may be cut);
     * those whose worker began are started, finished or not. */
    bool *done = calloc(g->m.ntests + 1, sizeof *done);
    for (int i = 0; done != NULL && i < n; i++)
        for (size_t t = 0; procs[i].test[0] != '\0' && t < g->m.ntests; t++)
            if (strcmp(g->tests[t].mt->name, procs[i].test) == 0) {
                g->tests[t].vg_started = g->tests[t].vg_started || mark_started;
                done[t] = done[t] || procs[i].complete;
            }
    for (int i = 0; done != NULL && i < n; i++) {
        const char *test = owner(procs, n, i);
        for (size_t t = 0; test != NULL && t < g->m.ntests; t++) {
            struct test_result *r = &g->tests[t];
            if (!done[t] || strcmp(r->mt->name, test) != 0)
                continue;
            if (procs[i].test[0] != '\0')
                r->vg_ran = true;
            r->vg_errors += procs[i].errors;
            r->vg_leak_bytes += procs[i].leak_bytes;
            r->vg_leak_blocks += procs[i].leak_blocks;
            if (r->vg_error_text == NULL && procs[i].error_text != NULL &&
                procs[i].errors) {
                r->vg_error_text = procs[i].error_text;
                procs[i].error_text = NULL;
            }
            if (r->vg_leak_text == NULL && procs[i].leak_text != NULL) {
                r->vg_leak_text = procs[i].leak_text;
                procs[i].leak_text = NULL;
            }
        }
    }
    for (int i = 0; i < n; i++) {
        free(procs[i].error_text);
        free(procs[i].leak_text);
    }
    free(done);
    free(procs);
    return n;
}
