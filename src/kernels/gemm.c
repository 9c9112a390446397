/* gemm.c — the ISA-independent SGEMM driver: cache blocking (N by nc, K by kc, M by mr,
 * then nr-wide panels) around the config's register-blocked micro-kernel. */
#include "kernels/kernels.h"

#include <string.h>

/* Row stride (floats) of the A tile copy: kc plus one cache line, so that consecutive
 * rows start in consecutive L1 sets whatever lda is. Without the copy, lda = 1024
 * floats (4 KiB, e.g. Cin = 1024 in NHWC) puts all mr rows in one L1 set and 512^3-class
 * GEMMs lost ~30% (bench/gemm_peak.c 1000 vs 1024: 180 vs 132 GFLOP/s on Zen 5). The
 * copy is mr x kc floats per (tile, K block), reused by every panel of the N block. */
#define A_COPY_PAD 16

/* The copy is on the stack (kernels do not allocate): mr x (kc + pad) floats, ~25 KiB. */
#define A_COPY_FLOATS (KERN_SGEMM_MR_MAX * (KERN_SGEMM_KC_MAX + A_COPY_PAD))

void kern_sgemm(const kern_config *cfg, int64_t M, int64_t N, int64_t K, const float *A,
                ptrdiff_t lda, const float *packed_b, float *C, ptrdiff_t ldc,
                const kern_epilogue *epi) {
  kern_sgemm_panels(cfg, M, N, K, A, lda, packed_b, (ptrdiff_t)K * cfg->sgemm.nr, C, ldc, epi);
}

void kern_sgemm_panels(const kern_config *cfg, int64_t M, int64_t N, int64_t K, const float *A,
                       ptrdiff_t lda, const float *packed_b, ptrdiff_t panel_stride, float *C,
                       ptrdiff_t ldc, const kern_epilogue *epi) {
  static const kern_epilogue none = {0};
  if (!epi) epi = &none;
  const kern_sgemm_config *g = &cfg->sgemm;
  const int64_t mr = g->mr, nr = g->nr, kc_max = g->kc, nc_max = g->nc;
  if (M <= 0 || N <= 0) return;
  /* N <= 16 (squeeze layers, 1x1 convs with few outputs): a tile whose width fits N, rather
   * than the general tile with half its lanes on zero columns. */
  if (kern_sgemm_narrow(cfg, M, N, K, A, lda, packed_b, C, ldc, epi)) return;
  _Alignas(64) float a_copy[A_COPY_FLOATS];

  for (int64_t j0 = 0; j0 < N; j0 += nc_max) {
    int64_t j_end = N - j0 < nc_max ? N : j0 + nc_max;
    /* K == 0 still runs one (empty) block so that the epilogue is written. */
    for (int64_t k0 = 0; k0 == 0 || k0 < K; k0 += kc_max) {
      int64_t kc = K - k0 < kc_max ? K - k0 : kc_max;
      kern_tile_epilogue te = {
          .load_c = epi->accumulate || k0 > 0,
          .last = k0 + kc >= K,
          .ldr = epi->ldr,
          .act = epi->act,
          .act_lo = epi->act_lo,
          .act_hi = epi->act_hi,
      };
      for (int64_t i0 = 0; i0 < M; i0 += mr) {
        int m = (int)(M - i0 < mr ? M - i0 : mr);
        const float *a = A + i0 * lda + k0;
        ptrdiff_t a_ld = lda;
        if (j_end - j0 > nr && kc > 0) { /* reused by >1 panel: worth a conflict-free copy */
          a_ld = kc + A_COPY_PAD;
          for (int r = 0; r < m; r++)
            memcpy(a_copy + r * a_ld, A + (i0 + r) * lda + k0, (size_t)kc * sizeof(float));
          a = a_copy;
        }
        te.bias_m = epi->bias_m ? epi->bias_m + i0 : NULL;
        for (int64_t j = j0; j < j_end; j += nr) {
          int n = (int)(N - j < nr ? N - j : nr);
          const float *bp = packed_b + (j / nr) * panel_stride + k0 * nr;
          te.bias_n = epi->bias_n ? epi->bias_n + j : NULL;
          te.residual = epi->residual ? epi->residual + i0 * epi->ldr + j : NULL;
          g->ukernel(m, n, kc, a, a_ld, bp, C + i0 * ldc + j, ldc, &te);
        }
      }
    }
  }
}
