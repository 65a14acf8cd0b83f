/* diag_socket.c - why-it-hung's diagnoses of sockets (accept, recv, send). */
#include "hang/hang_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sched.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The unix socket path or TCP port of socket inode ino in pid's network namespace. */
static void socket_where(pid_t pid, ino_t ino, char *buf, size_t len)
{
    char path[64], line[512];
    buf[0] = '\0';
    snprintf(path, sizeof path, "/proc/%d/net/unix", (int)pid);
    FILE *f = fopen(path, "re");
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        unsigned long inode = 0;
        unsigned int type = 0, state = 0;
        int at = 0;
        if (sscanf(line, "%*s %*s %*s %*s %x %x %lu %n", &type, &state, &inode, &at) >=
                3 &&
            inode == (unsigned long)ino) {
            char *name = line + at;
            name[strcspn(name, "\n")] = '\0';
            snprintf(buf, len, "a unix %s socket%s%s%s",
                     type == 1   ? "stream"
                     : type == 2 ? "datagram"
                                 : "seqpacket",
                     name[0] ? " bound to '" : "", name, name[0] ? "'" : "");
            break;
        }
    }
    if (f != NULL)
        fclose(f);
    if (buf[0] != '\0')
        return;
    const char *tables[] = {"tcp", "tcp6", "udp", "udp6"};
    for (size_t i = 0; i < 4 && buf[0] == '\0'; i++) {
        snprintf(path, sizeof path, "/proc/%d/net/%s", (int)pid, tables[i]);
        f = fopen(path, "re");
        while (f != NULL && fgets(line, sizeof line, f) != NULL) {
            char local[64];
            unsigned long inode = 0;
            if (sscanf(line, "%*s %63s %*s %*s %*s %*s %*s %*s %*s %lu", local, &inode) ==
                    2 &&
                inode == (unsigned long)ino) {
                const char *colon = strrchr(local, ':');
                unsigned int port =
                    colon ? (unsigned int)strtoul(colon + 1, NULL, 16) : 0;
                snprintf(buf, len, "a %s socket on port %u", i % 2 ? "TCPv6" : "TCP",
                         port);
                if (i >= 2)
                    buf[2] = 'U', buf[3] = 'D', buf[4] = 'P';
                break;
            }
        }
        if (f != NULL)
            fclose(f);
    }
}

/* A unix socket and the socket at the other end of its connection. */
struct upeer {
    uint32_t ino;
    uint32_t peer;
};

/*
 * unix_peers - an in_ns callback: ask sock_diag (NETLINK_SOCK_DIAG) for the
 * peer of unix socket inode *(uint32_t *)arg. Writes one struct upeer.
 */
static ssize_t unix_peers(const void *arg, void *out, size_t max)
{
    uint32_t want = *(const uint32_t *)arg;
    int s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (s < 0 || max < sizeof(struct upeer))
        return -1;
    struct {
        struct nlmsghdr nlh;
        struct unix_diag_req r;
    } req;
    memset(&req, 0, sizeof req);
    req.nlh.nlmsg_len = sizeof req;
    req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.r.sdiag_family = AF_UNIX;
    req.r.udiag_states = ~0U;
    req.r.udiag_show = UDIAG_SHOW_PEER;
    struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
    ssize_t found = -1;
    if (sendto(s, &req, sizeof req, 0, (struct sockaddr *)&nl, sizeof nl) < 0)
        goto done;
    long buf[4096]; /* long: nlmsghdr alignment */
    for (int end = 0; !end;) {
        ssize_t n = recv(s, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
             h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
                end = 1;
                break;
            }
            struct unix_diag_msg *m = NLMSG_DATA(h);
            if (m->udiag_ino != want)
                continue;
            int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
            for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, len);
                 a = RTA_NEXT(a, len))
                if (a->rta_type == UNIX_DIAG_PEER) {
                    struct upeer u = {want, 0};
                    memcpy(&u.peer, RTA_DATA(a), sizeof u.peer);
                    memcpy(out, &u, sizeof u);
                    found = (ssize_t)sizeof u;
                }
        }
    }
done:
    close(s);
    return found;
}

/* The inode of the socket connected to unix socket f of pid, or 0. */
static ino_t unix_peer_of(pid_t pid, const struct hfd *f)
{
    uint32_t want = (uint32_t)f->ino;
    struct upeer u;
    if (in_ns(pid, "net", CLONE_NEWNET, unix_peers, &want, &u, sizeof u) !=
        (ssize_t)sizeof u)
        return 0;
    return u.peer;
}

/* Waits on a socket: accept with no client, recv with no data, send on a full socket. */
int diag_socket(struct hctx *c, struct hproc *p, struct hthread *t, struct hfd *f,
                struct sbuf *b)
{
    const struct sc_info *si = sc_lookup(t->sc.nr);
    char where[256];
    socket_where(p->pid, f->ino, where, sizeof where);
    int reads = si->kind == K_READ || si->kind == K_RECV;
    int writes = si->kind == K_WRITE || si->kind == K_SEND;
    ino_t peer = reads || writes ? unix_peer_of(p->pid, f) : 0;
    pid_t holders[32];
    size_t nh = peer ? holder_pids(c, f->dev, peer, 0, holders, 32) : 0;
    if (nh > 0) {
        int self = 0, running = 0;
        for (size_t i = 0; i < nh; i++) {
            struct hproc *h = proc_find(c, holders[i]);
            self |= holders[i] == p->pid;
            running |= h == NULL || !is_stuck(h, h == p ? t : NULL);
        }
        sb_printf(
            b, "%s (pid %d) waits in %s() on %s (fd %d%s%s), but its peer socket:[%lu] ",
            reads ? "the reader" : "the writer", (int)p->pid, si->name, f->target, f->fd,
            where[0] ? ", " : "", where, (unsigned long)peer);
        sb_printf(b, "is %s in ", reads ? "still open" : "open, and not read,");
        list_holders(c, p, f->dev, peer, 0, b, 1);
        if (running)
            return RANK_FACT;
        if (writes)
            sb_printf(
                b, ": the socket buffer is full and no one reads; read while you write "
                   "(poll(), or one process or thread per direction)");
        else if (self && nh == 1)
            sb_printf(b, ": close it before reading, or the read never sees end of file");
        else
            sb_printf(b,
                      ": no one will send, and a read sees end of file only when every "
                      "copy of the other end is closed; close the ends you do not use "
                      "right after fork()");
        return RANK_PATTERN;
    }
    sb_printf(b, "pid %d waits in %s() on %s (fd %d%s%s)", (int)p->pid, si->name,
              f->target, f->fd, where[0] ? ", " : "", where);
    pid_t others[32];
    size_t n = holder_pids(c, f->dev, f->ino, 0, others, 32);
    if (n > 1) {
        sb_printf(b, "; the same socket is open in ");
        list_holders(c, p, f->dev, f->ino, 0, b, 1);
    }
    const char *verb = si->kind == K_ACCEPT ? "connect to" : writes ? "read" : "write to";
    const char *advice =
        si->kind == K_ACCEPT
            ? "a server's accept() waits until a client connects; start the client (or "
              "connect) before waiting"
        : writes ? "read what the peer sends as you write"
                 : "make sure the peer sends, or shuts down its end "
                   "(shutdown(SHUT_WR), close) so that recv returns 0";
    return nobody_can(c, p, b, verb, advice);
}
