/* conv_taps.c — a convolution as one GEMM per kernel tap over the tap's live output rectangle
 * (the outputs whose input pixel for that tap is inside the image), accumulated into y. For
 * dilated convolutions on small maps (DeepLabV3's ASPP: dilation 12 on 20x20), where im2col
 * would multiply most taps by padding zeros. Same packed weights as kern_conv2d_nhwc. */
#include "kernels/conv_taps.h"

#include <string.h>

/* Outputs o in [0, O) whose input coordinate o*s - pad + k*d lies in [0, I): [*lo, *hi). */
static void live_range(int64_t O, int64_t I, int64_t s, int64_t pad, int64_t k, int64_t d,
                       int64_t *lo, int64_t *hi) {
  const int64_t off = k * d - pad; /* input coordinate of output 0 */
  int64_t a = off >= 0 ? 0 : (-off + s - 1) / s;
  int64_t b = I - 1 - off < 0 ? 0 : (I - 1 - off) / s + 1;
  if (b > O) b = O;
  *lo = a;
  *hi = b > a ? b : a;
}

/* Sum over the taps of one dimension of its live outputs. */
static int64_t live_sum(int64_t O, int64_t I, int64_t s, int64_t pad, int64_t K, int64_t d) {
  int64_t sum = 0;
  for (int64_t k = 0; k < K; k++) {
    int64_t lo, hi;
    live_range(O, I, s, pad, k, d, &lo, &hi);
    sum += hi - lo;
  }
  return sum;
}

/* Work counts, per output channel, in multiply-adds and float moves (one unit each):
 *   im2col: every (pixel, tap) multiplies C inputs (padding zeros included), plus the copy of
 *           C floats into the im2col row: dense * (C + C / Cout);
 *   taps:   the live (pixel, tap) pairs multiply C inputs, and each tap's GEMM reads and writes
 *           its live outputs once per K block of the GEMM (kc), plus one pass to set y to its
 *           bias / residual and one to apply the activation: live * (C + 2 ceil(C / kc)) + 2
 *           per pixel.
 * The taps way is chosen when its count is lower. Only for dilated convolutions: undilated
 * ones lose only their border taps, and there im2col (or Winograd) was what was measured. */
bool kern_conv_taps_applies(const kern_config *cfg, const kern_conv2d_params *p) {
  if (p->groups != 1 || (p->dh == 1 && p->dw == 1) || p->OH < 1 || p->OW < 1 || p->C < 1)
    return false;
  const int64_t rows = live_sum(p->OH, p->H, p->sh, p->pad_t, p->kh, p->dh);
  const int64_t cols = live_sum(p->OW, p->W, p->sw, p->pad_l, p->kw, p->dw);
  const double px = (double)p->OH * (double)p->OW;
  const double dense = px * (double)(p->kh * p->kw), live = (double)rows * (double)cols;
  const double C = (double)p->C, kblocks = (double)((p->C + cfg->sgemm.kc - 1) / cfg->sgemm.kc);
  const double im2col = dense * (C + C / (double)p->Cout);
  const double taps = live * (C + 2.0 * kblocks) + 2.0 * px;
  return taps < im2col;
}

/* y rows [oh0, oh1) = (accumulate ? y : 0) + bias + residual: what the taps accumulate onto. */
static void init_rows(const kern_conv2d_params *p, float *y, ptrdiff_t ys, int64_t oh0, int64_t oh1,
                      const kern_epilogue *epi, ptrdiff_t ldr) {
  const int64_t N = p->Cout;
  for (int64_t m = oh0 * p->OW; m < oh1 * p->OW; m++) {
    float *yp = y + m * ys;
    const float *rp = epi->residual ? epi->residual + m * ldr : NULL;
    if (!epi->accumulate && !epi->bias_n && !rp) {
      memset(yp, 0, (size_t)N * sizeof(float));
      continue;
    }
    for (int64_t c = 0; c < N; c++) {
      float v = epi->accumulate ? yp[c] : 0.0f;
      if (epi->bias_n) v += epi->bias_n[c];
      if (rp) v += rp[c];
      yp[c] = v;
    }
  }
}

/* The activation over y rows [oh0, oh1), with ir_act_apply's NaN semantics. */
static void act_rows(const kern_conv2d_params *p, float *y, ptrdiff_t ys, int64_t oh0, int64_t oh1,
                     const kern_epilogue *epi) {
  if (epi->act == KERN_ACT_NONE) return;
  const float lo = epi->act_lo, hi = epi->act_hi;
  for (int64_t m = oh0 * p->OW; m < oh1 * p->OW; m++) {
    float *yp = y + m * ys;
    for (int64_t c = 0; c < p->Cout; c++) {
      const float v = yp[c];
      yp[c] = epi->act == KERN_ACT_RELU ? (v < 0.0f ? 0.0f : v) : (v < lo ? lo : (v > hi ? hi : v));
    }
  }
}

void kern_conv_taps(const kern_config *cfg, const kern_conv2d_params *p, const float *x,
                    const float *packed_w, float *y, int64_t oh0, int64_t oh1,
                    const kern_epilogue *epi) {
  const int64_t C = p->C, N = p->Cout, nr = cfg->sgemm.nr, K = p->kh * p->kw * C;
  const ptrdiff_t xs = p->x_stride ? p->x_stride : C;
  const ptrdiff_t ys = p->y_stride ? p->y_stride : N;
  const ptrdiff_t ldr = epi->ldr ? epi->ldr : N;
  const ptrdiff_t panel_stride = (ptrdiff_t)K * nr; /* packed B [K, N], row (tap * C + ci) */
  const kern_epilogue acc = {.accumulate = true};
  init_rows(p, y, ys, oh0, oh1, epi, ldr);
  for (int64_t ki = 0; ki < p->kh; ki++) {
    int64_t r0, r1;
    live_range(p->OH, p->H, p->sh, p->pad_t, ki, p->dh, &r0, &r1);
    if (r0 < oh0) r0 = oh0;
    if (r1 > oh1) r1 = oh1;
    for (int64_t kj = 0; kj < p->kw && r0 < r1; kj++) {
      int64_t c0, c1;
      live_range(p->OW, p->W, p->sw, p->pad_l, kj, p->dw, &c0, &c1);
      if (c0 >= c1) continue;
      const float *b = packed_w + (ki * p->kw + kj) * C * nr;
      const int64_t iw0 = c0 * p->sw - p->pad_l + kj * p->dw;
      /* Whole rows that map to whole input rows at stride 1 are one GEMM over the rectangle;
       * otherwise one GEMM per output row (A rows sw pixels apart). */
      if (c0 == 0 && c1 == p->OW && p->sw == 1 && p->sh == 1 && iw0 == 0 && p->W == p->OW) {
        const int64_t ih0 = r0 - p->pad_t + ki * p->dh;
        kern_sgemm_panels(cfg, (r1 - r0) * p->OW, N, C, x + ih0 * p->W * xs, xs, b, panel_stride,
                          y + r0 * p->OW * ys, ys, &acc);
        continue;
      }
      for (int64_t oh = r0; oh < r1; oh++) {
        const int64_t ih = oh * p->sh - p->pad_t + ki * p->dh;
        kern_sgemm_panels(cfg, c1 - c0, N, C, x + (ih * p->W + iw0) * xs, p->sw * xs, b,
                          panel_stride, y + (oh * p->OW + c0) * ys, ys, &acc);
      }
    }
  }
  act_rows(p, y, ys, oh0, oh1, epi);
}
