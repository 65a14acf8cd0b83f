/* Four processes each touch 96 MiB of SysV shared memory: each stays under its
 * 2 GiB address-space limit, and together they pass the grade's memory bound
 * (here memory_mb = 256 MiB), which the kernel enforces on all of them. */
#include <signal.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>
static void corpus_hostile(void)
{
    int done[2];
    pid_t kids[4];
    if (pipe(done) < 0)
        return;
    for (int i = 0; i < 4; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            close(done[0]);
            int id = shmget(IPC_PRIVATE, 96UL << 20, IPC_CREAT | 0600);
            char *p = id < 0 ? (char *)-1 : shmat(id, NULL, 0);
            if (id >= 0)
                shmctl(id, IPC_RMID, NULL); /* freed when its last user is gone */
            if (p != (char *)-1)
                memset(p, 1, 96UL << 20);
            (void)!write(done[1], "x", 1);
            close(done[1]); /* the parent sees EOF once each child wrote or died */
            pause();        /* holds it until the parent kills it */
            _exit(0);
        }
    }
    close(done[1]);
    char c;
    for (int got = 0; got < 4 && read(done[0], &c, 1) == 1;) /* a killed child: EOF */
        got++;
    close(done[0]);
    for (int i = 0; i < 4; i++)
        if (kids[i] > 0) {
            kill(kids[i], SIGKILL);
            waitpid(kids[i], NULL, 0);
        }
}
