/* histogram.c - a class's score distribution: ten-point buckets and a text chart.
 */
#include "class/histogram.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* cmp_double - qsort order for doubles, ascending. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int histogram_build(struct histogram *h, const double *score, const double *max, size_t n)
{
    memset(h, 0, sizeof *h);
    if (n == 0)
        return 0;
    double *pct = malloc(n * sizeof *pct);
    if (pct == NULL)
        return -1;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        pct[i] = max[i] > 0 ? 100.0 * score[i] / max[i] : 100.0;
        /* Round away float noise first, so 9.0/10 lands in 90-99%, not 80-89%. */
        double p = (double)(long long)(pct[i] * 1e6 + 0.5) / 1e6;
        size_t b = p >= 100.0 ? 10 : p <= 0 ? 0 : (size_t)(p / 10.0);
        h->counts[b]++;
        sum += pct[i];
    }
    qsort(pct, n, sizeof *pct, cmp_double);
    h->n = n;
    h->mean = sum / (double)n;
    h->median = n % 2 ? pct[n / 2] : (pct[n / 2 - 1] + pct[n / 2]) / 2;
    h->min = pct[0];
    h->max = pct[n - 1];
    free(pct);
    return 0;
}

const char *histogram_bucket_label(size_t i)
{
    static const char *const labels[HISTOGRAM_BUCKETS] = {
        "0-9%",   "10-19%", "20-29%", "30-39%", "40-49%", "50-59%",
        "60-69%", "70-79%", "80-89%", "90-99%", "100%"};
    return i < HISTOGRAM_BUCKETS ? labels[i] : "?";
}

void histogram_print(FILE *out, const struct histogram *h, bool colour)
{
    enum { WIDTH = 40 };
    size_t top = 0;
    for (size_t i = 0; i < HISTOGRAM_BUCKETS; i++)
        if (h->counts[i] > top)
            top = h->counts[i];
    fprintf(out, "Score histogram (%zu student%s):\n", h->n, h->n == 1 ? "" : "s");
    for (size_t i = HISTOGRAM_BUCKETS; i-- > 0;) {
        size_t len = top ? (h->counts[i] * WIDTH + top - 1) / top : 0;
        fprintf(out, "  %7s |%s", histogram_bucket_label(i), colour ? "\033[36m" : "");
        for (size_t j = 0; j < len; j++)
            fputc('#', out);
        fprintf(out, "%s %zu\n", colour ? "\033[0m" : "", h->counts[i]);
    }
    if (h->n > 0)
        fprintf(out, "  mean %.1f%%  median %.1f%%  min %.1f%%  max %.1f%%\n", h->mean,
                h->median, h->min, h->max);
}
