/*
 * lazy_libgit2.c - Criterion's start-up without libgit2's TLS set-up.
 *
 * criterion_initialize() calls git_libgit2_init() in the runner and again
 * in every test's worker process, only so that the new assertion API
 * (criterion/new/assert.h) can diff two strings with git_diff_buffers().
 * Debian's libgit2 initialises TLS there, which parses the system's whole
 * CA bundle: about 5 ms of every test process, a quarter of a lab's run
 * time, spent on certificates no IPC test ever uses.
 *
 * A test binary's own definitions of these three functions take precedence
 * over libgit2's for every caller (ELF symbol interposition), so the real
 * initialisation is deferred to the first diff, and the real shutdown runs
 * only after a real initialisation. Nothing else in libgit2 is reachable
 * from Criterion. Without libgit2 in the process these are never called.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

/* A callback of git_diff_buffers, passed through untouched. */
typedef int (*diff_cb)(void);

int git_libgit2_init(void);
int git_libgit2_shutdown(void);
int git_diff_buffers(const void *old_buffer, size_t old_len, const char *old_as_path,
                     const void *new_buffer, size_t new_len, const char *new_as_path,
                     const void *options, diff_cb file_cb, diff_cb binary_cb,
                     diff_cb hunk_cb, diff_cb line_cb, void *payload);

static pthread_once_t real_init_once = PTHREAD_ONCE_INIT;
static int real_inits; /* 1 once libgit2's own init has run and succeeded */

/*
 * next_fn - libgit2's own definition of name (the next one after ours) into
 * the function pointer *fn (memcpy: ISO C has no cast from dlsym's void *).
 */
static void next_fn(const char *name, void *fn, size_t size)
{
    void *sym = dlsym(RTLD_NEXT, name);
    memcpy(fn, &sym, size);
}

/* real_init - run libgit2's own git_libgit2_init (once per process). */
static void real_init(void)
{
    int (*init)(void);
    next_fn("git_libgit2_init", &init, sizeof init);
    if (init != NULL && init() > 0)
        real_inits = 1;
}

/* git_libgit2_init - report success (one initialisation); the real one waits for a diff.
 */
int git_libgit2_init(void)
{
    return 1;
}

/* git_libgit2_shutdown - undo the real initialisation if one ran; 0 (none left). */
int git_libgit2_shutdown(void)
{
    if (real_inits == 0)
        return 0;
    int (*shutdown)(void);
    next_fn("git_libgit2_shutdown", &shutdown, sizeof shutdown);
    real_inits = 0;
    return shutdown != NULL ? shutdown() : 0;
}

/* git_diff_buffers - libgit2's, after its real initialisation; -1 when absent. */
int git_diff_buffers(const void *old_buffer, size_t old_len, const char *old_as_path,
                     const void *new_buffer, size_t new_len, const char *new_as_path,
                     const void *options, diff_cb file_cb, diff_cb binary_cb,
                     diff_cb hunk_cb, diff_cb line_cb, void *payload)
{
    pthread_once(&real_init_once, real_init);
    typedef int (*diff_fn)(const void *, size_t, const char *, const void *, size_t,
                           const char *, const void *, diff_cb, diff_cb, diff_cb, diff_cb,
                           void *);
    diff_fn diff;
    next_fn("git_diff_buffers", &diff, sizeof diff);
    if (diff == NULL)
        return -1;
    return diff(old_buffer, old_len, old_as_path, new_buffer, new_len, new_as_path,
                options, file_cb, binary_cb, hunk_cb, line_cb, payload);
}
