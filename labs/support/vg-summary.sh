#!/bin/sh
# vg-summary.sh - after `make valgrind`: show what memcheck found.
# Usage: vg-summary.sh DIR    (DIR: the run's logs, one per process, PID.log)
# Prints every log that holds a memory error or a lost block, from the test
# it belongs to (the "IPCLAB-TEST" marker, or its parent's) on, without
# valgrind's banner; then one summary line. Exit status: 1 when something
# was found, 0 when every log is clean.
dir=$1
[ -d "$dir" ] || { echo "vg-summary: no folder '$dir'" >&2; exit 2; }
found=0
total=0
for log in "$dir"/*.log; do
    [ -f "$log" ] || continue
    total=$((total + 1))
    grep -q -E 'ERROR SUMMARY: [1-9]|(definitely|indirectly|possibly) lost: [1-9]' "$log" || continue
    found=$((found + 1))
    test=$(sed -n 's/.*IPCLAB-TEST //p' "$log" | head -n 1)
    parent=$(sed -n 's/.*Parent PID: //p' "$log" | head -n 1)
    echo
    echo "==> $log (${test:-a child of process $parent}) <=="
    # From the first line after the banner ("Parent PID:") on, blank-only lines dropped.
    sed -n '/Parent PID:/,$p' "$log" | sed '1d' | grep -v -E '^==[0-9]+== ?$'
done
echo
if [ "$found" -gt 0 ]; then
    echo "memcheck: $found of $total processes had memory errors or lost blocks (above; logs in $dir)"
    exit 1
fi
echo "memcheck: no memory errors or lost blocks in $total processes (logs in $dir)"
