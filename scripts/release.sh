#!/bin/bash
# release.sh - write the tree students get: the course or the self-study edition.
# Usage: scripts/release.sh DEST [course|self-study]      (make release DEST=DIR EDITION=...)
#
# Both editions: the top-level Makefile, README, formatting files, labs/ (with
# their skeletons), grader/ (the `ipclab` command), handouts/, scripts/, and a
# pristine copy of every skeleton in .skeleton/ (for `ipclab reset`). Never:
# the project's own tests/ (broken variants are near-solutions), bench/, CI,
# build products or progress files.
#   course      no solutions/, and no test the manifest marks `hidden`: each
#               hidden test must live in a tests/*.c file of hidden tests only
#               (labs/README.md); that file, its TEST_SRCS entry and the
#               tests' manifest sections are dropped, so the lab still builds.
#   self-study  solutions/ kept (for `ipclab solution`), hidden tests kept.
# Files come from `git ls-files` in a git checkout (so nothing untracked
# leaks out), else from the directory as it is.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:?usage: scripts/release.sh DEST [course|self-study]}
EDITION=${2:-course}
case "$EDITION" in
course | self-study) ;;
*) echo "release: edition must be course or self-study, not '$EDITION'" >&2; exit 2 ;;
esac
if [ -e "$DEST" ] && [ -n "$(ls -A "$DEST" 2>/dev/null)" ]; then
    echo "release: '$DEST' exists and is not empty" >&2
    exit 2
fi
mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)

TOP="Makefile README.md .clang-format .editorconfig .gitignore labs grader handouts scripts"
[ "$EDITION" = self-study ] && TOP="$TOP solutions"

# The files to ship, relative to ROOT, one per line.
list_files() {
    local p
    for p in $TOP; do
        [ -e "$ROOT/$p" ] || continue
        if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
            git -C "$ROOT" ls-files -- "$p"
        else
            (cd "$ROOT" && find "$p" -type f -not -path '*/build/*')
        fi
    done
}
list_files | while IFS= read -r f; do
    [ -f "$ROOT/$f" ] || continue # deleted in the working tree
    mkdir -p "$DEST/$(dirname "$f")"
    cp -p "$ROOT/$f" "$DEST/$f"
done

# hidden_tests LAB_INI: the names (suite/test) of the tests marked hidden.
hidden_tests() {
    awk '/^\[test /{ name = $2; sub(/\]$/, "", name) }
         /^options[ \t]*=/ && name != "" && /(^|[ =,])hidden([ ,;]|$)/ { print name }' "$1"
}

if [ "$EDITION" = course ]; then
    for lab in "$DEST"/labs/[0-9][0-9]-*; do
        ini="$lab/lab.ini"
        hidden=$(hidden_tests "$ini")
        [ -n "$hidden" ] || continue
        drop_files=""
        for t in $hidden; do
            suite=${t%%/*} name=${t#*/}
            file=$(grep -lE "Test\(\s*$suite\s*,\s*$name\s*[,)]" "$lab"/tests/*.c || true)
            if [ -z "$file" ]; then
                echo "release: $(basename "$lab"): hidden test $t not found in tests/*.c" >&2
                exit 1
            fi
            case " $drop_files " in *" $file "*) ;; *) drop_files="$drop_files $file" ;; esac
        done
        for file in $drop_files; do
            # Every test of the file must be hidden, or shipped tests would vanish.
            # shellcheck disable=SC2013 # test names are single words
            for t in $(grep -oE 'Test\(\s*[A-Za-z0-9_]+\s*,\s*[A-Za-z0-9_]+' "$file" |
                sed -E 's/Test\(\s*([A-Za-z0-9_]+)\s*,\s*/\1\//'); do
                if ! printf '%s\n' "$hidden" | grep -qx "$t"; then
                    echo "release: $(basename "$lab"): $(basename "$file") mixes hidden and" \
                        "shipped tests ($t is not hidden): move the hidden ones to their own file" >&2
                    exit 1
                fi
            done
            rm -f "$file"
            base=$(basename "$file")
            sed -i -E "/^TEST_SRCS/ s/(^|[[:space:]=])$base([[:space:]]|\$)/\1\2/" "$lab/Makefile"
        done
        # Drop the hidden tests' sections from the manifest.
        awk -v list="$hidden" '
            BEGIN { n = split(list, h, "\n"); for (i = 1; i <= n; i++) hidden[h[i]] = 1 }
            /^\[/ { skip = 0; if ($1 == "[test") { t = $2; sub(/\]$/, "", t); skip = (t in hidden) } }
            !skip' "$ini" >"$ini.new"
        mv "$ini.new" "$ini"
    done
fi

# Pristine skeletons for `ipclab reset`, and the edition's name.
for lab in "$DEST"/labs/[0-9][0-9]-*; do
    slug=$(basename "$lab")
    mkdir -p "$DEST/.skeleton/$slug"
    cp -rp "$lab/src" "$DEST/.skeleton/$slug/src"
done
find "$DEST/.skeleton" -type f -exec chmod a-w {} +
echo "$EDITION" >"$DEST/.ipclab-edition"
echo "release: $EDITION edition in $DEST ($(find "$DEST" -type f | wc -l) files)"
