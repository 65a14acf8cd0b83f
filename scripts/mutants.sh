#!/bin/sh
# mutants.sh - the mutation check of a lab's tests (`make mutants LAB=NN`): see scripts/mutants.py.
# Usage: scripts/mutants.sh LAB [--jobs N] [--only OPERATOR[,OPERATOR]] [--function F] [--mutant ID]...
#                               [--list] [--memcheck] [--goal PCT] [--solution DIR] [--keep]
#
# Builds the course's ipclab command when it is missing (the lab's manifest and
# the grader's deductions come from it), then runs scripts/mutants.py.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$ROOT/build/ipclab" ]; then
    make -s -C "$ROOT" ipclab >&2
fi
exec python3 "$ROOT/scripts/mutants.py" "$@"
