# leadrank — build, test, demo and bench. `make help` lists the targets and switches.
#
# Switches:
#   OPENMP=0          build without OpenMP (fully sequential)
#   ISAL=0|1          inflate with ISA-L (default: 1 when libisal-dev is installed)
#   SAN=address,undefined   build with sanitizers (objects go to build-san/)
#   DEBUG=1           -O0

CC      ?= gcc
OPENMP  ?= 1
ISAL    ?= $(shell test -f /usr/include/isa-l.h && echo 1 || echo 0)
SAN     ?=
DEBUG   ?= 0

BUILD   ?= build$(if $(SAN),-san,)
OPT     := $(if $(filter 1,$(DEBUG)),-O0,-O2)
CFLAGS  += -std=c11 $(OPT) -g -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
           -ffp-contract=off -D_GNU_SOURCE -Iinclude -I$(BUILD) -MMD -MP
LDLIBS  += -lcsv -lz -lm $(shell pkg-config --libs jansson hiredis libxxhash 2>/dev/null || echo -ljansson -lhiredis -lxxhash)

# csvw's flusher threads, with or without OpenMP
CFLAGS  += -pthread
LDFLAGS += -pthread

ifeq ($(OPENMP),1)
CFLAGS  += -fopenmp
LDFLAGS += -fopenmp
else
CFLAGS  += -Wno-unknown-pragmas
endif
ifeq ($(ISAL),1)
CFLAGS  += -DLR_HAVE_ISAL=1
LDLIBS  += -lisal
endif
ifneq ($(SAN),)
CFLAGS  += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SAN)
endif

ENGINE_SRC := $(wildcard engine/*.c)
ENGINE_LIB_SRC := $(filter-out engine/main.c,$(ENGINE_SRC))
ENGINE_OBJ := $(ENGINE_LIB_SRC:engine/%.c=$(BUILD)/%.o) $(BUILD)/embedded.o
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
EMBEDDED   := schemas/leads.schema.json:embedded_leads_schema \
              schemas/deals.schema.json:embedded_deals_schema \
              schemas/model.default.json:embedded_model_default

.PHONY: all deps test test-san unit demo sample bench clean help fuzz fuzz-replay

all: $(BUILD)/leadrank

deps:
	@bash scripts/install-deps.sh

$(BUILD)/embedded.c: scripts/embed.sh $(foreach e,$(EMBEDDED),$(firstword $(subst :, ,$(e))))
	@mkdir -p $(BUILD)
	sh scripts/embed.sh $@ $(EMBEDDED)

$(BUILD)/%.o: engine/%.c
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/embedded.o: $(BUILD)/embedded.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libleadrank.a: $(ENGINE_OBJ)
	ar rcs $@ $^

$(BUILD)/leadrank: $(BUILD)/main.o $(BUILD)/libleadrank.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/testhelp.h $(BUILD)/libleadrank.a
	@mkdir -p $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/libleadrank.a $(LDLIBS)

unit: $(UNIT_BIN)

# Every test: unit binaries, then the integration suites; ends with "N passed, N failed".
# build-zlib/ is the same engine with zlib's inflater, for the ISA-L/zlib equivalence test;
# build-noomp/ is the OPENMP=0 build, checked against the golden outputs.
test: deps
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory ISAL=0 BUILD=build-zlib all
	@$(MAKE) --no-print-directory OPENMP=0 BUILD=build-noomp all
	@echo "OPENMP=0 build against the golden cases:"
	@python3 tests/run_tests.py --build build-noomp -k golden
	@$(MAKE) --no-print-directory fuzz-replay
	@LEADRANK_ZLIB_BIN=build-zlib/leadrank python3 tests/run_tests.py --build $(BUILD)

# The same suite under AddressSanitizer and UBSan.
test-san: deps
	@$(MAKE) --no-print-directory SAN=address,undefined all unit
	@$(MAKE) --no-print-directory ISAL=0 BUILD=build-zlib all
	@LEADRANK_SANITIZED=1 LEADRANK_ZLIB_BIN=build-zlib/leadrank python3 tests/run_tests.py --build build-san

sample: all
	@mkdir -p bench/data
	@test -f bench/data/sample.leads.csv.gz || python3 bench/gen_leads.py --rows 100000 --seed 1 --gzip --out bench/data/sample

demo: deps
	@$(MAKE) --no-print-directory all sample
	@sh scripts/demo.sh $(BUILD)/leadrank bench/data/sample

bench: deps
	@bash scripts/install-deps.sh --bench
	@$(MAKE) --no-print-directory all
	@python3 bench/run_bench.py --leadrank $(BUILD)/leadrank

# Differential fuzzing of the CSV fast path (tests/fuzz/README.md). `make fuzz` builds each
# target with clang's libFuzzer and runs it FUZZ_SECONDS seconds; new inputs go to
# build-fuzz/corpus/, crashes to build-fuzz/crashes/ (copy them to tests/fuzz/regressions/).
# Needs clang and libclang-rt-dev, which `make deps` does not install: only this target
# uses them. `make fuzz-replay` (part of `make test`) replays the seeds and regressions
# through the same checks with gcc and its sanitizers, in a few seconds, no clang needed.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := build-fuzz
FUZZ_TARGETS := split frame
FUZZ_CFLAGS  := -std=c11 -O1 -g -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
                -Wno-unknown-pragmas -ffp-contract=off -D_GNU_SOURCE -Iinclude \
                -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_SRC_split := engine/csvparse.c engine/csvw.c engine/row.c engine/lr_err.c
FUZZ_SRC_frame := engine/csvparse.c engine/frame.c engine/row.c engine/lr_err.c

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzzcheck.h $(FUZZ_SRC_split) $(FUZZ_SRC_frame)
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_SRC_$*) -lcsv -lz -lm

$(FUZZ_DIR)/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c tests/fuzz/fuzzcheck.h $(FUZZ_SRC_split) $(FUZZ_SRC_frame)
	@mkdir -p $(FUZZ_DIR)
	$(CC) $(FUZZ_CFLAGS) -fsanitize=address,undefined -o $@ $< tests/fuzz/replay_main.c $(FUZZ_SRC_$*) -lcsv -lz -lm

fuzz: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/crashes && \
	  echo "fuzz_$$t: $(FUZZ_SECONDS) s" && \
	  $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -dict=tests/fuzz/csv.dict -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/crashes/$$t- \
	    $(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t tests/fuzz/regressions/$$t || exit 1; \
	done

fuzz-replay: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/replay_%)
	@for t in $(FUZZ_TARGETS); do \
	  printf 'fuzz_%s ' $$t; \
	  $(FUZZ_DIR)/replay_$$t tests/fuzz/corpus/$$t tests/fuzz/regressions/$$t || exit 1; \
	done

clean:
	rm -rf build build-san build-zlib build-noomp build-fuzz

help:
	@echo "make demo       install deps, build, generate a 100k-row sample, score it, show the top 10"
	@echo "make test       install deps, build, run every test (unit + integration)"
	@echo "make test-san   the same under AddressSanitizer + UBSan"
	@echo "make fuzz       libFuzzer differential tests of the CSV fast path, FUZZ_SECONDS each (needs clang)"
	@echo "make sample     generate bench/data/sample (leads, deals, truth file)"
	@echo "make bench      benchmark harness (bench/results/latest.json)"
	@echo "switches: OPENMP=0  ISAL=0|1  SAN=address,undefined  DEBUG=1"

-include $(wildcard $(BUILD)/*.d)
