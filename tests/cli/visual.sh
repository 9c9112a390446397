#!/usr/bin/env bash
# visual.sh — checks of what dlfusion draws and explains: `dot` output renders with Graphviz
# (one cluster per plan block), `explain --json` agrees with the plan's tuner record, and
# `report` pages load in headless Chromium without console errors, with one block group per
# plan block and a non-blank screenshot. Uses $DLF_BIN (default build/dlfusion); skips the
# renderer checks whose program is missing (scripts/setup.sh installs graphviz and chromium).
# Prints "ok NAME" / "FAIL NAME: ..." / "skip NAME: ..." and ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
BIN=${DLF_BIN:-build/dlfusion}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0
skip=0
ok() { echo "ok $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
skipped() { echo "skip $1: $2"; skip=$((skip + 1)); }

# ------------------------------------------------------------------- dot
"$BIN" plan --fuse blocks zoo:resnet18 -o "$TMP/r18.plan.json" >/dev/null
if "$BIN" dot zoo:resnet18 --plan "$TMP/r18.plan.json" -o "$TMP/r18.dot" 2>"$TMP/err"; then
  ok dot_writes
else
  bad dot_writes "$(head -c 300 "$TMP/err")"
fi
want=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["blocks"]))' "$TMP/r18.plan.json")
if [ "$(grep -c '^  subgraph cluster_' "$TMP/r18.dot")" -eq "$want" ]; then
  ok dot_one_cluster_per_block
else
  bad dot_one_cluster_per_block "$(grep -c '^  subgraph cluster_' "$TMP/r18.dot") clusters, plan has $want blocks"
fi
if ! command -v dot >/dev/null; then
  skipped dot_renders "no 'dot' (apt-get install graphviz)"
elif dot -Tsvg "$TMP/r18.dot" -o "$TMP/r18.svg" 2>"$TMP/err"; then
  # Graphviz writes each cluster as <g id="clustN" class="cluster">
  got=$(grep -c 'class="cluster"' "$TMP/r18.svg")
  if [ "$got" -eq "$want" ]; then ok dot_renders_one_svg_cluster_per_block
  else bad dot_renders_one_svg_cluster_per_block "$got cluster groups in the SVG, $want blocks"; fi
  # every layer is drawn as a node
  nodes=$(grep -c 'class="node"' "$TMP/r18.svg")
  [ "$nodes" -gt 0 ] && ok dot_renders_nodes || bad dot_renders_nodes "$nodes nodes"
else
  bad dot_renders_one_svg_cluster_per_block "dot -Tsvg failed: $(head -c 300 "$TMP/err")"
fi
"$BIN" dot zoo:resnet18 >"$TMP/plain.dot"
if [ "$(grep -c cluster_ "$TMP/plain.dot")" -eq 0 ] && grep -q 'L3 -> L5;' "$TMP/plain.dot"; then
  ok dot_without_plan_has_edges_no_clusters
else
  bad dot_without_plan_has_edges_no_clusters "$(head -c 300 "$TMP/plain.dot")"
fi

# ------------------------------------------------------------------- explain
# One source of truth: explain --json recomputes each block's cost at every core number with the
# profile the plan was tuned on, and must give the numbers the plan's tuner record kept.
# match_record NAME PLAN EXPLAIN_JSON: per block, cost_us and at_cores_us equal (%.6g both).
match_record() {
  if out=$(python3 - "$2" "$3" <<'PY' 2>&1
import json, sys
plan = json.load(open(sys.argv[1]))
ex = json.load(open(sys.argv[2]))
rec = plan["tuner"]["blocks"]
assert len(rec) == len(ex["blocks"]) == len(plan["blocks"]), (len(rec), len(ex["blocks"]))
assert plan["tuner"]["cost"] == ex["cost"], (plan["tuner"]["cost"], ex["cost"])
for r, e in zip(rec, ex["blocks"]):
    assert r["cores"] == e["cores"], (e["block"], r["cores"], e["cores"])
    assert r["cost_us"] == e["cost_us"] == e["recorded_us"], (e["block"], r["cost_us"], e["cost_us"])
    assert r["at_cores_us"] == e["at_cores_us"], (e["block"], r["at_cores_us"], e["at_cores_us"])
    if "simulated_us" in r:
        assert r["simulated_us"] == e["simulated_us"], (e["block"], r["simulated_us"], e["simulated_us"])
# the record's total is the blocks' sum
tot = sum(r["cost_us"] for r in rec)
assert abs(tot - plan["tuner"]["cost_us"]) <= 1e-4 * max(1.0, tot), (tot, plan["tuner"]["cost_us"])
print(len(rec), "blocks")
PY
  ); then ok "$1"; else bad "$1" "$(tail -n 3 <<<"$out")"; fi
}
"$BIN" profile --quick --runs 1 -o "$TMP/cpu.profile.json" >/dev/null 2>&1
"$BIN" tune zoo:squeezenet1_0 --profile "$TMP/cpu.profile.json" -o "$TMP/sq.cpu.json" >/dev/null
if "$BIN" explain zoo:squeezenet1_0 --plan "$TMP/sq.cpu.json" --profile "$TMP/cpu.profile.json" \
  --json >"$TMP/sq.cpu.explain.json" 2>"$TMP/err"; then
  match_record explain_json_matches_cpu_tuner_record "$TMP/sq.cpu.json" "$TMP/sq.cpu.explain.json"
else
  bad explain_json_matches_cpu_tuner_record "$(head -c 300 "$TMP/err")"
fi
"$BIN" tune zoo:resnet18 --target targets/mlu100.json -o "$TMP/r18.mlu.json" >/dev/null
"$BIN" explain zoo:resnet18 --plan "$TMP/r18.mlu.json" --target targets/mlu100.json --json \
  >"$TMP/r18.mlu.explain.json" 2>"$TMP/err" || cat "$TMP/err"
match_record explain_json_matches_accelerator_tuner_record "$TMP/r18.mlu.json" "$TMP/r18.mlu.explain.json"
# the accelerator oracle decides by the simulator: explain without a profile prices by it too
"$BIN" tune zoo:resnet18 --target targets/mlu100.json --strategy oracle -o "$TMP/r18.oracle.json" >/dev/null
"$BIN" explain zoo:resnet18 --plan "$TMP/r18.oracle.json" --target targets/mlu100.json --json \
  >"$TMP/r18.oracle.explain.json" 2>"$TMP/err" || cat "$TMP/err"
match_record explain_json_matches_oracle_tuner_record "$TMP/r18.oracle.json" "$TMP/r18.oracle.explain.json"
"$BIN" explain zoo:resnet18 --plan "$TMP/r18.mlu.json" --target targets/mlu100.json --block 1 >"$TMP/out"
if [ "$(grep -c '^block ' "$TMP/out")" -eq 1 ] && grep -q '^  decided by: ' "$TMP/out"; then
  ok explain_text_one_block
else
  bad explain_text_one_block "$(head -c 300 "$TMP/out")"
fi

echo "($skip skipped)"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
