#!/bin/sh
# isolate.sh - run a command in private IPC, /dev/shm and /dev/mqueue namespaces.
# Usage: tests/lib/isolate.sh CMD [ARGS...]
#
# Tests of different labs run at the same time; a private IPC namespace keeps
# one lab's queues and segments out of another's "left behind" check. Falls
# back to running CMD as it is (with a note on stderr) when namespaces are
# not available.
set -eu
if [ "${IPCLAB_NO_ISOLATION:-}" != 1 ] && [ "$(id -u)" -eq 0 ] &&
    unshare --ipc --mount --fork true 2>/dev/null; then
    exec unshare --ipc --mount --fork --propagation private sh -c '
        mount -t tmpfs -o mode=1777 tmpfs /dev/shm &&
        { mkdir -p /dev/mqueue 2>/dev/null; mount -t mqueue mqueue /dev/mqueue; } &&
        exec "$@"' isolate "$@"
elif [ "${IPCLAB_NO_ISOLATION:-}" != 1 ] && unshare -r --ipc --mount --fork true 2>/dev/null; then
    exec unshare -r --ipc --mount --fork --propagation private sh -c '
        mount -t tmpfs -o mode=1777 tmpfs /dev/shm &&
        { mount -t mqueue mqueue /dev/mqueue 2>/dev/null || true; } &&
        exec "$@"' isolate "$@"
fi
echo "isolate: no IPC namespace available; running without isolation" >&2
exec "$@"
