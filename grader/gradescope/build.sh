#!/bin/sh
# build.sh - build the Gradescope autograder zip of one lab (`make gradescope LAB=NN`).
# Usage: grader/gradescope/build.sh labs/NN-name OUT_DIR
#
# OUT_DIR/ipclab-NN.zip holds, at its top level as Gradescope wants:
#   setup.sh         installs the Debian packages (scripts/deps.sh) and builds ipclab
#   run_autograder   grades /autograder/submission into /autograder/results/results.json
#   the course tree it needs: Makefile, scripts/, grader/,
#   labs/{lab.mk,allowed-calls.txt,support,NN-name} (the audit reads allowed-calls.txt)
# and never solutions/, the project's tests or build products. The files are
# those git tracks (`git ls-files`, as they are in the working tree), so nothing
# untracked or ignored leaks in; outside a git checkout, the tree as it is
# without build products, and a note saying so.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 labs/NN-name OUT_DIR" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LAB_DIR=$(cd "$1" && pwd)
SLUG=$(basename "$LAB_DIR")
NUM=${SLUG%%-*}
mkdir -p "$2"
OUT=$(cd "$2" && pwd)
STAGE="$OUT/ipclab-$NUM"
ZIP="$OUT/ipclab-$NUM.zip"

rm -rf "$STAGE" "$ZIP"
mkdir -p "$STAGE/labs"
# The course tree (tar keeps modes).
PARTS="Makefile README.md scripts grader labs/lab.mk labs/allowed-calls.txt labs/support labs/$SLUG"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # Tracked files that still exist in the working tree (a deleted one is not packed).
    # shellcheck disable=SC2086,SC2016 # PARTS: paths without spaces; sh -c's own "$f"
    (cd "$ROOT" && git ls-files -z -- $PARTS | xargs -0 -r sh -c \
        'for f; do [ -f "$f" ] && printf "%s\0" "$f"; done' sh |
        tar -cf - --null --no-recursion -T -) | (cd "$STAGE" && tar -xf -)
else
    echo "gradescope: $ROOT is not a git checkout: packing its files as they are" >&2
    # shellcheck disable=SC2086 # PARTS is a list of paths without spaces
    (cd "$ROOT" && tar -cf - --exclude=build --exclude='*.o' $PARTS) | (cd "$STAGE" && tar -xf -)
fi
rm -rf "$STAGE/grader/gradescope"
sed "s/@LAB@/$NUM/g" "$HERE/run_autograder" >"$STAGE/run_autograder"
cp "$HERE/setup.sh" "$STAGE/setup.sh"
chmod 755 "$STAGE/run_autograder" "$STAGE/setup.sh"
# Fixed timestamps and sorted names: the same tree gives the same zip.
find "$STAGE" -exec touch -h -d '2000-01-01 00:00:00' {} +
(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort | zip -q -X -@ "$ZIP")
rm -rf "$STAGE"
echo "gradescope: $ZIP (lab $SLUG)"
