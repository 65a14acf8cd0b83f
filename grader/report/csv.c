/* csv.c - one gradebook row (with its header) for a spreadsheet or LMS. */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

/*
 * Write s as one CSV field (RFC 4180: quoted when needed, quotes doubled).
 * A field that a spreadsheet would read as a formula (it starts with =, +,
 * -, @, tab or CR: a student directory named "=HYPERLINK(...)") gets a
 * leading apostrophe, which spreadsheets show as text and do not evaluate.
 */
static void field(FILE *f, const char *s)
{
    const char *lead = strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0' ? "'" : "";
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fprintf(f, "%s%s", lead, s);
        return;
    }
    fputc('"', f);
    fputs(lead, f);
    for (; *s != '\0'; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int report_csv(const struct grade *g, const char *path)
{
    FILE *f = fopen(path, "we");
    if (f == NULL)
        return -1;
    fputs("student,lab,score,max_score", f);
    for (size_t i = 0; i < g->m.ntests; i++) {
        fputc(',', f);
        field(f, g->m.tests[i].name);
    }
    fputs(",deductions,notes\r\n", f);
    field(f, g->student);
    fputc(',', f);
    field(f, g->m.slug);
    fprintf(f, ",%g,%g", g->score, g->max_score);
    for (size_t i = 0; i < g->m.ntests; i++)
        fprintf(f, ",%g", g->tests ? g->tests[i].earned : 0.0);
    fprintf(f, ",%g,", g->deducted);
    char *notes = report_notes(g);
    field(f, notes);
    free(notes);
    fputs("\r\n", f);
    return fclose(f) == 0 ? 0 : -1;
}
