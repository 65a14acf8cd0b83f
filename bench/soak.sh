#!/bin/bash
# soak.sh - run every lab's solution suite many times and count flaky failures.
# Usage: bench/soak.sh [RUNS] [COPIES] [LAB...]   (default: 50 runs, 1 copy, every lab)
#
# Each lab's reference solution is built once, then its test binary runs
# RUNS times in a row, natively, as Criterion runs it by default (one job
# per CPU), in the same isolation as `make test` (tests/lib/isolate.sh).
# With COPIES > 1, that many loops run at once, as several graders on one
# machine would: tests must not collide on names, keys or ports. A lab
# with speed gates (manifest option perf) runs them too, so soak it alone
# (COPIES 1) on a quiet machine. TASKSET="taskset -c 0" runs everything on
# one CPU, where races surface differently.
#
# Prints one line per lab: runs, failures, and the failing tests by name;
# exits 1 if any run failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/usage.sh
. "$ROOT/scripts/lib/usage.sh"
usage_check "$0" "$@"
cd "$ROOT" || exit 2
RUNS=${1:-50}
COPIES=${2:-1}
usage_count RUNS "$RUNS"
usage_count COPIES "$COPIES"
shift $(($# > 2 ? 2 : $#))
LABS=("$@")
[ ${#LABS[@]} -eq 0 ] &&
    mapfile -t LABS < <(find labs -mindepth 1 -maxdepth 1 -type d -name '[0-9][0-9]-*' -printf '%f\n' | sort)
OUT="$ROOT/build/soak"
make -s ipclab >/dev/null || exit 2
mkdir -p "$OUT"
status=0

# loop SLUG COPY: RUNS runs of the lab's solution; one "test status" line per non-pass.
loop() {
    local slug=$1 copy=$2 i
    for i in $(seq "$RUNS"); do
        local res="$OUT/$slug.$copy.$i.json"
        # shellcheck disable=SC2086 # TASKSET is a command and its arguments
        IPCLAB_RESULTS_FILE="$res" TMPDIR="$OUT/tmp" timeout -k 5 600 ${TASKSET:-} \
            tests/lib/isolate.sh "$OUT/$slug/run-tests" >"$OUT/$slug.$copy.log" 2>&1
        if [ -s "$res" ]; then
            jq -r '.tests[] | select(.status != "passed" and .status != "skipped")
                   | "\(.name) \(.status)"' "$res"
        else
            echo "(run $i) no-results"
        fi
        rm -f "$res"
    done
}

mkdir -p "$OUT/tmp"
for lab in "${LABS[@]}"; do
    slug=$(basename "$(find labs -mindepth 1 -maxdepth 1 -name "$lab*" | sort | head -1)")
    make -s -C "labs/$slug" all WERROR=1 SRC_DIR="$ROOT/solutions/$slug/src" \
        BUILD_DIR="$OUT/$slug" >/dev/null || { echo "$slug: does not build"; status=1; continue; }
    start=$(date +%s)
    for c in $(seq "$COPIES"); do
        loop "$slug" "$c" >"$OUT/$slug.$c.failures" &
    done
    wait
    failures=$(cat "$OUT/$slug".*.failures | wc -l)
    names=$(cat "$OUT/$slug".*.failures | sort | uniq -c | sort -rn | head -5 |
        awk '{printf "%s%s x%s", sep, $2 " " $3, $1; sep = ", "}')
    printf '%-20s %4d runs x %d copies, %3d failures in %4ds%s\n' "$slug" "$RUNS" "$COPIES" \
        "$failures" $(($(date +%s) - start)) "${names:+: $names}"
    [ "$failures" -eq 0 ] || status=1
done
exit $status
