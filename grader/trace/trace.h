/* trace.h - an IPC timeline of one test: strace's output read into processes and events.
 */
#ifndef IPCLAB_TRACE_H
#define IPCLAB_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* What one event on the timeline is. */
enum tr_kind {
    TR_SPAWN,   /* pid forked (or started a thread) peer */
    TR_EXEC,    /* pid now runs text */
    TR_EXIT,    /* pid ended: text says how ("exit 0", "killed by SIGKILL") */
    TR_REAP,    /* pid's wait collected peer (text: its status) */
    TR_PIPE,    /* pid made obj (text: its two fds) */
    TR_DUP,     /* pid put obj on another fd (text: "fd 0") */
    TR_CLOSE,   /* pid closed its read or write end of obj (text: "write end") */
    TR_SEND,    /* pid sent bytes into obj (write, msgsnd, mq_send, send...) */
    TR_RECV,    /* pid received bytes from obj, sent by peer (0 if unknown) */
    TR_EOF,     /* pid read end of file from obj: every write end was closed */
    TR_OPEN,    /* pid opened a FIFO or a shared object obj (text: mode, wait) */
    TR_MKFIFO,  /* pid made the FIFO obj */
    TR_SEM,     /* pid did a semaphore operation on obj (text: +1, -1, woke) */
    TR_ATTACH,  /* pid attached the System V shared memory segment obj */
    TR_CONNECT, /* pid connected (or accepted) socket obj */
    TR_FDPASS,  /* pid sent (or received) fds over obj with SCM_RIGHTS (text) */
    TR_KILL,    /* pid sent signal text to peer */
    TR_SIGNAL,  /* pid received signal text, sent by peer (0: the kernel) */
    TR_HANDLER, /* pid set the disposition of a signal (text) */
    TR_BLOCKED, /* pid was blocked from t for bytes microseconds in text on obj;
                   holders lists who still held the other end */
    TR_HELD,    /* pid still held obj when the test ended (text: "write end, fd 4") */
};

/* One event. */
struct tr_event {
    double t; /* seconds since the test started */
    enum tr_kind kind;
    int pid;          /* the process it happened in */
    int peer;         /* the other process (0: none or unknown) */
    long bytes;       /* bytes moved, or a duration in microseconds (TR_BLOCKED) */
    char obj[48];     /* the kernel object, as shown: "pipe#1", "msq 3", "fifo req" */
    char text[96];    /* the detail, in words */
    char holders[96]; /* TR_BLOCKED: "pid name, ..." still holding the other end */
};

/* One process (or thread) of the test. */
struct tr_proc {
    int pid;
    int parent;        /* who forked it (0 for the test itself) */
    bool thread;       /* a thread of parent, not a process */
    char name[32];     /* what it runs: "test", "sort", "fork of test" */
    double start, end; /* seconds since the test started; end < 0: still alive */
    char how[32];      /* how it ended: "exit 0", "killed by SIGKILL" */
    bool blocked;      /* it was blocked when the test ended or was stopped */
};

/* A parsed trace: the test's processes and events, in time order. */
struct trace {
    struct tr_proc *procs;
    size_t nprocs;
    struct tr_event *ev;
    size_t nev;
    double length;   /* seconds from the test's start to its last event */
    bool found_test; /* the test's worker was found in the log */
    bool stopped;    /* the test was killed (timeout or crash) */
};

/*
 * trace_strace_args - the strace options that record what trace_parse reads,
 * writing to out_file: a NULL-terminated static array (the command to trace
 * follows it). The -e trace= set is narrow: process life, pipes, fds, FIFOs,
 * System V and POSIX IPC, sockets and signals.
 */
const char *const *trace_strace_args(const char *out_file);

/*
 * trace_parse - read strace's log (made with trace_strace_args) into *tr:
 * the Criterion worker that runs the test is found by its boxfort-worker
 * exec, and the test's span by the probe's writes to a file named
 * probe_name (the test starts at the first, ends at the second); without
 * them, the worker's whole life. Only the worker and the processes and
 * threads it starts within the span are kept (Criterion's runner, its
 * threads, the dynamic loader's files and the probe are left out); pipes
 * are matched by inode, sockets by their pair, FIFOs by path, queues and
 * semaphores by id or name. A call that never returned, or waited long
 * (more than a second, or 40% of the trace), is a TR_BLOCKED event naming
 * who held the other end. Returns 0, or -1 with errno set when the file
 * cannot be read (*tr is then empty). Free with trace_free.
 */
int trace_parse(const char *log_file, const char *probe_name, struct trace *tr);

/* trace_free - release what trace_parse allocated. */
void trace_free(struct trace *tr);

/* trace_proc - the process pid of tr, or NULL. */
const struct tr_proc *trace_proc(const struct trace *tr, int pid);

/* The events a failed test's drawing keeps, its last ones (the rest is history). */
#define TRACE_LAST_EVENTS 60

/* Drawing choices shared by the text and the SVG timelines. */
struct tr_draw {
    bool colour;       /* ANSI colours (text only) */
    size_t last;       /* > 0: only the last events this many (a failed test) */
    const char *title; /* "lab 01 pipeline/three_stages_match_sh: passed" */
    const char *sub;   /* a second line: "(9 processes, 113 events, ...)", or NULL */
    const char *why;   /* why-it-hung's sentence, or NULL */
};

/*
 * trace_text - the timeline as text at most 80 columns wide: a legend of the
 * processes, then one line per event with a column per process (the actor
 * marked, arrows to the peer), long quiet gaps folded into one line, the
 * blocked calls last. Written to out.
 */
void trace_text(const struct trace *tr, const struct tr_draw *d, FILE *out);

/*
 * trace_svg - the same timeline as an SVG sequence chart (lifelines from
 * fork to exit, arrows between processes labelled with the object and the
 * bytes, blocked calls as red bars), written to out.
 */
void trace_svg(const struct trace *tr, const struct tr_draw *d, FILE *out);

/* trace_html - a page holding the SVG chart and the text timeline, to out. */
void trace_html(const struct trace *tr, const struct tr_draw *d, FILE *out);

#endif /* IPCLAB_TRACE_H */
