#!/bin/sh
# setup.sh - Gradescope image set-up: install ipclab's Debian packages and build it.
# Gradescope runs it once, as root, with this zip unpacked in /autograder/source.
set -eu
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
scripts/deps.sh         # apt-get install whatever of the course's packages is missing
make -s ipclab          # build/ipclab, the grader
