/* gemm_avx512.c — the AVX-512 SGEMM micro-kernel: a 12 x 32 tile of C in 24 zmm
 * accumulators (compiled with -mavx512*; only reached through a config that checked). */
#include "kernels/kernels.h"

#include <immintrin.h>

/* Register blocking: 32 zmm registers. A 32-column panel is 2 zmm of B per k step; each
 * of MR rows broadcasts one A value and issues 2 FMAs. MR = 12 uses 24 accumulators +
 * 2 B + 1-2 broadcast registers (< 32, no spills), and 24 independent FMA chains
 * cover the 4-cycle FMA latency on 2 pipes (needs >= 8) with room to spare. Per k step:
 * 2 B loads + 12 broadcasts feed 24 FMAs, under the 2-3 loads/cycle of Zen 4/5 and
 * Skylake-X. MR = 14 (28 accumulators + 2 B + 1 broadcast = 31) would leave no slack for
 * the compiler; it was not measured against 12. */
#define MR KERN_SGEMM_AVX512_MR
#define NR KERN_SGEMM_AVX512_NR

static inline __m512 act_apply(const kern_tile_epilogue *e, __m512 v) {
  /* max/min return the SECOND operand when either is NaN: passing v second lets NaN
   * through, as ir_act_apply does. */
  switch (e->act) {
  case KERN_ACT_NONE: return v;
  case KERN_ACT_RELU: return _mm512_max_ps(_mm512_setzero_ps(), v);
  case KERN_ACT_CLIP:
    return _mm512_min_ps(_mm512_set1_ps(e->act_hi), _mm512_max_ps(_mm512_set1_ps(e->act_lo), v));
  }
  return v;
}

static inline __m512 epilogue(const kern_tile_epilogue *e, __m512 v, __mmask16 m, int row, int col,
                              const float *c) {
  if (e->load_c) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, c + col));
  if (e->last) {
    if (e->bias_n) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, e->bias_n + col));
    if (e->bias_m) v = _mm512_add_ps(v, _mm512_set1_ps(e->bias_m[row]));
    if (e->residual)
      v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, e->residual + row * e->ldr + col));
    v = act_apply(e, v);
  }
  return v;
}

/* ROWS is a compile-time constant at every call site (see the switch below), so the
 * loops over rows unroll and the accumulator arrays live in registers. */
static inline __attribute__((always_inline)) void tile(const int ROWS, int nr, int64_t kc,
                                                       const float *a, ptrdiff_t lda,
                                                       const float *b, float *c, ptrdiff_t ldc,
                                                       const kern_tile_epilogue *e) {
  __m512 acc0[MR], acc1[MR];
#pragma GCC unroll 16
  for (int r = 0; r < ROWS; r++)
    acc0[r] = acc1[r] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; k++) {
    __m512 b0 = _mm512_loadu_ps(b + k * NR), b1 = _mm512_loadu_ps(b + k * NR + 16);
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; r++) {
      __m512 av = _mm512_set1_ps(a[r * lda + k]);
      acc0[r] = _mm512_fmadd_ps(av, b0, acc0[r]);
      acc1[r] = _mm512_fmadd_ps(av, b1, acc1[r]);
    }
  }
  __mmask16 m0 = nr >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nr) - 1);
  __mmask16 m1 = nr >= 32  ? (__mmask16)0xffff
                 : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1)
                           : (__mmask16)0;
#pragma GCC unroll 16
  for (int r = 0; r < ROWS; r++) {
    float *crow = c + r * ldc;
    _mm512_mask_storeu_ps(crow, m0, epilogue(e, acc0[r], m0, r, 0, crow));
    _mm512_mask_storeu_ps(crow + 16, m1, epilogue(e, acc1[r], m1, r, 16, crow));
  }
}

/* A panel with at most 16 live columns (N's last panel when N % 32 is 1..16: 48, 80, 144, ...
 * channels): one accumulator per row, so the zero half of the panel costs no FMAs. */
static inline __attribute__((always_inline)) void tile_half(const int ROWS, int nr, int64_t kc,
                                                            const float *a, ptrdiff_t lda,
                                                            const float *b, float *c,
                                                            ptrdiff_t ldc,
                                                            const kern_tile_epilogue *e) {
  __m512 acc[MR];
#pragma GCC unroll 16
  for (int r = 0; r < ROWS; r++)
    acc[r] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; k++) {
    const __m512 b0 = _mm512_loadu_ps(b + k * NR);
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; r++)
      acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r * lda + k]), b0, acc[r]);
  }
  const __mmask16 m0 = nr >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nr) - 1);
#pragma GCC unroll 16
  for (int r = 0; r < ROWS; r++) {
    float *crow = c + r * ldc;
    _mm512_mask_storeu_ps(crow, m0, epilogue(e, acc[r], m0, r, 0, crow));
  }
}

void kern_sgemm_ukernel_avx512(int mr, int nr, int64_t kc, const float *a, ptrdiff_t lda,
                               const float *b_panel, float *c, ptrdiff_t ldc,
                               const kern_tile_epilogue *epi) {
  /* One case per row count so that each tile() is compiled with a constant ROWS. */
  if (nr <= 16) {
    switch (mr) {
    case 1: tile_half(1, nr, kc, a, lda, b_panel, c, ldc, epi); return;
    case 2: tile_half(2, nr, kc, a, lda, b_panel, c, ldc, epi); return;
    case 3: tile_half(3, nr, kc, a, lda, b_panel, c, ldc, epi); return;
    case 4: tile_half(4, nr, kc, a, lda, b_panel, c, ldc, epi); return;
    case 5: tile_half(5, nr, kc, a, lda, b_panel, c, ldc, epi); return;
    case 6: tile_half(6, nr, kc, a, lda, b_panel, c, ldc, epi); return;
    case 7: tile_half(7, nr, kc, a, lda, b_panel, c, ldc, epi); return;
    case 8: tile_half(8, nr, kc, a, lda, b_panel, c, ldc, epi); return;
    case 9: tile_half(9, nr, kc, a, lda, b_panel, c, ldc, epi); return;
    case 10: tile_half(10, nr, kc, a, lda, b_panel, c, ldc, epi); return;
    case 11: tile_half(11, nr, kc, a, lda, b_panel, c, ldc, epi); return;
    case 12: tile_half(12, nr, kc, a, lda, b_panel, c, ldc, epi); return;
    default: return;
    }
  }
  switch (mr) {
  case 1: tile(1, nr, kc, a, lda, b_panel, c, ldc, epi); break;
  case 2: tile(2, nr, kc, a, lda, b_panel, c, ldc, epi); break;
  case 3: tile(3, nr, kc, a, lda, b_panel, c, ldc, epi); break;
  case 4: tile(4, nr, kc, a, lda, b_panel, c, ldc, epi); break;
  case 5: tile(5, nr, kc, a, lda, b_panel, c, ldc, epi); break;
  case 6: tile(6, nr, kc, a, lda, b_panel, c, ldc, epi); break;
  case 7: tile(7, nr, kc, a, lda, b_panel, c, ldc, epi); break;
  case 8: tile(8, nr, kc, a, lda, b_panel, c, ldc, epi); break;
  case 9: tile(9, nr, kc, a, lda, b_panel, c, ldc, epi); break;
  case 10: tile(10, nr, kc, a, lda, b_panel, c, ldc, epi); break;
  case 11: tile(11, nr, kc, a, lda, b_panel, c, ldc, epi); break;
  case 12: tile(12, nr, kc, a, lda, b_panel, c, ldc, epi); break;
  default: break;
  }
}
