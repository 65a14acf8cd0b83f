# common.sh - what the project's test scripts share: result lines, the completion line,
# temporary directories removed at exit, and waiting for a condition.
# shellcheck shell=bash
# Usage (bash), from a script in tests/:
#   . "$(dirname "$0")/lib/common.sh"; test_begin WORD; ...; test_done
# It sets ROOT (the course root) and `set -uo pipefail` (an unset variable stops
# the script, and run-all then reports it as unfinished).
#
#   test_begin WORD        result lines read "PASS WORD NAME"; failures are counted from here
#   pass NAME              a check passed
#   fail NAME WHY          a check failed: WHY on one line (at most 1000 characters)
#   skip NAME [WHY]        a check that cannot run on this machine, and why
#   check NAME WHY CMD...  PASS when CMD succeeds, else FAIL with WHY
#   test_done              the completion line "DONE <script>", then exit: 1 after any
#                          FAIL, else 0 (a deliberate early end calls it too)
#   test_tmpdir VAR PREFIX a new directory under $TMPDIR in VAR, removed at exit
#   test_at_exit CMD       run the string CMD at exit (before the directories go)
#   wait_until SECONDS CMD...  run CMD every 0.2 s until it succeeds; 1 if it never did
#
# tests/run-all.sh counts a script green only when it exits 0 and the last line it
# prints is "DONE <its file name>": a script that dies halfway (an unset variable,
# a failed command under set -e, a signal) cannot look finished. FAIL lines from
# subshells (xargs, pipelines) count too: they are recorded in a file, not a variable.

set -uo pipefail
T_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034 # for the scripts that source this file
ROOT=$T_ROOT
T_SCRIPT=$(basename "$0")
T_WORD=${T_SCRIPT%%.*}
T_DIRS=()
T_AT_EXIT=()

# test_begin WORD: name the checks and start counting failures.
test_begin() {
    T_WORD=$1
    mkdir -p "$T_ROOT/build/test"
    T_FAILED_FILE="$T_ROOT/build/test/.$T_SCRIPT.$$.failed" # per run: lab-checks run side by side
    : >"$T_FAILED_FILE"
    T_DIRS+=("$T_FAILED_FILE")
    export T_WORD T_FAILED_FILE
}

pass() { echo "PASS $T_WORD $1"; }

fail() {
    echo "FAIL $T_WORD $1: $(printf '%s' "${2:-}" | tr "\n" " " | cut -c1-1000)"
    [ -n "${T_FAILED_FILE:-}" ] && echo "$1" >>"$T_FAILED_FILE"
    return 0
}

skip() { echo "SKIP $T_WORD $1${2:+: $2}"; }

# need_ipclab: build the course's ipclab (build/ipclab), or fail and end the script.
need_ipclab() {
    make -s -C "$T_ROOT" ipclab >/dev/null || {
        fail build "make ipclab failed"
        test_done
    }
}

check() {
    local name=$1 why=$2
    shift 2
    if "$@" >/dev/null 2>&1; then pass "$name"; else fail "$name" "$why"; fi
}

# test_done: print the completion line and exit (1 when any check failed).
test_done() {
    local failed=0
    [ -s "${T_FAILED_FILE:-/nonexistent}" ] && failed=1
    echo "DONE $T_SCRIPT"
    exit "$failed"
}

# The exit handler: the registered commands, then the temporary directories.
t_at_exit() {
    local c d
    for c in "${T_AT_EXIT[@]}"; do eval "$c"; done
    for d in "${T_DIRS[@]}"; do
        chmod -R u+w "$d" 2>/dev/null
        rm -rf "$d"
    done
}
trap t_at_exit EXIT
trap 'exit 1' INT TERM

test_at_exit() { T_AT_EXIT+=("$1"); }

# test_tmpdir VAR PREFIX: VAR=a fresh directory (mode 755: the grader's sandbox uid reads it).
test_tmpdir() {
    local dir
    dir=$(mktemp -d "${TMPDIR:-/tmp}/$2.XXXXXX") || {
        echo "test_tmpdir: cannot create a directory under ${TMPDIR:-/tmp}" >&2
        exit 2
    }
    chmod 755 "$dir"
    T_DIRS+=("$dir")
    printf -v "$1" '%s' "$dir"
}

# wait_until SECONDS CMD...: poll CMD (not a fixed delay); 0 once it succeeds.
wait_until() {
    local end=$((SECONDS + $1))
    shift
    while [ $SECONDS -lt "$end" ]; do
        "$@" && return 0
        sleep 0.2
    done
    "$@"
}
