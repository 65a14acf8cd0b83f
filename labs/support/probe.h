/* probe.h - per-test resource probe run inside every Criterion test worker. */
#ifndef IPCLAB_PROBE_H
#define IPCLAB_PROBE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The probe wraps Criterion's per-test entry points (link with
 * -Wl,--wrap=criterion_internal_test_setup,--wrap=criterion_internal_test_main,
 * --wrap=criterion_internal_test_teardown). Around each test it:
 *   - marks the valgrind log with "IPCLAB-TEST suite/name" (under valgrind);
 *   - diffs open fds (after .init, after the test body);
 *   - diffs SysV IPC objects, /dev/shm, /dev/mqueue (before .init, after .fini);
 *   - lists child processes still alive or unreaped after .fini;
 *   - lists FIFOs and sockets left in the test's tmpdir;
 * It appends JSON lines to $IPCLAB_PROBE_FILE (if set): at setup
 *   {"event":"start","test":"suite/name","pid":N}
 * and after .fini
 *   {"event":"end","test":..,"pid":N,"fds":[{"fd","target"}],"children":N,
 *    "children_desc":"pid state comm, ...","ipc":[{"kind","name"}]}
 * (kinds: sysv-msg, sysv-shm, sysv-sem, posix-shm, posix-sem, posix-mq, fifo,
 * socket), then kills and reaps leftover
 * children and removes the tmpdir. Under valgrind it records nothing (no
 * snapshot, no start or end record): memcheck's runs are read for their
 * logs and verdicts only; it still marks the log, kills the children and
 * removes the tmpdir.
 */

/* ipct_probe_set_tmpdir - tell the probe which directory to scan and remove. */
void ipct_probe_set_tmpdir(const char *path);

/*
 * ipct_probe_count_children - count this process's children (running or
 * zombie) without reaping them; list "pid state comm" entries into desc.
 */
int ipct_probe_count_children(char *desc, size_t len);

/*
 * ipct_probe_quiet - while on, the probe around a test prints no valgrind
 * marker: for the fork runner's warm-up test, which runs in the runner
 * itself and is no test of the lab.
 */
void ipct_probe_quiet(bool on);

/*
 * Children's messages. IPCT_CHILD_CHECK runs in a forked child, which must
 * never cr_assert: the parent only sees an exit code ("the joiner failed
 * (exit 138)"). So the child also appends its message to a page shared with
 * the whole test (MAP_SHARED | MAP_ANONYMOUS, made before the test body runs
 * and inherited by every process it forks), and the test's own failing
 * assertion carries those messages to the report.
 */

/* ipct_child_msgs_reset - a fresh, empty page for the test about to run. */
void ipct_child_msgs_reset(void);

/*
 * ipct_child_msgs_take - the children's messages not taken yet in this
 * process (lines, "" when none): each is given to one failing assertion.
 * Returns a pointer into a static buffer, valid until the next call.
 */
const char *ipct_child_msgs_take(void);

#endif /* IPCLAB_PROBE_H */
