/* pool_nhwc_generic.c — max / average / global average pooling of NHWC images in portable C,
 * vectorized over channels by the compiler; the semantics every ISA variant reproduces. */
#include "kernels/kernels.h"

#include <math.h>

/* Channels per block: a local accumulator array (64 floats = 16 xmm registers). */
#define BLK 64

/* The per-tap channel loops. GCC -O2 (very-cheap cost model) vectorizes a loop only when
 * its trip count is a known multiple of the vector width and no runtime alias check is
 * needed: hence restrict, and call sites that pass the constant BLK for full blocks
 * (checked with -fopt-info-vec: SSE2 here, no ISA flags in this file). */
static inline __attribute__((always_inline)) void max_taps(int64_t n, const float *restrict xp,
                                                           float *restrict acc) {
  /* NaN is sticky, as in the reference: a NaN input replaces acc, and nothing compares
   * greater than a NaN acc. (v != v is isnan without a libm call.) */
  for (int64_t c = 0; c < n; c++)
    acc[c] = (xp[c] > acc[c] || xp[c] != xp[c]) ? xp[c] : acc[c];
}

static inline __attribute__((always_inline)) void sum_taps(int64_t n, const float *restrict xp,
                                                           float *restrict acc) {
  for (int64_t c = 0; c < n; c++)
    acc[c] += xp[c];
}

void kern_maxpool2d_nhwc_generic(const kern_pool2d_params *p, const float *x, float *y, int64_t oh0,
                                 int64_t oh1) {
  const int64_t C = p->C;
  const ptrdiff_t xs = p->x_stride ? p->x_stride : C, ys = p->y_stride ? p->y_stride : C;
  if (oh0 < 0) oh0 = 0;
  if (oh1 > p->OH) oh1 = p->OH;
  for (int64_t oh = oh0; oh < oh1; oh++) {
    int64_t ki0, ki1;
    kern_tap_range(oh, p->sh, p->pad_t, p->dh, p->kh, 0, p->H, &ki0, &ki1);
    for (int64_t ow = 0; ow < p->OW; ow++) {
      int64_t kj0, kj1;
      kern_tap_range(ow, p->sw, p->pad_l, p->dw, p->kw, 0, p->W, &kj0, &kj1);
      float *yo = y + (oh * p->OW + ow) * ys;
      for (int64_t c0 = 0; c0 < C; c0 += BLK) {
        const int64_t n = C - c0 < BLK ? C - c0 : BLK;
        float acc[BLK];
        for (int64_t c = 0; c < n; c++)
          acc[c] = -INFINITY; /* a window of padding only */
        for (int64_t ki = ki0; ki < ki1; ki++) {
          const int64_t ih = oh * p->sh - p->pad_t + ki * p->dh;
          for (int64_t kj = kj0; kj < kj1; kj++) {
            const int64_t iw = ow * p->sw - p->pad_l + kj * p->dw;
            const float *xp = x + (ih * p->W + iw) * xs + c0;
            if (n == BLK)
              max_taps(BLK, xp, acc);
            else
              max_taps(n, xp, acc);
          }
        }
        for (int64_t c = 0; c < n; c++)
          yo[c0 + c] = acc[c];
      }
    }
  }
}

/* The divisor of one window: pixels inside the input, or with count_include_pad the
 * positions inside the padded input (a ceil_mode overhang past the end pad excluded). */
static int64_t avg_count(const kern_pool2d_params *p, int64_t oh, int64_t ow) {
  int64_t a0, a1, b0, b1;
  if (p->count_include_pad) {
    kern_tap_range(oh, p->sh, p->pad_t, p->dh, p->kh, -p->pad_t, p->H + p->pad_b, &a0, &a1);
    kern_tap_range(ow, p->sw, p->pad_l, p->dw, p->kw, -p->pad_l, p->W + p->pad_r, &b0, &b1);
  } else {
    kern_tap_range(oh, p->sh, p->pad_t, p->dh, p->kh, 0, p->H, &a0, &a1);
    kern_tap_range(ow, p->sw, p->pad_l, p->dw, p->kw, 0, p->W, &b0, &b1);
  }
  return (a1 > a0 ? a1 - a0 : 0) * (b1 > b0 ? b1 - b0 : 0);
}

void kern_avgpool2d_nhwc_generic(const kern_pool2d_params *p, const float *x, float *y, int64_t oh0,
                                 int64_t oh1) {
  const int64_t C = p->C;
  const ptrdiff_t xs = p->x_stride ? p->x_stride : C, ys = p->y_stride ? p->y_stride : C;
  if (oh0 < 0) oh0 = 0;
  if (oh1 > p->OH) oh1 = p->OH;
  for (int64_t oh = oh0; oh < oh1; oh++) {
    int64_t ki0, ki1;
    kern_tap_range(oh, p->sh, p->pad_t, p->dh, p->kh, 0, p->H, &ki0, &ki1);
    for (int64_t ow = 0; ow < p->OW; ow++) {
      int64_t kj0, kj1;
      kern_tap_range(ow, p->sw, p->pad_l, p->dw, p->kw, 0, p->W, &kj0, &kj1);
      const int64_t count = avg_count(p, oh, ow);
      float *yo = y + (oh * p->OW + ow) * ys;
      for (int64_t c0 = 0; c0 < C; c0 += BLK) {
        const int64_t n = C - c0 < BLK ? C - c0 : BLK;
        float acc[BLK] = {0};
        /* Taps in kernel row-major order, one float sum per channel: the reference's
         * order, so results are bit-identical to it. */
        for (int64_t ki = ki0; ki < ki1; ki++) {
          const int64_t ih = oh * p->sh - p->pad_t + ki * p->dh;
          for (int64_t kj = kj0; kj < kj1; kj++) {
            const int64_t iw = ow * p->sw - p->pad_l + kj * p->dw;
            const float *xp = x + (ih * p->W + iw) * xs + c0;
            if (n == BLK)
              sum_taps(BLK, xp, acc);
            else
              sum_taps(n, xp, acc);
          }
        }
        for (int64_t c = 0; c < n; c++)
          yo[c0 + c] = count ? acc[c] / (float)count : NAN;
      }
    }
  }
}

void kern_global_avgpool_nhwc_generic(int64_t HW, int64_t C, const float *x, ptrdiff_t x_stride,
                                      float *y) {
  const ptrdiff_t xs = x_stride ? x_stride : C;
  for (int64_t c0 = 0; c0 < C; c0 += BLK) {
    const int64_t n = C - c0 < BLK ? C - c0 : BLK;
    float acc[BLK] = {0};
    for (int64_t s = 0; s < HW; s++) {
      if (n == BLK)
        sum_taps(BLK, x + s * xs + c0, acc);
      else
        sum_taps(n, x + s * xs + c0, acc);
    }
    for (int64_t c = 0; c < n; c++)
      y[c0 + c] = acc[c] / (float)HW;
  }
}
