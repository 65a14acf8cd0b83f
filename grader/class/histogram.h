/* histogram.h - a class's score distribution: ten-point buckets and a text chart.
 */
#ifndef IPCLAB_CLASS_HISTOGRAM_H
#define IPCLAB_CLASS_HISTOGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Buckets: 0-9%, 10-19%, ..., 90-99%, and 100% on its own. */
#define HISTOGRAM_BUCKETS 11

/* A distribution of scores, each as a percentage of its maximum. */
struct histogram {
    size_t counts[HISTOGRAM_BUCKETS]; /* students per bucket */
    size_t n;                         /* students counted */
    double mean, median, min, max;    /* of the percentages (0 when n == 0) */
};

/*
 * histogram_build - bucket n scores, score[i] out of max[i] points (a max of
 * 0 counts as 100%). The inputs are not changed. Returns 0, or -1 with errno
 * ENOMEM.
 */
int histogram_build(struct histogram *h, const double *score, const double *max,
                    size_t n);

/* histogram_bucket_label - "0-9%", ..., "90-99%", "100%" for bucket i. */
const char *histogram_bucket_label(size_t i);

/*
 * histogram_print - draw h as text on out, 100% at the top, bars scaled to
 * at most 40 characters (any non-empty bucket gets at least one), then the
 * mean, median, minimum and maximum; in colour when colour is true.
 */
void histogram_print(FILE *out, const struct histogram *h, bool colour);

#endif /* IPCLAB_CLASS_HISTOGRAM_H */
