/* pack.c — packs a GEMM B operand (weights) into nr-wide panels once, in the layout the
 * micro-kernels stream: panel p = K rows of nr contiguous floats, zero past N. */
#include "kernels/kernels.h"

#include <string.h>

bool kern_sgemm_packed_b_floats(const kern_config *cfg, int64_t K, int64_t N, size_t *floats) {
  int64_t nr = cfg->sgemm.nr;
  if (K < 0 || N < 0) return false;
  int64_t panels = N / nr + (N % nr != 0);
  size_t a, b;
  if (__builtin_mul_overflow((size_t)panels, (size_t)nr, &a)) return false;
  if (__builtin_mul_overflow(a, (size_t)K, &b)) return false;
  *floats = b;
  return true;
}

void kern_sgemm_pack_b(const kern_config *cfg, int64_t K, int64_t N, const float *B, ptrdiff_t rs_k,
                       ptrdiff_t cs_n, float *packed) {
  int64_t nr = cfg->sgemm.nr;
  for (int64_t j0 = 0; j0 < N; j0 += nr) {
    int64_t w = N - j0 < nr ? N - j0 : nr;
    float *panel = packed + (j0 / nr) * K * nr;
    for (int64_t k = 0; k < K; k++) {
      float *row = panel + k * nr;
      const float *src = B + k * rs_k + j0 * cs_n;
      if (cs_n == 1) {
        memcpy(row, src, (size_t)w * sizeof(float));
      } else {
        for (int64_t j = 0; j < w; j++)
          row[j] = src[j * cs_n];
      }
      for (int64_t j = w; j < nr; j++)
        row[j] = 0.0f; /* edge panel: the kernels load nr */
    }
  }
}
