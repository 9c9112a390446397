#!/usr/bin/env bash
# accel_sensitivity.sh — how the oracle's plan and dlfusion/oracle move when each ASSUMED
# parameter of an accelerator target (docs/targets.md marks them) is scaled x0.5 and x2, on
# the detailed simulator. Published parameters (MLU100.md facts) are not varied. For each
# (parameter, scale, model): the oracle's block count, its layers per core number ("k:layers"),
# the oracle's and dlfusion's simulated us and their ratio. Deterministic (simulated).
# Usage: bench/accel_sensitivity.sh [TARGET [MODELS]]   (DLF_BIN: the CLI, default build/dlfusion)
set -eu
cd "$(dirname "$0")/.."
BIN=${DLF_BIN:-build/dlfusion}
TARGET=${1:-targets/mlu100.json}
MODELS=${2:-"resnet18 squeezenet1_0 mobilenet_v2"}
# section.key of every assumed parameter of targets/mlu100.json (docs/targets.md)
PARAMS=${PARAMS:-"accel.lanes accel.onchip_bytes_per_core accel.launch_us accel.sync_base_us accel.sync_per_log2_us sim.vector_elems_per_cycle sim.dma_setup_us"}
[ -x "$BIN" ] || make -s -j2 >/dev/null
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# scaled copy of the target: integers stay integers (lanes 32 -> 16 / 64)
scaled() { # param scale out
  python3 - "$TARGET" "$1" "$2" "$3" <<'PY'
import json, sys
src, param, scale, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
t = json.load(open(src))
sec, key = param.split(".")
v = t[sec][key]
t[sec][key] = int(round(v * scale)) if isinstance(v, int) else v * scale
json.dump(t, open(out, "w"), indent=1)
print(t[sec][key])
PY
}

row() { # label value file model
  local oracle cmp
  oracle=$("$BIN" tune "zoo:$4" --target "$3" --strategy oracle)
  cmp=$("$BIN" tune "zoo:$4" --target "$3" --compare)
  printf '%s\n' "$oracle" | awk -v lab="$1" -v val="$2" -v m="$4" -v cmp="$cmp" '
    /^plan \(oracle\)/ { blocks = $3 }
    $1 ~ /^[0-9]+$/ && NF >= 5 { k = $(NF - 1) + 0; n = $(NF - 2); layers[k] += n }
    END {
      split(cmp, lines, "\n")
      for (i in lines) {
        split(lines[i], f, " ")
        if ((f[1] == "dlfusion" || f[1] == "oracle" || f[1] == "none") && length(f) == 6) sim[f[1]] = f[5]
      }
      sorted = ""
      for (k = 1; k <= 1024; k++) if (k in layers) sorted = sorted sprintf("%d:%d ", k, layers[k])
      printf "| %s | %s | %s | %d | %s| %.0f | %.0f | %.3f | %.2fx |\n", lab, val, m, blocks, sorted,
        sim["oracle"], sim["dlfusion"], sim["dlfusion"] / sim["oracle"], sim["none"] / sim["oracle"]
    }'
}

echo "target: $TARGET"
echo
echo "| parameter | value | model | oracle blocks | oracle k:layers | oracle us | dlfusion us | dlfusion/oracle | none/oracle |"
echo "|---|---|---|---|---|---|---|---|---|"
for m in $MODELS; do row "(as in the file)" "-" "$TARGET" "$m"; done
for p in $PARAMS; do
  for s in 0.5 2; do
    v=$(scaled "$p" "$s" "$T/t.json")
    for m in $MODELS; do row "$p x$s" "$v" "$T/t.json" "$m"; done
  done
done
