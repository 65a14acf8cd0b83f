#!/bin/bash
# shim-cost.sh - what the shim (labs/support/shim.c) costs a native run of a lab.
# Usage: bench/shim-cost.sh [LAB] [RUNS]   (default: lab 01, 15 runs of each build)
#
# Builds the lab's tests on the reference solution twice, with the shim with
# no plan in force (SHIM=idle: the student's calls go through the wrappers as
# in make check and the grader, but a test's fault plan, call log or planned
# clock is never turned on) and without it (SHIM=0: the student's objects
# call libc directly), then runs the two binaries alternately, RUNS times
# each, one test at a time (--jobs 1, less noise than parallel workers), and
# prints the median wall and CPU (user + sys, children included) seconds of
# each and their ratio, shim / no shim: the goal is under 1.02. Both run the
# tests that pass without the shim: the others inject faults or check calls,
# which fail at once without it (or wait for a timeout), so their time would
# measure the failure, not the shim. (A plan's own effect, such as a test
# that waits for the clock's planned nanoseconds, is the test's time, not
# the shim's cost: SHIM=idle leaves it out.) Alternating
# runs in one session share the machine's load, so the ratio means something
# even on a busy machine where absolute times do not. A second figure is the
# wrapper's own cost per call with no plan in force: a million 1-byte writes
# to /dev/null through the wrapper and directly, medians of 7 rounds.
# Exits 1 if a run failed, 2 on a usage or build error.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/usage.sh
. "$ROOT/scripts/lib/usage.sh"
usage_check "$0" "$@"
cd "$ROOT" || exit 2
LAB=${1:-01}
RUNS=${2:-15}
usage_count RUNS "$RUNS"
dirs=(labs/"$LAB"-*/)
DIR=${dirs[0]}
[ -d "$DIR" ] || { echo "shim-cost: no lab $LAB" >&2; exit 2; }
SLUG=$(basename "$DIR")
OUT="$ROOT/build/bench/shim-cost/$SLUG"
mkdir -p "$OUT"
for mode in idle 0; do
    make -s -C "$DIR" all WERROR=1 SHIM=$mode SRC_DIR="$ROOT/solutions/$SLUG/src" \
        BUILD_DIR="$OUT/shim$mode" >/dev/null || exit 2
done

# The tests both builds pass (see above), as one Criterion filter.
"$OUT/shim0/run-tests" --jobs 1 --verbose >"$OUT/both.log" 2>&1
mapfile -t both < <(sed -n 's|^\[PASS\] \([^:]*\)::\([^:]*\):.*|\1/\2|p' "$OUT/both.log")
all=$(grep -c '^\[\(PASS\|FAIL\|SKIP\)' "$OUT/both.log")
[ "${#both[@]}" -gt 0 ] || { echo "shim-cost: no test passes without the shim" >&2; exit 1; }
FILTER="--filter=@($(IFS='|'; echo "${both[*]}"))"

# One run: "wall cpu" seconds, from GNU time's format (%e elapsed, %U + %S).
# Every test of the filter must pass, with the shim and without it.
run() {
    /usr/bin/time -f '%e %U %S' -o "$OUT/time" "$OUT/shim$1/run-tests" --jobs 1 \
        "$FILTER" >"$OUT/run.log" 2>&1 ||
        { echo "shim-cost: a run failed (shim=$1):" >&2
          tail -5 "$OUT/run.log" >&2; exit 1; }
    awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$OUT/time"
}
: >"$OUT/t1"; : >"$OUT/t0"
for _ in $(seq "$RUNS"); do
    run idle >>"$OUT/t1"
    run 0 >>"$OUT/t0"
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
w1=$(cut -d' ' -f1 "$OUT/t1" | median); w0=$(cut -d' ' -f1 "$OUT/t0" | median)
c1=$(cut -d' ' -f2 "$OUT/t1" | median); c0=$(cut -d' ' -f2 "$OUT/t0" | median)
echo "lab $SLUG, the ${#both[@]} of its $all tests that pass without the shim, $RUNS runs each, one test at a time, medians:"
awk -v w1="$w1" -v w0="$w0" -v c1="$c1" -v c0="$c0" 'BEGIN {
    printf "  wall  shim %.2f s   no shim %.2f s   ratio %.3f\n", w1, w0, w1 / w0
    printf "  cpu   shim %.2f s   no shim %.2f s   ratio %.3f\n", c1, c0, c1 / c0 }'

# The wrapper alone: the same loop with write renamed to the shim's and not.
cat >"$OUT/calls.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
int main(void)
{
    int fd = open("/dev/null", O_WRONLY);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < 1000000; i++)
        if (write(fd, "x", 1) != 1)
            return 1;
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.1f\n", ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1e6);
    return 0;
}
C
S="$OUT/shimidle"
cc -O1 -c -o "$OUT/calls.o" "$OUT/calls.c" || exit 2
objcopy --redefine-syms="$S/support/shim.map" "$OUT/calls.o" "$OUT/calls-shim.o" || exit 2
cc -o "$OUT/calls-direct" "$OUT/calls.o" || exit 2
cc -pthread -o "$OUT/calls-shim" "$OUT/calls-shim.o" "$S/support/shim.o" "$S/support/shim_heap.o" "$S/support/shim_locks.o" "$S/tests/call_rules.o" -lcriterion -lrt || exit 2
: >"$OUT/n1"; : >"$OUT/n0"
for _ in 1 2 3 4 5 6 7; do
    "$OUT/calls-shim" >>"$OUT/n1"; "$OUT/calls-direct" >>"$OUT/n0"
done
n1=$(median <"$OUT/n1"); n0=$(median <"$OUT/n0")
awk -v a="$n1" -v b="$n0" 'BEGIN {
    printf "  write(2) of 1 byte to /dev/null: %.1f ns through the shim, %.1f ns direct (%+.1f ns, ratio %.3f)\n", a, b, a - b, a / b }'
