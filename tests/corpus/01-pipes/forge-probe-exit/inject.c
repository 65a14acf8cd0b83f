/* Forges its test's end record (what the probe writes when a test ran to
 * its end) into the probe file, then leaves with exit status 0, as a test
 * that passed would. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static void corpus_hostile(void)
{
    const char *probe = getenv("IPCLAB_PROBE_FILE");
    int fd = probe != NULL ? open(probe, O_WRONLY | O_APPEND) : -1;
    if (fd >= 0) {
        dprintf(fd,
                "{\"event\":\"end\",\"test\":\"%s\",\"pid\":%d,\"fds\":[],"
                "\"children\":0,\"children_desc\":\"\",\"ipc\":[]}\n",
                CORPUS_TARGET, (int)getpid());
        close(fd);
    }
    _exit(0);
}
