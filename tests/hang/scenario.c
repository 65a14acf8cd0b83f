/* scenario.c - make a test hang for real in a known way, then print what hang_explain()
 * says.
 *
 * Usage: scenario MODE DIR
 *
 * The observer (this process) forks the "test": a process tree that blocks
 * deterministically in the way MODE names (a reader with a leaked write end,
 * a two-pipe deadlock, a FIFO open without a peer, ...). The observer polls
 * /proc until every process of the test sleeps in the expected system call,
 * calls hang_explain() on the tree, prints
 *
 *   role NAME=PID        one line per process of the test
 *   sentence: TEXT       the sentence
 *   | DETAIL             the details, one line each
 *
 * then kills and reaps every process (by pid) and removes every IPC object.
 * DIR holds the FIFOs and sockets. Exit status 0, or 1 if the test never
 * reached the expected state within 10 s (the report is printed anyway).
 */
#include "hang/hang.h"
#include "hang/procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BIG (1 << 20) /* more than any pipe holds by default */

static char fifo_path[256]; /* DIR/fifo */
static char sock_path[108]; /* DIR/sock */
static char sem_name[64];   /* /ipclab-hang-PID */
static key_t ipc_key;       /* SysV key unique to this observer */

/* Die in a forked process of the test: name the call, never run atexit handlers. */
static void die_child(const char *what)
{
    fprintf(stderr, "scenario: %s: %s\n", what, strerror(errno));
    _exit(99);
}

/* Name the calling process (what /proc/PID/stat shows) and die with its parent. */
static void become(const char *role)
{
    prctl(PR_SET_NAME, role);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        die_child("prctl");
}

/* fork() for the test: the child gets role, and dies if its parent dies. */
static pid_t fork_role(const char *role)
{
    pid_t pid = fork();
    if (pid < 0)
        die_child("fork");
    if (pid == 0)
        become(role);
    return pid;
}

/* Check that an fd got the number the expected sentence names. */
static void expect_fd(int fd, int want)
{
    if (fd != want) {
        errno = EBADF;
        die_child("unexpected fd number");
    }
}

/* A pipe (or a unix stream socketpair) on fds 3 and 4, which the expected sentences name.
 */
static void pair_at_3_4(int fds[2], bool socket)
{
    if (socket ? socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0 : pipe(fds) < 0)
        die_child(socket ? "socketpair" : "pipe");
    expect_fd(fds[0], 3);
    expect_fd(fds[1], 4);
}

/* Write len bytes of zeroes to fd (blocks once the pipe is full). */
static void write_big(int fd)
{
    static char buf[BIG];
    if (write(fd, buf, sizeof buf) < 0)
        die_child("write");
}

/* Read until EOF: the reader of a pipe. */
static void read_to_eof(int fd)
{
    char buf[256];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        ;
    if (n < 0)
        die_child("read");
}

/*
 * A reader that forgets to close the other end of what it reads (a pipe:
 * it reads fd 3 and keeps fd 4; a socketpair: it reads fd 4 and keeps fd
 * 3); the parent writes, closes both of its ends and waits.
 */
static void leaky_reader(bool socket)
{
    int fds[2];
    pair_at_3_4(fds, socket);
    int rd = socket ? 1 : 0, wr = 1 - rd;
    if (fork_role("reader") == 0) {
        read_to_eof(fds[rd]); /* BUG: fds[wr] is still open here */
        _exit(0);
    }
    close(fds[rd]);
    if (write(fds[wr], "hello", 5) != 5)
        die_child("write");
    close(fds[wr]);
    wait(NULL);
}

/* The reader forgets to close its own write end; the parent closes both of its ends. */
static void test_leak(void)
{
    leaky_reader(false);
}

/* The reader closes its write end, but the parent keeps its own while it waits. */
static void test_leak_parent(void)
{
    int p[2];
    pair_at_3_4(p, false);
    if (fork_role("reader") == 0) {
        close(p[1]);
        read_to_eof(p[0]);
        _exit(0);
    }
    close(p[0]);
    if (write(p[1], "hello", 5) != 5)
        die_child("write");
    wait(NULL); /* BUG: p[1] should be closed before waiting */
}

/* Two children: the writer is done but stays alive holding the write end. */
static void test_leak_sibling(void)
{
    int p[2];
    pair_at_3_4(p, false);
    if (fork_role("writer") == 0) {
        close(p[0]);
        if (write(p[1], "hello", 5) != 5)
            die_child("write");
        pause(); /* BUG: still holding p[1] */
        _exit(0);
    }
    if (fork_role("reader") == 0) {
        close(p[1]);
        read_to_eof(p[0]);
        _exit(0);
    }
    close(p[0]);
    close(p[1]);
    while (wait(NULL) > 0)
        ;
}

/* The writer keeps its read end; the reader went away: no SIGPIPE, the writer blocks. */
static void test_leak_read(void)
{
    int p[2];
    pair_at_3_4(p, false);
    if (fork_role("writer") == 0) {
        write_big(p[1]); /* BUG: p[0] is still open here */
        _exit(0);
    }
    close(p[0]); /* the only real reader gives up at once */
    close(p[1]);
    wait(NULL);
}

/*
 * A parent and a child joined by two pipes (down: fds 3 and 4, parent to
 * child; up: fds 5 and 6, back). Each side first writes a lot, then reads
 * (write_first: each pipe fills, both block in write), or reads one byte
 * (each waits for the other to write, both block in read).
 */
static void two_way(bool write_first)
{
    int down[2], up[2];
    if (pipe(down) < 0 || pipe(up) < 0)
        die_child("pipe");
    expect_fd(down[1], 4);
    expect_fd(up[0], 5);
    pid_t child = fork_role("child");
    int rd = child == 0 ? down[0] : up[0], wr = child == 0 ? up[1] : down[1];
    close(child == 0 ? down[1] : up[1]);
    close(child == 0 ? up[0] : down[0]);
    char c;
    if (write_first) {
        write_big(wr);
        read_to_eof(rd);
    } else if (read(rd, &c, 1) < 0) {
        die_child("read");
    }
    if (child == 0)
        _exit(0);
    wait(NULL);
}

/* Both sides write a lot before reading: each pipe fills, both block. */
static void test_twopipe(void)
{
    two_way(true);
}

/* Both sides read first: each waits for the other to write. */
static void test_readread(void)
{
    two_way(false);
}

/* A child opens a FIFO (for reading, or writing) and nobody opens the other end. */
static void test_fifo(int flags)
{
    if (mkfifo(fifo_path, 0600) < 0)
        die_child("mkfifo");
    if (fork_role("opener") == 0) {
        if (open(fifo_path, flags) < 0)
            die_child("open");
        _exit(0);
    }
    wait(NULL);
}

/* A child waits on a named semaphore created with value 0 that nobody posts. */
static void test_sem(void)
{
    sem_t *s = sem_open(sem_name, O_CREAT | O_EXCL, 0600, 0);
    if (s == SEM_FAILED)
        die_child("sem_open");
    if (fork_role("waiter") == 0) {
        if (sem_wait(s) < 0)
            die_child("sem_wait");
        _exit(0);
    }
    wait(NULL);
}

static sem_t private_sem; /* pshared = 0, in the program's data: copied by fork() */

/* The pshared mistake: an unnamed semaphore in private memory, posted in the parent. */
static void test_privsem(void)
{
    if (sem_init(&private_sem, 0, 0) < 0)
        die_child("sem_init");
    if (fork_role("waiter") == 0) {
        if (sem_wait(&private_sem) < 0)
            die_child("sem_wait");
        _exit(0);
    }
    sem_post(&private_sem); /* posts the parent's own copy */
    wait(NULL);
}

/* A child waits on a SysV semaphore whose value stays 0. */
static void test_sysvsem(void)
{
    int id = semget(ipc_key, 1, IPC_CREAT | IPC_EXCL | 0600);
    if (id < 0)
        die_child("semget");
    if (fork_role("waiter") == 0) {
        struct sembuf op = {0, -1, 0};
        if (semop(id, &op, 1) < 0)
            die_child("semop");
        _exit(0);
    }
    wait(NULL);
}

/* A child receives from an empty SysV queue; the parent waits for it. */
static void test_msgrcv(void)
{
    int id = msgget(ipc_key, IPC_CREAT | IPC_EXCL | 0600);
    if (id < 0)
        die_child("msgget");
    if (fork_role("receiver") == 0) {
        struct {
            long type;
            char text[64];
        } m;
        if (msgrcv(id, &m, sizeof m.text, 0, 0) < 0)
            die_child("msgrcv");
        _exit(0);
    }
    wait(NULL);
}

/* The parent waits for a child that waits for a signal nobody sends. */
static void test_waitpid(void)
{
    pid_t child = fork_role("sleeper");
    if (child == 0) {
        pause();
        _exit(0);
    }
    waitpid(child, NULL, 0);
}

/*
 * The parent waits for its child through a pidfd, as the course's ipct_wait
 * does: the child it waits for is the culprit, never the harness's wait.
 */
static void test_pidfd(void)
{
    pid_t child = fork_role("sleeper");
    if (child == 0) {
        pause();
        _exit(0);
    }
    int fd = (int)syscall(SYS_pidfd_open, child, 0);
    if (fd < 0)
        die_child("pidfd_open");
    struct pollfd p = {.fd = fd, .events = POLLIN};
    poll(&p, 1, -1);
}

/* A server child waits in accept(); no client ever connects. */
static void test_accept(void)
{
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0)
        die_child("socket");
    expect_fd(s, 3);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", sock_path);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 1) < 0)
        die_child("bind");
    if (fork_role("server") == 0) {
        if (accept(s, NULL, NULL) < 0)
            die_child("accept");
        _exit(0);
    }
    close(s);
    wait(NULL);
}

/* A child reads a socketpair to EOF but keeps the parent's end open. */
static void test_socketpair(void)
{
    leaky_reader(true);
}

/* The reading thread of test_thread: names itself and reads to EOF. */
static void *reader_thread(void *arg)
{
    prctl(PR_SET_NAME, "reader");
    read_to_eof(*(int *)arg);
    return NULL;
}

/* A thread reads a pipe whose write end its own process keeps; main joins it. */
static void test_thread(void)
{
    int p[2];
    pair_at_3_4(p, false);
    pthread_t t;
    errno = pthread_create(&t, NULL, reader_thread, &p[0]);
    if (errno != 0)
        die_child("pthread_create");
    pthread_join(t, NULL); /* BUG: p[1] is still open, the thread never sees EOF */
}

/* One mode: what the test does, and which call each role must sleep in. */
struct mode {
    const char *name;
    void (*run)(void);
    const char *roles[3]; /* process names, "parent" is the test's root */
    long calls[3];        /* the system call each role sleeps in */
};

/* A child opens the FIFO for reading; nobody writes. */
static void fifo_read(void)
{
    test_fifo(O_RDONLY);
}

/* A child opens the FIFO for writing; nobody reads. */
static void fifo_write(void)
{
    test_fifo(O_WRONLY);
}

static const struct mode modes[] = {
    {"leak", test_leak, {"parent", "reader"}, {SYS_wait4, SYS_read}},
    {"leak-parent", test_leak_parent, {"parent", "reader"}, {SYS_wait4, SYS_read}},
    {"leak-sibling",
     test_leak_sibling,
     {"parent", "writer", "reader"},
     {SYS_wait4, SYS_pause, SYS_read}},
    {"leak-read", test_leak_read, {"parent", "writer"}, {SYS_wait4, SYS_write}},
    {"twopipe", test_twopipe, {"parent", "child"}, {SYS_write, SYS_write}},
    {"readread", test_readread, {"parent", "child"}, {SYS_read, SYS_read}},
    {"fifo-read", fifo_read, {"parent", "opener"}, {SYS_wait4, SYS_openat}},
    {"fifo-write", fifo_write, {"parent", "opener"}, {SYS_wait4, SYS_openat}},
    {"sem", test_sem, {"parent", "waiter"}, {SYS_wait4, SYS_futex}},
    {"privsem", test_privsem, {"parent", "waiter"}, {SYS_wait4, SYS_futex}},
    {"sysvsem", test_sysvsem, {"parent", "waiter"}, {SYS_wait4, -1}},
    {"msgrcv", test_msgrcv, {"parent", "receiver"}, {SYS_wait4, SYS_msgrcv}},
    {"waitpid", test_waitpid, {"parent", "sleeper"}, {SYS_wait4, SYS_pause}},
    {"pidfd", test_pidfd, {"parent", "sleeper"}, {SYS_poll, SYS_pause}},
    {"accept", test_accept, {"parent", "server"}, {SYS_wait4, -2}},
    {"thread", test_thread, {"parent", "reader"}, {SYS_futex, SYS_read}},
    {"stdin", NULL, {"parent"}, {SYS_read}},
    {"socketpair", test_socketpair, {"parent", "reader"}, {SYS_wait4, SYS_read}},
};

/*
 * sleeps_in - is task tid of pid, in state, asleep in system call nr?
 * (-1: semop or semtimedop; -2: accept or accept4)
 */
static int sleeps_in(pid_t pid, pid_t tid, char state, long nr)
{
    struct procfs_syscall sc;
    if (state != 'S' || procfs_read_syscall(pid, tid, &sc) < 0 ||
        sc.status != PROCFS_SC_BLOCKED)
        return 0;
    if (nr == -1)
        return sc.nr == SYS_semop || sc.nr == SYS_semtimedop;
    if (nr == -2)
        return sc.nr == SYS_accept || sc.nr == SYS_accept4;
    return sc.nr == nr;
}

/*
 * find_role - look through every thread of pids[0..n) for one named role;
 * if print, print "role NAME=TID" for every thread instead. Returns 1 if a
 * thread named role sleeps in call nr.
 */
static int find_role(const pid_t *pids, size_t n, const char *role, long nr, int print)
{
    int ok = 0;
    for (size_t i = 0; i < n && !ok; i++) {
        char dir[64];
        snprintf(dir, sizeof dir, "/proc/%d/task", (int)pids[i]);
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d != NULL && !ok && (e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            pid_t tid = (pid_t)atoi(e->d_name);
            struct procfs_stat st;
            if (procfs_read_stat(pids[i], tid, &st) < 0)
                continue;
            if (print)
                printf("role %s=%d\n", st.comm, (int)tid);
            else
                ok = strcmp(st.comm, role) == 0 && sleeps_in(pids[i], tid, st.state, nr);
        }
        if (d != NULL)
            closedir(d);
    }
    return ok;
}

/*
 * settled - is every role of m present in the tree and asleep in its call?
 * Fills pids/n with the tree.
 */
static int settled(const struct mode *m, pid_t root, pid_t *pids, size_t *n)
{
    *n = hang_process_tree(root, pids, 16);
    for (size_t r = 0; r < 3 && m->roles[r] != NULL; r++)
        if (!find_role(pids, *n, m->roles[r], m->calls[r], 0))
            return 0;
    return 1;
}

/* Remove every name and IPC object a scenario may have made. */
static void cleanup(void)
{
    unlink(fifo_path);
    unlink(sock_path);
    sem_unlink(sem_name);
    int id = msgget(ipc_key, 0);
    if (id >= 0)
        msgctl(id, IPC_RMID, NULL);
    id = semget(ipc_key, 0, 0);
    if (id >= 0)
        semctl(id, 0, IPC_RMID);
}

/* Run one scenario, explain it, clean up (see the usage at the top). */
int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: scenario MODE DIR\n");
        return 2;
    }
    const struct mode *m = NULL;
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(argv[1], modes[i].name) == 0)
            m = &modes[i];
    /* MODE@ns: the test runs in its own IPC, network and mount namespaces, as in the
       grader's sandbox, while this observer explains it from outside. */
    size_t len = strlen(argv[1]);
    int own_ns = len > 3 && strcmp(argv[1] + len - 3, "@ns") == 0;
    for (size_t i = 0; own_ns && i < sizeof modes / sizeof modes[0]; i++)
        if (strncmp(argv[1], modes[i].name, len - 3) == 0 &&
            modes[i].name[len - 3] == '\0')
            m = &modes[i];
    if (m == NULL) {
        fprintf(stderr, "scenario: unknown mode '%s'\n", argv[1]);
        return 2;
    }
    /* Only stdin, stdout, stderr: the test's fds then get known numbers. */
    closefrom(3);
    snprintf(fifo_path, sizeof fifo_path, "%s/fifo", argv[2]);
    snprintf(sock_path, sizeof sock_path, "%s/sock", argv[2]);
    snprintf(sem_name, sizeof sem_name, "/ipclab-hang-%d", (int)getpid());
    ipc_key = (key_t)(0x1ab00000 | (getpid() & 0xfffff));
    cleanup();
    /* Become the reaper of every process of the test, grandchildren included. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        perror("scenario: prctl");
        return 2;
    }
    fflush(stdout);
    /* Mode stdin: the test's standard input is a pipe this observer (outside the
       test, like Criterion's runner) keeps open and never writes. */
    int input[2] = {-1, -1};
    if (m->run == NULL && pipe(input) < 0) {
        perror("scenario: pipe");
        return 2;
    }
    pid_t root = fork();
    if (root < 0) {
        perror("scenario: fork");
        return 2;
    }
    if (root == 0) {
        become("parent");
        if (own_ns && (unshare(CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWNS) < 0 ||
                       mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                       mount("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777") < 0))
            die_child("unshare");
        if (m->run == NULL) {
            if (dup2(input[0], 0) < 0)
                die_child("dup2");
            close(input[0]);
            close(input[1]);
            read_to_eof(0);
            _exit(0);
        }
        m->run();
        _exit(0);
    }
    if (input[0] >= 0)
        close(input[0]); /* keeps only the write end, as Criterion's runner does */
    pid_t pids[16];
    size_t n = 0;
    int ok = 0;
    struct timespec tick = {0, 1000000}, start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!(ok = settled(m, root, pids, &n))) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= 10)
            break;
        nanosleep(&tick, NULL); /* polls the state; it is not the synchronisation */
    }
    if (!ok)
        printf("setup: timed out waiting for every process to block\n");
    find_role(pids, n, NULL, 0, 1);
    char *details = NULL;
    char *sentence = hang_explain(pids, n, &details);
    printf("sentence: %s\n", sentence ? sentence : "(null)");
    for (char *line = details; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        printf("| %.*s\n", nl ? (int)(nl - line) : (int)strlen(line), line);
        line = nl ? nl + 1 : NULL;
    }
    free(sentence);
    free(details);
    fflush(stdout);
    /* Kill the test by pid (the tree again: a late fork would be missed), then reap. */
    n = hang_process_tree(root, pids, 16);
    for (size_t i = 0; i < n; i++)
        kill(pids[i], SIGKILL);
    while (wait(NULL) > 0 || errno == EINTR)
        ;
    if (input[1] >= 0)
        close(input[1]);
    cleanup();
    return ok ? 0 : 1;
}
