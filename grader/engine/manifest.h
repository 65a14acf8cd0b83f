/* manifest.h - reads a lab's lab.ini: title, student files, tests, points, hints. */
#ifndef IPCLAB_MANIFEST_H
#define IPCLAB_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#define MANIFEST_MAX_HINTS 4
#define MANIFEST_MAX_WHENS 4

/* Per-test options (the `options =` list in a [test ...] section). */
enum test_option {
    OPT_NO_VALGRIND =
        1 << 0,          /* meaningless under memcheck: verdict from native run only */
    OPT_HIDDEN = 1 << 1, /* not shipped to students; reported as hidden */
    OPT_PERF = 1 << 2,   /* a performance gate: needs >= 2 CPUs, no valgrind */
    OPT_STRESS = 1 << 3, /* a concurrency test rerun under seeded race stress */
};

/* One [test suite/name] section. */
struct manifest_test {
    char *name;                      /* "suite/name" (<= 44 chars, inih's limit) */
    double points;                   /* points when it passes */
    char *hints[MANIFEST_MAX_HINTS]; /* hint, hint2, ... (NULL when absent) */
    int nhints;                      /* number of hints given */
    /* Hints keyed to what a failure shows: when = REGEX, then = HINT (when2/then2 ..
     * when4/then4). REGEX is a POSIX extended regex matched against the failure's
     * message and why-it-hung sentence; the first that matches replaces hint. */
    char *when[MANIFEST_MAX_WHENS];
    char *then[MANIFEST_MAX_WHENS];
    unsigned options; /* OR of enum test_option */
    char *require;    /* calls the test's exercise must make ("a|b c"), or NULL */
    char *forbid;     /* calls it may not make ("pipe pipe2"), or NULL */
    double timeout;   /* seconds: its Criterion timeout (timeouts_load), 0 until loaded */
};

/* One line of [mutants]: a mutant the lab's author judged equivalent
 * (scripts/mutants.sh). */
struct manifest_mutant {
    char *id;     /* "file.c/function/operator/hash", as scripts/mutants.sh prints it */
    char *reason; /* why no test can tell it from the reference */
};

/* A whole lab.ini. */
struct manifest {
    char *dir;            /* the lab directory the manifest was read from */
    char *id;             /* "01" (from the directory name) */
    char *slug;           /* "01-pipes" (the directory name) */
    char *title;          /* [lab] title */
    char **student_files; /* [lab] student_files, split on spaces/commas */
    size_t nstudent_files;
    char *allow;   /* [lab] allow: calls beyond labs/allowed-calls.txt, or NULL */
    char *forbid;  /* [lab] forbid: calls of that list this lab refuses, or NULL */
    char *require; /* [lab] require: calls the student's code must make, or NULL */
    int timeout;   /* the largest test timeout, in whole seconds (timeouts_load) */
    struct manifest_test *tests; /* in file order */
    size_t ntests;
    struct manifest_mutant *mutants; /* [mutants]: equivalent mutants, in file order */
    size_t nmutants;
};

/*
 * manifest_load - parse LAB_DIR/lab.ini into *m.
 *
 * Returns 0, or -1 after printing "manifest: FILE:LINE: what is wrong" to
 * stderr (unknown keys, bad numbers, tests without points are errors, so a
 * typo never silently changes a grade). Free with manifest_free().
 */
int manifest_load(const char *lab_dir, struct manifest *m);

/* manifest_free - release everything manifest_load allocated. */
void manifest_free(struct manifest *m);

/* manifest_find_test - the test named "suite/name", or NULL. */
const struct manifest_test *manifest_find_test(const struct manifest *m,
                                               const char *name);

/*
 * manifest_hint_for - the hint for a failure of t that showed message and hang
 * (either may be NULL): the `then` of the first `when` regex matching either
 * text, else the test's first hint. *keyed (when not NULL) says whether a
 * `when` matched. Never NULL for a manifest that loaded.
 */
const char *manifest_hint_for(const struct manifest_test *t, const char *message,
                              const char *hang, bool *keyed);

/* manifest_max_points - the sum of every test's points. */
double manifest_max_points(const struct manifest *m);

/* manifest_has_perf - does some test carry the perf option (a speed gate)? */
bool manifest_has_perf(const struct manifest *m);

/* manifest_perf_names - the perf tests' names joined by '|' (malloc'd), NULL if none. */
char *manifest_perf_names(const struct manifest *m);

#endif /* IPCLAB_MANIFEST_H */
