#!/bin/bash
# mutants.test.sh - the mutation check (scripts/mutants.sh) counts what it claims to count.
# Usage: tests/mutants.test.sh    (run by tests/run-all.sh; prints PASS/FAIL lines)
#
# A fixture: lab 00's reference with two sites added to fork_isolation, run with
# --solution on three chosen mutants (--mutant ID, about 30 s):
#   help             --help prints the usage (argparse formats every help text)
#   list-stable      --list gives the same mutants, ids and order twice
#   killed           `return -1` -> `return 0` of the NULL check: a test fails, killed,
#                    and the run stopped there (the first failing test alone is named)
#   survivor         the same change on a branch no test reaches: a survivor, shown
#                    as a diff with its file:line and id; the rate 1/2 is below the
#                    goal, so the exit status is 1
#   not-counted      WNOHANG -> 0 makes two `case 0`: it does not compile, and is
#                    left out of the rate
#   equivalent       a copy of the lab whose lab.ini marks the survivor equivalent:
#                    it is listed as equivalent, out of the rate, never run
#   stale            a mark that matches no mutant is reported stale (exit status 1)
#   skipped-by-*     a test the reference skips is left out; a skip only a mutant
#                    makes kills it
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh" # sets ROOT, set -uo pipefail
test_begin mutants
test_tmpdir W ipclab-mutants
export TMPDIR="$W"
MUTANTS="$ROOT/scripts/mutants.sh"
LAB="$ROOT/labs/00-processes"

# The fixture solution: lab 00's, plus an unreachable error path and a switch
# whose WNOHANG case becomes a duplicate `case 0` when the flag is flipped.
mkdir -p "$W/sol"
awk '{ print }
     /^int fork_isolation\(/ { inside = 1 }
     inside && /^    }$/ && !done {
         print "    if (delta == -123456789) { /* fixture: no test passes this delta */"
         print "        errno = ERANGE;"
         print "        return -1;"
         print "    }"
         print "    switch (delta) { /* fixture: WNOHANG -> 0 gives two case 0 */"
         print "    case 0:"
         print "    case WNOHANG:"
         print "    default:"
         print "        break;"
         print "    }"
         done = 1
     }' "$ROOT/solutions/00-processes/src/processes.c" >"$W/sol/processes.c"
line_of() { grep -n -F -- "$1" "$W/sol/processes.c" | head -1 | cut -d: -f1; }
l_killed=$(($(line_of "errno = EINVAL;") + 1))
l_survivor=$(($(line_of "errno = ERANGE;") + 1))
l_nobuild=$(line_of "case WNOHANG:")

if python3 "$ROOT/scripts/mutants.py" --help >"$W/help" 2>&1 && grep -q -- "--goal" "$W/help"; then
    pass help
else
    fail help "mutants.py --help: $(tail -3 "$W/help")"
fi

"$MUTANTS" 00 --solution "$W/sol" --function fork_isolation --list >"$W/list1" 2>&1
"$MUTANTS" 00 --solution "$W/sol" --function fork_isolation --list >"$W/list2" 2>&1
# id_of LINE OPERATOR: the id --list gives the mutant on that line.
id_of() { awk -v at="processes.c:$1" -v op="$2" '$1 == at && $2 == op { print $NF }' "$W/list1"; }
killed=$(id_of "$l_killed" error-success)
survivor=$(id_of "$l_survivor" error-success)
nobuild=$(id_of "$l_nobuild" flip-flag)
if [ -z "$killed" ] || [ -z "$survivor" ] || [ -z "$nobuild" ]; then
    fail list-stable "the fixture's mutants are not listed (lines $l_killed $l_survivor $l_nobuild): $(head -20 "$W/list1")"
    test_done
fi
if cmp -s "$W/list1" "$W/list2" && grep -q ' mutants$' "$W/list1"; then
    pass "list-stable ($(tail -1 "$W/list1") in fork_isolation)"
else
    fail list-stable "two --list runs differ: $(diff "$W/list1" "$W/list2" | head -5)"
fi

nice "$MUTANTS" 00 --solution "$W/sol" --jobs 2 \
    --mutant "$killed" --mutant "$survivor" --mutant "$nobuild" >"$W/run" 2>&1
status=$?
out=$(cat "$W/run")
check killed "the NULL check's error path was not killed by a test: $out" \
    grep -qE "^\[[0-9]/3\] killed +processes.c:$l_killed error-success: .* +\(tests: isolation/null_value_is_einval \(failed\)\)$" "$W/run"
if grep -qE "^\[[0-9]/3\] survived +processes.c:$l_survivor " "$W/run" &&
    grep -qF "processes.c:$l_survivor error-success in fork_isolation()  id $survivor" "$W/run" &&
    grep -qxF -- "+        return 0;" "$W/run" && [ "$status" -eq 1 ]; then
    pass survivor
else
    fail survivor "no survivor diff for line $l_survivor, or exit status $status (want 1): $out"
fi
check not-counted "the WNOHANG flip compiled, or counted: $out" \
    grep -qE "^kill rate: 1/2 = 50.0% \(goal 90%\); 0 equivalent, 1 do not compile" "$W/run"

# The same survivor marked equivalent in a copy of the lab (and one stale mark).
mkdir -p "$W/labs/00-processes"
ln -s "$ROOT/labs/lab.mk" "$W/labs/lab.mk"
ln -s "$ROOT/labs/support" "$W/labs/support"
for part in Makefile include tests src; do ln -s "$LAB/$part" "$W/labs/00-processes/$part"; done
{
    cat "$LAB/lab.ini"
    printf '\n[mutants]\n%s = fixture: no test can pass this delta\n' "$survivor"
    printf 'processes.c/fork_isolation/eintr/00000000 = fixture: matches nothing\n'
} >"$W/labs/00-processes/lab.ini"
"$MUTANTS" "$W/labs/00-processes" --solution "$W/sol" --mutant "$survivor" >"$W/marked" 2>&1
status=$?
out=$(cat "$W/marked")
if grep -qF "$survivor: fixture: no test can pass this delta" "$W/marked" &&
    grep -q "^kill rate: 0/0 = 100.0% (goal 90%); 1 equivalent" "$W/marked" &&
    ! grep -q "^survivors" "$W/marked"; then
    pass equivalent
else
    fail equivalent "the marked survivor is not listed as equivalent, or still counted: $out"
fi
if grep -qF "processes.c/fork_isolation/eintr/00000000 = fixture: matches nothing" "$W/marked" &&
    grep -q "^stale marks (1)" "$W/marked" && [ "$status" -eq 1 ]; then
    pass stale
else
    fail stale "the stale mark is not reported, or exit status $status (want 1): $out"
fi

# Skips, in a copy of the lab with two more tests: one the reference skips on
# every machine (left out for every mutant: the survivor still survives, not
# killed by the skip), one that skips only when fork_isolation returns 0 for the
# fixture's delta (the survivor makes it skip: a skip the reference does not
# make costs the grade its points, so it kills).
# The grader sees no /tmp of the host, so the course copy lives under build/.
mkdir -p "$ROOT/build/test"
TMPDIR="$ROOT/build/test" test_tmpdir K mutants-skiplab
mkdir -p "$K/labs/00-processes/tests"
S="$K/labs/00-processes"
ln -s "$ROOT/labs/lab.mk" "$K/labs/lab.mk"
ln -s "$ROOT/labs/support" "$K/labs/support"
ln -s "$ROOT/labs/allowed-calls.txt" "$K/labs/allowed-calls.txt"
ln -s "$ROOT/grader" "$K/grader" # lab.mk finds the ipclab command through these
ln -s "$ROOT/build" "$K/build"
for part in include src; do ln -s "$LAB/$part" "$S/$part"; done
ln -s "$LAB/tests/test_processes.c" "$S/tests/test_processes.c"
printf 'TEST_SRCS    = test_processes.c test_fixture.c\ninclude ../lab.mk\n' >"$S/Makefile"
cat >"$S/tests/test_fixture.c" <<'EOF_C'
/* test_fixture.c - mutants.test.sh's skips. */
#include "processes.h"

#include <criterion/criterion.h>

TestSuite(fixture, .timeout = 10);

Test(fixture, skipped_here)
{
    cr_skip_test("fixture: this machine lacks what the test needs");
}

Test(fixture, skips_on_success)
{
    int v = 1;
    if (fork_isolation(&v, -123456789) == 0)
        cr_skip_test("fixture: the delta no test passes succeeded");
}
EOF_C
{
    cat "$LAB/lab.ini"
    printf '\n[test fixture/skipped_here]\npoints = 1\nhint = fixture\n'
    printf '\n[test fixture/skips_on_success]\npoints = 1\nhint = fixture\n'
} >"$S/lab.ini"
"$MUTANTS" "$S" --solution "$W/sol" --mutant "$killed" >"$W/skip-ref" 2>&1
status=$?
if [ "$status" -eq 0 ] && grep -qE "^\[1/1\] killed +processes.c:$l_killed .*isolation/null_value_is_einval" "$W/skip-ref" &&
    grep -q "^kill rate: 1/1 = 100.0%" "$W/skip-ref"; then
    pass "skipped-by-reference (a test the reference skips is left out: the reference passes, a mutant is judged by the rest)"
else
    fail skipped-by-reference "exit status $status (want 0): $(cat "$W/skip-ref")"
fi
"$MUTANTS" "$S" --solution "$W/sol" --mutant "$survivor" >"$W/skip-mut" 2>&1
if grep -qE "^\[1/1\] killed +processes.c:$l_survivor .*\(tests: fixture/skips_on_success \(skipped\)\)" "$W/skip-mut"; then
    pass "skipped-by-mutant (a skip only the mutant makes kills it)"
else
    fail skipped-by-mutant "$(cat "$W/skip-mut")"
fi

test_done
