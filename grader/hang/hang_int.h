/* hang_int.h - what the parts of the why-it-hung explainer share (not for other layers).
 */
#ifndef IPCLAB_HANG_INT_H
#define IPCLAB_HANG_INT_H

#include "hang/procfs.h"

#include <stddef.h>
#include <sys/types.h>

/* A malloc'd string that grows; once an allocation fails it stays failed. */
struct sbuf {
    char *s;    /* NUL-terminated text, or NULL before the first append */
    size_t len; /* strlen(s) */
    size_t cap; /* bytes allocated */
    int failed; /* an allocation failed: the text is incomplete */
};

/* What kind of wait a system call is; decides how its arguments are read. */
enum sc_kind {
    K_OTHER,
    K_READ,       /* read/readv/pread: args[0] is the fd */
    K_WRITE,      /* write/writev/pwrite: args[0] is the fd */
    K_RECV,       /* recvfrom/recvmsg: args[0] is the socket */
    K_SEND,       /* sendto/sendmsg: args[0] is the socket */
    K_ACCEPT,     /* accept/accept4: args[0] is the listening socket */
    K_CONNECT,    /* connect: args[0] is the socket */
    K_POLL,       /* poll/ppoll: args[0] struct pollfd *, args[1] nfds */
    K_SELECT,     /* select/pselect6: args[0] nfds, args[1..3] fd_set * */
    K_EPOLL,      /* epoll_wait/epoll_pwait: args[0] is the epoll fd */
    K_OPEN,       /* open: args[0] path, args[1] flags */
    K_OPENAT,     /* openat: args[1] path, args[2] flags */
    K_WAIT,       /* wait4: args[0] pid */
    K_WAITID,     /* waitid: args[0] idtype, args[1] id */
    K_FUTEX,      /* futex: args[0] address, args[1] op */
    K_SEMOP,      /* semop/semtimedop: args[0] semid, args[1] sops, args[2] nsops */
    K_MSGRCV,     /* msgrcv: args[0] msqid, args[3] msgtyp */
    K_MSGSND,     /* msgsnd: args[0] msqid */
    K_MQRECV,     /* mq_timedreceive: args[0] mqd */
    K_MQSEND,     /* mq_timedsend: args[0] mqd */
    K_SLEEP,      /* nanosleep: args[0] timespec * */
    K_CLOCKSLEEP, /* clock_nanosleep: args[2] timespec * */
    K_PAUSE,      /* pause */
    K_SIGWAIT,    /* rt_sigsuspend / rt_sigtimedwait */
    K_LOCK,       /* fcntl(F_SETLKW) / flock */
};

/* One entry of the system call table. */
struct sc_info {
    long nr;          /* native number from <sys/syscall.h> */
    const char *name; /* the libc call a student would have written */
    enum sc_kind kind;
};

/* ------------------------------------------------------------------------ */
/* What we read from /proc                                                  */
/* ------------------------------------------------------------------------ */

/* One open file descriptor of a process of the test. */
struct hfd {
    int fd;
    char target[160]; /* readlink: "pipe:[N]", "socket:[N]", a path */
    dev_t dev;        /* what the fd refers to (stat through the link) */
    ino_t ino;
    mode_t type; /* S_IFIFO, S_IFSOCK, S_IFREG, ... (0: unknown) */
    int acc;     /* O_RDONLY, O_WRONLY, O_RDWR, or -1 */
};

/* One fd of any process on the system that refers to a pipe, FIFO or socket. */
struct holder {
    pid_t pid;
    int fd;
    dev_t dev;
    ino_t ino;
    int acc;     /* access mode, -1 unknown */
    mode_t type; /* S_IFIFO or S_IFSOCK */
};

/* One thread of a process of the test. */
struct hthread {
    pid_t tid;
    char state;
    struct procfs_syscall sc;
    char wchan[64];
    int inferred; /* sc was guessed from wchan: only sc.nr (and an fd) are known */
};

/* One process of the test and the diagnosis made for it. */
struct hproc {
    pid_t pid;
    struct procfs_stat st;
    int alive; /* /proc/PID/stat was readable */
    struct hfd *fds;
    size_t nfds;
    struct hthread *th;
    size_t nth;
    int rank;       /* how sure and how much to the point the diagnosis is */
    char *sentence; /* the diagnosis (malloc'd), NULL if none */
    char *doing;    /* short phrase: "is blocked in waitpid()" (malloc'd) */
};

/* Everything one hang_explain call reads. */
struct hctx {
    struct hproc *procs;
    size_t n;
    struct holder *holders; /* pipes, FIFOs and sockets of every process */
    size_t nholders;
    size_t capholders;
    int oom;
    int visiting; /* recursion guard for wait chains */
};

enum {
    RANK_NONE = 0,    /* nothing known */
    RANK_FACT = 1,    /* a factual description */
    RANK_CHAIN = 2,   /* waits for another process that is stuck */
    RANK_PATTERN = 3, /* a known mistake, explained */
};

/* words.c */
void sb_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *sb_take(struct sbuf *b);
const char *end_word(int acc);
void obj_name(const struct hfd *f, char *buf, size_t len);
void relation(struct hctx *c, const struct hproc *w, pid_t pid, char *buf, size_t len);
struct hthread *main_wait(struct hproc *p);
const char *call_name(const struct hthread *t);
int is_stuck(const struct hproc *p, const struct hthread *except);
void doing_phrase(struct hproc *p, char *buf, size_t len);
int others_phrase(struct hctx *c, const struct hproc *w, struct sbuf *b);
int holder_fds(struct hctx *c, pid_t pid, dev_t dev, ino_t ino, int want_write, char *buf,
               size_t len);
size_t holder_pids(struct hctx *c, dev_t dev, ino_t ino, int want_write, pid_t *out,
                   size_t max);
size_t list_holders(struct hctx *c, struct hproc *w, dev_t dev, ino_t ino, int want_write,
                    struct sbuf *b, int say_doing);

/* scan.c */
int is_anon_pipe(const struct hfd *f);
int pipe_fill(pid_t pid, const struct hfd *f, int *queued, int *size);
int socket_listens(pid_t pid, ino_t ino);
const struct sc_info *sc_lookup(long nr);
struct hproc *proc_find(struct hctx *c, pid_t pid);
struct hfd *fd_find(struct hproc *p, long fd);
pid_t pid_of_name(const char *name);
void scan_all(struct hctx *c);

/* ns.c */
ssize_t in_ns(pid_t pid, const char *ns, int nstype,
              ssize_t (*fn)(const void *arg, void *out, size_t max), const void *arg,
              void *out, size_t max);

/* diag_pipe.c */
int diag_pipe_read(struct hctx *c, struct hproc *p, struct hthread *t, struct hfd *f,
                   struct sbuf *b);
int diag_pipe_write(struct hctx *c, struct hproc *p, struct hthread *t, struct hfd *f,
                    struct sbuf *b);
int diag_open(struct hctx *c, struct hproc *p, struct hthread *t, struct sbuf *b);

/* diag_memory.c */
int nobody_can(struct hctx *c, struct hproc *p, struct sbuf *b, const char *verb,
               const char *advice);
int diag_futex(struct hctx *c, struct hproc *p, struct hthread *t, struct sbuf *b);

/* diag_ipc.c */
int diag_semop(struct hctx *c, struct hproc *p, struct hthread *t, struct sbuf *b);
int diag_msg(struct hctx *c, struct hproc *p, struct hthread *t, int rcv, struct sbuf *b);
int diag_mq(struct hctx *c, struct hproc *p, struct hthread *t, int rcv, struct sbuf *b);

/* diag_process.c */
int diag_wait(struct hctx *c, struct hproc *p, struct hthread *t, struct sbuf *b);
int diag_signal_or_sleep(struct hctx *c, struct hproc *p, struct hthread *t,
                         struct sbuf *b);

/* diag_socket.c */
int diag_socket(struct hctx *c, struct hproc *p, struct hthread *t, struct hfd *f,
                struct sbuf *b);

#endif /* IPCLAB_HANG_INT_H */
