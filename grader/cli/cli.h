/* cli.h - the verbs of `ipclab` and what they share (the only layer that knows argv). */
#ifndef IPCLAB_CLI_H
#define IPCLAB_CLI_H

#include "engine/check.h"
#include "engine/manifest.h"
#include "base/term.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Each subcommand gets argv starting at its own name; returns the exit status. */
int cmd_manifest(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_grade(int argc, char **argv);
int cmd_grade_all(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_why_hung(int argc, char **argv);
int cmd_status(int argc, char **argv); /* the student's side: status.c, check.c, ... */
int cmd_check(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_hint(int argc, char **argv);
int cmd_grade_student(int argc,
                      char **argv); /* `grade NN` -> grade --lab NN --submission ROOT */
int cmd_submit(int argc, char **argv);
int cmd_reset(int argc, char **argv);
int cmd_solution(int argc, char **argv);
int cmd_trace(int argc, char **argv);

/*
 * cli_help - print usage text to stdout and return 0 when argv holds
 * --help or -h; otherwise return -1 and print nothing.
 */
int cli_help(int argc, char **argv, const char *usage);

/*
 * cli_help_or_usage - the end of a getopt switch: for 'h' (--help) print
 * usage on stdout and return 0; for anything else on stderr and return 2.
 */
int cli_help_or_usage(int c, void (*usage)(FILE *out));

/* What a verb's option does when it is given (see cli_parse). */
enum cli_kind {
    CLI_STRING, /* --name VALUE: *(const char **)dst = VALUE */
    CLI_TRUE,   /* --name: *(bool *)dst = true */
    CLI_FALSE,  /* --name: *(bool *)dst = false (the "--no-X" options) */
    CLI_CHOICE, /* --name: *(int *)dst = value (one of exclusive choices; the last wins)
                 */
    CLI_CALL,   /* --name VALUE: call(VALUE, dst), which prints why and returns -1
                   when VALUE is wrong (a usage error) */
};

/* One option of a verb's command line: a row of the table cli_parse reads. */
struct cli_opt {
    const char *name;                  /* the long name, without "--" */
    char letter;                       /* the one-letter form (-q), or 0 */
    enum cli_kind kind;                /* what giving it does */
    void *dst;                         /* where it is stored (see cli_kind) */
    int value;                         /* CLI_CHOICE: the value stored */
    int (*call)(char *arg, void *dst); /* CLI_CALL: checks and stores VALUE */
};

/* Rows of a cli_opt table: a plain option, one of a choice, one whose value a function
   checks. */
#define CLI_ROW(name, letter, kind, dst)                                                 \
    {                                                                                    \
        (name), (letter), (kind), (dst), 0, NULL                                         \
    }
#define CLI_CHOOSE(name, dst, value)                                                     \
    {                                                                                    \
        (name), 0, CLI_CHOICE, (dst), (value), NULL                                      \
    }
#define CLI_WITH(name, letter, dst, call)                                                \
    {                                                                                    \
        (name), (letter), CLI_CALL, (dst), 0, (call)                                     \
    }

/*
 * cli_parse - the options of argv (getopt_long: long names, letters,
 * --name=VALUE) against the n rows of opts, plus --help and -h. Stores
 * each option as its row says. Returns -1 to go on, with optind at the
 * first operand; 0 after --help (usage printed on stdout); 2 after an
 * unknown option or a wrong value (usage or the reason printed on stderr).
 */
int cli_parse(int argc, char **argv, const struct cli_opt *opts, size_t n,
              void (*usage)(FILE *out));

/* What one `ipclab check` run is asked to do. */
struct check_opts {
    bool asan;        /* build with SAN=1 into build/asan */
    bool verbose;     /* also print the raw test output (-v) */
    bool memcheck;    /* once every test passes, the grader's memcheck run (--memcheck) */
    const char *glob; /* Criterion filter ("suite/test" glob), or NULL for all */
    bool quiet;       /* print nothing (solution uses the verdicts only) */
    bool record;      /* store the result in the progress file */
    const char *first;       /* tests to run first and report on their own, before the
                                rest (watch: those that failed last time), or NULL */
    int stress;              /* --stress N: N runs of the stress-marked tests, or 0 */
    unsigned long long seed; /* --seed S: the first run's seed ... */
    bool seed_given;         /* ... when given (else a random one) */
};

/*
 * stress_arg - store opt's value ("--stress" N runs, "--seed" S) into *o.
 * Returns 0, or -1 after saying on stderr why value is wrong (or missing).
 */
int stress_arg(const char *opt, const char *value, struct check_opts *o);

/*
 * print_message_and_hang - a failed test's message, indented, one line at a
 * time (at most max_lines; 0: all), then why it hung when known (failure.c).
 */
void print_message_and_hang(const struct test_result *r, const struct colours *c,
                            int max_lines);

/*
 * check_stress - `check --stress`: run the tests of g->m (loaded, timeouts
 * too) that match o->glob, else those marked `options = stress`, o->stress
 * times with the test binary bin, as check runs them (check_run_tests), each
 * run with IPCLAB_STRESS_SEED = the next seed from o->seed (or a random
 * base) and the CPUs the seed picks (even: one CPU, odd: all). Prints
 * progress, each failure with its seed and the command that replays it, and
 * a summary. Returns 0 when every run passed, 1 when one failed, 2 when no
 * test is selected, 130 when interrupted.
 */
int check_stress(struct grade *g, const char *bin, const struct check_opts *o);

/*
 * check_lab - build the student's src/ of lab_dir with make into the lab's
 * own build directory (build/ for a plain check, build/asan with SAN=1), so
 * unchanged objects are reused, then run the tests natively with the
 * grader's own runner (native_inner: watchdog and why-it-hung) and read its
 * results with collect_native. Prints compiler errors first, then one line
 * per failure with its assertion message, the manifest's first hint and,
 * for a timeout, the why-it-hung sentence. Fills *res. Returns 0 when the
 * build succeeded and every test run passed, 1 otherwise, 2 when it could
 * not run at all (after printing why). (check.c; watch and solution use it.)
 */
int check_lab(const char *lab_dir, const struct check_opts *o, struct check_result *res);

/*
 * check_args - check's and watch's command line, `[--asan] [NN] [GLOB]`:
 * the options into *o (which records the result), the lab NN (else
 * fallback; NULL: NN is required) resolved into dir (len bytes). Returns
 * -1 to go on, 0 after --help, 2 after a usage error (printed with usage)
 * or a lab that does not resolve.
 */
int check_args(int argc, char **argv, const char *usage, const char *fallback,
               struct check_opts *o, char *dir, size_t len);

/*
 * cli_lab_manifest - the command line `VERB NN [ARG]` (--help answered):
 * resolve lab NN into dir (len bytes) and load its manifest into *m.
 * Returns -1 to go on (the caller frees *m), 0 after --help, 2 after an
 * error (printed). (hint.c; reset uses it too.)
 */
int cli_lab_manifest(int argc, char **argv, const char *usage, char *dir, size_t len,
                     struct manifest *m);

#endif /* IPCLAB_CLI_H */
