/* score.c - the score policy applied to one submission's measurements. */
#include "engine/score.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Points still allowed in category c, given what was already deducted. */
static double room(const struct grade *g, enum policy_category c)
{
    double used = 0;
    for (size_t i = 0; i < g->ndeds; i++)
        if (g->deds[i].cat == c)
            used += g->deds[i].points;
    double left = g->pol.rules[c].cap - used;
    return left > 0 ? left : 0;
}

/* Deduct per_test points of c for test (capped), with evidence and command. */
static void deduct(struct grade *g, enum policy_category c, const char *test,
                   char *evidence, char *command)
{
    double pts = g->pol.rules[c].per_test, left = room(g, c);
    if (pts > left)
        pts = left;
    grade_add_deduction(g, c, test, pts, evidence, command);
}

/* The `ipcs`/`ls` command that shows an IPC object of this kind. */
static const char *ipc_command(const char *kind)
{
    if (strcmp(kind, "sysv-msg") == 0)
        return "ipcs -q   (remove with: ipcrm -q ID)";
    if (strcmp(kind, "sysv-shm") == 0)
        return "ipcs -m   (remove with: ipcrm -m ID)";
    if (strcmp(kind, "sysv-sem") == 0)
        return "ipcs -s   (remove with: ipcrm -s ID)";
    if (strcmp(kind, "posix-mq") == 0)
        return "ls -l /dev/mqueue";
    if (strcmp(kind, "posix-shm") == 0 || strcmp(kind, "posix-sem") == 0)
        return "ls -l /dev/shm";
    return "ls -l DIR   (the FIFO or socket file; remove it with unlink(2))";
}

/* Join a JSON array of objects as "a=b, ..." lines using two keys. */
static char *join(json_t *arr, const char *k1, const char *k2, const char *fmt_int)
{
    char *out = NULL;
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o)
    {
        json_t *v1 = json_object_get(o, k1);
        const char *v2 = json_string_value(json_object_get(o, k2));
        char first[64];
        if (json_is_integer(v1))
            snprintf(first, sizeof first, fmt_int, (int)json_integer_value(v1));
        else
            snprintf(first, sizeof first, "%s",
                     json_string_value(v1) ? json_string_value(v1) : "?");
        char *next =
            xasprintf("%s%s%s %s", out ? out : "", out ? ", " : "", first, v2 ? v2 : "?");
        free(out);
        out = next;
    }
    return out ? out : xasprintf("?");
}

void score_compute(struct grade *g)
{
    g->max_score = manifest_max_points(&g->m);
    g->earned = g->deducted = g->score = 0;
    if (!g->build_ok)
        return;
    const char *lab = g->m.slug;
    for (size_t i = 0; i < g->m.ntests; i++) {
        struct test_result *r = &g->tests[i];
        const char *name = r->mt->name;
        r->earned = r->verdict == V_PASSED ? r->mt->points : 0;
        bool counted = r->verdict == V_PASSED ||
                       (g->pol.deduct_on_failed_tests && r->verdict == V_FAILED);
        /* Memory errors count unless the test crashed or hung natively. */
        if (r->vg_errors > 0 && r->verdict != V_CRASHED && r->verdict != V_TIMEOUT) {
            if (g->pol.memory_error_fails_test)
                r->earned = 0;
            deduct(g, CAT_MEMORY_ERRORS, name,
                   xasprintf("%d memcheck error(s); the first:\n%s", r->vg_errors,
                             r->vg_error_text ? r->vg_error_text : "(see the log)"),
                   xasprintf("make -C labs/%s valgrind CRITERION_FLAGS=--filter='%s'",
                             lab, name));
        }
        /* A passed test memcheck could not check (memcheck_runs.h: vg_settle). */
        if (r->vg_unchecked != NULL && r->verdict == V_PASSED)
            deduct(g, CAT_UNCHECKED, name, xasprintf("%s", r->vg_unchecked),
                   xasprintf("make -C labs/%s valgrind CRITERION_FLAGS=--filter='%s'",
                             lab, name));
        /* Race stress (stress_pass.c): a natively passing test that failed a run. */
        if (r->stress_failed > 0) {
            if (g->pol.stress_fails_test)
                r->earned = 0;
            deduct(g, CAT_STRESS, name,
                   xasprintf("failed %d of %d run(s) under race stress; the first, with "
                             "seed %llu: %s",
                             r->stress_failed, r->stress_runs, r->stress_seed,
                             r->stress_message ? r->stress_message : "?"),
                   xasprintf("ipclab check %s '%s' --stress 1 --seed %llu", g->m.id, name,
                             r->stress_seed));
        }
        if (!counted)
            continue;
        if (r->vg_leak_blocks > 0)
            deduct(g, CAT_LEAKS, name,
                   xasprintf("%ld bytes in %ld block(s) definitely lost%s%s",
                             r->vg_leak_bytes, r->vg_leak_blocks,
                             r->vg_leak_text ? ":\n" : "",
                             r->vg_leak_text ? r->vg_leak_text : ""),
                   xasprintf("make -C labs/%s valgrind CRITERION_FLAGS=--filter='%s'  "
                             "(valgrind --leak-check=full)",
                             lab, name));
        if (json_array_size(r->fds) > 0) {
            char *list = join(r->fds, "fd", "target", "fd %d ->");
            deduct(g, CAT_FD_LEAKS, name,
                   xasprintf("%zu fd(s) still open after the test: %s",
                             json_array_size(r->fds), list),
                   xasprintf("ls -l /proc/PID/fd   (PID of the process under test)"));
            free(list);
        }
        if (r->children > 0)
            deduct(g, CAT_PROCESSES, name,
                   xasprintf("%d child process(es) left (pid state command): %s",
                             r->children, r->children_desc ? r->children_desc : "?"),
                   xasprintf("ps -o pid,stat,comm --ppid PID   (state Z = zombie, never "
                             "waited for)"));
        if (json_array_size(r->ipc) > 0) {
            const char *kind =
                json_string_value(json_object_get(json_array_get(r->ipc, 0), "kind"));
            char *list = join(r->ipc, "kind", "name", "%d");
            deduct(g, CAT_IPC_OBJECTS, name,
                   xasprintf("%zu object(s) left: %s", json_array_size(r->ipc), list),
                   xasprintf("%s", ipc_command(kind ? kind : "")));
            free(list);
        }
    }
    for (size_t i = 0; i < g->m.ntests; i++)
        g->earned += g->tests[i].earned;
    for (size_t i = 0; i < g->ndeds; i++)
        g->deducted += g->deds[i].points;
    g->score = g->earned - g->deducted;
    if (g->score < 0)
        g->score = 0;
}
