#!/bin/bash
# build.sh - turn handouts/NN-name.md into a static site that works from file://.
# Usage: handouts/site/build.sh [OUT_DIR]      (default: build/handouts)
#
# Each page gets navigation to its neighbours, a table of contents, syntax
# highlighting (pandoc's, inline CSS: no JavaScript), Graphviz diagrams as SVG
# files, every C listing checked against its marked source region
# (listings.lua), and a closing "Tests and points" table read from the lab's
# manifest, so the page and the grader never disagree; then, for each lab in
# traces.txt, the IPC timeline of one test run on the reference solution now
# (`ipclab trace --svg`), so the picture follows the code. Needs pandoc,
# graphviz, strace and build/ipclab (make builds it).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SITE="$ROOT/handouts/site"
OUT=${1:-$ROOT/build/handouts}
IPCLAB="$ROOT/build/ipclab"
export IPCLAB_ROOT="$ROOT"

for tool in pandoc dot strace "$IPCLAB"; do
    command -v "$tool" >/dev/null || {
        echo "handouts: '$tool' is missing (run 'make deps' and 'make')" >&2
        exit 2
    }
done

rm -rf "$OUT"
mkdir -p "$OUT/img"
cp "$SITE/style.css" "$OUT/"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

mapfile -t pages < <(find "$ROOT/handouts" -maxdepth 1 -name '[0-9][0-9]-*.md' -printf '%f\n' |
    LC_ALL=C sort | sed 's/\.md$//')

# Listings quote broken variants (tests/broken/LAB/VARIANT/FILE): those are
# patches, so the quoted files are the patched solution, made here. A released
# tree has no tests/broken/ (nor solutions/): make release ships the quoted
# regions alone in handouts/site/broken/ instead.
if [ -d "$ROOT/tests/broken" ]; then
    export IPCLAB_BROKEN_ROOT="$WORK/broken"
    while read -r lab variant; do
        "$ROOT/scripts/broken.sh" apply "$lab" "$variant" "$IPCLAB_BROKEN_ROOT/$lab/$variant"
    done < <(cd "$ROOT/handouts" && grep -ho 'from=tests/broken/[^/]*/[^/]*/' [0-9][0-9]-*.md |
        sort -u | awk -F/ '{print $3, $4}')
else
    export IPCLAB_BROKEN_ROOT="$SITE/broken"
fi

# One test per lab, traced on the reference solution (traces.txt): img/trace-LAB.svg.
# (IPCLAB_HANDOUTS_NO_TRACES=1 skips them: a build that tests something else.)
declare -A TRACED=()
if [ -n "${IPCLAB_HANDOUTS_NO_TRACES:-}" ]; then exec 3</dev/null; else exec 3<"$SITE/traces.txt"; fi
while read -r lab test <&3; do
    case "$lab" in '#'* | '') continue ;; esac
    [ -f "$ROOT/handouts/$lab.md" ] || continue
    if [ ! -d "$ROOT/solutions/$lab/src" ]; then
        # A released course edition: the chart make release drew (no solutions/).
        if [ -f "$SITE/traces/trace-$lab.svg" ]; then
            cp "$SITE/traces/trace-$lab.svg" "$OUT/img/trace-$lab.svg"
            TRACED[$lab]=$test
        fi
        continue
    fi
    if ! NO_COLOR=1 "$IPCLAB" trace "${lab%%-*}" "$test" --src "$ROOT/solutions/$lab/src" \
        --svg "$OUT/img/trace-$lab.svg" >"$WORK/trace-$lab.txt" 2>&1; then
        echo "handouts: tracing $lab $test on the reference failed:" >&2
        tail -5 "$WORK/trace-$lab.txt" >&2
        exit 1
    fi
    TRACED[$lab]=$test
done
exec 3<&-

# trace_section SLUG: the traced test's chart, when the lab has one.
trace_section() {
    local test=${TRACED[$1]:-}
    [ -n "$test" ] || return 0
    echo
    echo "## One test, traced"
    echo
    echo "What the processes of \`$test\` did when it ran on the reference solution,"
    echo "drawn from a real trace when this page was built. \`ipclab trace ${1%%-*} '$test'"
    echo "--svg FILE\` draws any test the same way, yours included, passing or not."
    echo
    echo "![The IPC timeline of $test](img/trace-$1.svg)"
}

# title_of SLUG: the page's first "# " heading.
title_of() { sed -n 's/^# //p' "$ROOT/handouts/$1.md" | head -n 1; }

# exercise_table SLUG: the lab's tests and points, from its manifest.
exercise_table() {
    local lab="$ROOT/labs/$1"
    [ -f "$lab/lab.ini" ] || return 0
    local total
    total=$("$IPCLAB" manifest --points "$lab" | awk '{s += $2} END {print s}')
    echo
    echo "## Tests and points"
    echo
    echo "Read from \`labs/$1/lab.ini\`, the file the grader scores with:"
    echo "$("$IPCLAB" manifest --tests "$lab" | wc -l) tests, $total points."
    echo
    echo "| suite | test | points |"
    echo "|---|---|---:|"
    "$IPCLAB" manifest --points "$lab" | awk '{split($1, p, "/"); printf "| `%s` | `%s` | %s |\n", p[1], p[2], $2}'
}

for i in "${!pages[@]}"; do
    slug=${pages[$i]}
    prev=""
    next=""
    [ "$i" -gt 0 ] && prev=${pages[$((i - 1))]}
    [ "$i" -lt $((${#pages[@]} - 1)) ] && next=${pages[$((i + 1))]}
    # Fenced-code info strings "c from=P#N" become pandoc attributes.
    # shellcheck disable=SC2016 # a sed program
    { sed -E 's/^```c from=([^ ]+)$/```{.c from="\1"}/' "$ROOT/handouts/$slug.md"
      trace_section "$slug"
      exercise_table "$slug"; } >"$WORK/$slug.md"
    args=(--from=commonmark_x --to=html5 --standalone --toc --toc-depth=2
        --template="$SITE/template.html" --highlight-style=tango
        --lua-filter="$SITE/listings.lua" --lua-filter="$SITE/graphviz.lua"
        --metadata=pagetitle="$(title_of "$slug")")
    [ -n "$prev" ] && args+=(--variable=prev="$prev" --variable=prevtitle="$(title_of "$prev" | sed 's/:.*//')")
    [ -n "$next" ] && args+=(--variable=next="$next" --variable=nexttitle="$(title_of "$next" | sed 's/:.*//')")
    IPCLAB_PAGE="$slug" IPCLAB_IMG_DIR="$OUT/img" \
        pandoc "${args[@]}" -o "$OUT/$slug.html" "$WORK/$slug.md"
done

# The index: every lab with its title, tests and points.
{
    echo "# ipclab: Linux inter-process communication in C"
    echo
    echo "Numbered labs, from processes and pipes to signals and beyond. Each lab is a"
    echo "skeleton in C to complete, Criterion tests, and the handout below. Work in"
    echo "order: every lab uses what the previous ones taught."
    echo
    echo '<table class="lab-list"><thead><tr><th>lab</th><th>topic</th><th>tests</th><th>points</th></tr></thead><tbody>'
    for slug in "${pages[@]}"; do
        tests="" points=""
        if [ -f "$ROOT/labs/$slug/lab.ini" ]; then
            tests=$("$IPCLAB" manifest --tests "$ROOT/labs/$slug" | wc -l)
            points=$("$IPCLAB" manifest --points "$ROOT/labs/$slug" | awk '{s += $2} END {print s}')
        fi
        title=$(title_of "$slug" | sed 's/&/\&amp;/g; s/</\&lt;/g')
        echo "<tr><td>${slug%%-*}</td><td><a href=\"$slug.html\">$title</a></td><td>$tests</td><td>$points</td></tr>"
    done
    echo '</tbody></table>'
    echo
    echo "Every page prints cleanly (File, Print). Code listings are extracted from files"
    echo "the course compiles and tests, and diagrams are drawn from their Graphviz"
    echo "sources when the site is built."
} >"$WORK/index.md"
pandoc --from=commonmark_x --to=html5 --standalone --template="$SITE/template.html" \
    --metadata=pagetitle="All labs" -o "$OUT/index.html" "$WORK/index.md"

echo "handouts: ${#pages[@]} pages in $OUT (open $OUT/index.html)"
