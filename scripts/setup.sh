#!/usr/bin/env bash
# setup.sh — install what dlfusion needs from Debian's packages, only where
# missing (idempotent: a no-op on a machine that has everything).
#   scripts/setup.sh            build + test dependencies
#   scripts/setup.sh --build    only what the library and CLI need to build
#   scripts/setup.sh --bench    build + test + what bench/ compares against
set -euo pipefail

build_pkgs=(gcc make protobuf-c-compiler libprotobuf-c-dev libonnx-dev libcjson-dev)
# Tests generate fixtures with PyTorch/ONNX (never a runtime dependency) and
# use clang for the sanitizer build and Valgrind for `make test-valgrind`; `dot` (graphviz)
# and headless chromium render `dlfusion dot` and `dlfusion report` output in tests/cli.
test_pkgs=(python3-torch python3-torchvision python3-onnx python3-numpy clang libclang-rt-14-dev
  valgrind graphviz chromium)

# bench/threadpool_overhead measures libpthreadpool and OpenMP as comparisons.
# bench/setup_ort.sh installs ONNX Runtime with npm (NodeSource's nodejs ships
# it; Debian's packages it separately).
bench_pkgs=(libpthreadpool-dev nodejs)
command -v npm >/dev/null 2>&1 || bench_pkgs+=(npm)

want=("${build_pkgs[@]}")
[ "${1:-}" = "--build" ] || want+=("${test_pkgs[@]}")
[ "${1:-}" = "--bench" ] && want+=("${bench_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
