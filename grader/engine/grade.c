/* grade.c - one grade's lifecycle (grade_init/grade_free) and what its modules share. */
#include "engine/grade.h"
#include "engine/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

const char *verdict_name(enum verdict v)
{
    switch (v) {
    case V_PASSED:
        return "passed";
    case V_FAILED:
        return "failed";
    case V_CRASHED:
        return "crashed";
    case V_TIMEOUT:
        return "timeout";
    case V_SKIPPED:
        return "skipped";
    default:
        return "not run";
    }
}

void grade_init(struct grade *g)
{
    g->tests = xcalloc(g->m.ntests, sizeof *g->tests);
    for (size_t i = 0; i < g->m.ntests; i++)
        g->tests[i].mt = &g->m.tests[i];
}

void test_result_free(struct test_result *r)
{
    free(r->message);
    free(r->hang);
    free(r->hang_details);
    free(r->children_desc);
    free(r->vg_error_text);
    free(r->vg_leak_text);
    free(r->vg_unchecked);
    free(r->trace);
    free(r->stress_message);
    json_decref(r->fds);
    json_decref(r->ipc);
}

void grade_free(struct grade *g)
{
    for (size_t i = 0; g->tests != NULL && i < g->m.ntests; i++)
        test_result_free(&g->tests[i]);
    for (size_t i = 0; i < g->ndeds; i++) {
        free(g->deds[i].evidence);
        free(g->deds[i].command);
    }
    free(g->deds);
    free(g->tests);
    free(g->build_log);
    audit_free(&g->audit);
    free(g->missing_files);
    free(g->infra_error);
    free(g->runner_note);
    free(g->cleaned);
    free(g->left_behind);
    manifest_free(&g->m);
}

void grade_add_deduction(struct grade *g, enum policy_category cat, const char *test,
                         double points, char *evidence, char *command)
{
    g->deds = xrealloc(g->deds, (g->ndeds + 1) * sizeof *g->deds);
    g->deds[g->ndeds++] = (struct deduction){cat, test, points, evidence, command};
}

#define UID_BASE  210000
#define UID_SLOTS 4096

int grade_uid(void)
{
    static int uid = -2;
    if (uid != -2)
        return uid;
    uid = -1;
    if (geteuid() != 0)
        return uid;
    const char *dirs[] = {"/run/ipclab-uids", "/tmp/ipclab-uids"};
    for (size_t d = 0; d < 2 && uid < 0; d++) {
        if (mkdir(dirs[d], 0700) < 0 && errno != EEXIST)
            continue;
        for (int slot = 0; slot < UID_SLOTS; slot++) {
            char path[64];
            snprintf(path, sizeof path, "%s/%d", dirs[d], slot);
            int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
            if (fd < 0)
                break;
            if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
                uid = UID_BASE + slot; /* fd stays open: the slot is ours */
                break;
            }
            close(fd);
        }
    }
    if (uid < 0)
        uid = 65534; /* every slot taken: share nobody */
    return uid;
}

int grade_chown(const char *path)
{
    int uid = grade_uid();
    if (uid < 0)
        return 0;
    return chown(path, (uid_t)uid, (gid_t)uid);
}

bool ipc_owned_by_us(const char *kind, const char *name)
{
    uid_t me = grade_uid() >= 0 ? (uid_t)grade_uid() : getuid();
    const char *idp = strstr(name, "id=");
    int id = idp != NULL ? atoi(idp + 3) : -1;
    if (strcmp(kind, "sysv-msg") == 0 && id >= 0) {
        struct msqid_ds ds;
        return msgctl(id, IPC_STAT, &ds) < 0 || ds.msg_perm.cuid == me;
    }
    if (strcmp(kind, "sysv-shm") == 0 && id >= 0) {
        struct shmid_ds ds;
        return shmctl(id, IPC_STAT, &ds) < 0 || ds.shm_perm.cuid == me;
    }
    if (strcmp(kind, "sysv-sem") == 0 && id >= 0) {
        struct semid_ds ds;
        return semctl(id, 0, IPC_STAT, &ds) < 0 || ds.sem_perm.cuid == me;
    }
    char path[512];
    if (strcmp(kind, "posix-shm") == 0)
        snprintf(path, sizeof path, "/dev/shm/%s", name + (name[0] == '/'));
    else if (strcmp(kind, "posix-sem") == 0)
        snprintf(path, sizeof path, "/dev/shm/sem.%s", name + (name[0] == '/'));
    else if (strcmp(kind, "posix-mq") == 0)
        snprintf(path, sizeof path, "/dev/mqueue/%s", name + (name[0] == '/'));
    else
        snprintf(path, sizeof path, "%s", name);
    struct stat st;
    return lstat(path, &st) < 0 || st.st_uid == me;
}
