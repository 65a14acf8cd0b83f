#!/bin/bash
# hang.test.sh - the "why it hung" explainer (grader/hang/) against real hangs.
# Usage: tests/hang.test.sh            (HANG_REPEAT=N runs every scenario N times, default 20)
#
# Builds tests/hang/scenario.c with grader/hang/, runs
# every scenario (each makes a test hang for real in a known way, waits until
# every process sleeps in the expected call, and prints hang_explain()'s
# sentence), and checks that the sentence names the right cause, pids and
# fds. Prints one PASS/FAIL line per scenario, one for the repeat loop and
# one for a valgrind run. FIFOs and sockets live in a temporary directory;
# IPC objects in a private IPC namespace when tests/lib/isolate.sh can make
# one; both are removed on exit, even after a failure. Ends with DONE.
# shellcheck disable=SC2086 # $CFLAGS is a list of words
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh" # sets ROOT, set -uo pipefail
test_begin hang
OUT="$ROOT/build/test/hang"
REPEAT=${HANG_REPEAT:-20}
mkdir -p "$OUT"
test_tmpdir WORK ipclab-hang

CFLAGS="$(grep -v '^#' "$ROOT/labs/support/cflags") -Werror -g -O2"
if ! cc $CFLAGS -I"$ROOT/grader" -o "$OUT/scenario" "$ROOT/tests/hang/scenario.c" \
    "$ROOT"/grader/hang/*.c -pthread 2>"$OUT/build.log"; then
    fail scenario-build "$(head -3 "$OUT/build.log")"
    test_done
fi

# Prefer a private IPC namespace and /dev/shm (nothing can leak out of it).
ISOLATE=()
if note=$("$ROOT/tests/lib/isolate.sh" true 2>&1) && [ -z "$note" ]; then
    ISOLATE=("$ROOT/tests/lib/isolate.sh")
fi

# run MODE: run one scenario in a fresh directory; sets $out, $sentence and role_* variables.
run() {
    local mode=$1 dir
    dir=$(mktemp -d "$WORK/$mode.XXXXXX")
    out=$(timeout 30 "${ISOLATE[@]}" env IPCLAB_HANG_NO_SYSCALL="${IPCLAB_HANG_NO_SYSCALL:-}" \
        "$OUT/scenario" "$mode" "$dir" 2>&1)
    status=$?
    sentence=$(printf '%s\n' "$out" | sed -n 's/^sentence: //p')
    unset "${!role_@}"
    while IFS='=' read -r name pid; do
        printf -v "role_${name}" '%s' "$pid"
    done < <(printf '%s\n' "$out" | sed -n 's/^role //p')
    rm -rf "$dir"
}

# expect MODE REGEX: the sentence must match the extended regex.
check() {
    local mode=$1 re=$2
    if [ "$status" -eq 0 ] && printf '%s\n' "$sentence" | grep -Eq -- "$re"; then
        return 0
    fi
    printf -- '--- %s (status %s), wanted: %s\n%s\n' "$mode" "$status" "$re" "$out" \
        >>"$OUT/failures.log"
    return 1
}

P='pipe:\[[0-9]+\]'

# expected MODE: the regex the sentence of MODE must match (uses the role_* pids).
expected() {
    case $1 in
    leak)
        echo "^the reader \(pid ${role_reader:-X}\) waits in read\(\) on $P \(fd 3\), but the write end is still open in its own process \(fd 4\): close it before reading" ;;
    leak-parent)
        echo "^the reader \(pid ${role_reader:-X}\) waits in read\(\) on $P \(fd 3\), but the write end is still open in its parent \(pid ${role_parent:-X}, fd 4\), which is blocked in waitpid\(\)" ;;
    leak-sibling)
        echo "^the reader \(pid ${role_reader:-X}\) waits in read\(\) on $P \(fd 3\), but the write end is still open in a sibling \(pid ${role_writer:-X}, forked by your code, fd 4\), which is blocked in pause\(\)" ;;
    leak-read)
        echo "^the writer \(pid ${role_writer:-X}\) waits in write\(\) on $P \(fd 4\), which is full \(65536 of 65536 bytes\), and the only read end left is in its own process \(fd 3\): no one will read it, and while that end is open the writer never gets SIGPIPE" ;;
    twopipe)
        echo "^deadlock: pid ${role_parent:-X} waits in write\(\) on $P \(fd 4\), which is full \(65536 of 65536 bytes\), while the process that reads it, its child \(pid ${role_child:-X}, fd 3\), waits in write\(\) on $P \(fd 6\), also full \(65536 of 65536 bytes\), which only pid ${role_parent:-X} reads \(fd 5\)" ;;
    readread)
        echo "^deadlock: pid ${role_parent:-X} waits in read\(\) on $P \(fd 5\) for its child \(pid ${role_child:-X}\) to write, while pid ${role_child:-X} waits in read\(\) on $P \(fd 3\) for pid ${role_parent:-X} to write" ;;
    fifo-read)
        echo "^pid ${role_opener:-X} waits in open\(\) of the FIFO '[^']*/fifo' for reading, and no process has it open for writing \(its parent \(pid ${role_parent:-X}\) is blocked in waitpid\(\)\): opening a FIFO for reading blocks until a process opens it for writing.*O_NONBLOCK" ;;
    fifo-write)
        echo "^pid ${role_opener:-X} waits in open\(\) of the FIFO '[^']*/fifo' for writing, and no process has it open for reading .*O_NONBLOCK" ;;
    sem)
        echo "^pid ${role_waiter:-X} waits in sem_wait\(\) on the POSIX named semaphore '/ipclab-hang-[0-9]+' \(value 0\), and no other process of the test is in a position to post it: its parent \(pid ${role_parent:-X}\) is blocked in waitpid\(\)" ;;
    privsem)
        echo "^pid ${role_waiter:-X} waits on a futex \(a semaphore or mutex\) at 0x[0-9a-f]+ in its private memory .*pshared = 1" ;;
    sysvsem)
        echo "^pid ${role_waiter:-X} waits in semop\(\) on SysV semaphore set [0-9]+ \(semaphore 0, wants -1, value 0\), and no other process of the test is in a position to post it: its parent \(pid ${role_parent:-X}\) is blocked in waitpid\(\)" ;;
    msgrcv)
        echo "^pid ${role_receiver:-X} waits in msgrcv\(\) on SysV message queue [0-9]+, which has no message \(0 in the queue\), and no other process of the test is in a position to send to it: its parent \(pid ${role_parent:-X}\) is blocked in waitpid\(\)" ;;
    waitpid)
        echo "^pid ${role_parent:-X} waits in waitpid\(\) for its child pid ${role_sleeper:-X}, which never exits: pid ${role_sleeper:-X} waits in pause\(\) for a signal" ;;
    pidfd)
        echo "^pid ${role_parent:-X} waits for its child pid ${role_sleeper:-X}, which never exits: pid ${role_sleeper:-X} waits in pause\(\) for a signal" ;;
    thread)
        echo "^the reader \(thread ${role_reader:-X} of pid ${role_parent:-X}\) waits in read\(\) on $P \(fd 3\), but the write end is still open in its own process \(fd 4\): close it before reading" ;;
    stdin)
        echo "^pid ${role_parent:-X} waits in read\(\) on its standard input \($P\), whose write end is held by pid [0-9]+ \(scenario, its parent, outside the test, fd 4\): a test gets no input" ;;
    socketpair)
        echo "^the reader \(pid ${role_reader:-X}\) waits in read\(\) on socket:\[[0-9]+\] \(fd 4, a unix stream socket\), but its peer socket:\[[0-9]+\] is still open in its own process \(fd 3\): close it before reading" ;;
    *@ns) expected "${1%@ns}" ;;
    accept)
        echo "^pid ${role_server:-X} waits in accept\(\) on socket:\[[0-9]+\] \(fd 3, a unix stream socket bound to '[^']*/sock'\), and no other process of the test is in a position to connect to it" ;;
    esac
}

MODES="leak leak-parent leak-sibling leak-read twopipe readread fifo-read fifo-write sem privsem sysvsem msgrcv waitpid pidfd accept thread stdin socketpair"
# The same, with the test in its own IPC, network and mount namespaces (as in the
# grader's sandbox) and the explainer outside: needs root, for unshare and setns.
NS_MODES="sysvsem@ns msgrcv@ns sem@ns socketpair@ns accept@ns"
: >"$OUT/failures.log"
: >"$OUT/sentences.txt"

for mode in $MODES; do
    run "$mode"
    echo "$mode: $sentence" >>"$OUT/sentences.txt"
    if check "$mode" "$(expected "$mode")"; then
        pass "$mode: $sentence"
    else
        fail "$mode" "got '$sentence' (see build/test/hang/failures.log)"
    fi
done

if [ "$(id -u)" -eq 0 ] && unshare --ipc --net --mount true 2>/dev/null; then
    fails=0
    for mode in $NS_MODES; do
        ISOLATE_SAVED=("${ISOLATE[@]}")
        ISOLATE=()
        run "$mode"
        ISOLATE=("${ISOLATE_SAVED[@]}")
        if ! check "$mode" "$(expected "$mode")"; then
            fails=$((fails + 1))
            fail "$mode" "got '$sentence' (see build/test/hang/failures.log)"
        fi
    done
    [ "$fails" -eq 0 ] && pass "namespaces: SysV values, /dev/shm names and socket peers read across IPC, mount and network namespaces"
else
    skip "namespaces" "needs root and unshare"
fi

# Without /proc/PID/syscall (Yama ptrace_scope, another user) the explainer guesses the
# call from wchan and the fds; the sentences must still name the cause.
fallback() {
    case $1 in
    fifo-read | fifo-write)
        echo "^pid ${role_opener:-X} waits in open\(\) of a FIFO \(its parent \(pid ${role_parent:-X}\) is blocked in waitpid\(\)\): opening a FIFO for reading blocks until" ;;
    sem | privsem)
        echo "^pid ${role_parent:-X} waits in waitpid\(\) for its child pid ${role_waiter:-X}, which never exits: pid ${role_waiter:-X} waits on a futex \(sem_wait\(\), a mutex or a condition variable\), and no other process of the test is in a position to wake it" ;;
    sysvsem)
        echo "^pid ${role_waiter:-X} waits in semop\(\) on a SysV semaphore, and no other process of the test is in a position to post it" ;;
    msgrcv)
        echo "^pid ${role_receiver:-X} waits in msgrcv\(\) on a SysV message queue, which is empty, and no other process of the test is in a position to send to it" ;;
    pidfd) # poll()'s wchan is shared with select(): the pidfd is not knowable, its child is
        echo "^pid ${role_sleeper:-X} waits in pause\(\) for a signal, but it catches none.*its parent \(pid ${role_parent:-X}\) is blocked" ;;
    socketpair) # two sockets, neither listening: which one it reads is not knowable
        echo "which never exits: pid ${role_reader:-X} is blocked in the kernel \(unix_stream_read" ;;
    *) expected "$1" ;;
    esac
}
fails=0
for mode in $MODES; do
    IPCLAB_HANG_NO_SYSCALL=1 run "$mode"
    if ! check "$mode (no syscall file)" "$(fallback "$mode")"; then
        fails=$((fails + 1))
        fail "fallback $mode" "got '$sentence' (see build/test/hang/failures.log)"
    fi
done
[ "$fails" -eq 0 ] && pass "fallback: every scenario explained from wchan and fds alone"

# Stability: every scenario again, REPEAT times, several at once (each has its own
# directory, names and namespaces, and the explainer must not be confused by the
# others' pipes while it scans all of /proc); any miss is a failure.
stability_run() {
    run "$1"
    if check "$1" "$(expected "$1")"; then echo ok; else echo miss; fi
}
: >"$OUT/stability.txt"
parallel=$(($(nproc) * 2))
for ((i = 1; i < REPEAT; i++)); do
    for mode in $MODES; do
        stability_run "$mode" >>"$OUT/stability.txt" &
        while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n; done
    done
done
wait
runs=$(wc -l <"$OUT/stability.txt")
fails=$(grep -c miss "$OUT/stability.txt")
if [ "$REPEAT" -le 1 ]; then
    skip "stability" "HANG_REPEAT=$REPEAT"
elif [ "$fails" -eq 0 ] && [ "$runs" -gt 0 ]; then
    pass "stability: $runs more runs ($parallel at a time), every sentence as expected"
else
    fail "stability" "$fails of $runs runs gave another sentence (build/test/hang/failures.log)"
fi

# Memory: one scenario with the explainer under memcheck (the children run under it too).
if command -v valgrind >/dev/null; then
    dir=$(mktemp -d "$WORK/vg.XXXXXX")
    if timeout 120 "${ISOLATE[@]}" valgrind -q --error-exitcode=3 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --log-file="$OUT/valgrind.log" \
        "$OUT/scenario" leak-parent "$dir" >"$OUT/valgrind.out" 2>&1 &&
        ! grep -q 'ERROR SUMMARY: [1-9]' "$OUT/valgrind.log" &&
        grep -q '^sentence: the reader' "$OUT/valgrind.out"; then
        pass "valgrind: no memory errors or leaks in hang_explain"
    else
        fail "valgrind" "see build/test/hang/valgrind.log"
    fi
else
    skip "valgrind" "valgrind not installed"
fi

# The command: `ipclab why-hung PID` on a process that blocks opening a FIFO. Built on
# its own (cli/why_hung.c with a two-line main) so that it is tested even while other
# parts of the grader are mid-change; the registration is checked in main.c.
if ! grep -q '{"why-hung", cmd_why_hung,' "$ROOT/grader/cli/main.c"; then
    fail "command" "why-hung is not registered in grader/cli/main.c"
elif ! cc $CFLAGS -I"$ROOT/grader" -o "$OUT/why-hung" "$ROOT/tests/hang/cmd_main.c" \
    "$ROOT/grader/cli/why_hung.c" "$ROOT/grader/cli/help.c" "$ROOT/grader/base/err.c" "$ROOT"/grader/hang/*.c 2>"$OUT/cmd-build.log"; then
    fail "command" "build: $(head -3 "$OUT/cmd-build.log")"
else
    IPCLAB="$OUT/why-hung"
    mkfifo "$WORK/cmd.fifo"
    cat "$WORK/cmd.fifo" >/dev/null 2>&1 &
    pid=$!
    for ((i = 0; i < 2000; i++)); do # poll until it sleeps in open(); not a fixed delay
        read -r nr _ <"/proc/$pid/syscall" 2>/dev/null || nr=
        [ "$nr" = 257 ] || [ "$nr" = 2 ] && break
        sleep 0.005
    done
    brief=$("$IPCLAB" --brief "$pid" 2>&1)
    full=$("$IPCLAB" --tree "$pid" 2>&1)
    "$IPCLAB" nonsense >/dev/null 2>&1
    bad=$?
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if printf '%s\n' "$brief" | grep -Eq "^pid $pid waits in open\(\) of the FIFO '[^']*/cmd.fifo' for reading, and no process has it open for writing" &&
        [ "$(printf '%s\n' "$brief" | wc -l)" -eq 1 ] &&
        printf '%s\n' "$full" | grep -q "^pid $pid (cat), state S" && [ "$bad" -eq 2 ]; then
        pass "command: ipclab why-hung prints the sentence, then the details"
    else
        printf 'brief: %s\nfull: %s\nbad pid status: %s\n' "$brief" "$full" "$bad" >>"$OUT/failures.log"
        fail "command" "got '$brief' (see build/test/hang/failures.log)"
    fi
fi
test_done
