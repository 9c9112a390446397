#!/usr/bin/env bash
# tune_cpu.sh — the DLFusion experiment on this machine's CPU, with measured validation. For
# each model of the design and held-out sets: `dlfusion tune MODEL -o plan.json` (the CPU
# profile made once and cached, docs/tuning.md), whose measured validation times, interleaved
# in one process, the validated plan, the cost model's plan (`--budget 0`, the paper's
# method) and the baselines (allcores = each layer alone on all cores, blocks = natural
# blocks, vendor = maximal fused runs on each core number); this prints their medians from
# the plan's tuner record, the chosen plan's speedup over each, and the tuning seconds (the
# profile's time is not in them: it is made once, reported on the first line).
# With --oracle, `dlfusion tune --compare` also measures the CPU oracle (minutes per model).
#
# Usage: bench/tune_cpu.sh [--set design|heldout|all] [--models "a b"] [--budget S] [--oracle]
# Suite ONNX files come from $SUITE_DIR (default tests/fixtures/gen/suite, made by
# tests/scripts/gen_suite.py). Speed figures are medians of interleaved runs on a shared
# 2-vCPU VM: read a ratio within ~0.05 of 1.0 as a tie, and run it on a quiet machine.
set -eu
cd "$(dirname "$0")/.."
BIN=${DLF_BIN:-build/dlfusion}
SUITE_DIR=${SUITE_DIR:-tests/fixtures/gen/suite}
SET=design
ONLY=""
BUDGET=10
ORACLE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --set) SET=$2; shift 2 ;;
    --models) ONLY=$2; shift 2 ;;
    --budget) BUDGET=$2; shift 2 ;;
    --oracle) ORACLE=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "tune_cpu.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -x "$BIN" ] || make -s -j2 >/dev/null
OUT=$(mktemp -d /tmp/dlf_tune_cpu.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

# The sets: the six zoo models are the design set's first rows; the suite's cases by its sets.
models_of() {
  case "$1" in
    design) echo "zoo:resnet18 zoo:mobilenet_v2 zoo:squeezenet1_0 zoo:resnet50 zoo:vgg16 zoo:alexnet"
            /usr/bin/python3 tests/scripts/gen_suite.py --list --set design 2>/dev/null | awk '{print $1}' | grep -vxE "resnet18|mobilenet_v2|squeezenet1_0|resnet50|vgg16|alexnet" || true ;;
    heldout) /usr/bin/python3 tests/scripts/gen_suite.py --list --set heldout 2>/dev/null | awk '{print $1}' || true ;;
  esac
}
path_of() {
  case "$1" in zoo:*) echo "$1" ;; *) echo "$SUITE_DIR/$1/model.onnx" ;; esac
}

s0=$(date +%s.%N)
"$BIN" tune zoo:squeezenet1_0 --budget 0 -o "$OUT/warm.json" >/dev/null 2>"$OUT/warm.err"
s1=$(date +%s.%N)
echo "CPU profile: $(grep -o '/[^ ]*profile-[^ ]*\.json' "$OUT/warm.err" | head -1) (this run's first tune incl. any profiling: $(echo "$s1 - $s0" | bc) s)"
for set in design heldout; do
  [ "$SET" = all ] || [ "$SET" = "$set" ] || continue
  list=${ONLY:-$(models_of "$set")}
  echo
  echo "### $set set"
  echo
  echo "| model | validated ms | model ms (budget 0) | allcores ms | blocks ms | vendor ms (best k) | chosen | vs model | vs allcores | vs blocks | vs vendor | iterations | others' cores | tune s |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for m in $list; do
    p=$(path_of "$m")
    case "$p" in zoo:*) ;; *) [ -s "$p" ] || { echo "| $m | missing $p |"; continue; } ;; esac
    t0=$(date +%s.%N)
    "$BIN" tune "$p" --budget "$BUDGET" -o "$OUT/plan.json" >/dev/null 2>&1 || { echo "| $m | tune failed |"; continue; }
    t1=$(date +%s.%N)
    /usr/bin/python3 - "$OUT/plan.json" "$m" "$(echo "$t1 - $t0" | bc)" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))["tuner"]["validation"]
c = {x["name"]: x["median_ms"] for x in v["candidates"]}
vendor = min(ms for n, ms in c.items() if n.startswith("vendor"))
chosen = c[v["chosen"]]
val = min(ms for n, ms in c.items() if n.startswith("dlfusion (validated"))  if any(
    n.startswith("dlfusion (validated") for n in c) else c["dlfusion (model)"]
f = lambda x: "%.3f" % x
print("| %s | %s | %s | %s | %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %d | %.2f | %s |" % (
    sys.argv[2], f(val), f(c["dlfusion (model)"]), f(c["allcores"]), f(c["blocks"]), f(vendor),
    v["chosen"], c["dlfusion (model)"] / chosen, c["allcores"] / chosen, c["blocks"] / chosen,
    vendor / chosen, v["iterations"], v.get("others_cores", -1), sys.argv[3][:5]))
PY
    if [ "$ORACLE" = 1 ]; then
      "$BIN" tune "$p" --budget "$BUDGET" --compare | sed -n '/^strategy/,/^dlfusion\/oracle/p'
    fi
  done
done
