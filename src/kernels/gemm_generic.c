/* gemm_generic.c — the portable SGEMM micro-kernel (plain C, any CPU): an MR x NR tile
 * of C accumulated in a local array; also the scalar epilogue the SIMD kernels mirror. */
#include "kernels/kernels.h"

#define MR KERN_SGEMM_GENERIC_MR
#define NR KERN_SGEMM_GENERIC_NR

/* Same expressions as ir_act_apply() so that NaN and -0 behave identically. */
static inline float act_apply(const kern_tile_epilogue *e, float x) {
  switch (e->act) {
  case KERN_ACT_NONE: return x;
  case KERN_ACT_RELU: return x < 0.0f ? 0.0f : x;
  case KERN_ACT_CLIP: return x < e->act_lo ? e->act_lo : (x > e->act_hi ? e->act_hi : x);
  }
  return x;
}

void kern_sgemm_ukernel_generic(int mr, int nr, int64_t kc, const float *a, ptrdiff_t lda,
                                const float *b_panel, float *c, ptrdiff_t ldc,
                                const kern_tile_epilogue *epi) {
  float acc[MR][NR] = {{0}};
  for (int64_t k = 0; k < kc; k++) {
    const float *b = b_panel + k * NR;
    for (int i = 0; i < mr; i++) {
      float av = a[i * lda + k];
      for (int j = 0; j < NR; j++)
        acc[i][j] += av * b[j];
    }
  }
  for (int i = 0; i < mr; i++) {
    float *crow = c + i * ldc;
    for (int j = 0; j < nr; j++) {
      float v = acc[i][j];
      if (epi->load_c) v += crow[j];
      if (epi->last) {
        if (epi->bias_n) v += epi->bias_n[j];
        if (epi->bias_m) v += epi->bias_m[i];
        if (epi->residual) v += epi->residual[i * epi->ldr + j];
        v = act_apply(epi, v);
      }
      crow[j] = v;
    }
  }
}
