/* why_hung.c - `ipclab why-hung`: say where stuck processes are blocked, and why.
 *
 * Usage: ipclab why-hung [--tree] [--brief] PID...
 */
#include "cli/cli.h"
#include "base/err.h"
#include "hang/hang.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PIDS 256

/* Print the command's help to out. */
static void usage(FILE *out)
{
    fprintf(out,
            "usage: ipclab why-hung [--tree] [--brief] PID...\n"
            "\n"
            "Reads /proc (never signals or stops anything) and says where each process\n"
            "is blocked: the system call, what each fd is, and which processes hold the\n"
            "other end of the pipe, FIFO or socket it waits on. The first line is one\n"
            "sentence naming the likely cause; the details follow.\n"
            "\n"
            "  --tree   also take every descendant of each PID (give the test's root)\n"
            "  --brief  print only the sentence\n"
            "\n"
            "Run it as the processes' user or as root: /proc/PID/syscall needs that.\n"
            "Example: ipclab why-hung --tree $(pgrep -n test_pipes)\n");
}

/* Parse a pid argument; returns it, or 0 after printing an error. */
static pid_t parse_pid(const char *arg)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end != '\0' || v <= 0 || v > 0x7fffffffL) {
        fprintf(stderr, "ipclab why-hung: '%s' is not a pid\n", arg);
        return 0;
    }
    return (pid_t)v;
}

/* `ipclab why-hung`: exit status 0 once explained, 1 if a pid is gone, 2 on bad usage. */
int cmd_why_hung(int argc, char **argv)
{
    bool tree = false, brief = false;
    const struct cli_opt opts[] = {CLI_ROW("tree", 't', CLI_TRUE, &tree),
                                   CLI_ROW("brief", 'b', CLI_TRUE, &brief)};
    int rc = cli_parse(argc, argv, opts, 2, usage);
    if (rc >= 0)
        return rc;
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    pid_t pids[MAX_PIDS];
    size_t n = 0;
    for (int i = optind; i < argc && n < MAX_PIDS; i++) {
        pid_t pid = parse_pid(argv[i]);
        if (pid == 0)
            return 2;
        if (tree) {
            size_t got = hang_process_tree(pid, pids + n, MAX_PIDS - n);
            if (got == 0) {
                fprintf(stderr, "ipclab why-hung: no process %d\n", (int)pid);
                return 1;
            }
            n += got;
        } else {
            pids[n++] = pid;
        }
    }
    char *details = NULL;
    char *sentence = hang_explain(pids, n, brief ? NULL : &details);
    if (sentence == NULL) {
        err_out_of_memory();
        return 2; /* not reached: cppcheck does not know it */
    }
    printf("%s\n", sentence);
    if (details != NULL)
        printf("\n%s", details);
    free(sentence);
    free(details);
    return 0;
}
