#!/bin/bash
# run-all.test.sh - `make test` cannot report green after a check died.
# Usage: tests/run-all.test.sh    (run by tests/run-all.sh; prints PASS/FAIL lines)
#
# Runs tests/run-all.sh itself on throwaway test scripts (TEST_SCRIPTS, no labs,
# no static checks, its own TEST_OUT) and checks its verdicts:
#   green        scripts that finish cleanly: exit 0, no FAIL line
#   dies         one PASS, then an unset variable under set -u: a FAIL line
#                naming the script, the suite red, its stderr kept in NAME.log
#   quits        exit 0 before the completion line: FAIL
#   lies         the completion line, then exit 3: FAIL
#   fails        fail() called in a subshell (as under xargs) still makes the
#                script exit 1 after its completion line: FAIL
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh" # sets ROOT, set -uo pipefail
test_begin run-all
test_tmpdir W ipclab-run-all

# script NAME BODY: a throwaway test script that uses tests/lib/common.sh.
script() {
    printf '#!/bin/bash\nset -uo pipefail\n. %q\ntest_begin selftest\n%s\n' \
        "$ROOT/tests/lib/common.sh" "$2" >"$W/$1.test.sh"
}
script good 'pass one
pass two
test_done'
# shellcheck disable=SC2016 # the body is code for the throwaway script
script dies 'pass one
echo "$an_unset_variable"
pass two
test_done'
script quits 'pass one
exit 0
test_done'
script lies 'pass one
echo "DONE lies.test.sh"
exit 3'
script fails 'pass one
( fail two "in a subshell" )
test_done'

# suite NAME SCRIPTS...: run-all.sh on SCRIPTS; $W/NAME.out, exit status in $W/NAME.status.
suite() {
    local name=$1
    shift
    TEST_SCRIPTS="$*" LABS="" STATIC=0 TEST_OUT="$W/$name" "$ROOT/tests/run-all.sh" \
        >"$W/$name.out" 2>&1
    echo $? >"$W/$name.status"
}
suite green "$W/good.test.sh"
suite red "$W/good.test.sh" "$W/dies.test.sh" "$W/quits.test.sh" "$W/lies.test.sh" \
    "$W/fails.test.sh"

check green "exit $(cat "$W/green.status"): $(tail -3 "$W/green.out")" \
    grep -qx '2 passed, 0 failed' "$W/green.out"
check green-exit-0 "run-all exited $(cat "$W/green.status") on scripts that all finished" \
    test "$(cat "$W/green.status")" = 0
check red-exit-1 "run-all exited $(cat "$W/red.status") although scripts died" \
    test "$(cat "$W/red.status")" = 1
check dies "no FAIL line naming dies.test.sh: $(grep dies "$W/red.out")" \
    grep -q "^FAIL dies.test.sh: it stopped before its completion line 'DONE dies.test.sh' and exited with status" "$W/red.out"
check dies-stderr-kept "dies.test.sh.log lacks the shell's error" \
    grep -q 'an_unset_variable: unbound variable' "$W/red/dies.test.sh.log"
check dies-stderr-named "the FAIL line does not quote the error" \
    grep -q '^FAIL dies.test.sh: .*unbound variable' "$W/red.out"
check quits "no FAIL line for a script that exited 0 early: $(grep quits "$W/red.out")" \
    grep -q "^FAIL quits.test.sh: it stopped before its completion line" "$W/red.out"
check lies "no FAIL line for DONE then exit 3: $(grep lies "$W/red.out")" \
    grep -q "^FAIL lies.test.sh: it exited with status 3" "$W/red.out"
check fails "a FAIL in a subshell did not make the script exit 1: $(grep -i fails "$W/red.out")" \
    grep -q "^FAIL fails.test.sh: it exited with status 1 after 1 FAIL lines" "$W/red.out"
check red-count "summary: $(tail -1 "$W/red.out")" grep -qx '6 passed, 5 failed' "$W/red.out"
test_done
