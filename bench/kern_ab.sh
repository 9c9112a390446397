#!/usr/bin/env bash
# kern_ab.sh — builds a kernel benchmark (bench/dwconv_bench.c, bench/eltwise_bench.c, ...) against
# this tree's src/kernels and a baseline of one kernel file from a git revision; runs it (A/B).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"

usage() {
  cat <<USAGE
usage: bench/kern_ab.sh BENCH [--base REV] [--out DIR] [-- ARGS...]
  BENCH  dwconv  (bench/dwconv_bench.c; baseline: src/kernels/dwconv_{avx2,avx512}.c at REV)
         maxpool (bench/maxpool_bench.c; baseline: src/kernels/pool_nhwc_{generic,avx512}.c at REV)
         winograd (bench/winograd_bench.c; baseline: src/kernels/winograd.c at REV)
Compiles src/kernels/*.c and src/core/*.c of the working tree (only those: the benchmark does not
depend on the rest of the library), the baseline files from 'git show REV:path' (with the
kernel headers of REV but kernels.h) with their kern_* symbols renamed to base_*, and the
benchmark; then runs it with ARGS.
Default REV: HEAD. Default DIR: /tmp/dlf_kern_ab.
USAGE
}

[ $# -ge 1 ] || { usage >&2; exit 2; }
BENCH="$1"; shift
REV=HEAD
OUT=/tmp/dlf_kern_ab
while [ $# -gt 0 ]; do
  case "$1" in
    --base) REV="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --) shift; break ;;
    -h|--help) usage; exit 0 ;;
    *) echo "kern_ab.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

case "$BENCH" in
  dwconv) BASE_FILES=(src/kernels/dwconv_avx2.c src/kernels/dwconv_avx512.c)
          RENAME=(kern_dwconv2d_nhwc_avx2 kern_dwconv2d_nhwc_avx512) ;;
  maxpool) BASE_FILES=(src/kernels/pool_nhwc_generic.c src/kernels/pool_nhwc_avx512.c)
           RENAME=(kern_maxpool2d_nhwc_generic kern_maxpool2d_nhwc_avx512 kern_avgpool2d_nhwc_generic
                   kern_avgpool2d_nhwc_avx512 kern_global_avgpool_nhwc_generic
                   kern_global_avgpool_nhwc_avx512) ;;
  winograd) BASE_FILES=(src/kernels/winograd.c)
            RENAME=(kern_winograd_f43_applies kern_winograd_f43_packed_floats kern_winograd_f43_pack
                    kern_winograd_f43_scratch_floats kern_winograd_f43 kern_winograd_f43_strided
                    kern_winograd_f43_input_generic kern_winograd_f43_output_generic) ;;
  *) echo "kern_ab.sh: unknown BENCH '$BENCH'" >&2; usage >&2; exit 2 ;;
esac

CC=${CC:-gcc}
CFLAGS=(-O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -I"$ROOT/include" -I"$ROOT/src")
AVX2=(-mavx2 -mfma)
AVX512=(-mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma)
mkdir -p "$OUT/cur" "$OUT/base"
flags_for() {
  case "$1" in
    *_avx512.c) echo "${AVX512[*]}" ;;
    *_avx2.c) echo "${AVX2[*]}" ;;
    *) echo "" ;;
  esac
}

OBJS=()
for f in "$ROOT"/src/kernels/*.c "$ROOT"/src/core/*.c; do
  o="$OUT/cur/$(basename "${f%.c}").o"
  # shellcheck disable=SC2046
  "$CC" "${CFLAGS[@]}" $(flags_for "$f") -c "$f" -o "$o"
  OBJS+=("$o")
done
DEFS=()
for s in "${RENAME[@]}"; do DEFS+=("-D$s=base_${s#kern_}"); done
# The kernel families are bodies in headers (dwconv_body.h, simd_*.h, ...) included by thin
# <family>_<isa>.c files: the baseline takes src/kernels/*.h at REV too (found first on its
# include path), except kernels.h, whose structs the benchmark passes across both builds.
rm -rf "$OUT/base_inc" && mkdir -p "$OUT/base_inc/kernels"
git -C "$ROOT" ls-tree --name-only "$REV" src/kernels/ | grep '\.h$' | grep -v '/kernels\.h$' |
  while read -r h; do git -C "$ROOT" show "$REV:$h" >"$OUT/base_inc/kernels/$(basename "$h")"; done
for f in "${BASE_FILES[@]}"; do
  src="$OUT/base/$(basename "$f")"
  git -C "$ROOT" show "$REV:$f" >"$src"
  o="${src%.c}.o"
  # shellcheck disable=SC2046
  "$CC" -I"$OUT/base_inc" "${CFLAGS[@]}" $(flags_for "$f") "${DEFS[@]}" -c "$src" -o "$o"
  OBJS+=("$o")
done
"$CC" "${CFLAGS[@]}" "$HERE/${BENCH}_bench.c" "${OBJS[@]}" -lcjson -lm -lpthread -o "$OUT/${BENCH}_bench"
echo "kern_ab.sh: baseline $REV ($(git -C "$ROOT" rev-parse --short "$REV")), current: working tree" >&2
"$OUT/${BENCH}_bench" "$@"
