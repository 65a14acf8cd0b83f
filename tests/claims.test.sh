#!/bin/bash
# claims.test.sh - the fork runner's claim table (labs/support/forkrun.c), with
# which the grader's memcheck shards share their tests: a runner given the
# table ($IPCLAB_CLAIM_FD, one byte a selected test) runs only the tests whose
# byte it was first to set, sets every byte it took, and two runners sharing
# one table run every test exactly once between them. Lab 00's reference.
# Usage: tests/claims.test.sh   (about 5 s: lab 00 built once)
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
test_begin claims
cd "$ROOT" || exit 2
need_ipclab
test_tmpdir TMP claims
BIN="$TMP/build/run-tests"
if ! make -s -C labs/00-processes all WERROR=1 SRC_DIR="$ROOT/solutions/00-processes/src" \
    BUILD_DIR="$TMP/build" >"$TMP/build.log" 2>&1; then
    fail build "$(tail -5 "$TMP/build.log")"
    test_done
fi

# in_order OUTPUT: the tests a runner's output says it ran, "suite::name", in its order.
in_order() {
    grep -oE '^\[(PASS|FAIL|CRASH|TIMEOUT|SKIP)\] [^ ]+' <<<"$1" | cut -d' ' -f2
}

# ran OUTPUT: the same, sorted (to compare sets).
ran() {
    in_order "$1" | LC_ALL=C sort
}

# runner TABLE: run every test of the binary with TABLE as its claim table (fd 4).
runner() {
    (cd "$TMP" && IPCLAB_FORK_RUNNER=1 IPCLAB_CLAIM_FD=4 timeout 120 \
        "$ROOT/tests/lib/isolate.sh" "$BIN" 4<>"$1" 2>&1)
}

all=$(cd "$TMP" && IPCLAB_FORK_RUNNER=1 timeout 120 "$ROOT/tests/lib/isolate.sh" "$BIN" 2>&1)
mapfile -t every < <(in_order "$all") # Criterion's order: the table's
n=${#every[@]}
if [ "$n" -lt 10 ]; then
    fail listing "the runner without a table ran $n tests"
    test_done
fi

# Tests 1 and 3 (bytes 0 and 2) already taken: the runner runs the others,
# and leaves every byte set.
head -c "$n" /dev/zero >"$TMP/table"
printf '\1' | dd of="$TMP/table" bs=1 seek=0 conv=notrunc status=none
printf '\1' | dd of="$TMP/table" bs=1 seek=2 conv=notrunc status=none
out=$(runner "$TMP/table")
want=$(printf '%s\n' "${every[@]}" | sed '1d;3d' | LC_ALL=C sort)
set_bytes=$(od -An -v -tu1 "$TMP/table" | tr -s ' ' '\n' | grep -c '^1$')
if [ "$(ran "$out")" = "$want" ] && [ "$set_bytes" = "$n" ]; then
    pass "a runner skips the tests already claimed ($((n - 2)) of $n run) and claims the rest"
else
    fail skip-claimed "ran $(ran "$out" | wc -l) of $n (want $((n - 2)), without ${every[0]} and ${every[2]}); $set_bytes of $n bytes set"
fi

# A full table: nothing is left to run.
out=$(runner "$TMP/table")
if [ -z "$(ran "$out")" ] && grep -q 'Tested: 0 |' <<<"$out"; then
    pass "a runner whose every test is claimed runs none"
else
    fail full-table "ran: $(ran "$out" | tr '\n' ' ')"
fi

# Two runners on one table, at once: every test once between them.
head -c "$n" /dev/zero >"$TMP/shared"
runner "$TMP/shared" >"$TMP/a.out" &
a=$!
runner "$TMP/shared" >"$TMP/b.out"
wait "$a"
both=$(cat <(ran "$(cat "$TMP/a.out")") <(ran "$(cat "$TMP/b.out")") | LC_ALL=C sort)
sorted=$(printf '%s\n' "${every[@]}" | LC_ALL=C sort)
if [ "$both" = "$sorted" ]; then
    pass "two runners sharing a table run each of the $n tests exactly once ($(ran "$(cat "$TMP/a.out")" | wc -l) and $(ran "$(cat "$TMP/b.out")" | wc -l))"
else
    fail shared "$(diff <(echo "$sorted") <(echo "$both") | head -5)"
fi
test_done
