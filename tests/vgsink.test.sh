#!/bin/bash
# vgsink.test.sh - the grader's valgrind log sinks (grader/engine/vgsink.c) under load.
# Usage: tests/vgsink.test.sh            (VGSINK_REPEAT=N runs each case N times, default 10)
#
# Each memcheck run of a grade has a sink with its own reader thread. This
# builds tests/vgsink/sinks.c with the sink and runs it: several sinks at once,
# many processes writing to each, and every process's log must hold its own
# lines and nothing else (a buffer the readers shared once handed one sink's
# test marker to another sink's process, and memcheck then "did not finish"
# a test that had run). Cases: 4 sinks x 16 writers, the same on one CPU, and
# 1 sink x 1 writer. Ends with DONE.
# shellcheck disable=SC2086 # $CFLAGS is a list of words
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh" # sets ROOT, set -uo pipefail
test_begin vgsink
OUT="$ROOT/build/test/vgsink"
REPEAT=${VGSINK_REPEAT:-10}
mkdir -p "$OUT"
test_tmpdir WORK ipclab-vgsink

CFLAGS="$(grep -v '^#' "$ROOT/labs/support/cflags") -Werror -g -O2"
if ! cc $CFLAGS -I"$ROOT/grader" -o "$OUT/sinks" "$ROOT/tests/vgsink/sinks.c" \
    "$ROOT/grader/engine/vgsink.c" "$ROOT/grader/hang/procfs.c" -pthread \
    2>"$OUT/build.log"; then
    fail build "$(head -3 "$OUT/build.log")"
    test_done
fi

# sinks NAME CMD...: run CMD DIR (CMD: the program and its counts, maybe after taskset)
# REPEAT times, each in a fresh DIR; it must print only "ok".
sinks() {
    local name=$1 i dir out
    shift
    for i in $(seq 1 "$REPEAT"); do
        dir=$(mktemp -d "$WORK/$name.XXXXXX")
        if ! out=$(timeout 60 "$@" "$dir" 2>&1) || [ "$out" != ok ]; then
            fail "$name" "run $i of $REPEAT: $out"
            return
        fi
        rm -rf "$dir"
    done
    pass "$name"
}

sinks four-sinks-at-once "$OUT/sinks" 4 16 2000
if taskset -c 0 true 2>/dev/null; then
    sinks four-sinks-one-cpu taskset -c 0 "$OUT/sinks" 4 16 2000
else
    skip four-sinks-one-cpu "taskset cannot pin to CPU 0 here"
fi
sinks one-writer "$OUT/sinks" 1 1 10
test_done
