#!/bin/sh
# isolate.sh - run a command in private IPC, /dev/shm and /dev/mqueue namespaces
# (as root, also over private copies of /dev/null, zero, full, random, urandom).
# Usage: tests/lib/isolate.sh CMD [ARGS...]
#
# Tests of different labs run at the same time; a private IPC namespace keeps
# one lab's queues and segments out of another's "left behind" check. Falls
# back to running CMD as it is (with a note on stderr) when namespaces are
# not available.
set -eu
if [ "${IPCLAB_NO_ISOLATION:-}" != 1 ] && [ "$(id -u)" -eq 0 ] &&
    unshare --ipc --mount --fork true 2>/dev/null; then
    # As root, the code under test could also damage the machine's /dev/null
    # and friends (a chmod or unlink through a wrong path): each gets a private
    # copy, bind-mounted over it, that goes with the namespace.
    # shellcheck disable=SC2016 # expanded by the inner shell
    exec unshare --ipc --mount --fork --propagation private sh -c '
        mount -t tmpfs -o mode=1777 tmpfs /dev/shm &&
        { mkdir -p /dev/mqueue 2>/dev/null; mount -t mqueue mqueue /dev/mqueue; } &&
        nodes=$(mktemp -d) && mount -t tmpfs -o mode=755 tmpfs "$nodes" &&
        for node in null:3 zero:5 full:7 random:8 urandom:9; do
            mknod -m 666 "$nodes/${node%:*}" c 1 "${node#*:}" &&
                mount --bind "$nodes/${node%:*}" "/dev/${node%:*}" || exit 1
        done &&
        umount -l "$nodes" && rmdir "$nodes" &&
        exec "$@"' isolate "$@"
elif [ "${IPCLAB_NO_ISOLATION:-}" != 1 ] && unshare -r --ipc --mount --fork true 2>/dev/null; then
    exec unshare -r --ipc --mount --fork --propagation private sh -c '
        mount -t tmpfs -o mode=1777 tmpfs /dev/shm &&
        { mount -t mqueue mqueue /dev/mqueue 2>/dev/null || true; } &&
        exec "$@"' isolate "$@"
fi
echo "isolate: no IPC namespace available; running without isolation" >&2
exec "$@"
