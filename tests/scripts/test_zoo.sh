#!/usr/bin/env bash
# test_zoo.sh — checks the built-in zoo: peak activation memory <= 2x the largest layer's input +
# output (all six models), and against torchvision (zoo_check.py): MACs and parameters of
# `dlfusion info`, state_dict names, `dlfusion run` outputs vs PyTorch. Last line: "N passed, N failed".
# Usage: tests/scripts/test_zoo.sh [--all] [MODEL ...]   (DLF_BIN selects the binary, default build/dlfusion)
set -uo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
bin=${DLF_BIN:-build/dlfusion}

if [ ! -x "$bin" ]; then
  echo "test_zoo: $bin not found (set DLF_BIN)"
  echo "0 passed, 1 failed"
  exit 1
fi
# Memory (issue 3): every zoo model's planned activation arena is at most 2x its largest
# layer's input + output, read from the machine-readable "memory:" line of `dlfusion info`.
# Fast (no inference), so it covers all six models whatever the arguments.
MAX_RATIO=2.0
mem_pass=0
mem_fail=0
for m in alexnet vgg16 resnet18 resnet50 mobilenet_v2 squeezenet1_0; do
  line=$("$bin" info "zoo:$m" 2>&1 | grep -E '^memory: ' | tail -n 1)
  ratio=$(sed -nE 's/^memory: peak_bytes=[0-9]+ largest_layer_io_bytes=[0-9]+ ratio=([0-9.]+).*/\1/p' \
    <<<"$line")
  if [ -z "$ratio" ]; then
    echo "FAIL memory $m: no 'memory:' line in dlfusion info (got '$line')"
    mem_fail=$((mem_fail + 1))
  elif awk -v r="$ratio" -v max="$MAX_RATIO" 'BEGIN { exit !(r <= max) }'; then
    echo "PASS memory $m: ${line#memory: }"
    mem_pass=$((mem_pass + 1))
  else
    echo "FAIL memory $m: ratio $ratio > $MAX_RATIO: ${line#memory: }"
    mem_fail=$((mem_fail + 1))
  fi
done

if ! $PY -c 'import torch, torchvision, onnx' 2>/dev/null; then
  echo "test_zoo: $PY lacks torch/torchvision/onnx"
  echo "$mem_pass passed, $((mem_fail + 1)) failed"
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
$PY tests/scripts/zoo_check.py --bin "$bin" "$@" 2>&1 | tee "$log" | sed '$d'
rc=${PIPESTATUS[0]}
# zoo_check.py prints its own summary last; a crash (a Python traceback) still needs one
last=$(tail -n 1 "$log")
if ! grep -Eq '^[0-9]+ passed, [0-9]+ failed$' <<<"$last"; then
  tail -n 1 "$log"
  echo "test_zoo: zoo_check.py exited with $rc before its summary"
  echo "$mem_pass passed, $((mem_fail + 1)) failed"
  exit 1
fi
p=${last%% passed*}
f=${last#* passed, }
f=${f%% failed*}
echo "$((p + mem_pass)) passed, $((f + mem_fail)) failed"
[ "$rc" -eq 0 ] && [ "$mem_fail" -eq 0 ]
