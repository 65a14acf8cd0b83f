/* Asks valgrind's gdbserver (through vgdb) to make the 8 bytes past a heap
 * block addressable and defined, then reads one of them: a memcheck error
 * that the request would hide. The test child keeps running its own code
 * while vgdb works, so valgrind polls for it even where vgdb may not
 * ptrace. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static void corpus_hostile(void)
{
    char *volatile block = malloc(8);
    char pid[32], addr[32];
    snprintf(pid, sizeof pid, "--pid=%d", (int)getpid());
    snprintf(addr, sizeof addr, "%p", (void *)block);
    pid_t child = fork();
    if (child == 0) {
        execlp("vgdb", "vgdb", pid, "make_memory", "defined", addr, "16", (char *)NULL);
        _exit(127);
    }
    int status;
    while (child > 0 && waitpid(child, &status, WNOHANG) == 0)
        ; /* guest code running: valgrind checks for vgdb every few thousand blocks */
    volatile char c = block[8]; /* one past the end */
    (void)c;
    free(block);
}
