#!/bin/bash
# grade.sh - how long grading one solution takes, against a bare valgrind run.
# Usage: bench/grade.sh [LAB] [RUNS]     (default: lab 01, 5 runs each)
#
# "bare": the lab's test binary (solution) run once under
#   valgrind --trace-children=yes ./run-tests   (the tests memcheck covers:
#   every test but the manifest's no-valgrind and perf ones)
# "grade": `ipclab grade --lab LAB --submission solutions`, end to end
#   (build of the student file, sandbox, native pass, sharded valgrind pass,
#   scoring and reports).
# The two alternate, so a change in machine load hits both alike. Prints
# every run, the medians, grade/bare (the goal is at most 0.1), the
# memcheck pass's seconds per test it covered (the goal is at most 0.15),
# and the CPU seconds the machine was busy during the grade: divided by the
# CPUs, the least time any schedule of that work could take (how far the
# grade is from it).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/usage.sh
. "$ROOT/scripts/lib/usage.sh"
usage_check "$0" "$@"
cd "$ROOT" || exit 2
LAB=${1:-01}
RUNS=${2:-5}
usage_count RUNS "$RUNS"
IPCLAB="$ROOT/build/ipclab"
OUT="$ROOT/build/bench"
make -s ipclab >/dev/null || exit 2
lab_dir=$(find labs -mindepth 1 -maxdepth 1 -name "$LAB-*" | sort | head -1)
[ -n "$lab_dir" ] || { echo "bench: no lab $LAB" >&2; exit 2; }
slug=$(basename "$lab_dir")
mkdir -p "$OUT"
make -s -C "$lab_dir" all WERROR=1 SRC_DIR="$ROOT/solutions/$slug/src" \
    BUILD_DIR="$OUT/$slug" >/dev/null || exit 2
novg=$("$IPCLAB" manifest --no-valgrind "$LAB" | paste -sd'|')
filter=()
[ -n "$novg" ] && filter=(--filter="!($novg)")

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# busy: the machine's CPU time so far, all CPUs, in clock ticks (/proc/stat: user, nice,
# system, irq, softirq). The grade does not reap its sandboxed processes itself, so
# its own CPU count misses them; the bench runs alone and reads the machine's.
busy() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8; exit}' /proc/stat; }

bare=()
grade=()
cpu=()
pertest=()
echo "lab $slug, $RUNS runs each, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$RUNS"); do
    # The bare run's $TMPDIR is its own: a worker Criterion kills at its
    # timeout leaves its vgdb FIFOs (and its test's folder) there, not in /tmp.
    rm -rf "$OUT/vg" "$OUT/tmp" && mkdir -p "$OUT/vg" "$OUT/tmp"
    t0=$(now)
    TMPDIR="$OUT/tmp" valgrind --trace-children=yes --log-file="$OUT/vg/%p.log" \
        "$OUT/$slug/run-tests" \
        "${filter[@]}" >"$OUT/bare.log" 2>&1
    t1=$(now)
    c1=$(busy)
    "$IPCLAB" grade --lab "$LAB" --submission solutions -q --report-json "$OUT/grade.json" \
        >"$OUT/grade.log" 2>&1
    rc=$?
    t2=$(now)
    cpu+=("$(echo "($(busy) - $c1) / $(getconf CLK_TCK)" | bc -l)")
    b=$(echo "$t1 - $t0" | bc)
    g=$(echo "$t2 - $t1" | bc)
    bare+=("$b")
    grade+=("$g")
    pertest+=("$(jq -r '.timing.valgrind / ([.tests[] | select(.valgrind != null)] | length)' \
        "$OUT/grade.json" 2>/dev/null || echo 0)")
    printf 'run %d: bare valgrind %6.1f s   ipclab grade %6.1f s, %4.1f CPU-s (exit %d, %s)   load %s\n' \
        "$i" "$b" "$g" "${cpu[-1]}" "$rc" "$(jq -r '"\(.score)/\(.max_score), build \(.timing.build|.*10|floor/10) native \(.timing.native|.*10|floor/10) valgrind \(.timing.valgrind|.*10|floor/10) s"' "$OUT/grade.json" 2>/dev/null)" \
        "$(cut -d' ' -f1 /proc/loadavg)"
done
mb=$(printf '%s\n' "${bare[@]}" | median)
mg=$(printf '%s\n' "${grade[@]}" | median)
ratio=$(echo "scale=2; $mg / $mb" | bc)
mp=$(printf '%s\n' "${pertest[@]}" | median)
printf 'median: bare valgrind %.1f s, ipclab grade %.1f s, ratio %s (goal <= 0.1)\n' "$mb" "$mg" "$ratio"
printf 'median: memcheck pass %.3f s per test it covered (goal <= 0.15)\n' "$mp"
mc=$(printf '%s\n' "${cpu[@]}" | median)
# The floor: a grade that kept every CPU busy from start to end would take this long.
printf 'median: ipclab grade used %.1f CPU-s: on %d CPUs no less than %.1f s of its %.1f s\n' \
    "$mc" "$(nproc)" "$(echo "$mc / $(nproc)" | bc -l)" "$mg"
