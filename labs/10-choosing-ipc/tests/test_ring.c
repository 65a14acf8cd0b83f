/* test_ring.c - lab 10 exercises 2 and 3: the spinning and the sleeping SPSC ring. */
#include "choosing.h"
#include "ipclab_test.h"
#include "perf_helpers.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(spin, .timeout = 30);
TestSuite(block, .timeout = 30);

/* ---- one interface over both rings, for the tests they share -------------------- */

struct ring_api {
    const char *name; /* "spin_ring" or "block_ring" */
    size_t (*bytes)(uint32_t slots, uint32_t slot_size);
    int (*init)(void *r, uint32_t slots, uint32_t slot_size);
    int (*push)(void *r, const void *msg, uint32_t len); /* never waits on these tests */
    ssize_t (*pop)(void *r, void *buf, uint32_t cap);
    int (*wait_push)(void *r, const void *msg, uint32_t len); /* waits for room */
    ssize_t (*wait_pop)(void *r, void *buf, uint32_t cap);    /* waits for a message */
    int (*destroy)(void *r); /* NULL: nothing to destroy */
};

/* RING_FN(type, name, fn, (params), (args)): name calls fn, the ring as void *. */
#define RING_FN(type, name, fn, params, args)                                            \
    static type name params                                                              \
    {                                                                                    \
        return fn args;                                                                  \
    }

/*
 * RING_ADAPTERS(ring, push, pop, wait_push, wait_pop) defines ring_init_v,
 * ring_push_v, ring_pop_v, ring_wait_push_v and ring_wait_pop_v: the ring's
 * functions taking the ring as void *, so that one struct ring_api can hold
 * either ring's functions without calling through a mismatched pointer type.
 */
#define RING_ADAPTERS(ring, push, pop, wait_push, wait_pop)                              \
    RING_FN(int, ring##_init_v, ring##_init, (void *r, uint32_t s, uint32_t z),          \
            (r, s, z))                                                                   \
    RING_FN(int, ring##_push_v, push, (void *r, const void *m, uint32_t len),            \
            (r, m, len))                                                                 \
    RING_FN(ssize_t, ring##_pop_v, pop, (void *r, void *b, uint32_t cap), (r, b, cap))   \
    RING_FN(int, ring##_wait_push_v, wait_push, (void *r, const void *m, uint32_t len),  \
            (r, m, len))                                                                 \
    RING_FN(ssize_t, ring##_wait_pop_v, wait_pop, (void *r, void *b, uint32_t cap),      \
            (r, b, cap))

RING_ADAPTERS(spin_ring, spin_ring_try_push, spin_ring_try_pop, spin_ring_push,
              spin_ring_pop)
RING_ADAPTERS(block_ring, block_ring_push, block_ring_pop, block_ring_push,
              block_ring_pop)

static int block_destroy_v(void *r)
{
    return block_ring_destroy(r);
}

/* name, bytes, init, push, pop, wait_push, wait_pop, destroy */
static const struct ring_api spin_api = {
    "spin_ring",     spin_ring_bytes,       spin_ring_init_v,     spin_ring_push_v,
    spin_ring_pop_v, spin_ring_wait_push_v, spin_ring_wait_pop_v, NULL};
static const struct ring_api block_api = {
    "block_ring",     block_ring_bytes,       block_ring_init_v,     block_ring_push_v,
    block_ring_pop_v, block_ring_wait_push_v, block_ring_wait_pop_v, block_destroy_v};

/* A new ring of this geometry in shared memory; *bytes is its size (for munmap). */
static void *new_ring(const struct ring_api *api, uint32_t slots, uint32_t slot_size,
                      size_t *bytes)
{
    size_t n = api->bytes(slots, slot_size);
    cr_assert_gt(n, 0, "%s_bytes(%u, %u) returned 0 for a valid geometry", api->name,
                 slots, slot_size);
    void *r = ph_shared(n);
    errno = 0;
    cr_assert_eq(api->init(r, slots, slot_size), 0, "%s_init(r, %u, %u): %s", api->name,
                 slots, slot_size, strerror(errno));
    *bytes = n;
    return r;
}

static void free_ring(const struct ring_api *api, void *r, size_t bytes)
{
    if (api->destroy != NULL)
        cr_assert_eq(api->destroy(r), 0, "%s_destroy: %s", api->name, strerror(errno));
    munmap(r, bytes);
}

/* ---- tests both rings share ---------------------------------------------------------
 */

static void rejects_bad_geometry(const struct ring_api *api)
{
    static const struct {
        uint32_t slots, slot_size;
    } bad[] = {{0, 64},        {1, 64},           {3, 64}, {6, 64},
               {1u << 21, 64}, {0x80000000u, 64}, {4, 0},  {4, (1u << 20) + 1}};
    size_t good = api->bytes(4, 64);
    cr_assert_gt(good, 0, "%s_bytes(4, 64) returned 0 for a valid geometry", api->name);
    unsigned char *mem = ph_shared(good + 64);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(api->bytes(bad[i].slots, bad[i].slot_size), 0,
                     "%s_bytes(%u, %u) must be 0: slots is a power of two in 2..2^20, "
                     "slot_size in 1..2^20",
                     api->name, bad[i].slots, bad[i].slot_size);
        IPCT_ASSERT_FAILS(EINVAL, api->init(mem, bad[i].slots, bad[i].slot_size),
                          "%s_init(r, %u, %u) must fail", api->name, bad[i].slots,
                          bad[i].slot_size);
    }
    IPCT_ASSERT_FAILS(EINVAL, api->init(NULL, 4, 64), "%s_init(NULL, ...) must fail",
                      api->name);
    for (int off = 8; off < 64; off += 24) {
        IPCT_ASSERT_FAILS(EINVAL, api->init(mem + off, 4, 64),
                          "%s_init at an address 64-byte aligned + %d must fail",
                          api->name, off);
    }
    /* The limits themselves are valid. */
    cr_assert_gt(api->bytes(2, 1), 0, "%s_bytes(2, 1): the smallest ring is valid",
                 api->name);
    cr_assert_gt(api->bytes(1u << 20, 1), 0, "%s_bytes(2^20, 1) is valid", api->name);
    cr_assert_gt(api->bytes(2, 1u << 20), 0, "%s_bytes(2, 2^20) is valid", api->name);
    cr_assert_eq(api->init(mem, 4, 64), 0, "%s_init(r, 4, 64): %s", api->name,
                 strerror(errno));
    if (api->destroy != NULL)
        cr_assert_eq(api->destroy(mem), 0, "%s_destroy: %s", api->name, strerror(errno));
    munmap(mem, good + 64);
}

/* Fill msg[0..len) with seed's pattern and push it: it must fit (what: said if not). */
static void push_pattern(const struct ring_api *api, void *r, unsigned char *msg,
                         uint32_t len, uint64_t seed, const char *what)
{
    ph_fill(msg, len, seed);
    cr_assert_eq(api->push(r, msg, len), 0, "%s: %s (push of %u bytes): %s", api->name,
                 what, len, strerror(errno));
}

/* Push then pop rounds of messages of different lengths and contents. */
static void pops_in_push_order(const struct ring_api *api)
{
    size_t bytes;
    void *r = new_ring(api, 8, 64, &bytes);
    unsigned char msg[64], buf[64];
    uint64_t seq = 0, next = 0;
    for (int round = 0; round < 6; round++) {
        int n = 1 + round % 5;
        for (int i = 0; i < n; i++, seq++) {
            uint32_t len = 64 - (uint32_t)(seq % 9);
            push_pattern(api, r, msg, len, seq, "every message up to slot_size fits");
        }
        for (int i = 0; i < n; i++, next++) {
            uint32_t len = 64 - (uint32_t)(next % 9);
            memset(buf, 0, sizeof buf);
            ssize_t got = api->pop(r, buf, sizeof buf);
            cr_assert_eq(got, (ssize_t)len,
                         "%s pop %llu returned %zd, expected its length %u", api->name,
                         (unsigned long long)next, got, len);
            cr_assert_eq(ph_mismatch(buf, len, next), -1,
                         "%s: message %llu came back changed (or out of order)",
                         api->name, (unsigned long long)next);
        }
    }
    free_ring(api, r, bytes);
}

static void oversize_push_is_emsgsize(const struct ring_api *api)
{
    size_t bytes;
    void *r = new_ring(api, 4, 64, &bytes);
    unsigned char msg[128], buf[64];
    ph_fill(msg, sizeof msg, 1);
    uint32_t bad[] = {65, 128, UINT32_MAX};
    for (size_t i = 0; i < 3; i++) {
        IPCT_ASSERT_FAILS(EMSGSIZE, api->push(r, msg, bad[i]),
                          "%s: push of %u bytes into 64-byte slots", api->name, bad[i]);
    }
    push_pattern(api, r, msg, 64, 2, "a message of exactly slot_size fits");
    cr_assert_eq(api->pop(r, buf, sizeof buf), 64,
                 "%s: the rejected pushes must leave nothing in the ring", api->name);
    cr_assert_eq(ph_mismatch(buf, 64, 2), -1);
    free_ring(api, r, bytes);
}

static void short_buffer_keeps_message(const struct ring_api *api)
{
    size_t bytes;
    void *r = new_ring(api, 4, 64, &bytes);
    unsigned char msg[40], buf[64];
    push_pattern(api, r, msg, sizeof msg, 3, "40 bytes fit in 64-byte slots");
    uint32_t caps[] = {39, 1, 0};
    for (size_t i = 0; i < 3; i++) {
        memset(buf, 0xaa, sizeof buf);
        IPCT_ASSERT_FAILS(EMSGSIZE, api->pop(r, buf, caps[i]),
                          "%s: pop of a 40-byte message into %u bytes must fail",
                          api->name, caps[i]);
        for (size_t j = 0; j < sizeof buf; j++)
            cr_assert_eq(buf[j], 0xaa,
                         "%s: a failed pop must not write into buf (byte %zu)", api->name,
                         j);
    }
    cr_assert_eq(api->pop(r, buf, sizeof buf), 40,
                 "%s: after EMSGSIZE the message stays: a pop with room must get it",
                 api->name);
    cr_assert_eq(ph_mismatch(buf, 40, 3), -1, "%s: the kept message came back changed",
                 api->name);
    free_ring(api, r, bytes);
}

/*
 * The ring lives in the bytes its _bytes function asked for, and in no more:
 * the caller may keep its own data right after them. A full-size message in
 * every slot, three times round, over slot sizes that fill whole cache lines
 * with or without a small per-slot header, must leave the 128 bytes after
 * the ring as they were (a size function a byte short of the layout, or a
 * slot that writes past its stride, spills there).
 */
static void stays_within_its_bytes(const struct ring_api *api)
{
    static const uint32_t sizes[] = {1, 56, 60, 64, 120, 1016, 4088, 4096};
    enum { SLOTS = 4, AFTER = 128 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint32_t size = sizes[i];
        size_t n = api->bytes(SLOTS, size);
        cr_assert_gt(n, 0, "%s_bytes(%u, %u) returned 0 for a valid geometry", api->name,
                     SLOTS, size);
        unsigned char *mem = ph_shared(n + AFTER);
        unsigned char *msg = malloc(size), *buf = malloc(size);
        cr_assert(msg != NULL && buf != NULL);
        memset(mem + n, 0x5a, AFTER);
        cr_assert_eq(api->init(mem, SLOTS, size), 0, "%s_init(r, %u, %u): %s", api->name,
                     SLOTS, size, strerror(errno));
        uint64_t seq = 0;
        for (int round = 0; round < 3; round++) {
            for (int k = 0; k < SLOTS; k++)
                push_pattern(api, mem, msg, size, seq + (uint64_t)k,
                             "a full ring of full-size messages");
            for (int k = 0; k < SLOTS; k++, seq++) {
                cr_assert_eq(api->pop(mem, buf, size), (ssize_t)size,
                             "%s: pop %llu of %u-byte messages", api->name,
                             (unsigned long long)seq, size);
                cr_assert_eq(ph_mismatch(buf, size, seq), -1,
                             "%s: message %llu of %u bytes came back changed", api->name,
                             (unsigned long long)seq, size);
            }
            for (size_t j = 0; j < AFTER; j++)
                cr_assert_eq(mem[n + j], 0x5a,
                             "%s: slots of %u bytes: the ring wrote byte %zu after the "
                             "%zu bytes %s_bytes(%u, %u) asked for",
                             api->name, size, j, n, api->name, SLOTS, size);
        }
        free_ring(api, mem, n + AFTER);
        free(msg);
        free(buf);
    }
}

Test(spin, stays_within_its_bytes)
{
    stays_within_its_bytes(&spin_api);
}

Test(block, stays_within_its_bytes)
{
    stays_within_its_bytes(&block_api);
}

/* ---- two processes through one ring ---------------------------------------------------
 */

/* What the consumer child found, in shared memory. */
struct flow {
    uint64_t received;
    uint64_t sum;
    char text[200];
};

/* Message i of a flow: its length and content (seq in the first 8 bytes). */
static uint32_t flow_len(uint64_t i, uint32_t slot_size)
{
    return slot_size <= 8 ? slot_size : 8 + (uint32_t)(i % (slot_size - 7));
}

static void flow_fill(unsigned char *m, uint64_t i, uint32_t len)
{
    memcpy(m, &i, 8);
    for (uint32_t j = 8; j < len; j++)
        m[j] = (unsigned char)(i * 31 + j);
}

/*
 * flow - a producer child pushes n messages, a consumer child pops them and
 * checks order, lengths, contents and the sum of the sequence numbers.
 * waiting: api's waiting push and pop, else its try_push/try_pop again and
 * again while they fail with EAGAIN.
 */
static void flow(const struct ring_api *api, void *r, uint32_t slot_size, uint64_t n,
                 bool waiting)
{
    int (*push)(void *, const void *, uint32_t) = waiting ? api->wait_push : api->push;
    ssize_t (*pop)(void *, void *, uint32_t) = waiting ? api->wait_pop : api->pop;
    struct flow *f = ph_shared(sizeof *f);
    pid_t prod = ipct_fork();
    if (prod == 0) {
        unsigned char *m = malloc(slot_size);
        IPCT_CHILD_CHECK(m != NULL);
        for (uint64_t i = 0; i < n; i++) {
            uint32_t len = flow_len(i, slot_size);
            flow_fill(m, i, len);
            int rc;
            while ((rc = push(r, m, len)) < 0 && errno == EAGAIN && !waiting)
                sched_yield(); /* full: let the consumer run (one CPU), try again */
            IPCT_CHILD_CHECK(rc == 0);
        }
        free(m);
        _exit(0);
    }
    pid_t cons = ipct_fork();
    if (cons == 0) {
        unsigned char *b = malloc(slot_size), *want = malloc(slot_size);
        IPCT_CHILD_CHECK(b != NULL && want != NULL);
        for (uint64_t i = 0; i < n; i++) {
            ssize_t got;
            while ((got = pop(r, b, slot_size)) < 0 && errno == EAGAIN && !waiting)
                sched_yield(); /* empty: let the producer run (one CPU), try again */
            uint32_t len = flow_len(i, slot_size);
            uint64_t seq;
            if (got < 0) {
                snprintf(f->text, sizeof f->text, "pop of message %llu: %s",
                         (unsigned long long)i, strerror(errno));
                _exit(2);
            }
            memcpy(&seq, b, 8);
            flow_fill(want, i, len);
            if (got != (ssize_t)len || memcmp(b, want, len) != 0) {
                snprintf(
                    f->text, sizeof f->text,
                    "message %llu: got %zd bytes with seq %llu, expected %u bytes with "
                    "seq %llu (lost, repeated or torn)",
                    (unsigned long long)i, got, (unsigned long long)seq, len,
                    (unsigned long long)i);
                _exit(3);
            }
            f->received++;
            f->sum += seq;
        }
        free(b);
        free(want);
        _exit(0);
    }
    int ccode = ipct_wait_exit(cons, 25000);
    int pcode = ipct_wait_exit(prod, ccode == 0 ? 5000 : 0);
    cr_assert_neq(ccode, -1, "the consumer did not finish (%llu of %llu messages): %s",
                  (unsigned long long)f->received, (unsigned long long)n,
                  f->text[0] ? f->text : "killed after 25 s, or crashed");
    cr_assert_eq(ccode, 0, "consumer: %s", f->text[0] ? f->text : "see its stderr");
    cr_assert_eq(pcode, 0, "the producer failed (exit %d)", pcode);
    cr_assert_eq(f->received, n);
    cr_assert_eq(f->sum, n * (n - 1) / 2, "the sequence numbers do not add up");
    munmap(f, sizeof *f);
}

/* ---- spin: exercise 2
 * ------------------------------------------------------------------- */

/* flow_through_new_ring - flow n messages (n_valgrind under valgrind, where each
 * costs far more) through a new ring of api's kind and this geometry, then free it. */
static void flow_through_new_ring(const struct ring_api *api, uint32_t slots,
                                  uint32_t slot_size, uint64_t n, uint64_t n_valgrind,
                                  bool waiting)
{
    size_t bytes;
    void *r = new_ring(api, slots, slot_size, &bytes);
    flow(api, r, slot_size, ipct_under_valgrind() ? n_valgrind : n, waiting);
    free_ring(api, r, bytes);
}

Test(spin, init_rejects_bad_geometry)
{
    rejects_bad_geometry(&spin_api);
}

Test(spin, bytes_cover_the_slots)
{
    static const uint32_t geo[][2] = {{2, 1},       {4, 64},    {64, 16},
                                      {1024, 4096}, {8, 65536}, {1u << 20, 1u << 20}};
    for (size_t i = 0; i < sizeof geo / sizeof geo[0]; i++) {
        size_t n = spin_ring_bytes(geo[i][0], geo[i][1]);
        cr_assert_gt((double)n, (double)geo[i][0] * geo[i][1],
                     "spin_ring_bytes(%u, %u) = %zu: the header and every slot need room",
                     geo[i][0], geo[i][1], n);
    }
}

Test(spin, pops_in_push_order)
{
    pops_in_push_order(&spin_api);
}

Test(spin, full_ring_is_eagain)
{
    uint32_t slots[] = {2, 4, 16};
    for (size_t s = 0; s < 3; s++) {
        size_t bytes;
        struct spin_ring *r = new_ring(&spin_api, slots[s], 32, &bytes);
        unsigned char msg[32] = {0};
        for (uint32_t i = 0; i < slots[s]; i++)
            cr_assert_eq(spin_ring_try_push(r, msg, 32), 0,
                         "push %u into a %u-slot ring: %s (every slot holds a message)",
                         i, slots[s], strerror(errno));
        IPCT_ASSERT_FAILS(EAGAIN, spin_ring_try_push(r, msg, 32),
                          "a full %u-slot ring takes no more", slots[s]);
        cr_assert_eq(spin_ring_try_pop(r, msg, 32), 32);
        cr_assert_eq(spin_ring_try_push(r, msg, 32), 0, "one pop frees one slot: %s",
                     strerror(errno));
        IPCT_ASSERT_FAILS(EAGAIN, spin_ring_try_push(r, msg, 32),
                          "spin_ring_try_push(r, msg, 32) must fail with EAGAIN");
        munmap(r, bytes);
    }
}

Test(spin, empty_ring_is_eagain)
{
    size_t bytes;
    struct spin_ring *r = new_ring(&spin_api, 4, 32, &bytes);
    unsigned char buf[32];
    IPCT_ASSERT_FAILS(EAGAIN, spin_ring_try_pop(r, buf, 32), "a new ring is empty");
    cr_assert_eq(spin_ring_try_push(r, "x", 1), 0, "push: %s", strerror(errno));
    cr_assert_eq(spin_ring_try_pop(r, buf, 32), 1);
    IPCT_ASSERT_FAILS(EAGAIN, spin_ring_try_pop(r, buf, 32), "the ring is empty again");
    munmap(r, bytes);
}

Test(spin, oversize_push_is_emsgsize)
{
    oversize_push_is_emsgsize(&spin_api);
    /* The waiting push too: EMSGSIZE at once, never a wait. */
    size_t bytes;
    struct spin_ring *r = new_ring(&spin_api, 2, 16, &bytes);
    unsigned char msg[17] = {0};
    IPCT_ASSERT_FAILS(EMSGSIZE, spin_ring_push(r, msg, 17),
                      "spin_ring_push of 17 bytes into 16-byte slots");
    munmap(r, bytes);
}

Test(spin, short_buffer_is_emsgsize_and_keeps)
{
    short_buffer_keeps_message(&spin_api);
    size_t bytes;
    struct spin_ring *r = new_ring(&spin_api, 2, 16, &bytes);
    unsigned char buf[16];
    cr_assert_eq(spin_ring_try_push(r, "0123456789", 10), 0);
    IPCT_ASSERT_FAILS(EMSGSIZE, spin_ring_pop(r, buf, 9),
                      "spin_ring_pop of 10 bytes into 9");
    cr_assert_eq(spin_ring_pop(r, buf, 16), 10, "the message stays after EMSGSIZE");
    cr_assert_eq(memcmp(buf, "0123456789", 10), 0);
    munmap(r, bytes);
}

Test(spin, lengths_are_kept)
{
    size_t bytes;
    struct spin_ring *r = new_ring(&spin_api, 8, 64, &bytes);
    uint32_t lens[] = {1, 0, 64, 17, 63, 8};
    unsigned char msg[64], buf[64];
    for (size_t i = 0; i < 6; i++) {
        ph_fill(msg, lens[i], 100 + i);
        cr_assert_eq(spin_ring_try_push(r, msg, lens[i]), 0, "push of %u bytes: %s",
                     lens[i], strerror(errno));
    }
    for (size_t i = 0; i < 6; i++) {
        ssize_t got = spin_ring_try_pop(r, buf, sizeof buf);
        cr_assert_eq(
            got, (ssize_t)lens[i],
            "message %zu was %u bytes long, pop returned %zd (a length of 0 is a "
            "message too)",
            i, lens[i], got);
        cr_assert_eq(ph_mismatch(buf, lens[i], 100 + i), -1);
    }
    munmap(r, bytes);
}

Test(spin, wraps_around_many_times)
{
    size_t bytes;
    struct spin_ring *r = new_ring(&spin_api, 4, 16, &bytes);
    uint64_t seq = 0, next = 0, buf[2];
    for (int round = 0; round < 20000; round++) {
        int n = 1 + round % 4;
        for (int i = 0; i < n; i++, seq++) {
            uint64_t m[2] = {seq, ~seq};
            cr_assert_eq(spin_ring_try_push(r, m, 16), 0, "push %llu: %s",
                         (unsigned long long)seq, strerror(errno));
        }
        for (int i = 0; i < n; i++, next++) {
            cr_assert_eq(spin_ring_try_pop(r, buf, 16), 16, "pop %llu: %s",
                         (unsigned long long)next, strerror(errno));
            cr_assert(
                buf[0] == next && buf[1] == ~next,
                "after %llu messages through 4 slots, message %llu came back as %llu: "
                "index slots with counter & mask",
                (unsigned long long)next, (unsigned long long)next,
                (unsigned long long)buf[0]);
        }
    }
    IPCT_ASSERT_FAILS(EAGAIN, spin_ring_try_pop(r, buf, 16),
                      "spin_ring_try_pop(r, buf, 16) must fail with EAGAIN");
    munmap(r, bytes);
}

Test(spin, million_messages_across_fork)
{
    flow_through_new_ring(&spin_api, 64, 16, 1000000, 10000, true);
}

Test(spin, blocking_calls_on_tiny_ring)
{
    flow_through_new_ring(&spin_api, 2, 32, 100000, 1000, true);
}

Test(spin, try_calls_across_fork)
{
    flow_through_new_ring(&spin_api, 8, 24, 200000, 2000, false);
}

/*
 * Record, for every 64-byte line of the ring, how many of the operations
 * since the last call changed it (compared with the copy in shadow).
 */
static void count_changed_lines(const unsigned char *ring, unsigned char *shadow,
                                size_t bytes, unsigned *changes)
{
    for (size_t line = 0; line * 64 < bytes; line++) {
        size_t off = line * 64, n = bytes - off < 64 ? bytes - off : 64;
        if (memcmp(ring + off, shadow + off, n) != 0)
            changes[line]++;
    }
    memcpy(shadow, ring, bytes);
}

/* $begin false_sharing_check */
Test(spin, indices_on_separate_cache_lines)
{
    /*
     * Which lines does every push write, and which does every pop write? The
     * producer's index changes on each push and the consumer's on each pop:
     * if one cache line holds both, that line moves between the two cores
     * twice per message (false sharing). Slot lines are written once per lap
     * and do not count.
     */
    enum { SLOTS = 8, ROUNDS = 64 };
    size_t bytes;
    unsigned char *r = new_ring(&spin_api, SLOTS, 64, &bytes);
    size_t lines = (bytes + 63) / 64;
    unsigned char *shadow = malloc(bytes), msg[64] = {0};
    unsigned *by_push = calloc(lines, sizeof *by_push),
             *by_pop = calloc(lines, sizeof *by_pop);
    cr_assert(shadow != NULL && by_push != NULL && by_pop != NULL);
    memcpy(shadow, r, bytes);
    unsigned pushes = 0, pops = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int n = 1 + round % SLOTS; /* from one message at a time to a full ring */
        for (int i = 0; i < n; i++, pushes++) {
            msg[0] = (unsigned char)pushes;
            cr_assert_eq(spin_ring_try_push((struct spin_ring *)r, msg, 64), 0);
            count_changed_lines(r, shadow, bytes, by_push);
        }
        for (int i = 0; i < n; i++, pops++) {
            cr_assert_eq(spin_ring_try_pop((struct spin_ring *)r, msg, 64), 64);
            count_changed_lines(r, shadow, bytes, by_pop);
        }
    }
    for (size_t line = 0; line < lines; line++)
        cr_assert(by_push[line] < pushes || by_pop[line] < pops,
                  "bytes %zu-%zu of the ring change on every push and on every pop: the "
                  "producer's and the consumer's index share a cache line, which then "
                  "bounces between the two cores on each message (false sharing)",
                  line * 64, line * 64 + 63);
    free(shadow);
    free(by_push);
    free(by_pop);
    munmap(r, bytes);
}
/* $end false_sharing_check */

/* ---- block: exercise 3
 * ------------------------------------------------------------------ */

/* State letter of process pid ('R', 'S', 'Z', ...) and its CPU time in *cpu_s; 0 if gone.
 */
static char proc_state(pid_t pid, double *cpu_s)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return 0;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    char *p = strrchr(line, ')'); /* comm may hold spaces and parentheses */
    char state = 0;
    unsigned long ut = 0, st = 0;
    if (p == NULL || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                            &state, &ut, &st) != 3)
        return 0;
    if (cpu_s != NULL) {
        /* schedstat counts nanoseconds on the CPU; stat only whole clock ticks. */
        unsigned long long ns;
        snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
        f = fopen(path, "re");
        if (f != NULL && fscanf(f, "%llu", &ns) == 1)
            *cpu_s = (double)ns / 1e9;
        else
            *cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
        if (f != NULL)
            fclose(f);
    }
    return state;
}

/* Poll pid's state until it sleeps ('S'), ends, or timeout_ms pass; returns the last
 * state. */
static char wait_sleeping(pid_t pid, int timeout_ms)
{
    char s = 0;
    for (int waited = 0; waited <= timeout_ms; waited++) {
        s = proc_state(pid, NULL);
        if (s == 'S' || s == 'Z' || s == 0)
            return s;
        usleep(1000); /* a polling interval: nothing waits on it */
    }
    return s;
}

/*
 * CPU seconds pid uses in a 100 ms window. The window is a measurement, not
 * synchronisation: pid was already seen asleep, and must stay so.
 */
static double cpu_in_window(pid_t pid)
{
    double c0 = 0, c1 = 0;
    proc_state(pid, &c0);
    usleep(100000);
    proc_state(pid, &c1);
    return c1 - c0;
}

/* A 1-byte message on fd within timeout_ms. */
static bool got_byte(int fd, int timeout_ms)
{
    char c;
    return ipct_readable_within(fd, timeout_ms) && read(fd, &c, 1) == 1;
}

Test(block, init_rejects_bad_geometry)
{
    rejects_bad_geometry(&block_api);
}

Test(block, pops_in_push_order)
{
    pops_in_push_order(&block_api);
}

Test(block, oversize_push_is_emsgsize)
{
    oversize_push_is_emsgsize(&block_api);
}

Test(block, short_buffer_is_emsgsize_and_keeps)
{
    short_buffer_keeps_message(&block_api);
}

/*
 * fork_consumer - a child that pops one message from r, which must be the len
 * bytes of want (else it exits non-zero). Returns its pid once it has said it
 * started: from then on it is in block_ring_pop, or about to be.
 */
static pid_t fork_consumer(struct block_ring *r, const char *want, size_t len)
{
    int ready[2];
    cr_assert_eq(pipe(ready), 0);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        unsigned char buf[64];
        close(ready[0]);
        IPCT_CHILD_CHECK(write(ready[1], "r", 1) == 1);
        IPCT_CHILD_CHECK(block_ring_pop(r, buf, sizeof buf) == (ssize_t)len);
        IPCT_CHILD_CHECK(memcmp(buf, want, len) == 0);
        _exit(0);
    }
    close(ready[1]);
    cr_assert(got_byte(ready[0], 5000), "the consumer child did not start");
    close(ready[0]);
    return pid;
}

/* expect_woken - pid, asleep on the ring, must now wake and exit 0 within 5 s
 * (still_waiting: what it means when it does not; failed: when it exits non-zero). */
static void expect_woken(pid_t pid, const char *still_waiting, const char *failed)
{
    int code = ipct_wait_exit(pid, 5000);
    cr_assert_neq(code, -1, "%s", still_waiting);
    cr_assert_eq(code, 0, "%s (exit %d)", failed, code);
}

/* push_to_consumer - push the len bytes of msg: the consumer pid must then take
 * them and exit 0 within 5 s (still_waiting: what it means when it does not). */
static void push_to_consumer(struct block_ring *r, pid_t pid, const char *msg, size_t len,
                             const char *still_waiting)
{
    cr_assert_eq(block_ring_push(r, msg, (uint32_t)len), 0, "push: %s", strerror(errno));
    expect_woken(pid, still_waiting, "the consumer got the wrong message");
}

Test(block, pop_waits_for_push)
{
    size_t bytes;
    struct block_ring *r = new_ring(&block_api, 4, 64, &bytes);
    pid_t pid = fork_consumer(r, "hello, ring", 11);
    char s = wait_sleeping(pid, 1000); /* most likely asleep by now; not required */
    if (s == 'Z' || s == 0)
        cr_assert_fail(
            "block_ring_pop returned on an empty ring instead of waiting (exit %d)",
            ipct_wait_exit(pid, 0));
    push_to_consumer(r, pid, "hello, ring", 11,
                     "the consumer still waits after a push: wake it (FUTEX_WAKE or "
                     "sem_post) after publishing the message");
    free_ring(&block_api, r, bytes);
}

/* $begin require_asleep */
/* Fail unless pid is asleep and stays (nearly) off the CPU for 100 ms. */
static void require_asleep(pid_t pid, const char *who)
{
    char s = wait_sleeping(pid, 2000);
    if (s == 'Z' || s == 0)
        cr_assert_fail("the %s returned instead of waiting (exit %d)", who,
                       ipct_wait_exit(pid, 0));
    if (s != 'S') {
        kill(pid, SIGKILL);
        cr_assert_fail("%s never slept: is it spinning? (state '%c' for 2 s: "
                       "wait with FUTEX_WAIT or sem_wait)",
                       who, s);
    }
    double cpu = cpu_in_window(pid);
    cr_log_info("%s used %.1f ms of CPU in 100 ms asleep", who, cpu * 1e3);
    if (cpu > 0.005) {
        kill(pid, SIGKILL);
        cr_assert_fail("the %s used %.1f ms of CPU in 100 ms while it should sleep: "
                       "is it polling (usleep in a loop)?",
                       who, cpu * 1e3);
    }
}
/* $end require_asleep */

/* $begin idle_consumer_sleeps */
Test(block, idle_consumer_sleeps)
{
    size_t bytes;
    struct block_ring *r = new_ring(&block_api, 4, 64, &bytes);
    pid_t pid = fork_consumer(r, "wake!", 5); /* started: it pops from an empty ring */
    require_asleep(pid, "consumer waiting on an empty ring");
    push_to_consumer(r, pid, "wake!", 5, "a push did not wake the sleeping consumer");
    free_ring(&block_api, r, bytes);
}
/* $end idle_consumer_sleeps */

/*
 * producer_asleep_on_full - fork a producer that pushes slots + 1 messages of
 * len bytes into the empty ring r (message i: the first len bytes of the
 * uint64_t i), the last of which must wait for a free slot; return its pid
 * once it sleeps there (what: for the message when it does not).
 */
static pid_t producer_asleep_on_full(struct block_ring *r, uint64_t slots, size_t len,
                                     const char *what)
{
    int full[2];
    cr_assert_eq(pipe(full), 0);
    pid_t pid = ipct_fork();
    if (pid == 0) {
        close(full[0]);
        for (uint64_t i = 0; i <= slots; i++) {
            if (i == slots) /* the ring is full: this push waits for a free slot */
                IPCT_CHILD_CHECK(write(full[1], "f", 1) == 1);
            IPCT_CHILD_CHECK(block_ring_push(r, &i, len) == 0);
        }
        _exit(0);
    }
    close(full[1]);
    bool filled = got_byte(full[0], 3000);
    close(full[0]);
    if (!filled) {
        kill(pid, SIGKILL);
        cr_assert_fail("pushing %llu messages of %zu bytes into an empty %llu-slot ring "
                       "must not wait: every slot holds a message",
                       (unsigned long long)slots, len, (unsigned long long)slots);
    }
    require_asleep(pid, what);
    return pid;
}

Test(block, idle_producer_sleeps_when_full)
{
    size_t bytes;
    struct block_ring *r = new_ring(&block_api, 4, 16, &bytes);
    pid_t pid = producer_asleep_on_full(r, 4, 8, "producer waiting on a full ring");
    uint64_t v = 99;
    cr_assert_eq(block_ring_pop(r, &v, sizeof v), 8, "pop: %s", strerror(errno));
    cr_assert_eq(v, 0);
    expect_woken(pid, "a pop did not wake the producer waiting on a full ring",
                 "the producer failed");
    for (uint64_t i = 1; i <= 4; i++) {
        cr_assert_eq(block_ring_pop(r, &v, sizeof v), 8);
        cr_assert_eq(v, i, "message %llu came back as %llu", (unsigned long long)i,
                     (unsigned long long)v);
    }
    free_ring(&block_api, r, bytes);
}

/*
 * A message of length 0 is a message like any other: popping one frees its
 * slot, so it must wake a producer asleep on a ring full of them.
 */
Test(block, empty_message_pop_wakes_producer)
{
    size_t bytes;
    struct block_ring *r = new_ring(&block_api, 2, 16, &bytes);
    pid_t pid = producer_asleep_on_full(
        r, 2, 0, "producer waiting on a ring full of empty messages");
    char buf[16];
    cr_assert_eq(block_ring_pop(r, buf, sizeof buf), 0, "pop of an empty message: %s",
                 strerror(errno));
    expect_woken(pid,
                 "popping an empty message did not wake the producer waiting on the "
                 "full ring: a pop of length 0 frees a slot too",
                 "the producer failed");
    for (int i = 0; i < 2; i++)
        cr_assert_eq(block_ring_pop(r, buf, sizeof buf), 0, "pop %d: %s", i,
                     strerror(errno));
    free_ring(&block_api, r, bytes);
}

/* FUTEX_WAKE calls this process made since wakes_counted (SIGSYS, below). */
static volatile sig_atomic_t futex_wakes;

static void count_futex_wake(int sig)
{
    (void)sig;
    futex_wakes++;
}

/*
 * From now on, every futex(FUTEX_WAKE) of this process is not made but
 * counted in futex_wakes (a seccomp filter traps it: SIGSYS). For a forked
 * child only: the filter cannot be taken back. False where it cannot be set.
 */
static bool wakes_counted(void)
{
    const struct sock_filter rules[] = {
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_futex, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* futex(uaddr, op, ...): op is args[1], the command in its low bits */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, FUTEX_CMD_MASK),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FUTEX_WAKE, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sigaction sa = {.sa_handler = count_futex_wake};
    sigemptyset(&sa.sa_mask);
    futex_wakes = 0;
    return sigaction(SIGSYS, &sa, NULL) == 0 &&
           ipct_seccomp(rules, sizeof rules / sizeof rules[0]);
}

/*
 * A side that has slept and been woken is awake: its peer must stop waking
 * it. The consumer child sleeps on the empty ring and a push wakes it; then,
 * with nobody asleep, 1000 pushes and pops in one process must make no
 * FUTEX_WAKE (a "waiters" flag left set costs a system call per message).
 */
Test(block, woken_side_is_not_woken_again)
{
    if (ipct_under_valgrind())
        cr_skip_test("seccomp traps would reach valgrind's own futex calls");
    size_t bytes;
    struct block_ring *r = new_ring(&block_api, 4, 64, &bytes);
    pid_t pid = fork_consumer(r, "wake!", 5);
    require_asleep(pid, "consumer waiting on an empty ring");
    push_to_consumer(r, pid, "wake!", 5, "a push did not wake the sleeping consumer");
    struct flow *f = ph_shared(sizeof *f);
    pid = ipct_fork();
    if (pid == 0) {
        if (!wakes_counted())
            _exit(77);
        char buf[64];
        for (int i = 0; i < 1000; i++)
            if (block_ring_push(r, "tick", 4) != 0 ||
                block_ring_pop(r, buf, sizeof buf) != 4)
                _exit(2);
        f->received = (uint64_t)futex_wakes;
        _exit(0);
    }
    int code = ipct_wait_exit(pid, 10000);
    if (code == 77)
        cr_skip_test("no seccomp filter here: the wakes cannot be counted");
    cr_assert_eq(code, 0,
                 "1000 pushes and pops on a ring nobody waits on failed (exit %d)", code);
    cr_assert_eq(
        f->received, 0,
        "1000 pushes and pops with nobody asleep made %llu FUTEX_WAKE calls: the "
        "side that slept is awake again, clear its \"asleep\" flag (or count) "
        "when it wakes",
        (unsigned long long)f->received);
    munmap(f, sizeof *f);
    free_ring(&block_api, r, bytes);
}

Test(block, hundred_thousand_messages_in_order)
{
    flow_through_new_ring(&block_api, 4, 64, 100000, 1000, true);
}

Test(block, destroy_succeeds)
{
    size_t bytes;
    struct block_ring *r = new_ring(&block_api, 2, 8, &bytes);
    char buf[8];
    cr_assert_eq(block_ring_push(r, "abc", 3), 0, "push: %s", strerror(errno));
    cr_assert_eq(block_ring_pop(r, buf, sizeof buf), 3, "pop: %s", strerror(errno));
    errno = 0;
    cr_assert_eq(block_ring_destroy(r), 0, "block_ring_destroy: %s", strerror(errno));
    munmap(r, bytes);
}
