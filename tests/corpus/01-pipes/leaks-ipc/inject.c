/* Leaves a SysV queue, a POSIX shared memory object and a POSIX queue behind. */
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <unistd.h>
static void corpus_hostile(void)
{
    char name[64];
    snprintf(name, sizeof name, "/corpus-leak-%d", (int)getpid());
    (void)msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    int fd = shm_open(name, O_CREAT | O_RDWR, 0600);
    if (fd >= 0)
        close(fd);
    mqd_t q = mq_open(name, O_CREAT | O_RDWR, 0600, NULL);
    if (q != (mqd_t)-1)
        mq_close(q);
}
