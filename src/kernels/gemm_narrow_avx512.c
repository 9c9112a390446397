/* gemm_narrow_avx512.c — SGEMM for narrow C (N <= 16: 1x1 convolutions down to 16 channels)
 * with AVX-512: a 24 x 16 register tile, so no FMA lane is spent on the zero columns that the
 * 12 x 32 tile of gemm_avx512.c computes when N <= 16 (it ran those at ~80 GFLOP/s). */
#include "kernels/kernels.h"

#include <immintrin.h>

/* 24 rows x 1 zmm: 24 accumulators (independent FMA chains: 4-cycle latency x 2 pipes needs
 * >= 8) + the B vector + broadcasts fit the 32 registers. Per k step 1 B load + 24 broadcast
 * loads feed 24 FMAs. A is read in place (each element is used by one FMA per tile: there is
 * no reuse to block for); the 16-float rows of B (K x 64 bytes) stay in L1/L2 across tiles. */
#define ROWS_MAX 24
#define VL 16

static inline __m512 act_apply(const kern_epilogue *e, __m512 v) {
  /* max/min return the SECOND operand when either is NaN: NaN passes, as ir_act_apply. */
  switch (e->act) {
  case KERN_ACT_NONE: return v;
  case KERN_ACT_RELU: return _mm512_max_ps(_mm512_setzero_ps(), v);
  case KERN_ACT_CLIP:
    return _mm512_min_ps(_mm512_set1_ps(e->act_hi), _mm512_max_ps(_mm512_set1_ps(e->act_lo), v));
  }
  return v;
}

KERN_INLINE void
tile(const int ROWS, int n, int64_t K, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
     float *c, ptrdiff_t ldc, const kern_epilogue *e, int64_t i0) {
  __m512 acc[ROWS_MAX];
#pragma GCC unroll 24
  for (int r = 0; r < ROWS; r++)
    acc[r] = _mm512_setzero_ps();
  for (int64_t k = 0; k < K; k++) {
    const __m512 bv = _mm512_loadu_ps(b + k * ldb);
#pragma GCC unroll 24
    for (int r = 0; r < ROWS; r++)
      acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r * lda + k]), bv, acc[r]);
  }
  const __mmask16 m = n >= VL ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1);
  const __m512 bias = e->bias_n ? _mm512_maskz_loadu_ps(m, e->bias_n) : _mm512_setzero_ps();
  const ptrdiff_t ldr = e->ldr ? e->ldr : ldc;
#pragma GCC unroll 24
  for (int r = 0; r < ROWS; r++) {
    float *crow = c + r * ldc;
    __m512 v = acc[r];
    if (e->accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, crow));
    v = _mm512_add_ps(v, bias);
    if (e->bias_m) v = _mm512_add_ps(v, _mm512_set1_ps(e->bias_m[i0 + r]));
    if (e->residual) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, e->residual + (i0 + r) * ldr));
    _mm512_mask_storeu_ps(crow, m, act_apply(e, v));
  }
}

void kern_sgemm_narrow_avx512(int64_t M, int n, int64_t K, const float *A, ptrdiff_t lda,
                              const float *b_panel, ptrdiff_t ldb, float *C, ptrdiff_t ldc,
                              const kern_epilogue *epi) {
  static const kern_epilogue none = {0};
  if (!epi) epi = &none;
  int64_t i0 = 0;
  for (; i0 + ROWS_MAX <= M; i0 += ROWS_MAX)
    tile(ROWS_MAX, n, K, A + i0 * lda, lda, b_panel, ldb, C + i0 * ldc, ldc, epi, i0);
  /* the ragged end in tiles of 8, 4, 2, 1 rows (one compiled tile per constant) */
  for (; i0 + 8 <= M; i0 += 8)
    tile(8, n, K, A + i0 * lda, lda, b_panel, ldb, C + i0 * ldc, ldc, epi, i0);
  if (i0 + 4 <= M) {
    tile(4, n, K, A + i0 * lda, lda, b_panel, ldb, C + i0 * ldc, ldc, epi, i0);
    i0 += 4;
  }
  if (i0 + 2 <= M) {
    tile(2, n, K, A + i0 * lda, lda, b_panel, ldb, C + i0 * ldc, ldc, epi, i0);
    i0 += 2;
  }
  if (i0 < M) tile(1, n, K, A + i0 * lda, lda, b_panel, ldb, C + i0 * ldc, ldc, epi, i0);
}
