/* test_report.c - lab 10 exercise 5: the comparison table. */
#include "choosing.h"
#include "ipclab_test.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(report, .timeout = 30);

/*
 * The width a "-" takes in place of a ratio: the ratio's field is "%7.2fx",
 * 8 characters, so a dash keeps the columns aligned.
 */
#define RATIO_WIDTH 8

/* ---- the expected row, built independently of the student's code --------------- */

static size_t put(char *buf, size_t len, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#include <stdarg.h>
static size_t put(char *buf, size_t len, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + off, len - off, fmt, ap);
    va_end(ap);
    cr_assert(n >= 0 && (size_t)n < len - off, "expected row too long");
    return off + (size_t)n;
}

/* The row report_row must produce; base NULL means "no base" (every ratio "-"). */
static void expect_row(char *buf, size_t len, const struct bench_row *row,
                       const struct bench_row *base)
{
    size_t off = put(buf, len, 0, "%-16s", row->name);
    for (int c = 0; c < NCOLS; c++) {
        double v = row->mb_per_s[c], b = base ? base->mb_per_s[c] : NAN;
        off = isnan(v) ? put(buf, len, off, " %10s", "-")
                       : put(buf, len, off, " %10.1f", v);
        if (isnan(v) || isnan(b) || v == 0 || b == 0)
            off = put(buf, len, off, " %*s", RATIO_WIDTH, "-");
        else
            off = put(buf, len, off, " %7.2fx", v / b);
    }
    off = isnan(row->p50_us) ? put(buf, len, off, " %9s", "-")
                             : put(buf, len, off, " %9.2f", row->p50_us);
    isnan(row->p99_us) ? put(buf, len, off, " %9s", "-")
                       : put(buf, len, off, " %9.2f", row->p99_us);
}

/* report_row must write exactly what expect_row does. */
static void row_is(const struct bench_row *row, const struct bench_row *base)
{
    char want[256], got[256];
    expect_row(want, sizeof want, row, base);
    memset(got, '#', sizeof got);
    errno = 0;
    int n = report_row(got, sizeof got, row, base);
    cr_assert_geq(n, 0, "report_row(%s): %s", row->name, strerror(errno));
    cr_assert_str_eq(
        got, want,
        "report_row(%s):\n  got  \"%s\"\n  want \"%s\"\n"
        "(name %%-16s, then %%10.1f and %%7.2fx per size, %%9.2f twice, one space "
        "between fields, \"-\" right-aligned for a missing figure)",
        row->name, got, want);
    cr_assert_eq(n, (int)strlen(want),
                 "report_row returns the length written (%zu), not %d", strlen(want), n);
}

static const struct bench_row pipe_row = {"pipe", {52.5, 2000.0, 4000.0}, 7.5, 12.25};
static const struct bench_row ring_row = {
    "spin-ring", {1234.5, 9876.25, 12000.0}, 0.25, 1.5};

Test(report, row_formats_figures_and_ratios)
{
    row_is(&ring_row, &pipe_row);
    struct bench_row slow = {"sysv-msg", {10.0, 1000.0, 8000.0}, 30.0, 95.5};
    row_is(&slow, &pipe_row);
}

Test(report, row_with_base_itself_is_1x)
{
    row_is(&pipe_row, &pipe_row);
    row_is(&ring_row, &ring_row);
    char got[256];
    cr_assert_geq(report_row(got, sizeof got, &ring_row, &ring_row), 0);
    cr_assert_not_null(strstr(got, "   1.00x"),
                       "each ratio to itself is \"   1.00x\": %s", got);
}

Test(report, missing_figure_is_dash)
{
    struct bench_row r = {"posix-mq", {NAN, 1500.0, NAN}, NAN, 40.0};
    row_is(&r, &pipe_row);
    struct bench_row base = {"pipe", {50.0, NAN, 100.0}, 1.0, NAN};
    struct bench_row r2 = {"tcp", {40.0, 900.0, 700.0}, 20.0, NAN};
    row_is(&r2, &base);
}

Test(report, zero_base_ratio_is_dash)
{
    struct bench_row base = {"pipe", {0.0, 2000.0, 0.0}, 1.0, 2.0};
    struct bench_row r = {"shm-sem", {100.0, 0.0, 50.0}, 3.0, 4.0};
    row_is(&r, &base);
}

Test(report, small_buffer_is_enospc)
{
    char want[256], buf[256];
    expect_row(want, sizeof want, &ring_row, &pipe_row);
    size_t need = strlen(want) + 1;
    memset(buf, '#', sizeof buf);
    IPCT_ASSERT_FAILS(ENOSPC, report_row(buf, need - 1, &ring_row, &pipe_row),
                      "a %zu-byte row does not fit in %zu bytes (the NUL needs one)",
                      need - 1, need - 1);
    cr_assert_str_eq(buf, "", "after ENOSPC buf is \"\", not a cut row");
    memset(buf, '#', sizeof buf);
    IPCT_ASSERT_FAILS(ENOSPC, report_row(buf, 10, &ring_row, &pipe_row),
                      "report_row(buf, 10, &ring_row, &pipe_row) must fail with ENOSPC");
    cr_assert_str_eq(buf, "");
    cr_assert_eq(report_row(buf, need, &ring_row, &pipe_row), (int)need - 1,
                 "exactly enough room must work: %s", strerror(errno));
    cr_assert_str_eq(buf, want);
    IPCT_ASSERT_FAILS(
        EINVAL, report_row(NULL, 64, &ring_row, &pipe_row),
        "NULL buf: report_row(NULL, 64, &ring_row, &pipe_row) must fail with EINVAL");
    IPCT_ASSERT_FAILS(
        EINVAL, report_row(buf, sizeof buf, NULL, &pipe_row),
        "NULL row: report_row(buf, sizeof buf, NULL, &pipe_row) must fail with EINVAL");
    IPCT_ASSERT_FAILS(
        EINVAL, report_row(buf, sizeof buf, &ring_row, NULL),
        "NULL base: report_row(buf, sizeof buf, &ring_row, NULL) must fail with EINVAL");
}

/* ---- report_fastest ---------------------------------------------------------------- */

static const struct bench_row table[] = {
    {"pipe", {50.0, 2000.0, 4000.0}, 7.0, 12.0},
    {"unix-stream", {60.0, 2500.0, 5000.0}, 6.0, 11.0},
    {"tcp", {30.0, 1200.0, 3000.0}, 15.0, 30.0},
    {"spin-ring", {900.0, 8000.0, 4500.0}, 0.2, 0.9},
    {"shm-sem", {100.0, 3000.0, 6000.0}, 3.0, 8.0},
};
#define NTABLE (sizeof table / sizeof table[0])

static void fastest_is(const struct bench_row *rows, size_t n, int col, size_t want)
{
    errno = 0;
    const struct bench_row *got = report_fastest(rows, n, col);
    cr_assert_not_null(got, "report_fastest(col %d) returned NULL: %s", col,
                       strerror(errno));
    cr_assert_eq(got, &rows[want], "column %d: expected row %zu (%s), got %s", col, want,
                 rows[want].name, got->name);
}

Test(report, fastest_picks_highest_throughput)
{
    fastest_is(table, NTABLE, COL_64B, 3);
    fastest_is(table, NTABLE, COL_4K, 3);
    fastest_is(table, NTABLE, COL_64K, 4);
    fastest_is(table, 1, COL_64K, 0);
}

Test(report, fastest_latency_is_lowest_p50)
{
    fastest_is(table, NTABLE, NCOLS, 3);
    fastest_is(table, 3, NCOLS, 1);
}

Test(report, fastest_skips_nan_and_ties_go_first)
{
    struct bench_row rows[] = {
        {"a", {NAN, 10.0, NAN}, NAN, 1.0},
        {"b", {5.0, 20.0, NAN}, 4.0, 1.0},
        {"c", {5.0, 20.0, 3.0}, 4.0, 1.0},
        {"d", {NAN, NAN, NAN}, NAN, NAN},
    };
    fastest_is(rows, 4, COL_64B, 1);
    fastest_is(rows, 4, COL_4K, 1);
    fastest_is(rows, 4, COL_64K, 2);
    fastest_is(rows, 4, NCOLS, 1);
}

Test(report, fastest_of_nothing_is_enoent)
{
    struct bench_row rows[] = {{"a", {NAN, NAN, NAN}, NAN, NAN},
                               {"b", {NAN, NAN, NAN}, NAN, NAN}};
    for (int col = 0; col <= NCOLS; col++) {
        errno = 0;
        cr_assert_null(report_fastest(rows, 2, col), "no row has a figure in column %d",
                       col);
        cr_assert_eq(errno, ENOENT, "column %d: errno %s, expected ENOENT", col,
                     strerror(errno));
    }
    errno = 0;
    cr_assert_null(report_fastest(table, 0, COL_4K), "no rows at all");
    cr_assert_eq(errno, ENOENT, "n = 0: errno %s, expected ENOENT", strerror(errno));
    int bad[] = {-1, NCOLS + 1, 100};
    for (int i = 0; i < 3; i++) {
        errno = 0;
        cr_assert_null(report_fastest(table, NTABLE, bad[i]));
        cr_assert_eq(errno, EINVAL, "col %d: errno %s, expected EINVAL", bad[i],
                     strerror(errno));
    }
    errno = 0;
    cr_assert_null(report_fastest(NULL, 3, COL_4K));
    cr_assert_eq(errno, EINVAL, "rows NULL: errno %s, expected EINVAL", strerror(errno));
}

/* ---- report_print ------------------------------------------------------------------ */

/* report_print's output, split into lines (free with free_lines). */
struct lines {
    char *text;
    char **line;
    size_t n;
};

static struct lines print_table(const struct bench_row *rows, size_t n)
{
    struct lines l = {0};
    size_t size = 0;
    FILE *f = open_memstream(&l.text, &size);
    cr_assert_not_null(f, "open_memstream: %s", strerror(errno));
    errno = 0;
    int rc = report_print(f, rows, n);
    int err = errno;
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(rc, 0, "report_print: %s", strerror(err));
    l.line = calloc(size + 2, sizeof *l.line);
    cr_assert_not_null(l.line);
    for (char *p = l.text, *nl; *p != '\0'; p = nl + 1) {
        l.line[l.n++] = p;
        nl = strchr(p, '\n');
        if (nl == NULL)
            break;
        *nl = '\0';
    }
    return l;
}

static void free_lines(struct lines *l)
{
    free(l->line);
    free(l->text);
}

/* Check header, rows (against base) and winners; returns the index of the tree's start.
 */
static size_t check_table(struct lines *l, const struct bench_row *rows, size_t n,
                          const struct bench_row *base, const char *winners[4])
{
    char want[256];
    cr_assert_geq(l->n, n + 7,
                  "report_print wrote %zu lines: a header, %zu rows, a blank "
                  "line, 4 winners, a blank line and the decision tree",
                  l->n, n);
    cr_assert(l->line[0][0] != '\0', "the first line is a header naming the columns");
    for (size_t i = 0; i < n; i++) {
        expect_row(want, sizeof want, &rows[i], base);
        cr_assert_str_eq(l->line[1 + i], want,
                         "line %zu should be report_row of row %zu (%s) against %s:\n"
                         "  got  \"%s\"\n  want \"%s\"",
                         i + 2, i, rows[i].name,
                         base ? "\"pipe\"" : "nothing (no pipe row)", l->line[1 + i],
                         want);
    }
    cr_assert_str_eq(l->line[n + 1], "", "a blank line follows the rows, got \"%s\"",
                     l->line[n + 1]);
    static const char *const label[4] = {"fastest at 64 B: ", "fastest at 4 KiB: ",
                                         "fastest at 64 KiB: ", "lowest round trip: "};
    for (int i = 0; i < 4; i++) {
        snprintf(want, sizeof want, "%s%s", label[i], winners[i]);
        cr_assert_str_eq(l->line[n + 2 + i], want,
                         "winner line %d: got \"%s\", want \"%s\"", i + 1,
                         l->line[n + 2 + i], want);
    }
    cr_assert_str_eq(l->line[n + 6], "", "a blank line follows the winners, got \"%s\"",
                     l->line[n + 6]);
    return n + 7;
}

/* The lines from `from` on, joined (the decision tree). */
static char *tree_text(struct lines *l, size_t from)
{
    size_t len = 1;
    for (size_t i = from; i < l->n; i++)
        len += strlen(l->line[i]) + 1;
    char *t = calloc(len, 1);
    cr_assert_not_null(t);
    for (size_t i = from; i < l->n; i++) {
        strcat(t, l->line[i]);
        strcat(t, "\n");
    }
    return t;
}

Test(report, print_has_rows_winners_and_tree)
{
    struct bench_row rows[] = {
        {"pipe", {52.5, 2000.25, 4000.0}, 7.5, 12.25},
        {"unix-stream", {60.0, 2500.0, NAN}, 6.0, 11.0},
        {"posix-mq", {NAN, NAN, NAN}, NAN, NAN},
        {"spin-ring", {1234.5, 9876.25, 12000.0}, 0.25, 1.5},
        {"shm-sem", {100.0, 3000.0, 6000.0}, 3.0, 8.0},
    };
    size_t n = sizeof rows / sizeof rows[0];
    const char *winners[4] = {"spin-ring", "spin-ring", "spin-ring", "spin-ring"};
    struct lines l = print_table(rows, n);
    size_t from = check_table(&l, rows, n, &rows[0], winners);
    char *tree = tree_text(&l, from);
    const char *topics[] = {"shared memory", "pipe", "message queue", "socket", "FIFO"};
    for (int i = 0; i < 5; i++)
        cr_assert_not_null(strcasestr(tree, topics[i]),
                           "the decision tree should mention \"%s\":\n%s", topics[i],
                           tree);
    cr_assert_not_null(
        strstr(tree, "9876"),
        "the spin-ring leaf shows its measured 4 KiB throughput (9876.25):\n%s", tree);
    cr_assert_not_null(strstr(tree, "2000"),
                       "the pipe leaf shows its measured 4 KiB throughput (2000.25):\n%s",
                       tree);
    free(tree);
    free_lines(&l);
}

Test(report, print_without_pipe_has_no_ratios)
{
    struct bench_row rows[] = {
        {"tcp", {30.0, 1200.0, 3000.0}, NAN, NAN},
        {"sysv-msg", {20.0, 800.0, NAN}, NAN, NAN},
    };
    const char *winners[4] = {"tcp", "tcp", "tcp", "-"};
    struct lines l = print_table(rows, 2);
    check_table(&l, rows, 2, NULL, winners);
    free_lines(&l);
}

/*
 * A write to out that fails is an error of report_print's: /dev/full takes
 * nothing (ENOSPC), whether the stream writes at once or when it is flushed.
 */
Test(report, print_write_error_is_returned)
{
    FILE *f = fopen("/dev/full", "we");
    cr_assert_not_null(f, "fopen /dev/full: %s", strerror(errno));
    errno = 0;
    int rc = report_print(f, table, NTABLE), err = errno;
    fclose(f);
    cr_assert_eq(rc, -1,
                 "report_print to /dev/full returned %d: a failed write to out is an "
                 "error (check ferror, or fflush, before returning)",
                 rc);
    cr_assert_eq(err, ENOSPC, "report_print to /dev/full: errno %s, expected ENOSPC",
                 strerror(err));
}

Test(report, print_bad_arguments_are_einval)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    cr_assert_not_null(f);
    IPCT_ASSERT_FAILS(
        EINVAL, report_print(NULL, table, NTABLE),
        "out NULL: report_print(NULL, table, NTABLE) must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, report_print(f, NULL, 2),
                      "rows NULL: report_print(f, NULL, 2) must fail with EINVAL");
    fclose(f);
    free(text);
}
