/*
 * hook.c - appended (after a case's corpus_hostile()) to a lab's reference
 * solution by tests/grader.test.sh, so every corpus case is "the solution +
 * one hostile change" and keeps working when the lab changes.
 *
 * The test binary's probe calls criterion_internal_test_main through
 * --wrap; defining that symbol here puts this function between the probe and
 * Criterion, inside the test worker, with criterion_current_test set. It
 * runs corpus_hostile() in the test named CORPUS_TARGET ("*": every test),
 * then the test itself.
 */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

void criterion_internal_test_main(void (*fn)(void));

static void (*corpus_body)(void); /* the test body being run */

static void corpus_hostile_then_body(void)
{
    corpus_hostile();
    corpus_body();
}

void criterion_internal_test_main(void (*fn)(void))
{
    static void (*real)(void (*)(void));
    if (real == NULL)
        *(void **)&real = dlsym(RTLD_NEXT, "criterion_internal_test_main");
    const struct criterion_test *t = criterion_current_test;
    char name[256];
    snprintf(name, sizeof name, "%s/%s", t->category, t->name);
    if (strcmp(CORPUS_TARGET, "*") == 0 || strcmp(name, CORPUS_TARGET) == 0) {
        corpus_body = fn;
        fn = corpus_hostile_then_body;
    }
    real(fn);
}
