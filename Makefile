# dlfusion — build. `make` builds the library, the CLI and the tests;
# `make run` and `make test` also install missing Debian packages first.
CC      ?= gcc
BUILD   ?= build
OPT     ?= -O2
NPROC   := $(shell nproc 2>/dev/null || echo 2)
# -fvisibility=hidden: the shared library exports only what include/dlfusion.h marks DLF_API.
CFLAGS  += -std=c11 $(OPT) -g -Wall -Wextra -Wno-unused-parameter -fPIC -D_GNU_SOURCE \
           -fvisibility=hidden -Iinclude -Isrc -I$(BUILD)/gen
LDLIBS  += -lprotobuf-c -lcjson -lm -lpthread

ifeq ($(SAN),1)
  CC      = clang
  override BUILD := $(BUILD)-san
  OPT     = -O1
  CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -DDLF_SANITIZE -Wno-pass-failed
  LDFLAGS += -fsanitize=address,undefined
endif

# ThreadSanitizer: `make SAN=thread BUILD=...` builds into $(BUILD)-tsan; `make test-tsan` runs
# the thread-pool and concurrent-session tests under it.
ifeq ($(SAN),thread)
  CC      = clang
  override BUILD := $(BUILD)-tsan
  OPT     = -O1
  CFLAGS += -fsanitize=thread -fno-omit-frame-pointer -DDLF_SANITIZE -Wno-pass-failed
  LDFLAGS += -fsanitize=thread
endif

ONNX_PROTO := /usr/include/onnx/onnx.proto
GEN_C      := $(BUILD)/gen/onnx.pb-c.c
LIB_SRC    := $(sort $(wildcard src/*/*.c src/*/*/*.c))
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/%.o) $(GEN_C:.c=.o)
TEST_SRC   := $(sort $(wildcard tests/unit/*.c))
TEST_OBJ   := $(TEST_SRC:%.c=$(BUILD)/%.o)

# Only the per-ISA kernel files get ISA flags: the rest of the library must run on any
# x86-64, and these files run only after CPU detection selected them (src/kernels/config.c).
KERN_AVX2_FLAGS   := -mavx2 -mfma
KERN_AVX512_FLAGS := -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma
$(BUILD)/src/kernels/%_avx2.o: CFLAGS += $(KERN_AVX2_FLAGS)
$(BUILD)/src/kernels/%_avx512.o: CFLAGS += $(KERN_AVX512_FLAGS)
# The per-ISA halves of kernel tests (test_kernels_*_<isa>.c), called after the same check.
$(BUILD)/tests/unit/test_kernels_%_avx2.o: CFLAGS += $(KERN_AVX2_FLAGS)
$(BUILD)/tests/unit/test_kernels_%_avx512.o: CFLAGS += $(KERN_AVX512_FLAGS)

# The library's version is the header's; the SONAME carries the major version.
VERSION   := $(shell sed -n 's/^\#define DLF_VERSION_STRING "\(.*\)"/\1/p' include/dlfusion.h)
SOVERSION := $(firstword $(subst ., ,$(VERSION)))
SONAME    := libdlfusion.so.$(SOVERSION)

.PHONY: all setup run test test-unit test-san test-valgrind clean format install
all: $(BUILD)/libdlfusion.a $(BUILD)/libdlfusion.so $(BUILD)/dlfusion $(BUILD)/dlf_tests

setup:
	@scripts/setup.sh

# The C bindings of ONNX's schema are generated here, never committed.
$(GEN_C): $(ONNX_PROTO)
	@mkdir -p $(dir $@)
	protoc-c --c_out=$(BUILD)/gen -I$(dir $(ONNX_PROTO)) $(ONNX_PROTO)

$(BUILD)/%.o: %.c $(GEN_C)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CFLAGS) -w -c $< -o $@

$(BUILD)/libdlfusion.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

# libdlfusion.so -> libdlfusion.so.0 -> libdlfusion.so.0.1.0 (the file, SONAME libdlfusion.so.0).
$(BUILD)/libdlfusion.so.$(VERSION): $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,$(SONAME) -o $@ $^ $(LDLIBS)

$(BUILD)/libdlfusion.so: $(BUILD)/libdlfusion.so.$(VERSION)
	ln -sf libdlfusion.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $@

CLI_SRC    := $(sort $(wildcard tools/*.c))
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/%.o)

$(BUILD)/dlfusion: $(CLI_OBJ) $(BUILD)/libdlfusion.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/dlf_tests: $(TEST_OBJ) $(BUILD)/libdlfusion.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Benchmarks (not part of `all`): `make BUILD=... bench` builds them into $(BUILD)/bench/.
# The thread-pool bench links OpenMP and libpthreadpool only as the comparisons it measures.
.PHONY: bench
bench:
	@scripts/setup.sh --bench
	@$(MAKE) --no-print-directory $(BUILD)/bench/threadpool_overhead $(BUILD)/bench/fusion_blocks \
	  $(BUILD)/bench/stem_bench $(BUILD)/bench/block_model_accuracy
$(BUILD)/bench/block_model_accuracy: bench/block_model_accuracy.c $(BUILD)/libdlfusion.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/bench/stem_bench: bench/stem_bench.c $(BUILD)/libdlfusion.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/bench/fusion_blocks: bench/fusion_blocks.c $(BUILD)/libdlfusion.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/bench/threadpool_overhead: bench/threadpool_overhead.c $(BUILD)/libdlfusion.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fopenmp $(LDFLAGS) -o $@ $^ $(LDLIBS) -lpthreadpool

# libFuzzer harnesses (clang, ASan+UBSan; not part of `all`): `make BUILD=... fuzz` builds
# them into $(BUILD)-fuzz-san/fuzz and runs each for FUZZ_SECONDS; see tests/fuzz/run.sh.
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz:
	FUZZ_BUILD=$(BUILD)-fuzz FUZZ_JOBS=$(NPROC) tests/fuzz/run.sh $(FUZZ_SECONDS)

# The main job: tune ResNet-18 for this CPU (its profile made once, then cached) and time the
# tuned plan against the unfused default and the baselines, interleaved; then the same model
# tuned for the simulated MLU100 against every strategy and the exact oracle; then a run.
run: setup
	@$(MAKE) --no-print-directory -j$(NPROC) all
	$(BUILD)/dlfusion tune zoo:resnet18 --compare=none,allcores,vendor,blocks -o $(BUILD)/resnet18-cpu-plan.json
	$(BUILD)/dlfusion bench zoo:resnet18 --plan $(BUILD)/resnet18-cpu-plan.json
	$(BUILD)/dlfusion tune zoo:resnet18 --target targets/mlu100.json --compare
	$(BUILD)/dlfusion run zoo:resnet18 --plan $(BUILD)/resnet18-cpu-plan.json

test: setup
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@tests/run_all.sh $(BUILD)

test-unit: all
	$(BUILD)/dlf_tests

# The unit tests and CLI checks under AddressSanitizer + UBSan.
test-san: setup
	@$(MAKE) --no-print-directory -j$(NPROC) SAN=1 all
	@ASAN_OPTIONS=detect_leaks=1 tests/run_all.sh $(BUILD)-san --quick

# The CLI suites and the reader/API unit tests of the normal (gcc -O2) build under Valgrind
# memcheck: uninitialised reads ASan cannot see, and leaks. About 3 minutes.
.PHONY: test-valgrind
test-valgrind: setup
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@DLF_EXPECT_ISA="$(filter-out avx512,$(DLF_EXPECT_ISA))" tests/run_all.sh $(BUILD) --valgrind

# The thread pool, concurrent sessions and fused blocks on 2 threads under ThreadSanitizer
# (dlf_tests takes one name filter per run, hence one run per group).
.PHONY: test-tsan
test-tsan: setup
	@$(MAKE) --no-print-directory -j$(NPROC) SAN=thread $(BUILD)-tsan/dlf_tests
	TSAN_OPTIONS=halt_on_error=1 $(BUILD)-tsan/dlf_tests threadpool
	TSAN_OPTIONS=halt_on_error=1 $(BUILD)-tsan/dlf_tests concurrency
	TSAN_OPTIONS=halt_on_error=1 $(BUILD)-tsan/dlf_tests fusion_random_plans_squeezenet
	TSAN_OPTIONS=halt_on_error=1 $(BUILD)-tsan/dlf_tests fusion_residual

# `make install PREFIX=/usr/local DESTDIR=`: the header, the shared library (versioned, with
# its SONAME links), the static library, the CLI, dlfusion.pc for pkg-config, the man page made
# from the --help texts, and the Python package (PYTHONDIR) that loads the installed library.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR     ?= $(PREFIX)/share/man
PYTHONDIR  ?= $(LIBDIR)/python3/dist-packages
PY_SRC     := $(sort $(wildcard python/dlfusion/*.py))

$(BUILD)/dlfusion.1: $(BUILD)/dlfusion scripts/make_man.sh
	scripts/make_man.sh $(BUILD)/dlfusion $(VERSION) >$@

# dlfusion.pc and _installed.py name the install's own directories: written here, each time.
install: $(BUILD)/libdlfusion.a $(BUILD)/libdlfusion.so $(BUILD)/dlfusion $(BUILD)/dlfusion.1
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
	  $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(PYTHONDIR)/dlfusion
	install -m 644 include/dlfusion.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 755 $(BUILD)/libdlfusion.so.$(VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libdlfusion.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libdlfusion.so
	install -m 644 $(BUILD)/libdlfusion.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(BUILD)/dlfusion $(DESTDIR)$(BINDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	  -e 's|@VERSION@|$(VERSION)|' scripts/dlfusion.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/dlfusion.pc
	install -m 644 $(BUILD)/dlfusion.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(PY_SRC) $(DESTDIR)$(PYTHONDIR)/dlfusion/
	printf '# written by make install: where the shared library is\nLIBRARY = "%s"\n' \
	  '$(LIBDIR)/$(SONAME)' >$(DESTDIR)$(PYTHONDIR)/dlfusion/_installed.py

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-san

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
