/* policy.h - the score policy: deduction weights and caps, read from policy.ini. */
#ifndef IPCLAB_POLICY_H
#define IPCLAB_POLICY_H

#include <stdbool.h>

/* The kinds of deduction, in report order. */
enum policy_category {
    CAT_MEMORY_ERRORS, /* valgrind memcheck errors (invalid read, uninitialised...) */
    CAT_LEAKS,         /* valgrind "definitely lost" blocks */
    CAT_FD_LEAKS,      /* file descriptors left open by a test */
    CAT_PROCESSES,     /* child processes left behind (running or zombie) */
    CAT_IPC_OBJECTS,   /* IPC objects, FIFOs and socket files left behind */
    CAT_STRESS,        /* a stress-marked test failed under race stress ([stress] runs) */
    CAT_UNCHECKED,     /* memcheck could not check a passed test (memcheck_runs.h) */
    CAT_COUNT
};

/* Weight and cap of one category. */
struct policy_rule {
    double per_test; /* points removed for each test that shows the problem */
    double cap;      /* at most this much in total for the category */
};

/* What a submission the audit refuses (engine/audit.h) gets. */
enum audit_action {
    AUDIT_REFUSE, /* it scores 0 and no test runs (the default) */
    AUDIT_REVIEW, /* it is graded as usual, the findings flagged for review */
};

/* The whole policy. */
struct policy {
    struct policy_rule rules[CAT_COUNT];
    bool memory_error_fails_test; /* a test with memcheck errors earns 0 points */
    bool deduct_on_failed_tests;  /* also count leaks of tests that failed */
    int max_wall_seconds;         /* hard limit for one whole pass */
    long memory_mb;          /* bound on all a grade runs (engine/memcg.h); 0: none */
    long work_mb;            /* the work folder's tmpfs (engine/workfs.h); 0: none */
    long work_inodes;        /* ... and its file count */
    enum audit_action audit; /* [audit] action = refuse | review */
    int stress_runs;         /* [stress] runs: stressed reruns of the stress tests */
    bool stress_fails_test;  /* [stress] fails_test: such a failure earns 0 points */
    char source[4096];       /* the file the policy came from ("defaults") */
};

/* policy_key - "memory-errors", "leaks", "fd-leaks", "processes", "ipc-objects",
 * "stress", "unchecked". */
const char *policy_key(enum policy_category c);

/* policy_title - a human title: "memory errors", "file descriptors left open"... */
const char *policy_title(enum policy_category c);

/* policy_audit_action - "refuse" or "review". */
const char *policy_audit_action(enum audit_action a);

/* policy_defaults - fill *p with the built-in defaults (the same as policy.ini). */
void policy_defaults(struct policy *p);

/*
 * policy_load - defaults, then overridden by the INI file at path (if path is
 * NULL: $IPCLAB_ROOT/grader/policy.ini when it exists). Returns 0, or -1 after
 * printing "policy: FILE: ..." for an unknown section, key or bad number.
 */
int policy_load(struct policy *p, const char *path);

#endif /* IPCLAB_POLICY_H */
