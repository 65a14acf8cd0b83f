/* test_ledger.c - lab 05 tests: a robust, process-shared, priority-inheriting mutex
 * (exercise 6). */
#include "ipclab_test.h"
#include "sem_helpers.h"
#include "semaphores.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TestSuite(ledger, .timeout = 20);

/* How long a locker may take once it can have the lock. A lock call still
 * blocked after this is wedged for good (a dead owner nobody recovers). */
#define LOCK_BOUND_MS 5000

/* What one locker child saw, in memory shared with the test. */
struct seen {
    int r, err;               /* ledger_lock's return value and errno */
    int unlock_r, unlock_err; /* ledger_unlock's, when the lock was taken */
};

/*
 * A peer process. It talks through two pipes: it writes one byte on `report`
 * at each step it reaches, and it leaves only when `release` reaches EOF, so
 * it stays alive (and keeps what it holds) while the test looks.
 */
struct peer {
    pid_t pid;
    int report;  /* read end: a byte per step reached */
    int release; /* write end: one byte = go on, close = exit */
};

enum holder_mode {
    HOLD_CLEAN,       /* take the lock, change nothing */
    HOLD_HALF_DONE,   /* journal a transfer 0 -> 1 of 30, subtract, stop */
    HOLD_UNJOURNALED, /* add 7 to balance 2 without any journal */
};

/* Set up the two pipes of a peer; in the child, returns with the other ends
 * closed. Returns the pid (0 in the child). */
static pid_t start_peer(struct peer *p, int *report_w, int *release_r)
{
    int rep[2], rel[2];
    cr_assert_eq(pipe(rep), 0);
    cr_assert_eq(pipe(rel), 0);
    p->pid = ipct_fork();
    if (p->pid == 0) {
        close(rep[0]);
        close(rel[1]);
        *report_w = rep[1];
        *release_r = rel[0];
        return 0;
    }
    close(rep[1]);
    close(rel[0]);
    p->report = rep[0];
    p->release = rel[1];
    return p->pid;
}

/* In a peer: wait for the test's next byte; false at EOF (time to exit). */
static bool await_release(int release_r)
{
    char c;
    return get_byte(release_r, &c) == 0;
}

/* Close the pipes and reap the peer: its exit code, or -1. A peer known to
 * be stuck (in a lock that never came) is killed first. */
static int finish_peer(struct peer *p, bool stuck)
{
    if (stuck)
        kill(p->pid, SIGKILL);
    close(p->release);
    close(p->report);
    return ipct_wait_exit(p->pid, LOCK_BOUND_MS);
}

/* True when the peer reported a step within timeout_ms. */
static bool peer_reached(struct peer *p, int timeout_ms)
{
    char c;
    return ipct_readable_within(p->report, timeout_ms) && get_byte(p->report, &c) == 0;
}

/*
 * A holder: ledger_lock, change the state as `mode` says, report 'h'. Then
 * on the first release byte ledger_unlock and report 'u'; it exits at EOF.
 * If it should die holding the lock, the test kills it after 'h'.
 */
static void start_holder(struct peer *p, struct ledger *l, enum holder_mode mode,
                         int nice_value)
{
    int report_w, release_r;
    if (start_peer(p, &report_w, &release_r) != 0)
        return;
    if (nice_value != 0) /* raising one's own nice value needs no privilege */
        IPCT_CHILD_CHECK(setpriority(PRIO_PROCESS, 0, nice_value) == 0);
    IPCT_CHILD_CHECK(ledger_lock(l) == 0);
    if (mode == HOLD_HALF_DONE) {
        /* The journal protocol of the header, stopped half way. */
        l->journal.from = 0;
        l->journal.to = 1;
        l->journal.from_before = l->balance[0];
        l->journal.to_before = l->balance[1];
        l->journal.transfers_before = l->transfers;
        l->journal.active = 1;
        l->balance[0] -= 30;
    } else if (mode == HOLD_UNJOURNALED) {
        l->balance[2] += 7;
    }
    IPCT_CHILD_CHECK(put_byte(report_w, 'h') == 0);
    if (await_release(release_r)) {
        IPCT_CHILD_CHECK(ledger_unlock(l) == 0);
        IPCT_CHILD_CHECK(put_byte(report_w, 'u') == 0);
        while (await_release(release_r))
            continue;
    }
    _exit(0);
}

/*
 * A locker: report 'w', ledger_lock (results in *s), ledger_unlock if the
 * lock was taken, report 'd'; exits at EOF. With keep set it does not
 * unlock: it keeps whatever it holds until the test lets it exit.
 */
static void start_locker(struct peer *p, struct ledger *l, struct seen *s, bool keep)
{
    int report_w, release_r;
    if (start_peer(p, &report_w, &release_r) != 0)
        return;
    IPCT_CHILD_CHECK(put_byte(report_w, 'w') == 0);
    errno = 0;
    s->r = ledger_lock(l);
    s->err = errno;
    if (s->r >= 0 && !keep) {
        errno = 0;
        s->unlock_r = ledger_unlock(l);
        s->unlock_err = errno;
    }
    IPCT_CHILD_CHECK(put_byte(report_w, 'd') == 0);
    while (await_release(release_r))
        continue;
    _exit(0);
}

/* Kill a holder that reported 'h' with SIGKILL and reap it. */
static void kill_holder(struct peer *p)
{
    cr_assert(peer_reached(p, LOCK_BOUND_MS), "the holder never took the lock");
    kill(p->pid, SIGKILL);
    int status;
    cr_assert_eq(ipct_wait(p->pid, &status, LOCK_BOUND_MS), 0);
    cr_assert(WIFSIGNALED(status), "the holder ended by itself (status %#x)", status);
    close(p->release);
    close(p->report);
}

/* One lock and unlock in a child, bounded in time: false if it never returned. */
static bool lock_once_elsewhere(struct ledger *l, struct seen *s)
{
    struct peer p;
    start_locker(&p, l, s, false);
    bool returned = peer_reached(&p, LOCK_BOUND_MS) && peer_reached(&p, LOCK_BOUND_MS);
    finish_peer(&p, !returned);
    return returned;
}

/* Field 3 (state) and field 18 (priority: 20 + nice for normal tasks, lower
 * is more urgent) of /proc/PID/stat. False if it cannot be read. */
static bool proc_state(pid_t pid, char *state, int *prio)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    bool ok = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    const char *after_name = ok ? strrchr(buf, ')') : NULL; /* the name may hold spaces */
    return after_name != NULL &&
           sscanf(after_name + 2,
                  "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %d", state,
                  prio) == 2;
}

/* Poll until pid sleeps (S or D), at most timeout_ms: a locker that reported
 * 'w' and then sleeps is blocked in the lock. Polling observes a state; it
 * is no substitute for synchronisation, so a false result is harmless. */
static bool wait_sleeping(pid_t pid, int timeout_ms)
{
    long long deadline = mono_ms() + timeout_ms;
    char state;
    int prio;
    while (proc_state(pid, &state, &prio) && mono_ms() < deadline) {
        if (state == 'S' || state == 'D')
            return true;
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* A holder process takes the ledger's lock and keeps it; a waiter process
 * then tries to take it and is (most likely) asleep in it on return. */
static void holder_and_waiter(struct ledger *l, struct seen *s, struct peer *holder,
                              struct peer *waiter)
{
    start_holder(holder, l, HOLD_CLEAN, 0);
    cr_assert(peer_reached(holder, LOCK_BOUND_MS), "the holder never took the lock");
    start_locker(waiter, l, s, false);
    cr_assert(peer_reached(waiter, LOCK_BOUND_MS));
    wait_sleeping(waiter->pid, 2000); /* asleep in the lock, most likely */
}

static long sum_of(const struct ledger *l)
{
    long sum = 0;
    for (int i = 0; i < LEDGER_ACCOUNTS; i++)
        sum += l->balance[i];
    return sum;
}

/* A new ledger with initial in every account; the test fails if ledger_create does. */
static struct ledger *new_ledger(long initial)
{
    struct ledger *l = ledger_create(initial);
    cr_assert_not_null(l, "ledger_create: %s", strerror(errno));
    return l;
}

Test(ledger, create_sets_up_state)
{
    struct ledger *l = new_ledger(100);
    struct ledger copy = *l;
    int r1 = ledger_lock(l);
    int r2 = ledger_unlock(l);
    ledger_destroy(l);
    for (int i = 0; i < LEDGER_ACCOUNTS; i++)
        cr_assert_eq(copy.balance[i], 100, "balance[%d] is %ld, expected 100", i,
                     copy.balance[i]);
    cr_assert_eq(copy.total, 100 * LEDGER_ACCOUNTS, "total is %ld", copy.total);
    cr_assert(copy.transfers == 0 && copy.recoveries == 0 && copy.journal.active == 0,
              "a new ledger has no transfers, no recoveries and no active journal");
    cr_assert(r1 == 0 && r2 == 0, "lock %d, unlock %d on a fresh ledger", r1, r2);
}

Test(ledger, transfer_moves_amount)
{
    struct ledger *l = new_ledger(50);
    int r1 = ledger_transfer(l, 0, 3, 20);
    int r2 = ledger_transfer(l, 3, 1, 70); /* balances may go negative */
    struct ledger copy = *l;
    int again = ledger_lock(l); /* the transfers unlocked: it is free */
    ledger_unlock(l);
    ledger_destroy(l);
    cr_assert(r1 == 0 && r2 == 0, "ledger_transfer failed");
    long want[LEDGER_ACCOUNTS] = {30, 120, 50, 0};
    for (int i = 0; i < LEDGER_ACCOUNTS; i++)
        cr_assert_eq(copy.balance[i], want[i], "balance[%d] is %ld, expected %ld", i,
                     copy.balance[i], want[i]);
    cr_assert_eq(copy.transfers, 2, "transfers is %lu after two transfers",
                 copy.transfers);
    cr_assert_eq(copy.journal.active, 0, "the journal must be inactive after a transfer");
    cr_assert_eq(again, 0, "the lock was not free after the transfers");
}

Test(ledger, transfer_writes_journal)
{
    /* The journal outlives the transfer (only `active` is cleared), so what
     * the last transfer recorded can be read afterwards. */
    struct ledger *l = new_ledger(50);
    int r1 = ledger_transfer(l, 0, 1, 5);
    int r2 = ledger_transfer(l, 3, 1, 8);
    struct ledger_journal j = l->journal;
    ledger_destroy(l);
    cr_assert(r1 == 0 && r2 == 0, "ledger_transfer failed");
    cr_assert(j.from == 3 && j.to == 1,
              "the journal names accounts %d -> %d, the last transfer was 3 -> 1", j.from,
              j.to);
    cr_assert(
        j.from_before == 50 && j.to_before == 55 && j.transfers_before == 1,
        "the journal holds %ld, %ld and %lu: it must hold the values from before the "
        "transfer (50, 55 and 1)",
        j.from_before, j.to_before, j.transfers_before);
    cr_assert_eq(j.active, 0, "the journal stays active after the transfer");
}

Test(ledger, bad_arguments_are_einval)
{
    errno = 0;
    cr_assert_null(ledger_create(-1));
    cr_assert_eq(errno, EINVAL, "negative initial balance: EINVAL, got %s",
                 strerror(errno));
    errno = 0;
    cr_assert_null(ledger_create(LONG_MAX / 2));
    cr_assert_eq(errno, EINVAL, "a total that overflows: EINVAL, got %s",
                 strerror(errno));
    struct ledger *l = new_ledger(10);
    int cases[][3] = {
        {0, 0, 5}, {-1, 1, 5}, {0, LEDGER_ACCOUNTS, 5}, {1, 2, 0}, {1, 2, -3}};
    int bad = -1, bad_errno = 0;
    for (int i = 0; i < 5 && bad < 0; i++) {
        errno = 0;
        if (ledger_transfer(l, cases[i][0], cases[i][1], cases[i][2]) != -1 ||
            errno != EINVAL) {
            bad = i;
            bad_errno = errno;
        }
    }
    long sum = sum_of(l);
    unsigned long transfers = l->transfers;
    ledger_destroy(l);
    cr_assert_eq(bad, -1,
                 "ledger_transfer(%d, %d, %d) should fail with EINVAL (errno %s)",
                 bad < 0 ? 0 : cases[bad][0], bad < 0 ? 0 : cases[bad][1],
                 bad < 0 ? 0 : cases[bad][2], strerror(bad_errno));
    cr_assert(sum == 40 && transfers == 0, "a refused transfer must change nothing");
    IPCT_ASSERT_FAILS(EINVAL, ledger_transfer(NULL, 0, 1, 1), "must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, ledger_lock(NULL), "must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, ledger_unlock(NULL), "must fail with EINVAL");
    IPCT_ASSERT_FAILS(EINVAL, ledger_destroy(NULL), "must fail with EINVAL");
}

Test(ledger, unlock_not_held_is_eperm)
{
    struct ledger *l = new_ledger(10);
    errno = 0;
    int free_r = ledger_unlock(l);
    int free_err = errno;
    struct peer holder;
    start_holder(&holder, l, HOLD_CLEAN, 0);
    bool held = peer_reached(&holder, LOCK_BOUND_MS);
    errno = 0;
    int other_r = ledger_unlock(l); /* the holder is another process */
    int other_err = errno;
    put_byte(holder.release, 'u');
    bool unlocked = peer_reached(&holder, LOCK_BOUND_MS);
    int code = finish_peer(&holder, false);
    ledger_destroy(l);
    cr_assert(held && unlocked && code == 0, "the holder could not lock and unlock");
    cr_assert(free_r == -1 && free_err == EPERM,
              "unlocking a free robust mutex: -1 and EPERM, got %d (%s)", free_r,
              strerror(free_err));
    cr_assert(other_r == -1 && other_err == EPERM,
              "unlocking another process's lock: -1 and EPERM, got %d (%s)", other_r,
              strerror(other_err));
}

/* $begin ledger_stress */
/* Four processes move money around at random: the sum never changes and
 * every transfer is counted once. */
Test(ledger, four_processes_keep_total)
{
    unsigned n = stress_items();
    struct ledger *l = new_ledger(1000);
    pid_t pids[4];
    for (int w = 0; w < 4; w++) {
        pids[w] = ipct_fork();
        if (pids[w] == 0) {
            unsigned x = 12345u + 777u * (unsigned)w; /* each worker its own sequence */
            for (unsigned i = 0; i < n; i++) {
                x = x * 1103515245u + 12345u;
                int from = (int)(x >> 16) % LEDGER_ACCOUNTS;
                int to =
                    (from + 1 + (int)(x >> 8) % (LEDGER_ACCOUNTS - 1)) % LEDGER_ACCOUNTS;
                IPCT_CHILD_CHECK(ledger_transfer(l, from, to, 1 + (long)(x % 50)) == 0);
            }
            _exit(0);
        }
    }
    int failed = 0;
    for (int w = 0; w < 4; w++)
        failed += ipct_wait_exit(pids[w], 20000) != 0;
    long sum = sum_of(l);
    unsigned long transfers = l->transfers, recoveries = l->recoveries;
    ledger_destroy(l);
    cr_assert_eq(failed, 0, "%d of the 4 workers failed or timed out", failed);
    cr_assert_eq(sum, 4000, "the balances sum to %ld, not 4000: updates were lost", sum);
    cr_assert_eq(transfers, 4ul * n, "%lu transfers counted, %lu made", transfers,
                 4ul * n);
    cr_assert_eq(recoveries, 0, "nobody died, yet %lu recoveries", recoveries);
}
/* $end ledger_stress */

Test(ledger, waiter_in_other_process_wakes)
{
    /* A waiter blocked in another process must be woken by the unlock: only
     * a PTHREAD_PROCESS_SHARED mutex wakes sleepers outside its process. */
    struct ledger *l = new_ledger(10);
    struct seen *s = shared_area(sizeof *s);
    struct peer holder, waiter;
    holder_and_waiter(l, s, &holder, &waiter);
    put_byte(holder.release, 'u'); /* unlock, but stay alive */
    bool unlocked = peer_reached(&holder, LOCK_BOUND_MS);
    bool woke = peer_reached(&waiter, LOCK_BOUND_MS);
    int wcode = finish_peer(&waiter, !woke);
    int hcode = finish_peer(&holder, false); /* only now may the holder exit */
    struct seen got = *s;
    shared_area_free(s, sizeof *s);
    ledger_destroy(l);
    cr_assert(unlocked && hcode == 0, "the holder could not unlock");
    cr_assert(
        woke && wcode == 0,
        "the waiter slept on after the unlock: is the mutex PTHREAD_PROCESS_SHARED?");
    cr_assert(got.r == 0 && got.unlock_r == 0, "the waiter's lock %d (%s), unlock %d",
              got.r, strerror(got.err), got.unlock_r);
}

/* $begin ledger_rollback */
Test(ledger, dead_holder_is_rolled_back)
{
    struct ledger *l = new_ledger(100);
    cr_assert_eq(ledger_transfer(l, 2, 3, 10), 0, "ledger_transfer: %s", strerror(errno));
    struct seen *s = shared_area(2 * sizeof *s);
    struct peer holder;
    start_holder(&holder, l, HOLD_HALF_DONE, 0); /* dies in a transfer 0 -> 1 */
    kill_holder(&holder);
    bool returned = lock_once_elsewhere(l, &s[0]);
    struct ledger after = *l;
    bool again = returned && lock_once_elsewhere(l, &s[1]);
    struct seen first = s[0], second = s[1];
    shared_area_free(s, 2 * sizeof *s);
    ledger_destroy(l);
    cr_assert(returned, "ledger_lock did not return after the holder died: is the mutex "
                        "PTHREAD_MUTEX_ROBUST?");
    cr_assert_eq(first.r, 1, "ledger_lock after a dead holder: 1 (repaired), got %d (%s)",
                 first.r, strerror(first.err));
    long want[LEDGER_ACCOUNTS] = {100, 100, 90, 110};
    for (int i = 0; i < LEDGER_ACCOUNTS; i++)
        cr_assert_eq(after.balance[i], want[i],
                     "balance[%d] is %ld, expected %ld: undo the journal's transfer", i,
                     after.balance[i], want[i]);
    cr_assert(
        after.journal.active == 0 && after.transfers == 1 && after.recoveries == 1,
        "after the repair: journal inactive (%d), transfers 1 (%lu), recoveries 1 (%lu)",
        after.journal.active, after.transfers, after.recoveries);
    cr_assert_eq(first.unlock_r, 0, "unlock after the repair failed: %s",
                 strerror(first.unlock_err));
    cr_assert(
        again && second.r == 0,
        "the next lock after a repair: 0, got %d (%s): call pthread_mutex_consistent "
        "before unlocking",
        second.r, strerror(second.err));
}
/* $end ledger_rollback */

Test(ledger, waiter_wakes_when_holder_dies)
{
    struct ledger *l = new_ledger(100);
    struct seen *s = shared_area(sizeof *s);
    struct peer holder, waiter;
    holder_and_waiter(l, s, &holder, &waiter);
    kill(holder.pid, SIGKILL);
    int status;
    cr_assert_eq(ipct_wait(holder.pid, &status, LOCK_BOUND_MS), 0);
    close(holder.release);
    close(holder.report);
    bool woke = peer_reached(&waiter, LOCK_BOUND_MS);
    int wcode = finish_peer(&waiter, !woke);
    struct seen got = *s;
    unsigned long recoveries = l->recoveries;
    shared_area_free(s, sizeof *s);
    ledger_destroy(l);
    cr_assert(woke && wcode == 0, "a waiter stays blocked after the holder died: is the "
                                  "mutex PTHREAD_MUTEX_ROBUST?");
    cr_assert_eq(got.r, 1,
                 "the waiter's ledger_lock: 1 (it found the owner dead), got %d (%s)",
                 got.r, strerror(got.err));
    cr_assert_eq(recoveries, 1, "recoveries is %lu", recoveries);
}

Test(ledger, unrepairable_is_enotrecoverable)
{
    struct ledger *l = new_ledger(100);
    struct seen *s = shared_area(2 * sizeof *s);
    struct peer holder, first, second;
    start_holder(&holder, l, HOLD_UNJOURNALED, 0); /* dies with no journal */
    kill_holder(&holder);
    /* The first locker finds damage it cannot undo. It stays alive while a
     * second one tries: whatever it did with the mutex, it still does. */
    start_locker(&first, l, &s[0], true);
    bool first_returned =
        peer_reached(&first, LOCK_BOUND_MS) && peer_reached(&first, LOCK_BOUND_MS);
    bool second_returned = false;
    if (first_returned) {
        start_locker(&second, l, &s[1], true);
        second_returned =
            peer_reached(&second, LOCK_BOUND_MS) && peer_reached(&second, LOCK_BOUND_MS);
        finish_peer(&second, !second_returned);
    }
    finish_peer(&first, !first_returned);
    errno = 0;
    int tr = second_returned ? ledger_transfer(l, 0, 1, 5) : 0;
    int tr_err = errno;
    unsigned long recoveries = l->recoveries;
    struct seen a = s[0], b = s[1];
    shared_area_free(s, 2 * sizeof *s);
    int dr = ledger_destroy(l);
    cr_assert(first_returned, "ledger_lock did not return after the holder died: is the "
                              "mutex PTHREAD_MUTEX_ROBUST?");
    cr_assert(
        a.r == -1 && a.err == ENOTRECOVERABLE,
        "balances off by 7 and no journal: ledger_lock must fail with ENOTRECOVERABLE, "
        "got %d (%s)",
        a.r, strerror(a.err));
    cr_assert(second_returned,
              "the next locker blocked: unlock (without pthread_mutex_consistent) before "
              "failing");
    cr_assert(b.r == -1 && b.err == ENOTRECOVERABLE,
              "a later ledger_lock must fail with ENOTRECOVERABLE too, got %d (%s)", b.r,
              strerror(b.err));
    cr_assert(
        tr == -1 && tr_err == ENOTRECOVERABLE,
        "ledger_transfer on an unrecoverable ledger: -1 and ENOTRECOVERABLE, got %d (%s)",
        tr, strerror(tr_err));
    cr_assert_eq(recoveries, 0, "nothing was repaired, yet recoveries is %lu",
                 recoveries);
    cr_assert_eq(dr, 0, "ledger_destroy of an unrecoverable ledger failed");
}

/* $begin ledger_inherit */
/* A holder at nice 19 and a waiter at our own nice value: while the waiter
 * is blocked, the kernel lends its priority to the holder (/proc/PID/stat
 * field 18). No real-time privileges: raising one's own nice value is free. */
Test(ledger, holder_inherits_waiter_priority)
{
    errno = 0;
    int own_nice = getpriority(PRIO_PROCESS, 0);
    if (errno == 0 && own_nice >= 19)
        cr_skip_test("this test already runs at nice 19: no holder can be lower");
    struct ledger *l = new_ledger(10);
    struct seen *s = shared_area(sizeof *s);
    struct peer holder, waiter;
    start_holder(&holder, l, HOLD_CLEAN, 19);
    cr_assert(peer_reached(&holder, LOCK_BOUND_MS), "the holder never took the lock");
    char state;
    int before = -1, waiter_prio = -1, during = -1;
    proc_state(holder.pid, &state, &before);
    start_locker(&waiter, l, s, false);
    cr_assert(peer_reached(&waiter, LOCK_BOUND_MS));
    proc_state(waiter.pid, &state, &waiter_prio);
    long long deadline = mono_ms() + LOCK_BOUND_MS; /* poll for the boost */
    while (proc_state(holder.pid, &state, &during) && during != waiter_prio &&
           mono_ms() < deadline) {
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    put_byte(holder.release, 'u');
    bool unlocked = peer_reached(&holder, LOCK_BOUND_MS);
    bool woke = peer_reached(&waiter, LOCK_BOUND_MS);
    int wcode = finish_peer(&waiter, !woke);
    int hcode = finish_peer(&holder, false);
    shared_area_free(s, sizeof *s);
    ledger_destroy(l);
    cr_assert(unlocked && hcode == 0, "the holder could not unlock");
    cr_assert(woke && wcode == 0, "the waiter never got the lock");
    cr_assert_lt(waiter_prio, before, "the waiter (%d) should outrank the holder (%d)",
                 waiter_prio, before);
    cr_assert_eq(during, waiter_prio,
                 "the holder kept priority %d while a priority-%d process waited: "
                 "PTHREAD_PRIO_INHERIT lends it the waiter's",
                 during, waiter_prio);
}
/* $end ledger_inherit */

/* An initial balance of 0, and the largest whose total still fits a long, are valid. */
Test(ledger, create_accepts_limits)
{
    struct ledger *zero = ledger_create(0);
    int zero_err = errno;
    long most = LONG_MAX / LEDGER_ACCOUNTS;
    struct ledger *big = ledger_create(most);
    int big_err = errno;
    long zero_total = zero ? zero->total : -1, big_total = big ? big->total : -1;
    if (zero)
        ledger_destroy(zero);
    if (big)
        ledger_destroy(big);
    cr_assert_not_null(zero, "ledger_create(0) failed (%s): 0 is a valid balance",
                       strerror(zero_err));
    cr_assert_not_null(big,
                       "ledger_create(LONG_MAX / LEDGER_ACCOUNTS) failed (%s): its total "
                       "still fits in a long",
                       strerror(big_err));
    cr_assert_eq(zero_total, 0);
    cr_assert_eq(big_total, most * LEDGER_ACCOUNTS);
}
