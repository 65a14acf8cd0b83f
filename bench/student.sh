#!/bin/bash
# student.sh - the speed of the student's feedback loop, medians of N runs (default 5).
# Usage: bench/student.sh [LAB] [N]        (LAB default 01)
#
# In a temporary self-study copy of the course (scripts/release.sh), with
# the lab's reference solution in src/:
#   direct   the lab's test binary run directly (labs/NN/build/run-tests)
#   check    `ipclab check NN` (make, the grader's native pass in parallel
#            shards, results, report): the tool's overhead is check - direct
#   watch    in tmux, `ipclab watch NN`: from saving the file (alternately a
#            broken variant and the solution, N times each) to (a) the screen
#            cleared for the new run, (b) when the fix is saved, the verdict
#            of the tests that failed last time (run first) and (c) the
#            whole lab's result line
# Runs are interleaved so that machine load hits each kind alike.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/usage.sh
. "$ROOT/scripts/lib/usage.sh"
usage_check "$0" "$@"
LAB=${1:-01}
N=${2:-5}
usage_count N "$N"
SLUG=$(usage_lab "$LAB") || exit 2
W=$(mktemp -d "${TMPDIR:-/tmp}/ipclab-bench.XXXXXX")
SESSION="ipclab-bench-$$"
trap 'tmux kill-session -t "$SESSION" 2>/dev/null; chmod -R u+w "$W"; rm -rf "$W"' EXIT
trap 'exit 1' INT TERM
export NO_COLOR=1

make -s -C "$ROOT" ipclab >/dev/null || exit 2
"$ROOT/scripts/release.sh" "$W/c" self-study >/dev/null || exit 2
mkdir -p "$W/c/build" && cp "$ROOT/build/ipclab" "$W/c/build/ipclab"
C="$W/c"
IPC="$C/build/ipclab"
SRCF=$(find "$C/labs/$SLUG/src" -maxdepth 1 -name '*.c' | sort | head -1)
FILE=$(basename "$SRCF")
SOL="$C/solutions/$SLUG/src/$FILE"
VARIANT=$(find "$ROOT/tests/broken/$SLUG" -mindepth 1 -maxdepth 1 -type d | sort | head -1)
"$ROOT/scripts/broken.sh" apply "$SLUG" "$(basename "$VARIANT")" "$W/broken"
BROKEN="$W/broken/$FILE"
NTESTS=$(grep -c '^\[test ' "$C/labs/$SLUG/lab.ini")
cp "$SOL" "$SRCF"
"$IPC" check "$LAB" >/dev/null # build once; later runs reuse the objects

now() { date +%s.%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f", m }'; }

: >"$W/direct" && : >"$W/check"
for i in $(seq "$N"); do
    t0=$(now)
    "$C/labs/$SLUG/build/run-tests" >/dev/null 2>&1
    t1=$(now)
    "$IPC" check "$LAB" >/dev/null 2>&1
    t2=$(now)
    echo "$t1 - $t0" | bc -l >>"$W/direct"
    echo "$t2 - $t1" | bc -l >>"$W/check"
done
direct=$(median <"$W/direct")
check=$(median <"$W/check")
echo "lab $LAB: $NTESTS tests, medians of $N (load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "  direct run-tests:      $direct s"
echo "  ipclab check $LAB:       $check s"
echo "  overhead of check:     $(echo "$check - $direct" | bc -l | xargs printf '%.3f') s"

# watch: save -> screen cleared -> result line.
tmux new-session -d -s "$SESSION" -x 160 -y 60 "cd '$C' && '$IPC' watch $LAB"
pane() { tmux capture-pane -p -t "$SESSION"; }
wait_for() { # REGEX TIMEOUT: poll every 20 ms; 0 when seen
    local end=$(($(date +%s) + $2))
    while [ "$(date +%s)" -lt "$end" ]; do
        pane | grep -qE -- "$1" && return 0
        sleep 0.02
    done
    return 1
}
wait_for 'watching' 300 || { echo "watch: never started"; exit 1; }
: >"$W/clear" && : >"$W/result" && : >"$W/first"
for i in $(seq $((2 * N))); do
    if [ $((i % 2)) = 1 ]; then src=$BROKEN want='tests pass' not="$NTESTS/$NTESTS tests pass"; else src=$SOL want="$NTESTS/$NTESTS tests pass" not=''; fi
    t0=$(now)
    cp "$src" "$SRCF"
    until ! pane | grep -q 'watching'; do sleep 0.02; done
    t1=$(now)
    if [ $((i % 2)) = 0 ]; then
        until pane | grep -q '(filtered)'; do sleep 0.02; done
        echo "$(now) - $t0" | bc -l >>"$W/first"
    fi
    until pane | grep -q 'watching' && pane | grep -qE "$want" &&
        { [ -z "$not" ] || ! pane | grep -q "$not"; }; do sleep 0.02; done
    t2=$(now)
    echo "$t1 - $t0" | bc -l >>"$W/clear"
    echo "$t2 - $t0" | bc -l >>"$W/result"
done
echo "  watch: save -> new run on screen:  $(median <"$W/clear") s"
echo "  watch: save fix -> verdict of the tests that failed: $(median <"$W/first") s"
echo "  watch: save -> whole lab's result on screen:  $(median <"$W/result") s"
