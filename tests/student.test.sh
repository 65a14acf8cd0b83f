#!/bin/bash
# student.test.sh - the student's `ipclab` driven as a student would (run by tests/run-all.sh).
#
# Everything happens in temporary copies of the course (scripts/release.sh),
# never in labs/NN/src. Lab 00 is used for its speed.
#   release     both editions build; the course edition has no solutions/,
#               ships .skeleton/; a hidden test (in its own file) is dropped
#               from the course edition, which still builds and passes; each
#               edition's README shows students' commands only (course: no
#               grade-solutions, test or solution; self-study: solution), and
#               every command it shows is run in that tree and works
#   check       skeleton: exit 1 with messages and hints; solution: exit 0;
#               a glob narrows the run; a compiler error comes first; the
#               grader's audit findings are shown at once
#   status      the no-argument view names the lab in progress and the next step
#   hint        one more hint each time, remembered in .ipclab-progress; the
#               hint keyed to what the failure shows (lab.ini when/then): lab
#               01's untouched skeleton, lab 01's missing waitpid, lab 09's wait
#               mask that blocks every other signal (why-it-hung names the pending
#               signal too); a bad when stops the manifest
#   reset       restores the skeleton and keeps a backup
#   solution    refused (with the score) until check passes, then diff -y;
#               a unified diff when too narrow for both sides uncut; in tmux,
#               the terminal's width and $PAGER
#   submit      archive holds exactly the student files and MANIFEST; the
#               grader warns when MANIFEST shows an edited test file; -o naming
#               a student file is refused (the file untouched)
#   grade NN    the grader's report for this checkout; on a terminal (tmux) its
#               phases and a progress line, nothing of it in a pipe; the
#               checkout's file missing: not graded (not solutions/' copy)
#   memcheck    check --memcheck shows a leak the tests cannot see, per test, with
#               valgrind's lines and the deduction; status shows the last grade's
#   child       a failure in a forked child shows the child's message; -v the
#               raw output; a crash is re-run under the sanitizers (file:line)
#   watch       in tmux: a broken file fails, a compile error is shown and
#               watched, the broken file fails again, the fix shows the
#               test that failed passing first, then the whole lab; Ctrl-C
#               quits cleanly
#   Ctrl-C      during check's tests: stopped, nothing recorded or left running;
#               during its build: no compiler temporary left in TMPDIR
#   namespaces  check runs tests in private namespaces (or names what they left);
#               make check stops a test that blocks SIGPROF, in its own IPC namespace
#   help        every command answers --help with status 0
# Prints PASS/FAIL/SKIP lines, then DONE. STUDENT_KEEP=1 keeps the temporary tree.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh" # sets ROOT, set -uo pipefail
test_begin student
SESSION="ipclab-student-$$"
if [ "${STUDENT_KEEP:-0}" = 1 ]; then
    W=$(mktemp -d "${TMPDIR:-/tmp}/ipclab-student.XXXXXX")
    chmod 755 "$W"
    echo "keeping $W" >&2
else
    test_tmpdir W ipclab-student # mode 755: the grader builds and runs as an unprivileged uid
fi
export NO_COLOR=1
# tmux: a server of this run's own (its socket in W), not the user's, and gone at exit.
tmux() { command tmux -S "$W/tmux.sock" "$@"; }
test_at_exit 'tmux kill-server 2>/dev/null'
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
# Lab 00's tests and points, and how many memcheck covers (neither
# no-valgrind nor perf), as its manifest says.
NT=$("$ROOT/build/ipclab" manifest --tests 00 | wc -l)
NP=$("$ROOT/build/ipclab" manifest --points 00 | awk '{s += $2} END {print s}')
NV=$((NT - $(cat <("$ROOT/build/ipclab" manifest --no-valgrind 00) \
    <("$ROOT/build/ipclab" manifest --perf 00) | sort -u | wc -l)))

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
# --- the released README: students' commands only, and every one of them works ----
# readme_commands FILE: the command lines of FILE's ```sh blocks, comments stripped.
readme_commands() {
    awk '/^```sh$/ { f = 1; next } /^```$/ { f = 0 } f' "$1" | sed -E 's/[[:space:]]{2,}#.*$//'
}
# run_readme TREE COMMAND...: run each command as the README says (in TREE, build/
# on PATH, no terminal); prints the ones that failed: an exit status above 1 (1 is
# "a test failed", the skeleton's due), a make error or a missing command. watch
# never ends by itself: it passes when it is watching once stopped.
run_readme() {
    local tree=$1 cmd out rc limit
    shift
    for cmd in "$@"; do
        limit=900
        case "$cmd" in "ipclab watch"*) limit=60 ;; esac
        out=$(cd "$tree" && PATH="$tree/build:$PATH" timeout "$limit" nice bash -c "$cmd" \
            </dev/null 2>&1)
        rc=$?
        case "$cmd" in "ipclab watch"*) [ $rc = 124 ] && grep -q watching <<<"$out" && continue ;; esac
        if [ $rc -gt 1 ] || grep -qE '(^|: )make(\[[0-9]+\])?: \*\*\*|command not found|^usage: ' <<<"$out"; then
            printf '[%s: exit %s: %s] ' "$cmd" "$rc" "$(tail -3 <<<"$out" | tr '\n' ' ')"
        fi
    done
}
mapfile -t course_cmds < <(readme_commands "$W/course/README.md")
mapfile -t self_cmds < <(readme_commands "$W/self/README.md")
if [ "${#course_cmds[@]}" -ge 8 ] && printf '%s\n' "${course_cmds[@]}" | grep -qx 'make' &&
    printf '%s\n' "${course_cmds[@]}" | grep -q '^ipclab submit' &&
    ! grep -qE 'grade-solutions|make test|solutions/|ipclab solution|make release|SUBMISSION=' \
        "$W/course/README.md" &&
    printf '%s\n' "${self_cmds[@]}" | grep -q '^ipclab solution 00' &&
    ! grep -qE 'grade-solutions|make test|make release|ipclab submit' "$W/self/README.md"; then
    pass "release README: students' commands for its edition (set-up: make; submit / solution)"
else
    fail "release README per edition" "course: ${course_cmds[*]}; self-study: ${self_cmds[*]}"
fi
# A student part-way: lab 00 solved (so grade and hint have something to say),
# lab 01 begun (so submit has a lab to pack after reset 00).
cp "$SOL" "$W/course/labs/$L/src/processes.c"
echo '/* started */' >>"$W/course/labs/01-pipes/src/pipes.c"
bad=$(run_readme "$W/course" "${course_cmds[@]}")
if [ -z "$bad" ] && [ -s "$W/course/build/handouts/index.html" ] &&
    [ -f "$W/course/ipclab-submission.tar.gz" ]; then
    pass "release course edition: all ${#course_cmds[@]} commands of its README work there"
else
    fail "release course edition: README commands" "${bad:-no handouts site or submission}"
fi
self_only=()
for cmd in "${self_cmds[@]}"; do
    printf '%s\n' "${course_cmds[@]}" | grep -qxF -- "$cmd" || self_only+=("$cmd")
done
mkdir -p "$W/self/build" && cp "$W/course/build/ipclab" "$W/self/build/ipclab"
bad=$(run_readme "$W/self" "${self_only[@]}")
if [ "${#self_only[@]}" -ge 1 ] && [ -z "$bad" ]; then
    pass "release self-study edition: the commands only its README shows work there (${self_only[*]})"
else
    fail "release self-study edition: README commands" "${bad:-none of its own}"
fi
rm -rf "$W/self/build" "$W/self/.ipclab-progress" "$W/self/.ipclab-backup"

C="$W/self" # the self-study tree is the student's checkout for the rest
mkdir -p "$C/build" && cp "$W/course/build/ipclab" "$C/build/ipclab"
IPC="$C/build/ipclab"

out=$(timeout 120 "$W/course/build/ipclab" check 00 2>&1)
expect "release course edition: check 00 on the skeleton" $? 1 "$out" \
    "0/$NT tests pass" 'hint:'
cp "$SOL" "$W/course/labs/$L/src/processes.c"
out=$(timeout 120 "$W/course/build/ipclab" check 00 2>&1)
expect "release course edition: check 00 on the solution" $? 0 "$out" "$NT/$NT tests pass"

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
    ! grep -q secret "$W/hidden-course/labs/$L/lab.ini" && grep -q "$NT/$NT tests pass" <<<"$out"; then
    pass "release drops a hidden test's file, Makefile entry and manifest section; still passes"
else
    fail "release hidden test" "status $st; $(cat "$W/rel2.log"); $out"
fi

# --- check ----------------------------------------------------------------------
out=$(timeout 120 "$IPC" check 00 2>&1)
# shellcheck disable=SC2016 # the backquotes are the output's own
expect "check 00 on the skeleton fails with messages and hints" $? 1 "$out" \
    '✗ isolation/parent_value_unchanged' 'hint: After fork' "0/$NT tests pass" \
    'next: isolation/parent_value_unchanged, run `ipclab hint 00`'
out=$(timeout 120 "$IPC" check 00 'isolation/*' 2>&1)
expect "check 00 GLOB runs only the matching tests" $? 1 "$out" '\(filtered\)' \
    '0/[1-9] tests pass'
if grep -q '✗ wait_status' <<<"$out"; then fail "check glob" "other suites shown"; fi
# As many lanes as tests, so no lane holds perf tests: a lane never started
# has no report and must not be read as one ("the test run was stopped").
for glob in 'isolation/*' 'describe_status/*' 'reap_finished/*'; do
    out=$(timeout 120 "$IPC" check 00 "$glob" 2>&1)
    if grep -q 'note: the test run was stopped' <<<"$out"; then
        fail "check 00 '$glob': no note about a lane that never ran" "$out"
        break
    fi
done
[ "$glob" = 'reap_finished/*' ] && ! grep -q 'note: the test run' <<<"$out" &&
    pass "check: a lane that never ran is not reported as stopped"

out=$("$IPC" 2>&1)
# shellcheck disable=SC2016 # the backquotes are the output's own
expect "status view: lab in progress and next step" $? 1 "$out" '▶ 00' \
    "lab 00: 0/$NT tests pass; next: isolation/parent_value_unchanged, run \`ipclab hint 00\`"

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

# --- hints chosen by what the failure shows (lab.ini when/then) -------------------
L1=01-pipes
out=$(cd "$C" && timeout 300 "$IPC" check 01 2>&1)
block=$(grep -A3 '✗ io/write_all_killed_by_sigpipe_by_default' <<<"$out")
if grep -q "hint: write_all is still the skeleton's stub" <<<"$block" &&
    ! grep -q 'Do not touch SIGPIPE' <<<"$block" && ! grep -q 'leave SIGPIPE alone' <<<"$block"; then
    pass "keyed hint: the untouched skeleton is told to write, not to leave SIGPIPE alone"
else
    fail keyed-hint-skeleton "$block"
fi
out=$("$IPC" hint 01 io/write_all_killed_by_sigpipe_by_default 2>&1)
expect "ipclab hint shows the hint keyed to the last check's failure first" $? 0 "$out" \
    "for this failure: write_all is still the skeleton's stub" 'hint 1/1: Do not touch SIGPIPE'
# _exit(127) is there, waitpid is not: the hint points at waitpid.
cp "$ROOT/solutions/$L1/src/pipes.c" "$C/labs/$L1/src/pipes.c"
perl -0pi -e 's/    close\(fds\[0\]\);\n    if \(waitpid_retry\(pid, status\) < 0\)\n        return -1;\n    return \(ssize_t\)got;/    close(fds[0]);\n    (void)pid;\n    return (ssize_t)got;/' \
    "$C/labs/$L1/src/pipes.c"
out=$(cd "$C" && timeout 300 "$IPC" check 01 'capture/missing_program_exits_127' 2>&1)
block=$(grep -A3 '✗ capture/missing_program_exits_127' <<<"$out")
if grep -q 'not reaped' <<<"$block" && grep -q 'hint: .*through waitpid' <<<"$block" &&
    ! grep -q '_exit(127) right after' <<<"$block"; then
    pass "keyed hint: _exit(127) present, waitpid missing: the hint names waitpid"
else
    fail keyed-hint-waitpid "$block"
fi
# Lab 09: a wait mask that blocks every other signal hangs; the hint says so.
L9=09-signals
cp "$ROOT/solutions/$L9/src/signals.c" "$C/labs/$L9/src/signals.c"
perl -0pi -e 's/    sigset_t wait_mask = old_mask;\n    sigdelset\(&wait_mask, sig\);/    sigset_t wait_mask;\n    sigfillset(&wait_mask);\n    sigdelset(&wait_mask, sig);/' \
    "$C/labs/$L9/src/signals.c"
out=$(cd "$C" && timeout 300 "$IPC" check 09 'waiting/other_signals_do_not_end_wait' 2>&1)
block=$(grep -A4 '✗ waiting/other_signals_do_not_end_wait' <<<"$out")
if grep -q 'hint: .*blocks every other signal' <<<"$block" &&
    ! grep -q 'hint: sigsuspend returns after any handled signal' <<<"$block" &&
    grep -q 'why it hung: .*signal USR2 arrived and is pending, but the mask it waits with blocks it' \
        <<<"$block"; then
    pass "keyed hint and why it hung: lab 09's wait mask that blocks every other signal is named"
else
    fail keyed-hint-wait-mask "$(grep -c sigfillset "$C/labs/$L9/src/signals.c") sigfillset; $out"
fi
cp "$C/.skeleton/$L1/src/pipes.c" "$C/labs/$L1/src/pipes.c"
cp "$C/.skeleton/$L9/src/signals.c" "$C/labs/$L9/src/signals.c"
# The manifest refuses a when that is not a regex, or one without its then.
bad_lab="$W/badlab/$L"
mkdir -p "$(dirname "$bad_lab")" && cp -r "$C/labs/$L" "$bad_lab"
add_to_first_test() { # add_to_first_test LINES: into the first [test] section of bad_lab
    awk -v add="$1" '{ print } !done && /^\[test / { print add; done = 1 }' \
        "$C/labs/$L/lab.ini" >"$bad_lab/lab.ini"
}
add_to_first_test $'when = (unclosed\nthen = x'
out1=$("$IPC" manifest --tests "$bad_lab" 2>&1)
st1=$?
add_to_first_test 'when2 = ENOSYS'
out2=$("$IPC" manifest --tests "$bad_lab" 2>&1)
st2=$?
if [ $st1 != 0 ] && grep -q 'is not a regex' <<<"$out1" && [ $st2 != 0 ] &&
    grep -q 'when2 without then2' <<<"$out2"; then
    pass "manifest: a keyed hint's regex must compile and have its then"
else
    fail keyed-hint-manifest "$st1: $out1 / $st2: $out2"
fi

# --- solution refused, compile error first, then pass, then solution shown ---------
out=$(timeout 120 "$IPC" solution 00 2>&1)
expect "solution refused while tests fail, with the score" $? 1 "$out" 'not yet' \
    "0/$NT tests pass, 0/$NP points"
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
expect "check 00 on the solution passes" $? 0 "$out" "$NT/$NT tests pass, $NP/$NP points"
if grep -q 'audit' <<<"$out"; then fail "check: no audit findings on the solution" "$out"; fi
out=$("$IPC" hint 00 2>&1)
expect "hint after every test passed: none for a passing test" $? 0 "$out" 'no hint needed'
out=$(timeout 120 "$IPC" check --asan 00 2>&1)
expect "check --asan 00 on the solution passes" $? 0 "$out" "$NT/$NT tests pass" 'asan'
# A crash is run again under the sanitizers at once: the report names the line.
sed -i '/^int describe_status(/,/^{$/ s/^{$/{\n    *(volatile int *)0 = 1;/' "$C/labs/$L/src/processes.c"
line=$(grep -n '^    \*(volatile int \*)0 = 1;' "$C/labs/$L/src/processes.c" | cut -d: -f1)
out=$(cd "$C" && timeout 120 "$IPC" check 00 'describe_status/*' 2>&1)
expect "a crash is re-run under ASan/UBSan and the report names file:line" $? 1 "$out" \
    "where it crashed: processes\.c:$line \(in describe_status\), in describe_status/[a-z_]+ \(Segmentation fault" \
    'Sanitizer reports:' 'AddressSanitizer: SEGV'
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
out=$(COLUMNS=200 timeout 120 "$IPC" solution 00 2>&1)
expect "solution shown side by side once check passes" $? 0 "$out" \
    'yours: labs/00-processes/src/processes.c' '/\* my own comment \*/ +<'
# Too narrow for both sides uncut: a unified diff, every line whole.
first=$(head -1 "$SOL") # 80 characters: side by side on 80 columns cuts it at 38
out=$(COLUMNS=80 timeout 120 "$IPC" solution 00 2>&1)
st=$?
if [ $st = 0 ] && grep -q 'a unified diff instead' <<<"$out" && grep -q '^@@' <<<"$out" &&
    grep -q '^-/\* my own comment \*/$' <<<"$out" && grep -qxF -- " $first" <<<"$out"; then
    pass "solution on 80 columns: a unified diff, no line cut"
else
    fail solution-narrow "exit $st: $(head -8 <<<"$out")"
fi
# On a terminal: its width, through $PAGER.
if command -v tmux >/dev/null; then
    tmux new-session -d -s "$SESSION-sol" -x 100 -y 40 \
        "cd '$C' && PAGER='cat >$W/paged' '$IPC' solution 00; echo SOL-EXIT=\$? >'$W/sol-exit'; sleep 60"
    wait_until 120 grep -q SOL-EXIT "$W/sol-exit" 2>/dev/null
    tmux capture-pane -p -t "$SESSION-sol" >"$W/sol-tty.out" 2>&1
    tmux kill-session -t "$SESSION-sol" 2>/dev/null
    if grep -q 'SOL-EXIT=0' "$W/sol-exit" 2>/dev/null && grep -q 'this is 100 wide' "$W/paged" &&
        grep -q '^-/\* my own comment \*/$' "$W/paged" &&
        grep -q 'checking lab 00 first' "$W/sol-tty.out" &&
        ! grep -q 'my own comment' "$W/sol-tty.out"; then
        pass "solution on a terminal: the terminal's width (100), shown through \$PAGER"
    else
        fail solution-terminal "$(cat "$W/sol-exit" "$W/sol-tty.out" 2>&1) / paged: $(head -5 "$W/paged" 2>&1)"
    fi
else
    skip solution-terminal "tmux not installed (scripts/deps.sh)"
fi

# A failure inside a forked child shows the child's own message (IPCT_CHILD_CHECK),
# not only its exit code; -v adds the raw test output (what make check prints).
out=$(cd "$C" && timeout 120 "$IPC" check 01 'capacity/full_pipe_blocks_the_writer' 2>&1)
expect "a failure in a child process shows the child's own message" $? 1 "$out" \
    '✗ capacity/full_pipe_blocks_the_writer' \
    '^    in a child: test_pipes\.c:[0-9]+: child check failed: fill_pipe\(fds\[1\]\) == cap$'
if grep -q 'raw test output' <<<"$out"; then fail "check: raw output only with -v" "$out"; fi
out=$(cd "$C" && timeout 120 "$IPC" check -v 01 'capacity/full_pipe_blocks_the_writer' 2>&1)
expect "check -v shows the raw test output" $? 1 "$out" 'raw test output:' \
    '^\[FAIL\] capacity::full_pipe_blocks_the_writer' '^\[----\] +in a child: test_pipes\.c'

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
# -o naming a student file by mistake: refused, the file untouched (it was
# truncated, and the archive held it empty); an earlier archive is replaced.
before=$(md5sum <"$C/labs/$L/src/processes.c")
out=$(cd "$C" && "$IPC" submit -o "labs/$L/src/processes.c" 2>&1)
st=$?
out2=$(cd "$C" && "$IPC" submit -o "$W/sub.tar.gz" 2>&1)
st2=$?
if [ $st = 1 ] && grep -q 'exists and is not an archive: not replaced' <<<"$out" &&
    [ "$(md5sum <"$C/labs/$L/src/processes.c")" = "$before" ] && [ $st2 = 0 ] &&
    tar -tzf "$W/sub.tar.gz" >/dev/null 2>&1 && [ -z "$(find "$C" "$W" -name '*.part')" ]; then
    pass "submit -o a student file: refused, the file untouched; an earlier archive is replaced"
else
    fail submit-overwrite "status $st: $out; again: status $st2: $out2"
fi
mkdir -p "$W/unpacked" && tar -xzf "$W/sub.tar.gz" -C "$W/unpacked"
out=$(timeout 300 "$ROOT/build/ipclab" grade --lab 00 --submission "$W/unpacked" --no-valgrind 2>&1)
expect "grader warns when MANIFEST shows an edited provided test" $? 0 "$out" \
    "provided files edited by the student.*labs/$L/tests/test_processes.c" "Score: $NP/$NP"

# --- grade NN -------------------------------------------------------------------
out=$(cd "$C" && timeout 300 "$IPC" grade 00 --no-valgrind 2>&1)
expect "grade 00: the grader's report for this checkout" $? 0 "$out" 'Lab 00' "Score: $NP/$NP"
# The checkout's own file moved away: not graded, though solutions/ (in the
# self-study tree) has one of that name (the grader searched on and gave the
# reference full marks).
mv "$C/labs/$L/src/processes.c" "$W/processes.moved"
out=$(cd "$C" && timeout 300 "$IPC" grade 00 --no-valgrind 2>&1)
expect "grade 00 without the checkout's file: not found, the reference in solutions/ not graded" \
    $? 1 "$out" "not found under .*: processes\.c \(not in labs/$L/src/\)" "Score: 0/$NP"
# check names the missing file (make blamed a missing processes.s) and its
# advice works: reset puts the skeleton back.
out=$(cd "$C" && "$IPC" check 00 2>&1)
expect "check 00 without the file: names it and how to get it back" $? 1 "$out" \
    "labs/$L/src/processes\.c is missing: put it back, or \`ipclab reset 00 processes\.c\`"
out=$(cd "$C" && "$IPC" reset 00 processes.c --yes 2>&1)
if cmp -s "$C/labs/$L/src/processes.c" "$C/.skeleton/$L/src/processes.c"; then
    pass "the advice works: reset 00 processes.c puts the skeleton back"
else
    fail "reset after a missing file" "$out"
fi
mv "$W/processes.moved" "$C/labs/$L/src/processes.c"
if grep -q -e 'ETA' -e $'\r' -e '^build ' <<<"$out"; then
    fail "grade: no progress when not on a terminal" "$out"
else
    pass "grade: no progress when not on a terminal"
fi
# On a terminal: a line per phase and a progress line with both passes and an ETA.
if command -v tmux >/dev/null; then
    GS="$SESSION-grade"
    # shellcheck disable=SC2016 # expanded at exit
    test_at_exit 'tmux kill-session -t "$GS" 2>/dev/null'
    tmux new-session -d -s "$GS" -x 160 -y 50 \
        "cd '$C' && NO_COLOR=1 nice '$IPC' grade 00; echo GRADE-EXIT=\$?; sleep 120"
    gpane() { tmux capture-pane -p -S -200 -t "$GS" 2>/dev/null | grep -qE -- "$1"; }
    live=no
    if wait_until 120 gpane "memcheck [0-9]+/$NV .*ETA|GRADE-EXIT"; then
        gpane "tests [0-9]+/$NT +memcheck [0-9]+/$NV +elapsed [0-9]+s +ETA " && live=yes
    fi
    if wait_until 300 gpane 'GRADE-EXIT=0' && gpane '^build +[0-9.]+ s$' &&
        gpane "^tests $NT/$NT, memcheck $NV/$NV +[0-9.]+ s\$" && gpane "Score: $NP/$NP" && [ $live = yes ]; then
        pass "grade on a terminal: phases, then tests n/N, memcheck n/N and an ETA"
    else
        fail grade-progress "live bar seen: $live; $(tmux capture-pane -p -S -200 -t "$GS" | grep -v '^$' | head -8)"
    fi
    tmux kill-session -t "$GS" 2>/dev/null
else
    skip grade-progress "tmux not installed"
fi

# --- check --memcheck and the status screen's last grade ---------------------------
# A leak that the tests cannot see: check passes, --memcheck shows valgrind's own
# lines per test and the grader's deduction, and the status screen keeps it.
cp "$C/labs/$L/src/processes.c" "$W/processes.mc.keep"
cp "$SOL" "$C/labs/$L/src/processes.c"
sed -i '/^int describe_status(/,/^{$/ s/^{$/{\n    char *lost = malloc(32);\n    if (lost != NULL)\n        lost[0] = 1;/' \
    "$C/labs/$L/src/processes.c"
ND=$("$IPC" manifest --tests "$C/labs/$L" | grep -c '^describe_status/')
out=$(cd "$C" && timeout 300 nice "$IPC" check --memcheck 00 'describe_status/*' 2>&1)
expect "check --memcheck: valgrind's own lines per test and the grader's deductions" $? 1 "$out" \
    "$ND/$ND tests pass" '✗ describe_status/[a-z_]+  \(memcheck: 0 errors, 32 bytes lost\)' \
    'are definitely lost' 'by 0x[0-9A-F]+: describe_status \(processes\.c:[0-9]+\)' \
    'the grader would deduct:' '-1  memory leaks \(valgrind\)  describe_status/' \
    'show it: make -C labs/00-processes valgrind' "memcheck: found the above; the grade would be [0-9]+/$NP"
out=$("$IPC" 2>&1)
expect "status screen shows the last grade's deductions" $? 1 "$out" \
    "last grade: [0-9]+/$NP, deductions:" '-1  memory leaks \(valgrind\)  describe_status/'
cp "$W/processes.mc.keep" "$C/labs/$L/src/processes.c"

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

# --- Ctrl-C during check's build ------------------------------------------------------
# make and gcc get SIGTERM before SIGKILL, so they clean up: no compiler
# temporary is left in TMPDIR (killed at once, gcc left its cc*.s there). A
# function slow to compile, in the test file (a test file compiles through a
# temporary cc*.s in TMPDIR; the student's goes through build/student/NAME.s),
# keeps gcc busy with its temporary until the Ctrl-C comes.
cp "$C/labs/$L/tests/test_processes.c" "$W/test_processes.keep"
awk 'BEGIN { print "int slow_to_compile(int v);\nint slow_to_compile(int v)\n{";
             for (i = 0; i < 8000; i++) printf "    v = v * 31 + %d + (v >> 3);\n", i;
             print "    return v;\n}" }' >>"$C/labs/$L/tests/test_processes.c"
CT="$W/ctrl-c-tmp"
mkdir -p "$CT"
(cd "$C" && TMPDIR="$CT" exec "$IPC" check 00 >"$W/interrupted-build.out" 2>&1) &
check_pid=$!
if wait_until 60 sh -c "ls '$CT' | grep -q '^cc'"; then
    kill -INT "$check_pid"
    wait "$check_pid"
    rc=$?
    if [ "$rc" = 130 ] && grep -q '^stopped' "$W/interrupted-build.out" &&
        [ -z "$(ls -A "$CT")" ] && ! pgrep -f "[c]c1 .*$L" >/dev/null; then
        pass "Ctrl-C during check's build: stopped, no compiler temporary left in TMPDIR"
    else
        fail check-build-ctrl-c "exit $rc; left in TMPDIR: $(ls -A "$CT"); $(cat "$W/interrupted-build.out")"
    fi
else
    kill "$check_pid" 2>/dev/null
    fail check-build-ctrl-c "gcc never made a temporary file: $(cat "$W/interrupted-build.out")"
fi
cp "$W/test_processes.keep" "$C/labs/$L/tests/test_processes.c"

# --- namespaces: check, and make check ---------------------------------------------
# A copy of the course whose lab 00 has two more tests: one leaves a SysV
# semaphore set (a key unique to this run) and hangs; one blocks SIGPROF,
# Criterion's only way to stop a test, and hangs.
LK="$W/leak"
cp -r "$C" "$LK" && rm -rf "$LK/labs/$L/build"
LIPC="$LK/build/ipclab" # a command works on its own course tree
KEY=$(printf '0x15a%05x' $(($$ % 0xfffff)))
cat >"$LK/labs/$L/tests/test_leak.c" <<EOF
/* test_leak.c - tests that leave things behind, for student.test.sh only. */
#include <criterion/criterion.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <unistd.h>

TestSuite(leak, .timeout = 2);

Test(leak, leaves_a_set_and_hangs)
{
    cr_assert_geq(semget((key_t)$KEY, 1, IPC_CREAT | 0600), 0);
    for (;;)
        pause();
}

Test(leak, blocks_sigprof_and_hangs)
{
    sigset_t prof;
    sigemptyset(&prof);
    sigaddset(&prof, SIGPROF);
    sigprocmask(SIG_BLOCK, &prof, NULL);
    for (;;)
        pause();
}
EOF
sed -i 's/^TEST_SRCS *= *test_processes.c/& test_leak.c/' "$LK/labs/$L/Makefile"
printf '\n[test leak/%s]\npoints = 1\nhint = none\n' leaves_a_set_and_hangs blocks_sigprof_and_hangs \
    >>"$LK/labs/$L/lab.ini"
# shellcheck disable=SC2016 # expanded at exit
test_at_exit 'ipcrm -S "$KEY" 2>/dev/null'
# set_left: the run's semaphore set is on the machine.
set_left() { ipcs -s | awk -v k="$KEY" 'tolower($1) == tolower(k) { f = 1 } END { exit !f }'; }
out=$(cd "$LK" && timeout 120 "$LIPC" check 00 'leak/leaves_*' 2>&1)
st=$?
if [ $st = 1 ] && grep -q 'did not finish within 2 s' <<<"$out" && ! set_left &&
    ! grep -q 'without private namespaces' <<<"$out"; then
    pass "check runs the tests in private namespaces: a leaked semaphore set is gone with them"
elif grep -q 'isolation off' <<<"$out"; then
    skip check-namespaces "no sandbox on this machine: $out"
else
    fail check-namespaces "exit $st; set left: $(set_left && echo yes); $out"
fi
ipcrm -S "$KEY" 2>/dev/null
out=$(cd "$LK" && IPCLAB_NO_SANDBOX=1 timeout 120 "$LIPC" check 00 'leak/leaves_*' 2>&1)
st=$?
id=$(ipcs -s | awk -v k="$KEY" 'tolower($1) == tolower(k) { print $2 }')
expect "check without namespaces names what the tests left and how to remove it" $st 1 "$out" \
    'the tests ran without private namespaces' "not removed: .*ipcrm -s ${id:-none}"
ipcrm -S "$KEY" 2>/dev/null
# make check: the test that defeats Criterion's timeout is stopped all the same,
# and the set the other one leaves stays in the run's own IPC namespace.
t0=$(date +%s)
out=$(timeout 120 make -s -C "$LK/labs/$L" check CRITERION_FLAGS='--filter=leak/*' 2>&1)
st=$?
took=$(($(date +%s) - t0))
if [ $st != 124 ] && grep -q '\[ipclab\] leak/blocks_sigprof_and_hangs still ran 2 s after its 2 s timeout' <<<"$out" &&
    grep -q 'Tested: 2 ' <<<"$out" && [ "$took" -lt 60 ]; then
    pass "make check stops a test that blocks SIGPROF at its timeout (+2 s)"
else
    fail make-check-timeout "exit $st after $took s: $out"
fi
if grep -q 'no private IPC namespace here' <<<"$out"; then
    skip make-check-private-ipc "no namespaces on this machine"
elif set_left; then
    fail make-check-private-ipc "the semaphore set $KEY is on the machine after make check"
else
    pass "make check runs in a private IPC namespace: a leaked set does not outlive the run"
fi

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
            if ! wait_pane "$NT/$NT tests pass" 120; then
                step="the fix passes"
            elif ! tmux capture-pane -p -t "$SESSION" | grep -A2 'the tests that failed last time, first' |
                grep -qE 'lab 00 \(filtered\): ([0-9]+)/\1 tests pass'; then
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
