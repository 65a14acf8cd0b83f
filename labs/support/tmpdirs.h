/* tmpdirs.h - the tests' private folders under $TMPDIR: made, removed, swept after a run.
 */
#ifndef IPCLAB_TMPDIRS_H
#define IPCLAB_TMPDIRS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A test process makes its private folder when it first asks for it
 * (ipct_tmpdir), and the probe removes it when the test ends (probe.c). A
 * test that crashes, or is killed at its timeout, never gets there: its
 * folder would stay in $TMPDIR after every `make check` of a broken solution.
 * So the runner tags its run ($IPCLAB_RUN: its pid and 16 random bits,
 * inherited by every process its tests start), every folder made in the run
 * carries the tag in its name ($TMPDIR/ipclab-TAG-PID-XXXXXX), and the
 * runner removes what is left of its run's folders after its last test.
 * Another run's folders (another tag, or none) are never touched.
 */

/*
 * tmpdirs_begin_run - in a runner, before its first test: give the run a
 * fresh tag (replacing any inherited one) and remember $TMPDIR (or /tmp).
 */
void tmpdirs_begin_run(void);

/*
 * tmpdirs_end_run - in the runner that began the run, once every test of it
 * has ended: remove this run's folders still in $TMPDIR (directories of this
 * user only; a symlink or a file of that name is left alone). Does nothing
 * in a process that did not begin a run.
 */
void tmpdirs_end_run(void);

/*
 * tmpdirs_make - make a new private folder (mode 0700) for this process
 * under $TMPDIR (or /tmp), named with the run's tag when $IPCLAB_RUN holds a
 * valid one; its path into buf. False, with errno set, if it cannot.
 */
bool tmpdirs_make(char *buf, size_t len);

/*
 * tmpdirs_remove - remove path and everything under it, children before
 * parents, never following a symlink nor crossing into another mount.
 */
void tmpdirs_remove(const char *path);

#endif /* IPCLAB_TMPDIRS_H */
