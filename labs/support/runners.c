/* runners.c - fork runners that share the tests of one run (runners.h). */
#include "runners.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_uchar *claims; /* the claim table, or NULL (one runner) */
static size_t nclaims;       /* its bytes */

static int report_fd = -1;             /* a sibling: its pipe to the first runner */
static int gather_fd[RUNNERS_MAX];     /* the first runner: one pipe per sibling */
static pid_t sibling_pid[RUNNERS_MAX]; /* ... and that sibling */
static int nsiblings;

/* The number of runners $IPCLAB_RUNNERS asks for (1 when unset or bad). */
static int runners_wanted(void)
{
    const char *env = getenv("IPCLAB_RUNNERS");
    long n = env != NULL ? strtol(env, NULL, 10) : 1;
    return n < 1 ? 1 : (n > RUNNERS_MAX ? RUNNERS_MAX : (int)n);
}

int runners_start(size_t ntests)
{
    int want = runners_wanted();
    if ((size_t)want > ntests)
        want = (int)ntests;
    if (want < 2)
        return 0;
    /* A memfd, for its name in /proc/PID/maps (tests/corpus: forge-claims);
     * the fd goes at once, the runners keep the mapping. */
    int fd = memfd_create("ipclab-claims", MFD_CLOEXEC);
    void *table = fd >= 0 && ftruncate(fd, (off_t)ntests) == 0
                      ? mmap(NULL, ntests, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                      : MAP_FAILED;
    if (fd >= 0)
        close(fd);
    if (table == MAP_FAILED)
        return 0;
    claims = table;
    nclaims = ntests;
    pid_t first = getpid();
    fflush(NULL);
    for (int k = 1; k < want; k++) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
            break;
        pid_t pid = fork();
        if (pid < 0) {
            close(p[0]);
            close(p[1]);
            break;
        }
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != first) /* it died before prctl */
                _exit(1);
            close(p[0]);
            for (int j = 0; j < nsiblings; j++)
                close(gather_fd[j]);
            nsiblings = 0;
            report_fd = p[1];
            return k;
        }
        close(p[1]);
        gather_fd[nsiblings] = p[0];
        sibling_pid[nsiblings++] = pid;
    }
    return 0;
}

bool runners_claim(size_t k)
{
    return claims == NULL || k >= nclaims || atomic_exchange(&claims[k], 1) == 0;
}

void runners_close_in_child(void)
{
    if (claims != NULL)
        munmap((void *)claims, nclaims);
    claims = NULL;
    if (report_fd >= 0)
        close(report_fd);
    report_fd = -1;
    for (int j = 0; j < nsiblings; j++)
        close(gather_fd[j]);
    nsiblings = 0;
}

void runners_send(const json_t *tests)
{
    json_dumpfd(tests, report_fd, JSON_COMPACT);
    close(report_fd);
    report_fd = -1;
}

int runners_gather(json_t *tests)
{
    int lost = 0;
    for (int j = 0; j < nsiblings; j++) {
        json_t *theirs = json_loadfd(gather_fd[j], 0, NULL); /* up to its end */
        close(gather_fd[j]);
        while (waitpid(sibling_pid[j], NULL, 0) < 0 && errno == EINTR)
            ;
        if (!json_is_array(theirs)) {
            fprintf(stderr,
                    "ipclab fork runner: runner %d (pid %d) ended without its "
                    "report: the tests it ran are missing\n",
                    j + 1, (int)sibling_pid[j]);
            lost++;
        } else {
            json_array_extend(tests, theirs);
        }
        json_decref(theirs);
    }
    nsiblings = 0;
    if (claims != NULL)
        munmap((void *)claims, nclaims);
    claims = NULL;
    return lost;
}
