#!/usr/bin/env bash
# test_models.sh — runs torchvision models exported to ONNX (gen_models.py) through `dlfusion run`,
# optimized, with --no-optimize and with --engine ref, and compares with PyTorch's output. Last line: "N passed, N failed".
# Usage: tests/scripts/test_models.sh [--big] [--force]   (DLF_BIN selects the binary)
set -uo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
bin=${DLF_BIN:-build/dlfusion}
gen=tests/fixtures/gen/models
timeout_s=${DLF_MODEL_TIMEOUT:-300}

if [ ! -x "$bin" ]; then
  echo "test_models: $bin not found (set DLF_BIN)"
  echo "0 passed, 1 failed"
  exit 1
fi

# Generation is skipped per model when its files are up to date.
if ! $PY tests/scripts/gen_models.py --out "$gen" "$@" 2> >(grep -v -i warning >&2); then
  echo "test_models: model generation failed"
  echo "0 passed, 1 failed"
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
while read -r name opset dynamic; do
  dir=$gen/$name
  # The default engine (the fastest available) optimized and as imported, and the reference
  # executor: each must match PyTorch on its own.
  for mode in optimized no-optimize engine-ref; do
    flags=()
    [ "$mode" = no-optimize ] && flags=(--no-optimize)
    [ "$mode" = engine-ref ] && flags=(--engine ref)
    out=$tmp/$name.$mode.npy
    start=$(date +%s.%N)
    if ! timeout "$timeout_s" "$bin" run "$dir/model.onnx" --input "input=$dir/input.npy" \
        --output "output=$out" "${flags[@]}" >"$tmp/stdout" 2>"$tmp/stderr"; then
      echo "FAIL $name ($mode, opset $opset): dlfusion exited with $?: $(head -c 400 "$tmp/stderr")"
      fail=$((fail + 1))
      continue
    fi
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    # A SAN=1 build as DLF_BIN reports and continues: its report is a failure too.
    if san=$(grep -m1 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$tmp/stderr"); then
      echo "FAIL $name ($mode, opset $opset): sanitizer: $san"
      fail=$((fail + 1))
      continue
    fi
    if msg=$($PY tests/scripts/gen_models.py --compare "$dir/output.npy" "$out"); then
      printf 'PASS %s (%s, opset %s): %s, %.1f s\n' "$name" "$mode" "$opset" "$msg" "$secs"
      pass=$((pass + 1))
    else
      printf 'FAIL %s (%s, opset %s): %s\n' "$name" "$mode" "$opset" "$msg"
      fail=$((fail + 1))
    fi
  done
done <"$gen/manifest.txt"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
