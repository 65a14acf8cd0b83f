#!/bin/bash
# grader.test.sh - the grading engine's own tests (run by tests/run-all.sh).
#
#   solutions/<lab>   full marks, zero deductions and no runner note (such as
#                     "memcheck did not finish"), for every lab present
#   gates-after-memcheck/<lab>  a lab with speed gates, graded with memcheck on
#                     two CPUs or more: the gates ran alone after memcheck, passed
#   skeleton/<lab>    score 0, within 30 s
#   outputs           results.json fields and types (jq), JUnit XML well-formed
#                     (xmllint), the CSV row matches its header
#   audit/...         the audit applies a lab's forbid/require (a copy of lab
#                     01), passes the solution (prints the audit's median time),
#                     and a bad [audit] action in the policy is an error
#   signals/TERM|INT  SIGTERM and SIGINT stop a grade within 10 s (exit 2), and
#                     it leaves no process, IPC object or work folder
#   corpus/<case>     each hostile or broken submission in tests/corpus/LAB/
#                     gets the outcome its `expect` file names, in bounded time
#                     (graded with the audit flagging for review, unless expect
#                     says audit=refuse),
#                     and leaves the host clean (no process, IPC object or file);
#                     01-pipes's cases are named CASE, other labs' LAB/CASE
# Prints PASS/FAIL/SKIP lines, then DONE. Environment: GRADER_TEST_QUICK=1 skips the
# valgrind pass when grading the solutions; JOBS=N corpus cases at a time;
# ONLY="solutions skeleton outputs audit signals corpus" picks parts; CASES="a b" picks cases.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh" # sets ROOT, set -uo pipefail
cd "$ROOT" || exit 2
test_begin grader
IPCLAB="$ROOT/build/ipclab"
OUT="$ROOT/build/test/grader"
JOBS=${JOBS:-2}
rm -rf "$OUT"
mkdir -p "$OUT/tmp"
chmod 755 "$OUT" "$OUT/tmp"
# Work directories of the grades this script starts live here, so the
# host-clean checks can tell them from other graders running on the machine.
export TMPDIR="$OUT/tmp"

[ -x "$IPCLAB" ] || make -s ipclab >/dev/null || { fail build "cannot build ipclab"; test_done; }

# Processes still running a grade of ours (cwd or binary under our TMPDIR).
leftover_procs() {
    local p
    for p in /proc/[0-9]*; do
        { readlink "$p/cwd"; readlink "$p/exe"; } 2>/dev/null | grep -q "^$TMPDIR" &&
            echo "${p#/proc/}"
    done
}
# IPC objects owned by the sandboxes' uids on the host, and corpus names.
ipc_snapshot() {
    {
        awk 'NR > 1 && ($8 == 65534 || ($8 >= 210000 && $8 < 214096)) {print FILENAME, $2}' /proc/sysvipc/msg /proc/sysvipc/shm /proc/sysvipc/sem 2>/dev/null
        find /dev/shm /dev/mqueue -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null |
            grep -E 'corpus-leak|ipclab-' || true
    } | sort
}
# host_clean NAME BEFORE: no process, IPC object or work directory left.
host_clean() {
    local name=$1 before=$2 procs after dirs
    procs=$(leftover_procs)
    after=$(ipc_snapshot)
    dirs=$(find "$TMPDIR" -mindepth 1 -maxdepth 1 -printf '%f ' 2>/dev/null)
    if [ -n "$procs" ]; then
        fail "$name host-clean" "processes left: $procs"
        # shellcheck disable=SC2086 # one argument a pid
        kill -9 $procs 2>/dev/null
    elif [ -n "$(comm -13 <(echo "$before") <(echo "$after"))" ]; then
        fail "$name host-clean" "IPC objects left: $(comm -13 <(echo "$before") <(echo "$after") | head -5)"
    elif [ -n "$dirs" ]; then
        fail "$name host-clean" "files left in the work area: $dirs"
        rm -rf "${TMPDIR:?}"/*
    elif grep -qF " $TMPDIR/" /proc/self/mountinfo; then
        fail "$name host-clean" "a mount left in the host's table: $(grep -F " $TMPDIR/" /proc/self/mountinfo | head -1)"
    else
        pass "$name host-clean"
    fi
}

labs=$(find labs -mindepth 1 -maxdepth 1 -type d -name '[0-9][0-9]-*' -printf '%f\n' | sort)
ONLY=${ONLY:-solutions skeleton outputs audit signals corpus}
want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }

# --- solutions: full marks, zero deductions ----------------------------------
vgopt=()
[ "${GRADER_TEST_QUICK:-}" = 1 ] && vgopt=(--no-valgrind)
for lab in $labs; do
    want solutions || break
    [ -d "solutions/$lab/src" ] || continue
    num=${lab%%-*}
    before=$(ipc_snapshot)
    "$IPCLAB" grade --lab "$num" --submission solutions "${vgopt[@]}" -q \
        --report-json "$OUT/sol-$lab.json" >"$OUT/sol-$lab.log" 2>&1
    rc=$?
    if [ ! -s "$OUT/sol-$lab.json" ]; then
        fail "solutions/$lab" "no report (exit $rc): $(tail -3 "$OUT/sol-$lab.log")"
    elif jq -e '.score == .max_score and (.deductions | length) == 0 and
                ([.tests[] | select(.verdict != "passed")] | length) == 0 and
                .runner_note == null' \
        "$OUT/sol-$lab.json" >/dev/null && [ $rc -eq 0 ]; then
        pass "solutions/$lab ($(jq -r '"\(.score)/\(.max_score) in \(.timing.total | floor) s"' "$OUT/sol-$lab.json"))"
    else
        fail "solutions/$lab" "exit $rc, $(jq -c '{score, max_score, not_passed: [.tests[] | select(.verdict != "passed") | "\(.name) \(.verdict)"], deductions: [.deductions[] | "\(.category) \(.test): \(.evidence)"], runner_note}' "$OUT/sol-$lab.json" | cut -c1-600)"
    fi
    host_clean "solutions/$lab" "$before"
    # A gated lab graded with memcheck on two CPUs or more: its gates ran
    # alone, after memcheck ended (passes.h), and their verdicts are the grade's.
    if [ -n "$("$IPCLAB" manifest --perf "$num")" ] && [ "$(nproc)" -gt 1 ] &&
        jq -e '.timing.valgrind_skipped == false' "$OUT/sol-$lab.json" >/dev/null 2>&1; then
        gates=$("$IPCLAB" manifest --perf "$num" | paste -sd'|')
        if jq -e --arg g "^($gates)\$" '.timing.gates_began >= .timing.valgrind_ended and
                .timing.valgrind_ended > .timing.native_began and
                .timing.gates_ended > .timing.gates_began and
                ([.tests[] | select(.name | test($g)) | select(.verdict == "passed" and .probed)]
                 | length) == ($g | split("|") | length)' "$OUT/sol-$lab.json" >/dev/null; then
            pass "gates-after-memcheck/$lab"
        else
            fail "gates-after-memcheck/$lab" "$(jq -c '.timing' "$OUT/sol-$lab.json")"
        fi
    fi
done

# --- skeletons: 0, quickly ---------------------------------------------------
for lab in $labs; do
    want skeleton || break
    num=${lab%%-*}
    start=$(date +%s.%N)
    "$IPCLAB" grade --lab "$num" --submission . -q --report-json "$OUT/skel-$lab.json" \
        >"$OUT/skel-$lab.log" 2>&1
    rc=$?
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    if [ ! -s "$OUT/skel-$lab.json" ]; then
        fail "skeleton/$lab" "no report (exit $rc): $(tail -3 "$OUT/skel-$lab.log")"
    elif ! jq -e '.score == 0' "$OUT/skel-$lab.json" >/dev/null || [ $rc -ne 1 ]; then
        fail "skeleton/$lab" "exit $rc, score $(jq .score "$OUT/skel-$lab.json")"
    elif [ "$(echo "$secs > 30" | bc)" = 1 ]; then
        fail "skeleton/$lab" "took ${secs}s (budget 30 s)"
    else
        pass "skeleton/$lab (0 in $(printf %.1f "$secs") s)"
    fi
done

# --- outputs: Gradescope JSON, JUnit XML, CSV --------------------------------
first=$(echo "$labs" | head -1)
if [ -n "$first" ] && want outputs; then
    num=${first%%-*}
    # A failing, leaking submission exercises every part of the outputs.
    sub="$OUT/outputs-sub"
    mkdir -p "$sub"
    cp "solutions/$first/src/"* "$sub/"
    f=$("$IPCLAB" manifest --student-files "$num" | head -1)
    printf '\nthis does not compile\n' >>"$sub/$f"
    for kind in sol broken; do
        s=solutions
        [ $kind = broken ] && s=$sub
        "$IPCLAB" grade --lab "$num" --submission "$s" --no-valgrind -q --student "o'neil, \"x\"" \
            --json "$OUT/$kind.results.json" --junit "$OUT/$kind.junit.xml" \
            --csv "$OUT/$kind.row.csv" >"$OUT/$kind.out.log" 2>&1
        ok=1
        # Only the top-level keys Gradescope's specification defines.
        jq -e '(.score | type) == "number" and
               (keys - ["score", "execution_time", "output", "output_format",
                        "test_output_format", "test_name_format", "visibility",
                        "stdout_visibility", "extra_data", "tests", "leaderboard"]) == [] and
               (.output | type) == "string" and (.tests | type) == "array" and
               all(.tests[]; (.name | type) == "string" and (.number | type) == "string" and
                   (.score | type) == "number" and (.max_score | type) == "number" and
                   (.status == "passed" or .status == "failed") and
                   (.output | type) == "string" and
                   (.visibility == "visible" or .visibility == "hidden"))' \
            "$OUT/$kind.results.json" >/dev/null || { ok=0; fail "outputs/$kind results.json" "$(head -c 300 "$OUT/$kind.results.json")"; }
        xmllint --noout "$OUT/$kind.junit.xml" 2>"$OUT/$kind.xmllint" || { ok=0; fail "outputs/$kind junit" "$(head -3 "$OUT/$kind.xmllint")"; }
        cols=$(python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1]))); print(len(r), len(r[0]), len(r[1]), r[1][0])' "$OUT/$kind.row.csv" 2>&1)
        ntests=$("$IPCLAB" manifest "$num" | wc -l)
        [ "$cols" = "2 $((ntests + 6)) $((ntests + 6)) o'neil, \"x\"" ] || { ok=0; fail "outputs/$kind csv" "rows/columns: $cols"; }
        [ $ok = 1 ] && pass "outputs/$kind (results.json, JUnit, CSV)"
    done

    # Text a submission influences cannot drive the terminal or a spreadsheet:
    # a submission folder whose name clears the screen, a formula as a name.
    esc_sub="$OUT/sub-$(printf '\033')[2J-$(printf '\r')"
    mkdir -p "$esc_sub"
    cp "solutions/$first/src/"* "$esc_sub/"
    rm -f "$esc_sub/$f"
    "$IPCLAB" grade --lab "$num" --submission "$esc_sub" --no-valgrind \
        --student '=HYPERLINK("http://x","y")' --csv "$OUT/formula.row.csv" \
        >"$OUT/escapes.out" 2>&1
    cell=$(python3 -c 'import csv,sys; print(list(csv.reader(open(sys.argv[1])))[1][0])' \
        "$OUT/formula.row.csv" 2>&1)
    if LC_ALL=C grep -q "$(printf '[\033\r]')" "$OUT/escapes.out"; then
        fail outputs/control-characters "the report holds raw ESC or CR: $(od -c "$OUT/escapes.out" | head -3)"
    elif ! grep -qF '\x1b[2J-\x0d' "$OUT/escapes.out"; then
        fail outputs/control-characters "the folder's name is not shown escaped: $(head -3 "$OUT/escapes.out")"
    elif [ "$cell" != "'=HYPERLINK(\"http://x\",\"y\")" ]; then
        fail outputs/control-characters "the CSV's student cell is a formula: $cell"
    else
        pass "outputs/control-characters (ESC and CR shown as \\xNN, formula cell quoted)"
    fi
fi

# --- audit: the lab's allow/forbid/require, the policy's [audit] action ----------
# A copy of lab 01 whose lab.ini forbids a call the solution makes and
# requires one it does not: `ipclab audit` must refuse the solution for
# both, naming each; the lab as it is must not. The audit's own time (the
# whole audit, contract included) is printed: its budget is 0.2 s a grade.
if want audit; then
    alab="$OUT/audit/labs/01-pipes"
    mkdir -p "$alab"
    cp -r labs/01-pipes/include labs/01-pipes/tests labs/01-pipes/Makefile "$alab/"
    ln -s "$ROOT/labs/lab.mk" "$ROOT/labs/support" "$ROOT/labs/allowed-calls.txt" "$OUT/audit/labs/"
    sed -E 's/^student_files = .*/&\nforbid = popen waitpid\nrequire = mq_send/' labs/01-pipes/lab.ini >"$alab/lab.ini"
    abuild="$OUT/audit/build"
    if ! make -s -C "$alab" all IPCLAB="$IPCLAB" SRC_DIR="$ROOT/solutions/01-pipes/src" \
        BUILD_DIR="$abuild" WERROR=1 >"$OUT/audit/build.log" 2>&1; then
        fail audit/rules "the solution does not build: $(head -3 "$OUT/audit/build.log")"
    else
        out=$("$IPCLAB" audit --lab "$alab" --build "$abuild" 2>&1)
        rc=$?
        if [ $rc -ne 1 ]; then
            fail audit/rules "exit $rc, expected 1 (refused): $out"
        elif ! echo "$out" | grep -qE "^pipes\.c:[0-9]+: .*'popen' in [a-z_]+\(\), which this lab forbids" ||
            ! echo "$out" | grep -q "'waitpid'.*which this lab forbids" ||
            ! echo "$out" | grep -q "requires your code to use 'mq_send'"; then
            fail audit/rules "forbid/require findings missing: $out"
        else
            pass audit/rules
        fi
        cp labs/01-pipes/lab.ini "$alab/lab.ini" # the lab as it is
        times=$(for _ in 1 2 3 4 5; do
            "$IPCLAB" audit --lab "$alab" --build "$abuild" --time | awk '/^audit: / {print $2}'
        done | sort -n)
        out=$("$IPCLAB" audit --lab "$alab" --build "$abuild" 2>&1)
        rc=$?
        if [ $rc -ne 0 ] || [ -n "$out" ]; then
            fail audit/honest "lab 01's solution: exit $rc: $out"
        else
            pass "audit/honest (audit median $(echo "$times" | sed -n 3p) s of 5)"
        fi
    fi
    # An [audit] action that is neither refuse nor review is an error, not a default.
    printf '[audit]\naction = maybe\n' >"$OUT/audit/bad-policy.ini"
    out=$("$IPCLAB" grade --lab 01 --submission solutions/01-pipes/src \
        --policy "$OUT/audit/bad-policy.ini" 2>&1)
    rc=$?
    if [ $rc -eq 2 ] && echo "$out" | grep -q 'action = maybe'; then
        pass audit/policy
    else
        fail audit/policy "exit $rc: $(echo "$out" | head -3)"
    fi
fi

# --- signals: SIGTERM and SIGINT stop a grade at once and leave nothing ----------
# A grade of lab 01's solution is stopped once its native pass has started
# a test (a start record in its work folder, seen through /proc/PID/root: as
# root the folder is a tmpfs in the grader's own mount namespace; no fixed
# wait): it must end
# within 10 s, with exit 2 and "interrupted", and leave no process, IPC
# object or work folder.
if want signals; then
    for sig in TERM INT; do
        before=$(ipc_snapshot)
        setsid "$IPCLAB" grade --lab 01 --submission solutions/01-pipes/src -q \
            >"$OUT/signal-$sig.out" 2>&1 &
        gpid=$!
        started=""
        for _ in $(seq 600); do # at most 60 s for the build and the first test
            started=$(find "/proc/$gpid/root$TMPDIR" -path '*/native/probe.jsonl' -size +0 2>/dev/null | head -1)
            [ -n "$started" ] && break
            kill -0 "$gpid" 2>/dev/null || break
            sleep 0.1
        done
        if [ -z "$started" ]; then
            fail "signals/$sig" "the grade never started a test: $(head -3 "$OUT/signal-$sig.out")"
            kill -9 -- -"$gpid" 2>/dev/null
            wait "$gpid" 2>/dev/null
            continue
        fi
        t0=$(date +%s%N)
        kill -"$sig" "$gpid"
        for _ in $(seq 100); do
            kill -0 "$gpid" 2>/dev/null || break
            sleep 0.1
        done
        wait "$gpid"
        rc=$?
        ms=$((($(date +%s%N) - t0) / 1000000))
        if [ "$ms" -gt 10000 ]; then
            fail "signals/$sig" "still running 10 s after SIG$sig"
            kill -9 -- -"$gpid" 2>/dev/null
        elif [ "$rc" -ne 2 ] || ! grep -q interrupted "$OUT/signal-$sig.out"; then
            fail "signals/$sig" "exit $rc, expected 2 and 'interrupted': $(head -3 "$OUT/signal-$sig.out")"
        else
            pass "signals/$sig (stopped in $ms ms)"
        fi
        host_clean "signals/$sig" "$before"
    done
fi

# --- corpus --------------------------------------------------------------------
corpus_lab=01-pipes
[ -d "labs/$corpus_lab" ] && [ -d "solutions/$corpus_lab" ] || corpus_lab=$first
CORPUS="$ROOT/tests/corpus/01-pipes"
num=${corpus_lab%%-*}
target=$("$IPCLAB" manifest "$num" | head -1)
studentf=$("$IPCLAB" manifest --student-files "$num" | head -1)

# Checksums of what a hostile submission must never change: a decoy
# directory of course-like files owned by root (the corpus also attacks the
# lab's own tests, but those may be edited by a person while the suite runs).
course_sums() {
    find "$OUT/decoy" -type f -print0 | sort -z | xargs -0 sha256sum
}

# run_case CASE: grade the case (CASE of 01-pipes, or LAB/CASE), print PASS/FAIL lines for it.
run_case() {
    local c=$1 dir="$CORPUS/$1" sub="$OUT/corpus/$1" cout="$OUT/corpus/$1.out"
    local corpus_lab=$corpus_lab num=$num target=$target studentf=$studentf
    if [ "${c#*/}" != "$c" ]; then # another lab's case: its own manifest
        corpus_lab=${c%%/*}
        dir="$ROOT/tests/corpus/$c"
        num=${corpus_lab%%-*}
        target=$("$IPCLAB" manifest "$num" | head -1)
        studentf=$("$IPCLAB" manifest --student-files "$num" | head -1)
    fi
    # Each case's work directory apart, so parallel cases' checks do not meet.
    local -x TMPDIR="$OUT/tmp/$1"
    mkdir -p "$TMPDIR"
    chmod 755 "$TMPDIR"
    local build=ok tgt=any others=any score=any deduction="" message="" hang=0
    # shellcheck disable=SC2034 # destructive, memcg, workfs: read from expect, used by the caller's loop
    local max_seconds=120 valgrind=0 target_all=0 isolation=0 destructive=0 memcg=0 workfs=0
    local target_test="" also_check=0 not_message="" sandbox=1 audit=review trace_page=""
    local memory_mb="" stress_runs=""
    # shellcheck disable=SC1090
    . <(grep -E '^[a-z_]+=' "$dir/expect" | sed -E "s/^target=/tgt=/; s/=(.*)/='\1'/")
    [ -n "$target_test" ] && target=$target_test
    mkdir -p "$sub/out"
    cp "solutions/$corpus_lab/src/"* "$sub/"
    local t=$target
    [ "$target_all" = 1 ] && t='*'
    if [ -f "$dir/append.txt" ]; then
        cat "$dir/append.txt" >>"$sub/$studentf"
    else
        {
            printf '\n/* ---- corpus case %s ---- */\n' "$c"
            printf '#define CORPUS_TARGET "%s"\n#define CORPUS_COURSE "%s"\n#define CORPUS_OUTDIR "%s"\n' \
                "$t" "$ROOT" "$sub/out"
            printf '#define CORPUS_LABDIR "%s"\n#define CORPUS_DECOY "%s"\n' \
                "$ROOT/labs/$corpus_lab" "$OUT/decoy"
            cat "$dir/inject.c" "$ROOT/tests/corpus/hook.c"
        } >>"$sub/$studentf"
    fi
    local opts=(--jobs 1)
    [ "$valgrind" = 1 ] && opts=(--jobs 2)
    [ "$valgrind" = 1 ] || opts+=(--no-valgrind)
    [ "$sandbox" = 0 ] && opts+=(--no-sandbox)
    [ -n "$trace_page" ] && opts+=(--trace-failures "$sub/out/traces")
    # hook.c defines a harness symbol, which the audit refuses: a case tests
    # what its code does at run time under `[audit] action = review`, unless
    # its expect says audit=refuse (a forgery the audit must stop).
    if [ -n "$memory_mb$stress_runs" ]; then # the grade's memory bound, stress runs: this case only
        local edits=()
        [ -n "$memory_mb" ] && edits+=(-e "s/^memory_mb *=.*/memory_mb = $memory_mb/")
        [ -n "$stress_runs" ] && edits+=(-e "s/^runs *=.*/runs = $stress_runs/")
        sed -E "${edits[@]}" "$OUT/policy-review.ini" >"$sub/policy.ini"
        opts+=(--policy "$sub/policy.ini")
    elif [ "$audit" != refuse ]; then
        opts+=(--policy "$OUT/policy-review.ini")
    fi
    local before start secs rc
    before=$(ipc_snapshot)
    local sums_before
    sums_before=$(course_sums)
    start=$(date +%s.%N)
    timeout -k 5 $((max_seconds + 60)) "$IPCLAB" grade --lab "$num" --submission "$sub" \
        "${opts[@]}" --report-json "$sub/out/report.json" --json "$sub/out/results.json" \
        >"$cout" 2>&1
    rc=$?
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    local r="$sub/out/report.json" why=""
    if [ ! -s "$r" ]; then
        why="no report (exit $rc): $(tail -3 "$cout")"
    else
        [ "$build" = ok ] && ! jq -e '.build.ok' "$r" >/dev/null && why="$why; did not build: $(jq -r .build.log "$r" | head -3)"
        [ "$build" = fail ] && jq -e '.build.ok' "$r" >/dev/null && why="$why; built"
        if [ "$tgt" != any ] && [ "$build" = ok ]; then
            local v
            if [ "$target_all" = 1 ]; then
                v=$(jq -r '[.tests[].verdict] | unique | join(",")' "$r")
            else
                v=$(jq -r --arg t "$target" '.tests[] | select(.name == $t) | .verdict' "$r")
            fi
            echo "$v" | grep -qxE "$tgt" || why="$why; target verdict '$v', expected $tgt"
        fi
        if [ "$others" = passed ]; then
            local bad
            bad=$(jq -r --arg t "$target" '[.tests[] | select(.name != $t and .verdict != "passed") | "\(.name)=\(.verdict)"] | join(" ")' "$r")
            [ -n "$bad" ] && why="$why; other tests not passed: $(echo "$bad" | cut -c1-300)"
        fi
        local want
        case "$score" in
        max) want='.score == .max_score' ;;
        max-target) want='.score == .max_score - ([.tests[] | select(.name == "'"$target"'") | .points] | add)' ;;
        0) want='.score == 0' ;;
        below-max) want='.score < .max_score and .score > 0' ;;
        *) want='true' ;;
        esac
        jq -e "$want" "$r" >/dev/null ||
            why="$why; score $(jq -r '"\(.score)/\(.max_score)"' "$r"), expected $score (deductions: $(jq -r '[.deductions[] | "\(.category) \(.test): \(.evidence)"] | join("; ")' "$r" | cut -c1-400))"
        for d in $deduction; do
            jq -e --arg d "$d" 'any(.deductions[]; .category == $d)' "$r" >/dev/null ||
                why="$why; no '$d' deduction"
        done
        [ -n "$message" ] && ! jq -c . "$r" | grep -qE "$message" && why="$why; no message matching '$message'"
        [ -n "$not_message" ] && jq -c . "$r" | grep -qE "$not_message" && why="$why; a message matches '$not_message'"
        [ "$hang" = 1 ] && ! jq -e --arg t "$target" '.tests[] | select(.name == $t) | .hang | type == "string"' "$r" >/dev/null &&
            why="$why; no why-it-hung sentence"
        [ "$isolation" = 1 ] && ! jq -e '.isolation.on' "$r" >/dev/null && why="$why; isolation is off"
        if [ -n "$trace_page" ]; then # --trace-failures: the target's page, or none
            local page
            page=$(jq -r --arg t "$target" '.tests[] | select(.name == $t) | .trace // ""' "$r")
            if [ "$trace_page" = 1 ]; then
                { [ -n "$page" ] && [ -f "$page" ] && grep -q '<svg' "$page"; } ||
                    why="$why; no timeline page for the target ('$page')"
            elif [ -n "$page" ]; then
                why="$why; a timeline page was drawn from a log the test replaced: $page"
            fi
            grep -rqs 'root:x:0:' "$sub/out/traces" && why="$why; a host file reached the timelines"
            [ "$(find "$sub/out/traces" -name '*.html' 2>/dev/null | wc -l)" -le 5 ] ||
                why="$why; more than 5 timeline pages"
        fi
        # The audit's outcome in all three reports: report json, the terminal
        # report and Gradescope's output.
        if [ "$audit" = refuse ]; then
            jq -e '.audit.refused and (.tests | all(.verdict == "not run"))' "$r" >/dev/null ||
                why="$why; not refused by the audit: $(jq -c '.audit' "$r" | cut -c1-200)"
            grep -q '^Refused by the submission audit' "$cout" || why="$why; the terminal report does not say it was refused"
            jq -e '.output | test("Refused by the submission audit")' "$sub/out/results.json" >/dev/null 2>&1 ||
                why="$why; Gradescope's output does not say it was refused"
        elif [ "$build" = ok ] && [ -f "$dir/inject.c" ]; then
            # The hook is still found, and flagged for review, not refused.
            jq -e '.audit.flagged and (.audit.refused | not)' "$r" >/dev/null ||
                why="$why; the audit did not flag the hook for review: $(jq -c '.audit' "$r" | cut -c1-200)"
            grep -q '^Flagged for review by the submission audit' "$cout" || why="$why; the terminal report does not flag it for review"
            jq -e '.output | test("Flagged for review")' "$sub/out/results.json" >/dev/null 2>&1 ||
                why="$why; Gradescope's output does not flag it for review"
        fi
        [ $rc -eq 2 ] && why="$why; could not grade (exit 2)"
    fi
    [ "$(echo "$secs > $max_seconds" | bc)" = 1 ] && why="$why; took ${secs}s (budget $max_seconds)"
    # The same verdict from `make check` and `ipclab check` (one timeout per test).
    [ "$also_check" = 1 ] && why="$why$(same_verdicts "$corpus_lab" "$sub" "$target" "$tgt")"
    # Nothing of the lab, the decoy or the grader's output may change.
    [ "$(course_sums)" != "$sums_before" ] && why="$why; course or decoy files changed: $(diff <(echo "$sums_before") <(course_sums) | grep '^[<>]' | head -3)"
    [ -s "$sub/out/results.json" ] || why="$why; results.json missing"
    if [ -z "$why" ]; then
        pass "corpus/$c ($(jq -r '"\(.score)/\(.max_score)"' "$r"), $(printf %.0f "$secs") s)"
    else
        fail "corpus/$c" "${why#; }"
    fi
    host_clean "corpus/$c" "$before"
}

# same_verdicts LAB SUB TEST VERDICT: "; ..." unless `make check` and
# `ipclab check`, run on SUB's copy of LAB, also give TEST the verdict VERDICT.
same_verdicts() {
    local lab=$1 sub=$2 test=$3 want=$4 w="$2.check"
    rm -rf "$w"
    mkdir -p "$w/labs"
    ln -s "$ROOT/labs/lab.mk" "$ROOT/labs/support" "$w/labs/"
    cp -r "$ROOT/labs/$lab" "$w/labs/$lab"
    rm -rf "$w/labs/$lab/build" "$w/labs/$lab/src"
    mkdir "$w/labs/$lab/src"
    find "$sub" -maxdepth 1 -name '*.c' -exec cp {} "$w/labs/$lab/src/" \;
    local out verdict
    out=$(IPCLAB_RESULTS_FILE="$w/make-check.json" timeout -k 5 300 \
        make -s -C "$w/labs/$lab" check CRITERION_FLAGS="--filter=$test" 2>&1)
    verdict=$(jq -r --arg t "$test" '.tests[] | select(.name == $t) | .status' "$w/make-check.json" 2>/dev/null)
    [ "$want" = passed ] && [ "${verdict,,}" = passed ] || [ "$want" != passed ] ||
        echo "; make check gave $test '${verdict:-no verdict}': $(echo "$out" | tail -2)"
    out=$(timeout -k 5 300 "$IPCLAB" check "$w/labs/$lab" "$test" 2>&1)
    local rc=$?
    [ "$want" = passed ] && [ $rc -eq 0 ] || [ "$want" != passed ] ||
        echo "; ipclab check gave exit $rc: $(echo "$out" | grep -m2 -E '✗|within')"
    rm -rf "$w"
}

if ! want corpus; then
    :
elif [ -z "$corpus_lab" ] || [ ! -d "$CORPUS" ]; then
    skip corpus "no lab or no corpus"
else
    mkdir -p "$OUT/corpus" "$OUT/decoy"
    # The course's policy, with the audit's findings flagged instead of refused.
    sed -E 's/^action *= *refuse$/action = review/' grader/policy.ini >"$OUT/policy-review.ini"
    grep -qx 'action = review' "$OUT/policy-review.ini" || fail corpus "grader/policy.ini has no [audit] action = refuse line"
    for f in tests.c lab.ini grades.csv; do echo "decoy $f" >"$OUT/decoy/$f"; done
    chmod 755 "$OUT/decoy"
    # Prove the sandbox is on with a harmless case before any destructive one.
    proof=$(run_case sandbox-check)
    echo "$proof"
    sandboxed=0
    if echo "$proof" | grep -q '^PASS grader corpus/sandbox-check ' &&
        jq -e '.isolation.on' "$OUT/corpus/sandbox-check/out/report.json" >/dev/null 2>&1; then
        sandboxed=1
    fi
    # Cases about the grade's memory bound need the cgroup (engine/memcg.h).
    memcg_on=0
    jq -r '.isolation.note' "$OUT/corpus/sandbox-check/out/report.json" 2>/dev/null |
        grep -q 'bounded to' && memcg_on=1
    # ... and those about the work folder's caps, its tmpfs (engine/workfs.h).
    workfs_on=0
    jq -r '.isolation.note' "$OUT/corpus/sandbox-check/out/report.json" 2>/dev/null |
        grep -q 'work folder a tmpfs' && workfs_on=1
    export -f run_case host_clean leftover_procs ipc_snapshot pass fail course_sums same_verdicts
    export OUT ROOT IPCLAB CORPUS corpus_lab num target studentf TMPDIR
    exec 3>&1 # SKIP lines go around the pipe of case names
    # shellcheck disable=SC2016 # $1 is bash -c's own argument
    for dir in "$CORPUS"/*/; do
        c=$(basename "$dir")
        [ "$c" = sandbox-check ] && continue
        [ -n "${CASES:-}" ] && case " $CASES " in *" $c "*) ;; *) continue ;; esac
        if grep -qx 'destructive=1' "$dir/expect" && [ $sandboxed = 0 ]; then
            echo "SKIP grader corpus/$c (destructive, and the sandbox is not proven on: NOT RUN)" >&2
            skip "corpus/$c" "destructive, and the sandbox is not proven on" >&3
            continue
        fi
        if grep -qx 'memcg=1' "$dir/expect" && [ $memcg_on = 0 ]; then
            skip "corpus/$c" "the grade has no memory cgroup here (not root, or none to extend)" >&3
            continue
        fi
        if grep -qx 'workfs=1' "$dir/expect" && [ $workfs_on = 0 ]; then
            skip "corpus/$c" "the work folder is not a tmpfs here (the grader is not root)" >&3
            continue
        fi
        echo "$c"
    done | xargs -r -P "$JOBS" -I{} bash -c 'run_case "$1"' _ {} | tee "$OUT/corpus.log"
    # The leak's stack names the student's malloc, not the shim between them.
    leak_json="$OUT/corpus/leaks-memory/out/report.json"
    if [ -f "$leak_json" ]; then
        first_leak=$(jq -r '[.tests[].valgrind.first_leak // empty][0]' "$leak_json")
        if grep -q 'malloc' <<<"$first_leak" && ! grep -q 'ipclab_shim_' <<<"$first_leak"; then
            pass "corpus/leaks-memory evidence has no shim frame"
        else
            fail "corpus/leaks-memory evidence" "$first_leak"
        fi
    fi
    # Other labs' cases (LAB/CASE): those a lab's own rules need.
    # shellcheck disable=SC2016 # $1 is bash -c's own argument
    for dir in "$ROOT"/tests/corpus/*/*/; do
        c=${dir%/}
        c=${c#"$ROOT/tests/corpus/"}
        case "$c" in 01-pipes/*) continue ;; esac
        [ -f "$dir/expect" ] || continue
        [ -n "${CASES:-}" ] && case " $CASES " in *" $c "*) ;; *) continue ;; esac
        echo "$c"
    done | xargs -r -P "$JOBS" -I{} bash -c 'run_case "$1"' _ {} | tee -a "$OUT/corpus.log"
fi
test_done
