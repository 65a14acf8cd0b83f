/* proc.c - fork/exec with limits, pipe capture via poll(2), and a watchdog. */
#include "base/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

/* Signal handler: remember that the grader must stop (async-signal-safe). */
static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

bool proc_interrupted(void)
{
    return interrupted != 0;
}

void proc_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* Monotonic clock in seconds. */
static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Set one rlimit (soft = hard) if value > 0; in the child, errors are ignored. */
static void limit(int resource, long value, long unit)
{
    if (value <= 0)
        return;
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max = (rlim_t)value * (rlim_t)unit;
    setrlimit(resource, &rl);
}

/* Number of processes owned by uid (from the owners of /proc/PID). */
static long procs_of(uid_t uid)
{
    DIR *d = opendir("/proc");
    if (d == NULL)
        return 0;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
            fstatat(dirfd(d), e->d_name, &st, 0) == 0 && st.st_uid == uid)
            n++;
    }
    closedir(d);
    return n;
}

/* Child side of proc_start: never returns. Reports failures on the pipe. */
static void child(int wfd, char *const argv[], const struct proc_opts *o, pid_t parent)
{
    setpgid(0, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        sigaction(s, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, 0) < 0 || dup2(wfd, 1) < 0 || dup2(wfd, 2) < 0)
        _exit(126);
    /* Nothing the grader (or whoever started it) holds open reaches the
     * command: every fd above 2 is closed, whatever its close-on-exec flag,
     * except o->pass_fd, which becomes fd 3. */
    int first = 3;
    if (o->pass_fd > 2) {
        if ((o->pass_fd != 3 && dup2(o->pass_fd, 3) < 0) || fcntl(3, F_SETFD, 0) < 0)
            _exit(126);
        first = 4;
    }
    if (close_range((unsigned)first, ~0U, 0) < 0)
        for (int fd = first; fd < 65536; fd++)
            close(fd);
    if (o->cwd != NULL && chdir(o->cwd) < 0) {
        dprintf(2, "ipclab: chdir '%s': %s\n", o->cwd, strerror(errno));
        _exit(126);
    }
    limit(RLIMIT_CPU, o->lim.cpu_seconds, 1);
    limit(RLIMIT_AS, o->lim.as_mb, 1L << 20);
    limit(RLIMIT_FSIZE, o->lim.fsize_mb, 1L << 20);
    limit(RLIMIT_NOFILE, o->lim.nofile, 1);
    limit(RLIMIT_CORE, 0, 1);
    struct rlimit zero = {0, 0};
    setrlimit(RLIMIT_CORE, &zero);
    /* POSIX message queues: the bytes all queues of the uid may hold, at the
     * kernel's default whatever the grader inherited (the uid's queues live
     * in a mqueue mount that has no size of its own). */
    struct rlimit mq = {819200, 819200};
    setrlimit(RLIMIT_MSGQUEUE, &mq);
    if (o->cgroup_procs != NULL) { /* engine/memcg.h: while still root */
        int fd = open(o->cgroup_procs, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "0\n", 2) != 2) {
            dprintf(2, "ipclab: cannot join the grade's cgroup (%s): %s\n",
                    o->cgroup_procs, strerror(errno));
            _exit(126);
        }
        close(fd);
    }
    if (o->uid > 0 && geteuid() == 0) {
        if (setgroups(0, NULL) < 0 || setgid((gid_t)o->uid) < 0 ||
            setuid((uid_t)o->uid) < 0) {
            dprintf(2, "ipclab: cannot drop to uid %d: %s\n", o->uid, strerror(errno));
            _exit(126);
        }
    }
    /*
     * RLIMIT_NPROC counts every process of the uid, and is not enforced for
     * root: set it after dropping the uid, above what a non-root caller
     * already runs.
     */
    limit(RLIMIT_NPROC, o->lim.nproc > 0 ? o->lim.nproc + procs_of(getuid()) : 0, 1);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) /* the grader died before PDEATHSIG was set */
        _exit(126);
    if (o->env != NULL)
        execvpe(argv[0], argv, o->env);
    else
        execvp(argv[0], argv);
    dprintf(2, "ipclab: cannot run '%s': %s\n", argv[0], strerror(errno));
    _exit(127);
}

int proc_start(struct proc *p, const char *label, char *const argv[],
               const struct proc_opts *opts)
{
    memset(p, 0, sizeof *p);
    p->label = label;
    p->fd = -1;
    p->cap = opts->out_cap > 0 ? opts->out_cap : 65536;
    p->out = malloc(p->cap + 1);
    if (p->out == NULL)
        return -1;
    p->out[0] = '\0';
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        goto fail;
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        goto fail;
    }
    if (pid == 0) {
        close(fds[0]);
        child(fds[1], argv, opts, parent);
    }
    close(fds[1]);
    setpgid(pid, pid); /* both sides set it: no race with an early kill */
    p->pid = pid;
    p->fd = fds[0];
    p->start = mono();
    p->deadline = p->start + (opts->wall_seconds > 0 ? opts->wall_seconds : 3600);
    p->grace = opts->stop_grace;
    fcntl(p->fd, F_SETFL, O_NONBLOCK);
    return 0;
fail:
    free(p->out);
    p->out = NULL;
    return -1;
}

void proc_kill(struct proc *p)
{
    if (p->pid > 0) {
        kill(-p->pid, SIGKILL);
        kill(p->pid, SIGKILL);
    }
}

/* Stop p at time now: SIGKILL, or first SIGTERM when it has a grace (proc.h). */
static void stop(struct proc *p, double now)
{
    if (p->grace > 0 && p->termed_at == 0) {
        kill(-p->pid, SIGTERM);
        kill(p->pid, SIGTERM);
        p->termed_at = now;
    } else if (p->grace <= 0 || now - p->termed_at >= p->grace) {
        proc_kill(p);
    }
}

/* Read what is available on p->fd; close it at EOF. */
static void drain(struct proc *p)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(p->fd, buf, sizeof buf);
        if (n > 0) {
            p->total += (unsigned long long)n;
            size_t keep = p->cap - p->len;
            if ((size_t)n < keep)
                keep = (size_t)n;
            memcpy(p->out + p->len, buf, keep);
            p->len += keep;
            p->out[p->len] = '\0';
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            close(p->fd);
            p->fd = -1;
        }
        return;
    }
}

void proc_wait_all(struct proc *ps, size_t n, void (*tick)(void *arg), void *arg)
{
    struct pollfd *pfd = calloc(n, sizeof *pfd);
    for (;;) {
        size_t busy = 0, npoll = 0;
        double now = mono();
        for (size_t i = 0; i < n; i++) {
            struct proc *p = &ps[i];
            if (p->pid > 0) {
                int st;
                pid_t r = waitpid(p->pid, &st, WNOHANG);
                if (r == p->pid) {
                    p->status = st;
                    p->pid = 0;
                    p->reaped_at = now;
                    kill(-r, SIGKILL); /* whatever it left in its group */
                } else if (now > p->deadline || interrupted) {
                    p->killed = p->killed || !interrupted;
                    stop(p, now);
                }
            }
            if (p->fd >= 0 && p->pid == 0 && now - p->reaped_at > 0.5) {
                drain(p);
                if (p->fd >= 0) {
                    close(p->fd);
                    p->fd = -1;
                }
            }
            if (p->pid > 0 || p->fd >= 0)
                busy++;
            if (p->fd >= 0 && pfd != NULL) {
                pfd[npoll].fd = p->fd;
                pfd[npoll].events = POLLIN;
                npoll++;
            }
        }
        if (busy == 0)
            break;
        if (tick != NULL)
            tick(arg);
        (void)poll(pfd, npoll, 50);
        for (size_t i = 0; i < n; i++)
            if (ps[i].fd >= 0)
                drain(&ps[i]);
    }
    free(pfd);
}

void proc_free(struct proc *p)
{
    free(p->out);
    p->out = NULL;
}

const char *proc_describe_status(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by SIG%s",
                 sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?");
    else
        snprintf(buf, len, "status 0x%x", status);
    return buf;
}
