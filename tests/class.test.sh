#!/bin/bash
# class.test.sh - class-scale grading: grade-all, resume, -j1 = -j2, shard + merge,
# unsafe archives, the Gradescope bundle run against a fake /autograder, and a
# speed-gated lab's native passes taking turns.
# Usage: tests/class.test.sh    (run by tests/run-all.sh; PASS/FAIL/SKIP lines, then DONE)
#
# The class is a few copies of lab CLASS_LAB's solution, skeleton and one broken
# variant, as directories, .tar.gz and .zip. What is tested here is the class
# machinery, not `ipclab grade` itself, so grading skips valgrind unless
# CLASS_VALGRIND=1 (a valgrind pass costs 30 s or more per student).
# shellcheck disable=SC2317 # helpers run through check "$@", which shellcheck cannot follow
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh" # sets ROOT, set -uo pipefail
test_begin class
LAB=${CLASS_LAB:-00}
W="$ROOT/build/test/class"
GRADE_OPTS=(--grade-opt=--no-valgrind)
[ "${CLASS_VALGRIND:-0}" = 1 ] && GRADE_OPTS=()
export NO_COLOR=1

# A private course root (our own ipclab and build cache): a `make clean` elsewhere
# in the checkout while this runs cannot pull the binary from under the test.
rm -rf "$W"
mkdir -p "$W/root/build"
for d in Makefile README.md labs grader scripts solutions; do ln -s "$ROOT/$d" "$W/root/$d"; done
cp "$ROOT/build/ipclab" "$W/root/build/ipclab" 2>/dev/null
IPCLAB="$W/root/build/ipclab"
export IPCLAB_ROOT="$W/root"

for tool in jq zip unzip tar; do
    command -v "$tool" >/dev/null || { skip all "$tool is not installed (make deps)"; test_done; }
done
if ! "$IPCLAB" grade --help >/dev/null 2>&1; then
    skip all "build/ipclab has no grade command (make ipclab)"
    test_done
fi
LAB_DIR=$(find "$ROOT/labs" -mindepth 1 -maxdepth 1 -name "$LAB-*" | sort | head -n 1)
SLUG=$(basename "$LAB_DIR")
SOL="$ROOT/solutions/$SLUG/src"
SKEL="$LAB_DIR/src"
BROKEN_VARIANT=$(find "$ROOT/tests/broken/$SLUG" -mindepth 1 -maxdepth 1 -type d 2>/dev/null |
    sort | head -n 1)
if [ ! -d "$SOL" ] || [ -z "$BROKEN_VARIANT" ]; then
    skip all "lab $LAB has no solution or broken variant"
    test_done
fi
MAX=$("$IPCLAB" manifest --points "$LAB" | awk '{s += $2} END {print s}')
NTESTS=$("$IPCLAB" manifest --tests "$LAB" | wc -l)

mkdir -p "$W/subs" "$W/pack"

# --- the class --------------------------------------------------------------
# ada: solution, a directory in the src/ layout     bo: skeleton, flat directory
# cy: solution .tar.gz wrapped in cy/NN-name/src/    di: skeleton, flat .zip
# ed: solution .zip wrapped in one folder            fay: broken variant .tgz
mkdir -p "$W/subs/ada/src" "$W/subs/bo"
cp "$SOL"/*.c "$W/subs/ada/src/"
cp "$SKEL"/*.c "$W/subs/bo/"
mkdir -p "$W/pack/cy/$SLUG/src" "$W/pack/di" "$W/pack/ed/work" "$W/pack/fay"
cp "$SOL"/*.c "$W/pack/cy/$SLUG/src/"
cp "$SKEL"/*.c "$W/pack/di/"
cp "$SOL"/*.c "$W/pack/ed/work/"
"$ROOT/scripts/broken.sh" apply "$SLUG" "$(basename "$BROKEN_VARIANT")" "$W/pack/fay/"
(cd "$W/pack" && tar -czf "$W/subs/cy.tar.gz" cy)
(cd "$W/pack/di" && zip -q "$W/subs/di.zip" ./*.c)
(cd "$W/pack/ed" && zip -qr "$W/subs/ed.zip" work)
(cd "$W/pack/fay" && tar -czf "$W/subs/fay.tgz" ./*.c)
STUDENTS="ada bo cy di ed fay"
N=6

# grade_all OUT [ARGS...]: grade the class into $W/OUT; log in $W/OUT.log
grade_all() {
    local out=$1
    shift
    "$IPCLAB" grade-all --lab "$LAB" "$W/subs" --out "$W/$out" "${GRADE_OPTS[@]}" "$@" \
        >"$W/$out.log" 2>&1
}
# complete OUT: every student of OUT has all four outputs and nothing is half-done
complete() {
    local s f
    [ ! -e "$W/$1/.work" ] || return 1
    for s in "$W/$1"/students/*/; do
        for f in results.json report.txt full.json row.csv; do
            [ -s "$s/$f" ] || return 1
        done
    done
}
# scores FILE: a gradebook without its last column (notes: free text from grade)
scores() { sed -E 's/,("([^"]|"")*"|[^,]*)$//' "$1"; }
# same_scores A B: two gradebooks agree on every score column
same_scores() { cmp -s <(scores "$1") <(scores "$2"); }
# first_diff A B: the first differing line of two files, for a failure message
first_diff() { diff "$1" "$2" | grep -m2 '^[<>]' | cut -c1-160 | paste -sd' '; }
# score OUT NAME: a student's score from results.json
score() { jq -r '.score' "$W/$1/students/$2/results.json"; }

# --- 1. one run grades everyone -----------------------------------------------
grade_all j2 -j2
rc=$?
rows=$(($(wc -l <"$W/j2/gradebook.csv") - 1))
check grade-all-runs "exit $rc, $rows rows (want 0 and $N): $(tail -3 "$W/j2.log")" \
    test "$rc" -eq 0 -a "$rows" -eq "$N"
check grade-all-outputs "a student directory is incomplete" complete j2
scores="$(score j2 ada) $(score j2 bo) $(score j2 cy) $(score j2 di) $(score j2 ed)"
check grade-all-scores "ada bo cy di ed scored $scores, want $MAX 0 $MAX 0 $MAX" \
    test "$scores" = "$MAX 0 $MAX 0 $MAX"
fay=$(score j2 fay)
check grade-all-broken-variant "fay scored $fay of $MAX, want less" \
    awk -v s="$fay" -v m="$MAX" 'BEGIN { exit !(s < m) }'
order=$(tail -n +2 "$W/j2/gradebook.csv" | cut -d, -f1 | tr '\n' ' ')
check gradebook-sorted "rows are '$order'" test "$order" = "$STUDENTS "
check gradebook-columns "header is not student,lab,score,max_score + $NTESTS tests" \
    test "$(head -1 "$W/j2/gradebook.csv" | tr ',' '\n' | sed -n 5,$((4 + NTESTS))p |
        paste -sd,)" = "$("$IPCLAB" manifest --tests "$LAB" | paste -sd,)"
check progress-lines "not one [k/$N] line per student" \
    test "$(grep -c "^\[ *[0-9]*/$N\]" "$W/j2.log")" -eq "$N"
check histogram "no histogram of $N students" grep -q "Score histogram ($N students)" "$W/j2.log"
# shellcheck disable=SC2016 # jq's own variables
check summary-json "summary.json lacks tests, histogram or pass rates" \
    jq -e --argjson n "$N" --argjson t "$NTESTS" '.graded == $n and (.tests | length) == $t
        and ([.histogram[].students] | add) == $n
        and all(.tests[]; .pass_rate >= 0 and .pass_rate <= 1)' "$W/j2/summary.json"

# --- 2. parallel = serial -----------------------------------------------------
grade_all j1 -j1
check j1-equals-j2-scores "scores differ between -j1 and -j2" \
    same_scores "$W/j1/gradebook.csv" "$W/j2/gradebook.csv"
check j1-equals-j2-gradebook "gradebook.csv bytes differ between -j1 and -j2: \
$(first_diff "$W/j1/gradebook.csv" "$W/j2/gradebook.csv")" \
    cmp -s "$W/j1/gradebook.csv" "$W/j2/gradebook.csv"
check j1-equals-j2-summary "summary.json differs between -j1 and -j2" \
    cmp -s "$W/j1/summary.json" "$W/j2/summary.json"

# --- 3. interrupted, then resumed ---------------------------------------------
"$IPCLAB" grade-all --lab "$LAB" "$W/subs" --out "$W/resume" -j1 "${GRADE_OPTS[@]}" \
    >"$W/resume.1.log" 2>&1 &
pid=$!
for _ in $(seq 600); do # at most 60 s for the first student
    [ -n "$(ls "$W/resume/students" 2>/dev/null)" ] && break
    sleep 0.1
done
kill -INT "$pid"
wait "$pid"
rc=$?
for _ in $(seq 50); do # sandboxes die with their grader (PDEATHSIG), a moment later
    left=$(pgrep -f -- "$W/resume/" | wc -l)
    [ "$left" -eq 0 ] && break
    sleep 0.1
done
done1=$(find "$W/resume/students" -mindepth 1 -maxdepth 1 | wc -l)
check interrupt-stops-cleanly "exit $rc (want 130), $left grade processes left, .work or partial outputs" \
    test "$rc" -eq 130 -a "$left" -eq 0 -a "$done1" -ge 1 -a "$done1" -lt "$N"
check interrupt-no-partial "partial outputs after the interrupt" complete resume
check interrupt-no-gradebook "a gradebook was written by the interrupted run" \
    test ! -e "$W/resume/gradebook.csv"
grade_all resume -j2
check resume-skips-finished "the re-run did not skip the $done1 finished students" \
    grep -q "$((N - done1)) to grade, $done1 already graded" "$W/resume.log"
check resume-same-scores "the resumed gradebook's scores differ from the one-go run's" \
    same_scores "$W/resume/gradebook.csv" "$W/j2/gradebook.csv"

# --- 4. shards and merge ------------------------------------------------------
grade_all s1 --shard 1/2 -j1 &
grade_all s2 --shard 2/2 -j1
wait
n1=$(($(wc -l <"$W/s1/gradebook.csv") - 1))
n2=$(($(wc -l <"$W/s2/gradebook.csv") - 1))
check shard-split "shards hold $n1 + $n2 students, want 3 + 3" test "$n1" -eq 3 -a "$n2" -eq 3
"$IPCLAB" merge --out "$W/merged" "$W/s2" "$W/s1" >"$W/merge.log" 2>&1
rc=$?
check merge-exact "exit $rc; the merged gradebook is not the shards' rows, sorted" \
    test "$rc" -eq 0 -a "$(cat "$W/merged/gradebook.csv")" = "$(head -1 "$W/s1/gradebook.csv"
        tail -q -n +2 "$W/s1/gradebook.csv" "$W/s2/gradebook.csv" | LC_ALL=C sort)"
merged_like_unsharded() {
    same_scores "$W/merged/gradebook.csv" "$W/j2/gradebook.csv" &&
        cmp -s "$W/merged/summary.json" "$W/j2/summary.json"
}
check merge-equals-unsharded "merged scores or summary.json differ from the unsharded run" \
    merged_like_unsharded
check merge-histogram "merge printed no histogram" grep -q "Score histogram ($N students)" "$W/merge.log"
"$IPCLAB" merge --out "$W/dup" "$W/s1" "$W/s1" >"$W/dup.log" 2>&1
rc=$?
check merge-refuses-duplicates "merging a shard twice exited $rc (want 2)" test "$rc" -eq 2
cp -r "$W/s2" "$W/other"
jq '.slug = "99-other" | .lab = "99"' "$W/s2/grade-all.json" >"$W/other/grade-all.json"
"$IPCLAB" merge --out "$W/mixed" "$W/s1" "$W/other" >"$W/mixed.log" 2>&1
rc=$?
check merge-refuses-other-lab "merging two labs exited $rc (want 2)" test "$rc" -eq 2
cp -r "$W/s2" "$W/badhdr"
for f in "$W"/badhdr/students/*/row.csv; do sed -i '1s/$/,extra/' "$f"; done
"$IPCLAB" merge --out "$W/mixed2" "$W/s1" "$W/badhdr" >"$W/mixed2.log" 2>&1
rc=$?
check merge-refuses-other-header "merging different gradebook headers exited $rc (want 2)" \
    test "$rc" -eq 2

# --- 5. unsafe archives are refused, nothing escapes ---------------------------
mkdir -p "$W/evil/subs" "$W/evil/pack"
(
    cd "$W/evil/pack" || exit 1
    cp "$SOL"/*.c .
    echo escaped >x.c
    tar -czPf ../subs/dotdot.tar.gz --transform 's,^,../../,' x.c 2>/dev/null
    tar -cPf ../subs/absolute.tar "$W/evil/pack/x.c" 2>/dev/null
    truncate -s 70M big.c && tar -czf ../subs/bomb.tar.gz big.c && rm big.c
    ln -s /etc/passwd passwd.c && tar -czf ../subs/links.tar.gz ./*.c passwd.c
    echo "not an archive" >../subs/garbage.zip
)
"$IPCLAB" grade-all --lab "$LAB" "$W/evil/subs" --out "$W/evil/out" "${GRADE_OPTS[@]}" \
    >"$W/evil.log" 2>&1
rc=$?
bad=$(jq -r '[.ungraded[].student] | join(" ")' "$W/evil/out/summary.json")
check archives-unsafe-refused "exit $rc, refused '$bad' (want 1 and absolute bomb dotdot garbage)" \
    test "$rc" -eq 1 -a "$bad" = "absolute bomb dotdot garbage"
check archives-nothing-escapes "a file landed outside the work directory" \
    test ! -e "$W/x.c" -a ! -e "$W/evil/x.c" -a ! -e "$ROOT/build/x.c"
check archives-links-skipped "the archive with a symlink was not graded as a normal one" \
    test "$(score evil/out links)" = "$MAX"

# --- 6. the Gradescope bundle, against a fake /autograder -----------------------
if make -s -C "$ROOT" gradescope LAB="$LAB" >"$W/gradescope.log" 2>&1; then
    ZIP="$ROOT/build/gradescope/ipclab-$LAB.zip"
    listing=$(unzip -Z1 "$ZIP")
    # shellcheck disable=SC2016 # sh -c's own argument
    check gradescope-zip-contents "zip lacks setup.sh/run_autograder or ships solutions" \
        sh -c 'printf "%s\n" "$1" | grep -qx setup.sh && printf "%s\n" "$1" |
            grep -qx run_autograder && ! printf "%s\n" "$1" | grep -q "^solutions/"' sh "$listing"
    AG="$W/autograder"
    mkdir -p "$AG/source" "$AG/submission" "$AG/results"
    unzip -q "$ZIP" -d "$AG/source"
    cp "$AG/source/run_autograder" "$AG/run_autograder" # what Gradescope does
    if sh "$AG/source/setup.sh" >"$W/setup.log" 2>&1; then
        pass gradescope-setup
    else
        fail gradescope-setup "$(tail -3 "$W/setup.log")"
    fi
    # run_as NAME FILES...: grade FILES as a Gradescope submission; results in $AG/NAME.json
    run_as() {
        local name=$1
        shift
        rm -rf "$AG/submission" "$AG/results" && mkdir -p "$AG/submission" "$AG/results"
        [ $# -gt 0 ] && cp "$@" "$AG/submission/"
        AUTOGRADER_ROOT="$AG" IPCLAB_GRADE_OPTS="${GRADE_OPTS[*]#--grade-opt=}" \
            "$AG/run_autograder" >"$W/ag-$name.log" 2>&1
        cp "$AG/results/results.json" "$AG/$name.json" 2>/dev/null
    }
    run_as solution "$SOL"/*.c
    # shellcheck disable=SC2016 # jq's own variables
    check gradescope-solution "results.json is not a full-marks Gradescope result" \
        jq -e --argjson m "$MAX" --argjson t "$NTESTS" '.score == $m and (.tests | length) == $t
            and all(.tests[]; (.name | type) == "string" and .score == .max_score
                and .status == "passed" and (.visibility | type) == "string")' \
        "$AG/solution.json"
    run_as skeleton "$SKEL"/*.c
    check gradescope-skeleton "skeleton's results.json does not score 0 with every test failed" \
        jq -e '.score == 0 and all(.tests[]; .status == "failed")' "$AG/skeleton.json"
    run_as empty
    check gradescope-empty "an empty submission gave no valid results.json" \
        jq -e '.score == 0 and (.output | type) == "string"' "$AG/empty.json"
    # A skeleton whose every stub first appends a clean end record for every
    # test to the probe file and leaves with exit(0), with only calls the
    # audit allows (the probe file is found from the runner's working
    # folder): once that was full marks. Sealed verdicts give it 0, and the
    # audit does not refuse it.
    mkdir -p "$W/forged"
    names=$("$IPCLAB" manifest --tests "$LAB" | sed 's/.*/"&",/' | tr -d '\n')
    for f in "$SKEL"/*.c; do
        {
            sed -n '1,/^#include/p' "$f" | sed '$d'
            cat <<FORGE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static void forge(void)
{
    static const char *const names[] = {$names};
    int fd = open("native/probe.jsonl", O_WRONLY | O_APPEND); /* the runner's cwd is WORK */
    for (size_t i = 0; fd >= 0 && i < sizeof names / sizeof names[0]; i++)
        dprintf(fd, "{\\"event\\":\\"end\\",\\"test\\":\\"%s\\",\\"pid\\":%d,\\"fds\\":[],"
                    "\\"children\\":0,\\"ipc\\":[]}\\n", names[i], (int)getpid());
    _exit(0);
}
FORGE
            sed -n '/^#include/,$p' "$f" | sed 's/^\( *\)errno = ENOSYS;/\1forge();\n&/'
        } >"$W/forged/$(basename "$f")"
    done
    run_as forged "$W/forged"/*.c
    check gradescope-forged "a skeleton that forges end records and exits 0 did not score 0 \
(or the audit refused it)" jq -e '.score == 0 and (.output | test("audit") | not)' "$AG/forged.json"
else
    fail gradescope-build "$(tail -3 "$W/gradescope.log")"
fi

# --- 7. a speed-gated lab: each student's speed gates run alone ---------------
# The gates measure both CPUs, so while one student's run of them lasts,
# nothing else of the class may run: not another student's gates or tests
# (grade-all -j2; each grade then runs its memcheck with --jobs 1, after its
# native pass, and its gates inside that pass). The windows come from each
# full.json's timing; the grader's own test covers the gates run after
# memcheck (grader.test.sh, solutions).
GATED=""
for d in "$ROOT"/labs/[0-9][0-9]-*/; do
    [ -n "$("$IPCLAB" manifest --perf "$d" 2>/dev/null)" ] && GATED=$(basename "$d") && break
done
if [ -z "$GATED" ]; then
    skip gated-gates-alone "no lab has speed gates"
else
    GMAX=$("$IPCLAB" manifest --points "${GATED%%-*}" | awk '{s += $2} END {print s}')
    for s in g1 g2 g3; do
        mkdir -p "$W/gated/$s" && cp "$ROOT/solutions/$GATED/src/"*.c "$W/gated/$s/"
    done
    "$IPCLAB" grade-all --lab "${GATED%%-*}" "$W/gated" --out "$W/gated-out" -j2 \
        --grade-opt=--no-valgrind >"$W/gated.log" 2>&1
    # One line a student: native began, memcheck ended, gates began, gates ended.
    windows=$(jq -r '.timing | "\(.native_began) \(.valgrind_ended) \(.gates_began) \(.gates_ended)"' \
        "$W"/gated-out/students/*/full.json 2>/dev/null)
    # Wrong: gates before that grade's memcheck ended, or a student's gates
    # overlapping another's gates or native-and-memcheck span.
    clash=$(echo "$windows" | awk '{ nb[NR] = $1; ve[NR] = $2; gb[NR] = $3; ge[NR] = $4 }
        END { for (a = 1; a <= NR; a++) {
                  if (gb[a] <= 0 || gb[a] < ve[a]) print "no gates window for " a
                  for (b = 1; b <= NR; b++) if (a != b) {
                      if (gb[a] < ge[b] && gb[b] < ge[a] && a < b) print "gates " a " and " b
                      if (gb[a] < ve[b] && nb[b] < ge[a]) print "gates " a " and tests of " b } } }')
    gscores=$(jq -r '.score' "$W"/gated-out/students/*/results.json 2>/dev/null | paste -sd' ')
    check gated-gates-alone "lab $GATED -j2: windows $(echo "$windows" | paste -sd';'), \
scores $gscores (want 3 x $GMAX; clashes: $clash)" \
        test "$(echo "$windows" | wc -l)" -eq 3 -a -z "$clash" -a "$gscores" = "$GMAX $GMAX $GMAX"
fi

# --- 8. --trace-failures: each student's failed tests drawn in their folder ------
# A second run (--force) replaces the charts of the first; a student with
# no failed test gets no traces/ folder.
mkdir -p "$W/subs-trace/ada/src"
cp "$SOL"/*.c "$W/subs-trace/ada/src/"
cp "$W/subs/fay.tgz" "$W/subs-trace/"
for _ in 1 2; do
    "$IPCLAB" grade-all --lab "$LAB" "$W/subs-trace" --out "$W/traced" -j2 --force \
        --trace-failures "${GRADE_OPTS[@]}" >"$W/traced.log" 2>&1
done
pages=$(find "$W/traced/students/fay/traces" -name '*.html' 2>/dev/null | wc -l)
named=$(jq -r '.tests[] | .trace // empty' "$W/traced/students/fay/full.json" 2>/dev/null)
missing=$(for p in $named; do [ -f "$p" ] && grep -q '<svg' "$p" || echo "$p"; done)
check trace-failures-pages "fay: $pages pages, named: $(echo "$named" | wc -w), \
missing: $missing, ada has traces/: $([ -e "$W/traced/students/ada/traces" ] && echo yes) \
(want 1-5 pages, each named in full.json and in report.txt)" \
    test "$pages" -ge 1 -a "$pages" -le 5 -a "$(echo "$named" | wc -w)" -eq "$pages" \
    -a -z "$missing" -a ! -e "$W/traced/students/ada/traces" \
    -a "$(grep -c 'Timeline (traced once more)' "$W/traced/students/fay/report.txt")" -eq "$pages"
check trace-failures-same-score "fay scored $(score traced fay) with charts, $(score j2 fay) without" \
    test "$(score traced fay)" = "$(score j2 fay)"
test_done
