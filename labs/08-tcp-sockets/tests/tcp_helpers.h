/* tcp_helpers.h - test-side TCP helpers for lab 08 (independent of student code). */
#ifndef IPCLAB_TCP_HELPERS_H
#define IPCLAB_TCP_HELPERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A listening socket on 127.0.0.1, port chosen by the kernel; *port set. */
int th_listener(int backlog, uint16_t *port);

/* A blocking client connected to 127.0.0.1:port (aborts the test on error). */
int th_connect(uint16_t port);

/* A connected pair over loopback TCP: *client and *server (accepted). */
void th_tcp_pair(int *client, int *server);

/* Test-side framing (4-byte big-endian length, then payload). */
int th_frame_send(int fd, const void *msg, uint32_t len);
ssize_t th_frame_recv(int fd, void *buf, size_t cap);

/*
 * th_trickle_start - send buf to send_fd one byte at a time from a thread,
 * sending each byte only after the reader has consumed the previous one
 * (FIONREAD on recv_fd is 0), so every recv(2) on recv_fd sees one byte.
 * Gives up if a byte is not consumed within 3 s. Join with th_trickle_join.
 */
struct th_trickle;
struct th_trickle *th_trickle_start(int send_fd, int recv_fd, const void *buf,
                                    size_t len);
/*
 * Stop the trickle thread (call it once the reader has returned: a reader
 * that gave up early then costs no 3 s wait) and wait for it; returns the
 * number of bytes it sent.
 */
size_t th_trickle_join(struct th_trickle *t);

/* Upper-case copy of src into dst (len bytes). */
void th_upcase(char *dst, const char *src, size_t len);

/*
 * FAILS_CLEANLY - in a Criterion test (ipclab_shim.h and ipclab_test.h
 * included): call, with the shim failing faulted's nth call with err, must
 * return -1 with errno err and leave no fd open.
 */
#define FAILS_CLEANLY(call, faulted, nth, err)                                           \
    do {                                                                                 \
        struct ipct_fdset before_;                                                       \
        ipct_fd_snapshot(&before_);                                                      \
        ipct_fault_clear();                                                              \
        ipct_fault_fail(faulted, nth, err);                                              \
        errno = 0;                                                                       \
        long r_ = (long)(call);                                                          \
        int err_ = errno;                                                                \
        ipct_fault_clear();                                                              \
        if (r_ >= 0)                                                                     \
            close((int)r_);                                                              \
        char leaked_[256];                                                               \
        int n_ = ipct_fds_leaked(&before_, leaked_, sizeof leaked_);                     \
        cr_assert_eq(r_, -1,                                                             \
                     "%s: %s #%d failed with %s (injected), yet it returned %ld", #call, \
                     faulted, nth, #err, r_);                                            \
        cr_assert_eq(err_, err, "%s: %s #%d failed with %s (injected), errno is %s",     \
                     #call, faulted, nth, #err, strerror(err_));                         \
        cr_assert_eq(n_, 0, "%s: after %s failed, still open: %s", #call, faulted,       \
                     leaked_);                                                           \
    } while (0)

#endif /* IPCLAB_TCP_HELPERS_H */
