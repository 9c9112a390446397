/* gemm_body.h — the SGEMM micro-kernel, written once over the SIMD vocabulary: an MR x NR tile
 * of C with NR = 2 vectors (generic 4 x 8, AVX2 6 x 16, AVX-512 12 x 32), the packed B panel
 * read one k row (2 vectors) at a time and one A value broadcast per row, so MR * 2
 * independent FMA chains. A panel with at most one vector of live columns (N's last panel when
 * N % NR is in 1..VL: 48, 80, 144, ... channels on AVX-512) runs a half tile with one
 * accumulator per row, so the dead half costs no FMAs.
 *
 * Register blocking, per ISA (GEMM_MR below, from kernels.h):
 *   AVX-512, 32 zmm: 12 rows = 24 accumulators + 2 B + 1-2 broadcasts (< 32, no spills); 24
 *     FMA chains cover the 4-cycle latency on 2 pipes (needs >= 8) with slack; per k step
 *     2 B loads + 12 broadcasts feed 24 FMAs, under the 2-3 loads/cycle of Zen 4/5 and
 *     Skylake-X. 14 rows (28 + 2 + 1 = 31) would leave no slack; not measured against 12.
 *   AVX2, 16 ymm: 6 rows = 12 accumulators + 2 B + 1 broadcast = 15 (the classic 6x16 tile).
 *   generic, 4-float vectors: 4 rows = 8 accumulators.
 * Edge tiles use the vocabulary's tail loads / stores only when the panel is partial: AVX2's
 * vmaskmovps stores are microcoded on AMD.
 *
 * Include after one simd_<isa>.h with GEMM_MR defined; defines SIMD_NAME(kern_sgemm_ukernel). */
#include "kernels/kernels_isa.h" /* the family's prototype: the definition is checked */
#ifndef GEMM_MR
#error "define GEMM_MR (rows of the tile) before including gemm_body.h"
#endif

#define GEMM_NR (2 * SIMD_VL)

/* max/min return their second operand when either is NaN (x86; the generic vocabulary
 * mirrors it): passing v second lets NaN through, as ir_act_apply does. */
static inline simd_f32 gemm_act(const kern_tile_epilogue *e, simd_f32 v) {
  switch (e->act) {
  case KERN_ACT_NONE: return v;
  case KERN_ACT_RELU: return simd_max(simd_zero(), v);
  case KERN_ACT_CLIP: return simd_min(simd_set1(e->act_hi), simd_max(simd_set1(e->act_lo), v));
  }
  return v;
}

static inline simd_f32 gemm_load(const float *p, simd_mask m, int full) {
  return full ? simd_load(p) : simd_load_tail(p, m);
}

static inline simd_f32 gemm_epilogue(const kern_tile_epilogue *e, simd_f32 v, simd_mask m,
                                     int full, int row, int col, const float *c) {
  if (e->load_c) v = simd_add(v, gemm_load(c + col, m, full));
  if (e->last) {
    if (e->bias_n) v = simd_add(v, gemm_load(e->bias_n + col, m, full));
    if (e->bias_m) v = simd_add(v, simd_set1(e->bias_m[row]));
    if (e->residual) v = simd_add(v, gemm_load(e->residual + row * e->ldr + col, m, full));
    v = gemm_act(e, v);
  }
  return v;
}

static inline void gemm_store(float *p, simd_f32 v, simd_mask m, int full) {
  if (full)
    simd_store(p, v);
  else
    simd_store_tail(p, v, m);
}

/* Column vector col / SIMD_VL of ROWS accumulator rows through the epilogue into C. FULL is a
 * constant at every call site: a whole panel has no masks at all (one instantiation each). */
static inline __attribute__((always_inline)) void gemm_store_rows(const int ROWS, const int FULL,
                                                                  const simd_f32 *acc, int nr,
                                                                  float *c, ptrdiff_t ldc,
                                                                  int col,
                                                                  const kern_tile_epilogue *e) {
  const simd_mask m = simd_tail(nr - col);
#pragma GCC unroll 16
  for (int r = 0; r < ROWS; r++) {
    float *crow = c + r * ldc;
    gemm_store(crow + col, gemm_epilogue(e, acc[r], m, FULL, r, col, crow), m, FULL);
  }
}

/* ROWS is a compile-time constant at every call site (the switch below), so the loops over
 * rows unroll and the accumulator arrays live in registers. */
static inline __attribute__((always_inline)) void gemm_tile(const int ROWS, int nr, int64_t kc,
                                                            const float *a, ptrdiff_t lda,
                                                            const float *b, float *c,
                                                            ptrdiff_t ldc,
                                                            const kern_tile_epilogue *e) {
  simd_f32 acc0[GEMM_MR], acc1[GEMM_MR];
#pragma GCC unroll 16
  for (int r = 0; r < ROWS; r++)
    acc0[r] = acc1[r] = simd_zero();
  for (int64_t k = 0; k < kc; k++) {
    const simd_f32 b0 = simd_load(b + k * GEMM_NR), b1 = simd_load(b + k * GEMM_NR + SIMD_VL);
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; r++) {
      const simd_f32 av = simd_load1(a + r * lda + k);
      acc0[r] = simd_fma(av, b0, acc0[r]);
      acc1[r] = simd_fma(av, b1, acc1[r]);
    }
  }
  if (nr == GEMM_NR) {
    gemm_store_rows(ROWS, 1, acc0, nr, c, ldc, 0, e);
    gemm_store_rows(ROWS, 1, acc1, nr, c, ldc, SIMD_VL, e);
  } else {
    gemm_store_rows(ROWS, 0, acc0, nr, c, ldc, 0, e);
    gemm_store_rows(ROWS, 0, acc1, nr, c, ldc, SIMD_VL, e);
  }
}

static inline __attribute__((always_inline)) void gemm_tile_half(const int ROWS, int nr,
                                                                 int64_t kc, const float *a,
                                                                 ptrdiff_t lda, const float *b,
                                                                 float *c, ptrdiff_t ldc,
                                                                 const kern_tile_epilogue *e) {
  simd_f32 acc[GEMM_MR];
#pragma GCC unroll 16
  for (int r = 0; r < ROWS; r++)
    acc[r] = simd_zero();
  for (int64_t k = 0; k < kc; k++) {
    const simd_f32 b0 = simd_load(b + k * GEMM_NR);
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; r++)
      acc[r] = simd_fma(simd_load1(a + r * lda + k), b0, acc[r]);
  }
  if (nr == SIMD_VL)
    gemm_store_rows(ROWS, 1, acc, nr, c, ldc, 0, e);
  else
    gemm_store_rows(ROWS, 0, acc, nr, c, ldc, 0, e);
}

/* One case per row count so that each tile is compiled with a constant ROWS (rows past
 * GEMM_MR never reach here: the driver's mr is at most the config's). */
#define GEMM_CASE(R, T)                                                                           \
  case R:                                                                                         \
    if (R <= GEMM_MR) T(R <= GEMM_MR ? R : 1, nr, kc, a, lda, b_panel, c, ldc, epi);              \
    return;

void SIMD_NAME(kern_sgemm_ukernel)(int mr, int nr, int64_t kc, const float *a, ptrdiff_t lda,
                                   const float *b_panel, float *c, ptrdiff_t ldc,
                                   const kern_tile_epilogue *epi) {
  if (nr <= SIMD_VL) {
    switch (mr) {
      GEMM_CASE(1, gemm_tile_half)
      GEMM_CASE(2, gemm_tile_half)
      GEMM_CASE(3, gemm_tile_half)
      GEMM_CASE(4, gemm_tile_half)
      GEMM_CASE(5, gemm_tile_half)
      GEMM_CASE(6, gemm_tile_half)
      GEMM_CASE(7, gemm_tile_half)
      GEMM_CASE(8, gemm_tile_half)
      GEMM_CASE(9, gemm_tile_half)
      GEMM_CASE(10, gemm_tile_half)
      GEMM_CASE(11, gemm_tile_half)
      GEMM_CASE(12, gemm_tile_half)
    default: return;
    }
  }
  switch (mr) {
    GEMM_CASE(1, gemm_tile)
    GEMM_CASE(2, gemm_tile)
    GEMM_CASE(3, gemm_tile)
    GEMM_CASE(4, gemm_tile)
    GEMM_CASE(5, gemm_tile)
    GEMM_CASE(6, gemm_tile)
    GEMM_CASE(7, gemm_tile)
    GEMM_CASE(8, gemm_tile)
    GEMM_CASE(9, gemm_tile)
    GEMM_CASE(10, gemm_tile)
    GEMM_CASE(11, gemm_tile)
    GEMM_CASE(12, gemm_tile)
  default: return;
  }
}

#undef GEMM_CASE
#undef GEMM_NR
