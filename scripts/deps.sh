#!/bin/sh
# deps.sh - install the Debian packages ipclab needs, if any is missing.
# Usage: scripts/deps.sh [--check] [--site]
#   --check  only report, exit 1 if something is missing
#   --site   also what the handouts site and its browser test need
#            (pandoc, graphviz, chromium): `make handouts` and `make test`
set -eu

PACKAGES="gcc make pkg-config valgrind libcriterion-dev libinih-dev libjansson-dev
libarchive-dev libxml2-dev libxml2-utils bubblewrap jq clang-format cppcheck shellcheck zip unzip
socat bc nettle-dev tmux diffutils libelf-dev strace python3"

# The handouts site: pandoc renders, graphviz draws, chromium checks the pages.
SITE_PACKAGES="pandoc graphviz chromium fonts-dejavu-core"

check_only=0
for arg in "$@"; do
    case "$arg" in
    --check) check_only=1 ;;
    --site) PACKAGES="$PACKAGES $SITE_PACKAGES" ;;
    *) echo "usage: scripts/deps.sh [--check] [--site]" >&2; exit 2 ;;
    esac
done

missing=""
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$check_only" = 1 ]; then
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
