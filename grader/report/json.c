/*
 * json.c - the full internal report of one grading run (--report-json).
 *
 * Read by `ipclab grade-all`/`merge` and the student command. Shape:
 * {
 *   "version": 1,
 *   "lab": "01-pipes", "lab_id": "01", "title": "Pipes",
 *   "submission": "DIR as given", "student": "name",
 *   "graded": true,            false: could not grade (then "error" says why)
 *   "error": null | "why",
 *   "build": {"ok": bool, "log": "compiler output (capped)",
 *             "missing_files": null | "a.c b.c"},
 *   "score": 42, "max_score": 50, "earned": 44, "deducted": 2,
 *   "policy": {"source": "path", "memory_error_fails_test": bool,
 *              "deduct_on_failed_tests": bool,
 *              "rules": {"leaks": {"per_test": 1, "cap": 4}, ...}},
 *   "isolation": {"on": bool, "note": "...", "uid_dropped": bool},
 *   "runner_note": null | "...",
 *   "timing": {"total": s, "build": s, "native": s, "valgrind": s,
 *              "valgrind_runners": N, "valgrind_skipped": bool,
 *              "native_began": unix s, "native_ended": unix s,
 *              "valgrind_ended": unix s (0: no memcheck),
 *              "gates_began": unix s, "gates_ended": unix s (the speed gates'
 *              run alone: the native pass when it held them; 0: no gates)},
 *   "tests": [{"name": "suite/test", "points": 4, "earned": 4,
 *              "verdict": "passed|failed|crashed|timeout|skipped|not run",
 *              "signal": N, "exit_code": N, "time": s, "hidden": bool,
 *              "message": null | "...", "hint": null (passed) | "...",
 *              "hang": null | "one sentence", "hang_details": null | "...",
 *              "watchdog": bool, "probed": bool,
 *              "fds": [{"fd","target"}], "children": N,
 *              "children_desc": "...", "ipc": [{"kind","name"}],
 *              "valgrind": null | {"errors": N, "leak_bytes": N,
 *                                  "leak_blocks": N, "first_error": s|null,
 *                                  "first_leak": s|null},
 *              "stress": null | {"runs": N, "failed": N, "first_seed": N|null},
 *              "trace": null | "DIR/suite--test.html" (--trace-failures)}],
 *   "deductions": [{"category": "leaks", "title": "...", "test": "suite/test",
 *                   "points": 1, "evidence": "...", "command": "..."}],
 *   "audit": {"refused": bool,   true: it scored 0 and no test ran
 *             "flagged": bool,   true: graded, flagged for review
 *             "action": "refuse|review", "seconds": s,
 *             "findings": [{"file": "pipes.c", "line": N (0: unknown),
 *                           "what": "...", "refuses": bool}]}
 * }
 */
#include "report/report.h"

#include <stdlib.h>

/* A JSON string, or null when s is NULL. */
static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

/* The per-test object. */
static json_t *test_json(const struct test_result *r)
{
    json_t *vg = json_null();
    if (r->vg_ran)
        vg = json_pack("{s:i, s:I, s:I, s:o, s:o}", "errors", r->vg_errors, "leak_bytes",
                       (json_int_t)r->vg_leak_bytes, "leak_blocks",
                       (json_int_t)r->vg_leak_blocks, "first_error",
                       str_or_null(r->vg_error_text), "first_leak",
                       str_or_null(r->vg_leak_text));
    /* Race stress (engine/stress_pass.c): null when the pass did not run it. */
    json_t *st = json_null();
    if (r->stress_runs > 0)
        st = json_pack("{s:i, s:i, s:o}", "runs", r->stress_runs, "failed",
                       r->stress_failed, "first_seed",
                       r->stress_failed > 0 ? json_integer((json_int_t)r->stress_seed)
                                            : json_null());
    return json_pack(
        "{s:s, s:f, s:f, s:s, s:i, s:i, s:f, s:b, s:o, s:o, s:o, s:o, "
        "s:b, s:b, s:O, s:i, s:o, s:O, s:o, s:o, s:o}",
        "name", r->mt->name, "points", r->mt->points, "earned", r->earned, "verdict",
        verdict_name(r->verdict), "signal", r->signal, "exit_code", r->exit_code, "time",
        r->time, "hidden", (r->mt->options & OPT_HIDDEN) != 0, "message",
        str_or_null(r->message), "hint",
        str_or_null(r->verdict == V_PASSED
                        ? NULL
                        : manifest_hint_for(r->mt, r->message, r->hang, NULL)),
        "hang", str_or_null(r->hang), "hang_details", str_or_null(r->hang_details),
        "watchdog", r->watchdog, "probed", r->probed, "fds",
        r->fds ? r->fds : json_array(), "children", r->children, "children_desc",
        str_or_null(r->children_desc), "ipc", r->ipc ? r->ipc : json_array(), "valgrind",
        vg, "stress", st, "trace", str_or_null(r->trace));
}

json_t *report_json_build(const struct grade *g)
{
    json_t *tests = json_array();
    for (size_t i = 0; g->tests != NULL && i < g->m.ntests; i++)
        json_array_append_new(tests, test_json(&g->tests[i]));
    json_t *deds = json_array();
    for (size_t i = 0; i < g->ndeds; i++) {
        const struct deduction *d = &g->deds[i];
        json_array_append_new(deds,
                              json_pack("{s:s, s:s, s:s, s:f, s:s, s:s}", "category",
                                        policy_key(d->cat), "title", policy_title(d->cat),
                                        "test", d->test, "points", d->points, "evidence",
                                        d->evidence, "command", d->command));
    }
    json_t *rules = json_object();
    for (int c = 0; c < CAT_COUNT; c++)
        json_object_set_new(rules, policy_key((enum policy_category)c),
                            json_pack("{s:f, s:f}", "per_test", g->pol.rules[c].per_test,
                                      "cap", g->pol.rules[c].cap));
    json_t *doc = json_object();
    json_object_set_new(doc, "version", json_integer(1));
    json_object_set_new(doc, "lab", str_or_null(g->m.slug));
    json_object_set_new(doc, "lab_id", str_or_null(g->m.id));
    json_object_set_new(doc, "title", str_or_null(g->m.title));
    json_object_set_new(doc, "submission", json_string(g->submission));
    json_object_set_new(doc, "student", json_string(g->student));
    json_object_set_new(doc, "graded", json_boolean(g->infra_error == NULL));
    json_object_set_new(doc, "error", str_or_null(g->infra_error));
    json_object_set_new(doc, "build",
                        json_pack("{s:b, s:o, s:o}", "ok", g->build_ok, "log",
                                  str_or_null(g->build_log), "missing_files",
                                  str_or_null(g->missing_files)));
    json_object_set_new(doc, "score", json_real(g->score));
    json_object_set_new(doc, "max_score", json_real(g->max_score));
    json_object_set_new(doc, "earned", json_real(g->earned));
    json_object_set_new(doc, "deducted", json_real(g->deducted));
    json_object_set_new(doc, "policy",
                        json_pack("{s:s, s:b, s:b, s:o}", "source", g->pol.source,
                                  "memory_error_fails_test",
                                  g->pol.memory_error_fails_test,
                                  "deduct_on_failed_tests", g->pol.deduct_on_failed_tests,
                                  "rules", rules));
    json_object_set_new(doc, "isolation",
                        json_pack("{s:b, s:s, s:b}", "on", g->sb.on, "note", g->sb.note,
                                  "uid_dropped", g->sb.uid_dropped));
    json_object_set_new(doc, "runner_note", str_or_null(g->runner_note));
    json_object_set_new(
        doc, "timing",
        json_pack("{s:f, s:f, s:f, s:f, s:i, s:b, s:f, s:f, s:f, s:f, s:f}", "total",
                  g->seconds, "build", g->build_seconds, "native", g->native_seconds,
                  "valgrind", g->valgrind_seconds, "valgrind_runners",
                  g->valgrind_runners, "valgrind_skipped", g->valgrind_skipped,
                  "native_began", g->native_began, "native_ended", g->native_ended,
                  "valgrind_ended", g->valgrind_ended, "gates_began", g->gates_began,
                  "gates_ended", g->gates_ended));
    json_object_set_new(doc, "tests", tests);
    json_object_set_new(doc, "deductions", deds);
    json_t *findings = json_array();
    for (size_t i = 0; i < g->audit.n; i++) {
        const struct audit_finding *f = &g->audit.f[i];
        json_array_append_new(findings,
                              json_pack("{s:s, s:i, s:s, s:b}", "file", f->file, "line",
                                        f->line, "what", f->what, "refuses", f->refused));
    }
    json_object_set_new(doc, "audit",
                        json_pack("{s:b, s:b, s:s, s:f, s:o}", "refused",
                                  g->audit_refused, "flagged", g->audit_flagged, "action",
                                  policy_audit_action(g->pol.audit), "seconds",
                                  g->audit.seconds, "findings", findings));
    return doc;
}

int report_json(const struct grade *g, const char *path)
{
    json_t *doc = report_json_build(g);
    int rc = doc != NULL && json_dump_file(doc, path, JSON_INDENT(1)) == 0 ? 0 : -1;
    json_decref(doc);
    return rc;
}
