#!/bin/bash
# run-all.sh - the project's own test suite (`make test`, what CI runs).
#
# Runs every tests/*.test.sh (tools and grader tests), the formatting and
# cppcheck checks, then tests/lab-check.sh for every lab, two labs at a time
# (labs with speed gates alone, at the end).
# Prints each check as PASS/FAIL and ends with "N passed, N failed".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
OUT="$ROOT/build/test"
mkdir -p "$OUT"
JOBS=${JOBS:-$(nproc)}
LABS=${LABS:-$(ls -d labs/[0-9][0-9]-*)}

results="$OUT/results.txt"
: >"$results"

record() { tee -a "$results"; }

# Static checks.
if make -s format-check >"$OUT/format.log" 2>&1; then
    echo "PASS project clang-format" | record
else
    echo "FAIL project clang-format: $(head -5 "$OUT/format.log")" | record
fi
if make -s cppcheck >"$OUT/cppcheck.log" 2>&1; then
    echo "PASS project cppcheck" | record
else
    echo "FAIL project cppcheck: $(head -10 "$OUT/cppcheck.log")" | record
fi

# Tool tests: each prints its own PASS/FAIL lines.
for t in tests/*.test.sh; do
    [ -e "$t" ] || continue
    bash "$t" 2>&1 | grep -E '^(PASS|FAIL|SKIP) ' | record
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
check_lab() {
    tests/lab-check.sh "$1" >"build/test/$(basename "$1").check.log" 2>&1
    cat "build/test/$(basename "$1").check.log"
}
export -f check_lab
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
