#!/usr/bin/env bash
# test_zoo.sh — checks the built-in zoo against torchvision (zoo_check.py): MACs and parameters of
# `dlfusion info`, state_dict names, and `dlfusion run` outputs vs PyTorch. Last line: "N passed, N failed".
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
if ! $PY -c 'import torch, torchvision, onnx' 2>/dev/null; then
  echo "test_zoo: $PY lacks torch/torchvision/onnx"
  echo "0 passed, 1 failed"
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
$PY tests/scripts/zoo_check.py --bin "$bin" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# zoo_check.py prints its own summary last; a crash (a Python traceback) still needs one
if ! tail -n 1 "$log" | grep -Eq '^[0-9]+ passed, [0-9]+ failed$'; then
  echo "test_zoo: zoo_check.py exited with $rc before its summary"
  echo "0 passed, 1 failed"
  exit 1
fi
exit $rc
