#!/usr/bin/env python3
"""mutants.py - how strong are a lab's tests? Single-site mutants of its reference solution.

Usage: scripts/mutants.sh LAB [--jobs N] [--only OP[,OP]] [--function F[,F]]
                              [--mutant ID]... [--list] [--memcheck] [--goal PCT]
                              [--solution DIR] [--keep]

Every mutant is the reference solution (solutions/NN-name/src) with ONE change
an honest student could make: a deleted cleanup or synchronisation call, a
flipped flag, an off-by-one, a dropped EINTR retry, a weakened memory order,
an error path that returns success. Each mutant is compiled as the course
compiles (one that does not compile is not counted), run through the lab's
tests in the fork runner (IPCLAB_FORK_RUNNER=1: each test a forked child with
its own Criterion timeout, as the grader runs them) in private IPC namespaces
(tests/lib/isolate.sh), and when every test passes, through the grader's own
deductions (`ipclab grade --no-valgrind`; valgrind too with --memcheck). A
failing test or a deduction kills the mutant; a mutant that passes both
survives: no test tells it from the reference.

One failure is enough to kill, so a mutant's tests run in two steps and stop
early: first the quick tests, then the slow ones (`ipclab manifest --perf` and
`--no-valgrind`: speed gates, load tests) only for a mutant that passed every
quick one; and each step's runner is stopped (its whole process group) at the
first test it reports failed, crashed or timed out. Exactly as strict as
running everything: a mutant survives only when every test of both steps
passed and the grader found no deduction; a killed mutant names the test that
killed it first (not every test it would fail). A killed mutant then costs its
build and its tests up to the first failure, and only a survivor of the quick
tests pays for the speed gates (lab 10: ~20 s of gates, which every one of its
349 mutants used to run). In a lab with speed gates, a mutant's gates and
the grader's native pass take the grader's class lock alone (class_lock.h,
IPCLAB_CLASS_LOCK); builds and quick steps share it, so several jobs never run
beside a gate.

A test the reference skips on this machine (it lacks what the test needs:
two CPUs, user namespaces) is left out for every mutant, in the tests and in
the grader's verdict; a test a mutant makes skip while the reference passed
it kills the mutant, as the grader gives a skipped test no points.

A survivor that no test CAN tell apart (an equivalent mutant) is marked in the
lab's lab.ini, `[mutants]` section, one line each: `ID = reason`. Marked
mutants are not run and not counted; a mark that matches no mutant is stale.

IDs are derived from the file, the function and the mutated text (never the
line number), so they survive edits elsewhere in the file; the same tree gives
the same mutants, ids and order.

Output: one line per mutant as it finishes, killed/total per operator, the
kill rate, each survivor as a unified diff with its file:line and id, the
equivalent mutants and any stale mark. Exit status: 0 when the kill rate
reaches the goal (90 %) and no mark is stale, 1 otherwise, 2 when it could not measure (usage, the
reference does not pass, an error running a mutant).
"""
import argparse
import bisect
import concurrent.futures
import contextlib
import difflib
import fcntl
import hashlib
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IPCLAB = os.path.join(ROOT, "build", "ipclab")
ISOLATE = os.path.join(ROOT, "tests", "lib", "isolate.sh")
GOAL = 90.0

# --- reading C ---------------------------------------------------------------


def mask(text):
    """text with comments, string and character literals and preprocessor lines
    blanked (same length, newlines kept): the mutation patterns see only code."""
    out = list(text)
    i, n = 0, len(text)
    line_start = True

    def blank(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if line_start and c == "#":
            j = i
            while j < n and (text[j] != "\n" or text[j - 1] == "\\"):
                j += 1
            blank(i, j)
            i = j
            continue
        if c == "\n":
            line_start = True
            i += 1
            continue
        if not c.isspace():
            line_start = False
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            blank(i, j)
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            blank(i + 1, j)  # keep the quotes: "" still parses as a literal
            i = j + 1
        else:
            i += 1
    return "".join(out)


def functions(code):
    """[(start, end, name)] of the function bodies in masked code."""
    found = []
    depth = 0
    last_end = 0  # end of the previous top-level declaration
    start = None
    for i, c in enumerate(code):
        if c == "{":
            if depth == 0:
                head = code[last_end:i]
                m = re.search(r"(\w+)\s*\([^;{}]*\)\s*$", head)
                start = i if m else None
                name = m.group(1) if m else None
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                if start is not None:
                    found.append((start, i + 1, name))
                last_end = i + 1
        elif c == ";" and depth == 0:
            last_end = i + 1
    return found


def close_paren(code, i):
    """Index just past the parenthesis that closes the one at code[i], or -1."""
    depth = 0
    for j in range(i, len(code)):
        if code[j] == "(":
            depth += 1
        elif code[j] == ")":
            depth -= 1
            if depth == 0:
                return j + 1
    return -1


# --- the operators -----------------------------------------------------------

# Cleanup, reaping and synchronisation calls, and the solution's own helpers
# named like them (close_all, waitpid_retry, reap_children ...).
CALLS = (
    "close|waitpid|waitid|wait|msgctl|shmctl|semctl|shm_unlink|mq_unlink|sem_unlink|unlink|"
    "munmap|shmdt|free|fflush|fclose|sem_post|sem_wait|sem_close|sem_destroy|mq_close|"
    "pthread_mutex_unlock|pthread_mutex_lock|pthread_cond_signal|pthread_cond_broadcast|"
    "pthread_join|sigaction|sigprocmask|pthread_sigmask|msync|fsync|shutdown|dup2|kill|"
    "atomic_store_explicit|atomic_store|atomic_thread_fence|freeaddrinfo|closedir|flock|"
    "semop|fcntl|ftruncate"
)
HELPER = r"\w*(?:close|unlink|wait|reap|free|unlock|post|cleanup|release)\w*"
CALL_RX = re.compile(r"\b(" + CALLS + r"|" + HELPER + r")\s*\(")
# Flags whose absence changes behaviour: each is replaced by 0.
FLAGS = (
    "IPC_NOWAIT O_NONBLOCK SOCK_NONBLOCK MSG_DONTWAIT SEM_UNDO MSG_NOERROR MSG_EXCEPT "
    "SA_RESTART SA_SIGINFO SA_NOCLDSTOP O_CLOEXEC SOCK_CLOEXEC MSG_NOSIGNAL MSG_WAITALL "
    "IPC_EXCL IPC_CREAT O_EXCL O_CREAT O_TRUNC O_APPEND WNOHANG WUNTRACED WCONTINUED "
    "SO_REUSEADDR"
).split()
FLAG_RX = re.compile(r"\b(" + "|".join(FLAGS) + r")\b")
# Constants with a near neighbour that is wrong here.
SWAPS = {
    "MAP_SHARED": "MAP_PRIVATE",
    "MS_SYNC": "MS_ASYNC",
    "F_SETLKW": "F_SETLK",
    "F_WRLCK": "F_RDLCK",
    "LOCK_EX": "LOCK_SH",
    "SHUT_WR": "SHUT_RDWR",
    "SIG_BLOCK": "SIG_SETMASK",
    "PIPE_BUF": "(PIPE_BUF + 1)",
}
SWAP_RX = re.compile(r"\b(" + "|".join(SWAPS) + r")\b")
ORDERS_RX = re.compile(r"\bmemory_order_(acquire|release|acq_rel|seq_cst|consume)\b")
REL_RX = re.compile(r"(?<![<>=!-])(<=|>=|<|>)(?![<>=])")
REL_SWAP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
PLUS1_RX = re.compile(r"(?<=[\w)\]])(\s*[+-]\s*1)(?![\w.])")
SIZEOF_RX = re.compile(r"\bsizeof\s*(\((?:[^()]|\([^()]*\))*\)|[\w.>*\[\]-]+)")
EINTR_RX = re.compile(r"\b[\w.>-]+\s*(==|!=)\s*EINTR\b")
ERRRET_RX = re.compile(r"\breturn\s+-1\s*;")
INDEX_RX = re.compile(r"\[\s*([01])\s*\]")

OPERATORS = {
    "delete-call": "a cleanup, reaping or synchronisation call deleted (or skipped as if it succeeded)",
    "flip-flag": "a flag (O_NONBLOCK, IPC_NOWAIT, SA_RESTART, WNOHANG ...) replaced by 0",
    "swap-constant": "a constant swapped for its wrong neighbour (MAP_SHARED -> MAP_PRIVATE ...)",
    "index": "[0] and [1] swapped (pipe ends, socket pairs)",
    "off-by-one": "a comparison moved by one (< <-> <=, > <-> >=)",
    "size": "a size moved by one (+ 1 / - 1 dropped, sizeof x -> sizeof x - 1)",
    "eintr": "an EINTR retry dropped (errno == EINTR -> 0)",
    "memory-order": "an acquire/release/seq_cst ordering weakened to relaxed",
    "error-success": "an error path returning success (return -1 -> return 0)",
}


def sites(code):
    """(start, end, replacement, operator) for every mutation site in masked code."""
    for m in CALL_RX.finditer(code):
        open_at = m.end() - 1
        end = close_paren(code, open_at)
        if end < 0:
            continue
        start = m.start()
        cast = re.search(r"\(\s*void\s*\)\s*$", code[:start])
        before = code[: cast.start() if cast else start].rstrip()
        after = code[end:].lstrip()
        if after.startswith(";") and (before[-1:] in (";", "{", "}", ")", ":") or
                                      re.search(r"\b(else|do)$", before)):
            semi = code.index(";", end) + 1
            yield (cast.start() if cast else start), semi, "(void)0;", "delete-call"
        elif re.match(r"(<\s*0|==\s*-1|!=\s*0)\b", after):
            yield start, end, "0", "delete-call"
    for m in FLAG_RX.finditer(code):
        yield m.start(), m.end(), "0", "flip-flag"
    for m in SWAP_RX.finditer(code):
        yield m.start(), m.end(), SWAPS[m.group(1)], "swap-constant"
    for m in INDEX_RX.finditer(code):
        yield m.start(), m.end(), "[%d]" % (1 - int(m.group(1))), "index"
    for m in REL_RX.finditer(code):
        yield m.start(), m.end(), REL_SWAP[m.group(1)], "off-by-one"
    for m in PLUS1_RX.finditer(code):
        if not re.search(r"\b(return|case)$", code[: m.start()]):  # binary only: not return -1
            yield m.start(), m.end(), "", "size"
    for m in SIZEOF_RX.finditer(code):
        yield m.start(), m.end(), "(" + m.group(0) + " - 1)", "size"
    for m in EINTR_RX.finditer(code):
        yield m.start(), m.end(), "0" if m.group(1) == "==" else "1", "eintr"
    for m in ORDERS_RX.finditer(code):
        yield m.start(), m.end(), "memory_order_relaxed", "memory-order"
    for m in ERRRET_RX.finditer(code):
        yield m.start(), m.end(), "return 0;", "error-success"


class Mutant:
    """One single-site change of one student file."""

    def __init__(self, file, text, start, end, rep, op, func):
        self.file, self.op, self.func = file, op, func
        self.orig = text[start:end]
        self.rep = rep
        self.start = start
        self.line = text.count("\n", 0, start) + 1
        self.text = text[:start] + rep + text[end:]
        ls = text.rfind("\n", 0, start) + 1
        le = text.find("\n", end)
        le = len(text) if le < 0 else le
        # The id's "mutated text": the site's own lines, whitespace folded, site marked.
        self.context = " ".join((text[ls:start] + "\x01" + self.orig + "\x02" + rep + "\x03" +
                                 text[end:le]).split())
        self.id = None  # set by generate(): needs the other mutants (duplicates)
        self.status, self.why = None, ""

    def describe(self):
        shown = " ".join(self.orig.split())
        if len(shown) > 50:
            shown = shown[:47] + "..."
        return "%s -> %s" % (shown, self.rep or "(nothing)")

    def diff(self, original):
        return "".join(difflib.unified_diff(original.splitlines(True), self.text.splitlines(True),
                                            "a/" + self.file, "b/" + self.file, n=2))


def generate(srcdir, files):
    """Every mutant of the student files, in a stable order with stable ids."""
    result = []
    for f in files:
        with open(os.path.join(srcdir, f)) as fh:
            text = fh.read()
        code = mask(text)
        funcs = functions(code)
        starts = [s for s, _, _ in funcs]
        seen = set()
        mine = []
        for start, end, rep, op in sites(code):
            k = bisect.bisect_right(starts, start) - 1
            if k < 0 or not funcs[k][0] < start < funcs[k][1]:
                continue  # file scope: initialisers, declarations
            if (start, end, rep) in seen:
                continue
            seen.add((start, end, rep))
            mine.append(Mutant(f, text, start, end, rep, op, funcs[k][2]))
        mine.sort(key=lambda m: (m.start, list(OPERATORS).index(m.op), m.rep))
        count = {}
        for m in mine:
            key = (m.file, m.func, m.op, m.context)
            count[key] = count.get(key, 0) + 1
            digest = hashlib.sha1("\0".join(key + (str(count[key]),)).encode()).hexdigest()[:8]
            m.id = "%s/%s/%s/%s" % (m.file, m.func, m.op, digest)
        result += mine
    return result


# --- running -----------------------------------------------------------------


def run(cmd, timeout, env=None, cwd=None, log=None):
    """Run cmd in its own session; kill the whole group at the timeout. Exit status or None."""
    out = open(log, "w") if log else subprocess.DEVNULL
    try:
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                             start_new_session=True)
        try:
            return p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            p.wait()
            return None
    finally:
        if log:
            out.close()


# A line the fork runner prints when a test has not passed: "[FAIL] suite::name (0.01s)".
NOT_PASSED_RX = re.compile(r"^\[(FAIL|CRASH|TIMEOUT)\] (\S+?)::(\S+) \(")


def kill_group(pid):
    """SIGKILL the process group pid leads, if anything is left of it."""
    try:
        os.killpg(pid, 9)
    except ProcessLookupError:
        pass


def run_until_failure(cmd, timeout, env, log, cwd):
    """Run the test runner cmd in its own session in the folder cwd (what a mutant
    leaves there, a socket bound to a relative path say, stays out of the
    checkout), its output copied to log, and stop
    it (the whole group) at the first test it reports as not passed: one failure
    kills a mutant, and the tests after it cannot change that. Returns (exit status,
    or None when killed at the timeout; the first failure as "suite/name (status)",
    or None). A process the tests leaked that still holds the output does not keep
    this waiting: once the runner has ended, what is left to read is read, no more."""
    with open(log, "wb") as out:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                             cwd=cwd, start_new_session=True)
        fd = p.stdout.fileno()
        deadline = time.monotonic() + timeout
        pending, first, rc = b"", None, None
        try:
            while True:
                ended = p.poll() is not None
                ready, _, _ = select.select([fd], [], [], 0 if ended else 0.2)
                chunk = os.read(fd, 65536) if ready else b""
                out.write(chunk)
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    m = NOT_PASSED_RX.match(line.decode(errors="replace"))
                    if m and first is None:
                        first = "%s/%s (%s)" % (m.group(2), m.group(3), {
                            "FAIL": "failed", "CRASH": "crashed", "TIMEOUT": "timeout"}[m.group(1)])
                if first is not None:
                    kill_group(p.pid)
                    break
                if (ended and not chunk) or (ready and not chunk):
                    break
                if time.monotonic() > deadline:
                    kill_group(p.pid)
                    p.wait()
                    return None, None
        finally:
            p.stdout.close()
            rc = p.wait()
        return rc, first


def alternatives(names):
    """An extended glob (fnmatch FNM_EXTMATCH, as the fork runner's --filter) of exactly names."""
    return "(" + "|".join(re.sub(r"([][*?()|!@+\\])", r"\\\1", n) for n in names) + ")"


class Lab:
    """The lab under test and how to build, test and grade a copy of its student files."""

    def __init__(self, lab_dir, solution, work, memcheck):
        self.dir, self.solution, self.work, self.memcheck = lab_dir, solution, work, memcheck
        self.slug = os.path.basename(lab_dir)
        self.files = self.manifest("--student-files").split()
        self.timeouts = {}
        for line in self.manifest("--timeout").splitlines():
            name, secs = line.rsplit(" ", 1)
            self.timeouts[name] = float(secs)
        self.marks = {}
        for line in self.manifest("--mutants").splitlines():
            mid, _, reason = line.partition("\t")
            self.marks[mid] = reason
        self.base = os.path.join(work, "base")
        self.ref_skipped = set()  # tests the reference skips here: left out for every mutant
        # Two steps: the quick tests first, then the slow ones (speed gates, the tests
        # valgrind would not run) only for a mutant that passed every quick one.
        slow = set(self.manifest("--perf").split()) | set(self.manifest("--no-valgrind").split())
        order = list(self.timeouts)
        self.steps = [step for step in ([n for n in order if n not in slow],
                                        [n for n in order if n in slow]) if step]
        # Speed gates measure every CPU: in a lab with them, a mutant's gates (and
        # the grader's native pass, class_lock.h) run alone, all else shares.
        self.perf = set(self.manifest("--perf").split())
        self.lock = os.path.join(work, "class.lock") if self.perf else None

    def manifest(self, what):
        r = subprocess.run([IPCLAB, "manifest", what, self.dir], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("mutants: %s: %s" % (self.dir, r.stderr.strip()))
        return r.stdout

    def env(self, d):
        e = dict(os.environ, TMPDIR=os.path.join(d, "tmp"), IPCLAB=IPCLAB)
        if self.lock:
            e["IPCLAB_CLASS_LOCK"] = self.lock  # the grader's gates alone too
        os.makedirs(e["TMPDIR"], exist_ok=True)
        return e

    def build(self, d, src):
        """Build the test binary from src into d/build (tests and support reused). True if it built."""
        b = os.path.join(d, "build")
        if os.path.isdir(self.base) and d != self.base:
            os.makedirs(b, exist_ok=True)
            for part in ("tests", "support"):
                subprocess.run(["cp", "-pr", os.path.join(self.base, "build", part), b], check=True)
        with self.locked(alone=False):
            return run(["make", "-s", "-C", self.dir, "all", "WERROR=1", "SRC_DIR=" + src,
                        "BUILD_DIR=" + b], 600, env=self.env(d), log=os.path.join(d, "build.log")) == 0

    @contextlib.contextmanager
    def locked(self, alone):
        """Hold the lab's class lock (the grader's, class_lock.c: a turnstile, then a
        shared or exclusive flock) while the body runs; nothing in a lab without gates."""
        if not self.lock:
            yield
            return
        with open(self.lock + ".turnstile", "a") as gate, open(self.lock, "a") as fh:
            fcntl.flock(gate, fcntl.LOCK_EX)
            fcntl.flock(fh, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
            fcntl.flock(gate, fcntl.LOCK_UN)
            yield

    def test(self, d, names):
        """Run the tests names (a step of the run) in the fork runner, stopped at the
        first that does not pass: (names of the tests that did not pass, or a reason)."""
        results = os.path.join(d, "results.json")
        if os.path.exists(results):
            os.unlink(results)
        env = self.env(d)
        env.update(IPCLAB_FORK_RUNNER="1", IPCLAB_RESULTS_FILE=results)
        env.pop("IPCLAB_RESULTS_FD", None)
        budget = sum(self.timeouts[n] for n in names) + 60  # the runner enforces each test's own
        cmd = [ISOLATE, os.path.join(d, "build", "run-tests")]
        if set(names) != set(self.timeouts):
            cmd.append("--filter=@" + alternatives(names))
        cwd = os.path.join(d, "cwd")
        shutil.rmtree(cwd, ignore_errors=True)
        os.makedirs(cwd)
        with self.locked(alone=bool(self.perf & set(names))):
            rc, first = run_until_failure(cmd, budget, env, os.path.join(d, "tests.log"), cwd)
        if first:
            return [first]
        try:
            with open(results) as fh:
                tests = json.load(fh)["tests"]
        except (OSError, ValueError, KeyError):
            return ["the test run ended without results (%s)" %
                    ("killed after %g s" % budget if rc is None else "exit status %s" % rc)]
        if d == self.base:  # the reference: what it skips, this machine cannot test
            self.ref_skipped |= {t["name"] for t in tests if t["status"] == "skipped"}
        failed = ["%s (%s)" % (t["name"], t["status"]) for t in tests
                  if t["status"] != "passed" and not (t["status"] == "skipped" and
                                                      t["name"] in self.ref_skipped)]
        ran = {t["name"] for t in tests}
        if not failed and ran != set(names):
            failed = ["the test runner ran %d of the %d tests of this step" % (len(ran & set(names)),
                                                                               len(names))]
        if not failed and rc != 0:
            failed = ["the test runner exited with status %s" % rc]
        return failed

    def grade(self, d, src):
        """The grader's verdict: (None, reasons) when it deducted, or (rc, []) for 0 or 2."""
        rep = os.path.join(d, "report.json")
        cmd = [IPCLAB, "grade", "--lab", self.dir, "--submission", src, "-q", "--jobs", "1",
               "--report-json", rep]
        if not self.memcheck:
            cmd.append("--no-valgrind")
        rc = run(cmd, 4 * sum(self.timeouts.values()) + 300, env=self.env(d),
                 log=os.path.join(d, "grade.log"))
        if rc != 1:
            return rc, []
        why = []
        try:
            with open(rep) as fh:
                r = json.load(fh)
            why += ["%s (%s)" % (t["name"], t["verdict"]) for t in r.get("tests", [])
                    if t.get("verdict") != "passed" and
                    not (t.get("verdict") == "skipped" and t["name"] in self.ref_skipped)]
            why += ["deduction: %s%s" % (x.get("title", x.get("category")),
                                         " in " + x["test"] if x.get("test") else "")
                    for x in r.get("deductions", [])]
        except (OSError, ValueError):
            return None, ["the grader gave less than full marks (no readable report)"]
        if not why and all(t.get("verdict") in ("passed", "skipped") for t in r.get("tests", [])):
            return 0, []  # only the reference's own skips cost points
        return None, why or ["the grader gave less than full marks"]

    def check(self, d, src):
        """Run src (a directory of student files) like a mutant: ('killed'|'survived'|..., why)."""
        if not self.build(d, src):
            return "no-build", first_error(os.path.join(d, "build.log"))
        for names in self.steps:
            failed = self.test(d, names)
            if failed:
                return "killed", "tests: " + ", ".join(failed[:3]) + (" ..." if len(failed) > 3 else "")
        rc, why = self.grade(d, src)
        if rc is None:
            return "killed", "grader: " + ", ".join(why[:3])
        if rc != 0:
            return "error", "the grader could not grade it (exit status %s, log %s)" % (
                rc, os.path.join(d, "grade.log"))
        return "survived", ""


def first_error(log):
    try:
        with open(log) as fh:
            for line in fh:
                if "error" in line:
                    return line.strip()[:160]
    except OSError:
        pass
    return "does not compile"


def resolve_lab(spec):
    """LAB (01, 1, 01-pipes or a lab directory) -> the lab directory."""
    if os.path.isdir(spec) and os.path.isfile(os.path.join(spec, "lab.ini")):
        return os.path.abspath(spec)
    labs = os.path.join(ROOT, "labs")
    want = spec.zfill(2) if spec.isdigit() else spec
    for d in sorted(os.listdir(labs)):
        if d == want or d.startswith(want + "-"):
            return os.path.join(labs, d)
    sys.exit("mutants: no lab '%s' under labs/" % spec)


def main():
    ap = argparse.ArgumentParser(
        prog="scripts/mutants.sh", description="Mutation check of a lab's tests (see the header).")
    ap.add_argument("lab", help="01, 01-pipes or a lab directory")
    ap.add_argument("--jobs", type=int, help="mutants at a time (default: the CPUs; speed gates run alone all the same)")
    ap.add_argument("--only", default="", help="operators, comma-separated (" + ", ".join(OPERATORS) + ")")
    ap.add_argument("--function", default="", help="only mutants in these functions (comma-separated)")
    ap.add_argument("--mutant", action="append", default=[], metavar="ID", help="only this mutant (repeatable)")
    ap.add_argument("--list", action="store_true", help="list the mutants and their ids, run nothing")
    ap.add_argument("--memcheck", action="store_true", help="the grader's valgrind pass counts too (slow)")
    ap.add_argument("--goal", type=float, default=GOAL, help="kill rate to reach, in percent (default: %(default)g)")
    ap.add_argument("--solution", help="the reference's student files (default solutions/NN-name/src)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (its path is printed)")
    a = ap.parse_args()

    only = [o for o in a.only.split(",") if o]
    for o in only:
        if o not in OPERATORS:
            ap.error("unknown operator '%s' (known: %s)" % (o, ", ".join(OPERATORS)))
    os.environ["IPCLAB"] = IPCLAB  # lab.mk and `make timeouts` read the manifest with it
    lab_dir = resolve_lab(a.lab)
    solution = os.path.abspath(a.solution or os.path.join(ROOT, "solutions", os.path.basename(lab_dir), "src"))
    work = tempfile.mkdtemp(prefix="ipclab-mutants.")
    os.chmod(work, 0o755)  # the grader's sandbox user reads the mutants' files
    lab = Lab(lab_dir, solution, work, a.memcheck)

    everything = generate(solution, lab.files)
    chosen = [m for m in everything
              if (not only or m.op in only) and (not a.function or m.func in a.function.split(","))
              and (not a.mutant or m.id in a.mutant)]
    unknown = set(a.mutant) - {m.id for m in everything}
    if unknown:
        sys.exit("mutants: no mutant %s in %s" % (", ".join(sorted(unknown)), solution))
    ids = {m.id for m in everything}
    stale = sorted(i for i in lab.marks if i not in ids)
    if a.list:
        for m in chosen:
            mark = "  (equivalent: %s)" % lab.marks[m.id] if m.id in lab.marks else ""
            print("%s:%d  %-13s %-40s %s%s" % (m.file, m.line, m.op, m.describe(), m.id, mark))
        print("%d mutants" % len(chosen))
        shutil.rmtree(work, ignore_errors=True)
        return 0

    if a.jobs is None:
        # Speed gates run alone whatever the jobs (Lab.locked), the rest side by side.
        a.jobs = len(os.sched_getaffinity(0))
    todo = [m for m in chosen if m.id not in lab.marks]
    print("mutants: %s, %d mutants of %s (%d marked equivalent), %d jobs%s" % (
        lab.slug, len(chosen), os.path.relpath(solution, ROOT), len(chosen) - len(todo), a.jobs,
        ", grader with valgrind" if a.memcheck else ""), flush=True)
    # The reference itself must pass everything, or no verdict means anything.
    status, why = lab.check(lab.base, solution) if todo else ("survived", "")
    if status != "survived":
        print("mutants: the reference solution does not pass cleanly (%s: %s); work in %s" %
              (status, why, work), file=sys.stderr)
        return 2

    originals = {}
    for f in lab.files:
        with open(os.path.join(solution, f)) as fh:
            originals[f] = fh.read()
    for m in chosen:
        if m.id in lab.marks:
            m.status, m.why = "equivalent", lab.marks[m.id]
    lock = threading.Lock()
    done = [0]

    def one(n, m):
        d = os.path.join(work, "m%04d" % n)
        src = os.path.join(d, "src")
        os.makedirs(src)
        for f in lab.files:
            shutil.copy2(os.path.join(solution, f), src)
        with open(os.path.join(src, m.file), "w") as fh:
            fh.write(m.text)
        m.status, m.why = lab.check(d, src)
        with lock:
            done[0] += 1
            print("[%*d/%d] %-9s %s:%d %s: %s%s" % (
                len(str(len(todo))), done[0], len(todo), m.status, m.file, m.line, m.op, m.describe(),
                "  (" + m.why + ")" if m.why and m.status != "survived" else ""), flush=True)
        if not a.keep:
            shutil.rmtree(d, ignore_errors=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        for f in [pool.submit(one, n, m) for n, m in enumerate(todo)]:
            f.result()

    print("\n%-14s killed/total" % "operator")
    for op in OPERATORS:
        ms = [m for m in chosen if m.op == op and m.status in ("killed", "survived")]
        if ms:
            print("%-14s %d/%d" % (op, sum(m.status == "killed" for m in ms), len(ms)))
    counted = [m for m in chosen if m.status in ("killed", "survived")]
    killed = sum(m.status == "killed" for m in counted)
    rate = 100.0 * killed / len(counted) if counted else 100.0
    by = {s: [m for m in chosen if m.status == s] for s in ("survived", "equivalent", "no-build", "error")}
    print("\nkill rate: %d/%d = %.1f%% (goal %g%%); %d equivalent, %d do not compile (not counted)%s" % (
        killed, len(counted), rate, a.goal, len(by["equivalent"]), len(by["no-build"]),
        ", %d errors" % len(by["error"]) if by["error"] else ""))
    if by["survived"]:
        print("\nsurvivors (%d): no test and no deduction tells them from the reference" % len(by["survived"]))
        for m in by["survived"]:
            print("\n%s:%d %s in %s()  id %s" % (m.file, m.line, m.op, m.func, m.id))
            print(m.diff(originals[m.file]), end="")
    if by["equivalent"]:
        print("\nequivalent (%d, marked in %s [mutants]):" % (len(by["equivalent"]),
                                                              os.path.relpath(lab.dir, ROOT) + "/lab.ini"))
        for m in by["equivalent"]:
            print("  %s:%d %s  %s: %s" % (m.file, m.line, m.describe(), m.id, m.why))
    if by["error"]:
        print("\nerrors (%d):" % len(by["error"]))
        for m in by["error"]:
            print("  %s:%d %s  %s: %s" % (m.file, m.line, m.describe(), m.id, m.why))
    if stale:
        print("\nstale marks (%d): lab.ini [mutants] names mutants that no longer exist:" % len(stale))
        for i in stale:
            print("  %s = %s" % (i, lab.marks[i]))
    if a.keep:
        print("\nwork directory kept: %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    if by["error"]:
        return 2
    return 0 if rate >= a.goal and not stale else 1


if __name__ == "__main__":
    sys.exit(main())
