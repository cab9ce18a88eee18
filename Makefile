# aifsweep build.  `make` builds build/aif-sweep; `make test` runs every test;
# `make run` runs the small default sweep; `make bench` prints benchmark figures.
# `make setup` installs missing Debian packages (as root) and is a prerequisite of
# run/test/bench, so a fresh machine needs nothing else.

PREFIX  ?= /usr/local
NP      ?= 3
PKGS    := hdf5-openmpi ompi-c openblas yaml-0.1
CC      := mpicc
# The baseline every binary runs on: x86-64-v3 (AVX2, FMA, BMI2: Intel Haswell,
# AMD Excavator or later), so a binary built on a login node runs on any compute
# node of that age or newer.  `make NATIVE=1` builds for this machine's CPU
# instead, into build/native unless BUILD is given (README, "Building").
NATIVE  ?=
ifeq ($(NATIVE),1)
BUILD   ?= build/native
ARCH    ?= -march=native
else
ARCH    ?= -march=x86-64-v3
endif
BUILD   ?= build
OPT     ?= -O2 $(ARCH)
CSTD    := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
WARN    := -Wall -Wextra -Wno-unused-parameter -Wno-format-truncation -Wshadow -Wstrict-prototypes
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  ?=
CFLAGS  += $(OPT) -g $(CSTD) $(WARN) -Iinclude $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS  += $(PKG_LIBS) -lm $(EXTRA_LDFLAGS)
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
# A Python that can import h5py (the distribution's, if the first on PATH cannot).
PYTHON ?= $(shell for p in python3 /usr/bin/python3; do $$p -c 'import h5py, numpy, pytest' >/dev/null 2>&1 && echo $$p && break; done)

# src/ is in folders by layer (README, "Layout of the source"); a header is
# included by its layer's path, "core/rng.h", from include/.
LIB_SRC  := $(filter-out src/sweep/main.c,$(wildcard src/*/*.c))
HEADERS  := $(wildcard include/*/*.h)
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(wildcard tests/unit_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all setup test check unit run bench clean install check-asan fuzz
all: $(BUILD)/aif-sweep $(TEST_BIN)

$(BUILD)/obj/%.o: src/%.c $(HEADERS) $(BUILD)/cflags | $(BUILD)/obj
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(BUILD)/obj/core/version.o: CFLAGS += -DAIF_VERSION='"$(VERSION)"' -DAIF_GIT_COMMIT='"$(GIT_COMMIT)"'
# Written afresh each time: `ar r` on an existing archive keeps members whose
# source is gone (a renamed or removed module), and the linker may take the
# stale one's symbols.
$(BUILD)/libaif.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^
$(BUILD)/aif-sweep: src/sweep/main.c $(BUILD)/libaif.a $(BUILD)/cflags
	$(CC) $(CFLAGS) $< $(BUILD)/libaif.a $(LDLIBS) -o $@
$(BUILD)/tests/unit_%: tests/unit_%.c tests/unit.c $(wildcard tests/*.h) $(BUILD)/libaif.a $(BUILD)/cflags | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests $< tests/unit.c $(BUILD)/libaif.a $(LDLIBS) -o $@
$(BUILD)/bench/%: bench/%.c $(BUILD)/libaif.a $(BUILD)/cflags | $(BUILD)/bench
	$(CC) $(CFLAGS) $< $(BUILD)/libaif.a $(LDLIBS) -o $@
$(BUILD)/obj $(BUILD)/tests $(BUILD)/bench:
	mkdir -p $@

# Everything is rebuilt when the flags change (NATIVE=1, OPT=..., sanitizers):
# $(BUILD)/cflags holds the last flags used and is rewritten only when they differ.
$(BUILD)/cflags: FORCE | $(BUILD)/obj
	@echo '$(CC) $(CFLAGS)' | cmp -s - $@ || echo '$(CC) $(CFLAGS)' > $@

# version.o is rebuilt when the version or the commit changes (and only then:
# relinking every binary on each make would cost make check 13 s).
# $(BUILD)/commit holds the last ones built in, rewritten only when they differ.
.PHONY: FORCE
$(BUILD)/commit: FORCE | $(BUILD)/obj
	@echo '$(VERSION) $(GIT_COMMIT)' | cmp -s - $@ || echo '$(VERSION) $(GIT_COMMIT)' > $@
$(BUILD)/obj/core/version.o: $(BUILD)/commit

setup:
	@sh scripts/setup.sh

test: setup
	@$(MAKE) --no-print-directory all
	@sh scripts/test.sh "$(PYTHON)"

# The fast tier (tests/conftest.py, "test tiers"): unit tests and the quick
# end-to-end tests, for before each commit.
check: setup
	@$(MAKE) --no-print-directory all
	@sh scripts/test.sh "$(PYTHON)" -m "not full"

run: setup
	@$(MAKE) --no-print-directory all
	@sh scripts/run-default.sh $(NP)

bench:
	@sh scripts/setup.sh bench
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@$(MAKE) --no-print-directory NATIVE=1 build/native/bench/bench_nn build/native/aif-sweep
	@sh scripts/bench.sh

# Tables and figures of a results file: make report RESULTS=results/x.h5 [OUT=dir]
.PHONY: report
report: ; $(PYTHON) -m analysis report $(RESULTS) --out $(or $(OUT),report)

install: $(BUILD)/aif-sweep
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/aifsweep/jobs
	install -m 755 $(BUILD)/aif-sweep $(DESTDIR)$(PREFIX)/bin/aif-sweep
	install -m 644 jobs/*.yaml $(DESTDIR)$(PREFIX)/share/aifsweep/jobs/

# ---- hardening (docs/hardening.md) ---------------------------------------------------
# `make check-asan`: everything rebuilt with AddressSanitizer + UBSan in
# build/asan/, then the unit tests and an MPI smoke sweep; any report fails.
ASAN_BUILD ?= $(BUILD)/asan
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
check-asan:
	@$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) OPT="$(OPT)" EXTRA_CFLAGS="$(ASAN_FLAGS)" \
		EXTRA_LDFLAGS="$(ASAN_FLAGS)" all
	@sh scripts/check-asan.sh $(ASAN_BUILD)

# `make fuzz FUZZ_SECONDS=60`: libFuzzer on the job-file loader (clang; no MPI or
# HDF5 needed: the loader, the worlds and the agents are plain C).  Seeds:
# tests/fuzz/corpus, tests/bad_jobs, jobs; new inputs go to build/fuzz/corpus,
# a crashing input to build/fuzz/crash-*.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SRC := tests/fuzz/fuzz_jobspec.c $(filter-out src/store/store.c src/store/store_layout.c src/store/store_check.c src/sweep/runner.c src/core/fault.c src/core/version.c,$(LIB_SRC))
$(BUILD)/fuzz/fuzz_jobspec: $(FUZZ_SRC) $(HEADERS)
	@mkdir -p $(BUILD)/fuzz/corpus
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Wno-psabi \
		$(CSTD) -Iinclude $(shell pkg-config --cflags openblas yaml-0.1) $(FUZZ_SRC) \
		$(shell pkg-config --libs openblas yaml-0.1) -lm -o $@
fuzz: $(BUILD)/fuzz/fuzz_jobspec
	OPENBLAS_NUM_THREADS=1 $(BUILD)/fuzz/fuzz_jobspec -max_total_time=$(FUZZ_SECONDS) -timeout=30 \
		-rss_limit_mb=2048 -dict=tests/fuzz/jobspec.dict -artifact_prefix=$(BUILD)/fuzz/ \
		-print_final_stats=1 $(BUILD)/fuzz/corpus tests/fuzz/corpus tests/bad_jobs jobs

clean:
	rm -rf $(BUILD)
