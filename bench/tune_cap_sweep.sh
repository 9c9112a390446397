#!/usr/bin/env bash
# tune_cap_sweep.sh — what the fitted strategies' block-length cap (--max-block-layers,
# TUNE_DEFAULT_MAX_BLOCK_LAYERS) does to dlfusion on a simulated accelerator: for each model of a
# set, dlfusion/oracle (the oracle exact, uncapped) and dlfusion's search ms at each cap, and the
# geometric mean per cap. The cap is a design choice, so it is decided on the design set only
# (docs/tuning.md, "which set each decision was measured on"); --set heldout only reports.
# Usage: bench/tune_cap_sweep.sh [--set design|heldout] [--target FILE] [--caps "4 8 12 ..."]
# Environment as bench/tune_accel.sh (DLF_BIN, SUITE_DIR).
set -eu
cd "$(dirname "$0")/.."
BIN=${DLF_BIN:-build/dlfusion}
TARGET=targets/mlu100.json
SET=design
CAPS="4 8 12 16 24 32 64"
SUITE_DIR=${SUITE_DIR:-tests/fixtures/gen/suite}
ZOO="resnet18 resnet50 vgg16 alexnet squeezenet1_0 mobilenet_v2"
while [ $# -gt 0 ]; do
  case "$1" in
    --set) SET=$2; shift 2 ;;
    --target) TARGET=$2; shift 2 ;;
    --caps) CAPS=$2; shift 2 ;;
    *) echo "tune_cap_sweep.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -x "$BIN" ] || make -s -j2 >/dev/null
specs=""
[ "$SET" = design ] && for m in $ZOO; do specs+="zoo:$m "; done
for m in $(/usr/bin/python3 tests/scripts/gen_suite.py --list --set "$SET" | awk '{ print $1 }'); do
  [ -s "$SUITE_DIR/$m/model.onnx" ] && specs+="$SUITE_DIR/$m/model.onnx "
done
# the record of the plan written with -o: "vs_oracle": R
plan=$(mktemp)
trap 'rm -f "$plan"' EXIT
echo "$SET set, $TARGET: dlfusion/oracle (search ms) at each --max-block-layers"
echo
printf '| model |'; for c in $CAPS; do printf ' cap %s |' "$c"; done; echo
printf '|---|'; for c in $CAPS; do printf -- '---|'; done; echo
for s in $specs; do
  name=$s
  case "$s" in */model.onnx) name=$(basename "$(dirname "$s")") ;; esac
  printf '| %s |' "$name"
  for c in $CAPS; do
    if out=$("$BIN" tune "$s" --target "$TARGET" --max-block-layers "$c" -o "$plan" 2>/dev/null); then
      ms=$(echo "$out" | sed -n 's/^plan (dlfusion): .* search \([0-9.]*\) ms.*/\1/p')
      r=$(sed -n 's/.*"vs_oracle": \([0-9.e+-]*\).*/\1/p' "$plan")
      printf ' %.3f (%.1f) |' "$r" "$ms"
    else
      printf ' fails |'
    fi
  done
  echo
done | awk -F'|' -v caps="$CAPS" '
  { print }
  NF > 3 && $2 !~ /model|---/ {
    for (i = 3; i < NF; i++) { split($i, a, " "); if (a[1] + 0 > 0) { g[i] += log(a[1]); n[i]++ } }
  }
  END {
    printf "| geometric mean |"
    for (i = 3; i < 3 + split(caps, cs, " "); i++) printf " %.3f |", n[i] ? exp(g[i] / n[i]) : 0
    printf "\n"
  }'
