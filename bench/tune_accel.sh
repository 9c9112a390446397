#!/usr/bin/env bash
# tune_accel.sh — the DLFusion experiment on the simulated MLU100 (targets/mlu100.json): for
# each zoo model, every tuning strategy's plan priced by the simulator, the search time, and
# the speedup over no optimization (each layer alone on one core, the paper's baseline).
# Deterministic (simulated), so one run is the result. Usage: bench/tune_accel.sh [MODELS]
set -eu
cd "$(dirname "$0")/.."
BIN=${DLF_BIN:-build/dlfusion}
TARGET=${TARGET:-targets/mlu100.json}
MODELS=${1:-"resnet18 resnet50 vgg16 alexnet squeezenet1_0 mobilenet_v2"}
[ -x "$BIN" ] || make -s -j2 >/dev/null
echo "| model | none us | blocks us | greedy us | dlfusion us | oracle us | dlfusion/oracle | speedup over none | dlfusion search ms |"
echo "|---|---|---|---|---|---|---|---|---|"
for m in $MODELS; do
  "$BIN" tune "zoo:$m" --target "$TARGET" --compare | awk -v m="$m" '
    $1 ~ /^(none|blocks|greedy|dlfusion|oracle)$/ && NF == 6 { sim[$1] = $5; ms[$1] = $3 }
    END {
      printf "| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.3f | %.2fx | %.2f |\n", m, sim["none"],
        sim["blocks"], sim["greedy"], sim["dlfusion"], sim["oracle"],
        sim["dlfusion"] / sim["oracle"], sim["none"] / sim["dlfusion"], ms["dlfusion"]
    }'
done
