#!/bin/bash
# runners.test.sh - fork runners sharing one run's tests (labs/support/runners.h),
# as the grader's memcheck run does ($IPCLAB_RUNNERS=N): N runners report
# exactly what one runner reports (the reference's passes, a broken
# variant's failures), each test once, and every runner takes some; a runner
# that dies before its report makes the run fail and say so. Lab 00.
# Usage: tests/runners.test.sh   (about 15 s: lab 00 built twice, one
# memcheck run)
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
test_begin runners
cd "$ROOT" || exit 2
need_ipclab
test_tmpdir TMP runners
LAB=00-processes
VARIANT=tests/broken/$LAB/killed-child-exit-status # fails the tests of a killed child's status

# build NAME SRC_DIR: lab 00's test binary at $TMP/NAME/run-tests.
build() {
    make -s -C "labs/$LAB" all WERROR=1 SRC_DIR="$2" BUILD_DIR="$TMP/$1" \
        >"$TMP/$1.build.log" 2>&1 || fail "build-$1" "$(tail -5 "$TMP/$1.build.log")"
}
build reference "$ROOT/solutions/$LAB/src"
cp -r "$ROOT/solutions/$LAB/src" "$TMP/variant-src"
(cd "$TMP/variant-src" && patch -s -p1 --fuzz=0 <"$ROOT/$VARIANT/bug.patch") &&
    build variant "$TMP/variant-src"
if [ ! -x "$TMP/reference/run-tests" ] || [ ! -x "$TMP/variant/run-tests" ]; then
    test_done
fi

# run NAME RUNNERS: the binary's run with that many runners; its output in
# $TMP/NAME.RUNNERS.out, results in $TMP/NAME.RUNNERS.json; prints the exit status.
run() {
    (cd "$TMP" && IPCLAB_FORK_RUNNER=1 IPCLAB_RUNNERS=$2 \
        IPCLAB_RESULTS_FILE="$TMP/$1.$2.json" timeout 120 \
        "$ROOT/tests/lib/isolate.sh" "$TMP/$1/run-tests" >"$TMP/$1.$2.out" 2>&1)
    echo $?
}

# outcomes FILE: "name status" per test, sorted.
outcomes() {
    jq -r '.tests[] | "\(.name) \(.status)"' "$1" | LC_ALL=C sort
}

for name in reference variant; do
    one=$(run "$name" 1)
    two=$(run "$name" 2)
    want=$(outcomes "$TMP/$name.1.json")
    got=$(outcomes "$TMP/$name.2.json")
    n=$(wc -l <<<"$want")
    names=$(jq -r '.tests[].name' "$TMP/$name.2.json" | LC_ALL=C sort | uniq -d)
    runners=$(jq -r '[.tests[].runner] | unique | join(" ")' "$TMP/$name.2.json")
    synth1=$(grep -o 'Tested: .*' "$TMP/$name.1.out")
    synth2=$(grep -o 'Tested: .*' "$TMP/$name.2.out")
    failed=$(grep -c ' failed$' <<<"$want")
    if [ "$n" -lt 10 ]; then
        fail "$name-listing" "one runner ran $n tests"
    elif [ "$name" = variant ] && [ "$failed" = 0 ]; then
        fail "$name-fails" "the variant $VARIANT fails no test"
    elif [ "$got" != "$want" ] || [ -n "$names" ] || [ "$one" != "$two" ] ||
        [ "$synth1" != "$synth2" ]; then
        fail "$name-same" "exit $one/$two; $synth1 / $synth2; twice: $names; $(diff <(echo "$want") <(echo "$got") | head -5)"
    elif [ "$runners" != "0 1" ]; then
        fail "$name-shared" "runners that ran tests: $runners"
    else
        pass "$name: two runners report what one does ($n tests, $failed failed, exit $one; $(jq '[.tests[] | select(.runner == 1)] | length' "$TMP/$name.2.json") ran by the second)"
    fi
done

# A runner that dies before its report: the first runner says so and the run
# fails. Under memcheck (seconds a test), so that the second runner is caught
# mid-run: both are stopped, it is killed, then the first goes on alone.
OPTS=()
mapfile -t OPTS < <(grep -E '^[[:space:]]*--' labs/support/valgrind.args)
BIN="$TMP/reference/run-tests"
(cd "$TMP" && IPCLAB_FORK_RUNNER=1 IPCLAB_RUNNERS=2 timeout 300 valgrind "${OPTS[@]}" \
    --log-file="$TMP/vg.%p.log" "$BIN" >"$TMP/lost.out" 2>&1) &
job=$!
# first_runner: the oldest process valgrind runs the binary in (not timeout).
first_runner() {
    local pid
    for pid in $(pgrep -f -- "$BIN"); do
        case "$(ps -o comm= -p "$pid")" in memcheck*) echo "$pid" && return 0 ;; esac
    done
    return 1
}
# second_runner: the runner the first forked (its child that did not start a
# session of its own, as a test's child does).
second_runner() {
    local first
    first=$(first_runner) || return 1
    ps -o pid=,sid= --ppid "$first" | awk '$1 != $2 {print $1; exit}' | grep .
}
if wait_until 60 second_runner >/dev/null; then
    first=$(first_runner)
    second=$(second_runner)
    kill -STOP "$first" "$second"
    kill -KILL "$second"
    kill -CONT "$first"
    wait "$job"
    rc=$?
    if [ "$rc" != 0 ] && grep -q 'ended without its report' "$TMP/lost.out"; then
        pass "a runner killed before its report: exit $rc, \"$(grep -o 'runner 1 .*report' "$TMP/lost.out")\""
    else
        fail lost-runner "exit $rc; $(tail -3 "$TMP/lost.out")"
    fi
else
    wait "$job"
    fail lost-runner "the second runner never showed: $(tail -3 "$TMP/lost.out")"
fi
test_done
