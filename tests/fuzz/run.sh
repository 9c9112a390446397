#!/bin/sh
# run.sh — build the libFuzzer harnesses (clang, ASan+UBSan) against the library
# sources and run each for N seconds: tests/fuzz/run.sh [seconds] [harness...]
# Without harness names it runs every tests/fuzz/fuzz_NAME.c (seeds: corpus/NAME).
#
# Environment: FUZZ_BUILD (build dir prefix, default build-fuzz; the library goes
# to $FUZZ_BUILD-san), FUZZ_JOBS (parallel make jobs, default 2), FUZZ_WORK (where
# new corpus entries and crash files go, default $FUZZ_BUILD-san/fuzz), FUZZ_LIB_SRC
# (library sources to build, default all; the readers need only src/core src/ir
# src/frontend, which skips the slow sanitized kernel files), FUZZ_TIMEOUT (seconds one
# input may take, default 10; wall clock, so raise it on a loaded machine). The seed corpora in
# tests/fuzz/corpus are read, never written.
set -u
cd "$(dirname "$0")/../.." || exit 2

SECONDS_EACH=${1:-60}
[ $# -gt 0 ] && shift
if [ $# -gt 0 ]; then
  HARNESSES=$*
else
  HARNESSES=$(for f in tests/fuzz/fuzz_*.c; do f=${f##*/fuzz_}; echo "${f%.c}"; done)
fi
BUILD=${FUZZ_BUILD:-build-fuzz}
LIBDIR=$BUILD-san
JOBS=${FUZZ_JOBS:-2}
WORK=${FUZZ_WORK:-$LIBDIR/fuzz}
CC=${CC_FUZZ:-clang}

# The library is built by the Makefile's SAN=1 rules (clang, ASan+UBSan, per-ISA kernel
# flags); CFLAGS from the environment is appended to, adding libFuzzer's coverage hooks.
mkdir -p "$LIBDIR"
CFLAGS="-fsanitize=fuzzer-no-link" make --no-print-directory SAN=1 BUILD="$BUILD" -j"$JOBS" \
  ${FUZZ_LIB_SRC:+"LIB_SRC=$FUZZ_LIB_SRC"} "$LIBDIR/libdlfusion.a" >"$LIBDIR/fuzz-build.log" 2>&1 || {
  cat "$LIBDIR/fuzz-build.log"
  echo "fuzz: building the library failed"
  exit 2
}

# Inputs larger than this are not interesting for either format's parser.
max_len() {
  case $1 in
  onnx | plan) echo 65536 ;;
  npy) echo 4096 ;;
  *) echo 4096 ;;
  esac
}

pass=0
fail=0
mkdir -p "$WORK"
for h in $HARNESSES; do
  bin=$WORK/fuzz_$h
  if ! $CC -std=c11 -g -O1 -D_GNU_SOURCE -Iinclude -Isrc -I"$LIBDIR/gen" \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
    -o "$bin" "tests/fuzz/fuzz_$h.c" "$LIBDIR/libdlfusion.a" -lprotobuf-c -lcjson -lm -lpthread; then
    echo "fuzz_$h: build failed"
    fail=$((fail + 1))
    continue
  fi
  corpus=$WORK/corpus_$h
  mkdir -p "$corpus" "$WORK/crashes_$h"
  seeds=tests/fuzz/corpus/$h
  [ -d "$seeds" ] || seeds= # a new harness may not have seeds yet
  dict=
  [ -f "tests/fuzz/$h.dict" ] && dict=-dict=tests/fuzz/$h.dict
  echo "fuzz_$h: ${SECONDS_EACH}s, seeds ${seeds:-none}, log $WORK/fuzz_$h.log"
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    "$bin" -max_total_time="$SECONDS_EACH" -max_len="$(max_len "$h")" -rss_limit_mb=2048 \
    -timeout="${FUZZ_TIMEOUT:-10}" -print_final_stats=1 $dict -artifact_prefix="$WORK/crashes_$h/" \
    "$corpus" $seeds >"$WORK/fuzz_$h.log" 2>&1
  rc=$?
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' \
    "$WORK/fuzz_$h.log" | sed "s/^/  /"
  if [ $rc -eq 0 ]; then
    pass=$((pass + 1))
  else
    echo "fuzz_$h: FAILED (exit $rc); the end of the log:"
    grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' "$WORK/fuzz_$h.log" | head -20 | sed "s/^/  /"
    fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
