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

# ------------------------------------------------------------------- report
# check_page NAME PAGE PLAN: self-contained (nothing fetched), then in headless Chromium: no
# console message and no script error (the page's onerror handler writes REPORT-JS-ERROR into
# the title), exactly one <g class="block"> per plan block, and a screenshot that is not blank
# (a PNG of a blank page of the same size is a few KB; a drawn one is many times larger).
CHROME=$(command -v chromium || command -v chromium-browser || true)
chrome() { timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --enable-logging=stderr --v=0 --window-size=1100,1400 "$@"; }
check_page() {
  local name=$1 page=$2 plan=$3
  if grep -qiE 'https?://|<link|<img|src=' "$page"; then
    bad "${name}_self_contained" "$(grep -oiE 'https?://[^" ]*|<link[^>]*|<img[^>]*|src=[^ >]*' "$page" | head -3)"
  else
    ok "${name}_self_contained"
  fi
  if [ -z "$CHROME" ]; then skipped "${name}_in_chromium" "no chromium (apt-get install chromium)"; return; fi
  chrome --dump-dom "file://$(realpath "$page")" >"$TMP/dom.html" 2>"$TMP/chrome.err"
  if grep -q '<title>REPORT-JS-ERROR' "$TMP/dom.html"; then bad "${name}_no_script_error" "the page's onerror fired"
  elif grep -qE 'CONSOLE|Uncaught' "$TMP/chrome.err"; then bad "${name}_no_script_error" "$(grep -m2 -E 'CONSOLE|Uncaught' "$TMP/chrome.err")"
  elif ! grep -q '<title>dlfusion report' "$TMP/dom.html"; then bad "${name}_no_script_error" "no page in the DOM: $(tail -c 300 "$TMP/chrome.err")"
  else ok "${name}_loads_without_console_output"; fi
  local want got
  want=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["blocks"]))' "$plan")
  got=$(grep -o '<g class="block"' "$TMP/dom.html" | wc -l)
  [ "$got" -eq "$want" ] && ok "${name}_one_group_per_block" || bad "${name}_one_group_per_block" "$got groups, $want blocks"
  chrome --screenshot="$TMP/$name.png" "file://$(realpath "$page")" >/dev/null 2>&1
  printf '<!DOCTYPE html><html><head><title>blank</title></head><body></body></html>' >"$TMP/blank.html"
  chrome --screenshot="$TMP/blank.png" "file://$TMP/blank.html" >/dev/null 2>&1
  local a b
  a=$(stat -c %s "$TMP/$name.png" 2>/dev/null || echo 0)
  b=$(stat -c %s "$TMP/blank.png" 2>/dev/null || echo 0)
  if [ "$b" -gt 0 ] && [ "$a" -gt $((b * 5)) ]; then ok "${name}_screenshot_not_blank"
  else bad "${name}_screenshot_not_blank" "screenshot $a bytes, blank page $b bytes"; fi
  [ -n "${DLF_REPORT_SHOTS:-}" ] && cp "$TMP/$name.png" "$DLF_REPORT_SHOTS/$name.png"
}
# the check can fail: a page whose script throws is caught
if [ -n "$CHROME" ]; then
  printf '<!DOCTYPE html><html><head><script>window.onerror=function(){document.title="REPORT-JS-ERROR";};</script><title>dlfusion report</title></head><body><script>no_such_function();</script></body></html>' >"$TMP/throws.html"
  chrome --dump-dom "file://$TMP/throws.html" >"$TMP/dom.html" 2>"$TMP/chrome.err"
  if grep -q '<title>REPORT-JS-ERROR' "$TMP/dom.html" && grep -qE 'CONSOLE|Uncaught' "$TMP/chrome.err"; then
    ok report_check_catches_a_script_error
  else
    bad report_check_catches_a_script_error "neither the title marker nor a console line"
  fi
fi
# a tuned CPU plan (measured per block) and an accelerator plan (simulated per block)
if "$BIN" report zoo:squeezenet1_0 --plan "$TMP/sq.cpu.json" --profile "$TMP/cpu.profile.json" \
  --runs 1 -o "$TMP/cpu.html" >/dev/null 2>"$TMP/err"; then
  check_page report_cpu "$TMP/cpu.html" "$TMP/sq.cpu.json"
else
  bad report_cpu_writes "$(head -c 300 "$TMP/err")"
fi
mkdir -p "$TMP/csv"
if "$BIN" report zoo:resnet18 --plan "$TMP/r18.mlu.json" --target targets/mlu100.json \
  -o "$TMP/accel.html" --csv "$TMP/csv" >/dev/null 2>"$TMP/err"; then
  # The characterization's numbers: the profile's samples recomputed independently here.
  "$BIN" profile --target targets/mlu100.json -o "$TMP/mlu.profile.json" >/dev/null 2>&1
  if out=$(python3 - "$TMP/mlu.profile.json" "$TMP/csv" <<'PY' 2>&1
import csv, json, math, sys
from collections import defaultdict
s = json.load(open(sys.argv[1]))["samples"]
ks = sorted({x["cores"] for x in s})
key = lambda x: (x["op"], x["h"], x["w"], x["cin"], x["cout"], x["k"], x["stride"], x["fused"])
base = {key(x): x["us"] for x in s if x["cores"] == ks[0]}
acc = defaultdict(list)
for x in s:
    if x["op"] == "conv" and x["fused"] == 1 and x["us"] > 0 and key(x) in base:
        d = min(max(int(math.floor(math.log10(x["macs"]))), 0), 11)
        acc[(d, x["cores"])].append(math.log(base[key(x)] / x["us"]))
rows = list(csv.DictReader(open(sys.argv[2] + "/characterization_speedup.csv")))
assert len(rows) == len(acc) > 0, (len(rows), len(acc))
for r in rows:
    v = acc[(int(r["macs_from"][2:]), int(r["cores"]))]
    assert int(r["samples"]) == len(v), r
    assert abs(float(r["speedup_geomean"]) - math.exp(sum(v) / len(v))) < 1e-3, r
    if int(r["cores"]) == ks[0]: assert float(r["speedup_geomean"]) == 1.0, r
fused = [x for x in s if x["fused"] > 1 and x["us"] > 0 and x["us_unfused"] > 0]
rows = list(csv.DictReader(open(sys.argv[2] + "/characterization_fusion.csv")))
assert len(rows) == len(fused) > 0, (len(rows), len(fused))
for r, x in zip(rows, fused):
    assert abs(float(r["benefit"]) - x["us_unfused"] / x["us"]) < 1e-3, (r, x)
print(len(acc), "speedup points,", len(fused), "fused pairs")
PY
  ); then ok "report_characterization_csv_matches_profile ($out)"; else bad report_characterization_csv_matches_profile "$(tail -n 2 <<<"$out")"; fi
  n=$(grep -c 'aria-label="speedup against core number"\|aria-label="fusion benefit against channel size"' "$TMP/accel.html")
  [ "$n" -eq 2 ] && ok report_has_both_characterization_figures || bad report_has_both_characterization_figures "$n figures"
  # the timeline: one group per block, blocks back to back, as long as the simulated total
  if out=$(python3 - "$TMP/accel.html" "$TMP/r18.mlu.json" <<'PY' 2>&1
import json, re, sys
h = open(sys.argv[1]).read()
svg = h[h.index('aria-label="timeline"'):]
svg = svg[:svg.index('</svg>')]
groups = re.findall(r'<g><title>block (\d+): (\d+) cores, ([0-9.]+) us', svg)
plan = json.load(open(sys.argv[2]))
assert [int(g[0]) for g in groups] == list(range(len(plan["blocks"]))), groups
assert [int(g[1]) for g in groups] == [b["cores"] for b in plan["blocks"]]
total = sum(float(g[2]) for g in groups)
assert abs(total - plan["tuner"]["simulated_us"]) <= 0.001 * total + 0.5, (total, plan["tuner"]["simulated_us"])
print(len(groups), "blocks,", round(total, 1), "us")
PY
  ); then ok "report_timeline_blocks_and_total ($out)"; else bad report_timeline_blocks_and_total "$(tail -n 2 <<<"$out")"; fi
  check_page report_accel "$TMP/accel.html" "$TMP/r18.mlu.json"
else
  bad report_accel_writes "$(head -c 300 "$TMP/err")"
fi
# The largest suite model, every layer its own block (433 labels): no two labels or layer
# boxes overlap and no text is longer than its box holds (tests/scripts/gen_suite.py makes it).
DN=${DLF_SUITE_GEN:-tests/fixtures/gen/suite}/densenet169/model.onnx
if [ ! -f "$DN" ]; then
  skipped report_densenet169_no_overlap "$DN missing (tests/scripts/gen_suite.py)"
else
  "$BIN" plan "$DN" --cores 1 -o "$TMP/dn.plan.json" >/dev/null
  "$BIN" report "$DN" --plan "$TMP/dn.plan.json" --target targets/mlu100.json -o "$TMP/dn.html" >/dev/null
  if out=$(python3 - "$TMP/dn.html" <<'PY' 2>&1
import re, sys
html = open(sys.argv[1]).read()
svg = html[html.index('<svg id="graph"'):]
svg = svg[:svg.index('</svg>')]
# block labels: one per block, at least 13 px apart (10 px font)
ys = [int(y) for y in re.findall(r'<text class="lbl" x="\d+" y="(\d+)"', svg)]
assert ys == sorted(ys) and all(b - a >= 13 for a, b in zip(ys, ys[1:])), "labels overlap"
# layer boxes (170 x 16): none intersects another
boxes = [tuple(map(int, m)) for m in re.findall(r'<rect class="n" x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"', svg)]
cells = {}
for x, y, w, h in boxes:
    for (x2, y2, w2, h2) in cells.get(y // 22, []):
        assert not (x < x2 + w2 and x2 < x + w and y < y2 + h2 and y2 < y + h), ("boxes overlap", x, y)
    cells.setdefault(y // 22, []).append((x, y, w, h))
# layer texts fit their boxes: <= 27 characters of a 10 px font (about 6 px each) in 170 px
texts = re.findall(r'<text x="\d+" y="\d+">([^<]*)</text>', svg)
long = [t for t in texts if len(t.replace('&amp;', '&').replace('…', '.')) > 27]
assert not long, ("texts longer than their boxes", long[:3])
print(len(ys), "labels,", len(boxes), "boxes")
PY
  ); then ok "report_densenet169_no_overlap ($out)"; else bad report_densenet169_no_overlap "$(tail -n 2 <<<"$out")"; fi
  check_page report_densenet169 "$TMP/dn.html" "$TMP/dn.plan.json"
fi

echo "($skip skipped)"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
