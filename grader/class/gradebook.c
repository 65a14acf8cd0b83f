/* gradebook.c - a class's outputs: gradebook.csv, summary.json, grade-all.json. */
#include "class/gradebook.h"
#include "base/err.h"
#include "base/fs.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const GRADEBOOK_STUDENT_FILES[] = {"results.json", "report.txt", "full.json",
                                               "row.csv"};

/* The largest per-student file we read (a report is a few KiB). */
#define MAX_FILE (16u << 20)

/* How many deductions summary.json lists, most common first. */
#define TOP_DEDUCTIONS 10

bool gradebook_student_done(const char *out_dir, const char *name)
{
    char path[PATH_MAX];
    for (size_t i = 0; i < GRADEBOOK_NSTUDENT_FILES; i++) {
        snprintf(path, sizeof path, "%s/students/%s/%s", out_dir, name,
                 GRADEBOOK_STUDENT_FILES[i]);
        if (!fs_is_file(path))
            return false;
    }
    return true;
}

int roster_add(struct roster *r, const char *name, const char *reason)
{
    char **names = realloc(r->names, (r->n + 1) * sizeof *names);
    if (names == NULL)
        return -1;
    r->names = names;
    char **reasons = realloc(r->reasons, (r->n + 1) * sizeof *reasons);
    if (reasons == NULL)
        return -1;
    r->reasons = reasons;
    r->names[r->n] = strdup(name);
    r->reasons[r->n] = reason != NULL ? strdup(reason) : NULL;
    if (r->names[r->n] == NULL || (reason != NULL && r->reasons[r->n] == NULL)) {
        free(r->names[r->n]);
        free(r->reasons[r->n]);
        errno = ENOMEM;
        return -1;
    }
    r->n++;
    return 0;
}

/* A name and its reason, for sorting the two arrays together. */
struct pair {
    char *name;
    char *reason;
};

/* cmp_pair - qsort order by name. */
static int cmp_pair(const void *a, const void *b)
{
    return strcmp(((const struct pair *)a)->name, ((const struct pair *)b)->name);
}

void roster_sort(struct roster *r)
{
    struct pair *p = malloc(r->n * sizeof *p + 1);
    if (p == NULL)
        return; /* insertion order then; callers add in sorted order anyway */
    for (size_t i = 0; i < r->n; i++)
        p[i] = (struct pair){r->names[i], r->reasons[i]};
    qsort(p, r->n, sizeof *p, cmp_pair);
    for (size_t i = 0; i < r->n; i++) {
        r->names[i] = p[i].name;
        r->reasons[i] = p[i].reason;
    }
    free(p);
}

void gradebook_free_roster(struct roster *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->names[i]);
        free(r->reasons[i]);
    }
    free(r->names);
    free(r->reasons);
    memset(r, 0, sizeof *r);
}

void gradebook_free_meta(struct class_meta *meta)
{
    free(meta->lab);
    free(meta->slug);
    memset(meta, 0, sizeof *meta);
}

/* dump_atomic - write json (pretty, stable) to path atomically. 0 or -1/errno. */
static int dump_atomic(const char *path, const json_t *json)
{
    char *text = json_dumps(json, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    if (text == NULL) {
        errno = ENOMEM;
        return -1;
    }
    size_t len = strlen(text);
    text[len] = '\n'; /* json_dumps leaves no newline; overwrite the NUL */
    int rc = fs_write_atomic(path, text, len + 1);
    free(text);
    return rc;
}

/*
 * count_deductions - fold one student's full.json "deductions" (objects
 * with category, title and points, as `ipclab grade` writes them) into
 * counts: per category, how many students lost points to it, the points
 * they lost in all, and its title. A category counts a student once.
 */
static void count_deductions(const json_t *full, json_t *counts)
{
    const json_t *list = json_object_get(full, "deductions");
    json_t *seen = json_object();
    if (seen == NULL)
        return;
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *d = json_array_get(list, i);
        const char *cat = json_string_value(json_object_get(d, "category"));
        if (cat == NULL)
            continue;
        json_t *c = json_object_get(counts, cat);
        if (c == NULL) {
            const char *title = json_string_value(json_object_get(d, "title"));
            c = json_pack("{s:s, s:s, s:i, s:f}", "category", cat, "title",
                          title != NULL ? title : cat, "students", 0, "points", 0.0);
            if (c == NULL || json_object_set_new(counts, cat, c) < 0)
                continue;
        }
        double pts = json_number_value(json_object_get(c, "points")) +
                     json_number_value(json_object_get(d, "points"));
        json_object_set_new(c, "points", json_real(pts));
        if (json_object_get(seen, cat) == NULL) {
            json_object_set_new(seen, cat, json_true());
            json_int_t n = json_integer_value(json_object_get(c, "students"));
            json_object_set_new(c, "students", json_integer(n + 1));
        }
    }
    json_decref(seen);
}

/*
 * add_tests - fold one student's results.json tests worth points into agg
 * (an array of per-test objects, in order of first appearance) indexed by
 * name in index.
 */
static void add_tests(const json_t *results, json_t *agg, json_t *index)
{
    const json_t *tests = json_object_get(results, "tests");
    for (size_t i = 0; i < json_array_size(tests); i++) {
        const json_t *t = json_array_get(tests, i);
        const char *name = json_string_value(json_object_get(t, "name"));
        if (name == NULL || !(json_number_value(json_object_get(t, "max_score")) > 0))
            continue; /* a deduction shown as a test: counted under deductions */
        const json_t *pos = json_object_get(index, name);
        json_t *a;
        if (pos != NULL) {
            a = json_array_get(agg, (size_t)json_integer_value(pos));
        } else {
            const json_t *max = json_object_get(t, "max_score");
            json_object_set_new(index, name,
                                json_integer((json_int_t)json_array_size(agg)));
            a = json_pack("{s:s, s:O, s:i, s:i, s:f}", "name", name, "max_score",
                          max != NULL ? max : json_null(), "graded", 0, "passed", 0,
                          "score_sum", 0.0);
            json_array_append_new(agg, a);
        }
        if (a == NULL)
            continue;
        double score = json_number_value(json_object_get(t, "score"));
        double max = json_number_value(json_object_get(t, "max_score"));
        const char *status = json_string_value(json_object_get(t, "status"));
        bool passed = status != NULL ? strcmp(status, "passed") == 0 : score >= max;
        json_object_set_new(
            a, "graded",
            json_integer(json_integer_value(json_object_get(a, "graded")) + 1));
        json_object_set_new(
            a, "passed",
            json_integer(json_integer_value(json_object_get(a, "passed")) + passed));
        json_object_set_new(
            a, "score_sum",
            json_real(json_real_value(json_object_get(a, "score_sum")) + score));
    }
}

/* finish_tests - turn score_sum into mean_score and add pass_rate to each test. */
static void finish_tests(json_t *agg)
{
    for (size_t i = 0; i < json_array_size(agg); i++) {
        json_t *a = json_array_get(agg, i);
        double graded = (double)json_integer_value(json_object_get(a, "graded"));
        double passed = (double)json_integer_value(json_object_get(a, "passed"));
        double sum = json_real_value(json_object_get(a, "score_sum"));
        json_object_del(a, "score_sum");
        json_object_set_new(a, "pass_rate", json_real(graded > 0 ? passed / graded : 0));
        json_object_set_new(a, "mean_score", json_real(graded > 0 ? sum / graded : 0));
    }
}

/* cmp_deduction - order deduction objects by students desc, then category. */
static int cmp_deduction(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t nx = json_integer_value(json_object_get(x, "students"));
    json_int_t ny = json_integer_value(json_object_get(y, "students"));
    if (nx != ny)
        return nx > ny ? -1 : 1;
    return strcmp(json_string_value(json_object_get(x, "category")),
                  json_string_value(json_object_get(y, "category")));
}

/* top_deductions - the TOP_DEDUCTIONS most common categories of counts, as a new array.
 */
static json_t *top_deductions(json_t *counts)
{
    size_t n = json_object_size(counts), k = 0;
    json_t **items = calloc(n + 1, sizeof *items);
    json_t *out = json_array();
    if (items == NULL || out == NULL) {
        free(items);
        return out;
    }
    for (void *it = json_object_iter(counts); it != NULL;
         it = json_object_iter_next(counts, it))
        items[k++] = json_object_iter_value(it);
    qsort(items, k, sizeof *items, cmp_deduction);
    for (size_t i = 0; i < k && i < TOP_DEDUCTIONS; i++)
        json_array_append(out, items[i]);
    free(items);
    return out;
}

/*
 * load_student - read one graded student's results.json, full.json and
 * row.csv (split into *header and *row, both pointing into *text, which the
 * caller frees). Returns 0, or -1 with err set.
 */
static int load_student(const char *out_dir, const char *name, json_t **results,
                        json_t **full, char **text, char **header, char **row, char *err,
                        size_t errlen)
{
    char path[PATH_MAX];
    json_error_t jerr;
    *results = *full = NULL;
    *text = NULL;
    snprintf(path, sizeof path, "%s/students/%s/results.json", out_dir, name);
    *results = json_load_file(path, 0, &jerr);
    if (*results == NULL) {
        err_say(err, errlen, "%s: %s", path, jerr.text);
        goto fail;
    }
    snprintf(path, sizeof path, "%s/students/%s/full.json", out_dir, name);
    *full = json_load_file(path, 0, &jerr);
    if (*full == NULL)
        *full = json_object(); /* only the deduction counts need it */
    snprintf(path, sizeof path, "%s/students/%s/row.csv", out_dir, name);
    *text = fs_read_text(path, MAX_FILE);
    if (*text == NULL) {
        err_say(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        goto fail;
    }
    char *nl = strchr(*text, '\n');
    if (nl == NULL || nl[1] == '\0') {
        err_say(err, errlen, "%s: want a header line and a row", path);
        goto fail;
    }
    *nl = '\0';
    *header = *text;
    *row = nl + 1;
    size_t len = strlen(*row);
    while (len > 0 && ((*row)[len - 1] == '\n' || (*row)[len - 1] == '\r'))
        (*row)[--len] = '\0';
    len = strlen(*header);
    if (len > 0 && (*header)[len - 1] == '\r')
        (*header)[len - 1] = '\0';
    return 0;
fail:
    json_decref(*results);
    json_decref(*full);
    free(*text);
    *results = *full = NULL;
    *text = NULL;
    return -1;
}

/* meta_json - grade-all.json's content: the lab, the shard and the roster. */
static json_t *meta_json(const struct class_meta *meta, const struct roster *r)
{
    json_t *students = json_array();
    json_t *ungraded = json_object();
    for (size_t i = 0; i < r->n; i++) {
        json_array_append_new(students, json_string(r->names[i]));
        if (r->reasons[i] != NULL)
            json_object_set_new(ungraded, r->names[i], json_string(r->reasons[i]));
    }
    json_t *shard = meta->shard_n > 0 ? json_pack("{s:i, s:i}", "k", (int)meta->shard_k,
                                                  "n", (int)meta->shard_n)
                                      : json_null();
    return json_pack("{s:i, s:s, s:s, s:o, s:o, s:o}", "format", 1, "lab", meta->lab,
                     "slug", meta->slug, "shard", shard, "students", students, "ungraded",
                     ungraded);
}

int gradebook_write_meta(const char *out_dir, const struct class_meta *meta,
                         const struct roster *r, char *err, size_t errlen)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/grade-all.json", out_dir);
    json_t *mj = meta_json(meta, r);
    if (mj == NULL || dump_atomic(path, mj) < 0) {
        err_say(err, errlen, "cannot write '%s': %s", path,
                mj ? strerror(errno) : "no memory");
        json_decref(mj);
        return -1;
    }
    json_decref(mj);
    return 0;
}

long gradebook_finish(const char *out_dir, const struct class_meta *meta,
                      const struct roster *r, struct histogram *hist, char *err,
                      size_t errlen)
{
    long graded = -1;
    char path[PATH_MAX];
    char *header0 = NULL;
    double *scores = calloc(r->n + 1, sizeof *scores);
    double *maxes = calloc(r->n + 1, sizeof *maxes);
    size_t ns = 0;
    json_t *tests = json_array(), *index = json_object(), *dcounts = json_object();
    json_t *ungraded = json_array(), *pending = json_array();
    size_t csv_cap = 4096, csv_len = 0;
    char *csv = malloc(csv_cap);
    if (scores == NULL || maxes == NULL || csv == NULL || tests == NULL ||
        index == NULL || dcounts == NULL || ungraded == NULL || pending == NULL) {
        err_say(err, errlen, "out of memory");
        goto done;
    }
    csv[0] = '\0';
    for (size_t i = 0; i < r->n; i++) {
        const char *name = r->names[i];
        if (r->reasons[i] != NULL) {
            json_array_append_new(ungraded, json_pack("{s:s, s:s}", "student", name,
                                                      "reason", r->reasons[i]));
            continue;
        }
        if (!gradebook_student_done(out_dir, name)) {
            json_array_append_new(pending, json_string(name));
            continue;
        }
        json_t *results, *full;
        char *text, *header, *row;
        if (load_student(out_dir, name, &results, &full, &text, &header, &row, err,
                         errlen) < 0)
            goto done;
        if (header0 == NULL)
            header0 = strdup(header);
        bool same = header0 != NULL && strcmp(header0, header) == 0;
        size_t need = csv_len + strlen(header) + strlen(row) + 3;
        if (same && need > csv_cap) {
            csv_cap = need * 2;
            char *bigger = realloc(csv, csv_cap);
            if (bigger == NULL)
                same = false;
            else
                csv = bigger;
        }
        if (same) {
            if (csv_len == 0)
                csv_len += (size_t)sprintf(csv, "%s\n", header);
            csv_len += (size_t)sprintf(csv + csv_len, "%s\n", row);
            scores[ns] = json_number_value(json_object_get(results, "score"));
            /* Gradescope's results.json has no top-level max_score: full.json's */
            maxes[ns++] = json_number_value(json_object_get(full, "max_score"));
            add_tests(results, tests, index);
            count_deductions(full, dcounts);
        } else {
            err_say(err, errlen,
                    "students/%s/row.csv: its header differs from the others'", name);
        }
        json_decref(results);
        json_decref(full);
        free(text);
        if (!same)
            goto done;
    }
    finish_tests(tests);
    if (histogram_build(hist, scores, maxes, ns) < 0) {
        err_say(err, errlen, "out of memory");
        goto done;
    }
    json_t *buckets = json_array();
    for (size_t i = 0; i < HISTOGRAM_BUCKETS; i++)
        json_array_append_new(buckets,
                              json_pack("{s:s, s:I}", "bucket", histogram_bucket_label(i),
                                        "students", (json_int_t)hist->counts[i]));
    json_t *summary = json_pack(
        "{s:s, s:s, s:I, s:I, s:{s:f, s:f, s:f, s:f}, s:o, s:O, s:o, s:O, s:O}", "lab",
        meta->lab, "slug", meta->slug, "students", (json_int_t)r->n, "graded",
        (json_int_t)ns, "percent", "mean", hist->mean, "median", hist->median, "min",
        hist->min, "max", hist->max, "histogram", buckets, "tests", tests, "deductions",
        top_deductions(dcounts), "ungraded", ungraded, "pending", pending);
    int rc = -1;
    if (summary == NULL) {
        err_say(err, errlen, "out of memory");
    } else {
        snprintf(path, sizeof path, "%s/gradebook.csv", out_dir);
        rc = fs_write_atomic(path, csv, csv_len);
        if (rc == 0) {
            snprintf(path, sizeof path, "%s/summary.json", out_dir);
            rc = dump_atomic(path, summary);
        }
        if (rc < 0)
            err_say(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        else
            rc = gradebook_write_meta(out_dir, meta, r, err, errlen);
    }
    json_decref(summary);
    if (rc == 0)
        graded = (long)ns;
done:
    free(header0);
    free(scores);
    free(maxes);
    free(csv);
    json_decref(tests);
    json_decref(index);
    json_decref(dcounts);
    json_decref(ungraded);
    json_decref(pending);
    return graded;
}

int gradebook_read_meta(const char *out_dir, struct class_meta *meta, struct roster *r,
                        char *err, size_t errlen)
{
    char path[PATH_MAX];
    json_error_t jerr;
    memset(meta, 0, sizeof *meta);
    memset(r, 0, sizeof *r);
    snprintf(path, sizeof path, "%s/grade-all.json", out_dir);
    json_t *j = json_load_file(path, 0, &jerr);
    if (j == NULL) {
        err_say(err, errlen, "%s: %s", path, jerr.text);
        return -1;
    }
    const char *lab = NULL, *slug = NULL;
    json_t *shard = NULL, *students = NULL, *ungraded = NULL;
    if (json_unpack_ex(j, &jerr, 0, "{s:s, s:s, s:o, s:o, s:o}", "lab", &lab, "slug",
                       &slug, "shard", &shard, "students", &students, "ungraded",
                       &ungraded) < 0 ||
        !json_is_array(students) || !json_is_object(ungraded)) {
        err_say(err, errlen, "%s: not a grade-all.json (%s)", path, jerr.text);
        json_decref(j);
        return -1;
    }
    int k = 0, n = 0;
    if (json_is_object(shard))
        json_unpack(shard, "{s:i, s:i}", "k", &k, "n", &n);
    meta->lab = strdup(lab);
    meta->slug = strdup(slug);
    meta->shard_k = (unsigned)k;
    meta->shard_n = (unsigned)n;
    int rc = (meta->lab != NULL && meta->slug != NULL) ? 0 : -1;
    for (size_t i = 0; i < json_array_size(students); i++) {
        const char *name = json_string_value(json_array_get(students, i));
        if (rc == 0 && name != NULL &&
            roster_add(r, name, json_string_value(json_object_get(ungraded, name))) < 0)
            rc = -1;
    }
    json_decref(j);
    if (rc < 0) {
        err_say(err, errlen, "out of memory");
        gradebook_free_meta(meta);
        gradebook_free_roster(r);
    }
    return rc;
}
