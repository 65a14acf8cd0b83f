#!/bin/bash
# release.sh - write the tree students get: the course or the self-study edition.
# Usage: scripts/release.sh DEST [course|self-study]      (make release DEST=DIR EDITION=...)
#
# Both editions: the top-level Makefile, a README of the student's commands
# (written here, per edition), formatting files, labs/ (with their skeletons),
# grader/ (the `ipclab` command), handouts/ (with the regions of broken
# variants they quote, in handouts/site/broken/), scripts/, and a pristine copy
# of every skeleton in .skeleton/ (for `ipclab reset`). Never:
# the project's own tests/ (broken variants are near-solutions), bench/, CI,
# build products or progress files.
#   course      no solutions/, and no test the manifest marks `hidden`: each
#               hidden test must live in a tests/*.c file of hidden tests only
#               (labs/README.md); that file, its TEST_SRCS entry and the
#               tests' manifest sections are dropped, so the lab still builds;
#               and no [mutants] marks (they describe the reference's code).
#   self-study  solutions/ kept (for `ipclab solution`), hidden tests kept.
# Files come from `git ls-files` in a git checkout (so nothing untracked
# leaks out), else from the directory as it is.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/usage.sh
. "$ROOT/scripts/lib/usage.sh"
usage_check "$0" "$@"
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

TOP="Makefile .clang-format .editorconfig .gitignore labs grader handouts scripts"
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

# student_readme: the README of the edition ($EDITION), on stdout.
student_readme() {
    cat <<'EOF'
# ipclab

A course on Linux inter-process communication in C. Numbered labs take you
from `fork` and pipes to shared memory, sockets and signals; each is a C
skeleton to complete, Criterion tests, and a handout (`handouts/NN-name.md`).

## Set up (once)

On Debian 12 or Ubuntu, in this folder:

```sh
make                              # install what is missing (apt-get, via sudo) and build the ipclab command
export PATH="$PWD/build:$PATH"    # so `ipclab` runs from anywhere in the course (add it to ~/.bashrc)
```

## Every day

Start with lab 00 and go in order. Read its handout, edit only the files in
`labs/NN-name/src/` (the grader uses its own `include/` and `tests/`), and
let `ipclab` tell you what is left:

```sh
ipclab                            # every lab's progress and the one next step
ipclab check 00                   # build labs/00-processes/src and run its tests: failures, hints, why it hung
ipclab check 00 'isolation/*'     # only some tests
ipclab check --asan 00            # the same under AddressSanitizer and UBSan: the line of a crash
ipclab hint 00                    # one more hint for the first failing test, each time you ask
ipclab watch 00                   # check again each time you save a file (Ctrl-C quits)
ipclab grade 00                   # exactly what the grader will say (sandbox, valgrind, deductions)
ipclab reset 00                   # back to the skeleton after asking (yours goes to .ipclab-backup/)
make handouts                     # the handouts as a web site: open build/handouts/index.html
make compile_commands.json        # clangd and VS Code find the headers and Criterion
```

Every command has `--help` and exits 0 only when everything it checked
passed; colours only on a terminal and never with `NO_COLOR`. Your progress
lives in `.ipclab-progress` (deleting it loses only the hint counters).
EOF
    if [ "$EDITION" = course ]; then
        cat <<'EOF'

## Handing in

```sh
ipclab submit                     # ipclab-submission.tar.gz: your changed labs' files and their checksums
```

Hand in that file as your course asks. The grader builds your `src/` files
with the course's own headers and tests: `ipclab grade 00` shows here what
it will say about the tests you have (your course may grade with a few more).
EOF
    else
        cat <<'EOF'

## Once a lab passes

```sh
ipclab solution 00                # the reference solution beside yours, once every test passes
```

`solutions/` holds the reference solutions: read them after your own
version passes, not before.
EOF
    fi
}

# hidden_tests LAB_INI: the names (suite/test) of the tests marked hidden.
hidden_tests() {
    awk '/^\[test /{ name = $2; sub(/\]$/, "", name) }
         /^options[ \t]*=/ && name != "" && /(^|[ =,])hidden([ ,;]|$)/ { print name }' "$1"
}

if [ "$EDITION" = course ]; then
    for lab in "$DEST"/labs/[0-9][0-9]-*; do
        ini="$lab/lab.ini"
        # [mutants] marks describe the reference's code (scripts/mutants.sh): not shipped.
        awk '/^\[/ { skip = ($0 ~ /^\[mutants\]/) } !skip' "$ini" >"$ini.new"
        mv "$ini.new" "$ini"
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

# The handouts quote broken variants (```c from=tests/broken/LAB/VARIANT/FILE#NAME),
# which are not shipped (they are near-solutions): ship only the quoted regions,
# markers included, in handouts/site/broken/, where handouts/site/build.sh reads
# them when tests/broken/ is absent. Students see exactly what the pages show.
# (A released tree released again has them already, and no tests/broken/.)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
[ ! -d "$ROOT/tests/broken" ] ||
    (cd "$ROOT/handouts" && grep -ho 'from=tests/broken/[^ ]*' [0-9][0-9]-*.md) | sort -u |
    while IFS= read -r from; do
        ref=${from#from=tests/broken/} # LAB/VARIANT/FILE#NAME
        path=${ref%%#*} name=${ref#*#}
        lab=${path%%/*} rest=${path#*/}
        variant=${rest%%/*} file=${rest#*/}
        if [ ! -d "$WORK/$lab/$variant" ]; then
            "$ROOT/scripts/broken.sh" apply "$lab" "$variant" "$WORK/$lab/$variant" >/dev/null
        fi
        out="$DEST/handouts/site/broken/$path"
        mkdir -p "$(dirname "$out")"
        awk -v b="/* \$begin $name */" -v e="/* \$end $name */" '
            { line = $0; gsub(/^[ \t]+|[ \t]+$/, "", line) }
            line == b { inside = 1 }
            inside { print }
            line == e { inside = 0 }' "$WORK/$lab/$variant/$file" >>"$out"
        grep -qF "\$end $name */" "$out" || {
            echo "release: no region '$name' in tests/broken/$path" >&2
            exit 1
        }
    done

# The handouts' traced charts (handouts/site/traces.txt) are drawn from a run
# on the reference solution, which the course edition does not ship: draw them
# now, into handouts/site/traces/, where handouts/site/build.sh takes them when
# solutions/ is absent (a released tree released again has them already; the
# self-study edition ships solutions/ and traces them itself).
if [ "$EDITION" = course ] && [ -d "$ROOT/solutions" ] &&
    [ -f "$ROOT/handouts/site/traces.txt" ]; then
    [ -x "$ROOT/build/ipclab" ] || make -s -C "$ROOT" ipclab >/dev/null
    mkdir -p "$DEST/handouts/site/traces"
    while read -r lab test; do
        case "$lab" in '#'* | '') continue ;; esac
        [ -d "$ROOT/solutions/$lab/src" ] || continue
        if ! NO_COLOR=1 "$ROOT/build/ipclab" trace "${lab%%-*}" "$test" \
            --src "$ROOT/solutions/$lab/src" \
            --svg "$DEST/handouts/site/traces/trace-$lab.svg" >"$WORK/trace.log" 2>&1; then
            echo "release: tracing $lab $test on the reference failed: $(tail -3 "$WORK/trace.log")" >&2
            exit 1
        fi
    done <"$ROOT/handouts/site/traces.txt"
fi

# The README of the edition: the student's commands only (the maintainers'
# README stays in the project). tests/student.test.sh runs every command it shows.
student_readme >"$DEST/README.md"

# Pristine skeletons for `ipclab reset`, and the edition's name.
for lab in "$DEST"/labs/[0-9][0-9]-*; do
    slug=$(basename "$lab")
    mkdir -p "$DEST/.skeleton/$slug"
    cp -rp "$lab/src" "$DEST/.skeleton/$slug/src"
done
find "$DEST/.skeleton" -type f -exec chmod a-w {} +
echo "$EDITION" >"$DEST/.ipclab-edition"
echo "release: $EDITION edition in $DEST ($(find "$DEST" -type f | wc -l) files)"
