/* grade.h - the data one grading run builds up, and its lifecycle (grade.c). */
#ifndef IPCLAB_GRADE_H
#define IPCLAB_GRADE_H

#include "base/clock.h"
#include "base/err.h"
#include "base/text.h"
#include "engine/audit_object.h"
#include "engine/manifest.h"
#include "engine/memcg.h"
#include "engine/workfs.h"
#include "engine/policy.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* What the native run says about one test. */
enum verdict {
    V_NOT_RUN, /* no verdict: the runner died before reporting it */
    V_PASSED,
    V_FAILED,
    V_CRASHED,
    V_TIMEOUT,
    V_SKIPPED,
};

/* verdict_name - "passed", "failed", "crashed", "timeout", "skipped", "not run". */
const char *verdict_name(enum verdict v);

/* Everything measured about one test of the manifest. */
struct test_result {
    const struct manifest_test *mt; /* the manifest entry (name, points, hints) */
    enum verdict verdict;
    int signal;         /* crashing signal (V_CRASHED) */
    int exit_code;      /* exit code of the worker, if it exited */
    double time;        /* seconds, native */
    char *message;      /* failed assertions / crash or timeout explanation */
    char *hang;         /* why it hung: one sentence (timeouts), or NULL */
    char *hang_details; /* the process-by-process picture, or NULL */
    bool watchdog;      /* killed by the grader's own per-test watchdog */
    bool probed;        /* the probe's end record was seen */
    json_t *fds;        /* [{"fd","target"}] left open (owned) */
    int children;       /* child processes left behind */
    char *children_desc;
    json_t *ipc;        /* [{"kind","name"}] left behind (owned) */
    bool vg_ran;        /* ran under memcheck and its worker log was found */
    bool vg_started;    /* a memcheck run started it (its worker's log names it) */
    char *vg_unchecked; /* why memcheck could not check it at all (memcheck_runs.h) */
    int vg_errors;
    long vg_leak_bytes, vg_leak_blocks; /* definitely lost */
    char *vg_error_text;                /* first error, a few lines */
    char *vg_leak_text;                 /* first definite leak record */
    double earned;                      /* points for the verdict (before deductions) */
    int stress_runs, stress_failed;     /* race stress: runs made, runs failed */
    unsigned long long stress_seed;     /* the seed of its first failed run */
    char *stress_message;               /* that run's message (owned), or NULL */
    char *trace; /* --trace-failures: the page with its traced timeline, or NULL */
};

/* One deduction: a category applied to one test, with evidence. */
struct deduction {
    enum policy_category cat;
    const char *test; /* the manifest test name (not owned) */
    double points;    /* points removed (after the category cap) */
    char *evidence;   /* what was found, one or a few lines */
    char *command;    /* the command that shows it to the student */
};

/* Sandbox state of the run, for the report. */
struct sandbox_info {
    bool on;          /* bubblewrap sandbox used */
    char note[640];   /* why it is off, or what it is */
    bool uid_dropped; /* tests ran as an unprivileged uid */
    struct workfs
        *capped; /* as root: each run's writable mounts from it (workfs_scratch) */
};

/* A whole grading run. */
/*
 * Where a grading run is, for a progress display: the phase, and during the
 * tests how many each pass has finished. Times are now_seconds(), 0 until
 * that pass began.
 */
struct grade_progress {
    const char *phase;              /* "build", "audit", "tests" */
    size_t tests_done, tests_total; /* the native pass: tests finished / to run */
    size_t vg_done, vg_total;       /* memcheck: tests finished / it will run */
    double tests_began, vg_began;   /* when each pass started */
};

struct grade;

/* A progress display: called at each phase and about 4 times a second during the tests.
 */
typedef void grade_progress_fn(const struct grade *g, const struct grade_progress *p,
                               void *arg);

struct grade {
    struct manifest m;
    struct policy pol;
    char lab_dir[4096];
    char submission[4096]; /* as given */
    char student[256];     /* CSV first column */
    char work[4096];       /* private work directory */
    bool build_ok;
    char *build_log;           /* compiler messages (capped) */
    struct audit audit;        /* the submission audit's findings (pass_audit) */
    bool audit_refused;        /* a finding refuses it and the policy refuses: score 0 */
    bool audit_flagged;        /* a finding refuses it, the policy says review */
    char *missing_files;       /* student files not found, or NULL */
    char *infra_error;         /* could not grade: why, or NULL */
    char *runner_note;         /* the native runner died / was killed: why, or NULL */
    char *cleaned;             /* unsandboxed: what pass_cleanup_host removed, or NULL */
    char *left_behind;         /* unsandboxed check: IPC objects new after it, or NULL */
    struct test_result *tests; /* m.ntests entries, manifest order */
    struct deduction *deds;
    size_t ndeds;
    double max_score, earned, deducted, score;
    double seconds; /* wall time of the whole run */
    double build_seconds, native_seconds, valgrind_seconds;
    double native_began, native_ended; /* the native pass, in Unix time (seconds) */
    double valgrind_ended;             /* memcheck's last run done (Unix time; 0: none) */
    double gates_began, gates_ended; /* the perf tests' run alone (Unix time; 0: none) */
    bool gates_pending;              /* pass_tests left the perf tests to pass_gates */
    int valgrind_runners;
    bool valgrind_skipped; /* --no-valgrind */
    struct sandbox_info sb;
    struct memcg mem;  /* the bound on the memory of everything the grade runs */
    struct workfs wfs; /* the work folder's capped mounts */
    grade_progress_fn *progress; /* NULL: no display (grade-all, check) */
    void *progress_arg;
    struct grade_progress prog; /* what progress is shown (passes.c keeps it) */
};

/* grade_add_deduction - append a deduction (takes ownership of the strings). */
void grade_add_deduction(struct grade *g, enum policy_category cat, const char *test,
                         double points, char *evidence, char *command);

/*
 * grade_init - give g, whose manifest g->m is loaded, one result per
 * manifest test (g->tests, manifest order), each "not run". Exits (status 2)
 * when memory runs out. grade_free releases it.
 */
void grade_init(struct grade *g);

/* test_result_free - release what one test result owns (messages, fds, ipc). */
void test_result_free(struct test_result *r);

/* grade_free - release everything g owns, its manifest included (not its work directory).
 */
void grade_free(struct grade *g);

/*
 * grade_uid - the unprivileged uid this grade's sandboxed commands run as
 * when the grader is root: 210000 + a slot number held with flock(2) on
 * /run/ipclab-uids/N (or under /tmp), so concurrent grades never share a
 * uid and one submission's fork bomb (RLIMIT_NPROC counts per uid) cannot
 * starve another. The slot is held until the grader exits. Returns -1 when
 * the grader is not root (commands keep the caller's uid).
 */
int grade_uid(void);

/*
 * ipc_owned_by_us - whether the IPC object a probe reported ("sysv-msg",
 * "key=..,id=N"; "posix-shm", "/name"...) was created by this grade's uid
 * (grade_uid(), or ours when not root). Without a sandbox the probe sees the
 * whole host's objects; only ours may be charged or removed. An object
 * already gone counts as ours.
 */
bool ipc_owned_by_us(const char *kind, const char *name);

/* grade_chown - chown path to grade_uid() when root; 0, or -1 with errno. */
int grade_chown(const char *path);

#endif /* IPCLAB_GRADE_H */
