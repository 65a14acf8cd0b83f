# ipclab top-level Makefile: set-up, labs, grader and the project's own tests.
#
#   make                         build the ipclab command (build/ipclab)
#   make check LAB=01            build lab 01 from labs/01-*/src and run its tests
#   make check LAB=01 SUBMISSION=solutions    ... from solutions/01-*/src instead
#   make grade LAB=01 SUBMISSION=DIR   grade DIR's lab 01 like the grader (sandbox, valgrind)
#   make grade-solutions         grade the reference solution of every lab, print the reports
#   make test                    the project's own test suite (what CI runs)
#   make handouts                the handouts as a static site in build/handouts/
#   make class-report GRADES=DIR an HTML class report from grade-all's output
#   make deps                    install missing Debian packages
#   make format / format-check   clang-format every C file / check only
#   make cppcheck                static analysis of labs, solutions and grader
#   make gradescope LAB=01       Gradescope autograder zip: build/gradescope/ipclab-01.zip
#   make release DEST=DIR [EDITION=course|self-study]   the tree students get
#   make compile_commands.json   for clangd / VS Code: headers, Criterion, the course's flags
#   make clean

ROOT       := $(abspath .)
LABS       := $(sort $(wildcard labs/[0-9][0-9]-*))
C_SOURCES  := $(shell find labs solutions grader tests -name '*.[ch]' -not -path '*/build/*' 2>/dev/null)

.PHONY: all deps ipclab check test handouts class-report format format-check cppcheck clean list-labs gradescope
.PHONY: grade grade-solutions release

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
	@status=0; for l in $(LABS); do \
	    test -d solutions/$$(basename $$l)/src || continue; \
	    build/ipclab grade --lab $$(basename $$l | cut -c1-2) --submission solutions \
	        $(GRADE_FLAGS) || status=1; echo; \
	done; exit $$status

gradescope: deps
	@test -n "$(LAB)" || { echo "usage: make gradescope LAB=NN" >&2; exit 2; }
	@test -n "$(LAB_DIR)" || { echo "ipclab: no lab '$(LAB)' under labs/" >&2; exit 2; }
	@grader/gradescope/build.sh $(LAB_DIR) build/gradescope

# The student's tree: course (no solutions/, no hidden tests) or self-study (solutions kept).
release:
	@test -n "$(DEST)" || { echo "usage: make release DEST=DIR [EDITION=course|self-study]" >&2; exit 2; }
	@scripts/release.sh "$(DEST)" "$(or $(EDITION),course)"

# One entry per C file of the labs (with the lab's include/ and support/) and the grader.
compile_commands.json: $(wildcard labs/*/Makefile) $(wildcard labs/*/*/*.c)
	@{ sep=""; echo "["; \
	  for f in $(wildcard labs/*/src/*.c labs/*/tests/*.c labs/support/*.c solutions/*/src/*.c); do \
	    lab=$$(echo $$f | cut -d/ -f2); \
	    printf '%s{"directory":"%s","file":"%s/%s","arguments":["cc","-std=c11","-D_GNU_SOURCE","-Wall","-Wextra","-Wpedantic","-Wvla","-Wmissing-prototypes","-pthread","-I%s/labs/%s/include","-I%s/labs/support","-c","%s/%s"]}\n' \
	      "$$sep" "$(ROOT)" "$(ROOT)" "$$f" "$(ROOT)" "$$lab" "$(ROOT)" "$(ROOT)" "$$f"; sep=","; \
	  done; \
	  for f in $(wildcard grader/*/*.c); do \
	    printf '%s{"directory":"%s/grader","file":"%s/%s","arguments":["cc","-std=c11","-D_GNU_SOURCE","-Wall","-Wextra","-I%s/grader","-I/usr/include/libxml2","-c","%s/%s"]}\n' \
	      "$$sep" "$(ROOT)" "$(ROOT)" "$$f" "$(ROOT)" "$(ROOT)" "$$f"; sep=","; \
	  done; echo "]"; } > $@
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

clean:
	rm -rf build $(addsuffix /build,$(LABS))
