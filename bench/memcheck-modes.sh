#!/bin/bash
# memcheck-modes.sh - the memcheck pass's findings of this tree's grader
# against those of git revision REV's (built in a worktree under build/bench/):
# the same submissions graded both ways. A change to the memcheck options, the
# runners (labs/support/forkrun.c, runners.c) must find the same things.
# Usage: AGAINST=REV bench/memcheck-modes.sh [SET...]
#   SET: solutions (every lab's reference), variants (the broken variants
#   named like a memory or fd bug), cases (bench/memcheck-cases: memory
#   errors and leaks made on purpose), or LAB/VARIANT. Default: all three.
# For every submission it compares, test by test, the verdict, memcheck's
# error count, definitely lost bytes and blocks and the first line of the
# first error and leak, and every deduction (category, test, points).
# Prints one line per submission (SAME or DIFF with the differences) and the
# total valgrind seconds of each side; exits 1 if any submission differs.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/usage.sh
. "$ROOT/scripts/lib/usage.sh"
usage_check "$0" "$@"
cd "$ROOT" || exit 2
IPCLAB="$ROOT/build/ipclab"
OUT="$ROOT/build/bench/memcheck-modes"
make -s ipclab >/dev/null || exit 2

# The two sides compared: their names and ipclab commands.
if [ -z "${AGAINST:-}" ]; then
    echo "memcheck-modes: say which revision to compare with: AGAINST=REV $0 [SET...]" >&2
    exit 2
fi
rev=$(git rev-parse --short "$AGAINST^{commit}") || exit 2
tree="$ROOT/build/bench/against-$rev"
[ -d "$tree" ] || git worktree add -q --detach "$tree" "$rev" || exit 2
make -s -C "$tree" ipclab >/dev/null || exit 2
A=$rev B=this
declare -A cmd=([$A]="$tree/build/ipclab" [this]="$IPCLAB")

# The memory and fd bugs among the broken variants.
memory_variants() {
    find tests/broken -mindepth 2 -maxdepth 2 -type d | sed 's|^tests/broken/||' |
        grep -E 'leak|free|overflow|uninit|alloc|small-buffer|no-space|fd' | sort
}

# submissions SET...: one "KIND LAB NAME" line per submission.
submissions() {
    local set
    for set in "$@"; do
        case "$set" in
        solutions) for d in solutions/[0-9][0-9]-*/; do echo "solution $(basename "$d") -"; done ;;
        variants) memory_variants | awk -F/ '{print "variant", $1, $2}' ;;
        cases) for p in bench/memcheck-cases/*/*.patch; do
            echo "case $(basename "$(dirname "$p")") $(basename "$p" .patch)"
        done ;;
        */*) echo "variant ${set%/*} ${set#*/}" ;;
        *) echo "memcheck-modes: unknown set '$set'" >&2; exit 2 ;;
        esac
    done
}

# make_submission KIND LAB NAME DIR: the student files of that submission.
make_submission() {
    local kind=$1 lab=$2 name=$3 dir=$4
    mkdir -p "$dir"
    case "$kind" in
    solution) cp "solutions/$lab/src/"* "$dir/" ;;
    variant) scripts/broken.sh apply "$lab" "$name" "$dir" >/dev/null ;;
    case) cp "solutions/$lab/src/"* "$dir/" &&
        patch -s -p1 --fuzz=0 -d "$dir" <"bench/memcheck-cases/$lab/$name.patch" ;;
    esac
}

# findings REPORT: what memcheck found, one sorted line per fact.
findings() {
    jq -r '(.tests[] | "test \(.name) \(.verdict) " + (if .valgrind == null then "no-memcheck"
            else "errors=\(.valgrind.errors) lost=\(.valgrind.leak_bytes)/\(.valgrind.leak_blocks) " +
                 "first_error=\(((.valgrind.first_error // "") | split("\n")[0]) // "") " +
                 "first_leak=\((((.valgrind.first_leak // "") | split("\n")[0]) // "") | sub("^[0-9,]+ bytes"; "N bytes") | sub("loss record [0-9]+ of [0-9]+"; "loss record"))"
            end)),
           (.deductions[] | "deduction \(.category) \(.test) \(.points)")' "$1" | sort
}

status=0
declare -A secs=([$A]=0 [$B]=0)
[ $# -gt 0 ] || set -- solutions variants cases
# (A set it does not know ends the run here, before anything is graded.)
submissions "$@" >/dev/null || exit 2
mapfile -t subs < <(submissions "$@")
rm -rf "$OUT"
mkdir -p "$OUT"
for s in "${subs[@]}"; do
    read -r kind lab name <<<"$s"
    tag="$lab-$name"
    make_submission "$kind" "$lab" "$name" "$OUT/$tag/src" || {
        echo "SKIP $tag: could not make the submission"
        continue
    }
    for mode in "$A" "$B"; do
        "${cmd[$mode]}" grade --lab "${lab%%-*}" \
            --submission "$OUT/$tag/src" -q --jobs 2 --report-json "$OUT/$tag/$mode.json" \
            >"$OUT/$tag/$mode.log" 2>&1
        findings "$OUT/$tag/$mode.json" >"$OUT/$tag/$mode.findings"
        secs[$mode]=$(jq -r --arg t "${secs[$mode]}" '.timing.valgrind + ($t | tonumber)' \
            "$OUT/$tag/$mode.json")
    done
    if [ ! -s "$OUT/$tag/$A.findings" ] || [ ! -s "$OUT/$tag/$B.findings" ]; then
        echo "FAIL $tag: no report (see $OUT/$tag/$A.log, $B.log)"
        status=1
    elif diff -q "$OUT/$tag/$A.findings" "$OUT/$tag/$B.findings" >/dev/null; then
        printf 'SAME %-50s %s\n' "$tag" "$(grep -c -E 'errors=[1-9]|lost=[1-9]' \
            "$OUT/$tag/$B.findings") tests with findings, $(grep -c '^deduction' \
            "$OUT/$tag/$B.findings") deductions"
    else
        echo "DIFF $tag ($A < > $B):"
        diff "$OUT/$tag/$A.findings" "$OUT/$tag/$B.findings" | grep '^[<>]' | sed 's/^/    /'
        status=1
    fi
done
printf 'valgrind seconds, summed over %d submissions: %s %.1f, %s %.1f\n' \
    "${#subs[@]}" "$A" "${secs[$A]}" "$B" "${secs[$B]}"
exit $status
