# ipclab top-level Makefile: set-up, labs, grader and the project's own tests.
#
#   make                         build the ipclab command (build/ipclab)
#   make check LAB=01            build lab 01 from labs/01-*/src and run its tests
#   make check LAB=01 SUBMISSION=solutions    ... from solutions/01-*/src instead
#   make grade LAB=01 SUBMISSION=DIR   grade DIR's lab 01 like the grader (sandbox, valgrind)
#   make grade-solutions         grade the reference solution of every lab, print the reports
#   make test                    the project's own test suite (what CI runs)
#   make mutants LAB=01          how strong lab 01's tests are: mutants of its solution, the survivors
#                                (MUTANTS_FLAGS="--jobs 2 --only eintr --memcheck": scripts/mutants.sh)
#   make handouts                the handouts as a static site in build/handouts/
#   make class-report GRADES=DIR an HTML class report from grade-all's output
#   make deps                    install missing Debian packages
#   make format / format-check   clang-format every C file / check only
#   make cppcheck                static analysis of labs, solutions and grader
#   make shellcheck              every shell script of the repository, no warning allowed
#   make gradescope LAB=01       Gradescope autograder zip: build/gradescope/ipclab-01.zip
#   make release DEST=DIR [EDITION=course|self-study]   the tree students get
#   make compile_commands.json   for clangd / VS Code: headers, Criterion, the course's flags
#   make clean

ROOT       := $(abspath .)
LABS       := $(sort $(wildcard labs/[0-9][0-9]-*))
C_SOURCES  := $(shell find labs solutions grader tests -name '*.[ch]' -not -path '*/build/*' 2>/dev/null)

.PHONY: all deps ipclab check test handouts class-report format format-check cppcheck shellcheck clean list-labs gradescope
.PHONY: grade grade-solutions release mutants

all: ipclab

deps:
	@scripts/deps.sh

ipclab: deps
	@$(MAKE) -s -C grader WERROR=1

# LAB=01 -> labs/01-pipes; SUBMISSION=DIR -> DIR/01-pipes/src, DIR/labs/01-pipes/src or DIR.
LAB_DIR     = $(firstword $(wildcard labs/$(LAB)-*) $(wildcard labs/0$(LAB)-*))
LAB_SLUG    = $(notdir $(LAB_DIR))
SUB_SRC     = $(firstword $(wildcard $(SUBMISSION)/$(LAB_SLUG)/src) \
                          $(wildcard $(SUBMISSION)/labs/$(LAB_SLUG)/src) $(SUBMISSION))
SUB_TAG     = $(if $(SUBMISSION),$(subst /,_,$(SUBMISSION)),src)

check: deps
	@test -n "$(LAB)" || { echo "usage: make check LAB=NN [SUBMISSION=DIR]" >&2; exit 2; }
	@test -n "$(LAB_DIR)" || { echo "ipclab: no lab '$(LAB)' under labs/" >&2; exit 2; }
	@$(MAKE) -s -C $(LAB_DIR) check WERROR=1 \
	    BUILD_DIR=$(ROOT)/build/check/$(LAB_SLUG)/$(SUB_TAG) \
	    $(if $(SUBMISSION),SRC_DIR=$(abspath $(SUB_SRC)))

test: deps ipclab
	@scripts/deps.sh --site
	@tests/run-all.sh

# The mutation check for lab authors: make mutants LAB=01 [MUTANTS_FLAGS="--jobs 2 --only eintr"]
mutants: ipclab
	@test -n "$(LAB)" || { echo "usage: make mutants LAB=NN [MUTANTS_FLAGS=...]" >&2; exit 2; }
	@scripts/mutants.sh $(LAB) $(MUTANTS_FLAGS)

# The handouts as a static site (build/handouts/index.html), from handouts/*.md.
handouts: ipclab
	@scripts/deps.sh --site
	@handouts/site/build.sh

# An HTML class report from grade-all's output: make class-report GRADES=DIR
class-report:
	@test -n "$(GRADES)" || { echo "usage: make class-report GRADES=DIR (grade-all's --out)" >&2; exit 2; }
	@scripts/deps.sh --site
	@handouts/site/class-report.sh $(GRADES)

# GRADE_FLAGS="--json results.json --junit report.xml --csv row.csv" adds outputs.
grade: ipclab
	@test -n "$(LAB)" || { echo "usage: make grade LAB=NN [SUBMISSION=DIR]" >&2; exit 2; }
	@build/ipclab grade --lab $(LAB) --submission $(or $(SUBMISSION),.) $(GRADE_FLAGS)

grade-solutions: ipclab
	@status=0; start=$$(date +%s.%N); n=0; for l in $(LABS); do \
	    test -d solutions/$$(basename $$l)/src || continue; \
	    build/ipclab grade --lab $$(basename $$l | cut -c1-2) --submission solutions \
	        $(GRADE_FLAGS) || status=1; echo; n=$$((n + 1)); \
	done; \
	printf 'graded %d labs in %.1f s\n' $$n "$$(echo "$$(date +%s.%N) - $$start" | bc)"; \
	exit $$status

gradescope: deps
	@test -n "$(LAB)" || { echo "usage: make gradescope LAB=NN" >&2; exit 2; }
	@test -n "$(LAB_DIR)" || { echo "ipclab: no lab '$(LAB)' under labs/" >&2; exit 2; }
	@grader/gradescope/build.sh $(LAB_DIR) build/gradescope

# The student's tree: course (no solutions/, no hidden tests) or self-study (solutions kept).
release:
	@test -n "$(DEST)" || { echo "usage: make release DEST=DIR [EDITION=course|self-study]" >&2; exit 2; }
	@scripts/release.sh "$(DEST)" "$(or $(EDITION),course)"

# One entry per C file, with the flags its real build uses: a lab's files (src,
# tests, tools, its solution) and the support library's from `make -C labs/NN
# flags`, the grader's from `make -C grader flags` (both read labs/support/cflags).
CC_ENTRIES = [split("\n")[] | select(length > 0) | split("\t") | {directory: .[0], file: .[1], \
              arguments: (["cc"] + (.[2] | split(" ") | map(select(length > 0))) + ["-c", .[1]])}]
compile_commands.json: $(wildcard labs/*/Makefile) $(wildcard labs/*/*/*.c) labs/lab.mk \
                       labs/support/cflags grader/Makefile
	@{ for lab in $(LABS); do \
	    flags=$$($(MAKE) -s --no-print-directory -C $$lab flags) || exit 1; \
	    for f in $$lab/src/*.c $$lab/tests/*.c $$lab/tools/*.c solutions/$$(basename $$lab)/src/*.c; do \
	      [ -f "$$f" ] && printf '%s\t%s\t%s\n' "$(ROOT)/$$lab" "$(ROOT)/$$f" "$$flags"; \
	    done; \
	  done; \
	  flags=$$($(MAKE) -s --no-print-directory -C $(firstword $(LABS)) flags) || exit 1; \
	  for f in labs/support/*.c; do printf '%s\t%s\t%s\n' "$(ROOT)/labs/support" "$(ROOT)/$$f" "$$flags"; done; \
	  flags=$$($(MAKE) -s --no-print-directory -C grader flags) || exit 1; \
	  for f in $$(find grader -name '*.c' -not -path '*/build/*' | sort); do \
	    printf '%s\t%s\t%s\n' "$(ROOT)/grader" "$(ROOT)/$$f" "$$flags"; \
	  done; } | jq -R -s '$(CC_ENTRIES)' >$@.tmp
	@mv $@.tmp $@
	@echo "wrote $@ (clangd and VS Code's C/C++ extension read it)"

list-labs:
	@for l in $(LABS); do echo $$l; done

format:
	clang-format -i $(C_SOURCES)

format-check:
	@clang-format --dry-run --Werror $(C_SOURCES) && echo "format: clean"

cppcheck:
	@cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
	    --inline-suppr --suppress=missingIncludeSystem --suppress='unknownMacro:*/tests/*' \
	    -D__GNUC__ -D_GNU_SOURCE $(addprefix -I,$(wildcard labs/*/include) labs/support grader) \
	    labs solutions grader && echo "cppcheck: clean"

# Every file whose first line names sh or bash, wherever it lives (build/ and .git/ aside);
# .shellcheckrc lets it follow the scripts' `. tests/lib/common.sh`.
SH_SCRIPTS = $(shell find . \( -path ./build -o -path ./.git -o -path '*/build' \) -prune -o -type f \
                  -exec awk 'FNR == 1 && /^\#!.*[\/ ](ba)?sh( |$$)/ {print FILENAME} {nextfile}' {} + | sort)

shellcheck:
	@shellcheck --version >/dev/null || { echo "shellcheck is not installed (make deps)" >&2; exit 2; }
	@shellcheck $(SH_SCRIPTS) tests/lib/common.sh && echo "shellcheck: clean ($(words $(SH_SCRIPTS)) scripts)"

clean:
	rm -rf build $(addsuffix /build,$(LABS))
