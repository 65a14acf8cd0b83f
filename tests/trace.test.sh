#!/bin/bash
# trace.test.sh - `ipclab trace` (grader/trace/): strace's log read into an IPC timeline.
# Usage: tests/trace.test.sh
#
# recorded   the reader on strace logs kept with `ipclab trace --log` (tests/trace/,
#            gzipped, read back with --replay): lab 01's three_stages_match_sh on the
#            reference, and on the broken variant pipeline-write-end-leaked; System V and
#            POSIX queues, a semaphore wake, SCM_RIGHTS and signals (labs 03, 05, 07, 09)
# live       the same two runs made now (the reference, then the variant's patch),
#            their SVG charts well-formed; tracing's cost against a plain run of
#            the same test in this script (the issue's bound: under 3 s more)
# Prints PASS/FAIL lines and ends with DONE.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh" # sets ROOT, set -uo pipefail
test_begin trace
IPC="$ROOT/build/ipclab"
LAB="$ROOT/labs/01-pipes"
SOL="$ROOT/solutions/01-pipes/src"
TEST=pipeline/three_stages_match_sh
test_tmpdir W ipclab-trace

if ! make -s -C "$ROOT" ipclab >"$W/make.log" 2>&1; then
    fail build "$(tail -3 "$W/make.log")"
    test_done
fi
if ! command -v strace >/dev/null; then
    skip all "strace is not installed (scripts/deps.sh)"
    test_done
fi

# pipeline_lanes OUT: the lane letters of the three children (tr, sort, uniq) of one
# process other than sh (run_pipeline's, not the shell's) into P T S U; 1 if none.
pipeline_lanes() {
    local line
    line=$(awk '$1 ~ /^[A-Za-z]$/ && $4 == "child" && $5 == "of" {
                   kids[$6] = kids[$6] " " $3 ":" $1; name[$1] = $3 }
                $1 ~ /^[A-Za-z]$/ && $2 ~ /^[0-9]+$/ { name[$1] = $3 }
                END { for (p in kids) if (name[p] != "sh" && kids[p] ~ / tr:/ &&
                         kids[p] ~ / sort:/ && kids[p] ~ / uniq:/ &&
                         split(kids[p], k, " ") == 3) print p kids[p] }' <<<"$1")
    [ -n "$line" ] || return 1
    P=${line%% *}
    T=$(grep -o 'tr:[A-Za-z]' <<<"$line" | cut -c4)
    S=$(grep -o 'sort:[A-Za-z]' <<<"$line" | cut -c6)
    U=$(grep -o 'uniq:[A-Za-z]' <<<"$line" | cut -c6)
}

# check_flow NAME OUT: three children, two pipes, bytes stage to stage, EOF at each reader.
check_flow() {
    local name=$1 out=$2 x y
    if ! pipeline_lanes "$out"; then
        fail "$name: 3 children" "no process with exactly tr, sort and uniq as children: $(head -15 <<<"$out")"
        return
    fi
    pass "$name: 3 children ($T tr, $S sort, $U uniq of $P)"
    x=$(grep -oE " $S [0-9]+ B from (pipe#[0-9]+) <- $T tr" <<<"$out" | grep -oE 'pipe#[0-9]+' | head -1)
    y=$(grep -oE " $U [0-9]+ B from (pipe#[0-9]+) <- $S sort" <<<"$out" | grep -oE 'pipe#[0-9]+' | head -1)
    if [ -n "$x" ] && [ -n "$y" ] && [ "$x" != "$y" ] &&
        grep -qE " $T [0-9]+ B into $x\$" <<<"$out" && grep -qE " $S [0-9]+ B into $y\$" <<<"$out"; then
        pass "$name: 2 pipes, bytes tr -> $x -> sort -> $y -> uniq"
    else
        fail "$name: 2 pipes" "tr->sort '${x:-}', sort->uniq '${y:-}': $(grep -E " ($T|$S|$U) " <<<"$out" | head -20)"
    fi
    if [ -n "$x" ] && [ -n "$y" ] && grep -qE " $S EOF on $x" <<<"$out" &&
        grep -qE " $U EOF on $y" <<<"$out"; then
        pass "$name: EOF reaches sort ($x) and uniq ($y)"
    else
        fail "$name: EOF" "$(grep -E 'EOF' <<<"$out" | head)"
    fi
}

# check_blocked NAME OUT: sort blocked reading its pipe, the write end still held by
# run_pipeline's process (the variant never closes it there).
check_blocked() {
    local name=$1 out=$2
    if ! pipeline_lanes "$out"; then
        fail "$name: lanes" "$(head -15 <<<"$out")"
        return
    fi
    local pname
    pname=$(awk -v p="$P" '$1 == p && $2 ~ /^[0-9]+$/ { print $3 " " $4 " " $5; exit }' <<<"$out")
    pname=${pname% child*}
    if grep -A1 -E "^  $S [0-9]+ sort: blocked [0-9.]+ s in read\(pipe#[0-9]+\): other end held by" <<<"$out" |
        grep -q "$pname"; then
        pass "$name: sort blocked in read, the write end held by $P ($pname)"
    else
        fail "$name: blocked reader" "$(sed -n '/^blocked/,$p' <<<"$out")"
    fi
    if grep -qE "^  $S [0-9]+ +sort .*BLOCKED" <<<"$out"; then
        pass "$name: the legend marks sort BLOCKED"
    else
        fail "$name: legend" "$(head -12 <<<"$out")"
    fi
}

# --- recorded ------------------------------------------------------------------
for f in three-stages three-stages-write-end-leaked; do
    gzip -dc "$ROOT/tests/trace/$f.strace.gz" >"$W/$f.log"
done
out=$(NO_COLOR=1 "$IPC" trace --replay "$W/three-stages.log" --svg "$W/rec.svg" 2>&1)
check_flow "recorded reference" "$out"
out=$(NO_COLOR=1 "$IPC" trace --replay "$W/three-stages-write-end-leaked.log" 2>&1)
check_blocked "recorded write-end-leaked" "$out"
if grep -qE 'eventfd|criterion_|ld\.so|libc\.so|probe\.jsonl|boxfort' <<<"$out"; then
    fail "recorded: harness left out" "$(grep -E 'eventfd|criterion_|ld\.so|libc\.so|probe|boxfort' <<<"$out" | head -3)"
else
    pass "recorded: Criterion's runner, its socket, the loader and the probe are left out"
fi
width=$(NO_COLOR=1 "$IPC" trace --replay "$W/three-stages.log" | LC_ALL=C.UTF-8 wc -L)
if [ "${width:-99}" -le 80 ]; then
    pass "recorded: the text timeline fits 80 columns ($width)"
else
    fail "recorded: 80 columns" "widest line $width"
fi
colour=$("$IPC" trace --replay "$W/three-stages.log" | grep -c $'\033' || true)
if [ "$colour" = 0 ]; then pass "recorded: no colour when not on a terminal"; else fail colour "$colour lines"; fi

# Other mechanisms, recorded from the reference solutions of labs 03, 05, 07 and 09:
# replay NAME CHECK-NAME REGEX...: every REGEX matches a line of the timeline.
replay() {
    local log=$1 name=$2 re out
    shift 2
    gzip -dc "$ROOT/tests/trace/$log.strace.gz" >"$W/$log.log"
    out=$(NO_COLOR=1 "$IPC" trace --replay "$W/$log.log" 2>&1)
    for re in "$@"; do
        if ! grep -qE -- "$re" <<<"$out"; then
            fail "recorded $name" "no line matches '$re': $(sed -n '8,30p' <<<"$out")"
            return
        fi
    done
    pass "recorded $name"
}
replay msgtyp-positive-takes-that-type "System V queue: messages with their types" \
    ' A 5 B into msq [0-9]+, type 3$' ' A 3 B from msq [0-9]+, type 2$'
replay highest-priority-first "POSIX queue: sends and receives with priorities" \
    ' A opens mq /ipclab-[0-9]+-0-prio: fd [0-9]+$' ' A 2 B into mq /ipclab-[0-9]+-0-prio, prio 1$' \
    ' A 3 B from mq /ipclab-[0-9]+-0-prio, prio 5$'
replay waiter-wakes-on-unlock "semaphore: the waiter woken by the unlocker" \
    ' A sem [0-9]+ -1$' ' B sem [0-9]+ -1, woken after [0-9.]+ s by A test$'
replay receiver-reads-passed-file "SCM_RIGHTS: the fd passed over the socket pair" \
    ' A makes socket#1: socketpair' ' A socket#1 passes secret.txt$' \
    ' B socket#1 receives secret.txt$'
replay peer-signals-after-ready "signals: handler, sender and receiver" \
    ' A SIGUSR1: handler$' ' B sends SIGUSR1 to A test$' ' A gets SIGUSR1 from B '

# --- live ------------------------------------------------------------------------
B="$W/build"
if ! make -s -C "$LAB" all SRC_DIR="$SOL" BUILD_DIR="$B" WERROR=1 >"$W/b.log" 2>&1; then
    fail "live: build the reference" "$(tail -3 "$W/b.log")"
    test_done
fi
t0=$EPOCHREALTIME
(cd "$W" && "$B/run-tests" --filter="$TEST" --jobs 1 >"$W/plain.out" 2>&1)
plain_rc=$?
t1=$EPOCHREALTIME
out=$(cd "$W" && NO_COLOR=1 timeout 120 "$IPC" trace 01 "$TEST" --src "$SOL" \
    --svg "$W/live.svg" --html "$W/live.html" 2>&1)
rc=$?
check "live reference: exit 0 (the test passed) and a plain run passed too" \
    "rc $rc, plain $plain_rc: $(head -3 <<<"$out")" test "$rc" = 0 -a "$plain_rc" = 0
check_flow "live reference" "$out"
traced=$(grep -oE 'traced in [0-9.]+ s' <<<"$out" | grep -oE '[0-9.]+')
plain=$(echo "$t1 - $t0" | bc -l)
if [ -n "$traced" ]; then
    extra=$(echo "$traced - $plain" | bc -l)
    msg=$(printf 'plain %.2f s, traced %.2f s: %.2f s more, %.1fx' "$plain" "$traced" "$extra" \
        "$(echo "$traced / ($plain + 0.001)" | bc -l)")
    if [ "$(echo "$extra < 3" | bc -l)" = 1 ]; then
        pass "live reference: tracing costs under 3 s ($msg)"
    else
        fail "live reference: tracing costs under 3 s" "$msg"
    fi
else
    fail "live reference: timing" "no 'traced in' in the title: $(head -1 <<<"$out")"
fi
for f in "$W/live.svg" "$W/rec.svg"; do
    check "SVG well-formed: $(basename "$f")" "$(xmllint --noout "$f" 2>&1 | head -3)" \
        xmllint --noout "$f"
done
check "HTML page holds the chart and the text" "no <svg or <pre> in live.html" \
    sh -c "grep -q '<svg' '$W/live.html' && grep -q '<pre>' '$W/live.html'"

# The broken variant: run_pipeline keeps the write end of each pipe open.
cp -r "$SOL" "$W/leak"
if (cd "$W/leak" && patch -s -p1 --fuzz=0 <"$ROOT/tests/broken/01-pipes/pipeline-write-end-leaked/bug.patch"); then
    out=$(cd "$W" && NO_COLOR=1 timeout 120 "$IPC" trace 01 "$TEST" --src "$W/leak" \
        --svg "$W/leak.svg" 2>&1)
    rc=$?
    check "live write-end-leaked: exit 1 (the test failed)" "rc $rc: $(head -3 <<<"$out")" test "$rc" = 1
    check_blocked "live write-end-leaked" "$out"
    check "SVG well-formed: leak.svg, with a blocked bar" "$(xmllint --noout "$W/leak.svg" 2>&1 | head -3)" \
        sh -c "xmllint --noout '$W/leak.svg' && grep -q 'class=\"blocked\"' '$W/leak.svg'"
else
    fail "live write-end-leaked" "the variant's patch does not apply"
fi

# Usage errors exit 2.
"$IPC" trace >/dev/null 2>&1
check "no arguments: exit 2" "exit $?" test $? = 2
"$IPC" trace --help | grep -q -- '--svg FILE'
check "--help names --svg" "no --svg in --help" test $? = 0
test_done
