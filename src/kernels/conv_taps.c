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

/* Whether tap (ki, kj)'s rectangle of whole rows is one GEMM (see kern_conv_taps). */
static bool rows_merge(const kern_conv2d_params *p, int64_t kj, int64_t c0, int64_t c1) {
  return c0 == 0 && c1 == p->OW && p->sw == 1 && p->sh == 1 && p->W == p->OW &&
         c0 * p->sw - p->pad_l + kj * p->dw == 0;
}

static int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

/* Work counts, per output channel and input channel, in GEMM rows rounded up to whole
 * register tiles (mr rows: a GEMM of 8 rows runs the 12-row tile's loads for 8 and has no
 * more to amortize them over):
 *   im2col: every (pixel, tap) pair, padding zeros included, in chunks of whole tiles;
 *   taps:   per tap, its live rectangle as one GEMM (whole rows) or one GEMM per output row,
 *           each rounded up to whole tiles; plus, per output channel, y read and written once
 *           per tap and K block and two passes (bias / residual, activation), and for im2col the
 *           copy of every (pixel, tap) row (C floats).
 * The taps way is chosen when its count is lower. Only dilated convolutions: undilated ones
 * lose only their border taps (FCN's dilation-2 3x3s lose 8%, and there the count keeps
 * im2col: per-row GEMMs of 38 of 40 columns round to 48 rows). */
bool kern_conv_taps_applies(const kern_config *cfg, const kern_conv2d_params *p) {
  if (p->groups != 1 || (p->dh == 1 && p->dw == 1) || p->OH < 1 || p->OW < 1 || p->C < 1)
    return false;
  const int64_t mr = cfg->sgemm.mr;
  double rows = 0, pairs = 0; /* GEMM rows of the taps way; live (pixel, tap) pairs */
  for (int64_t ki = 0; ki < p->kh; ki++) {
    int64_t r0, r1;
    live_range(p->OH, p->H, p->sh, p->pad_t, ki, p->dh, &r0, &r1);
    for (int64_t kj = 0; kj < p->kw && r0 < r1; kj++) {
      int64_t c0, c1;
      live_range(p->OW, p->W, p->sw, p->pad_l, kj, p->dw, &c0, &c1);
      if (c0 >= c1) continue;
      pairs += (double)(r1 - r0) * (double)(c1 - c0);
      rows += rows_merge(p, kj, c0, c1) ? (double)round_up((r1 - r0) * p->OW, mr)
                                        : (double)(r1 - r0) * (double)round_up(c1 - c0, mr);
    }
  }
  const double px = (double)p->OH * (double)p->OW, dense = px * (double)(p->kh * p->kw);
  const double C = (double)p->C, N = (double)p->Cout;
  const double kblocks = (double)((p->C + cfg->sgemm.kc - 1) / cfg->sgemm.kc);
  const double im2col = round_up((int64_t)dense, mr) * C * N + dense * C;
  const double taps = rows * C * N + (2.0 * kblocks * pairs + 2.0 * px) * N;
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
      if (rows_merge(p, kj, c0, c1)) {
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
