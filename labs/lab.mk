# lab.mk - shared build and test rules for every lab.
#
# A lab's Makefile sets its tests and includes this file:
#   TEST_SRCS    = test_pipes.c       (Criterion tests, in tests/)
#   TOOLS        = table              (optional: programs in tools/, see below)
#   include ../lab.mk
# The files the student edits (in src/) are lab.ini's student_files, read by
# the course's own manifest parser (`ipclab manifest --student-files`), built
# first if it is missing. The flags come from ../support/cflags, the valgrind
# options from ../support/valgrind.args: each is written once for the course.
#
# Variables a caller may override:
#   SRC_DIR    where the student files are read from (default: src/)
#   STUDENT_SRCS  the student files (default: lab.ini's student_files)
#   IPCLAB     the ipclab command that reads lab.ini (default: see below)
#   BUILD_DIR  where objects and the test binary go (default: build/)
#   WERROR=1   turn warnings into errors (CI and the grader set it)
#   SAN=1      build with AddressSanitizer and UBSan (not for valgrind)
#   SHIM=0     link the student's objects without the shim (for measurements)
#   SHIM=idle  link them through the shim, but never put a plan in force: the
#              shim's bare cost (bench/shim-cost.sh; never for grading)
#   VG_RUNNERS=N  `make valgrind` shares the tests among N runners (default:
#              one a CPU)
#
# Targets: all (the test binary), check (run the tests, in private IPC
# namespaces where possible), valgrind (run them
# under memcheck, one log per process in $(BUILD_DIR)/vg/), list, timeouts
# (every test's effective timeout, "suite/test SECONDS": the one source the
# grader's watchdogs follow, see support/timeouts.c), clean, flags (print the
# compiler's flags, for compile_commands.json).
# Each name in TOOLS is a provided program tools/NAME.c, linked with the
# student's files: `make NAME` builds and runs it (TOOL_FLAGS="..." are its
# arguments), for example lab 10's `make table`.

LAB_DIR   := $(abspath $(dir $(firstword $(MAKEFILE_LIST))))
SUPPORT   := $(abspath $(LAB_DIR)/../support)
SRC_DIR   ?= $(LAB_DIR)/src
BUILD_DIR ?= $(LAB_DIR)/build

# The student files, from lab.ini (a caller may still pass STUDENT_SRCS="...").
# The parser is the course's ipclab: $(IPCLAB), else the course root's
# build/ipclab (IPCLAB_ROOT, as the grader sets it, or this lab's ../..),
# built there first when missing, else `ipclab` on the PATH.
COURSE_ROOT := $(or $(IPCLAB_ROOT),$(abspath $(LAB_DIR)/../..))
NEEDS_FILES := $(filter-out clean flags,$(or $(MAKECMDGOALS),all))
# ($(if) expands only the branch it takes: nothing is built when ipclab exists;
# and IPCLAB is expanded only where it is used.)
IPCLAB ?= $(if $(wildcard $(COURSE_ROOT)/build/ipclab),$(COURSE_ROOT)/build/ipclab,$(shell \
            if [ -f $(COURSE_ROOT)/grader/Makefile ] && \
               MAKEFLAGS= $(MAKE) -s -C $(COURSE_ROOT)/grader >&2; then echo $(COURSE_ROOT)/build/ipclab; \
            else command -v ipclab; fi))
ifeq ($(origin STUDENT_SRCS),undefined)
ifneq ($(NEEDS_FILES),)
STUDENT_SRCS := $(if $(IPCLAB),$(shell $(IPCLAB) manifest --student-files $(LAB_DIR)))
ifeq ($(strip $(STUDENT_SRCS)),)
$(error cannot read student_files from $(LAB_DIR)/lab.ini: fix the manifest error printed \
above, or if there is none, build the course's ipclab command first (`make` at the course \
root); IPCLAB=$(or $(IPCLAB),not found))
endif
endif
endif

# Every file a rule makes is written as $@.part and renamed once complete: a
# build killed midway (SIGKILL, a crash, a power cut) leaves no half-written
# object or program for the next make to take as up to date (a truncated
# NAME.s failed every later build with "open CFI at the end of file" until
# `make clean`). A recipe that fails leaves nothing either (.DELETE_ON_ERROR).
.DELETE_ON_ERROR:

CC      ?= cc
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
COURSE_CFLAGS := $(shell grep -v '^\#' $(SUPPORT)/cflags)
CFLAGS  := $(COURSE_CFLAGS) -g -O1 -pthread -I$(LAB_DIR)/include -I$(SUPPORT) \
           $(if $(filter 1,$(WERROR)),-Werror) \
           $(if $(filter 1,$(SAN)),$(SANFLAGS))
WRAPS   := -Wl,--wrap=criterion_internal_test_setup \
           -Wl,--wrap=criterion_internal_test_main \
           -Wl,--wrap=criterion_internal_test_teardown \
           -Wl,--wrap=criterion_send_assert \
           -Wl,--wrap=criterion_skip_test
LDLIBS  := -lcriterion -ljansson -lrt -lm -ldl -pthread \
           $(if $(filter 1,$(SAN)),$(SANFLAGS))

SUPPORT_SRCS := support.c probe.c results.c lazy_libgit2.c forkrun.c runners.c shim.c \
                shim_heap.c shim_locks.c tmpdirs.c
STUDENT_OBJS := $(addprefix $(BUILD_DIR)/student/,$(STUDENT_SRCS:.c=.o))
SHIMMED_OBJS := $(addprefix $(BUILD_DIR)/shimmed/,$(STUDENT_SRCS:.c=.o))
TEST_OBJS    := $(addprefix $(BUILD_DIR)/tests/,$(TEST_SRCS:.c=.o) call_rules.o)
SUPPORT_OBJS := $(addprefix $(BUILD_DIR)/support/,$(SUPPORT_SRCS:.c=.o))
TEST_BIN     := $(BUILD_DIR)/run-tests
HEADERS      := $(wildcard $(LAB_DIR)/include/*.h $(SUPPORT)/*.h)

# Test runner options: CRITERION_FLAGS="--filter=pipe/*" narrows a run.
CRITERION_FLAGS ?=
# (valgrind.args: lines starting with -- are options, NAME=value lines the
# environment of the tests)
VG_LINES := $(shell grep -v -E '^[[:space:]]*(\#|$$)' $(SUPPORT)/valgrind.args)
VALGRIND := env $(foreach v,$(filter-out --%,$(VG_LINES)),'$(v)') \
            valgrind $(foreach a,$(filter --%,$(VG_LINES)),'$(a)') \
            --suppressions=$(SUPPORT)/valgrind.supp --log-file=$(BUILD_DIR)/vg/%p.log

.PHONY: all check valgrind list timeouts clean flags $(TOOLS)
all: $(TEST_BIN)

TOOL_FLAGS ?=
$(TOOLS): %: $(BUILD_DIR)/tools/%
	$(BUILD_DIR)/tools/$@ $(TOOL_FLAGS)

$(BUILD_DIR)/tools/%: $(LAB_DIR)/tools/%.c $(STUDENT_OBJS) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@.part $< $(STUDENT_OBJS) -lrt -lm -pthread && mv -f $@.part $@

# SHIM=0 links the original objects instead (bench/shim-cost.sh measures the
# difference; the tests that inject faults or check calls then prove nothing).
$(TEST_BIN): $(if $(filter 0,$(SHIM)),$(STUDENT_OBJS),$(SHIMMED_OBJS)) $(TEST_OBJS) $(SUPPORT_OBJS)
	$(CC) $(CFLAGS) $(WRAPS) -o $@.part $^ $(LDLIBS) && mv -f $@.part $@

# The shim (support/shim.c, ipclab_shim.h): the test binary links a copy of
# each student object whose calls to the functions shim.c wraps are renamed
# (write -> ipclab_shim_write), so a test's fault plan and call log see the
# student's calls, and only theirs (tests, Criterion and support code call
# libc directly). The map is read from shim.o: every ipclab_shim_NAME it
# defines renames NAME. build/student/NAME.o keeps the original names: the
# grader's audit reads it, and the TOOLS link it.
SHIM_MAP := $(BUILD_DIR)/support/shim.map
$(SHIM_MAP): $(BUILD_DIR)/support/shim.o
	nm --defined-only $< > $@.nm
	sed -n 's/^[0-9a-f]* T ipclab_shim_\(.*\)$$/\1 ipclab_shim_\1/p' $@.nm > $@.part
	rm -f $@.nm && mv -f $@.part $@

$(BUILD_DIR)/shimmed/%.o: $(BUILD_DIR)/student/%.o $(SHIM_MAP)
	@mkdir -p $(@D)
	objcopy --redefine-syms=$(SHIM_MAP) $< $@.part && mv -f $@.part $@

# The timeout lister: the tests and support code without the student's
# files, whose symbols stay unresolved (it never calls a test, so no student
# code runs to decide a timeout). A position-dependent executable, because
# the dynamic loader refuses a PIE's unresolved calls.
TIMEOUTS_BIN := $(BUILD_DIR)/list-timeouts
$(TIMEOUTS_BIN): $(BUILD_DIR)/support/timeouts.o $(TEST_OBJS) $(BUILD_DIR)/support/support.o \
                 $(BUILD_DIR)/support/tmpdirs.o
	$(CC) $(CFLAGS) -no-pie -Wl,--unresolved-symbols=ignore-all -o $@.part $^ -pthread
	mv -f $@.part $@

# A student file goes through assembly on its way to an object, and the
# compiler lists every file it read: the grader's audit (grader/engine/audit.c)
# reads NAME.d (includes), NAME.i and NAME.s (inline assembly: GCC leaves no
# trace of an empty asm statement in NAME.s) and NAME.o (sections,
# definitions, calls) before any of the student's code runs. (The -E pass
# is quiet: the -S pass has already said every warning once.)
$(BUILD_DIR)/student/%.s: $(SRC_DIR)/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -S -MD -MF $(@:.s=.d) -MT $@ -o $@.part $<
	$(CC) $(CFLAGS) -E -w -o $(@:.s=.i) $<
	mv -f $@.part $@

$(BUILD_DIR)/student/%.o: $(BUILD_DIR)/student/%.s
	$(CC) $(CFLAGS) -c -o $@.part $< && mv -f $@.part $@

# The assembly and the original objects are worth keeping (the audit reads
# them): make deletes intermediate files otherwise.
.SECONDARY: $(STUDENT_OBJS:.o=.s) $(STUDENT_OBJS)

# PREBUILT_TESTS=1: the grader compiled the tests and support code outside
# the sandbox and put their objects in BUILD_DIR (grader/engine/build_cache.c);
# the sandbox, which builds the student's files, may not see their sources.
ifneq ($(PREBUILT_TESTS),1)
$(BUILD_DIR)/tests/%.o: $(LAB_DIR)/tests/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@.part $< && mv -f $@.part $@

$(BUILD_DIR)/support/%.o: $(SUPPORT)/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(if $(filter idle,$(SHIM)),-DIPCLAB_SHIM_IDLE) -c -o $@.part $< && \
	    mv -f $@.part $@

# The tests' call rules (lab.ini require/forbid, support/ipclab_shim.h): a
# table compiled into the test binary, so every way of running the tests
# (make check, make valgrind, the grader) checks them.
$(BUILD_DIR)/tests/call_rules.c: $(LAB_DIR)/lab.ini
	@mkdir -p $(@D)
	$(IPCLAB) manifest --call-rules $(LAB_DIR) > $@.part && mv -f $@.part $@

$(BUILD_DIR)/tests/call_rules.o: $(BUILD_DIR)/tests/call_rules.c $(HEADERS)
	$(CC) $(CFLAGS) -c -o $@.part $< && mv -f $@.part $@
endif

# The tests run in private IPC, /dev/shm and mqueue namespaces where the
# machine allows it (support/private-ipc.sh), so what one run leaks cannot
# break the next; each test is stopped at its timeout even when Criterion's
# own watchdog misses it (support/probe.c).
check: $(TEST_BIN)
	$(SUPPORT)/private-ipc.sh $(TEST_BIN) $(CRITERION_FLAGS)

# Under memcheck the tests run in children forked from one runner (forkrun.c):
# one valgrind start per run, not one per test, and the runner forks one
# more a CPU (VG_RUNNERS=N to choose), which share the tests (runners.h).
# Then every log with a memory error or a lost block is shown
# (support/vg-summary.sh); the target fails when a test failed or memcheck
# found something.
VG_RUNNERS ?= $(shell nproc 2>/dev/null || echo 1)
valgrind: $(TEST_BIN)
	@rm -rf $(BUILD_DIR)/vg && mkdir -p $(BUILD_DIR)/vg
	@IPCLAB_FORK_RUNNER=1 IPCLAB_RUNNERS=$(VG_RUNNERS) $(VALGRIND) $(TEST_BIN) \
	    $(CRITERION_FLAGS); tests=$$?; \
	    $(SUPPORT)/vg-summary.sh $(BUILD_DIR)/vg; found=$$?; \
	    [ $$tests = 0 ] && [ $$found = 0 ]

list: $(TEST_BIN)
	@$(TEST_BIN) --list

timeouts: $(TIMEOUTS_BIN)
	@$(TIMEOUTS_BIN)

clean:
	rm -rf $(BUILD_DIR)

flags:
	@echo $(CFLAGS)
