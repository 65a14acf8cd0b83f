#!/bin/bash
# broken.sh - materialise, edit and save broken variants (tests/broken/LAB/VARIANT/bug.patch).
# Usage: scripts/broken.sh apply LAB VARIANT DIR   write the variant's student files into DIR
#        scripts/broken.sh apply-all DIR            every variant into DIR/LAB/VARIANT/
#        scripts/broken.sh edit LAB VARIANT         materialise for editing (prints the folder)
#        scripts/broken.sh save LAB VARIANT [DIR]   write bug.patch from DIR (default: edit's folder)
#
# A variant is the reference solution plus one deliberate bug, stored as a
# unified diff against solutions/LAB/src (applied with `patch -p1 --fuzz=0`,
# so a patch that no longer applies is an error, never a silent drift) and
# `expect`, the tests that must fail. LAB is `01`, `01-pipes` or `labs/01-pipes`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

usage() {
    sed -n '3,6p' "$0" | sed 's/^# //' >&2
    exit 2
}

# lab_slug LAB: the lab's folder name (01 -> 01-pipes), or die.
lab_slug() {
    local want=${1#labs/}
    want=${want%/}
    local d
    for d in "$ROOT"/solutions/"$want"-* "$ROOT"/solutions/"$want"; do
        [ -d "$d/src" ] && {
            basename "$d"
            return
        }
    done
    echo "broken.sh: no lab '$1' under solutions/" >&2
    exit 2
}

# apply SLUG VARIANT DIR: the solution's student files with the variant's
# patch applied, in DIR (created). Exit 1 with patch's words if it fails.
apply() {
    local slug=$1 variant=$2 dir=$3
    local vdir="$ROOT/tests/broken/$slug/$variant"
    [ -f "$vdir/bug.patch" ] || {
        echo "broken.sh: no $vdir/bug.patch" >&2
        exit 2
    }
    mkdir -p "$dir"
    cp "$ROOT/solutions/$slug/src/"* "$dir/"
    local out
    if ! out=$(patch -s -p1 --fuzz=0 --no-backup-if-mismatch -r - -d "$dir" <"$vdir/bug.patch" 2>&1); then
        echo "broken.sh: tests/broken/$slug/$variant/bug.patch no longer applies to" \
            "solutions/$slug/src: $out" >&2
        return 1
    fi
}

edit_dir() { echo "$ROOT/build/broken-edit/$1/$2"; }

cmd=${1:-}
case "$cmd" in
apply)
    [ $# -eq 4 ] || usage
    apply "$(lab_slug "$2")" "$3" "$4"
    ;;
apply-all)
    [ $# -eq 2 ] || usage
    status=0
    for vdir in "$ROOT"/tests/broken/*/*/; do
        slug=$(basename "$(dirname "$vdir")")
        v=$(basename "$vdir")
        rm -rf "${2:?}/$slug/$v"
        apply "$slug" "$v" "$2/$slug/$v" || status=1
    done
    exit $status
    ;;
edit)
    [ $# -eq 3 ] || usage
    slug=$(lab_slug "$2")
    dir=$(edit_dir "$slug" "$3")
    rm -rf "$dir"
    if [ -f "$ROOT/tests/broken/$slug/$3/bug.patch" ]; then
        apply "$slug" "$3" "$dir"
    else
        mkdir -p "$dir" "$ROOT/tests/broken/$slug/$3"
        cp "$ROOT/solutions/$slug/src/"* "$dir/"
        echo "broken.sh: new variant: write the tests it must fail in tests/broken/$slug/$3/expect" >&2
    fi
    echo "$dir"
    ;;
save)
    [ $# -eq 3 ] || [ $# -eq 4 ] || usage
    slug=$(lab_slug "$2")
    dir=${4:-$(edit_dir "$slug" "$3")}
    vdir="$ROOT/tests/broken/$slug/$3"
    mkdir -p "$vdir"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mkdir "$tmp/a" "$tmp/b"
    for f in "$ROOT/solutions/$slug/src/"*; do
        cp "$f" "$tmp/a/"
        cp "$dir/$(basename "$f")" "$tmp/b/"
    done
    (cd "$tmp" && diff -u -r a b | sed -E -e '/^diff /d' -e 's/^(---|\+\+\+) ([^\t]*)\t.*/\1 \2/') \
        >"$vdir/bug.patch" || true
    [ -s "$vdir/bug.patch" ] || {
        rm -f "$vdir/bug.patch"
        echo "broken.sh: $dir is the solution itself: no bug to save" >&2
        exit 1
    }
    echo "wrote tests/broken/$slug/$3/bug.patch ($(grep -c '^[-+][^-+]' "$vdir/bug.patch") changed lines)"
    ;;
*) usage ;;
esac
