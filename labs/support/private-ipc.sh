#!/bin/sh
# private-ipc.sh - run a command (make check's test run) in private IPC, /dev/shm and mqueue namespaces.
# Usage: private-ipc.sh CMD [ARGS...]
#
# SysV objects, POSIX queues, shared memory and named semaphores that a run
# leaves behind then go with it, so they can neither break the next run
# ("Too many open files" from leaked queues) nor stay on the machine. Where
# user namespaces exist, the command keeps the caller's own uid (a second,
# inner user namespace maps it back), so tests see no extra privilege. Where
# they do not, the command runs as it is, after a note saying so.
# IPCLAB_NO_PRIVATE_IPC=1 turns it off.
mounts='mount -t tmpfs -o mode=1777 tmpfs /dev/shm &&
    { [ -d /dev/mqueue ] || mkdir /dev/mqueue; } && mount -t mqueue mqueue /dev/mqueue'
if [ "${IPCLAB_NO_PRIVATE_IPC:-}" != 1 ]; then
    if [ "$(id -u)" -eq 0 ] && unshare --ipc --mount true 2>/dev/null; then
        exec unshare --ipc --mount --propagation private sh -c "$mounts"' && exec "$@"' \
            private-ipc "$@"
    fi
    uid=$(id -u) gid=$(id -g)
    if unshare --user --map-root-user --ipc --mount --propagation private sh -c \
        "$mounts && exec unshare --user --map-user=$uid --map-group=$gid true" 2>/dev/null; then
        # The inner shell gets uid as $0, gid as $1, then the command.
        # shellcheck disable=SC2016 # expanded by the inner shell
        exec unshare --user --map-root-user --ipc --mount --propagation private sh -c \
            "$mounts"' && gid=$1 && shift && exec unshare --user --map-user="$0" --map-group="$gid" -- "$@"' \
            "$uid" "$gid" "$@"
    fi
fi
echo "note: no private IPC namespace here: IPC objects a test leaves stay on this machine" \
    "(see ipcs, ls /dev/shm /dev/mqueue)" >&2
exec "$@"
