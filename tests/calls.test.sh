#!/bin/bash
# calls.test.sh - an exercise's calls (lab.ini `require`/`forbid` in a [test]
# section, labs/support/ipclab_shim.h): the manifest refuses a name the shim
# cannot see, the rules reach the test binary, a call made only in a child
# counts, a rule broken fails its test with a message naming the call, and
# lab 10's "posix-mq" transport made of pipes fails; and the shim's later wrappers
# (lockf, mremap, nanosleep, clock_nanosleep, pthread_create, pthread_join, msgget,
# semget, shmget, shmat, malloc, calloc, realloc; clock_gettime's clock plan) inject, log, and are gone after exec (tests/calls/shimlab, a tiny lab of its own),
# and a block lost while calls are logged is "definitely lost" under memcheck.
# Usage: tests/calls.test.sh   (about 45 s: a copy of lab 00, the shim lab, lab 10 built twice)
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
test_begin calls
cd "$ROOT" || exit 2
need_ipclab
IPC="$ROOT/build/ipclab"
test_tmpdir TMP calls

# A copy of lab 00 whose lab.ini the test edits (lab.mk, support/ and the
# solution are the real ones).
mkdir -p "$TMP/course/labs"
cp -r labs/00-processes "$TMP/course/labs/"
rm -rf "$TMP/course/labs/00-processes/build"
ln -s "$ROOT/labs/support" "$TMP/course/labs/support"
ln -s "$ROOT/labs/lab.mk" "$TMP/course/labs/lab.mk"
LAB="$TMP/course/labs/00-processes"
# add_rule TEST KEY VALUE: KEY = VALUE under [test TEST] of the copy's lab.ini.
add_rule() {
    sed -i "/^\[test ${1//\//\\/}\]\$/a $2 = $3" "$LAB/lab.ini"
}

# --- the manifest checks the names --------------------------------------------------
cp "$LAB/lab.ini" "$TMP/lab.ini.orig"
# refused VALUE WHAT WORD: lab.ini's `require = VALUE` is a manifest error naming WORD.
refused() {
    cp "$TMP/lab.ini.orig" "$LAB/lab.ini"
    add_rule run_and_wait/true_exits_zero require "$1"
    local out st
    out=$("$IPC" manifest --call-rules "$LAB" 2>&1)
    st=$?
    if [ $st = 2 ] && grep -qF "'$3' is not a call the shim sees" <<<"$out"; then
        pass "$2 is a manifest error (exit 2, names it)"
    else
        fail "manifest: $2" "exit $st: $out"
    fi
}
refused printf "a name the shim cannot see (printf)" printf
refused "mq_send||pipe" "an empty alternative (a||b)" "|"
# A line longer than inih reads at once (199 characters) is named, not "syntax error".
cp "$TMP/lab.ini.orig" "$LAB/lab.ini"
add_rule run_and_wait/true_exits_zero hint "$(printf 'word %.0s' {1..50})"
long_at=$(awk 'length > 199 { print NR; exit }' "$LAB/lab.ini")
out=$("$IPC" manifest --student-files "$LAB" 2>&1)
st=$?
if [ $st = 2 ] && grep -qF "lab.ini:$long_at: the line is 257 characters long, and inih reads at most 199" <<<"$out"; then
    pass "a lab.ini line too long for inih is a manifest error naming the line (exit 2)"
else
    fail "manifest: long line" "exit $st, line ${long_at:-none}: $out"
fi

# --- rules in a build: kept, broken, and seen in a child -----------------------------
cp "$TMP/lab.ini.orig" "$LAB/lab.ini"
add_rule run_and_wait/true_exits_zero require "execvp|execv|execve waitpid|wait"
add_rule isolation/parent_value_unchanged forbid "fork"
add_rule describe_status/normal_exit require "mq_send|mq_timedsend"
out=$("$IPC" manifest --call-rules "$LAB")
if grep -q '{"run_and_wait/true_exits_zero", "execvp|execv|execve waitpid|wait", ""}' <<<"$out" &&
    grep -q '{"isolation/parent_value_unchanged", "", "fork"}' <<<"$out" &&
    [ "$(grep -c '^    {"' <<<"$out")" = 3 ]; then
    pass "manifest --call-rules prints the table of the three rules"
else
    fail call-rules "$out"
fi
if ! make -s -C "$LAB" all WERROR=1 IPCLAB="$IPC" SRC_DIR="$ROOT/solutions/00-processes/src" \
    BUILD_DIR="$TMP/build00" >"$TMP/build00.log" 2>&1; then
    fail build00 "$(tail -5 "$TMP/build00.log")"
    test_done
fi
for runner in exec fork; do
    env_runner=()
    [ $runner = fork ] && env_runner=(IPCLAB_FORK_RUNNER=1)
    out=$(env "${env_runner[@]}" timeout 120 "$ROOT/tests/lib/isolate.sh" "$TMP/build00/run-tests" \
        --filter='@(run_and_wait/true_exits_zero|isolation/parent_value_unchanged|describe_status/normal_exit|describe_status/killed_by_signal)' 2>&1)
    if grep -q 'Tested: 4 | Passing: 2 | Failing: 2' <<<"$out" &&
        grep -q 'your code may not call fork in this test' <<<"$out" &&
        grep -q 'your code must call mq_send or mq_timedsend in this test (the exercise is about them; lab.ini: require), and it called none of them' <<<"$out" &&
        ! grep -q 'FAIL.*run_and_wait::true_exits_zero' <<<"$out" &&
        ! grep -q 'FAIL.*describe_status::killed_by_signal' <<<"$out"; then
        pass "$runner runner: forbid and require fail their tests with the call named; the child's execvp counts; a test with no rule is untouched"
    else
        fail "rules-$runner" "$(tail -30 <<<"$out")"
    fi
done

# --- the later wrappers, one by one (tests/calls/shimlab) -----------------------------
# lockf, mremap, nanosleep, clock_nanosleep, pthread_create, pthread_join, msgget,
# semget, shmget, shmat, malloc, calloc, realloc, fread, fwrite and fflush: each
# fails as planned (with its errnos, EINTR only where it can wait, a sleep's rest in
# *rem, error numbers returned), is logged with its arguments, and is gone in a
# program the student's code execs. Two tests must fail: a rule on pthread_join, and
# a mutex unlocked by a thread that does not hold it (shim_locks.c).
cp -r tests/calls/shimlab "$TMP/course/labs/99-shim"
SHIMLAB="$TMP/course/labs/99-shim"
if ! cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread -o "$TMP/exec_helper" \
    tests/calls/exec_helper.c >"$TMP/helper.log" 2>&1; then
    fail build-helper "$(tail -5 "$TMP/helper.log")"
fi
for shim in 1 0; do
    make -s -C "$SHIMLAB" all WERROR=1 SHIM=$shim IPCLAB="$IPC" BUILD_DIR="$TMP/shim$shim" \
        >"$TMP/shim$shim.log" 2>&1 || fail "build-shimlab-$shim" "$(tail -5 "$TMP/shim$shim.log")"
done
for runner in exec fork; do
    env_runner=()
    [ $runner = fork ] && env_runner=(IPCLAB_FORK_RUNNER=1)
    out=$(env "${env_runner[@]}" SHIMTEST_HELPER="$TMP/exec_helper" timeout 120 \
        "$ROOT/tests/lib/isolate.sh" "$TMP/shim1/run-tests" 2>&1)
    if grep -q 'Tested: 23 | Passing: 21 | Failing: 2 | Crashing: 0' <<<"$out" &&
        grep -q 'FAIL.*thread::join_rule_refused' <<<"$out" &&
        grep -q 'FAIL.*locks::unheld_unlock_fails' <<<"$out" &&
        grep -q 'called pthread_mutex_unlock(0x[0-9a-f]*) on a mutex it does not hold (no thread held it)' <<<"$out" &&
        grep -q "'pthread_join' is logged, never failed" <<<"$out"; then
        pass "$runner runner: lockf, mremap, nanosleep, clock_nanosleep, pthread_create, pthread_join, msgget, semget, shmget, shmat, malloc, calloc, realloc, fread, fwrite and fflush fail as planned, clock_gettime keeps its plan, the blocks the student holds are counted, are logged, and are gone after exec; a rule on pthread_join is refused; require = pthread_sigmask is met by a call; a mutex unlocked by a thread that does not hold it fails its test, and correct lock calls (atfork's idiom, error-checking and recursive mutexes) do not"
    else
        fail "later-wrappers-$runner" "$(grep -E '^\[(FAIL|----)|Synthesis' <<<"$out" | tail -30)"
    fi
done
# The call log keeps the addresses it logs disguised: a block the student's code
# loses while calls are logged is "definitely lost" under memcheck, not reachable
# through the log (which made memcheck miss real leaks in every test that logs).
make -s -C "$SHIMLAB" valgrind WERROR=1 IPCLAB="$IPC" BUILD_DIR="$TMP/shim1" \
    CRITERION_FLAGS=--filter=memory/lost_while_recording >"$TMP/shimvg.log" 2>&1
st=$?
if [ $st != 0 ] && grep -qh 'definitely lost: 24 bytes in 1 blocks' "$TMP"/shim1/vg/*.log; then
    pass "a block lost while calls are logged is definitely lost under memcheck (the log hides its address)"
else
    fail log-hides-addresses "make valgrind exit $st: $(grep -h 'definitely lost\|still reachable' "$TMP"/shim1/vg/*.log 2>&1 | head -5)"
fi
# Without the shim the same tests fail (only the two that expect no fault and no
# lock misuse pass):
# they prove the wrappers, not libc.
out=$(SHIMTEST_HELPER="$TMP/exec_helper" timeout 120 "$ROOT/tests/lib/isolate.sh" \
    "$TMP/shim0/run-tests" 2>&1)
if grep -q 'Tested: 23 | Passing: 2 | Failing: 21' <<<"$out" &&
    ! grep -q 'FAIL.*sleep::zero_or_bad_not_interrupted' <<<"$out"; then
    pass "without the shim (SHIM=0) every wrapper's test fails"
else
    fail later-wrappers-noshim "$(grep -E '^\[(PASS|FAIL)|Synthesis' <<<"$out" | tail -20)"
fi

# --- lab 10: a "posix-mq" transport made of pipes ------------------------------------
build10() { # NAME SRC_DIR
    make -s -C labs/10-choosing-ipc all WERROR=1 SRC_DIR="$2" BUILD_DIR="$TMP/$1" \
        >"$TMP/$1.log" 2>&1 || fail "build-$1" "$(tail -5 "$TMP/$1.log")"
}
mkdir -p "$TMP/mq-is-a-pipe"
scripts/broken.sh apply 10 mq-is-a-pipe "$TMP/mq-is-a-pipe" >/dev/null
build10 ref "$ROOT/solutions/10-choosing-ipc/src"
build10 pipe "$TMP/mq-is-a-pipe"
filter='--filter=transport/@(posix_mq_moves_both_ways|posix_mq_splits_past_msgsize_max|posix_mq_leaves_no_name|pipe_moves_both_ways)'
ref=$(timeout 120 "$ROOT/tests/lib/isolate.sh" "$TMP/ref/run-tests" "$filter" 2>&1)
bad=$(timeout 120 "$ROOT/tests/lib/isolate.sh" "$TMP/pipe/run-tests" "$filter" 2>&1)
if grep -q 'Tested: 4 | Passing: 4 | Failing: 0' <<<"$ref" &&
    grep -q 'Tested: 4 | Passing: 2 | Failing: 2' <<<"$bad" &&
    grep -q 'FAIL.*transport::posix_mq_moves_both_ways' <<<"$bad" &&
    grep -q 'must call mq_send or mq_timedsend' <<<"$bad"; then
    pass "lab 10: the reference passes; a posix-mq channel made of pipes fails its two queue tests"
else
    fail lab10 "reference: $(tail -3 <<<"$ref") / variant: $(tail -12 <<<"$bad")"
fi

test_done
