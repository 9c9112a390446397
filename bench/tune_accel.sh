#!/usr/bin/env bash
# tune_accel.sh — the DLFusion experiment on a simulated accelerator (default targets/mlu100.json),
# for every model of the design set and of the held-out set: each strategy's plan priced by the
# simulator (none, allcores, vendor, blocks, greedy, dlfusion, oracle = exact, no block cap),
# speedup over none, dlfusion/oracle, dlfusion/vendor, and the search cost: dlfusion's
# milliseconds against the oracle's block evaluations x what one evaluation would cost on the
# real part. Deterministic (simulated), so one run is the result; prints markdown.
#
# Usage: bench/tune_accel.sh [--set design|heldout|all] [--target FILE] [--models "a b ..."]
#                           [--block-model pairs|fitted]  (dlfusion's and greedy's block cost;
#                           default: the tuner's default, docs/tuning.md)
#   design   the six built-in zoo models (zoo:NAME, what every earlier tuner decision was
#            measured on) and the design cases of the model suite (tests/scripts/gen_suite.py);
#   heldout  the suite's held-out cases: never used for a decision.
# Suite models are read from $SUITE_DIR/NAME/model.onnx (default tests/fixtures/gen/suite,
# made by tests/scripts/gen_suite.py; missing ones are generated when PyTorch is there, else
# reported missing). Environment: DLF_BIN (default build/dlfusion), SUITE_DIR, EVAL_S.
#
# Search cost on the real part. One oracle evaluation = compile one candidate fusion operator
# for one core number and time it on the device. Nothing about the MLU100's compile time is
# published (shared MLU100.md lists no such figure), so EVAL_S (default 1 s per evaluation:
# a CNML fusion-op compile plus a few timed runs) is an ASSUMPTION; the table prints it.
set -eu
cd "$(dirname "$0")/.."
BIN=${DLF_BIN:-build/dlfusion}
TARGET=targets/mlu100.json
SET=all
ONLY=""
BLOCK_MODEL=""
SUITE_DIR=${SUITE_DIR:-tests/fixtures/gen/suite}
EVAL_S=${EVAL_S:-1}
PY=/usr/bin/python3
ZOO="resnet18 resnet50 vgg16 alexnet squeezenet1_0 mobilenet_v2"
while [ $# -gt 0 ]; do
  case "$1" in
    --set) SET=$2; shift 2 ;;
    --target) TARGET=$2; shift 2 ;;
    --models) ONLY=$2; shift 2 ;;
    --block-model) BLOCK_MODEL=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "tune_accel.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
case "$SET" in design|heldout|all) ;; *) echo "tune_accel.sh: --set design|heldout|all" >&2; exit 2 ;; esac
[ -x "$BIN" ] || make -s -j2 >/dev/null

wanted() { [ -z "$ONLY" ] || case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# One row: model label, spec. The --compare table's rows are
# "strategy blocks search_ms evaluations cost_us simulated_us Nx /oracle /vendor".
row() {
  local label=$1 spec=$2 out
  if ! out=$("$BIN" tune "$spec" --target "$TARGET" --compare ${BLOCK_MODEL:+--block-model "$BLOCK_MODEL"} 2>&1); then
    echo "| $label | fails: $(echo "$out" | tail -1 | cut -c1-100) |"
    return
  fi
  echo "$out" | awk -v m="$label" -v eval_s="$EVAL_S" '
    NF == 9 && $1 ~ /^(none|allcores|vendor|blocks|greedy|dlfusion|oracle)$/ {
      sim[$1] = $6; ms[$1] = $3; ev[$1] = $4 }
    END {
      est = ev["oracle"] * eval_s   # seconds on the real part (assumed per-evaluation cost)
      printf "| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.2fx | %.2fx | %.3f | %.3f | %.2f | %d | %.0f s | %.1e |\n",
        m, sim["none"], sim["allcores"], sim["vendor"], sim["blocks"], sim["greedy"],
        sim["dlfusion"], sim["oracle"], sim["none"] / sim["dlfusion"], sim["none"] / sim["oracle"],
        sim["dlfusion"] / sim["oracle"], sim["dlfusion"] / sim["vendor"], ms["dlfusion"],
        ev["oracle"], est, ms["dlfusion"] / 1e3 / est
    }'
}

header() {
  echo
  echo "### $1"
  echo
  echo "| model | none us | allcores us | vendor us | blocks us | greedy us | dlfusion us | oracle us | dlfusion speedup over none | oracle speedup over none | dlfusion/oracle | dlfusion/vendor | dlfusion search ms | oracle evaluations | oracle est. on the part | dlfusion ms / oracle est. |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
}

suite_cases() { # names of one set of the suite
  "$PY" tests/scripts/gen_suite.py --list --set "$1" | awk '{ print $1 }'
}

suite_model() { # path of a suite case's ONNX file, generated when missing (needs PyTorch)
  local f="$SUITE_DIR/$1/model.onnx"
  if [ ! -s "$f" ]; then
    "$PY" tests/scripts/gen_suite.py --out "$SUITE_DIR" --only "$1" >&2 || true
  fi
  [ -s "$f" ] && echo "$f"
}

summary() { # geometric means and the counts that matter, from the rows on stdin
  awk -F'|' -v set="$1" '
    NF > 10 && $2 !~ /model|---/ {
      r1 = $12 + 0; r2 = $13 + 0; if (r1 <= 0) next
      n++; g1 += log(r1); g2 += log(r2); if (r1 > 1.03) o++; if (r2 > 1) v++
      if (r1 > w1) { w1 = r1; m1 = $2; gsub(/ /, "", m1) }
    }
    END {
      if (!n) exit
      printf "\n%s: %d models; geometric mean dlfusion/oracle %.3f, dlfusion/vendor %.3f; dlfusion > 1.03 x oracle on %d, dlfusion > vendor on %d; worst dlfusion/oracle %.3f (%s)\n",
        set, n, exp(g1 / n), exp(g2 / n), o, v, w1, m1
    }'
}

run_set() {
  local set=$1 rows=""
  if [ "$set" = design ]; then
    header "design set (choices may be tuned on these) — $TARGET"
    for m in $ZOO; do
      wanted "$m" || wanted "zoo:$m" || continue
      r=$(row "zoo:$m" "zoo:$m"); echo "$r"; rows+="$r"$'\n'
    done
  else
    header "held-out set (never used for a decision) — $TARGET"
  fi
  for m in $(suite_cases "$set"); do
    wanted "$m" || continue
    if f=$(suite_model "$m"); then
      r=$(row "$m" "$f")
    else
      r="| $m | missing: $SUITE_DIR/$m/model.onnx (tests/scripts/gen_suite.py --only $m) |"
    fi
    echo "$r"; rows+="$r"$'\n'
  done
  printf '%s' "$rows" | summary "$set"
}

echo "bench/tune_accel.sh: target $TARGET, block model ${BLOCK_MODEL:-default}, oracle evaluation on the part assumed ${EVAL_S} s (compile + run; not published for the MLU100)"
[ "$SET" = heldout ] || run_set design
[ "$SET" = design ] || run_set heldout
