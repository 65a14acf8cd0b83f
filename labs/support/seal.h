/* seal.h - what a test's child tells the fork runner, out of reach of files and fds. */
#ifndef IPCLAB_SEAL_H
#define IPCLAB_SEAL_H

#include <stddef.h>

/*
 * The fork runner (forkrun.c) maps one page of this shape, shared and
 * anonymous, before it forks a test's child, and unmaps it when the child
 * has ended: a fresh page per test, so a process a test leaves behind holds
 * only its own test's page. The child's harness code (never the code under
 * test) fills it: the failed assertions as they happen, the probe's end
 * record, and `finished` last, once the test body, .fini and the probe have
 * all returned. The runner's verdict comes from this page and the child's
 * wait status, never from a file or an fd the child holds, so code under
 * test cannot forge a verdict or an end record with write(2) or exit(2):
 * it would have to find this page and write it through a pointer
 * (SECURITY.md says what that leaves open).
 */
#define SEAL_END_MAX      (192 * 1024)
#define SEAL_FAILURES_MAX (32 * 1024)
#define SEAL_FIELD        '\x1f' /* between a failure's line, file and message */
#define SEAL_RECORD       '\x1e' /* after each failure */

struct seal {
    volatile int finished; /* 1: the harness ran the test to its end */
    volatile int skipped;  /* 1: cr_skip_test ended it */
    int failed_asserts;
    size_t end_len, failures_len;
    char end[SEAL_END_MAX];           /* the probe's end record, JSON */
    char failures[SEAL_FAILURES_MAX]; /* line, file, message per failed assertion */
};

/* The current test's page in a fork runner's child; NULL everywhere else. */
extern struct seal *ipct_seal;

/*
 * seal_put_end - in a fork runner's child, keep the probe's end record
 * (JSON text) on the page and return 1; return 0 when there is no page (the
 * caller then writes it where it did before).
 */
int seal_put_end(const char *json_text);

#endif /* IPCLAB_SEAL_H */
