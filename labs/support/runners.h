/* runners.h - fork runners (forkrun.c) that share the tests of one run. */
#ifndef IPCLAB_RUNNERS_H
#define IPCLAB_RUNNERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * The tests of one run can be shared by several runners ($IPCLAB_RUNNERS=N,
 * at most RUNNERS_MAX), each forking its tests one at a time, so that they
 * use N CPUs and end together whatever each test costs. The first runner
 * forks the others once Criterion is set up: under valgrind one memcheck
 * start then serves them all, and they inherit its translations (the
 * grader's memcheck run). They share a claim table: one byte a selected
 * test, in Criterion's order, in memory only they map; a runner runs a test
 * only if it is the first to set its byte, so every test runs once. Each
 * prints its tests' lines; a sibling sends its outcomes to the first
 * runner, which reports them all. No test child keeps the table or the
 * siblings' pipes (runners_close_in_child), and no runner is dumpable
 * (forkrun.c), so no test can write another's claims through /proc.
 */
#define RUNNERS_MAX 16

/*
 * runners_start - fork the siblings $IPCLAB_RUNNERS asks for, at most one a
 * test of the run's ntests selected ones. Returns this process's runner number: 0 in
 * the first runner (the caller, which alone reports), 1.. in a sibling. A
 * sibling dies with the first runner. If the table cannot be made, or a
 * fork fails, fewer runners share the run.
 */
int runners_start(size_t ntests);

/* runners_claim - may this runner run the k-th selected test (no other took
 * it)? Always true without a table. */
bool runners_claim(size_t k);

/* runners_close_in_child - in a test child: unmap the table, close the pipes. */
void runners_close_in_child(void);

/* runners_send - in a sibling: send tests (the outcomes it recorded, an
 * array) to the first runner. */
void runners_send(const json_t *tests);

/*
 * runners_gather - in the first runner, after its own tests: wait for each
 * sibling and append the outcomes it sent to tests. Returns how many
 * siblings sent none (ended before their report: their tests are missing).
 */
int runners_gather(json_t *tests);

#endif /* IPCLAB_RUNNERS_H */
