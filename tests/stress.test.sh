#!/bin/bash
# stress.test.sh - race stress (labs/support/shim.c, `ipclab check --stress`): a seed
# replays the same decisions, a race the plain run passes by luck is caught, the
# reference passes, and nothing happens without a seed.
# Usage: tests/stress.test.sh   (about a minute: lab 09, built once under build/stress/)
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
test_begin stress
cd "$ROOT" || exit 2
need_ipclab
IPC="$ROOT/build/ipclab"
LAB=09
SLUG=09-signals
VARIANT=ready-before-handler
RACY=waiting/peer_signals_after_ready

# --- the manifest: every lab marks its concurrency tests -----------------------------
unmarked=""
for d in labs/[0-9][0-9]-*/; do
    [ -n "$("$IPC" manifest --stress "$d")" ] || unmarked="$unmarked $(basename "$d")"
done
if [ -z "$unmarked" ] && "$IPC" manifest --stress "$LAB" | grep -qx "$RACY"; then
    pass "every lab marks tests with options = stress (manifest --stress lists them)"
else
    fail manifest "labs without a stress test:${unmarked:- none}; lab $LAB: $("$IPC" manifest --stress "$LAB" | tr '\n' ' ')"
fi
out=$("$IPC" check "$LAB" --stress 0 2>&1)
st1=$?
out2=$("$IPC" check "$LAB" --seed 2>&1)
st2=$?
if [ $st1 = 2 ] && [ $st2 = 2 ] && grep -q 'number of runs' <<<"$out" &&
    grep -q 'needs a seed' <<<"$out2"; then
    pass "check --stress 0 and --seed without a value are usage errors (exit 2)"
else
    fail usage "--stress 0: $st1 $out / --seed: $st2 $out2"
fi

# --- the reference passes a few runs (one CPU, then two) -----------------------------
out=$(timeout 300 scripts/stress.sh "$LAB" 3 --seed 1 2>&1)
status=$?
if [ $status = 0 ] && grep -q "0 of 3 stress runs failed" <<<"$out" &&
    grep -q "tests under race stress, 3 runs from seed 1" <<<"$out"; then
    pass "the reference of lab $LAB passes 3 stressed runs (one CPU, two, one)"
else
    fail reference "exit $status: $(tail -20 <<<"$out")"
fi

# --- a seed replays the same decisions ------------------------------------------------
# Each process's sequence of stress actions (the sleeps with their lengths, the
# yields), as strace sees them, in a test whose processes make the same calls
# every time: the same seed gives the same sequences, another seed others.
BIN="$ROOT/build/stress/$SLUG-reference/labs/$SLUG/build/run-tests"
decisions() { # SEED: one line per process (its actions joined), sorted
    local log
    log=$(mktemp "${TMPDIR:-/tmp}/stress-strace.XXXXXX")
    if [ -n "$1" ]; then
        IPCLAB_STRESS_SEED=$1 IPCLAB_FORK_RUNNER=1 strace -f -qq -e trace=nanosleep,sched_yield \
            -o "$log" "$BIN" --filter=loop/reports_sigqueue_values >/dev/null 2>&1
    else
        IPCLAB_FORK_RUNNER=1 strace -f -qq -e trace=nanosleep,sched_yield \
            -o "$log" "$BIN" --filter=loop/reports_sigqueue_values >/dev/null 2>&1
    fi
    awk '$2 ~ /^(nanosleep|sched_yield)/ { a[$1] = a[$1] " " $2 $3 $4 } END { for (p in a) print a[p] }' \
        "$log" | sort
    rm -f "$log"
}
if ! command -v strace >/dev/null; then
    skip replay "strace is not installed"
elif [ ! -x "$BIN" ]; then
    fail replay "no test binary at $BIN"
else
    a=$(decisions 7)
    b=$(decisions 7)
    c=$(decisions 8)
    none=$(decisions "")
    if [ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" != "$c" ]; then
        pass "a seed replays the same sleeps and yields in every process ($(wc -w <<<"$a") actions for seed 7; seed 8 differs)"
    else
        fail replay "seed 7: [$a] / again: [$b] / seed 8: [$c]"
    fi
    if [ -z "$none" ]; then
        pass "without IPCLAB_STRESS_SEED the shim injects nothing"
    else
        fail no-seed "actions without a seed: $none"
    fi
fi

# --- a race the plain run passes by luck is caught, and its seed replays it -----------
out=$(timeout 300 scripts/stress.sh "$LAB" 12 --seed 1 --variant "$VARIANT" 2>&1)
status=$?
seed=$(sed -n -E "s|.*reproduce: ipclab check $LAB '$RACY' --stress 1 --seed ([0-9]+).*|\\1|p" <<<"$out" | head -1)
if [ $status = 1 ] && [ -n "$seed" ] && grep -q "✗ $RACY" <<<"$out"; then
    pass "variant $VARIANT is caught under stress (first at seed $seed), with the command that replays it"
else
    fail caught "exit $status, seed '${seed}': $(tail -20 <<<"$out")"
fi
if [ -n "$seed" ]; then
    again=""
    for try in 1 2 3 4 5 6 7 8; do
        if ! timeout 120 scripts/stress.sh "$LAB" 1 --seed "$seed" --variant "$VARIANT" "$RACY" >/dev/null 2>&1; then
            again=$try
            break
        fi
    done
    if [ -n "$again" ]; then
        pass "seed $seed fails the variant again (try $again of at most 8: the scheduler still has a say)"
    else
        fail replay-variant "seed $seed passed 8 replays"
    fi
fi

# --- the grader's pass (policy.ini [stress] runs): off by default, a deduction when on --
pol=$(mktemp "${TMPDIR:-/tmp}/stress-policy.XXXXXX")
sub=$(mktemp -d "${TMPDIR:-/tmp}/stress-sub.XXXXXX")
json="$sub.json"
test_at_exit "rm -rf '$pol' '$sub' '$json'"
sed 's/^runs = 0$/runs = 10/' grader/policy.ini >"$pol"
scripts/broken.sh apply "$SLUG" "$VARIANT" "$sub" >/dev/null
out=$(timeout 600 "$IPC" grade --lab "$LAB" --submission "$sub" --no-valgrind --policy "$pol" \
    --report-json "$json" 2>&1)
ded=$(jq -r '.deductions[] | select(.category == "stress") | "\(.test) \(.command)"' "$json" 2>/dev/null)
if grep -q "^$RACY ipclab check $LAB '$RACY' --stress 1 --seed [0-9]*$" <<<"$ded" &&
    jq -e '.tests[] | select(.name == "'"$RACY"'") | .verdict == "passed" and .stress.runs == 10 and .stress.failed > 0' "$json" >/dev/null; then
    pass "grade with [stress] runs = 10: the variant's racy test passed natively and lost points under stress, with its seed"
else
    fail grade-stress "deductions: [$ded]; $(tail -8 <<<"$out")"
fi
if grep -q -x 'runs = 0' grader/policy.ini; then
    pass "the stress pass is off in the default policy (runs = 0)"
else
    fail default-policy "grader/policy.ini does not say runs = 0"
fi

test_done
