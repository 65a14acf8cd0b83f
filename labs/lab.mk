# lab.mk - shared build and test rules for every lab.
#
# A lab's Makefile sets two lists and includes this file:
#   STUDENT_SRCS = pipes.c            (files the student edits, in src/)
#   TEST_SRCS    = test_pipes.c       (Criterion tests, in tests/)
#   TOOLS        = table              (optional: programs in tools/, see below)
#   include ../lab.mk
#
# Variables a caller may override:
#   SRC_DIR    where the student files are read from (default: src/)
#   BUILD_DIR  where objects and the test binary go (default: build/)
#   WERROR=1   turn warnings into errors (CI and the grader set it)
#   SAN=1      build with AddressSanitizer and UBSan (not for valgrind)
#
# Targets: all (the test binary), check (run the tests), valgrind (run them
# under memcheck, one log per process in $(BUILD_DIR)/vg/), list, timeouts
# (every test's effective timeout, "suite/test SECONDS": the one source the
# grader's watchdogs follow, see support/timeouts.c), clean.
# Each name in TOOLS is a provided program tools/NAME.c, linked with the
# student's files: `make NAME` builds and runs it (TOOL_FLAGS="..." are its
# arguments), for example lab 10's `make table`.

LAB_DIR   := $(abspath $(dir $(firstword $(MAKEFILE_LIST))))
SUPPORT   := $(abspath $(LAB_DIR)/../support)
SRC_DIR   ?= $(LAB_DIR)/src
BUILD_DIR ?= $(LAB_DIR)/build

CC      ?= cc
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Wpedantic -Wvla -Wmissing-prototypes
CFLAGS  := $(CSTD) $(WARN) -g -O1 -pthread -I$(LAB_DIR)/include -I$(SUPPORT) \
           $(if $(filter 1,$(WERROR)),-Werror) \
           $(if $(filter 1,$(SAN)),$(SANFLAGS))
WRAPS   := -Wl,--wrap=criterion_internal_test_setup \
           -Wl,--wrap=criterion_internal_test_main \
           -Wl,--wrap=criterion_internal_test_teardown
LDLIBS  := -lcriterion -ljansson -lrt -lm -pthread \
           $(if $(filter 1,$(SAN)),$(SANFLAGS))

SUPPORT_SRCS := support.c probe.c results.c lazy_libgit2.c
STUDENT_OBJS := $(addprefix $(BUILD_DIR)/student/,$(STUDENT_SRCS:.c=.o))
TEST_OBJS    := $(addprefix $(BUILD_DIR)/tests/,$(TEST_SRCS:.c=.o))
SUPPORT_OBJS := $(addprefix $(BUILD_DIR)/support/,$(SUPPORT_SRCS:.c=.o))
TEST_BIN     := $(BUILD_DIR)/run-tests
HEADERS      := $(wildcard $(LAB_DIR)/include/*.h $(SUPPORT)/*.h)

# Test runner options: CRITERION_FLAGS="--filter=pipe/*" narrows a run.
CRITERION_FLAGS ?=
VALGRIND := valgrind --trace-children=yes --trace-children-skip='/bin/*,/usr/bin/*,/sbin/*,/usr/sbin/*' --leak-check=full --show-leak-kinds=definite,indirect,possible \
            --errors-for-leak-kinds=definite,indirect,possible \
            --suppressions=$(SUPPORT)/valgrind.supp --log-file=$(BUILD_DIR)/vg/%p.log

.PHONY: all check valgrind list timeouts clean $(TOOLS)
all: $(TEST_BIN)

TOOL_FLAGS ?=
$(TOOLS): %: $(BUILD_DIR)/tools/%
	$(BUILD_DIR)/tools/$@ $(TOOL_FLAGS)

$(BUILD_DIR)/tools/%: $(LAB_DIR)/tools/%.c $(STUDENT_OBJS) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(STUDENT_OBJS) -lrt -lm -pthread

$(TEST_BIN): $(STUDENT_OBJS) $(TEST_OBJS) $(SUPPORT_OBJS)
	$(CC) $(CFLAGS) $(WRAPS) -o $@ $^ $(LDLIBS)

# The timeout lister: the tests and support code without the student's
# files, whose symbols stay unresolved (it never calls a test, so no student
# code runs to decide a timeout). A position-dependent executable, because
# the dynamic loader refuses a PIE's unresolved calls.
TIMEOUTS_BIN := $(BUILD_DIR)/list-timeouts
$(TIMEOUTS_BIN): $(BUILD_DIR)/support/timeouts.o $(TEST_OBJS) $(BUILD_DIR)/support/support.o
	$(CC) $(CFLAGS) -no-pie -Wl,--unresolved-symbols=ignore-all -o $@ $^ -pthread

$(BUILD_DIR)/student/%.o: $(SRC_DIR)/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD_DIR)/tests/%.o: $(LAB_DIR)/tests/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD_DIR)/support/%.o: $(SUPPORT)/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

check: $(TEST_BIN)
	$(TEST_BIN) $(CRITERION_FLAGS)

valgrind: $(TEST_BIN)
	@rm -rf $(BUILD_DIR)/vg && mkdir -p $(BUILD_DIR)/vg
	$(VALGRIND) $(TEST_BIN) $(CRITERION_FLAGS)

list: $(TEST_BIN)
	@$(TEST_BIN) --list

timeouts: $(TIMEOUTS_BIN)
	@$(TIMEOUTS_BIN)

clean:
	rm -rf $(BUILD_DIR)
