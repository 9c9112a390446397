#!/usr/bin/env bash
# tune_cpu.sh — the DLFusion experiment on this machine's CPU: profile it once, then for each
# model every tuning strategy's plan run and timed interleaved (`dlfusion tune --compare`:
# none = each layer on one core, allcores = each layer on all cores, vendor = maximal fused
# runs on the one core number measured fastest, blocks = natural blocks, greedy, dlfusion,
# oracle = every candidate block of up to MAX_BLOCK_LAYERS layers measured), with speedup over
# none and dlfusion/oracle, dlfusion/vendor. Speed figures are medians of interleaved runs in
# one process; run it on a quiet machine.
# Usage: bench/tune_cpu.sh [MODELS] (env PROFILE=file to reuse one)
set -eu
cd "$(dirname "$0")/.."
BIN=${DLF_BIN:-build/dlfusion}
MODELS=${1:-"squeezenet1_0 mobilenet_v2 resnet18"}
[ -x "$BIN" ] || make -s -j2 >/dev/null
PROFILE=${PROFILE:-$(mktemp /tmp/dlf-cpu-profile.XXXXXX.json)}
[ -s "$PROFILE" ] || "$BIN" profile -o "$PROFILE" >/dev/null
echo "profile: $PROFILE"
for m in $MODELS; do
  echo
  echo "== zoo:$m"
  "$BIN" tune "zoo:$m" --profile "$PROFILE" --compare --max-block-layers "${MAX_BLOCK_LAYERS:-8}" \
    --runs "${RUNS:-5}" | sed -n '/^strategy/,/^$/p'
done
