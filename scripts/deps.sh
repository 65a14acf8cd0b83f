#!/bin/sh
# deps.sh - install the Debian packages ipclab needs, if any is missing.
# Usage: scripts/deps.sh [--check]   (--check: only report, exit 1 if missing)
set -eu

PACKAGES="gcc make pkg-config valgrind libcriterion-dev libinih-dev libjansson-dev
libarchive-dev libxml2-dev libxml2-utils bubblewrap jq clang-format cppcheck zip unzip"

missing=""
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
[ -z "$missing" ] && exit 0

if [ "${1:-}" = "--check" ]; then
    echo "ipclab: missing Debian packages:$missing" >&2
    exit 1
fi

echo "ipclab: installing missing Debian packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
    echo "ipclab: (using sudo; you may be asked for your password)" >&2
else
    echo "ipclab: not root and no sudo: ask your administrator to run" >&2
    echo "    apt-get install$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Update the package lists once, unless they were refreshed in the last day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
    $SUDO apt-get update -q
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
