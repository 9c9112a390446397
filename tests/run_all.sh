#!/usr/bin/env bash
# run_all.sh BUILD_DIR [--quick|--valgrind] — runs every test suite against the
# binaries in BUILD_DIR and ends with the total "N passed, N failed". Each suite is
# a command whose last line is "N passed, N failed". --quick runs the suites that
# do not need PyTorch fixtures (used for the sanitizer build). --valgrind runs what
# fits in about 3 minutes under Valgrind memcheck (any error or leak fails the
# suite): the bad-input table, the reader/API unit tests and the engine's small graphs.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
quick=${2:-}
export DLF_BUILD=$build
export DLF_BIN=$build/dlfusion
# The CPU profile cache (dlf_profile_cached) of this run only: tests neither read a profile
# another run left in ~/.cache nor leave one there.
XDG_CACHE_HOME=$(mktemp -d /tmp/dlf_test_cache.XXXXXX)
export XDG_CACHE_HOME
trap 'rm -rf "$XDG_CACHE_HOME"' EXIT

suites=(
  "unit|$build/dlf_tests"
  "cli|tests/cli/run.sh"
  "errors|tests/cli/errors.sh"
  "layers|tests/scripts/check_layers.sh"
  "visual|tests/cli/visual.sh"
)
if [ "$quick" = "--valgrind" ]; then
  # Wrappers, so that the suites (which run $DLF_BIN) need not know about Valgrind.
  # Valgrind's CPUID hides AVX-512, so the fast engine runs its AVX2 path here.
  # Zoo-model inference is left out: one squeezenet run takes minutes under memcheck.
  vg=$build/valgrind
  mkdir -p "$vg"
  for b in dlfusion dlf_tests; do
    printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full \\\n  %s "%s" "$@"\n' \
      "--errors-for-leak-kinds=definite,possible --show-leak-kinds=definite,possible" \
      "$PWD/$build/$b" >"$vg/$b"
    chmod +x "$vg/$b"
  done
  export DLF_BIN=$vg/dlfusion
  log_dir=$vg/test-logs
  # The CLI's run.sh is left out (about 10 minutes under memcheck); the engine's small-graph
  # tests cover each step kind on the generic and AVX2 paths, 1 and 2 threads.
  suites=(
    "unit-onnx|$vg/dlf_tests test_onnx_import"
    "unit-npy|$vg/dlf_tests test_npy"
    "unit-fuzz-regressions|$vg/dlf_tests test_fuzz_regressions"
    "unit-api|$vg/dlf_tests test_api"
    "unit-passes|$vg/dlf_tests test_passes"
    "unit-limits|$vg/dlf_tests test_limits"
    "unit-determinism-fixture|$vg/dlf_tests test_determinism_fixture"
    "unit-kernels-pool|$vg/dlf_tests test_kernels_pool"
    "unit-kernels-winograd|$vg/dlf_tests test_kernels_winograd"
    "unit-target|$vg/dlf_tests test_target"
    "unit-tune-search|$vg/dlf_tests test_tune_search"
  )
  for f in conv grouped depthwise maxpool avgpool gap gemm concat; do
    suites+=("unit-engine-$f|$vg/dlf_tests test_engine_$f")
  done
  suites+=("errors|tests/cli/errors.sh")
elif [ "$quick" != "--quick" ]; then
  suites+=(
    "models|tests/scripts/test_models.sh"
    "zoo|tests/scripts/test_zoo.sh"
    "conformance|tests/scripts/test_conformance.sh"
    "install|tests/install/run.sh"
    # Every case of the model suite, big ones included (about 50 s on 2 vCPUs once generated;
    # generation about 2.5 min on a fresh clone). Known failures: tests/scripts/suite_known_failures.txt.
    "suite|tests/scripts/test_suite.sh --full"
  )
fi

# Per-suite wall-clock limit, seconds: the slowest suite (the model suite on a fresh clone, or
# a unit suite under Valgrind) takes ~3 min on 2 vCPUs; 25 min is a hang, not a slow machine.
suite_timeout=${DLF_SUITE_TIMEOUT:-1500}
total_pass=0
total_fail=0
total_skip=0
log_dir=${log_dir:-$build/test-logs}
mkdir -p "$log_dir"
for s in "${suites[@]}"; do
  name=${s%%|*}
  cmd=${s#*|}
  exe=${cmd%% *}
  if [ ! -x "$exe" ]; then
    echo "== $name: $exe missing"
    total_fail=$((total_fail + 1))
    continue
  fi
  echo "== $name"
  start=$(date +%s)
  # A hang fails its suite after suite_timeout seconds instead of running to CI's limit.
  timeout --kill-after=10 "$suite_timeout" $cmd 2>&1 | tee "$log_dir/$name.log" |
    grep -Ev '^(ok|PASS) ' | tail -n 40
  rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "== $name: timed out after $suite_timeout s (DLF_SUITE_TIMEOUT)"
    total_fail=$((total_fail + 1))
    continue
  fi
  last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log_dir/$name.log" | tail -n 1)
  if [ -z "$last" ]; then
    echo "== $name: no result line (exit $rc)"
    total_fail=$((total_fail + 1))
    continue
  fi
  p=$(echo "$last" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1/')
  f=$(echo "$last" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\2/')
  k=$(echo "$last" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # a crash after the summary
  echo "== $name: $p passed, $f failed, ${k:-0} skipped ($(( $(date +%s) - start )) s)"
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  total_skip=$((total_skip + ${k:-0}))
done
echo "($total_skip skipped: each suite says which and why)"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
