#!/bin/bash
# tmpdirs.test.sh - no test's private folder outlives its run (labs/support/tmpdirs.h).
# Usage: tests/tmpdirs.test.sh   (about 30 s: lab 01 built twice, seven runs)
#
# A test's folder ($TMPDIR/ipclab-...) is removed when the test ends; a test
# that crashes or hangs to its timeout never gets there, and the runner
# removes what is left of its run's folders after its last test. Lab 01's
# reference, then a variant whose every test makes its folder and crashes
# (one hangs to its timeout instead), run by Criterion's runner (make check),
# and by one and by two fork runners (the grader, make valgrind): each run
# leaves $TMPDIR as it found it. Another run's folders, an old-style one and
# a symlink the tests plant with this run's prefix (pointing at a folder
# outside) are left alone, and nothing behind the link is touched.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
test_begin tmpdirs
cd "$ROOT" || exit 2
test_tmpdir TMP ipclab-tmpdirs
LAB=01-pipes

# build NAME SRC_DIR: lab 01's test binary at $TMP/NAME/run-tests.
build() {
    make -s -C "labs/$LAB" all WERROR=1 SRC_DIR="$2" BUILD_DIR="$TMP/$1" \
        >"$TMP/$1.build.log" 2>&1 || fail "build-$1" "$(tail -5 "$TMP/$1.build.log")"
}
build reference "$ROOT/solutions/$LAB/src"
cp -r "$ROOT/solutions/$LAB/src" "$TMP/variant-src"
{
    printf '#define CORPUS_TARGET "*"\n'
    cat <<EOF
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
const char *ipct_tmpdir(void);
/* Make the test's folder and a link named with the run's prefix, then crash
 * (or, in io/read_all_stops_at_eof, hang until its timeout). */
static void corpus_hostile(void)
{
    const char *dir = ipct_tmpdir(), *run = getenv("IPCLAB_RUN");
    const char *outside = getenv("TMPDIRS_OUTSIDE");
    char link[600];
    if (run != NULL && outside != NULL) {
        snprintf(link, sizeof link, "%.*s/ipclab-%s-link", (int)(strrchr(dir, '/') - dir),
                 dir, run);
        if (symlink(outside, link) != 0 && access(link, F_OK) != 0)
            abort();
    }
    if (strcmp(criterion_current_test->category, "io") == 0 &&
        strcmp(criterion_current_test->name, "read_all_stops_at_eof") == 0)
        for (;;)
            pause();
    raise(SIGSEGV);
}
EOF
    cat tests/corpus/hook.c
} >>"$TMP/variant-src/pipes.c"
build variant "$TMP/variant-src"
if [ ! -x "$TMP/reference/run-tests" ] || [ ! -x "$TMP/variant/run-tests" ]; then
    test_done
fi
mkdir -p "$TMP/outside"

# run NAME MODE: run NAME's tests in a fresh $TMPDIR ($TMP/tmp.NAME.MODE) with
# a folder of another run, an old-style one and an unrelated file in it.
# MODE: criterion, fork1 or fork2. Output in $TMP/NAME.MODE.out.
run() {
    local dir="$TMP/tmp.$1.$2" env=()
    mkdir -p "$dir/ipclab-1-0000-2-AAAAAA" "$dir/ipclab-3-BBBBBB" && : >"$dir/other" &&
        echo keep >"$TMP/outside/canary"
    case $2 in
    fork1) env=(IPCLAB_FORK_RUNNER=1 IPCLAB_RUNNERS=1) ;;
    fork2) env=(IPCLAB_FORK_RUNNER=1 IPCLAB_RUNNERS=2) ;;
    esac
    (cd "$TMP" && env "${env[@]}" TMPDIR="$dir" TMPDIRS_OUTSIDE="$TMP/outside" \
        timeout 300 "$ROOT/tests/lib/isolate.sh" "$TMP/$1/run-tests" >"$TMP/$1.$2.out" 2>&1)
}

for mode in criterion fork1 fork2; do
    for name in reference variant; do
        run "$name" "$mode"
        dir="$TMP/tmp.$name.$mode"
        left=$(cd "$dir" && find . -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort |
            grep -v -x -e ipclab-1-0000-2-AAAAAA -e ipclab-3-BBBBBB -e other -e 'ipclab-.*-link' |
            head -5)
        synth=$(grep -o 'Tested: .*' "$TMP/$name.$mode.out")
        if [ -n "$left" ]; then
            fail "$name-$mode" "left in \$TMPDIR: $left ($synth)"
        elif [ ! -d "$dir/ipclab-1-0000-2-AAAAAA" ] || [ ! -d "$dir/ipclab-3-BBBBBB" ] ||
            [ ! -f "$dir/other" ] || [ "$(cat "$TMP/outside/canary" 2>/dev/null)" != keep ]; then
            fail "$name-$mode-others" "another run's folder, an old one, a file or the canary behind the link went: $(find "$dir" "$TMP/outside" -mindepth 1 -maxdepth 1 -printf '%f ')"
        elif [ "$name" = variant ] && ! grep -q 'Crashing: [1-9]' <<<"$synth"; then
            fail "$name-$mode-crashes" "the variant crashed no test: $synth"
        elif [ "$name" = variant ] && [ -z "$(find "$dir" -maxdepth 1 -name 'ipclab-*-link' -type l)" ]; then
            fail "$name-$mode-link" "the tests planted no link (the check of links proves nothing)"
        else
            pass "$name, $mode: \$TMPDIR as it was ($synth)"
        fi
    done
done
test_done
