/* ipclab_shim.h - fault plans and call checks for the student's libc calls (shim.c). */
#ifndef IPCLAB_SHIM_H
#define IPCLAB_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * How it works.
 *
 * lab.mk renames the calls the student's objects make to I/O, IPC, process
 * and signal functions (write -> ipclab_shim_write, with objcopy
 * --redefine-sym, on a copy of each object: the grader's audit still reads
 * the original names), and links shim.c, which defines the new names. The
 * tests, Criterion and this support library keep calling libc directly.
 * With no plan in force a wrapper is one load and a call of the real
 * function. The wrappers live in the test binary only: after exec(2) they
 * are gone, and a program the student's code runs calls libc as usual.
 * Calls libc makes on its own (stdio's write inside printf, popen's fork)
 * are not seen: only the student's own calls are.
 *
 * A test arms a plan before it calls the student's code. Plans and counters
 * are per process: a child the student's code forks inherits the rules and
 * counts as they stood at fork(2) (a copy), then counts its own calls, so
 * what a child suffers does not depend on how the scheduler interleaves it
 * with its parent. The call log (ipct_calls_record) is shared: the calls of
 * children forked after it started are in it, with their pid. Threads share
 * everything (counters are atomic).
 */

/*
 * Fault plans.
 *
 * A rule matches the calls it names ("write send", names as in the table of
 * shim.c). Its counter counts the matching calls that could suffer the fault
 * for real, and the rule hits the nth of them, then every `every`-th after
 * it (every 0: only the nth), at most `times` times (0: no limit). Calls
 * that could not suffer it do not count and are never touched:
 *
 * - an error (error != 0): the call fails with -1 and that errno without
 *   reaching the kernel (pthread_create and clock_nanosleep, which return an
 *   error number, return it instead and leave errno alone). EINTR hits only
 *   calls that may block: not on a regular file, an O_NONBLOCK fd or queue,
 *   with MSG_DONTWAIT, IPC_NOWAIT, WNOHANG, a zero poll or sleep timeout, a
 *   lockf other than F_LOCK, or a try call. An EINTR injected into a
 *   relative nanosleep/clock_nanosleep arrives halfway, as a signal would:
 *   the first half of the request is slept for real and the remaining time
 *   is stored in *rem. A close the plan fails still frees the descriptor,
 *   as Linux's close(2) does whatever it reports. pthread_join and
 *   pthread_sigmask are logged, never
 *   failed (ipct_fault_add refuses them: no kernel makes them fail). The
 *   student's own fread, fwrite and fflush fail as if the read(2) or
 *   write(2) under them had: 0 items (fflush: EOF), errno set, and the
 *   stream's error indicator set (ferror); EINTR only on a stream whose fd
 *   may block.
 * - a short transfer (error 0, max_bytes > 0): read/write/send/recv of more
 *   than max_bytes on a stream (a pipe or FIFO, a SOCK_STREAM socket) moves
 *   at most max_bytes. A write to a pipe of at most PIPE_BUF bytes is atomic
 *   in the kernel, so it is never cut: the fault stays one a kernel could
 *   cause (a signal arriving during a large write, a full socket buffer).
 *
 * Every hit is remembered (in memory the test's processes share), and a failing assertion
 * of the test shows them
 * ("faults injected by the test: write #2 (fd 5, 9000 bytes) was cut to 1
 * byte"). ipct_faults_injected() gives the same text.
 */
struct ipct_fault {
    const char *calls; /* the call names it matches, separated by spaces */
    int nth;           /* the first hit: the nth matching call (0 means 1) */
    int every;         /* then every every-th matching call; 0: nth only */
    int times;         /* at most this many hits; 0: no limit */
    int error;         /* fail with this errno ... */
    size_t max_bytes;  /* ... or (error 0) cut the transfer to this many bytes */
};

/*
 * ipct_fault_add - put a rule in force in this process (and the children it
 * forks from now on). Aborts the test on an unknown call name or a rule that
 * neither fails nor cuts. Up to 16 rules; they are checked in order and the
 * first that hits decides (later rules do not count a call an earlier one hit).
 */
void ipct_fault_add(const struct ipct_fault *rule);

/* ipct_fault_clear - remove every rule and the clock plan (the record of past
 * hits stays). */
void ipct_fault_clear(void);

/* Every every-th matching transfer of calls moves at most max_bytes. */
void ipct_fault_short(const char *calls, int every, size_t max_bytes);

/* The nth matching call of calls fails once with error (EINTR: a blocking one). */
void ipct_fault_fail(const char *calls, int nth, int error);

/*
 * ipct_faults_injected - the hits so far in the test's processes, "" if none
 * ("read #2 in child 4242 (fd 3) failed with EINTR"; "#2": that process's
 * second call of the name, counting from the first rule's arrival).
 */
const char *ipct_faults_injected(void);

/* ipct_faults_count - the number of hits so far in the test's processes. */
int ipct_faults_count(void);

/*
 * ipct_clock_at_nsec - a clock plan: the next clock_gettime(clk) of the
 * student's code (in this process; a child forked while the plan is unused
 * gets a copy of it) first waits until clk next shows exactly nsec
 * nanoseconds past a whole second (at most a second away), then returns that
 * instant. A deadline now + timeout is then built from a tv_nsec the test
 * chose: with nsec = 1e9 - the timeout's nanoseconds, the sum is exactly a
 * whole second, and only a carry that treats tv_nsec == 1000000000 as too
 * big gives a valid timespec. The time is real (the call returns
 * microseconds after it), so the deadline is one. Later reads are not
 * planned. clk: CLOCK_REALTIME or CLOCK_MONOTONIC; nsec < 0 (or
 * ipct_fault_clear) drops a plan not yet used. The planned read is recorded
 * as a hit.
 */
void ipct_clock_at_nsec(clockid_t clk, long nsec);

/*
 * Call checks.
 */

#define IPCT_CALL_DATA 112 /* bytes of a pointed-to argument kept (a sockaddr_un) */

/* One call the student's code made. */
struct ipct_call {
    const char *name;                   /* "bind" */
    pid_t pid;                          /* the process that made it */
    long arg[6];                        /* the arguments, as integers (pointers too) */
    long ret;                           /* what it returned (a pointer as an integer) */
    int err;                            /* errno after it, when ret was -1 (NULL for
                                           malloc, calloc, realloc); the
                                           error number pthread_create,
                                           pthread_join, pthread_sigmask and
                                           clock_nanosleep returned */
    bool injected;                      /* the result was a fault of the test's plan */
    size_t datalen;                     /* bytes of data[] that were copied */
    unsigned char data[IPCT_CALL_DATA]; /* the address of bind/connect/sendto,
                                           the new set of sigprocmask/
                                           pthread_sigmask, struct sigaction */
};

/*
 * ipct_calls_record - start logging every wrapped call of the student's code
 * in this process and its children forked from now on (up to 8192 calls;
 * later ones are counted but not kept). Calling it again clears the log.
 */
void ipct_calls_record(void);

/* ipct_calls_count - the calls logged so far (the kept ones). */
size_t ipct_calls_count(void);

/*
 * ipct_calls_get - the i-th call logged (0 first), copied into *out: returns
 * out, or NULL past the end. A copy, because the log itself keeps every
 * argument and result disguised: it is memory that memcheck's leak check
 * scans, and a block the student's code lost while calls were logged must
 * not look reachable through its address there.
 */
const struct ipct_call *ipct_calls_get(size_t i, struct ipct_call *out);

/*
 * ipct_calls_next - the first logged call named name at index *from or
 * later (in any process when pid is 0, else made by pid), copied into *out
 * (as ipct_calls_get): returns out, or NULL. On a hit *from is set past it,
 * so a loop walks every match.
 */
const struct ipct_call *ipct_calls_next(const char *name, pid_t pid, size_t *from,
                                        struct ipct_call *out);

/*
 * ipct_calls_describe - a readable list of the logged calls, "bind(5, ...)
 * = 0; listen(5, 8) = 0", at most len bytes (truncated with "..."), for
 * a failure message. Returns buf.
 */
char *ipct_calls_describe(char *buf, size_t len);

/*
 * An exercise's calls (lab.ini `require` and `forbid` in a [test] section).
 *
 * `require = mq_send|mq_timedsend msgsnd`: by the end of the test's body the
 * student's code (in the test process or a child it forked) must have called
 * mq_send or mq_timedsend, and msgsnd; `forbid = pipe pipe2`: it must have
 * called neither. Only the calls of shim_calls.h can be seen; the grader's
 * manifest check refuses any other name. So an exercise about queues cannot
 * pass with a pipe. The rules are compiled into the test binary
 * (build/tests/call_rules.c, written by `ipclab manifest --call-rules`).
 */
struct ipct_call_rule {
    const char *test;    /* "suite/name"; NULL ends the table */
    const char *require; /* groups separated by spaces, alternatives by '|' ("" none) */
    const char *forbid;  /* names separated by spaces ("" none) */
};
/* The lab's rules (generated from lab.ini), ended by a NULL test. */
extern const struct ipct_call_rule ipct_call_rules[];
/* ipct_call_rules_begin - the probe calls it as each test starts: from now
 * on the calls of the test's rules are noted, if it has any. */
void ipct_call_rules_begin(const char *test);
/* ipct_call_rules_check - the probe calls it when the test's body returns
 * (in the test process): a rule broken fails the test with a message that
 * names the call and the lab.ini key. */
void ipct_call_rules_check(void);
/*
 * Lock checks.
 *
 * Every pthread_mutex_unlock, pthread_cond_wait and pthread_cond_timedwait
 * of the student's code first checks that the calling thread holds the
 * mutex (shim_locks.c reads the holder glibc records). A default, normal or
 * adaptive mutex unlocked by a thread that does not hold it is undefined
 * behaviour that glibc lets pass: it frees the lock, even one another thread
 * holds. So a missing pthread_mutex_lock shows at the unlock, every run,
 * not only when a race happens to bite. (Error-checking, recursive and
 * robust mutexes refuse such an unlock with EPERM themselves, and are not
 * checked.) The thread that forked a child holds, in the child, the mutexes
 * it held at fork(2) (pthread_atfork's usual lock-all, unlock-in-both).
 */

/* ipct_locks_check - the probe calls it when the test's body returns (in the
 * test process): a mutex call of the test process's threads on a mutex the
 * caller did not hold fails the test, naming the call, the thread and the
 * holder. */
void ipct_locks_check(void);

/* ipct_locks_misused - how many such calls this process's threads have made so far. */
int ipct_locks_misused(void);

/*
 * Race stress.
 *
 * With IPCLAB_STRESS_SEED=S in the environment (`ipclab check NN --stress N`
 * sets it), the synchronisation calls of the student's code (reads and writes,
 * semaphores, queues, locks (fcntl, flock, lockf), mutexes and condition
 * variables, futex, poll, fork, pthread_create and pthread_join, wait, kill ...) are
 * preceded and followed by seeded pseudo-random yields and short sleeps, drawn per
 * process from S, the test's name and the process's place in the fork tree, and per
 * thread. Racy code that passes by luck meets the interleavings it did not plan for; the
 * same S replays the same decisions. A correct solution passes whatever S is: the delays
 * only change when things happen, never what the calls do.
 */

/*
 * ipct_stress_begin - the probe calls it as each test starts (test: "suite/test",
 * timeout: its seconds, which bound the sleeps injected). Nothing without
 * IPCLAB_STRESS_SEED.
 */
void ipct_stress_begin(const char *test, double timeout);

/* ipct_stress_active - whether stress is on in this test; *seed (if not NULL) gets S. */
bool ipct_stress_active(unsigned long long *seed);

/*
 * ipct_heap_blocks - how many blocks the student's code has allocated in this
 * process (malloc, calloc, realloc) and not freed yet (free, realloc): compare
 * it before and after a call to see that the call frees what it allocates.
 * -1 when there were over 6000 at once (the count is lost for the process).
 * A forked child counts its copy. Memory libc allocates for the student's
 * code (strdup, getline, stdio) is not counted, and a block the tests free
 * themselves stays counted.
 */
long ipct_heap_blocks(void);

/* ipct_shim_known - true if name is a call the shim wraps. */
bool ipct_shim_known(const char *name);

#endif /* IPCLAB_SHIM_H */
