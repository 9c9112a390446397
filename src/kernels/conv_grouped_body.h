/* conv_grouped_body.h — the body of kern_conv_grouped_<isa> (conv_grouped.h), written once over
 * the SIMD vocabulary: include after exactly one simd_<isa>.h. Register tile: R output pixels of
 * one row x one vector of output channels; R = 8 with 32 vector registers, 4 with 16 (the
 * permute mode also keeps R input vectors and Cg permutations live); a row's last tile is
 * narrower. Taps in the left / right padding are skipped per pixel. */
#include "kernels/kernels_isa.h" /* the family's prototype: the definition is checked */

#define CG_R (SIMD_REGS >= 32 ? 8 : 4)
#define CG_MAX_PERM 16 /* Cg in the permute mode is < SIMD_VL <= 16 */

static inline simd_f32 cg_epilogue(simd_f32 v, const kern_epilogue *epi, int64_t c,
                                   const float *res, const float *yp) {
  if (epi->accumulate) v = simd_add(simd_load(yp), v);
  if (epi->bias_n) v = simd_add(v, simd_load(epi->bias_n + c));
  if (res) v = simd_add(v, simd_load(res + c));
  if (epi->act == KERN_ACT_RELU) v = simd_max(simd_zero(), v);
  if (epi->act == KERN_ACT_CLIP) v = simd_min(simd_set1(epi->act_hi), simd_max(simd_set1(epi->act_lo), v));
  return v;
}

/* acc[r] += the window of pixel ow0 + r, r < n; taps in the left / right padding are skipped
 * per pixel (only border tiles have any). */
static inline __attribute__((always_inline)) void cg_tile(
    const int n, const bool perm, const kern_conv2d_params *p, const float *x, ptrdiff_t xs,
    const float *wv, int64_t oh, int64_t ow0, int64_t ki0, int64_t ki1, int64_t cbase, int64_t Cg,
    const simd_perm *pj, simd_f32 *acc) {
  for (int64_t ki = ki0; ki < ki1; ki++) {
    const int64_t ih = oh * p->sh - p->pad_t + ki * p->dh;
    for (int64_t kj = 0; kj < p->kw; kj++) {
      const float *wt = wv + (ki * p->kw + kj) * Cg * SIMD_VL;
      const float *xr[CG_R];
      bool ok[CG_R], all = true;
#pragma GCC unroll 8
      for (int r = 0; r < n; r++) {
        const int64_t iw = (ow0 + r) * p->sw - p->pad_l + kj * p->dw;
        ok[r] = iw >= 0 && iw < p->W;
        all = all && ok[r];
        xr[r] = x + (ih * p->W + (ok[r] ? iw : 0)) * xs + cbase;
      }
      if (perm) {
        simd_f32 xv[CG_R];
#pragma GCC unroll 8
        for (int r = 0; r < n; r++)
          xv[r] = ok[r] ? simd_load(xr[r]) : simd_zero();
        for (int64_t j = 0; j < Cg; j++) {
          const simd_f32 w = simd_load(wt + j * SIMD_VL);
#pragma GCC unroll 8
          for (int r = 0; r < n; r++)
            acc[r] = simd_fma(simd_permute(xv[r], pj[j]), w, acc[r]);
        }
      } else if (all) {
        for (int64_t j = 0; j < Cg; j++) {
          const simd_f32 w = simd_load(wt + j * SIMD_VL);
#pragma GCC unroll 8
          for (int r = 0; r < n; r++)
            acc[r] = simd_fma(simd_load1(xr[r] + j), w, acc[r]);
        }
      } else {
#pragma GCC unroll 8
        for (int r = 0; r < n; r++) {
          if (!ok[r]) continue;
          for (int64_t j = 0; j < Cg; j++)
            acc[r] = simd_fma(simd_load1(xr[r] + j), simd_load(wt + j * SIMD_VL), acc[r]);
        }
      }
    }
  }
}

/* One tile of n (a constant in each case) pixels. */
#define CG_TILE(N)                                                                               \
  case N: cg_tile(N, perm, p, x, xs, wv, oh, ow, ki0, ki1, cbase, Cg, pj, acc); break;

static inline __attribute__((always_inline)) void cg_run(const bool perm,
                                                         const kern_conv2d_params *p,
                                                         const float *x, const float *packed_w,
                                                         float *y, int64_t oh0, int64_t oh1,
                                                         const kern_epilogue *epi) {
  const int64_t G = p->groups, Cg = p->C / G, Ng = p->Cout / G, khw = p->kh * p->kw;
  const int64_t V = p->Cout / SIMD_VL;
  const ptrdiff_t xs = p->x_stride ? p->x_stride : p->C;
  const ptrdiff_t ys = p->y_stride ? p->y_stride : p->Cout;
  const ptrdiff_t ldr = epi->ldr ? epi->ldr : p->Cout;
  simd_perm pj[CG_MAX_PERM];
  if (perm)
    for (int64_t j = 0; j < Cg && j < CG_MAX_PERM; j++) {
      int32_t idx[SIMD_VL];
      for (int l = 0; l < SIMD_VL; l++)
        idx[l] = (int32_t)((l / Ng) * Cg + j);
      pj[j] = simd_perm_load(idx);
    }
  for (int64_t oh = oh0; oh < oh1; oh++) {
    int64_t ki0, ki1;
    kern_tap_range(oh, p->sh, p->pad_t, p->dh, p->kh, 0, p->H, &ki0, &ki1);
    for (int64_t v = 0; v < V; v++) {
      const int64_t c = v * SIMD_VL;
      /* permute mode: the block's groups read input channels c .. c + VL (Cg == Ng); broadcast
       * mode: the block lies in group c / Ng, whose inputs start at its index * Cg */
      const int64_t cbase = perm ? c : (c / Ng) * Cg;
      const float *wv = packed_w + v * khw * Cg * SIMD_VL;
      for (int64_t ow = 0; ow < p->OW; ow += CG_R) {
        const int n = (int)(p->OW - ow < CG_R ? p->OW - ow : CG_R);
        simd_f32 acc[CG_R];
        for (int r = 0; r < CG_R; r++)
          acc[r] = simd_zero();
        switch (n) {
          CG_TILE(1)
          CG_TILE(2)
          CG_TILE(3)
#if CG_R > 4
          CG_TILE(4)
          CG_TILE(5)
          CG_TILE(6)
          CG_TILE(7)
          CG_TILE(8)
#else
          CG_TILE(4)
#endif
        }
        for (int r = 0; r < n; r++) {
          const int64_t m = oh * p->OW + ow + r;
          const float *res = epi->residual ? epi->residual + m * ldr : NULL;
          simd_store(y + m * ys + c, cg_epilogue(acc[r], epi, c, res, y + m * ys + c));
        }
      }
    }
  }
}

void SIMD_NAME(kern_conv_grouped)(const kern_conv2d_params *p, const float *x,
                                  const float *packed_w, float *y, int64_t oh0, int64_t oh1,
                                  const kern_epilogue *epi) {
  static const kern_epilogue none = {0};
  if (!epi) epi = &none;
  if (oh0 < 0) oh0 = 0;
  if (oh1 > p->OH) oh1 = p->OH;
  if (oh0 >= oh1 || p->OW <= 0) return;
  if (p->Cout / p->groups < SIMD_VL)
    cg_run(true, p, x, packed_w, y, oh0, oh1, epi);
  else
    cg_run(false, p, x, packed_w, y, oh0, oh1, epi);
}
