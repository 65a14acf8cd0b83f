/* failure.c - how check and check --stress print a failed test's message. */
#include "cli/cli.h"

#include <string.h>

/* print_message_and_hang - see cli.h. */
void print_message_and_hang(const struct test_result *r, const struct colours *c,
                            int max_lines)
{
    int lines = 0;
    for (const char *p = r->message; p != NULL && *p != '\0';) {
        if (max_lines > 0 && lines++ == max_lines)
            break;
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(stdout, "    %.*s\n", len, p);
        p = nl ? nl + 1 : NULL;
    }
    if (r->hang != NULL)
        fprintf(stdout, "    %swhy it hung:%s %s\n", c->yellow, c->off, r->hang);
}
