/* gemm_avx2.c — the AVX2+FMA SGEMM micro-kernel: a 6 x 16 tile of C in 12 ymm
 * accumulators (compiled with -mavx2 -mfma; only reached through a config that checked). */
#include "kernels/kernels.h"

#include <immintrin.h>

/* Register blocking: 16 ymm registers. A 16-column panel is 2 ymm of B per k step;
 * MR = 6 rows give 12 accumulators + 2 B + 1 broadcast = 15 registers (the classic
 * 6x16 tile), and 12 independent FMA chains cover 4-cycle latency x 2 pipes. */
#define MR KERN_SGEMM_AVX2_MR
#define NR KERN_SGEMM_AVX2_NR

static inline __m256 act_apply(const kern_tile_epilogue *e, __m256 v) {
  /* max/min return the SECOND operand when either is NaN: NaN passes, as in ir_act_apply. */
  switch (e->act) {
  case KERN_ACT_NONE: return v;
  case KERN_ACT_RELU: return _mm256_max_ps(_mm256_setzero_ps(), v);
  case KERN_ACT_CLIP:
    return _mm256_min_ps(_mm256_set1_ps(e->act_hi), _mm256_max_ps(_mm256_set1_ps(e->act_lo), v));
  }
  return v;
}

/* vmaskmovps is slow (microcoded stores on AMD), so it is used on edge tiles only. */
static inline __m256 load8(const float *p, __m256i m, int full) {
  return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m);
}

static inline __m256 epilogue(const kern_tile_epilogue *e, __m256 v, __m256i m, int full, int row,
                              int col, const float *c) {
  if (e->load_c) v = _mm256_add_ps(v, load8(c + col, m, full));
  if (e->last) {
    if (e->bias_n) v = _mm256_add_ps(v, load8(e->bias_n + col, m, full));
    if (e->bias_m) v = _mm256_add_ps(v, _mm256_set1_ps(e->bias_m[row]));
    if (e->residual) v = _mm256_add_ps(v, load8(e->residual + row * e->ldr + col, m, full));
    v = act_apply(e, v);
  }
  return v;
}

static inline __attribute__((always_inline)) void tile(const int ROWS, int nr, int64_t kc,
                                                       const float *a, ptrdiff_t lda,
                                                       const float *b, float *c, ptrdiff_t ldc,
                                                       const kern_tile_epilogue *e) {
  __m256 acc0[MR], acc1[MR];
#pragma GCC unroll 8
  for (int r = 0; r < ROWS; r++)
    acc0[r] = acc1[r] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; k++) {
    __m256 b0 = _mm256_loadu_ps(b + k * NR), b1 = _mm256_loadu_ps(b + k * NR + 8);
#pragma GCC unroll 8
    for (int r = 0; r < ROWS; r++) {
      __m256 av = _mm256_broadcast_ss(a + r * lda + k);
      acc0[r] = _mm256_fmadd_ps(av, b0, acc0[r]);
      acc1[r] = _mm256_fmadd_ps(av, b1, acc1[r]);
    }
  }
  int full = nr == NR;
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr), idx);
  __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr - 8), idx);
#pragma GCC unroll 8
  for (int r = 0; r < ROWS; r++) {
    float *crow = c + r * ldc;
    __m256 v0 = epilogue(e, acc0[r], m0, full, r, 0, crow);
    __m256 v1 = epilogue(e, acc1[r], m1, full, r, 8, crow);
    if (full) {
      _mm256_storeu_ps(crow, v0);
      _mm256_storeu_ps(crow + 8, v1);
    } else {
      _mm256_maskstore_ps(crow, m0, v0);
      _mm256_maskstore_ps(crow + 8, m1, v1);
    }
  }
}

/* A panel with at most 8 live columns (N % 16 in 1..8): one accumulator per row, so the zero
 * half of the panel costs no FMAs (as gemm_avx512.c's tile_half). */
static inline __attribute__((always_inline)) void tile_half(const int ROWS, int nr, int64_t kc,
                                                            const float *a, ptrdiff_t lda,
                                                            const float *b, float *c,
                                                            ptrdiff_t ldc,
                                                            const kern_tile_epilogue *e) {
  __m256 acc[MR];
#pragma GCC unroll 8
  for (int r = 0; r < ROWS; r++)
    acc[r] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_loadu_ps(b + k * NR);
#pragma GCC unroll 8
    for (int r = 0; r < ROWS; r++)
      acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + r * lda + k), b0, acc[r]);
  }
  const int full = nr == 8;
  const __m256i m0 =
      _mm256_cmpgt_epi32(_mm256_set1_epi32(nr), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
#pragma GCC unroll 8
  for (int r = 0; r < ROWS; r++) {
    float *crow = c + r * ldc;
    const __m256 v0 = epilogue(e, acc[r], m0, full, r, 0, crow);
    if (full)
      _mm256_storeu_ps(crow, v0);
    else
      _mm256_maskstore_ps(crow, m0, v0);
  }
}

void kern_sgemm_ukernel_avx2(int mr, int nr, int64_t kc, const float *a, ptrdiff_t lda,
                             const float *b_panel, float *c, ptrdiff_t ldc,
                             const kern_tile_epilogue *epi) {
  /* One case per row count so that each tile() is compiled with a constant ROWS. */
  if (nr <= 8) {
    switch (mr) {
    case 1: tile_half(1, nr, kc, a, lda, b_panel, c, ldc, epi); return;
    case 2: tile_half(2, nr, kc, a, lda, b_panel, c, ldc, epi); return;
    case 3: tile_half(3, nr, kc, a, lda, b_panel, c, ldc, epi); return;
    case 4: tile_half(4, nr, kc, a, lda, b_panel, c, ldc, epi); return;
    case 5: tile_half(5, nr, kc, a, lda, b_panel, c, ldc, epi); return;
    case 6: tile_half(6, nr, kc, a, lda, b_panel, c, ldc, epi); return;
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
  default: break;
  }
}
