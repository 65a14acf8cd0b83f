/* provenance.c - checksums of provided files: written by submit, checked by grade. */
#include "engine/provenance.h"
#include "engine/course.h"

#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int provenance_sha256(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rbe");
    if (f == NULL)
        return -1;
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    unsigned char buf[16384];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sha256_update(&ctx, n, buf);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return -1;
    unsigned char d[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, sizeof d, d);
    for (size_t i = 0; i < sizeof d; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    return 0;
}

/* Append ", path" (or "path") to a malloc'd list. */
static char *append(char *list, const char *path)
{
    char *n = xasprintf("%s%s%s", list ? list : "", list ? ", " : "", path);
    free(list);
    return n;
}

void provenance_check(struct grade *g)
{
    char mpath[4200];
    snprintf(mpath, sizeof mpath, "%s/%s", g->submission, PROVENANCE_FILE);
    FILE *f = fopen(mpath, "re");
    if (f == NULL)
        return;
    char line[4400], *edited = NULL;
    while (fgets(line, sizeof line, f) != NULL) {
        char kind[16], sum[65], path[4097];
        /* "provided SHA256 PATH": a file the course provides, as the student had it. */
        if (sscanf(line, "%15s %64s %4096s", kind, sum, path) != 3 ||
            strcmp(kind, "provided") != 0 || strstr(path, "..") != NULL)
            continue;
        char ours[8300], hex[65];
        snprintf(ours, sizeof ours, "%s/%s", course_root(), path);
        if (provenance_sha256(ours, hex) == 0 && strcmp(hex, sum) != 0)
            edited = append(edited, path);
    }
    fclose(f);
    if (edited == NULL)
        return;
    char *note = xasprintf(
        "%s%swarning: the archive's MANIFEST shows provided files edited "
        "by the student (graded with the course's own): %s",
        g->runner_note ? g->runner_note : "", g->runner_note ? "; " : "", edited);
    free(g->runner_note);
    g->runner_note = note;
    free(edited);
}
