/* trace_int.h - the strace reader's state, shared by strace.c and calls.c only. */
#ifndef IPCLAB_TRACE_INT_H
#define IPCLAB_TRACE_INT_H

#include "trace/trace.h"

#include <stdbool.h>
#include <stddef.h>

/* One open fd of a process, as the trace showed it being made. */
struct tr_fd {
    int fd;
    char key[96]; /* the object: "pipe:[123]", "sock:1-2", "fifo:/tmp/f", "mq:/q" */
    char end;     /* 'r' read end, 'w' write end, 'b' both, '?' unknown */
    bool cloexec;
    bool closed; /* closed before the table was inherited from the parent */
};

/* The fd table of one process (threads share their process's). */
struct tr_fdtab {
    int tgid;
    struct tr_fd *e;
    size_t n;
    bool inherited;
};

/* What the reader knows of one pid (harness or test). */
struct tr_pstate {
    int pid, tgid, parent;
    bool thread;
    bool in_scope; /* the test's worker or started by it during the test */
    int image;     /* execs done since the worker: 0 runs the test's own code */
    char name[32];
    double start, end; /* absolute seconds; end < 0: alive */
    char how[32];
    char *pending; /* the start of a call not yet returned, or NULL */
    double pending_t;
    bool pending_said; /* already reported as TR_BLOCKED */
    bool blocked;
};

/* A kernel object seen in the test: its key and display name. */
struct tr_obj {
    char key[96];
    char name[48];
    int last_sender; /* the last process that sent into it */
    int last_closer; /* the last process that closed a write end of it */
    int last_poster; /* the last process that raised it (semaphores) */
    double last_post;
    bool harness; /* first seen before the test started: Criterion's */
};

/* The reader's whole state. */
struct tr_state {
    const char *probe; /* the probe file's name (marks the test's start and end) */
    int worker;        /* pid of the boxfort-worker, 0 until seen */
    bool started, ended, stopped;
    double t0, t_end, t_last;
    struct tr_pstate **p; /* each allocated alone: pointers stay valid */
    size_t np;
    struct tr_fdtab **t;
    size_t nt;
    struct tr_obj **o;
    size_t no;
    int npipes, nsocks;
    char harness[8][24]; /* socket inodes that talk to Criterion's runner */
    size_t nharness;
    char **fifos; /* absolute paths made by mknod(S_IFIFO) */
    size_t nf;
    struct tr_event *ev;
    size_t nev;
};

struct tr_pstate *tp_proc(struct tr_state *st, int pid);
struct tr_fdtab *tp_table(struct tr_state *st, int tgid);
struct tr_fd *tp_fd(struct tr_fdtab *t, int fd);
/* Set (or with key "" mark closed) fd in t. */
void tp_fd_set(struct tr_fdtab *t, int fd, const char *key, char end, bool cloexec);
/* parent made child (a thread when thread) at absolute time t. */
void tp_spawn(struct tr_state *st, int parent, int child, bool thread, double t);
/* True while p belongs to the test and the test runs. */
bool tp_live(const struct tr_state *st, const struct tr_pstate *p);
const char *tp_obj_name(struct tr_state *st, const char *key);
struct tr_obj *tp_obj(struct tr_state *st, const char *key);
/* A new event of kind for pid at absolute time t (zeroed otherwise). */
struct tr_event *tp_event(struct tr_state *st, enum tr_kind kind, int pid, double t);
/* The live processes holding key (with end want_end, or any when '\0'), as words. */
void tp_holders(struct tr_state *st, const char *key, char want_end, char *out,
                size_t len);

#define MAX_ARGS      8
#define BLOCK_SECONDS 1.0 /* a call that waited this long is drawn as blocked */

/* A call split into its name, top-level arguments and return value. */
struct call {
    char name[24];
    char buf[4096]; /* the arguments, NUL-separated */
    char *arg[MAX_ARGS];
    int nargs;
    long ret;
    char ret_ann[160]; /* what the returned fd is ("pipe:[1]"), or "" */
    bool failed;       /* returned -1 */
};

/* calls.c: reading one call (state.c holds the functions above) */
bool tp_split_call(const char *text, struct call *c);
/* The number of an fd argument "5<pipe:[1]>" (-1 if none), its annotation into ann. */
int tp_parse_fd(const char *arg, char *ann, size_t len);
/* The object key of an fd annotation; false for what the timeline ignores. */
bool tp_ann_key(const struct tr_state *st, const char *ann, char *key, size_t len);
/* The object of fd argument arg of p (its table entry into *e when e is not NULL). */
bool tp_fd_key(struct tr_state *st, struct tr_pstate *p, const char *arg, char *key,
               size_t len, struct tr_fd **e);
/* A quoted string argument without its quotes. */
void tp_unquote(const char *arg, char *out, size_t len);
/* The absolute path of a path argument relative to a dirfd argument. */
void tp_abs_path(const char *dirarg, const char *patharg, char *out, size_t len);
/* The objects of an SCM_RIGHTS list, in words; received ones enter p's table. */
void tp_fds_passed(struct tr_state *st, struct tr_pstate *p, const char *text,
                   bool received, char *out, size_t len);
/* Close fd in p's table; a TR_CLOSE event when event and p is the test's. */
void tp_close_fd(struct tr_state *st, struct tr_pstate *p, int fd, double t, bool event);
/* The probe's write: the test starts or ends (true when c was one). */
bool tp_probe_mark(struct tr_state *st, struct tr_pstate *p, const struct call *c,
                   double t);
/* The status words of a wait argument: "exit 0", "killed by SIGTERM". */
void tp_wait_status(const char *arg, char *out, size_t len);
void tp_exec_call(struct tr_state *st, struct tr_pstate *p, const struct call *c,
                  double t);
/* read/write, send/recv on a pipe, FIFO or socket (text: the whole call). */
void tp_io_call(struct tr_state *st, struct tr_pstate *p, const struct call *c, double t,
                bool sends, const char *text);
/* Queues, semaphores and shared memory; false when c is none of them. */
bool tp_ipc_call(struct tr_state *st, struct tr_pstate *p, const struct call *c,
                 double t0, double t);

/* fdcalls.c */
/* One complete call "name(args) = ret ..." by p, begun at t0, returned at t1. */
void tp_call(struct tr_state *st, struct tr_pstate *p, double t0, double t1,
             const char *text);
/* p's pending call is a TR_BLOCKED event, at absolute time now. */
void tp_blocked(struct tr_state *st, struct tr_pstate *p, double now);
/* Every test process's call pending at least min_seconds is a TR_BLOCKED event
 * (the test stopped, or is about to kill what hangs). */
void tp_blocked_all(struct tr_state *st, double now, double min_seconds);
/* pid's entry e goes away (close, exec, exit): note the write end's last closer;
 * event: a TR_CLOSE event when the process closed it itself. */
void tp_closed(struct tr_state *st, int pid, const struct tr_fd *e, double t, bool event);
/* TR_HELD events: the IPC fds the test's processes still held at its end. */
void tp_held_at_end(struct tr_state *st);

#endif /* IPCLAB_TRACE_INT_H */
