# keytrail - hand-written GNU Makefile.
#   make            build build/keytrail, build/ktgen and build/kt-engine-bench
#   make demo       install missing -dev packages, build, run keytrail on samples/
#   make check      build and run every test, then once more under ASan+UBSan, and the
#                   threaded paths under ThreadSanitizer
#   make SAN=1 ...  build into build-san/ with AddressSanitizer + UndefinedBehaviorSanitizer
#   make check-tsan the threaded paths under ThreadSanitizer (build-tsan/; part of make check)
#   make V=1        show full command lines
#   make format     clang-format the C lines changed since FORMAT_BASE (default HEAD);
#                   make format-check fails when they are not formatted

PKGS      := glib-2.0 gio-2.0 libcjson ncursesw libdeflate
CC        ?= cc
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
             -Wwrite-strings -Wpointer-arith -Wcast-align -Wvla -Wimplicit-fallthrough \
             -Wno-unused-parameter -Wundef -Wnull-dereference
KT_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
             -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_66 -Iinclude $(WARN) \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
KT_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -lm -lpthread
DEPFLAGS   = -MMD -MP

ifeq ($(TSAN),1)
BUILD     ?= build-tsan
SANFLAGS  := -O1 -g -fsanitize=thread -fno-omit-frame-pointer
KT_CFLAGS += $(SANFLAGS)
LDSAN     := $(SANFLAGS)
CFLAGS    := -O1 -g
else ifeq ($(SAN),1)
BUILD     ?= build-san
SANFLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
KT_CFLAGS += $(SANFLAGS)
LDSAN     := $(SANFLAGS)
CFLAGS    := -O1 -g
else
BUILD     ?= build
LDSAN     :=
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC   := $(sort $(shell find src -name '*.c' ! -name main.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ  := $(BUILD)/src/main.o
UNIT_SRC  := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
GEN_SRC   := $(sort $(wildcard tools/ktgen/*.c))
GEN_OBJ   := $(GEN_SRC:%.c=$(BUILD)/%.o)
LIBKT     := $(BUILD)/libkeytrail.a

.PHONY: all check check-suite check-unit check-golden check-shell check-tsan demo deps samples eval-nab \
        golden-update bench eval fuzz check-valgrind format format-check clean

all: $(BUILD)/keytrail $(BUILD)/ktgen $(BUILD)/kt-engine-bench $(BUILD)/kt-count-only

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(KT_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(LIBKT): $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/keytrail: $(MAIN_OBJ) $(LIBKT)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(KT_LIBS)

$(BUILD)/ktgen: $(GEN_OBJ) $(LIBKT)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(KT_LIBS)

# the engine alone, timed on records in memory (make bench; tools/kt-engine-bench.c)
$(BUILD)/kt-engine-bench: $(BUILD)/tools/kt-engine-bench.o $(LIBKT)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(KT_LIBS)

# the bench's awk count-only script in plain C, a yardstick (tools/kt-count-only.c)
$(BUILD)/kt-count-only: $(BUILD)/tools/kt-count-only.o
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBKT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(KT_LIBS)

# --- set-up and demo -------------------------------------------------------------------
deps:
	@sh tools/deps.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@sh tools/demo.sh $(BUILD)

samples: $(BUILD)/ktgen
	@sh tools/make-samples.sh $(BUILD)

# --- tests ------------------------------------------------------------------------------
# check: the whole suite with the normal build, then again under ASan+UBSan; the last
# line is the combined "N passed, N failed" that .ci/run and people read.
check: deps
	@rm -f build/test-results.txt build-san/test-results.txt
	@$(MAKE) --no-print-directory check-suite BUILD=build SAN= || true
	@$(MAKE) --no-print-directory check-suite BUILD=build-san SAN=1 || true
	@$(MAKE) --no-print-directory check-tsan || true
	@sh tests/lib/summary.sh build/test-results.txt build-san/test-results.txt \
	    build-tsan/test-results.txt

# the threaded paths (engine threads, parser threads, progress) under ThreadSanitizer
check-tsan:
	@rm -f build-tsan/test-results.txt
	@$(MAKE) --no-print-directory all BUILD=build SAN= TSAN=
	@$(MAKE) --no-print-directory build-tsan/keytrail build-tsan/tests/test-shards BUILD=build-tsan TSAN=1
	@sh tests/lib/run-all.sh build-tsan tsan

check-suite: all $(UNIT_BIN)
	@sh tests/lib/run-all.sh $(BUILD) unit golden shell $(if $(filter 1,$(SAN)),,fuzz)

check-unit: all $(UNIT_BIN)
	@sh tests/lib/run-all.sh $(BUILD) unit

check-golden: all
	@sh tests/lib/run-all.sh $(BUILD) golden

check-shell: all
	@sh tests/lib/run-all.sh $(BUILD) shell

golden-update: all
	@KT_GOLDEN_UPDATE=1 sh tests/lib/run-all.sh $(BUILD) golden

bench: all
	@sh tools/bench.sh $(BUILD)

eval: all
	@sh tools/eval.sh $(BUILD)

eval-nab: all
	@sh tools/eval-nab.sh $(BUILD)

fuzz:
	@sh tests/fuzz/run.sh $(or $(FUZZ_SECONDS),60)

check-valgrind: all $(UNIT_BIN)
	@KT_VALGRIND=1 sh tests/lib/run-all.sh $(BUILD)

# Formatting (.clang-format: STYLE.md's 4 spaces, Linux braces, 100 columns, return type
# on its own line) applies to the lines a change touches, not the whole tree: much of the
# code aligns its trailing comments and tables by hand, which clang-format would undo.
# make format formats the C lines changed since FORMAT_BASE (default HEAD, i.e. what is not
# committed yet); make format-check fails when such lines are not formatted.
FORMAT_BASE ?= HEAD
format:
	git clang-format -f --extensions c,h $(FORMAT_BASE)

format-check:
	@d=$$(git clang-format --diff --extensions c,h $(FORMAT_BASE) 2>&1); \
	case "$$d" in ""|"no modified files to format"|"clang-format did not modify any files") \
	    echo "format-check: the C lines changed since $(FORMAT_BASE) are formatted" ;; \
	*) echo "$$d"; echo "format-check: run make format FORMAT_BASE=$(FORMAT_BASE)"; exit 1 ;; esac

clean:
	rm -rf build build-san build-fuzz

.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
