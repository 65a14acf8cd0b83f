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
# Kept between runs (its build/ too, so make rebuilds only what changed); one
# scratch lab per lab and variant: two runs of the same one at once would clash.
name=reference
[ -n "$src" ] && name=src
[ -n "$variant" ] && name=$variant
scratch="$ROOT/build/stress/$slug-$name/labs"
ref="$ROOT/build/stress/$slug-reference/labs/$slug/build"
if [ ! -d "$scratch/$slug/build" ] && [ -d "$ref/tests" ]; then
    # A new scratch lab borrows the reference's compiled tests and support code.
    mkdir -p "$scratch/$slug/build"
    cp -rp "$ref/tests" "$ref/support" "$scratch/$slug/build/"
fi
mkdir -p "$scratch/$slug"
for f in lab.mk support allowed-calls.txt; do
    [ -e "$ROOT/labs/$f" ] && ln -sfn "$ROOT/labs/$f" "$scratch/$f"
done
# (tar and cp -p keep the times: make sees unchanged files as unchanged.)
(cd "$ROOT/labs/$slug" && tar --exclude=./build --exclude=./src -cf - .) | (cd "$scratch/$slug" && tar -xf -)
rm -rf "$scratch/$slug/src.new"
if [ -n "$variant" ]; then
    "$ROOT/scripts/broken.sh" apply "$slug" "$variant" "$scratch/$slug/src.new"
else
    cp -rp "${src:-$ROOT/solutions/$slug/src}" "$scratch/$slug/src.new"
fi
# A file whose text did not change keeps the copy already there (and its time).
mkdir -p "$scratch/$slug/src"
for f in "$scratch/$slug/src.new"/*; do
    cmp -s "$f" "$scratch/$slug/src/$(basename "$f")" || cp -p "$f" "$scratch/$slug/src/"
done
rm -rf "$scratch/$slug/src.new"
# A copy of ipclab, so a rebuild of build/ipclab during a long run cannot pull the
# binary from under the runs (IPCLAB_ROOT: the copy's course is still this one).
ipc="$ROOT/build/stress/ipclab.$$"
cp -p "$ROOT/build/ipclab" "$ipc"
trap 'rm -f "$ipc"' EXIT
# lab.mk finds the manifest reader through IPCLAB (the scratch lab has no course root).
IPCLAB_ROOT="$ROOT" IPCLAB="$ipc" "$ipc" check "$scratch/$slug" --stress "$runs" \
    "${seed[@]}" "${glob[@]}"
