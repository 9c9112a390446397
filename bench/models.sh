#!/usr/bin/env bash
# models.sh — makes the ONNX files compare_ort.py times (bench/models/<name>/{model,input,output}),
# by calling tests/scripts/gen_models.py (torchvision, random weights, calibrated BN); cached.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PY=/usr/bin/python3 # the system python has torch/torchvision/onnx; the pyenv one on PATH does not

usage() {
  cat <<USAGE
usage: bench/models.sh [--out DIR] [--force] NAME...
       bench/models.sh --suite [--out DIR] [--force] [NAME...]
Exports each NAME (resnet18 mobilenet_v2 squeezenet1_0 alexnet resnet50 vgg16, or any other case
of tests/scripts/gen_models.py) to DIR/NAME/{model.onnx,input.npy,output.npy}; default DIR is
bench/models. Up-to-date models are not regenerated. Default NAMEs: the four small models.
--suite: the cases of the model suite (tests/scripts/gen_suite.py; default DIR
tests/fixtures/gen/suite, default NAMEs: all of them), what compare_ort.py --set times.
USAGE
}

OUT=""
SUITE=0
FORCE=()
NAMES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --force) FORCE=(--force); shift ;;
    --suite) SUITE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "models.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    *) NAMES+=("$1"); shift ;;
  esac
done
if [ "$SUITE" = 1 ]; then
  ONLY=()
  [ ${#NAMES[@]} -eq 0 ] || ONLY=(--only "$(IFS=,; echo "${NAMES[*]}")")
  exec "$PY" "$ROOT/tests/scripts/gen_suite.py" --out "${OUT:-$ROOT/tests/fixtures/gen/suite}" \
    "${FORCE[@]}" "${ONLY[@]}"
fi
OUT=${OUT:-$HERE/models}
[ ${#NAMES[@]} -gt 0 ] || NAMES=(resnet18 mobilenet_v2 squeezenet1_0 alexnet)

# A separate output directory (not tests/fixtures/gen/models): gen_models.py rewrites DIR's
# manifest.txt with the cases it was asked for, and test_models.sh reads that manifest.
BIG=()
for n in "${NAMES[@]}"; do
  case "$n" in resnet50|vgg16) BIG=(--big) ;; esac
done
ONLY="$(IFS=,; echo "${NAMES[*]}")"
"$PY" "$ROOT/tests/scripts/gen_models.py" --out "$OUT" "${BIG[@]}" "${FORCE[@]}" --only "$ONLY"
for n in "${NAMES[@]}"; do
  [ -f "$OUT/$n/model.onnx" ] || { echo "models.sh: no model was made for '$n'" >&2; exit 1; }
done
