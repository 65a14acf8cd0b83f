#!/bin/bash
# handouts.test.sh - the handouts site builds (also in both released editions),
# the pages teach `ipclab check` and fold find-the-bug answers, listings cannot
# drift, and every page opens in headless Chromium with no broken link or
# missing image.
# Prints PASS/FAIL lines, then DONE (collected by tests/run-all.sh).
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh" # sets ROOT, set -uo pipefail
test_begin handouts
OUT="$ROOT/build/test/handouts"
SITE="$OUT/site"
rm -rf "$OUT"
mkdir -p "$OUT"

# 1. The site builds (every listing matches its source, every diagram renders).
if "$ROOT/handouts/site/build.sh" "$SITE" >"$OUT/build.log" 2>&1; then
    pass "site-builds ($(find "$SITE" -maxdepth 1 -name '*.html' | wc -l) pages, $(
        find "$SITE/img" -mindepth 1 -maxdepth 1 | wc -l) diagrams)"
else
    fail site-builds "$(tail -15 "$OUT/build.log")"
    test_done
fi

# 1b. What the pages teach: `ipclab check` on every lab's page, strace on the
#     runner that exists (not ./run-tests), find-the-bug answers folded.
untaught="" bad_strace="" unfolded=""
for md in "$ROOT"/handouts/[0-9][0-9]-*.md; do
    slug=$(basename "$md" .md) id=${slug%%-*}
    [ -f "$ROOT/labs/$slug/lab.ini" ] || continue
    grep -q "ipclab check $id" "$md" || untaught="$untaught $slug"
    grep -q 'strace[^`]*[ =]\./run-tests' "$md" && bad_strace="$bad_strace $slug"
    html="$SITE/$slug.html"
    if grep -q 'Find the bug' "$md"; then
        # Between the section's heading and the next, the answer sits in <details>.
        section=$(awk '/<h2[^>]*>.*Find the bug/ { f = 1 } f && /<h2/ && !/Find the bug/ { f = 0 } f' "$html")
        grep -q '<details>' <<<"$section" || unfolded="$unfolded $slug"
    fi
done
if [ -z "$untaught$bad_strace$unfolded" ]; then
    pass "pages teach ipclab check, strace the real runner, fold find-the-bug answers"
else
    fail handouts-teach "no ipclab check:${untaught:- -}; strace ./run-tests:${bad_strace:- -}; answers unfolded:${unfolded:- -}"
fi

# 1c. The handouts build in both released editions, which ship no tests/ (the
#     broken variants the pages quote) and, in the course edition, no solutions/.
for edition in course self-study; do
    rel="$OUT/release-$edition"
    if ! "$ROOT/scripts/release.sh" "$rel" "$edition" >"$OUT/release-$edition.log" 2>&1; then
        fail "handouts-in-$edition-edition" "$(tail -3 "$OUT/release-$edition.log")"
        continue
    fi
    mkdir -p "$rel/build" && cp "$ROOT/build/ipclab" "$rel/build/ipclab"
    if "$rel/handouts/site/build.sh" >"$OUT/release-$edition-site.log" 2>&1 &&
        [ ! -e "$rel/tests" ] && cmp -s "$rel/build/handouts/01-pipes.html" "$SITE/01-pipes.html"; then
        pass "handouts-in-$edition-edition (the same pages, without tests/)"
    else
        fail "handouts-in-$edition-edition" "$(tail -5 "$OUT/release-$edition-site.log")"
    fi
done
rm -rf "$OUT"/release-*/

# 2. Every page ends with its lab's tests and points, read from the manifest.
missing=""
for md in "$ROOT"/handouts/[0-9][0-9]-*.md; do
    slug=$(basename "$md" .md)
    [ -f "$ROOT/labs/$slug/lab.ini" ] || continue
    for t in $("$ROOT/build/ipclab" manifest --tests "$ROOT/labs/$slug" | cut -d/ -f2 | sort -u); do
        grep -q "<code>$t</code>" "$SITE/$slug.html" || missing="$missing $slug:$t"
    done
done
if [ -z "$missing" ]; then
    pass "exercise-lists-match-manifests"
else
    fail exercise-lists-match-manifests "not on the page:$missing"
fi

# 2b. One chart per lab, drawn from a real trace of the reference (traces.txt).
bad=""
n=0
while read -r lab test; do
    case "$lab" in '#'* | '') continue ;; esac
    [ -f "$ROOT/handouts/$lab.md" ] || continue
    svg="$SITE/img/trace-$lab.svg"
    if [ -s "$svg" ] && xmllint --noout "$svg" 2>/dev/null &&
        grep -q "img/trace-$lab.svg" "$SITE/$lab.html" && grep -qF "$test" "$svg" &&
        [ "$(grep -c 'class="life"' "$svg")" -ge 1 ]; then
        n=$((n + 1))
    else
        bad="$bad $lab"
    fi
done <"$ROOT/handouts/site/traces.txt"
labs=$(find "$ROOT/handouts" -maxdepth 1 -name '[0-9][0-9]-*.md' | wc -l)
if [ -z "$bad" ] && [ "$n" -eq "$labs" ]; then
    pass "trace-charts (one traced test per lab: $n charts)"
else
    fail trace-charts "missing or broken:${bad:- } ($n of $labs labs have one)"
fi

# 3. A listing that drifts from its source stops the build.
drift="$OUT/drift"
mkdir -p "$drift/handouts"
cp -r "$ROOT/handouts/site" "$drift/handouts/"
# shellcheck disable=SC2016 # sed programs
sed '/^```c from=/,/^```$/ s/return/retrun/' "$ROOT/handouts/00-processes.md" \
    >"$drift/handouts/00-processes.md"
if ! grep -q retrun "$drift/handouts/00-processes.md"; then
    # shellcheck disable=SC2016 # a sed program
    sed -i '0,/^```c from=/{/^```c from=/a\    /* an edited line */
}' "$drift/handouts/00-processes.md"
fi
ln -s "$ROOT/labs" "$drift/labs"
ln -s "$ROOT/tests" "$drift/tests"
ln -s "$ROOT/build" "$drift/build"
ln -s "$ROOT/scripts" "$drift/scripts"
ln -s "$ROOT/solutions" "$drift/solutions"
if IPCLAB_HANDOUTS_NO_TRACES=1 "$drift/handouts/site/build.sh" "$OUT/drift-site" >"$OUT/drift.log" 2>&1; then
    fail listing-drift-detected "a handout whose listing differs from its source still built"
elif grep -q "drifted" "$OUT/drift.log"; then
    pass listing-drift-detected
else
    fail listing-drift-detected "build failed for another reason: $(tail -3 "$OUT/drift.log")"
fi

# 4. Headless Chromium opens every page from file:// with no network.
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    fail browser-check "chromium is not installed (scripts/deps.sh --site)"
    test_done
fi
chrome() {
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --user-data-dir="$OUT/profile" --allow-file-access-from-files \
        --proxy-server=127.0.0.1:9 "$@" 2>>"$OUT/chromium.log"
}
pages=$(find "$SITE" -maxdepth 1 -name '*.html' -printf '"%f"\n' | sort | paste -sd, -)
sed "s|PAGES_JSON|[$pages]|" "$ROOT/tests/handouts/check-pages.html" >"$SITE/check-pages.html"
chrome --virtual-time-budget=60000 --dump-dom "file://$SITE/check-pages.html" >"$OUT/check.dom"
rm -f "$SITE/check-pages.html"
result=$(tr '\n' '\v' <"$OUT/check.dom" | grep -o '<pre id="result">[^<]*</pre>' |
    sed 's/<[^>]*>//g' | tr '\v' '\n')
case "$result" in
OK*) pass "browser-check (${result#OK })" ;;
*) fail browser-check "${result:-no result (see $OUT/chromium.log)}" ;;
esac

# 5. A screenshot of one page, for a person to look at.
shot="$OUT/01-pipes.png"
page="$SITE/01-pipes.html"
[ -f "$page" ] || page="$SITE/index.html"
chrome --hide-scrollbars --window-size=1280,1800 --screenshot="$shot" "file://$page" >/dev/null
if [ -s "$shot" ]; then
    pass "screenshot ($shot)"
else
    fail screenshot "no screenshot written"
fi

# 6. The instructor's class report (from grade-all's summary.json) renders
#    with its charts, built the same way as the handouts.
report="$OUT/class-report"
if ! "$ROOT/handouts/site/class-report.sh" "$ROOT/tests/handouts/class" "$report" \
    >"$OUT/class-report.log" 2>&1; then
    fail class-report "$(tail -5 "$OUT/class-report.log")"
else
    sed 's|PAGES_JSON|["index.html"]|' "$ROOT/tests/handouts/check-pages.html" \
        >"$report/check-pages.html"
    chrome --virtual-time-budget=30000 --dump-dom "file://$report/check-pages.html" \
        >"$OUT/report.dom"
    rm -f "$report/check-pages.html"
    result=$(tr '\n' '\v' <"$OUT/report.dom" | grep -o '<pre id="result">[^<]*</pre>' |
        sed 's/<[^>]*>//g' | tr '\v' '\n')
    charts=$(grep -c '<img' "$report/index.html")
    case "$result" in
    OK*)
        if [ "$charts" -ge 2 ]; then
            pass "class-report ($charts charts)"
        else
            fail class-report "expected 2 charts, found $charts"
        fi
        ;;
    *) fail class-report "${result:-no result}" ;;
    esac
fi
test_done
