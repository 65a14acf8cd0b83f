#!/bin/bash
# student.test.sh - the student's `ipclab` driven as a student would (run by tests/run-all.sh).
#
# Everything happens in temporary copies of the course (scripts/release.sh),
# never in labs/NN/src. Lab 00 is used for its speed.
#   release     both editions build; the course edition has no solutions/,
#               ships .skeleton/; a hidden test (in its own file) is dropped
#               from the course edition, which still builds and passes
#   check       skeleton: exit 1 with messages and hints; solution: exit 0;
#               a glob narrows the run; a compiler error comes first; the
#               grader's audit findings are shown at once
#   status      the no-argument view names the lab in progress and the next step
#   hint        one more hint each time, remembered in .ipclab-progress
#   reset       restores the skeleton and keeps a backup
#   solution    refused (with the score) until check passes, then diff -y
#   submit      archive holds exactly the student files and MANIFEST; the
#               grader warns when MANIFEST shows an edited test file
#   grade NN    the grader's report for this checkout
#   watch       in tmux: a broken file fails, a compile error is shown and
#               watched, the broken file fails again, the fix shows the
#               test that failed passing first, then the whole lab; Ctrl-C
#               quits cleanly
#   help        every command answers --help with status 0
# Prints PASS/FAIL/SKIP lines, then DONE. STUDENT_KEEP=1 keeps the temporary tree.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh" # sets ROOT, set -uo pipefail
test_begin student
SESSION="ipclab-student-$$"
# shellcheck disable=SC2016 # expanded at exit
test_at_exit 'tmux kill-session -t "$SESSION" 2>/dev/null'
if [ "${STUDENT_KEEP:-0}" = 1 ]; then
    W=$(mktemp -d "${TMPDIR:-/tmp}/ipclab-student.XXXXXX")
    chmod 755 "$W"
    echo "keeping $W" >&2
else
    test_tmpdir W ipclab-student # mode 755: the grader builds and runs as an unprivileged uid
fi
export NO_COLOR=1
# expect NAME STATUS WANT-STATUS OUTPUT REGEX...: status and every regex must match.
expect() {
    local name=$1 got=$2 want=$3 out=$4
    shift 4
    if [ "$got" != "$want" ]; then
        fail "$name" "exit $got, wanted $want: $out"
        return 1
    fi
    for re in "$@"; do
        if ! grep -qE -- "$re" <<<"$out"; then
            fail "$name" "no /$re/ in: $out"
            return 1
        fi
    done
    pass "$name"
}

L=00-processes
SOL="$ROOT/solutions/$L/src/processes.c"

# --- release: both editions, the course one built from scratch ----------------
if ! "$ROOT/scripts/release.sh" "$W/course" course >"$W/rel.log" 2>&1 ||
    ! "$ROOT/scripts/release.sh" "$W/self" self-study >>"$W/rel.log" 2>&1; then
    fail release "$(cat "$W/rel.log")"
    test_done
fi
if [ ! -e "$W/course/solutions" ] && [ -d "$W/self/solutions/$L" ] &&
    [ -f "$W/course/.skeleton/$L/src/processes.c" ] && [ ! -e "$W/course/tests" ] &&
    [ "$(cat "$W/course/.ipclab-edition")" = course ]; then
    pass "release editions: course without solutions/ and tests/, self-study with solutions/"
else
    fail "release editions" "$(ls -A "$W/course" "$W/self")"
fi
if make -s -C "$W/course" ipclab >"$W/build.log" 2>&1 && [ -x "$W/course/build/ipclab" ]; then
    pass "release course edition builds ipclab"
else
    fail "release course edition builds ipclab" "$(tail -5 "$W/build.log")"
    test_done
fi
C="$W/self" # the self-study tree is the student's checkout for the rest
mkdir -p "$C/build" && cp "$W/course/build/ipclab" "$C/build/ipclab"
IPC="$C/build/ipclab"

out=$(timeout 120 "$W/course/build/ipclab" check 00 2>&1)
expect "release course edition: check 00 on the skeleton" $? 1 "$out" \
    '0/29 tests pass' 'hint:'
cp "$SOL" "$W/course/labs/$L/src/processes.c"
out=$(timeout 120 "$W/course/build/ipclab" check 00 2>&1)
expect "release course edition: check 00 on the solution" $? 0 "$out" '29/29 tests pass'

# A hidden test in its own file: dropped from the course edition, kept by the grader.
H="$W/hidden-src"
cp -r "$W/self" "$H" && chmod -R u+w "$H" && rm -rf "$H/.skeleton" "$H/.ipclab-edition"
cat >"$H/labs/$L/tests/test_hidden.c" <<'EOF'
/* test_hidden.c - a hidden test, for student.test.sh only. */
#include <criterion/criterion.h>

TestSuite(secret, .timeout = 5);

Test(secret, always_passes)
{
    cr_assert(1);
}
EOF
sed -i 's/^TEST_SRCS *= *test_processes.c/& test_hidden.c/' "$H/labs/$L/Makefile"
printf '\n[test secret/always_passes]\npoints = 1\nhint = none\noptions = hidden\n' \
    >>"$H/labs/$L/lab.ini"
"$H/scripts/release.sh" "$W/hidden-course" course >"$W/rel2.log" 2>&1
st=$?
mkdir -p "$W/hidden-course/build" && cp "$IPC" "$W/hidden-course/build/ipclab"
cp "$SOL" "$W/hidden-course/labs/$L/src/processes.c"
out=$(timeout 120 "$W/hidden-course/build/ipclab" check 00 2>&1)
if [ $st = 0 ] && [ ! -e "$W/hidden-course/labs/$L/tests/test_hidden.c" ] &&
    ! grep -q test_hidden "$W/hidden-course/labs/$L/Makefile" &&
    ! grep -q secret "$W/hidden-course/labs/$L/lab.ini" && grep -q '29/29 tests pass' <<<"$out"; then
    pass "release drops a hidden test's file, Makefile entry and manifest section; still passes"
else
    fail "release hidden test" "status $st; $(cat "$W/rel2.log"); $out"
fi

# --- check ----------------------------------------------------------------------
out=$(timeout 120 "$IPC" check 00 2>&1)
# shellcheck disable=SC2016 # the backquotes are the output's own
expect "check 00 on the skeleton fails with messages and hints" $? 1 "$out" \
    '✗ isolation/parent_value_unchanged' 'hint: After fork' '0/29 tests pass' \
    'next: isolation/parent_value_unchanged, run `ipclab hint 00`'
out=$(timeout 120 "$IPC" check 00 'isolation/*' 2>&1)
expect "check 00 GLOB runs only the matching tests" $? 1 "$out" '\(filtered\)' \
    '0/[1-9] tests pass'
if grep -q '✗ wait_status' <<<"$out"; then fail "check glob" "other suites shown"; fi

out=$("$IPC" 2>&1)
# shellcheck disable=SC2016 # the backquotes are the output's own
expect "status view: lab in progress and next step" $? 1 "$out" '▶ 00' \
    'lab 00: 0/29 tests pass; next: isolation/parent_value_unchanged, run `ipclab hint 00`'

# --- hint -----------------------------------------------------------------------
out1=$("$IPC" hint 00 2>&1)
out2=$("$IPC" hint 00 2>&1)
if grep -q 'hint 1/' <<<"$out1" && ! grep -q 'hint 2/' <<<"$out1" &&
    grep -q 'hint 2/' <<<"$out2" && grep -q '"isolation/parent_value_unchanged": 2' \
    "$C/.ipclab-progress"; then
    pass "hint advances one at a time and is remembered in .ipclab-progress"
else
    fail "hint" "$out1 / $out2"
fi
rm -f "$C/.ipclab-progress"
out=$("$IPC" hint 00 2>&1)
expect "hint works without a progress file (counter restarts)" $? 0 "$out" 'hint 1/'

# --- solution refused, compile error first, then pass, then solution shown ---------
out=$(timeout 120 "$IPC" solution 00 2>&1)
expect "solution refused while tests fail, with the score" $? 1 "$out" 'not yet' \
    '0/29 tests pass, 0/86 points'
cp "$SOL" "$C/labs/$L/src/processes.c"
printf 'int broken(void) { return }\n' >>"$C/labs/$L/src/processes.c"
out=$(cd "$C" && timeout 120 "$IPC" check 00 2>&1)
first=$(sed -n 2p <<<"$out")
if grep -q 'does not compile' <<<"$(head -1 <<<"$out")" && grep -q 'error:' <<<"$first"; then
    pass "a compiler error is shown first"
else
    fail "compiler error first" "$out"
fi
# The grader's audit at once: a destructor is named with its line, before the
# tests run, and again after them (the exit status stays the tests').
cp "$SOL" "$C/labs/$L/src/processes.c"
printf '%s\n' '#include <stdio.h>' '__attribute__((destructor)) static void on_exit_hook(void)' \
    '{' '    fflush(stdout);' '}' \
    >>"$C/labs/$L/src/processes.c"
out=$(timeout 120 "$IPC" check 00 'parallel_sum/*' 2>&1)
expect "check shows the grader's audit findings at once" $? 0 "$out" \
    'the grader would refuse this code' \
    "processes\.c:[0-9]+: on_exit_hook\(\) is registered in section '\.fini_array'" \
    'but the grader refuses this code as it is'
cp "$SOL" "$C/labs/$L/src/processes.c"
out=$(timeout 120 "$IPC" check 00 2>&1)
expect "check 00 on the solution passes" $? 0 "$out" '29/29 tests pass, 86/86 points'
if grep -q 'audit' <<<"$out"; then fail "check: no audit findings on the solution" "$out"; fi
out=$("$IPC" hint 00 2>&1)
expect "hint after every test passed: none for a passing test" $? 0 "$out" 'no hint needed'
out=$(timeout 120 "$IPC" check --asan 00 2>&1)
expect "check --asan 00 on the solution passes" $? 0 "$out" '29/29 tests pass' 'asan'
# A crash names the command that shows where it happened.
sed -i '/^int describe_status(/,/^{$/ s/^{$/{\n    *(volatile int *)0 = 1;/' "$C/labs/$L/src/processes.c"
out=$(cd "$C" && timeout 120 "$IPC" check 00 'describe_status/*' 2>&1)
expect "a crash points to check --asan" $? 1 "$out" \
    "where it crashed: .ipclab check --asan 00 'describe_status/[a-z_]+'. stops at the line"
cp "$SOL" "$C/labs/$L/src/processes.c"
# A test that hangs: the timeout is explained by the grader's why-it-hung.
awk '{ print } /^int parallel_sum\(/ { f = 1 } f && /^\{/ { f = 0
    print "    if (n == 1) { int p[2]; char c; if (pipe(p) == 0 && read(p[0], &c, 1) > 0) return -1; }" }' \
    "$SOL" >"$C/labs/$L/src/processes.c"
out=$(timeout 120 "$IPC" check 00 'parallel_sum/*' 2>&1)
expect "check explains a timeout with the grader's why-it-hung sentence" $? 1 "$out" \
    '\(timeout, ' 'why it hung: .*read\(\) on pipe' \
    "what its processes did: .ipclab trace 00 'parallel_sum/[a-z_]+'. draws the hung test's"
cp "$SOL" "$C/labs/$L/src/processes.c"
sed -i '1a /* my own comment */' "$C/labs/$L/src/processes.c"
out=$(COLUMNS=120 timeout 120 "$IPC" solution 00 2>&1)
expect "solution shown side by side once check passes" $? 0 "$out" \
    'yours: labs/00-processes/src/processes.c' '/\* my own comment \*/ +<'

# --- submit and the grader's tamper warning ---------------------------------------
echo '/* edited */' >>"$C/labs/$L/tests/test_processes.c"
out=$(cd "$C" && "$IPC" submit -o "$W/sub.tar.gz" 2>&1)
st=$?
list=$(tar -tzf "$W/sub.tar.gz" 2>&1 | sort | tr '\n' ' ')
if [ $st = 0 ] && [ "$list" = "MANIFEST labs/00-processes/src/processes.c " ] &&
    tar -xzOf "$W/sub.tar.gz" MANIFEST | grep -q "^provided [0-9a-f]\{64\} labs/$L/tests/test_processes.c"; then
    pass "submit: exactly the changed lab's student file and a MANIFEST of checksums"
else
    fail "submit" "status $st; $out; $list"
fi
mkdir -p "$W/unpacked" && tar -xzf "$W/sub.tar.gz" -C "$W/unpacked"
out=$(timeout 300 "$ROOT/build/ipclab" grade --lab 00 --submission "$W/unpacked" --no-valgrind 2>&1)
expect "grader warns when MANIFEST shows an edited provided test" $? 0 "$out" \
    "provided files edited by the student.*labs/$L/tests/test_processes.c" 'Score: 86/86'

# --- grade NN -------------------------------------------------------------------
out=$(cd "$C" && timeout 300 "$IPC" grade 00 --no-valgrind 2>&1)
expect "grade 00: the grader's report for this checkout" $? 0 "$out" 'Lab 00' 'Score: 86/86'

# --- which course tree -------------------------------------------------------------
# A command run outside its course (another checkout's build/ on PATH) names
# the tree it works on.
from_other=$(cd "$ROOT" && "$IPC" hint 00 2>&1 >/dev/null)
from_own=$(cd "$C/labs" && "$IPC" hint 00 2>&1 >/dev/null)
if grep -qF "working on the course at $(realpath "$C"), not the one you are in ($ROOT)" <<<"$from_other" &&
    ! grep -q 'working on the course' <<<"$from_own"; then
    pass "a command run in another course's tree names the tree it works on"
else
    fail course-tree-named "from another tree: '$from_other'; from its own: '$from_own'"
fi

# --- Ctrl-C during check ----------------------------------------------------------
# A run stopped by Ctrl-C says "stopped", blames nothing, records nothing and
# leaves nothing running (run_and_wait made to hang so the run is caught midway).
cp "$C/labs/$L/src/processes.c" "$W/processes.keep"
sed -i '/^int run_and_wait(char \*const argv\[\])$/,/^{$/ s/^{$/{\n    for (;;)\n        pause();/' \
    "$C/labs/$L/src/processes.c"
progress_before=$(md5sum <"$C/.ipclab-progress" 2>/dev/null)
(cd "$C" && exec "$IPC" check 00 'run_and_wait/*' >"$W/interrupted.out" 2>&1) &
check_pid=$!
runner="$C/labs/$L/build/[r]un-tests" # [r]: the pattern does not match its own pgrep
if wait_until 30 sh -c "pgrep -f '$runner' >/dev/null"; then
    kill -INT "$check_pid"
    wait "$check_pid"
    rc=$?
    out=$(cat "$W/interrupted.out")
    if [ "$rc" = 130 ] && grep -q '^stopped' <<<"$out" && ! grep -q -i -e crash -e SIGKILL <<<"$out" &&
        [ "$(md5sum <"$C/.ipclab-progress" 2>/dev/null)" = "$progress_before" ] &&
        wait_until 10 sh -c "! pgrep -f '$runner' >/dev/null"; then
        pass "Ctrl-C during check: stopped, nothing blamed, recorded or left running"
    else
        fail check-ctrl-c "exit $rc; progress changed: $([ "$(md5sum <"$C/.ipclab-progress" 2>/dev/null)" = "$progress_before" ] || echo yes); $out"
    fi
else
    kill "$check_pid" 2>/dev/null
    fail check-ctrl-c "the test runner never started: $(cat "$W/interrupted.out")"
fi
cp "$W/processes.keep" "$C/labs/$L/src/processes.c"

# --- reset ----------------------------------------------------------------------
out=$("$IPC" reset 00 2>&1)
rc=$?
bak=$(find "$C/.ipclab-backup/$L" -path '*/processes.c' 2>/dev/null | head -1)
if [ $rc = 0 ] && cmp -s "$C/labs/$L/src/processes.c" "$C/.skeleton/$L/src/processes.c" &&
    [ -n "$bak" ] && grep -q 'my own comment' "$bak"; then
    pass "reset restores the skeleton and keeps a timestamped backup"
else
    fail reset "$out"
fi
# Two resets in the same second each keep their own backup; a file that is
# already the skeleton is not backed up over anything.
for v in first-version second-version; do
    echo "/* $v */" >>"$C/labs/$L/src/processes.c"
    "$IPC" reset 00 processes.c --yes >/dev/null 2>&1
done
out=$("$IPC" reset 00 --yes 2>&1)
kept=$(grep -l -r -e first-version -e second-version "$C/.ipclab-backup/$L" 2>/dev/null | wc -l)
if [ "$kept" = 2 ] && echo "$out" | grep -q 'already the skeleton'; then
    pass "reset twice in a second keeps both backups; a skeleton is not backed up"
else
    fail reset-keeps-every-backup "$kept backups hold the two versions (want 2): $out"
fi

# --- watch, in tmux -------------------------------------------------------------
# pane_shows REGEX: the tmux pane shows REGEX now.
# shellcheck disable=SC2317 # run through wait_until
pane_shows() { tmux capture-pane -p -t "$SESSION" 2>/dev/null | grep -qE -- "$1"; }
# wait_pane REGEX SECONDS: until the pane shows REGEX; 0 or 1.
wait_pane() { wait_until "$2" pane_shows "$1"; }
if ! command -v tmux >/dev/null; then
    skip watch "tmux not installed (scripts/deps.sh)"
else
    "$ROOT/scripts/broken.sh" apply "$L" parent-changes-value "$W/broken-$L"
    BROKEN="$W/broken-$L/processes.c"
    cp "$BROKEN" "$C/labs/$L/src/processes.c"
    tmux new-session -d -s "$SESSION" -x 160 -y 50 \
        "cd '$C' && NO_COLOR=1 '$IPC' watch 00; echo WATCH-EXIT=\$?; sleep 60"
    step=""
    if ! wait_pane 'watching labs/00-processes/src' 120 || ! wait_pane '✗ isolation/' 1; then
        step="first run shows the failure"
    else
        printf 'int broken(void) { return }\n' >>"$C/labs/$L/src/processes.c"
        if ! wait_pane 'does not compile' 120 || ! wait_pane 'watching' 60; then
            step="a compile error is shown and watched"
        else
            cp "$BROKEN" "$C/labs/$L/src/processes.c"
            if ! wait_pane '✗ isolation/' 120 || ! wait_pane 'watching' 60; then
                step="the broken file, saved again, fails again"
            else
            cp "$SOL" "$C/labs/$L/src/processes.c"
            if ! wait_pane '29/29 tests pass' 120; then
                step="the fix passes"
            elif ! tmux capture-pane -p -t "$SESSION" | grep -A2 'the tests that failed last time, first' |
                grep -q 'lab 00 (filtered): 1/1 tests pass'; then
                step="the fix shows the verdict of the test that failed first"
            else
                tmux send-keys -t "$SESSION" C-c
                wait_pane 'WATCH-EXIT=0' 30 || step="Ctrl-C quits cleanly with status 0"
            fi
            fi
        fi
    fi
    if [ -z "$step" ]; then
        pass "watch in tmux: failure shown, compile error watched, fix passes (failed test first), Ctrl-C quits"
    else
        fail "watch in tmux: $step" "$(tmux capture-pane -p -t "$SESSION" | tail -15)"
    fi
fi

# --- --help everywhere ------------------------------------------------------------
bad=""
for c in check watch hint grade submit reset solution; do
    "$IPC" $c --help >/dev/null 2>&1 || bad="$bad $c"
done
"$IPC" --help >/dev/null 2>&1 || bad="$bad (none)"
if [ -z "$bad" ]; then pass "--help on every command"; else fail "--help" "$bad"; fi
test_done
