/*
 * timeouts.c - prints every test's effective Criterion timeout, running no test.
 *
 * The one source of a test's time limit is its own declaration:
 * Test(..., .timeout = N), else its suite's TestSuite(..., .timeout = N)
 * (Criterion's rule). lab.mk links this main with the lab's compiled tests
 * and the support code, never the student's files (their symbols are left
 * unresolved: no test function is ever called), so deciding a timeout runs
 * no student code. It walks the tests and suites Criterion registers in the
 * cr_tst and cr_sts sections and prints one line per test:
 *
 *     suite/test SECONDS
 *
 * SECONDS is 0 when neither the test nor its suite declares a timeout (such
 * a test can hang `make check` forever; lab-check refuses it). `ipclab`
 * reads this table for its watchdogs, why-it-hung and messages.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* The linker's bounds of the sections Criterion's Test and TestSuite fill. */
extern struct criterion_test *__start_cr_tst[] __attribute__((weak));
extern struct criterion_test *__stop_cr_tst[] __attribute__((weak));
extern struct criterion_suite *__start_cr_sts[] __attribute__((weak));
extern struct criterion_suite *__stop_cr_sts[] __attribute__((weak));

/* The timeout TestSuite(category, ...) declares, or 0. */
static double suite_timeout(const char *category)
{
    /* The linker's section bounds: one array, which cppcheck cannot know. */
    // cppcheck-suppress comparePointers
    for (struct criterion_suite **s = __start_cr_sts; s < __stop_cr_sts; s++)
        if (*s != NULL && (*s)->data != NULL && strcmp((*s)->name, category) == 0)
            return (*s)->data->timeout;
    return 0;
}

int main(void)
{
    // cppcheck-suppress comparePointers
    for (struct criterion_test **t = __start_cr_tst; t < __stop_cr_tst; t++) {
        if (*t == NULL)
            continue;
        double timeout = (*t)->data != NULL ? (*t)->data->timeout : 0;
        if (timeout <= 0)
            timeout = suite_timeout((*t)->category);
        if (printf("%s/%s %g\n", (*t)->category, (*t)->name, timeout > 0 ? timeout : 0) <
            0)
            return 1;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
