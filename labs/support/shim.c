/* shim.c - the wrappers the student's renamed libc calls reach: fault plans, a call
 * log and seeded race stress. */
#include "ipclab_shim.h"
#include "shim_calls.h"
#include "shim_heap.h"
#include "shim_locks.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/memcheck.h>

#define SHIM_ID(name) ID_##name,
enum shim_id { SHIM_CALLS(SHIM_ID) NCALLS };
#define SHIM_NAME(name) #name,
static const char *const call_names[NCALLS] = {SHIM_CALLS(SHIM_NAME)};

/* Whether a call could block (and so suffer EINTR). */
enum block {
    B_NEVER,  /* a try call, a non-blocking flag, a zero timeout */
    B_ALWAYS, /* sem_wait, msgrcv without IPC_NOWAIT, waitpid without WNOHANG */
    B_FD,     /* blocks unless fd is O_NONBLOCK or a regular file */
    B_MQ,     /* blocks unless the queue description is O_NONBLOCK */
};

/* Whether a call's transfer could be cut short. */
enum cut { C_NONE, C_READ, C_WRITE };

/* One call on its way through the shim. */
struct shim_call {
    enum shim_id id;
    int fd;           /* for B_FD, B_MQ and cuts */
    size_t len;       /* the transfer's length: a cut lowers it */
    enum block block; /* see above */
    enum cut cut;     /* see above */
    long arg[6];      /* for the log */
    const void *data; /* pointed-to argument to keep in the log, or NULL */
    size_t datalen;   /* its size */
    bool injected;    /* the call failed by the plan, never reached libc */
};

/* Calls that return an error number (0 on success), not -1 and errno. */
static bool returns_errnum(enum shim_id id)
{
    return id == ID_pthread_create || id == ID_pthread_join || id == ID_clock_nanosleep ||
           id == ID_pthread_sigmask;
}

/* Calls that fail by returning NULL or 0 items (errno set), not -1. */
static bool returns_null(enum shim_id id)
{
    return id == ID_malloc || id == ID_calloc || id == ID_realloc || id == ID_fread ||
           id == ID_fwrite;
}

#define MAX_RULES 16

/* A rule in force (struct ipct_fault, its call names as a bit set). */
struct rule {
    uint64_t mask[(NCALLS + 63) / 64];
    int nth, every, times, error;
    size_t max_bytes;
    atomic_int seen; /* matching calls that could suffer the fault */
    atomic_int hits; /* faults injected */
};

static atomic_int shim_on; /* a rule or the log is in force: the one fast-path load */
static struct rule rules[MAX_RULES];
static atomic_int nrules;
static atomic_int ordinal[NCALLS]; /* calls of each name in this process, while on */

#define FAULT_TEXT 4096
#define LOG_CAP    8192
/*
 * What the shim tells the test, in memory shared with every process forked
 * after it was set up (the student's children, a test's helper process), so
 * a hit in a child shows in the test's failure message and its calls in the
 * log. Made by the first rule or ipct_calls_record, in the test process.
 */
struct shim_shared {
    pid_t test_pid; /* the process that set it up */
    atomic_size_t fault_len;
    atomic_int fault_count;
    char fault_text[FAULT_TEXT]; /* "write #2 (fd 5, 9000 bytes) was cut ..." */
    atomic_size_t n;             /* calls logged (kept or not) */
    struct ipct_call e[LOG_CAP];
    atomic_uint_least64_t called[(NCALLS + 63) / 64]; /* names seen, while watching */
};
static struct shim_shared *shared;
static bool recording;
static bool watching; /* the test has call rules: note every name called */

/* Map the shared record if it is not yet; aborts the test if it cannot. */
static void shared_setup(void)
{
    if (shared != NULL)
        return;
    void *p = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        cr_assert_fail("ipclab shim: mmap: %s", strerror(errno));
    shared = p;
    shared->test_pid = getpid();
    /* Under memcheck the entries are NOACCESS until one is written (log_call)
     * or read (entry): the leak check at the exit of every process that has
     * the log then skips its unused part, instead of reading (and faulting in)
     * 2 MB of it, about 5 ms a process. Nothing natively. */
    VALGRIND_MAKE_MEM_NOACCESS(shared->e, sizeof shared->e);
}

static atomic_int stress_on; /* race stress in force (see its section, at the end) */
static atomic_long clock_nsec = -1; /* the clock plan: tv_nsec the next read returns */
static clockid_t clock_id;          /* ... on this clock */

/* update_on - shim_on follows the plans; never on in a SHIM=idle build (labs/lab.mk). */
static void update_on(void)
{
#ifdef IPCLAB_SHIM_IDLE
    atomic_store(&shim_on, 0);
#else
    atomic_store(&shim_on, atomic_load(&nrules) > 0 || recording || watching ||
                               atomic_load(&stress_on) || atomic_load(&clock_nsec) >= 0);
#endif
}

/* ---- fault plans ------------------------------------------------------------------ */

static int call_id(const char *name, size_t len)
{
    for (int i = 0; i < NCALLS; i++)
        if (strlen(call_names[i]) == len && strncmp(call_names[i], name, len) == 0)
            return i;
    return -1;
}

bool ipct_shim_known(const char *name)
{
    return call_id(name, strlen(name)) >= 0;
}

void ipct_fault_add(const struct ipct_fault *f)
{
    int n = atomic_load(&nrules);
    if (n >= MAX_RULES)
        cr_assert_fail("ipct_fault_add: more than %d rules", MAX_RULES);
    if (f->error == 0 && f->max_bytes == 0)
        cr_assert_fail("ipct_fault_add: a rule for '%s' neither fails nor cuts",
                       f->calls);
    shared_setup();
    struct rule *r = &rules[n];
    memset(r->mask, 0, sizeof r->mask);
    for (const char *p = f->calls; *p != '\0';) {
        size_t len = strcspn(p, " ");
        if (len > 0) {
            int id = call_id(p, len);
            if (id < 0)
                cr_assert_fail("ipct_fault_add: the shim does not wrap '%.*s'", (int)len,
                               p);
            if (id == ID_pthread_join || id == ID_pthread_sigmask)
                cr_assert_fail(
                    "ipct_fault_add: '%.*s' is logged, never failed (no kernel "
                    "makes it fail on valid arguments)",
                    (int)len, p);
            r->mask[id / 64] |= UINT64_C(1) << (id % 64);
        }
        p += len + strspn(p + len, " ");
    }
    r->nth = f->nth > 0 ? f->nth : 1;
    r->every = f->every;
    r->times = f->times;
    r->error = f->error;
    r->max_bytes = f->max_bytes;
    atomic_store(&r->seen, 0);
    atomic_store(&r->hits, 0);
    atomic_store(&nrules, n + 1);
    update_on();
}

void ipct_fault_clear(void)
{
    atomic_store(&nrules, 0);
    atomic_store(&clock_nsec, -1);
    update_on();
}

void ipct_clock_at_nsec(clockid_t clk, long nsec)
{
    if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC)
        cr_assert_fail("ipct_clock_at_nsec: only CLOCK_REALTIME and CLOCK_MONOTONIC");
    if (nsec >= 1000000000L)
        cr_assert_fail("ipct_clock_at_nsec: %ld ns is not below a second", nsec);
    shared_setup();
    clock_id = clk;
    atomic_store(&clock_nsec, nsec < 0 ? -1 : nsec);
    update_on();
}

void ipct_fault_short(const char *calls, int every, size_t max_bytes)
{
    ipct_fault_add(&(struct ipct_fault){
        .calls = calls, .nth = every, .every = every, .max_bytes = max_bytes});
}

void ipct_fault_fail(const char *calls, int nth, int error)
{
    ipct_fault_add(
        &(struct ipct_fault){.calls = calls, .nth = nth, .times = 1, .error = error});
}

const char *ipct_faults_injected(void)
{
    return shared != NULL && shared->fault_text[0] != '\0' ? shared->fault_text + 2 : "";
}

int ipct_faults_count(void)
{
    return shared != NULL ? atomic_load(&shared->fault_count) : 0;
}

/*
 * Append "; " and one hit's description (the text is read from its third
 * byte). Lock-free: the caller may be a signal handler or another process.
 */
static void note_fault(const char *text)
{
    size_t len = strlen(text) + 2;
    size_t at = atomic_fetch_add(&shared->fault_len, len);
    char *t = shared->fault_text;
    if (at + len < FAULT_TEXT) {
        memcpy(t + at, "; ", 2);
        memcpy(t + at + 2, text, len - 2);
    } else if (at < FAULT_TEXT - 4) {
        memcpy(t + at, "...", 4);
    }
    atomic_fetch_add(&shared->fault_count, 1);
}

/* Could c block (and so be interrupted)? Asked only when a rule wants EINTR. */
static bool may_block(const struct shim_call *c)
{
    struct stat st;
    struct mq_attr attr;
    switch (c->block) {
    case B_NEVER:
        return false;
    case B_ALWAYS:
        return true;
    case B_MQ:
        return mq_getattr(c->fd, &attr) == 0 && !(attr.mq_flags & O_NONBLOCK);
    case B_FD:
        if (fstat(c->fd, &st) < 0 || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) ||
            S_ISDIR(st.st_mode))
            return false;
        int fl = fcntl(c->fd, F_GETFL);
        return fl >= 0 && !(fl & O_NONBLOCK);
    }
    return false;
}

/* Could c's transfer really come out shorter than max? (A stream, a long one.) */
static bool may_cut(const struct shim_call *c, size_t max)
{
    struct stat st;
    if (c->cut == C_NONE || c->len <= max || fstat(c->fd, &st) < 0)
        return false;
    if (S_ISFIFO(st.st_mode))
        return c->cut == C_READ || c->len > PIPE_BUF; /* small pipe writes are atomic */
    int type;
    socklen_t tlen = sizeof type;
    return S_ISSOCK(st.st_mode) &&
           getsockopt(c->fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 &&
           type == SOCK_STREAM;
}

static bool rule_has(const struct rule *r, enum shim_id id)
{
    return (r->mask[id / 64] >> (id % 64)) & 1;
}

static void log_call(const struct shim_call *c, long ret, int err);
static void stress_call(enum shim_id id);

/*
 * Apply the plan to c before the real call: returns -1 with errno set when a
 * rule fails the call (it is logged then), else 0, with c->len lowered when a
 * rule cuts the transfer.
 */
static int shim_enter(struct shim_call *c)
{
    if (watching)
        atomic_fetch_or(&shared->called[c->id / 64], UINT64_C(1) << (c->id % 64));
    stress_call(c->id);
    int ord = atomic_fetch_add(&ordinal[c->id], 1) + 1;
    int n = atomic_load(&nrules);
    for (int i = 0; i < n; i++) {
        struct rule *r = &rules[i];
        if (!rule_has(r, c->id))
            continue;
        if (r->error != 0 ? r->error == EINTR && !may_block(c)
                          : !may_cut(c, r->max_bytes))
            continue;
        int seen = atomic_fetch_add(&r->seen, 1) + 1;
        bool hit = seen == r->nth ||
                   (r->every > 0 && seen > r->nth && (seen - r->nth) % r->every == 0);
        if (!hit || (r->times > 0 && atomic_fetch_add(&r->hits, 1) >= r->times))
            continue;
        char text[300], fd[64] = "", who[64] = "";
        if (getpid() != shared->test_pid)
            snprintf(who, sizeof who, " in child %d", (int)getpid());
        if (c->fd >= 0) /* a call on an fd (or a queue) names it */
            snprintf(fd, sizeof fd, "fd %d", c->fd);
        if (r->error != 0) {
            snprintf(text, sizeof text, "%s #%d%s%s%s%s failed with %s",
                     call_names[c->id], ord, who, fd[0] ? " (" : "", fd, fd[0] ? ")" : "",
                     strerrorname_np(r->error));
            note_fault(text);
            c->injected = true;
            log_call(c,
                     returns_errnum(c->id) ? r->error
                     : returns_null(c->id) ? 0
                                           : -1,
                     r->error);
            errno = r->error;
            return -1;
        }
        snprintf(text, sizeof text, "%s #%d%s (%s, %zu bytes) was cut to %zu byte%s",
                 call_names[c->id], ord, who, fd, c->len, r->max_bytes,
                 r->max_bytes == 1 ? "" : "s");
        note_fault(text);
        c->len = r->max_bytes;
        return 0;
    }
    return 0;
}

/* ---- the call log ------------------------------------------------------------------ */

void ipct_calls_record(void)
{
    shared_setup();
    atomic_store(&shared->n, 0);
    recording = true;
    update_on();
}

size_t ipct_calls_count(void)
{
    if (shared == NULL)
        return 0;
    size_t n = atomic_load(&shared->n);
    return n < LOG_CAP ? n : LOG_CAP;
}

/*
 * unhide - the logged call e as it was made, into *out: the log keeps every
 * argument and result XORed with SHIM_HIDE (log_call), because it is shared
 * memory that memcheck's leak check scans. A block the student's code lost
 * while calls were logged (malloc's result, a read's buffer) would otherwise
 * show "still reachable" through its address here, never "definitely lost".
 */
static const struct ipct_call *unhide(const struct ipct_call *e, struct ipct_call *out)
{
    *out = *e;
    for (size_t k = 0; k < sizeof out->arg / sizeof out->arg[0]; k++)
        out->arg[k] = (long)shim_hide((uintptr_t)e->arg[k]);
    out->ret = (long)shim_hide((uintptr_t)e->ret);
    return out;
}

/* entry - the i-th entry of the log (i < ipct_calls_count()), readable to
 * memcheck in this process (see shared_setup). */
static const struct ipct_call *entry(size_t i)
{
    VALGRIND_MAKE_MEM_DEFINED(&shared->e[i], sizeof shared->e[i]);
    return &shared->e[i];
}

const struct ipct_call *ipct_calls_get(size_t i, struct ipct_call *out)
{
    return i < ipct_calls_count() ? unhide(entry(i), out) : NULL;
}

const struct ipct_call *ipct_calls_next(const char *name, pid_t pid, size_t *from,
                                        struct ipct_call *out)
{
    for (size_t i = *from; i < ipct_calls_count(); i++) {
        const struct ipct_call *e = entry(i);
        if (e->name != NULL && strcmp(e->name, name) == 0 &&
            (pid == 0 || e->pid == pid)) {
            *from = i + 1;
            return unhide(e, out);
        }
    }
    return NULL;
}

/* Write v into buf: decimal when small, hex when it looks like an address. */
static const char *arg_text(long v, char *buf, size_t len)
{
    snprintf(buf, len, v > -65536 && v < 65536 ? "%ld" : "%#lx", v);
    return buf;
}

char *ipct_calls_describe(char *buf, size_t len)
{
    size_t at = 0;
    snprintf(buf, len, "%s", ipct_calls_count() == 0 ? "(none)" : "");
    for (size_t i = 0; i < ipct_calls_count() && at + 4 < len; i++) {
        struct ipct_call copy;
        const struct ipct_call *c = unhide(entry(i), &copy);
        char a[3][24], r[24];
        int w = snprintf(buf + at, len - at, "%s%s(%s, %s, %s) = %s%s%s", i ? "; " : "",
                         c->name ? c->name : "?", arg_text(c->arg[0], a[0], sizeof a[0]),
                         arg_text(c->arg[1], a[1], sizeof a[1]),
                         arg_text(c->arg[2], a[2], sizeof a[2]),
                         arg_text(c->ret, r, sizeof r), c->err != 0 ? " " : "",
                         c->err != 0 ? strerrorname_np(c->err) : "");
        if (w < 0 || (size_t)w >= len - at) {
            snprintf(buf + len - 4, 4, "...");
            break;
        }
        at += (size_t)w;
    }
    return buf;
}

static void log_call(const struct shim_call *c, long ret, int err)
{
    if (!recording)
        return;
    size_t i = atomic_fetch_add(&shared->n, 1);
    if (i >= LOG_CAP)
        return;
    struct ipct_call *e = &shared->e[i];
    VALGRIND_MAKE_MEM_UNDEFINED(e, sizeof *e); /* writable (see shared_setup) */
    e->pid = getpid();
    for (size_t k = 0; k < sizeof e->arg / sizeof e->arg[0]; k++) /* see unhide */
        e->arg[k] = (long)shim_hide((uintptr_t)c->arg[k]);
    e->ret = (long)shim_hide((uintptr_t)ret);
    e->err = returns_errnum(c->id)                   ? (int)ret
             : ret == (returns_null(c->id) ? 0 : -1) ? err
                                                     : 0;
    e->injected = c->injected;
    e->datalen = 0;
    if (c->data != NULL) {
        e->datalen = c->datalen < IPCT_CALL_DATA ? c->datalen : IPCT_CALL_DATA;
        memcpy(e->data, c->data, e->datalen);
    }
    atomic_thread_fence(memory_order_release);
    e->name = call_names[c->id];
}

/* Log the real call's result, keeping its errno. */
static void shim_leave(const struct shim_call *c, long ret)
{
    int err = errno;
    log_call(c, ret, err);
    stress_call(c->id);
    errno = err;
}

/* ---- an exercise's call rules (lab.ini require/forbid) ------------------------------
 */

static const struct ipct_call_rule *armed_rule; /* the test's rules, while watching */
static pid_t armed_pid;                         /* the test process */

void ipct_call_rules_begin(const char *test)
{
    armed_rule = NULL;
    watching = false;
    for (const struct ipct_call_rule *r = ipct_call_rules; r->test != NULL; r++)
        if (strcmp(r->test, test) == 0)
            armed_rule = r;
    if (armed_rule != NULL) {
        shared_setup();
        for (size_t i = 0; i < sizeof shared->called / sizeof shared->called[0]; i++)
            atomic_store(&shared->called[i], 0);
        armed_pid = getpid();
        watching = true;
    }
    update_on();
}

/* Whether the test's processes have called the name s[0..len) so far. */
static bool was_called(const char *s, size_t len)
{
    int id = call_id(s, len);
    return id >= 0 && (atomic_load(&shared->called[id / 64]) >> (id % 64) & 1) != 0;
}

/* The first group of words (separated by spaces) of list that fails the rule:
 * a require group ("a|b") none of whose names was called, or a forbidden name
 * that was; *len gets its length. NULL when the rule holds. */
static const char *broken_word(const char *list, bool require, size_t *len)
{
    for (const char *w = list; w != NULL && *w != '\0';) {
        w += strspn(w, " \t");
        size_t n = strcspn(w, " \t");
        if (n == 0)
            break;
        bool any = false;
        for (size_t i = 0; i < n && !any;) {
            size_t k = strcspn(w + i, "| \t");
            any = was_called(w + i, k);
            i += k + 1;
        }
        if (any != require) {
            *len = n;
            return w;
        }
        w += n;
    }
    return NULL;
}

void ipct_call_rules_check(void)
{
    if (!watching || getpid() != armed_pid)
        return;
    size_t n = 0;
    const char *w = broken_word(armed_rule->require, true, &n);
    if (w != NULL) {
        /* "a|b|c" reads "a, b or c" */
        char shown[300] = "";
        size_t used = 0;
        int alternatives = 0;
        for (size_t i = 0; i < n && used < sizeof shown;) {
            size_t k = strcspn(w + i, "|");
            if (k > n - i)
                k = n - i;
            const char *sep = i == 0 ? "" : i + k >= n ? " or " : ", ";
            used += (size_t)snprintf(shown + used, sizeof shown - used, "%s%.*s", sep,
                                     (int)k, w + i);
            alternatives++;
            i += k + 1;
        }
        cr_assert_fail("your code must call %s in this test (the exercise is about %s; "
                       "lab.ini: require), and it %s",
                       shown, alternatives > 1 ? "them" : "it",
                       alternatives > 1 ? "called none of them" : "never did");
    }
    w = broken_word(armed_rule->forbid, false, &n);
    if (w != NULL)
        cr_assert_fail("your code may not call %.*s in this test (the exercise "
                       "forbids it; lab.ini: forbid), and it did",
                       (int)n, w);
}

/* ---- the wrappers ----------------------------------------------------------------- */

#define SHIM_ON() atomic_load_explicit(&shim_on, memory_order_relaxed)
#define L(x)      ((long)(x))

/* Run the plan, then expr (the real call, with c.len as its length), then log it. */
#define SHIM_RUN(type, c, expr)                                                          \
    do {                                                                                 \
        if (shim_enter(&(c)) < 0)                                                        \
            return (type)-1;                                                             \
        type r_ = (expr);                                                                \
        shim_leave(&(c), (long)r_);                                                      \
        return r_;                                                                       \
    } while (0)

/* Declarations for -Wmissing-prototypes: each wrapper has its libc twin's type. */
#define SHIM_PROTO(name) extern __typeof__(name) ipclab_shim_##name;
SHIM_CALLS(SHIM_PROTO)

ssize_t ipclab_shim_read(int fd, void *buf, size_t n)
{
    if (!SHIM_ON())
        return read(fd, buf, n);
    struct shim_call c = {ID_read, fd, n,    B_FD, C_READ, {fd, L(buf), L(n)},
                          NULL,    0,  false};
    SHIM_RUN(ssize_t, c, read(fd, buf, c.len));
}

ssize_t ipclab_shim_write(int fd, const void *buf, size_t n)
{
    if (!SHIM_ON())
        return write(fd, buf, n);
    struct shim_call c = {ID_write,           fd,   n, B_FD, C_WRITE,
                          {fd, L(buf), L(n)}, NULL, 0, false};
    SHIM_RUN(ssize_t, c, write(fd, buf, c.len));
}

ssize_t ipclab_shim_readv(int fd, const struct iovec *iov, int n)
{
    if (!SHIM_ON())
        return readv(fd, iov, n);
    struct shim_call c = {ID_readv, fd, 0, B_FD, C_NONE, {fd, L(iov), n}, NULL, 0, false};
    SHIM_RUN(ssize_t, c, readv(fd, iov, n));
}

ssize_t ipclab_shim_writev(int fd, const struct iovec *iov, int n)
{
    if (!SHIM_ON())
        return writev(fd, iov, n);
    struct shim_call c = {ID_writev,       fd,   0, B_FD, C_NONE,
                          {fd, L(iov), n}, NULL, 0, false};
    SHIM_RUN(ssize_t, c, writev(fd, iov, n));
}

/*
 * The stdio transfers: a planned failure never reaches libc and fails as a
 * failed read(2) or write(2) underneath would: fread and fwrite move 0 items,
 * fflush returns EOF, errno is the plan's and the stream's error indicator is
 * set (ferror). They may block (EINTR) when the stream's fd may. Never cut.
 */
static void stdio_failed(FILE *f)
{
    if (f != NULL)
        f->_flags |= _IO_ERR_SEEN; /* glibc's ferror bit (bits/types/struct_FILE.h) */
}

/* Log a stdio transfer's result r: 0 items with no error (end of file) logs no errno. */
static void stdio_leave(const struct shim_call *c, FILE *f, long r)
{
    int err = errno;
    if (r == 0 && f != NULL && !ferror(f))
        errno = 0;
    shim_leave(c, r);
    errno = err;
}

size_t ipclab_shim_fread(void *p, size_t size, size_t n, FILE *f)
{
    if (!SHIM_ON())
        return fread(p, size, n, f);
    int fd = fileno(f); /* f is never NULL here: fread and fwrite demand one */
    struct shim_call c = {ID_fread, fd, 0,    B_FD, C_NONE, {L(p), L(size), L(n), L(f)},
                          NULL,     0,  false};
    if (shim_enter(&c) < 0) {
        stdio_failed(f);
        return 0;
    }
    size_t r = fread(p, size, n, f);
    stdio_leave(&c, f, L(r));
    return r;
}

size_t ipclab_shim_fwrite(const void *p, size_t size, size_t n, FILE *f)
{
    if (!SHIM_ON())
        return fwrite(p, size, n, f);
    int fd = fileno(f); /* f is never NULL here: fread and fwrite demand one */
    struct shim_call c = {ID_fwrite, fd, 0,    B_FD, C_NONE, {L(p), L(size), L(n), L(f)},
                          NULL,      0,  false};
    if (shim_enter(&c) < 0) {
        stdio_failed(f);
        return 0;
    }
    size_t r = fwrite(p, size, n, f);
    stdio_leave(&c, f, L(r));
    return r;
}

int ipclab_shim_fflush(FILE *f)
{
    if (!SHIM_ON())
        return fflush(f);
    int fd = f != NULL ? fileno(f) : -1;
    struct shim_call c = {ID_fflush, fd, 0,    f != NULL ? B_FD : B_NEVER, C_NONE, {L(f)},
                          NULL,      0,  false};
    if (shim_enter(&c) < 0) {
        stdio_failed(f);
        return EOF;
    }
    int r = fflush(f);
    shim_leave(&c, r);
    return r;
}

ssize_t ipclab_shim_pread(int fd, void *buf, size_t n, off_t off)
{
    if (!SHIM_ON())
        return pread(fd, buf, n, off);
    struct shim_call c = {ID_pread, fd, n,    B_FD, C_READ, {fd, L(buf), L(n), L(off)},
                          NULL,     0,  false};
    SHIM_RUN(ssize_t, c, pread(fd, buf, c.len, off));
}

ssize_t ipclab_shim_pwrite(int fd, const void *buf, size_t n, off_t off)
{
    if (!SHIM_ON())
        return pwrite(fd, buf, n, off);
    struct shim_call c = {ID_pwrite, fd, n,    B_FD, C_WRITE, {fd, L(buf), L(n), L(off)},
                          NULL,      0,  false};
    SHIM_RUN(ssize_t, c, pwrite(fd, buf, c.len, off));
}

/* A socket call with MSG_DONTWAIT never blocks. */
static enum block sock_block(int flags)
{
    return (flags & MSG_DONTWAIT) ? B_NEVER : B_FD;
}

ssize_t ipclab_shim_recv(int fd, void *buf, size_t n, int flags)
{
    if (!SHIM_ON())
        return recv(fd, buf, n, flags);
    struct shim_call c = {
        ID_recv, fd, n,    sock_block(flags), C_READ, {fd, L(buf), L(n), flags},
        NULL,    0,  false};
    SHIM_RUN(ssize_t, c, recv(fd, buf, c.len, flags));
}

ssize_t ipclab_shim_send(int fd, const void *buf, size_t n, int flags)
{
    if (!SHIM_ON())
        return send(fd, buf, n, flags);
    struct shim_call c = {
        ID_send, fd, n,    sock_block(flags), C_WRITE, {fd, L(buf), L(n), flags},
        NULL,    0,  false};
    SHIM_RUN(ssize_t, c, send(fd, buf, c.len, flags));
}

ssize_t ipclab_shim_recvfrom(int fd, void *buf, size_t n, int flags, __SOCKADDR_ARG from_,
                             socklen_t *fromlen)
{
    struct sockaddr *from = from_.__sockaddr__; /* glibc's transparent union */
    if (!SHIM_ON())
        return recvfrom(fd, buf, n, flags, from, fromlen);
    struct shim_call c = {ID_recvfrom, fd,
                          n,           sock_block(flags),
                          C_READ,      {fd, L(buf), L(n), flags, L(from), L(fromlen)},
                          NULL,        0,
                          false};
    SHIM_RUN(ssize_t, c, recvfrom(fd, buf, c.len, flags, from, fromlen));
}

ssize_t ipclab_shim_sendto(int fd, const void *buf, size_t n, int flags,
                           __CONST_SOCKADDR_ARG to_, socklen_t tolen)
{
    const struct sockaddr *to = to_.__sockaddr__; /* glibc's transparent union */
    if (!SHIM_ON())
        return sendto(fd, buf, n, flags, to, tolen);
    struct shim_call c = {ID_sendto, fd,
                          n,         sock_block(flags),
                          C_WRITE,   {fd, L(buf), L(n), flags, L(to), tolen},
                          to,        to ? tolen : 0,
                          false};
    SHIM_RUN(ssize_t, c, sendto(fd, buf, c.len, flags, to, tolen));
}

ssize_t ipclab_shim_recvmsg(int fd, struct msghdr *msg, int flags)
{
    if (!SHIM_ON())
        return recvmsg(fd, msg, flags);
    struct shim_call c = {
        ID_recvmsg, fd, 0,    sock_block(flags), C_NONE, {fd, L(msg), flags},
        NULL,       0,  false};
    SHIM_RUN(ssize_t, c, recvmsg(fd, msg, flags));
}

ssize_t ipclab_shim_sendmsg(int fd, const struct msghdr *msg, int flags)
{
    if (!SHIM_ON())
        return sendmsg(fd, msg, flags);
    struct shim_call c = {
        ID_sendmsg, fd, 0,    sock_block(flags), C_NONE, {fd, L(msg), flags},
        NULL,       0,  false};
    SHIM_RUN(ssize_t, c, sendmsg(fd, msg, flags));
}

int ipclab_shim_open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    if (!SHIM_ON())
        return open(path, flags, mode);
    /* An open of a FIFO blocks until the other end comes. */
    struct shim_call c = {ID_open, -1,
                          0,       (flags & O_NONBLOCK) ? B_NEVER : B_ALWAYS,
                          C_NONE,  {L(path), flags, mode},
                          NULL,    0,
                          false};
    SHIM_RUN(int, c, open(path, flags, mode));
}

/* A failure the plan injects still frees fd: Linux's close(2) releases the
 * descriptor whatever it then reports, so code must never close it again. */
int ipclab_shim_close(int fd)
{
    if (!SHIM_ON())
        return close(fd);
    struct shim_call c = {ID_close, fd, 0, B_NEVER, C_NONE, {fd}, NULL, 0, false};
    if (shim_enter(&c) < 0) {
        int err = errno;
        (void)close(fd);
        errno = err;
        return -1;
    }
    int r = close(fd);
    shim_leave(&c, r);
    return r;
}

int ipclab_shim_dup(int fd)
{
    if (!SHIM_ON())
        return dup(fd);
    struct shim_call c = {ID_dup, fd, 0, B_NEVER, C_NONE, {fd}, NULL, 0, false};
    SHIM_RUN(int, c, dup(fd));
}

int ipclab_shim_dup2(int fd, int to)
{
    if (!SHIM_ON())
        return dup2(fd, to);
    struct shim_call c = {ID_dup2, fd, 0, B_NEVER, C_NONE, {fd, to}, NULL, 0, false};
    SHIM_RUN(int, c, dup2(fd, to));
}

int ipclab_shim_pipe(int fds[2])
{
    if (!SHIM_ON())
        return pipe(fds);
    struct shim_call c = {ID_pipe, -1, 0, B_NEVER, C_NONE, {L(fds)}, NULL, 0, false};
    SHIM_RUN(int, c, pipe(fds));
}

int ipclab_shim_pipe2(int fds[2], int flags)
{
    if (!SHIM_ON())
        return pipe2(fds, flags);
    struct shim_call c = {ID_pipe2,        -1,   0, B_NEVER, C_NONE,
                          {L(fds), flags}, NULL, 0, false};
    SHIM_RUN(int, c, pipe2(fds, flags));
}

int ipclab_shim_fcntl(int fd, int cmd, ...)
{
    /* As glibc's own fcntl: the optional argument is read as a pointer-sized word. */
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (!SHIM_ON())
        return fcntl(fd, cmd, arg);
    /* F_SETLKW waits for a lock. */
    struct shim_call c = {
        ID_fcntl, fd,
        0,        (cmd == F_SETLKW || cmd == F_OFD_SETLKW) ? B_ALWAYS : B_NEVER,
        C_NONE,   {fd, cmd, L(arg)},
        NULL,     0,
        false};
    SHIM_RUN(int, c, fcntl(fd, cmd, arg));
}

int ipclab_shim_ftruncate(int fd, off_t len)
{
    if (!SHIM_ON())
        return ftruncate(fd, len);
    struct shim_call c = {ID_ftruncate, fd,   0, B_NEVER, C_NONE,
                          {fd, L(len)}, NULL, 0, false};
    SHIM_RUN(int, c, ftruncate(fd, len));
}

int ipclab_shim_mkfifo(const char *path, mode_t mode)
{
    if (!SHIM_ON())
        return mkfifo(path, mode);
    struct shim_call c = {ID_mkfifo,       -1,   0, B_NEVER, C_NONE,
                          {L(path), mode}, NULL, 0, false};
    SHIM_RUN(int, c, mkfifo(path, mode));
}

int ipclab_shim_unlink(const char *path)
{
    if (!SHIM_ON())
        return unlink(path);
    struct shim_call c = {ID_unlink, -1, 0, B_NEVER, C_NONE, {L(path)}, NULL, 0, false};
    SHIM_RUN(int, c, unlink(path));
}

int ipclab_shim_socket(int domain, int type, int proto)
{
    if (!SHIM_ON())
        return socket(domain, type, proto);
    struct shim_call c = {ID_socket, -1, 0,    B_NEVER, C_NONE, {domain, type, proto},
                          NULL,      0,  false};
    SHIM_RUN(int, c, socket(domain, type, proto));
}

int ipclab_shim_socketpair(int domain, int type, int proto, int sv[2])
{
    if (!SHIM_ON())
        return socketpair(domain, type, proto, sv);
    struct shim_call c = {ID_socketpair, -1,     0,
                          B_NEVER,       C_NONE, {domain, type, proto, L(sv)},
                          NULL,          0,      false};
    SHIM_RUN(int, c, socketpair(domain, type, proto, sv));
}

int ipclab_shim_bind(int fd, __CONST_SOCKADDR_ARG addr_, socklen_t len)
{
    const struct sockaddr *addr = addr_.__sockaddr__; /* glibc's transparent union */
    if (!SHIM_ON())
        return bind(fd, addr, len);
    struct shim_call c = {ID_bind, fd,  0,    B_NEVER, C_NONE, {fd, L(addr), len},
                          addr,    len, false};
    SHIM_RUN(int, c, bind(fd, addr, len));
}

int ipclab_shim_listen(int fd, int backlog)
{
    if (!SHIM_ON())
        return listen(fd, backlog);
    struct shim_call c = {ID_listen,     fd,   0, B_NEVER, C_NONE,
                          {fd, backlog}, NULL, 0, false};
    SHIM_RUN(int, c, listen(fd, backlog));
}

int ipclab_shim_accept(int fd, __SOCKADDR_ARG addr_, socklen_t *len)
{
    struct sockaddr *addr = addr_.__sockaddr__; /* glibc's transparent union */
    if (!SHIM_ON())
        return accept(fd, addr, len);
    struct shim_call c = {ID_accept, fd, 0,    B_FD, C_NONE, {fd, L(addr), L(len)},
                          NULL,      0,  false};
    SHIM_RUN(int, c, accept(fd, addr, len));
}

int ipclab_shim_accept4(int fd, __SOCKADDR_ARG addr_, socklen_t *len, int flags)
{
    struct sockaddr *addr = addr_.__sockaddr__; /* glibc's transparent union */
    if (!SHIM_ON())
        return accept4(fd, addr, len, flags);
    struct shim_call c = {
        ID_accept4, fd, 0, B_FD, C_NONE, {fd, L(addr), L(len), flags}, NULL, 0, false};
    SHIM_RUN(int, c, accept4(fd, addr, len, flags));
}

int ipclab_shim_connect(int fd, __CONST_SOCKADDR_ARG addr_, socklen_t len)
{
    const struct sockaddr *addr = addr_.__sockaddr__; /* glibc's transparent union */
    if (!SHIM_ON())
        return connect(fd, addr, len);
    struct shim_call c = {ID_connect,         fd,   0,   B_FD, C_NONE,
                          {fd, L(addr), len}, addr, len, false};
    SHIM_RUN(int, c, connect(fd, addr, len));
}

int ipclab_shim_shutdown(int fd, int how)
{
    if (!SHIM_ON())
        return shutdown(fd, how);
    struct shim_call c = {ID_shutdown, fd, 0, B_NEVER, C_NONE, {fd, how}, NULL, 0, false};
    SHIM_RUN(int, c, shutdown(fd, how));
}

int ipclab_shim_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    if (!SHIM_ON())
        return setsockopt(fd, level, name, val, len);
    struct shim_call c = {ID_setsockopt, fd,     0,
                          B_NEVER,       C_NONE, {fd, level, name, L(val), len},
                          val,           len,    false};
    SHIM_RUN(int, c, setsockopt(fd, level, name, val, len));
}

int ipclab_shim_poll(struct pollfd *fds, nfds_t n, int timeout)
{
    if (!SHIM_ON())
        return poll(fds, n, timeout);
    struct shim_call c = {ID_poll, -1,
                          0,       timeout == 0 ? B_NEVER : B_ALWAYS,
                          C_NONE,  {L(fds), L(n), timeout},
                          fds,     n * sizeof *fds,
                          false};
    SHIM_RUN(int, c, poll(fds, n, timeout));
}

/* A zero timeout (not a NULL one) never blocks. */
static bool zero_ts(const struct timespec *t)
{
    return t != NULL && t->tv_sec == 0 && t->tv_nsec == 0;
}

int ipclab_shim_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo,
                      const sigset_t *mask)
{
    if (!SHIM_ON())
        return ppoll(fds, n, tmo, mask);
    struct shim_call c = {ID_ppoll, -1,
                          0,        zero_ts(tmo) ? B_NEVER : B_ALWAYS,
                          C_NONE,   {L(fds), L(n), L(tmo), L(mask)},
                          fds,      n * sizeof *fds,
                          false};
    SHIM_RUN(int, c, ppoll(fds, n, tmo, mask));
}

int ipclab_shim_select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tmo)
{
    if (!SHIM_ON())
        return select(n, r, w, e, tmo);
    bool zero = tmo != NULL && tmo->tv_sec == 0 && tmo->tv_usec == 0;
    struct shim_call c = {ID_select, -1,
                          0,         zero ? B_NEVER : B_ALWAYS,
                          C_NONE,    {n, L(r), L(w), L(e), L(tmo)},
                          NULL,      0,
                          false};
    SHIM_RUN(int, c, select(n, r, w, e, tmo));
}

int ipclab_shim_epoll_wait(int ep, struct epoll_event *ev, int max, int timeout)
{
    if (!SHIM_ON())
        return epoll_wait(ep, ev, max, timeout);
    struct shim_call c = {ID_epoll_wait,
                          ep,
                          0,
                          timeout == 0 ? B_NEVER : B_ALWAYS,
                          C_NONE,
                          {ep, L(ev), max, timeout},
                          NULL,
                          0,
                          false};
    SHIM_RUN(int, c, epoll_wait(ep, ev, max, timeout));
}

int ipclab_shim_msgget(key_t key, int flags)
{
    if (!SHIM_ON())
        return msgget(key, flags);
    struct shim_call c = {ID_msgget,    -1,   0, B_NEVER, C_NONE,
                          {key, flags}, NULL, 0, false};
    SHIM_RUN(int, c, msgget(key, flags));
}

int ipclab_shim_msgsnd(int id, const void *msg, size_t n, int flags)
{
    if (!SHIM_ON())
        return msgsnd(id, msg, n, flags);
    struct shim_call c = {ID_msgsnd, -1,
                          0,         (flags & IPC_NOWAIT) ? B_NEVER : B_ALWAYS,
                          C_NONE,    {id, L(msg), L(n), flags},
                          NULL,      0,
                          false};
    SHIM_RUN(int, c, msgsnd(id, msg, n, flags));
}

ssize_t ipclab_shim_msgrcv(int id, void *msg, size_t n, long type, int flags)
{
    if (!SHIM_ON())
        return msgrcv(id, msg, n, type, flags);
    struct shim_call c = {ID_msgrcv, -1,
                          0,         (flags & IPC_NOWAIT) ? B_NEVER : B_ALWAYS,
                          C_NONE,    {id, L(msg), L(n), type, flags},
                          NULL,      0,
                          false};
    SHIM_RUN(ssize_t, c, msgrcv(id, msg, n, type, flags));
}

mqd_t ipclab_shim_mq_open(const char *name, int flags, ...)
{
    mode_t mode = 0;
    struct mq_attr *attr = NULL;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        attr = va_arg(ap, struct mq_attr *);
        va_end(ap);
    }
    if (!SHIM_ON())
        return mq_open(name, flags, mode, attr);
    struct shim_call c = {ID_mq_open, -1,     0,
                          B_NEVER,    C_NONE, {L(name), flags, mode, L(attr)},
                          NULL,       0,      false};
    SHIM_RUN(mqd_t, c, mq_open(name, flags, mode, attr));
}

int ipclab_shim_mq_send(mqd_t q, const char *msg, size_t n, unsigned prio)
{
    if (!SHIM_ON())
        return mq_send(q, msg, n, prio);
    struct shim_call c = {ID_mq_send, q, 0,    B_MQ, C_NONE, {q, L(msg), L(n), prio},
                          NULL,       0, false};
    SHIM_RUN(int, c, mq_send(q, msg, n, prio));
}

ssize_t ipclab_shim_mq_receive(mqd_t q, char *msg, size_t n, unsigned *prio)
{
    if (!SHIM_ON())
        return mq_receive(q, msg, n, prio);
    struct shim_call c = {
        ID_mq_receive, q, 0, B_MQ, C_NONE, {q, L(msg), L(n), L(prio)}, NULL, 0, false};
    SHIM_RUN(ssize_t, c, mq_receive(q, msg, n, prio));
}

int ipclab_shim_mq_timedsend(mqd_t q, const char *msg, size_t n, unsigned prio,
                             const struct timespec *at)
{
    if (!SHIM_ON())
        return mq_timedsend(q, msg, n, prio, at);
    struct shim_call c = {ID_mq_timedsend,
                          q,
                          0,
                          B_MQ,
                          C_NONE,
                          {q, L(msg), L(n), prio, L(at)},
                          NULL,
                          0,
                          false};
    SHIM_RUN(int, c, mq_timedsend(q, msg, n, prio, at));
}

ssize_t ipclab_shim_mq_timedreceive(mqd_t q, char *msg, size_t n, unsigned *prio,
                                    const struct timespec *at)
{
    if (!SHIM_ON())
        return mq_timedreceive(q, msg, n, prio, at);
    struct shim_call c = {ID_mq_timedreceive,
                          q,
                          0,
                          B_MQ,
                          C_NONE,
                          {q, L(msg), L(n), L(prio), L(at)},
                          NULL,
                          0,
                          false};
    SHIM_RUN(ssize_t, c, mq_timedreceive(q, msg, n, prio, at));
}

/* mq_notify never blocks: it registers (or with sev NULL cancels) and returns. */
int ipclab_shim_mq_notify(mqd_t q, const struct sigevent *sev)
{
    if (!SHIM_ON())
        return mq_notify(q, sev);
    struct shim_call c = {ID_mq_notify, q,    0, B_NEVER, C_NONE,
                          {q, L(sev)},  NULL, 0, false};
    SHIM_RUN(int, c, mq_notify(q, sev));
}

int ipclab_shim_sem_wait(sem_t *s)
{
    if (!SHIM_ON())
        return sem_wait(s);
    struct shim_call c = {ID_sem_wait, -1, 0, B_ALWAYS, C_NONE, {L(s)}, NULL, 0, false};
    SHIM_RUN(int, c, sem_wait(s));
}

int ipclab_shim_sem_timedwait(sem_t *s, const struct timespec *at)
{
    if (!SHIM_ON())
        return sem_timedwait(s, at);
    struct shim_call c = {ID_sem_timedwait, -1,   0, B_ALWAYS, C_NONE,
                          {L(s), L(at)},    NULL, 0, false};
    SHIM_RUN(int, c, sem_timedwait(s, at));
}

int ipclab_shim_sem_trywait(sem_t *s)
{
    if (!SHIM_ON())
        return sem_trywait(s);
    struct shim_call c = {ID_sem_trywait, -1, 0, B_NEVER, C_NONE, {L(s)}, NULL, 0, false};
    SHIM_RUN(int, c, sem_trywait(s));
}

int ipclab_shim_sem_post(sem_t *s)
{
    if (!SHIM_ON())
        return sem_post(s);
    struct shim_call c = {ID_sem_post, -1, 0, B_NEVER, C_NONE, {L(s)}, NULL, 0, false};
    SHIM_RUN(int, c, sem_post(s));
}

/* sem_close and sem_unlink: the call checks of named semaphores (lab 05). */
int ipclab_shim_sem_close(sem_t *s)
{
    if (!SHIM_ON())
        return sem_close(s);
    struct shim_call c = {ID_sem_close, -1, 0, B_NEVER, C_NONE, {L(s)}, NULL, 0, false};
    SHIM_RUN(int, c, sem_close(s));
}

int ipclab_shim_sem_unlink(const char *name)
{
    if (!SHIM_ON())
        return sem_unlink(name);
    struct shim_call c = {ID_sem_unlink, -1,   0, B_NEVER, C_NONE,
                          {L(name)},     NULL, 0, false};
    SHIM_RUN(int, c, sem_unlink(name));
}

int ipclab_shim_semget(key_t key, int nsems, int flags)
{
    if (!SHIM_ON())
        return semget(key, nsems, flags);
    struct shim_call c = {ID_semget,           -1,   0, B_NEVER, C_NONE,
                          {key, nsems, flags}, NULL, 0, false};
    SHIM_RUN(int, c, semget(key, nsems, flags));
}

/* A semop with IPC_NOWAIT on every operation never blocks. */
static enum block semop_block(const struct sembuf *ops, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(ops[i].sem_flg & IPC_NOWAIT))
            return B_ALWAYS;
    return B_NEVER;
}

int ipclab_shim_semop(int id, struct sembuf *ops, size_t n)
{
    if (!SHIM_ON())
        return semop(id, ops, n);
    struct shim_call c = {
        ID_semop,        -1,   0, semop_block(ops, n), C_NONE, {id, L(ops), L(n)}, ops,
        n * sizeof *ops, false};
    SHIM_RUN(int, c, semop(id, ops, n));
}

int ipclab_shim_semtimedop(int id, struct sembuf *ops, size_t n, const struct timespec *t)
{
    if (!SHIM_ON())
        return semtimedop(id, ops, n, t);
    struct shim_call c = {ID_semtimedop,
                          -1,
                          0,
                          semop_block(ops, n),
                          C_NONE,
                          {id, L(ops), L(n), L(t)},
                          ops,
                          n * sizeof *ops,
                          false};
    SHIM_RUN(int, c, semtimedop(id, ops, n, t));
}

void *ipclab_shim_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (!SHIM_ON())
        return mmap(addr, len, prot, flags, fd, off);
    struct shim_call c = {ID_mmap, fd,     0,
                          B_NEVER, C_NONE, {L(addr), L(len), prot, flags, fd, L(off)},
                          NULL,    0,      false};
    SHIM_RUN(void *, c, mmap(addr, len, prot, flags, fd, off));
}

int ipclab_shim_shmget(key_t key, size_t size, int flags)
{
    if (!SHIM_ON())
        return shmget(key, size, flags);
    struct shim_call c = {ID_shmget, -1, 0,    B_NEVER, C_NONE, {key, L(size), flags},
                          NULL,      0,  false};
    SHIM_RUN(int, c, shmget(key, size, flags));
}

void *ipclab_shim_shmat(int id, const void *addr, int flags)
{
    if (!SHIM_ON())
        return shmat(id, addr, flags);
    struct shim_call c = {ID_shmat, -1, 0,    B_NEVER, C_NONE, {id, L(addr), flags},
                          NULL,     0,  false};
    SHIM_RUN(void *, c, shmat(id, addr, flags));
}

int ipclab_shim_munmap(void *addr, size_t len)
{
    if (!SHIM_ON())
        return munmap(addr, len);
    struct shim_call c = {ID_munmap,         -1,   0, B_NEVER, C_NONE,
                          {L(addr), L(len)}, NULL, 0, false};
    SHIM_RUN(int, c, munmap(addr, len));
}

int ipclab_shim_msync(void *addr, size_t len, int flags)
{
    if (!SHIM_ON())
        return msync(addr, len, flags);
    struct shim_call c = {ID_msync, -1, 0,    B_NEVER, C_NONE, {L(addr), L(len), flags},
                          NULL,     0,  false};
    SHIM_RUN(int, c, msync(addr, len, flags));
}

int ipclab_shim_flock(int fd, int op)
{
    if (!SHIM_ON())
        return flock(fd, op);
    struct shim_call c = {ID_flock, fd,       0,    (op & LOCK_NB) ? B_NEVER : B_ALWAYS,
                          C_NONE,   {fd, op}, NULL, 0,
                          false};
    SHIM_RUN(int, c, flock(fd, op));
}

/* lockf(3): only F_LOCK waits for the lock (and so may be interrupted). */
int ipclab_shim_lockf(int fd, int cmd, off_t len)
{
    if (!SHIM_ON())
        return lockf(fd, cmd, len);
    struct shim_call c = {
        ID_lockf, fd, 0,    cmd == F_LOCK ? B_ALWAYS : B_NEVER, C_NONE, {fd, cmd, L(len)},
        NULL,     0,  false};
    SHIM_RUN(int, c, lockf(fd, cmd, len));
}

void *ipclab_shim_mremap(void *old, size_t oldlen, size_t newlen, int flags, ...)
{
    /* As glibc's own mremap: the new address is passed only with MREMAP_FIXED. */
    void *want = NULL;
    if (flags & MREMAP_FIXED) {
        va_list ap;
        va_start(ap, flags);
        want = va_arg(ap, void *);
        va_end(ap);
    }
    if (!SHIM_ON())
        return mremap(old, oldlen, newlen, flags, want);
    struct shim_call c = {
        ID_mremap, -1,     0,
        B_NEVER,   C_NONE, {L(old), L(oldlen), L(newlen), flags, L(want)},
        NULL,      0,      false};
    SHIM_RUN(void *, c, mremap(old, oldlen, newlen, flags, want));
}

pid_t ipclab_shim_fork(void)
{
    if (!SHIM_ON())
        return fork();
    struct shim_call c = {ID_fork, -1, 0, B_NEVER, C_NONE, {0}, NULL, 0, false};
    SHIM_RUN(pid_t, c, fork());
}

pid_t ipclab_shim_wait(int *status)
{
    if (!SHIM_ON())
        return wait(status);
    struct shim_call c = {ID_wait, -1, 0, B_ALWAYS, C_NONE, {L(status)}, NULL, 0, false};
    SHIM_RUN(pid_t, c, wait(status));
}

pid_t ipclab_shim_waitpid(pid_t pid, int *status, int options)
{
    if (!SHIM_ON())
        return waitpid(pid, status, options);
    struct shim_call c = {ID_waitpid, -1,
                          0,          (options & WNOHANG) ? B_NEVER : B_ALWAYS,
                          C_NONE,     {pid, L(status), options},
                          NULL,       0,
                          false};
    SHIM_RUN(pid_t, c, waitpid(pid, status, options));
}

int ipclab_shim_waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
    if (!SHIM_ON())
        return waitid(type, id, info, options);
    struct shim_call c = {ID_waitid, -1,
                          0,         (options & WNOHANG) ? B_NEVER : B_ALWAYS,
                          C_NONE,    {type, L(id), L(info), options},
                          NULL,      0,
                          false};
    SHIM_RUN(int, c, waitid(type, id, info, options));
}

/* wait3 and wait4 are waitpid with resource usage: a student may wait with them too. */
pid_t ipclab_shim_wait3(int *status, int options, struct rusage *usage)
{
    if (!SHIM_ON())
        return wait3(status, options, usage);
    struct shim_call c = {ID_wait3, -1,
                          0,        (options & WNOHANG) ? B_NEVER : B_ALWAYS,
                          C_NONE,   {L(status), options, L(usage)},
                          NULL,     0,
                          false};
    SHIM_RUN(pid_t, c, wait3(status, options, usage));
}

pid_t ipclab_shim_wait4(pid_t pid, int *status, int options, struct rusage *usage)
{
    if (!SHIM_ON())
        return wait4(pid, status, options, usage);
    struct shim_call c = {ID_wait4, -1,
                          0,        (options & WNOHANG) ? B_NEVER : B_ALWAYS,
                          C_NONE,   {pid, L(status), options, L(usage)},
                          NULL,     0,
                          false};
    SHIM_RUN(pid_t, c, wait4(pid, status, options, usage));
}

/* An exec is logged before it happens: on success nothing returns to log it after. */
static int exec_enter(enum shim_id id, const char *path, char *const argv[])
{
    struct shim_call c = {id, -1, 0, B_NEVER, C_NONE, {L(path), L(argv)}, NULL, 0, false};
    if (shim_enter(&c) < 0)
        return -1;
    shim_leave(&c, 0);
    return 0;
}

int ipclab_shim_execve(const char *path, char *const argv[], char *const envp[])
{
    if (SHIM_ON() && exec_enter(ID_execve, path, argv) < 0)
        return -1;
    return execve(path, argv, envp);
}

int ipclab_shim_execv(const char *path, char *const argv[])
{
    if (SHIM_ON() && exec_enter(ID_execv, path, argv) < 0)
        return -1;
    return execv(path, argv);
}

int ipclab_shim_execvp(const char *file, char *const argv[])
{
    if (SHIM_ON() && exec_enter(ID_execvp, file, argv) < 0)
        return -1;
    return execvp(file, argv);
}

int ipclab_shim_kill(pid_t pid, int sig)
{
    if (!SHIM_ON())
        return kill(pid, sig);
    struct shim_call c = {ID_kill, -1, 0, B_NEVER, C_NONE, {pid, sig}, NULL, 0, false};
    SHIM_RUN(int, c, kill(pid, sig));
}

int ipclab_shim_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (!SHIM_ON())
        return sigaction(sig, act, old);
    struct shim_call c = {
        ID_sigaction,          -1,   0, B_NEVER, C_NONE, {sig, L(act), L(old)}, act,
        act ? sizeof *act : 0, false};
    SHIM_RUN(int, c, sigaction(sig, act, old));
}

int ipclab_shim_sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    if (!SHIM_ON())
        return sigprocmask(how, set, old);
    struct shim_call c = {
        ID_sigprocmask,        -1,   0, B_NEVER, C_NONE, {how, L(set), L(old)}, set,
        set ? sizeof *set : 0, false};
    SHIM_RUN(int, c, sigprocmask(how, set, old));
}

int ipclab_shim_pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    if (!SHIM_ON())
        return pthread_sigmask(how, set, old);
    /* It returns an error number, never -1: logged, never failed by a plan. */
    struct shim_call c = {
        ID_pthread_sigmask,    -1,   0, B_NEVER, C_NONE, {how, L(set), L(old)}, set,
        set ? sizeof *set : 0, false};
    shim_enter(&c); /* no rule names it: it notes the call (require), counts, stresses */
    int r = pthread_sigmask(how, set, old);
    shim_leave(&c, r);
    return r;
}

int ipclab_shim_sigsuspend(const sigset_t *mask)
{
    if (!SHIM_ON())
        return sigsuspend(mask);
    struct shim_call c = {ID_sigsuspend, -1,           0,    B_ALWAYS, C_NONE, {L(mask)},
                          mask,          sizeof *mask, false};
    SHIM_RUN(int, c, sigsuspend(mask));
}

int ipclab_shim_sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
    if (!SHIM_ON())
        return sigwaitinfo(set, info);
    struct shim_call c = {ID_sigwaitinfo,    -1,  0,           B_ALWAYS, C_NONE,
                          {L(set), L(info)}, set, sizeof *set, false};
    SHIM_RUN(int, c, sigwaitinfo(set, info));
}

int ipclab_shim_sigtimedwait(const sigset_t *set, siginfo_t *info,
                             const struct timespec *t)
{
    if (!SHIM_ON())
        return sigtimedwait(set, info, t);
    struct shim_call c = {ID_sigtimedwait,
                          -1,
                          0,
                          zero_ts(t) ? B_NEVER : B_ALWAYS,
                          C_NONE,
                          {L(set), L(info), L(t)},
                          set,
                          sizeof *set,
                          false};
    SHIM_RUN(int, c, sigtimedwait(set, info, t));
}

/* A sleep that can really wait: a valid, non-zero request (NULL or a bad one fails
 * with EFAULT or EINVAL before any wait, a zero one returns at once). */
static enum block sleep_block(const struct timespec *t)
{
    return t == NULL || t->tv_sec < 0 || t->tv_nsec < 0 || t->tv_nsec >= 1000000000L ||
                   zero_ts(t)
               ? B_NEVER
               : B_ALWAYS;
}

/*
 * An injected EINTR in a relative sleep: as when a signal arrives halfway, the
 * first half of req is slept for real and *rem (if not NULL) gets the rest, so
 * a caller that sleeps again for *rem wakes when it asked, and one that starts
 * over with req sleeps longer, as the call log shows.
 */
static void sleep_interrupted(clockid_t clk, const struct timespec *req,
                              struct timespec *rem)
{
    struct timespec half = {req->tv_sec / 2,
                            ((req->tv_sec % 2) * 1000000000L + req->tv_nsec) / 2};
    struct timespec left = {req->tv_sec - half.tv_sec, req->tv_nsec - half.tv_nsec};
    struct timespec cut = {0, 0};
    if (left.tv_nsec < 0) {
        left.tv_sec--;
        left.tv_nsec += 1000000000L;
    }
    /* A real signal may cut the first half short too: what it left is added. */
    if (clock_nanosleep(clk, 0, &half, &cut) == EINTR) {
        left.tv_sec += cut.tv_sec;
        left.tv_nsec += cut.tv_nsec;
        if (left.tv_nsec >= 1000000000L) {
            left.tv_sec++;
            left.tv_nsec -= 1000000000L;
        }
    }
    if (rem != NULL)
        *rem = left;
}

int ipclab_shim_nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (!SHIM_ON())
        return nanosleep(req, rem);
    struct shim_call c = {ID_nanosleep,
                          -1,
                          0,
                          sleep_block(req),
                          C_NONE,
                          {L(req), L(rem)},
                          req,
                          req != NULL ? sizeof *req : 0,
                          false};
    if (shim_enter(&c) < 0) {
        int err = errno;
        if (err == EINTR)
            sleep_interrupted(CLOCK_MONOTONIC, req, rem);
        errno = err;
        return -1;
    }
    int r = nanosleep(req, rem);
    shim_leave(&c, r);
    return r;
}

/* clock_nanosleep returns an error number; an absolute sleep is cut at once (its
 * retry with the same deadline is right, and it has no remaining time). */
int ipclab_shim_clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
                                struct timespec *rem)
{
    if (!SHIM_ON())
        return clock_nanosleep(clk, flags, req, rem);
    bool abs = (flags & TIMER_ABSTIME) != 0;
    struct shim_call c = {ID_clock_nanosleep,
                          -1,
                          0,
                          abs && req != NULL ? B_ALWAYS : sleep_block(req),
                          C_NONE,
                          {clk, flags, L(req), L(rem)},
                          req,
                          req != NULL ? sizeof *req : 0,
                          false};
    int saved = errno;
    if (shim_enter(&c) < 0) {
        int err = errno;
        if (err == EINTR && !abs)
            sleep_interrupted(clk, req, rem);
        errno = saved;
        return err;
    }
    int r = clock_nanosleep(clk, flags, req, rem);
    shim_leave(&c, r);
    return r;
}

/* Memory: a planned failure returns NULL with errno ENOMEM (what the C library
 * gives when the kernel refuses more); realloc's block is then left as it was. */
/* Keep the count of the student's blocks (shim_heap.c): r came from one of its
 * allocations (NULL: none). */
static void *kept(void *r)
{
    if (r != NULL)
        shim_heap_add((uintptr_t)r);
    return r;
}

void *ipclab_shim_malloc(size_t n)
{
    if (!SHIM_ON())
        return kept(malloc(n));
    struct shim_call c = {ID_malloc, -1, 0, B_NEVER, C_NONE, {L(n)}, NULL, 0, false};
    if (shim_enter(&c) < 0)
        return NULL;
    void *r = kept(malloc(n));
    shim_leave(&c, L(r));
    return r;
}

void *ipclab_shim_calloc(size_t k, size_t n)
{
    if (!SHIM_ON())
        return kept(calloc(k, n));
    struct shim_call c = {ID_calloc,    -1,   0, B_NEVER, C_NONE,
                          {L(k), L(n)}, NULL, 0, false};
    if (shim_enter(&c) < 0)
        return NULL;
    void *r = kept(calloc(k, n));
    shim_leave(&c, L(r));
    return r;
}

/* realloc, and the count: a moved block is the old one freed and a new one; so is
 * realloc(p, 0), which frees p and returns NULL. A failed realloc leaves p as it was. */
static void *realloc_kept(void *p, size_t n)
{
    bool was_kept = shim_heap_remove((uintptr_t)p); /* before: p is not used after */
    void *r = realloc(p, n);
    if (r == NULL && n != 0 && was_kept)
        shim_heap_add((uintptr_t)p); /* it failed: p is still the student's */
    return kept(r);
}

void *ipclab_shim_realloc(void *p, size_t n)
{
    if (!SHIM_ON())
        return realloc_kept(p, n);
    struct shim_call c = {ID_realloc,   -1,   0, B_NEVER, C_NONE,
                          {L(p), L(n)}, NULL, 0, false};
    if (shim_enter(&c) < 0)
        return NULL;
    void *r = realloc_kept(p, n);
    shim_leave(&c, L(r));
    return r;
}

/* free is renamed only for the count (ipct_heap_blocks): it is not logged, has no
 * plans, and is not in SHIM_CALLS. */
void ipclab_shim_free(void *p);
void ipclab_shim_free(void *p)
{
    shim_heap_remove((uintptr_t)p);
    free(p);
}

/*
 * The clock read the test planned (ipct_clock_at_nsec): wait until clk
 * next shows exactly the planned nanoseconds past a whole second (at most a
 * second away), then return that instant. It is already past when the call
 * returns, by microseconds, so a deadline built from it is a real one.
 */
static int clock_planned(clockid_t clk, struct timespec *ts, long want)
{
    struct timespec now;
    if (clock_gettime(clk, &now) < 0)
        return -1;
    struct timespec at = {now.tv_sec + (now.tv_nsec > want), want};
    while (clock_nanosleep(clk, TIMER_ABSTIME, &at, NULL) == EINTR)
        continue;
    *ts = at;
    char text[160];
    snprintf(text, sizeof text,
             "clock_gettime #%d%s returned a time %ld ns past a whole second, a "
             "moment the test chose",
             atomic_load(&ordinal[ID_clock_gettime]),
             getpid() != shared->test_pid ? " in a child" : "", want);
    note_fault(text);
    return 0;
}

int ipclab_shim_clock_gettime(clockid_t clk, struct timespec *ts)
{
    if (!SHIM_ON())
        return clock_gettime(clk, ts);
    struct shim_call c = {ID_clock_gettime, -1,   0, B_NEVER, C_NONE,
                          {clk, L(ts)},     NULL, 0, false};
    if (shim_enter(&c) < 0)
        return -1;
    long want = clk == clock_id ? atomic_exchange(&clock_nsec, -1) : -1;
    if (want >= 0)
        update_on();
    int r = want >= 0 ? clock_planned(clk, ts, want) : clock_gettime(clk, ts);
    shim_leave(&c, r);
    return r;
}

/* Threads: pthread_create can fail (EAGAIN: no resources for one more thread);
 * pthread_join of a joinable thread cannot, so it is logged and stressed only
 * (ipct_fault_add refuses it). Both return an error number, errno untouched. */
int ipclab_shim_pthread_create(pthread_t *t, const pthread_attr_t *attr,
                               void *(*fn)(void *), void *arg)
{
    if (!SHIM_ON())
        return pthread_create(t, attr, fn, arg);
    struct shim_call c = {ID_pthread_create,
                          -1,
                          0,
                          B_NEVER,
                          C_NONE,
                          {L(t), L(attr), L(fn), L(arg)},
                          NULL,
                          0,
                          false};
    int saved = errno;
    if (shim_enter(&c) < 0) {
        int err = errno;
        errno = saved;
        return err;
    }
    int r = pthread_create(t, attr, fn, arg);
    shim_leave(&c, r);
    return r;
}

int ipclab_shim_pthread_join(pthread_t t, void **ret)
{
    if (!SHIM_ON())
        return pthread_join(t, ret);
    struct shim_call c = {ID_pthread_join, -1,   0, B_NEVER, C_NONE,
                          {L(t), L(ret)},  NULL, 0, false};
    shim_enter(&c); /* no rule can name it: it only notes, counts and stresses */
    int r = pthread_join(t, ret);
    shim_leave(&c, r);
    return r;
}

/* ---- race stress (IPCLAB_STRESS_SEED) ----------------------------------------------
 *
 * With IPCLAB_STRESS_SEED=S in the environment, ipct_stress_begin (called by the
 * probe as each test starts) turns the shim on, and every synchronisation call of
 * the student's code is preceded and followed by a decision drawn from a
 * pseudo-random generator: nothing, a sched_yield(), or a short or longer sleep.
 * The generator of a process is seeded from S, the test's name and the process's
 * place in the fork tree (the test process is the root; its n-th fork gives the
 * child n), and each thread has its own stream (the n-th thread to stress a
 * process takes stream n), so one seed reproduces the same decisions in the same
 * order as far as the scheduler lets it. The sleeps of all the test's processes
 * together are capped at 10 % of its timeout (past it, a sleep drawn becomes a
 * yield), and stress acts only in the first quarter of the timeout (a loop of
 * 100 000 locked increments would otherwise spend it all in yields): a stressed
 * test slows down, it never times out for it.
 * Without the variable nothing here runs: the wrappers' fast path is the one load
 * of shim_on (or of stress_on for the calls only stress wraps).
 */

/* The calls around which stress may act: where one process waits for, wakes or
 * hands data to another. */
static const enum shim_id stress_ids[] = {ID_read,
                                          ID_write,
                                          ID_readv,
                                          ID_writev,
                                          ID_pread,
                                          ID_pwrite,
                                          ID_recv,
                                          ID_send,
                                          ID_recvfrom,
                                          ID_sendto,
                                          ID_recvmsg,
                                          ID_sendmsg,
                                          ID_open,
                                          ID_close,
                                          ID_accept,
                                          ID_accept4,
                                          ID_connect,
                                          ID_shutdown,
                                          ID_listen,
                                          ID_poll,
                                          ID_ppoll,
                                          ID_select,
                                          ID_epoll_wait,
                                          ID_msgsnd,
                                          ID_msgrcv,
                                          ID_mq_send,
                                          ID_mq_receive,
                                          ID_mq_timedsend,
                                          ID_mq_timedreceive,
                                          ID_sem_wait,
                                          ID_sem_timedwait,
                                          ID_sem_trywait,
                                          ID_sem_post,
                                          ID_semop,
                                          ID_semtimedop,
                                          ID_flock,
                                          ID_lockf,
                                          ID_fcntl,
                                          ID_fork,
                                          ID_wait,
                                          ID_waitpid,
                                          ID_waitid,
                                          ID_kill,
                                          ID_sigprocmask,
                                          ID_sigsuspend,
                                          ID_sigwaitinfo,
                                          ID_sigtimedwait,
                                          ID_execve,
                                          ID_execv,
                                          ID_execvp,
                                          ID_pthread_create,
                                          ID_pthread_join};

static uint64_t stress_ids_mask[(NCALLS + 63) / 64];
static uint64_t stress_seed;         /* S itself, for ipct_stress_seed */
static uint64_t stress_proc;         /* this process's seed (S, test, fork path) */
static atomic_uint stress_gen;       /* bumped when stress_proc changes: threads reseed */
static atomic_uint stress_threads;   /* streams handed out in this process */
static atomic_uint stress_forks;     /* children this process forked while stressed */
static atomic_llong *stress_spent;   /* nanoseconds slept by the test's processes */
static long long stress_budget;      /* ... at most this many */
static struct timespec stress_until; /* stress acts until then (CLOCK_MONOTONIC) */
static _Thread_local uint64_t stress_state;   /* this thread's generator */
static _Thread_local unsigned stress_tgen;    /* the stress_gen it was seeded for */
static _Thread_local unsigned stress_forking; /* the fork number in progress */

/* splitmix64's finaliser: a well-mixed 64-bit value from x. */
static uint64_t stress_mix(uint64_t x)
{
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* The next draw of this thread's stream (seeded on its first draw in a process). */
static uint64_t stress_next(void)
{
    unsigned gen = atomic_load_explicit(&stress_gen, memory_order_acquire);
    if (stress_tgen != gen) {
        stress_tgen = gen;
        stress_state = stress_mix(stress_proc ^
                                  stress_mix(atomic_fetch_add(&stress_threads, 1) + 1));
    }
    stress_state += UINT64_C(0x9e3779b97f4a7c15);
    return stress_mix(stress_state);
}

/*
 * One stress point: nothing (3 in 8), sched_yield (3 in 8), a sleep of 1 to 50
 * microseconds (3 in 16) or of 0.1 to 2 ms (1 in 16), within the budget (past
 * it, a yield). errno is kept: the point sits between the call and its caller.
 */
static void stress_point(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > stress_until.tv_sec ||
        (now.tv_sec == stress_until.tv_sec && now.tv_nsec > stress_until.tv_nsec))
        return;
    uint64_t r = stress_next();
    unsigned pick = (unsigned)(r & 15);
    if (pick < 6)
        return;
    int err = errno;
    long long ns = 0;
    if (pick >= 12)
        ns = pick == 15 ? 100000 + (long long)((r >> 8) % 1900000)
                        : 1000 + (long long)((r >> 8) % 49000);
    if (ns > 0 && atomic_fetch_add(stress_spent, ns) + ns <= stress_budget) {
        struct timespec t = {0, (long)ns};
        nanosleep(&t, NULL); /* a signal may cut it short: no matter */
    } else {
        sched_yield();
    }
    errno = err;
}

static void stress_call(enum shim_id id)
{
    if (atomic_load_explicit(&stress_on, memory_order_relaxed) &&
        ((stress_ids_mask[id / 64] >> (id % 64)) & 1))
        stress_point();
}

/* pthread_atfork's handlers: the n-th child of a process takes seed (parent, n). */
static void stress_prepare(void)
{
    stress_forking = atomic_fetch_add(&stress_forks, 1) + 1;
}

static void stress_child(void)
{
    stress_proc =
        stress_mix(stress_proc ^ stress_mix(UINT64_C(0x10000) + stress_forking));
    atomic_store(&stress_forks, 0);
    atomic_store(&stress_threads, 0);
    atomic_fetch_add_explicit(&stress_gen, 1, memory_order_release);
}

void ipct_stress_begin(const char *test, double timeout)
{
    const char *env = getenv("IPCLAB_STRESS_SEED");
    if (env == NULL || env[0] == '\0')
        return;
    static bool registered;
    if (!registered && pthread_atfork(stress_prepare, NULL, stress_child) == 0)
        registered = true;
    if (stress_spent == NULL) { /* shared with the processes forked from now on */
        void *p = mmap(NULL, sizeof *stress_spent, PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            cr_assert_fail("ipclab shim: mmap: %s", strerror(errno));
        stress_spent = p;
    }
    for (size_t i = 0; i < sizeof stress_ids / sizeof stress_ids[0]; i++)
        stress_ids_mask[stress_ids[i] / 64] |= UINT64_C(1) << (stress_ids[i] % 64);
    stress_seed = strtoull(env, NULL, 0);
    uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a of the test's name */
    for (const char *p = test; *p != '\0'; p++)
        h = (h ^ (unsigned char)*p) * UINT64_C(0x100000001b3);
    stress_proc = stress_mix(stress_mix(stress_seed) ^ h);
    if (timeout <= 0)
        timeout = 10;
    stress_budget = (long long)(timeout * 0.1 * 1e9);
    clock_gettime(CLOCK_MONOTONIC, &stress_until);
    long long until = stress_until.tv_nsec + (long long)(timeout * 0.25 * 1e9);
    stress_until.tv_sec += (time_t)(until / 1000000000);
    stress_until.tv_nsec = (long)(until % 1000000000);
    atomic_store(&stress_forks, 0);
    atomic_store(&stress_threads, 0);
    atomic_store(stress_spent, 0);
    atomic_fetch_add_explicit(&stress_gen, 1, memory_order_release);
    atomic_store(&stress_on, 1);
    update_on();
}

bool ipct_stress_active(unsigned long long *seed)
{
    if (seed != NULL)
        *seed = stress_seed;
    return atomic_load(&stress_on) != 0;
}

/*
 * The calls only stress wraps (threads' locks and condition variables, the futex
 * system call): no fault plan or log, a stress point before and after. An
 * unlock and a wait first check that the caller holds the mutex (shim_locks.c).
 */
#define STRESS_ON() atomic_load_explicit(&stress_on, memory_order_relaxed)
#define STRESSED(call)                                                                   \
    do {                                                                                 \
        if (!STRESS_ON())                                                                \
            return call;                                                                 \
        stress_point();                                                                  \
        int r_ = call;                                                                   \
        stress_point();                                                                  \
        return r_;                                                                       \
    } while (0)

extern __typeof__(pthread_mutex_lock) ipclab_shim_pthread_mutex_lock;
extern __typeof__(pthread_mutex_trylock) ipclab_shim_pthread_mutex_trylock;
extern __typeof__(pthread_mutex_unlock) ipclab_shim_pthread_mutex_unlock;
extern __typeof__(pthread_cond_wait) ipclab_shim_pthread_cond_wait;
extern __typeof__(pthread_cond_timedwait) ipclab_shim_pthread_cond_timedwait;
extern __typeof__(pthread_cond_signal) ipclab_shim_pthread_cond_signal;
extern __typeof__(pthread_cond_broadcast) ipclab_shim_pthread_cond_broadcast;
extern __typeof__(syscall) ipclab_shim_syscall;

int ipclab_shim_pthread_mutex_lock(pthread_mutex_t *m)
{
    STRESSED(pthread_mutex_lock(m));
}

int ipclab_shim_pthread_mutex_trylock(pthread_mutex_t *m)
{
    STRESSED(pthread_mutex_trylock(m));
}

int ipclab_shim_pthread_mutex_unlock(pthread_mutex_t *m)
{
    shim_lock_must_hold(m, "pthread_mutex_unlock");
    STRESSED(pthread_mutex_unlock(m));
}

int ipclab_shim_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    shim_lock_must_hold(m, "pthread_cond_wait");
    STRESSED(pthread_cond_wait(c, m));
}

int ipclab_shim_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                       const struct timespec *at)
{
    shim_lock_must_hold(m, "pthread_cond_timedwait");
    STRESSED(pthread_cond_timedwait(c, m, at));
}

int ipclab_shim_pthread_cond_signal(pthread_cond_t *c)
{
    STRESSED(pthread_cond_signal(c));
}

int ipclab_shim_pthread_cond_broadcast(pthread_cond_t *c)
{
    STRESSED(pthread_cond_broadcast(c));
}

/* syscall(2) as glibc reads it (six words); a futex call is a stress point. */
long ipclab_shim_syscall(long nr, ...)
{
    va_list ap;
    va_start(ap, nr);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    bool point = nr == SYS_futex && STRESS_ON();
    if (point)
        stress_point();
    long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (point)
        stress_point(); /* keeps the call's errno */
    return r;
}
