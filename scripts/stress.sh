#!/bin/bash
# stress.sh - run `ipclab check LAB --stress RUNS` on any submission's files: the
# reference solution (the default), a broken variant, or a folder.
# Usage: scripts/stress.sh LAB RUNS [--seed S] [--variant VARIANT | --src DIR] [TEST-GLOB]
#
# `ipclab check` builds a lab's own src/; this makes a scratch lab under
# build/stress/ (inside the course, which the grader's sandbox sees) whose src/
# holds the chosen files, then runs the stress check there. Lab authors use it
# to prove that the reference survives many stressed runs (`scripts/stress.sh 05
# 200`) and that a racy variant is caught (`--variant put-unlocks-before-store`).
# The exit status is ipclab check's: 0 when every run passed, 1 when one failed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

usage() {
    sed -n '4p' "$0" | sed 's/^# //' >&2
    exit 2
}

[ $# -ge 2 ] || usage
lab=$1 runs=$2
shift 2
seed=() variant="" src="" glob=()
while [ $# -gt 0 ]; do
    case "$1" in
    --seed) seed=(--seed "$2") && shift 2 ;;
    --variant) variant=$2 && shift 2 ;;
    --src) src=$2 && shift 2 ;;
    -*) usage ;;
    *) glob=("$1") && shift ;;
    esac
done
slug=""
for d in "$ROOT/labs/${lab#labs/}"-*/ "$ROOT/labs/${lab#labs/}"/; do
    if [ -f "$d/lab.ini" ]; then
        slug=$(basename "$d")
        break
    fi
done
[ -n "$slug" ] || {
    echo "stress.sh: no lab '$lab'" >&2
    exit 2
}

[ -x "$ROOT/build/ipclab" ] || make -s -C "$ROOT" ipclab
scratch="$ROOT/build/stress/${variant:-reference}-$$/labs"
trap 'rm -rf "$(dirname "$scratch")"' EXIT
mkdir -p "$scratch/$slug"
for f in lab.mk support allowed-calls.txt; do
    [ -e "$ROOT/labs/$f" ] && ln -s "$ROOT/labs/$f" "$scratch/$f"
done
(cd "$ROOT/labs/$slug" && tar --exclude=./build --exclude=./src -cf - .) | (cd "$scratch/$slug" && tar -xf -)
if [ -n "$variant" ]; then
    "$ROOT/scripts/broken.sh" apply "$slug" "$variant" "$scratch/$slug/src"
else
    cp -r "${src:-$ROOT/solutions/$slug/src}" "$scratch/$slug/src"
fi
# lab.mk finds the manifest reader through IPCLAB (the scratch lab has no course root).
IPCLAB="$ROOT/build/ipclab" "$ROOT/build/ipclab" check "$scratch/$slug" --stress "$runs" \
    "${seed[@]}" "${glob[@]}"
