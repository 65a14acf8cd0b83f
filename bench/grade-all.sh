#!/bin/bash
# grade-all.sh - how `ipclab grade-all` scales: COPIES copies of a lab's solution,
# graded with -j1 and with -j2, median wall time of REPS runs each.
# Usage: bench/grade-all.sh [LAB]     (default lab 00)
#   COPIES=40       students in the class
#   REPS=3          runs per -j setting (the median is reported); REPS=1 for a quick look
#   BENCH_VALGRIND=1  include grade's valgrind pass (off by default: with it one
#                   student costs 30 s or more, and 40 of them take most of an hour)
# Prints each run, then the medians and the scaling factor (-j1 time / -j2 time).
# The class machinery should reach at least 1.8x on two idle cores; on a busy
# machine the figure says more about the load than about grade-all. Each run
# also times a CPU-bound loop (awk) once and twice at a time: its scaling is
# the most this machine's CPUs gave at that moment (virtual CPUs often give
# less than 2x), printed as "ceiling".
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/usage.sh
. "$ROOT/scripts/lib/usage.sh"
usage_check "$0" "$@"
LAB=${1:-00}
COPIES=${COPIES:-40}
REPS=${REPS:-3}
OPTS=(--grade-opt=--no-valgrind)
[ "${BENCH_VALGRIND:-0}" = 1 ] && OPTS=()
W="$ROOT/build/bench/grade-all"

make -s -C "$ROOT" ipclab
SLUG=$(usage_lab "$LAB") || exit 2
rm -rf "$W"
mkdir -p "$W/subs" "$W/root/build"
# A private course root: our own copy of ipclab and build cache, so a
# `make clean` elsewhere in the checkout cannot pull the binary from under us.
for d in Makefile labs grader scripts; do ln -s "$ROOT/$d" "$W/root/$d"; done
cp "$ROOT/build/ipclab" "$W/root/build/ipclab"
IPCLAB="$W/root/build/ipclab"
export IPCLAB_ROOT="$W/root"
for i in $(seq -w 1 "$COPIES"); do
    mkdir -p "$W/subs/student$i"
    cp "$ROOT/solutions/$SLUG/src/"*.c "$W/subs/student$i/"
done

# run J: grade the class with -jJ into a fresh directory; prints the seconds taken
run() {
    rm -rf "$W/out-j$1"
    local t0 t1
    t0=$(date +%s.%N)
    "$IPCLAB" grade-all --lab "$LAB" "$W/subs" --out "$W/out-j$1" -j "$1" -q "${OPTS[@]}"
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }'
}
# ceiling: seconds for 2 loops one after the other / seconds for 2 at once
ceiling() {
    local t0 t1 t2
    loop() { awk 'BEGIN { for (i = 0; i < 1.5e7; i++) s += i % 7; exit s < 0 }'; }
    t0=$(date +%s.%N)
    loop && loop
    t1=$(date +%s.%N)
    loop &
    loop
    wait
    t2=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%.2f\n", (b - a) / (c - b) }'
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "grade-all bench: lab $SLUG, $COPIES copies of the solution, $REPS run(s) each," \
    "valgrind $([ ${#OPTS[@]} -eq 0 ] && echo on || echo off), $(nproc) CPUs," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$W/j1.times"
: >"$W/j2.times"
: >"$W/ceiling"
for r in $(seq "$REPS"); do
    t=$(run 1)
    echo "$t" >>"$W/j1.times"
    printf '  run %d  -j1 %7.1f s' "$r" "$t"
    t=$(run 2)
    echo "$t" >>"$W/j2.times"
    printf '   -j2 %7.1f s' "$t"
    c=$(ceiling)
    echo "$c" >>"$W/ceiling"
    printf '   (ceiling %sx)\n' "$c"
    cp "$W/out-j1/gradebook.csv" "$W/gradebook-$r-j1.csv"
    cp "$W/out-j2/gradebook.csv" "$W/gradebook-$r-j2.csv"
done
j1=$(median <"$W/j1.times")
j2=$(median <"$W/j2.times")
same=identical
for g in "$W"/gradebook-*.csv; do
    cmp -s "$g" "$W/gradebook-1-j1.csv" || same="DIFFERENT (diff $W/gradebook-1-j1.csv $g)"
done
printf 'median -j1 %.1f s, -j2 %.1f s: scaling %.2fx (gradebooks %s); ceiling %.2fx\n' \
    "$j1" "$j2" "$(awk -v a="$j1" -v b="$j2" 'BEGIN { print a / b }')" "$same" \
    "$(median <"$W/ceiling")"
