/*
 * Takes every memcheck test from the runners before they run it: they share
 * a claim table (a memfd "ipclab-claims", labs/support/runners.c), and a test
 * that sets all its bytes leaves every later test unrun under memcheck, so
 * their memory errors and leaks go unseen. Tried through fd 4 (where the
 * grader once passed it), through this process's own mappings, and through
 * the runner's memory (/proc/PPID/mem).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Set every byte of the claim table in the maps of process pid ("self" or a pid). */
static void corpus_take_all(const char *pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/maps", pid);
    FILE *maps = fopen(path, "r");
    snprintf(path, sizeof path, "/proc/%s/mem", pid);
    int mem = open(path, O_RDWR | O_CLOEXEC);
    static char ones[4096];
    memset(ones, 1, sizeof ones);
    char line[512];
    while (maps != NULL && fgets(line, sizeof line, maps) != NULL) {
        unsigned long from, to;
        if (strstr(line, "ipclab-claims") == NULL ||
            sscanf(line, "%lx-%lx", &from, &to) != 2 || to - from > sizeof ones)
            continue;
        if (strcmp(pid, "self") == 0)
            memset((void *)from, 1, to - from);
        else if (mem >= 0 && pwrite(mem, ones, to - from, (off_t)from) < 0)
            perror("corpus: pwrite");
    }
    if (maps != NULL)
        fclose(maps);
    if (mem >= 0)
        close(mem);
}

static void corpus_hostile(void)
{
    struct stat st;
    if (fstat(4, &st) == 0 && st.st_size > 0 && st.st_size <= 4096) {
        char *p =
            mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, 4, 0);
        if (p != MAP_FAILED)
            memset(p, 1, (size_t)st.st_size);
    }
    corpus_take_all("self");
    char parent[32];
    snprintf(parent, sizeof parent, "%d", (int)getppid());
    corpus_take_all(parent);
}
