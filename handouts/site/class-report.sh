#!/bin/bash
# class-report.sh - an HTML page for a graded class, from grade-all's summary.json.
# Usage: handouts/site/class-report.sh GRADES_DIR [OUT_DIR]
#
# GRADES_DIR is what `ipclab grade-all --out` wrote (it holds summary.json).
# Writes OUT_DIR/index.html (default GRADES_DIR/report/) with the score
# histogram and every test's pass rate as SVG charts, and the most common
# deductions, using the handouts site's template and stylesheet, so it opens
# from file:// anywhere. Needs jq and pandoc.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SITE="$ROOT/handouts/site"
GRADES=${1:?usage: class-report.sh GRADES_DIR [OUT_DIR]}
OUT=${2:-$GRADES/report}
SUMMARY="$GRADES/summary.json"
[ -f "$SUMMARY" ] || {
    echo "class-report: no summary.json in '$GRADES' (run ipclab grade-all first)" >&2
    exit 2
}
mkdir -p "$OUT"
cp "$SITE/style.css" "$OUT/"

# Score histogram: one bar per bucket, height proportional to students.
jq -r '
  (.histogram | map(.students) | max) as $top
  | (if $top == 0 then 1 else $top end) as $top
  | .histogram as $h
  | ($h | length) as $n
  | "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(60 + $n * 56)\" height=\"260\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"12\">",
    "<line x1=\"40\" y1=\"210\" x2=\"\(48 + $n * 56)\" y2=\"210\" stroke=\"#888\"/>",
    ($h | to_entries[] |
      (.value.students * 180 / $top) as $bh
      | "<rect x=\"\(48 + .key * 56)\" y=\"\(210 - $bh)\" width=\"44\" height=\"\($bh)\" fill=\"#1f5fae\"><title>\(.value.bucket): \(.value.students)</title></rect>",
        "<text x=\"\(70 + .key * 56)\" y=\"\(204 - $bh)\" text-anchor=\"middle\">\(.value.students)</text>",
        "<text x=\"\(70 + .key * 56)\" y=\"228\" text-anchor=\"middle\" font-size=\"10\">\(.value.bucket)</text>"),
    "<text x=\"\(30 + $n * 28)\" y=\"252\" text-anchor=\"middle\">score</text>",
    "</svg>"' "$SUMMARY" >"$OUT/histogram.svg"

# Pass rate per test: one horizontal bar per test, in manifest order.
jq -r '
  .tests as $t
  | "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"\(30 + ($t | length) * 22)\" font-family=\"DejaVu Sans Mono, monospace\" font-size=\"11\">",
    ($t | to_entries[] |
      (.value.pass_rate * 300) as $w
      | "<text x=\"380\" y=\"\(22 + .key * 22)\" text-anchor=\"end\">\(.value.name | @html)</text>",
        "<rect x=\"390\" y=\"\(10 + .key * 22)\" width=\"300\" height=\"16\" fill=\"#e8edf3\"/>",
        "<rect x=\"390\" y=\"\(10 + .key * 22)\" width=\"\($w)\" height=\"16\" fill=\"\(if .value.pass_rate < 0.5 then "#c0392b" else "#1f5fae" end)\"><title>\(.value.passed) of \(.value.graded)</title></rect>",
        "<text x=\"698\" y=\"\(22 + .key * 22)\">\(.value.pass_rate * 100 | round)%</text>"),
    "</svg>"' "$SUMMARY" >"$OUT/pass-rates.svg"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
jq -r '
  "# Lab \(.lab): class report",
  "",
  "\(.graded) of \(.students) students graded (\(.slug)).",
  "",
  "| mean | median | lowest | highest |",
  "|---:|---:|---:|---:|",
  "| \(.percent.mean * 10 | round / 10)% | \(.percent.median * 10 | round / 10)% | \(.percent.min * 10 | round / 10)% | \(.percent.max * 10 | round / 10)% |",
  "",
  "## Scores",
  "",
  "![Number of students per score bracket](histogram.svg)",
  "",
  "## Pass rate of each test",
  "",
  "Tests passed by fewer than half the class are in red: the place to look",
  "first when planning the next lecture or a hint.",
  "",
  "![Pass rate of each test](pass-rates.svg)",
  "",
  "## Most common deductions",
  "",
  (if (.deductions | length) == 0 then "No deductions."
   else "| deduction | students |", "|---|---:|",
        (.deductions[] | "| \(.deduction) | \(.students) |") end),
  "",
  (if (.ungraded | length) > 0 then
     "## Not graded", "", (.ungraded[] | "- \(.student): \(.reason)"), ""
   else empty end),
  (if (.pending | length) > 0 then
     "## Still pending", "", (.pending[] | "- \(.)"), ""
   else empty end)' "$SUMMARY" >"$WORK/report.md"

pandoc --from=commonmark_x --to=html5 --standalone --template="$SITE/template.html" \
    --metadata=pagetitle="Class report" -o "$OUT/index.html" "$WORK/report.md"
# The site's navigation points at the handouts; a report stands alone.
sed -i 's|<a class="home" href="index.html">ipclab</a>|<span class="home">ipclab class report</span>|;
        s|<a class="home" href="index.html">All labs</a>||' "$OUT/index.html"
echo "class report: $OUT/index.html"
