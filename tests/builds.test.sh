#!/bin/bash
# builds.test.sh - a lab build killed midway does not break the next one.
# Usage: tests/builds.test.sh   (run by tests/run-all.sh)
#
# A build can die at any instant with no chance to clean up (SIGKILL from a
# watchdog, the grader dying, a crash, a power cut). labs/lab.mk writes every
# file as NAME.part and renames it once complete, so what such a build leaves
# is never taken as up to date. For each kind of step (the student's file to
# assembly, assembly to object, a test object, the test binary's link), a
# compiler wrapper does the step, cuts its output in half as a killed writer
# would, and SIGKILLs the whole build (make included); then a plain make of
# the same BUILD_DIR must build a test binary that lists the lab's tests.
# With the rules writing the target itself, the next make failed ("open CFI
# at the end of file", "file truncated") until `make clean`.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh" # sets ROOT, set -uo pipefail
test_begin builds
need_ipclab
test_tmpdir W ipclab-builds
mkdir "$W/tmp" && export TMPDIR="$W/tmp" # what a killed gcc leaves goes with W
LAB=$ROOT/labs/01-pipes
SRC=$ROOT/solutions/01-pipes/src
# tests: the number of tests `make list` shows (one "├── name" or "└── name" line each)
tests() { make -s -C "$LAB" list SRC_DIR="$SRC" BUILD_DIR="$1" WERROR=1 2>&1 | tee "$2" | grep -c '── '; }
WANT=$(tests "$W/reference" "$W/reference.log")

# The wrapper: the real compiler, except for the first command whose arguments
# match $DIE_ON (a glob): that one runs, its -o file is cut in half, and the
# build's whole process group is killed.
cat >"$W/dying-cc" <<'EOF'
#!/bin/sh
out= prev=
for a; do
    [ "$prev" = -o ] && out=$a
    prev=$a
done
# shellcheck disable=SC2254 # DIE_ON is a glob on purpose
case " $* " in
$DIE_ON)
    if mkdir "$DIED" 2>/dev/null; then
        gcc "$@" || exit 1
        size=$(wc -c <"$out")
        head -c $((size / 2)) "$out" >"$out.cut" && cat "$out.cut" >"$out" && rm -f "$out.cut"
        kill -KILL 0
    fi
    ;;
esac
exec gcc "$@"
EOF
chmod +x "$W/dying-cc"

# step SLUG NAME GLOB: kill the build at the first compiler command matching GLOB.
step() {
    local slug=$1 name=$2 glob=$3 b="$W/build-$1"
    rm -rf "$W/died"
    (DIE_ON=$glob DIED="$W/died" setsid --wait make -s -C "$LAB" all SRC_DIR="$SRC" \
        BUILD_DIR="$b" WERROR=1 CC="$W/dying-cc" >"$W/$slug.killed.log" 2>&1
        true) 2>/dev/null # (not the last command: this subshell, not ours, says "Killed")
    if [ ! -d "$W/died" ]; then
        fail "killed at $name" "no compiler command matched '$glob': $(tail -3 "$W/$slug.killed.log")"
        return
    fi
    local got
    got=$(tests "$b" "$W/$slug.next.log")
    if [ "$got" = "$WANT" ] && [ "$WANT" -gt 0 ]; then
        pass "a build killed while writing $name: the next make builds all $WANT tests"
    else
        fail "killed at $name" "the next make: $(tail -3 "$W/$slug.next.log")"
    fi
}

step asm "the student's assembly" '* -S */pipes.c *'
step obj "the student's object" '* -c */student/pipes.s *'
step test "a test object" '* -c */tests/*'
step link "the test binary" '*/run-tests*'
test_done
