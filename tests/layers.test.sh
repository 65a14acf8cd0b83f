#!/bin/bash
# layers.test.sh - the grader's layers hold (grader/README.md): no grader file
# includes a header of a higher layer, no module calls a function of a higher
# layer, neither includes nor calls form a cycle between modules, and no
# grader .c/.h is over 700 lines.
# Usage: tests/layers.test.sh   (run by tests/run-all.sh)
#
# A module is a source file and its header (engine/grade.c + engine/grade.h).
# Includes are read from the sources; calls from the objects' symbol tables
# (nm), so a function declared in one header and defined elsewhere still counts.
# Prints `PASS grader layers` or `FAIL grader layers: why`; exits 1 on failure.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT/grader" || exit 2
# The folders that hold sources, lowest first; gradescope/ holds scripts only.
LAYERS=(base hang trace engine report class cli) # lowest first: each may use only those before it
MAX_LINES=700
problems=()

declare -A RANK # layer -> its place in LAYERS
for i in "${!LAYERS[@]}"; do RANK[${LAYERS[$i]}]=$i; done

files=$(find . -mindepth 2 -maxdepth 2 -name '*.[ch]' | sed 's|^\./||' | sort)
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT

for f in $files; do
    lines=$(wc -l <"$f")
    [ "$lines" -gt "$MAX_LINES" ] && problems+=("$f has $lines lines (at most $MAX_LINES)")
    from=${f%%/*}
    rf=${RANK[$from]:-}
    [ -n "$rf" ] || problems+=("$f: folder '$from' is not a layer")
    while read -r inc; do
        to=${inc%%/*}
        if [ "$to" = "$inc" ]; then
            problems+=("$f includes \"$inc\" without its layer folder")
            continue
        fi
        rt=${RANK[$to]:-}
        if [ -z "$rt" ]; then
            problems+=("$f includes \"$inc\" from '$to', not a layer")
        elif [ -n "$rf" ] && [ "$rt" -gt "$rf" ]; then
            problems+=("$f ($from) includes $inc from the higher layer $to")
        fi
        [ "${f%.*}" != "${inc%.h}" ] && echo "${f%.*} ${inc%.h}" >>"$edges"
    done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done
if ! tsort "$edges" >/dev/null 2>&1; then
    problems+=("include cycle between modules: $(tsort "$edges" 2>&1 >/dev/null | grep -v 'input contains a loop' | sed 's/^tsort: //' | tr '\n' ' ')")
fi

# Calls: which module defines each global function, which modules use it.
make -s -C "$ROOT/grader" >/dev/null 2>&1 || problems+=("the grader does not build")
OBJ="$ROOT/build/grader"
: >"$edges"
declare -A owner
for o in "$OBJ"/*/*.o; do
    m=${o#"$OBJ"/}
    m=${m%.o}
    while read -r sym; do owner[$sym]=$m; done < <(nm --defined-only -g "$o" | awk '$2 ~ /[TDBR]/ {print $3}')
done
for o in "$OBJ"/*/*.o; do
    m=${o#"$OBJ"/}
    m=${m%.o}
    [ -e "$m.c" ] || continue # an object of a source that is gone
    for sym in $(nm -u "$o" | awk '{print $2}'); do
        d=${owner[$sym]:-}
        if [ -z "$d" ] || [ "$d" = "$m" ]; then continue; fi
        echo "$m $d" >>"$edges"
        rm_=${RANK[${m%%/*}]:-}
        rd=${RANK[${d%%/*}]:-}
        if [ -n "$rm_" ] && [ -n "$rd" ] && [ "$rd" -gt "$rm_" ]; then
            problems+=("$m calls $sym of the higher layer $d")
        fi
    done
done
if ! sort -u "$edges" | tsort >/dev/null 2>&1; then
    problems+=("call cycle between modules: $(sort -u "$edges" | tsort 2>&1 >/dev/null | grep -v 'input contains a loop' | sed 's/^tsort: //' | tr '\n' ' ')")
fi

if [ ${#problems[@]} -eq 0 ]; then
    echo "PASS grader layers"
    status=0
else
    echo "FAIL grader layers: ${problems[0]} (and $((${#problems[@]} - 1)) more)"
    printf '  %s\n' "${problems[@]}" >&2
    status=1
fi
echo "DONE layers.test.sh"
exit $status
