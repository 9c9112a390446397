#!/usr/bin/env bash
# accel_sim_mutants.sh — shows that tests/unit/test_accel_sim.c can fail: removes each effect
# of the detailed simulator (src/target/accel_sim.c) in turn, rebuilds the tests and lists
# the simulator tests that then fail (each effect must fail at least one). The source is
# restored on exit. Usage: tests/scripts/accel_sim_mutants.sh   (BUILD: the build dir)
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SRC=src/target/accel_sim.c
ORIG=$(mktemp)
cp "$SRC" "$ORIG"
restore() { cp "$ORIG" "$SRC"; rm -f "$ORIG"; make -s BUILD="$BUILD" -j2 "$BUILD/dlf_tests" >/dev/null 2>&1 || true; }
trap restore EXIT
status=0
for m in lane_eff_ignored vector_free fp32_bytes no_setup perfect_overlap no_memory_limit \
         no_halo_recompute no_halo_exchange no_double_buffer weights_free no_held_skip; do
  python3 - "$ORIG" "$SRC" "$m" <<'PY'
import sys
src = open(sys.argv[1]).read()
muts = {
    "lane_eff_ignored": ("int64_t groups) {\n  if (lanes <= 1) return 1.0;", "int64_t groups) {\n  return 1.0;"),
    "vector_free": ("*vec_us = vec / s->vec_per_us;", "*vec_us = 0 * vec;"),
    "fp32_bytes": ("s.scale = (double)t->sim.elem_bytes / SIM_TABLE_ELEM_BYTES;", "s.scale = 1.0;"),
    "no_setup": ("return (double)transfers * s->p->dma_setup_us + bytes / bw;", "return 0 * transfers + bytes / bw;"),
    "perfect_overlap": ("return f + l + c + (double)(T - 1) * steady + st;", "return f + (double)T * steady;"),
    "no_memory_limit": ("s.mem = (double)t->accel.onchip_bytes_per_core;", "s.mem = INFINITY;"),
    "no_halo_recompute": ("return min64(L->in_rows, (r - 1) * s + l->kernel_h);", "return min64(L->in_rows, r * s);"),
    "no_halo_exchange": ("if (halo > 0 && ku > 1) {", "if (0) {"),
    "no_double_buffer": ("double db = T > 1 ? 2.0 : 1.0;", "double db = 1.0;"),
    "weights_free": ("if (wsum + peak + dbuf <= s->mem) {", "if (peak + dbuf <= s->mem) {"),
    "no_held_skip": ("if (extra > 0) held +=", "if (0) held +="),
}
a, b = muts[sys.argv[3]]
if a not in src:
    sys.exit("mutant %s: the text to change is not in the source any more" % sys.argv[3])
open(sys.argv[2], "w").write(src.replace(a, b, 1))
PY
  make -s BUILD="$BUILD" -j2 "$BUILD/dlf_tests" >/dev/null
  failed=$("$BUILD/dlf_tests" test_sim_ 2>/dev/null | sed -n 's/^FAIL //p' | tr '\n' ' ' || true)
  printf '%-18s %s\n' "$m" "${failed:-NONE (no test catches it)}"
  [ -n "$failed" ] || status=1
done
exit $status
