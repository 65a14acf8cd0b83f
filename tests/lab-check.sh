#!/bin/bash
# lab-check.sh - prove one lab sound: skeleton, solution, manifest, broken variants.
# Usage: tests/lab-check.sh labs/NN-name   (or just NN)
#
# Checks, each printed as "PASS <lab> <check>" or "FAIL <lab> <check>: why":
#   skeleton-builds      the untouched skeleton compiles with -Werror
#   skeleton-todos       every student file has a TODO(labNN) marker
#   skeleton-fails       every test fails, all within 30 s, nothing hangs
#   manifest-matches     lab.ini and the test binary list the same tests
#   timeouts             every test has its own Criterion timeout, and the
#                        grader's table (ipclab manifest --timeout) is the same
#   fast-start           Criterion starts without libgit2's TLS set-up (lazy_libgit2.c)
#   small-bss            the test binary's .bss is at most 512 KiB (every memcheck
#                        leak check scans it)
#   solution-passes      the reference solution passes every test
#   solution-clean       ... leaving no fd, child process or IPC object behind
#   solution-valgrind    ... with zero memcheck errors and zero leaks
#   broken/<variant>     each broken variant (bug.patch applied to the solution)
#                        applies cleanly and fails the tests it names (run as
#                        the grader runs them: a forked child per test); its
#                        `stress TEST` lines: TEST fails under race stress
#                        (IPCLAB_STRESS_SEED) within STRESS_TRIES seeds (20)
#   audit                the grader's submission audit (ipclab audit) refuses
#                        neither the solution nor any broken variant: it must
#                        never refuse honest code (it reads their builds)
# Ends with "DONE lab-check.sh"; exit status: 0 when every check passed.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh" # sets ROOT, set -uo pipefail
lab_arg=${1:-}
case "$lab_arg" in
[0-9][0-9]) lab_arg=$(find "$ROOT/labs" -mindepth 1 -maxdepth 1 -type d -name "$lab_arg-*" | head -1) ;;
esac
if [ -z "$lab_arg" ] || [ ! -f "$lab_arg/lab.ini" ]; then
    echo "usage: tests/lab-check.sh labs/NN-name (or NN): '${1:-}' is not a lab" >&2
    exit 2
fi
LAB_DIR=$(cd "$lab_arg" && pwd)
SLUG=$(basename "$LAB_DIR")
NUM=${SLUG%%-*}
SOL_DIR="$ROOT/solutions/$SLUG/src"
BROKEN_DIR="$ROOT/tests/broken/$SLUG"
WORK="$ROOT/build/test/$SLUG"
IPCLAB="$ROOT/build/ipclab"
ISOLATE="$ROOT/tests/lib/isolate.sh"
SKELETON_BUDGET=30

test_begin "$SLUG"

rm -rf "$WORK"
mkdir -p "$WORK"
export TMPDIR="$WORK/tmp"
mkdir -p "$TMPDIR"

# build NAME SRC_DIR: build the test binary into $WORK/NAME; log in NAME.build.log
build() {
    make -s -C "$LAB_DIR" all WERROR=1 SRC_DIR="$2" BUILD_DIR="$WORK/$1" \
        >"$WORK/$1.build.log" 2>&1
}

# run NAME [criterion flags]: run $WORK/NAME's tests in isolation, one job,
# writing $WORK/NAME.results.json and $WORK/NAME.probe.jsonl.
run() {
    local name=$1
    shift
    rm -f "$WORK/$name.probe.jsonl" "$WORK/$name.results.json"
    IPCLAB_RESULTS_FILE="$WORK/$name.results.json" IPCLAB_PROBE_FILE="$WORK/$name.probe.jsonl" \
        timeout -k 5 300 "$ISOLATE" "$WORK/$name/run-tests" --jobs 1 "$@" \
        >"$WORK/$name.run.log" 2>&1
}

# statuses NAME: "test status" lines from NAME's results.
statuses() {
    jq -r '.tests[] | "\(.name) \(.status)"' "$WORK/$1.results.json" 2>/dev/null | sort
}

# --- manifest ---------------------------------------------------------------
manifest_tests=$("$IPCLAB" manifest "$LAB_DIR" 2>"$WORK/manifest.err" | sort)
if [ -z "$manifest_tests" ]; then
    fail manifest-matches "lab.ini does not load: $(cat "$WORK/manifest.err")"
fi

# --- skeleton ---------------------------------------------------------------
if build skeleton "$LAB_DIR/src"; then
    pass skeleton-builds
else
    fail skeleton-builds "$(head -20 "$WORK/skeleton.build.log")"
fi

missing_todo=""
for f in $("$IPCLAB" manifest --student-files "$LAB_DIR"); do
    grep -q "TODO(lab$NUM)" "$LAB_DIR/src/$f" || missing_todo="$missing_todo $f"
done
if [ -z "$missing_todo" ]; then
    pass skeleton-todos
else
    fail skeleton-todos "no TODO(lab$NUM) in:$missing_todo"
fi

if [ -x "$WORK/skeleton/run-tests" ]; then
    start=$(date +%s.%N)
    run skeleton
    elapsed=$(echo "$(date +%s.%N) - $start" | bc)
    passing=$(statuses skeleton | awk '$2 == "passed" {print $1}')
    total=$(statuses skeleton | wc -l)
    if [ "$total" -eq 0 ]; then
        fail skeleton-fails "no results (runner died?): $(tail -5 "$WORK/skeleton.run.log")"
    elif [ -n "$passing" ]; then
        fail skeleton-fails "tests pass on the untouched skeleton: $passing"
    elif [ "$(echo "$elapsed > $SKELETON_BUDGET" | bc)" = 1 ]; then
        fail skeleton-fails "took ${elapsed}s (budget ${SKELETON_BUDGET}s)"
    else
        pass "skeleton-fails ($total tests, $(printf %.1f "$elapsed")s)"
    fi
fi

# --- solution ---------------------------------------------------------------
if ! build solution "$SOL_DIR"; then
    fail solution-builds "$(head -20 "$WORK/solution.build.log")"
    test_done
fi

# audit_build NAME: the grader's audit of $WORK/NAME's build; a refusal is
# added to $audit_refused (reported once, after the broken variants).
audit_refused=""
audit_checked=0
audit_build() {
    local out
    if ! out=$("$IPCLAB" audit --lab "$LAB_DIR" --build "$WORK/$1" 2>&1); then
        audit_refused="$audit_refused
  $1: $(echo "$out" | grep -v '^note: ' | head -3)"
    fi
    audit_checked=$((audit_checked + 1))
}
audit_build solution

binary_tests=$("$WORK/solution/run-tests" --list 2>&1 |
    awk '/^[A-Za-z_0-9]+: [0-9]+ tests?$/ {s=$1; sub(":", "", s); next}
         /(├──|└──)/ {print s "/" $2}' | sort)
if [ -n "$manifest_tests" ] && [ "$manifest_tests" = "$binary_tests" ]; then
    pass "manifest-matches ($(echo "$manifest_tests" | wc -l) tests)"
elif [ -n "$manifest_tests" ]; then
    fail manifest-matches "differences (< lab.ini, > test binary):
$(diff <(echo "$manifest_tests") <(echo "$binary_tests") | grep '^[<>]')"
fi

# One timeout per test, from one source: each test's own Criterion timeout
# (its Test's .timeout, else its TestSuite's), as support/timeouts.c reads
# it. Every test has one, the grader (`ipclab manifest --timeout`) sees the
# same table, and lab.ini declares none of its own.
table=$(make -s --no-print-directory -C "$LAB_DIR" timeouts WERROR=1 SRC_DIR="$SOL_DIR" \
    BUILD_DIR="$WORK/solution" 2>"$WORK/timeouts.err" | sort)
untimed=$(echo "$table" | awk '$2 <= 0 {print $1}')
grader_table=$("$IPCLAB" manifest --timeout "$LAB_DIR" 2>>"$WORK/timeouts.err" | sort)
if [ -z "$table" ]; then
    fail timeouts "make timeouts printed nothing: $(head -5 "$WORK/timeouts.err")"
elif [ -n "$untimed" ]; then
    fail timeouts "no timeout (give the suite TestSuite(name, .timeout = N)): $(printf '%s ' "$untimed" | tr '\n' ' ')"
elif [ "$(echo "$table" | awk '{print $1}')" != "$binary_tests" ]; then
    fail timeouts "the timeout table and the test binary list different tests"
elif [ "$table" != "$grader_table" ]; then
    fail timeouts "the grader's timeouts differ from the tests' (< tests, > ipclab):
$(diff <(echo "$table") <(echo "$grader_table") | grep '^[<>]' | head -5) $(head -3 "$WORK/timeouts.err")"
elif grep -qE '^[[:space:]]*timeout[[:space:]]*=' "$LAB_DIR/lab.ini"; then
    fail timeouts "lab.ini declares a timeout: the tests' own are the one source"
else
    pass "timeouts ($(echo "$table" | awk '{print $2}' | sort -n | uniq -c | awk '{printf "%s%d x %g s", (NR > 1 ? ", " : ""), $1, $2}'))"
fi

# Criterion's start-up: libgit2's own init (TLS set-up: it parses the CA
# bundle) is deferred by support/lazy_libgit2.c, or every test process pays.
if LD_DEBUG=bindings "$WORK/solution/run-tests" --version 2>&1 |
    grep "normal symbol \`git_libgit2_init'" | grep -qF "to $WORK/solution/run-tests ["; then
    pass fast-start
else
    fail fast-start "git_libgit2_init binds to libgit2, not to support/lazy_libgit2.c"
fi

# memcheck's leak check, at the exit of every process the tests start, scans
# the test binary's whole .bss: 8 MB of static test buffers cost lab 01 a
# fifth of its memcheck time. Big buffers go on the stack or ipct_scratch.
bss=$(size -A "$WORK/solution/run-tests" | awk '$1 == ".bss" {print $2}')
if [ "${bss:-0}" -le $((512 * 1024)) ]; then
    pass "small-bss ($((${bss:-0} / 1024)) KiB)"
else
    fail small-bss "the test binary has $((bss / 1024)) KiB of .bss (at most 512): make large static buffers automatic or use ipct_scratch (ipclab_test.h)"
fi

run solution
not_passed=$(statuses solution | awk '$2 != "passed"')
if [ -z "$(statuses solution)" ]; then
    fail solution-passes "no results: $(tail -5 "$WORK/solution.run.log")"
elif [ -n "$not_passed" ]; then
    fail solution-passes "$(echo "$not_passed" | head -10)
$(grep -A3 -E '\[FAIL\]|CRASH|TIMEOUT' "$WORK/solution.run.log" | head -20)"
else
    pass "solution-passes ($(statuses solution | wc -l) tests)"
fi
left=$(jq -c 'select(.event == "end") | select((.fds | length) > 0 or .children > 0 or (.ipc | length) > 0)' \
    "$WORK/solution.probe.jsonl" 2>/dev/null)
if [ ! -s "$WORK/solution.probe.jsonl" ]; then
    fail solution-clean "the probe wrote nothing"
elif [ -n "$left" ]; then
    fail solution-clean "left behind: $left"
else
    pass solution-clean
fi

# Valgrind (the course's options: labs/support/valgrind.args): one log per
# process; any memory error or leak of any kind fails, named by its test.
vg="$WORK/vg"
mkdir -p "$vg"
if [ "${IPCLAB_SKIP_VALGRIND:-}" = 1 ]; then
    skip solution-valgrind IPCLAB_SKIP_VALGRIND=1
else
    novg=$("$IPCLAB" manifest --no-valgrind "$LAB_DIR" | paste -sd'|')
    filter=()
    [ -n "$novg" ] && filter=(--filter="!(${novg})")
    # Lines starting with -- are options; NAME=value lines, the tests' environment.
    mapfile -t vg_args < <(grep -E '^[[:space:]]*--' "$ROOT/labs/support/valgrind.args")
    mapfile -t vg_env < <(grep -E '^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*=' \
        "$ROOT/labs/support/valgrind.args")
    # The tests run in children forked from one memcheck'd runner (forkrun.c).
    IPCLAB_FORK_RUNNER=1 timeout -k 5 900 "$ISOLATE" env "${vg_env[@]}" valgrind "${vg_args[@]}" \
        --suppressions="$ROOT/labs/support/valgrind.supp" --log-file="$vg/%p.log" \
        "$WORK/solution/run-tests" "${filter[@]}" >"$WORK/valgrind.run.log" 2>&1
    bad=$(grep -l -E 'ERROR SUMMARY: [1-9]|(definitely|indirectly|possibly) lost: [1-9]' \
        "$vg"/*.log 2>/dev/null)
    nlogs=$(find "$vg" -name '*.log' | wc -l)
    if [ "$nlogs" -eq 0 ]; then
        fail solution-valgrind "no valgrind logs written"
    elif [ -n "$bad" ]; then
        why=""
        for log in $bad; do
            # A forked child's log has no marker: follow "Parent PID" up.
            owner=$log
            test=""
            for _ in 1 2 3 4 5; do
                test=$(grep -m1 -o 'IPCLAB-TEST .*' "$owner" | cut -d' ' -f2)
                [ -n "$test" ] && break
                ppid=$(grep -m1 -o 'Parent PID: [0-9]*' "$owner" | grep -o '[0-9]*$')
                owner="$vg/$ppid.log"
                [ -f "$owner" ] || break
            done
            why="$why
  ${test:-unknown test} ($log): $(grep -E 'ERROR SUMMARY|(definitely|indirectly|possibly) lost: [1-9]' "$log" |
                sed 's/^==[0-9]*== *//' | paste -sd' ')"
        done
        fail solution-valgrind "memcheck errors or leaks:$why"
    elif grep -q -E 'FAIL|CRASH|TIMEOUT' "$WORK/valgrind.run.log" &&
        grep -q -E 'Failing: [1-9]|Crashing: [1-9]' "$WORK/valgrind.run.log"; then
        fail solution-valgrind "tests fail under valgrind: $(grep -E '\[FAIL\]' "$WORK/valgrind.run.log" | head -5)"
    else
        pass "solution-valgrind ($nlogs processes, 0 errors, 0 leaks)"
    fi
fi

# --- broken variants ----------------------------------------------------------
# Speed gates measure both CPUs: in a lab that has them, one test at a time.
broken_jobs=()
[ -n "$("$IPCLAB" manifest --perf "$LAB_DIR" 2>/dev/null)" ] && broken_jobs=(--jobs 1)
if [ ! -d "$BROKEN_DIR" ]; then
    fail broken "no broken variants under tests/broken/$SLUG"
else
    for variant in "$BROKEN_DIR"/*/; do
        v=$(basename "$variant")
        src="$WORK/broken-$v.src"
        if [ ! -s "$variant/expect" ]; then
            fail "broken/$v" "no expect file"
            continue
        fi
        if ! "$ROOT/scripts/broken.sh" apply "$SLUG" "$v" "$src" 2>"$WORK/broken-$v.patch.log"; then
            fail "broken/$v" "$(cat "$WORK/broken-$v.patch.log")"
            continue
        fi
        # Reuse the solution's test and support objects: only the student file differs.
        mkdir -p "$WORK/broken-$v"
        cp -pr "$WORK/solution/tests" "$WORK/solution/support" "$WORK/broken-$v"/
        if ! build "broken-$v" "$src"; then
            fail "broken/$v" "does not build: $(head -5 "$WORK/broken-$v.build.log")"
            continue
        fi
        audit_build "broken-$v"
        # Run only the tests the variant must fail: it is what we check, and
        # broken code often runs into timeouts. Each in a forked child, as the
        # grader runs them (labs/support/forkrun.c); make check's exec'd
        # workers run the solution above.
        # `stress TEST` lines: a race the plain run passes by luck; it must fail
        # under seeded race stress (IPCLAB_STRESS_SEED) within STRESS_TRIES seeds.
        stressed=$(sed -n -E 's/^[[:space:]]*stress[[:space:]]+//p' "$variant/expect" | paste -sd'|')
        if [ -n "$stressed" ]; then
            caught=""
            for seed in $(seq 1 "${STRESS_TRIES:-20}"); do
                IPCLAB_STRESS_SEED=$seed IPCLAB_FORK_RUNNER=1 \
                    IPCLAB_RESULTS_FILE="$WORK/broken-$v.stress.results.json" \
                    timeout -k 5 300 "$ISOLATE" "$WORK/broken-$v/run-tests" \
                    "${broken_jobs[@]}" --filter="@($stressed)" >"$WORK/broken-$v.stress.log" 2>&1
                if statuses "broken-$v.stress" | grep -q -v -E ' (passed|skipped)$'; then
                    caught=$seed
                    break
                fi
            done
            if [ -z "$caught" ]; then
                fail "broken/$v" "race stress did not catch it in ${STRESS_TRIES:-20} seeds: $stressed"
                continue
            fi
        fi
        wanted=$(grep -v -E '^[[:space:]]*(#|$|stress[[:space:]])' "$variant/expect" | paste -sd'|')
        if [ -z "$wanted" ]; then
            pass "broken/$v (race stress caught it with seed $caught)"
            continue
        fi
        IPCLAB_FORK_RUNNER=1 IPCLAB_RESULTS_FILE="$WORK/broken-$v.results.json" \
            timeout -k 5 300 "$ISOLATE" \
            "$WORK/broken-$v/run-tests" "${broken_jobs[@]}" --filter="@($wanted)" \
            >"$WORK/broken-$v.run.log" 2>&1
        results=$(statuses "broken-$v" | grep -v ' skipped$')
        missed=""
        while read -r want; do
            case "$want" in '' | '#'* | stress[[:space:]]*) continue ;; esac
            # shellcheck disable=SC2254
            hit=$(echo "$results" | while read -r t s; do
                case "$t" in $want) [ "$s" != passed ] && echo "$t" ;; esac
            done)
            [ -z "$hit" ] && missed="$missed $want"
        done <"$variant/expect"
        if [ -z "$results" ]; then
            fail "broken/$v" "no results: $(tail -5 "$WORK/broken-$v.run.log")"
        elif [ -n "$missed" ]; then
            fail "broken/$v" "these tests should fail but passed:$missed"
        else
            pass "broken/$v"
        fi
    done
fi

if [ -n "$audit_refused" ]; then
    fail audit "the grader's audit refuses honest code:$audit_refused"
else
    pass "audit ($audit_checked builds, none refused)"
fi

test_done
