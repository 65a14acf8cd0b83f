#!/bin/bash
# run-all.sh - the project's own test suite (`make test`, what CI runs).
#
# Runs the static checks (clang-format, cppcheck, shellcheck), every
# tests/*.test.sh (tools and grader tests), then tests/lab-check.sh for every
# lab, two labs at a time (labs with speed gates alone, at the end).
# Prints each check as PASS/FAIL and ends with "N passed, N failed".
#
# A script counts only when it finished: it must exit 0 and the last line it
# prints must be "DONE <its file name>" (tests/lib/common.sh's test_done). A
# non-zero exit or a missing DONE line is a FAIL line naming the script, so a
# script that dies halfway cannot leave the suite green. Each script's whole
# output (stdout and stderr) is kept in $TEST_OUT/NAME.log.
#
# Environment (tests/run-all.test.sh uses these on a throwaway directory):
#   TEST_SCRIPTS="a.test.sh ..."  the scripts to run (default tests/*.test.sh)
#   LABS="labs/01-pipes ..."      the labs to check (default all; empty: none)
#   TEST_OUT=DIR                  where logs and results go (default build/test)
#   STATIC=0                      skip the static checks
#   JOBS=N                        labs checked at a time (default: the CPUs)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
OUT=${TEST_OUT:-$ROOT/build/test}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
JOBS=${JOBS:-$(nproc)}
LABS=${LABS-$(ls -d labs/[0-9][0-9]-*)}
TEST_SCRIPTS=${TEST_SCRIPTS:-$(ls tests/*.test.sh)}

results="$OUT/results.txt"
: >"$results"

record() { tee -a "$results"; }

# static NAME TARGET: PASS when `make TARGET` succeeds, else FAIL with its first lines.
static() {
    if make -s "$2" >"$OUT/$2.log" 2>&1; then
        echo "PASS project $1"
    else
        echo "FAIL project $1: $(head -10 "$OUT/$2.log" | tr '\n' ' ' | cut -c1-600)"
    fi
}

# checked LABEL NAME LOG CMD...: run CMD, its whole output (stdout and stderr)
# in LOG; print its PASS/FAIL/SKIP lines as they come, then "FAIL LABEL: why"
# when it exited non-zero or its last line was not "DONE NAME".
checked() {
    local label=$1 name=$2 log=$3 out="$3.stdout" status last why=""
    shift 3
    : >"$log"
    : >"$out"
    # shellcheck disable=SC2094 # both append to LOG (O_APPEND): stderr and stdout interleave
    "$@" 2>>"$log" | tee -a "$log" "$out" | grep --line-buffered -E '^(PASS|FAIL|SKIP) '
    status=${PIPESTATUS[0]}
    last=$(tail -n 1 "$out")
    if [ "$last" != "DONE $name" ]; then
        why="it stopped before its completion line 'DONE $name'"
        [ "$status" -ne 0 ] && why="$why and exited with status $status"
    elif [ "$status" -ne 0 ]; then
        why="it exited with status $status after $(grep -c '^FAIL ' "$out") FAIL lines"
    fi
    if [ -n "$why" ]; then
        echo "FAIL $label: $why (log: ${log#"$ROOT"/}; its last stderr line: $(
            grep -v -x -F -f "$out" "$log" 2>/dev/null | tail -n 1 | cut -c1-200))"
    fi
    rm -f "$out"
}

if [ "${STATIC:-1}" != 0 ]; then
    {
        static clang-format format-check
        static cppcheck cppcheck
        static shellcheck shellcheck
    } | record
fi

# Tool tests: each prints its own PASS/FAIL lines, then DONE.
for t in $TEST_SCRIPTS; do
    [ -e "$t" ] || continue
    checked "$(basename "$t")" "$(basename "$t")" "$OUT/$(basename "$t").log" bash "$t" | record
done

# Labs, in parallel; each lab's lines are printed together when it ends.
# A lab with speed gates (manifest option perf) runs afterwards, alone:
# its ratios are measured on both CPUs and must not share them.
parallel_labs=""
perf_labs=""
for lab in $LABS; do
    if [ -n "$(build/ipclab manifest --perf "$lab" 2>/dev/null)" ]; then
        perf_labs="$perf_labs $lab"
    else
        parallel_labs="$parallel_labs $lab"
    fi
done
# check_lab LAB: lab-check.sh's lines, printed together when it ends (log: SLUG.check.log).
check_lab() {
    local slug
    slug=$(basename "$1")
    checked "$slug lab-check.sh" lab-check.sh "$OUT/$slug.check.log" tests/lab-check.sh "$1" >"$OUT/$slug.lines"
    cat "$OUT/$slug.lines"
    rm -f "$OUT/$slug.lines"
}
if [ -n "$parallel_labs" ] || [ -n "$perf_labs" ]; then
    export -f checked check_lab
    export OUT ROOT
fi
# shellcheck disable=SC2086,SC2016 # split the list; $1 is bash -c's own argument
[ -n "$parallel_labs" ] &&
    printf '%s\n' $parallel_labs | xargs -P "$JOBS" -I{} bash -c 'check_lab "$1"' bash {} | record
for lab in $perf_labs; do
    check_lab "$lab" | record
done

passed=$(grep -c '^PASS ' "$results")
failed=$(grep -c '^FAIL ' "$results")
echo
if [ "$failed" -gt 0 ]; then
    echo "Failed checks:"
    grep '^FAIL ' "$results" | cut -c1-200
    echo
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
