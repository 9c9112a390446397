/* dwconv_generic.c — depthwise NHWC convolution in portable C (any CPU): per output pixel,
 * a block of channels accumulates over the taps inside the input (padding skipped by bounds). */
#include "kernels/kernels.h"

/* Channels per accumulator block: a local array the compiler keeps in vector registers
 * when it vectorizes (SSE2 at least); 64 floats = 16 xmm registers. */
#define BLK 64

/* acc += x * w over n channels. restrict and the constant BLK at the call site let GCC -O2
 * vectorize it (see pool_nhwc_generic.c). */
static inline __attribute__((always_inline)) void
fma_taps(int64_t n, const float *restrict xp, const float *restrict wp, float *restrict acc) {
  for (int64_t c = 0; c < n; c++)
    acc[c] += xp[c] * wp[c];
}

static inline float act_apply(const kern_epilogue *e, float v) {
  switch (e->act) {
  case KERN_ACT_NONE: return v;
  case KERN_ACT_RELU: return v < 0.0f ? 0.0f : v;
  case KERN_ACT_CLIP: return v < e->act_lo ? e->act_lo : (v > e->act_hi ? e->act_hi : v);
  }
  return v;
}

void kern_dwconv2d_nhwc_generic(const kern_conv2d_params *p, const float *x, const float *packed_w,
                                float *y, int64_t oh0, int64_t oh1, const kern_epilogue *epi) {
  static const kern_epilogue none = {0};
  if (!epi) epi = &none;
  const int64_t C = p->C;
  const ptrdiff_t xs = p->x_stride ? p->x_stride : C, ys = p->y_stride ? p->y_stride : C;
  const ptrdiff_t ldr = epi->ldr ? epi->ldr : C;
  if (oh0 < 0) oh0 = 0;
  if (oh1 > p->OH) oh1 = p->OH;
  for (int64_t oh = oh0; oh < oh1; oh++) {
    int64_t ki0, ki1;
    kern_tap_range(oh, p->sh, p->pad_t, p->dh, p->kh, 0, p->H, &ki0, &ki1);
    for (int64_t ow = 0; ow < p->OW; ow++) {
      int64_t kj0, kj1;
      kern_tap_range(ow, p->sw, p->pad_l, p->dw, p->kw, 0, p->W, &kj0, &kj1);
      const int64_t m = oh * p->OW + ow;
      float *yo = y + m * ys;
      const float *ro = epi->residual ? epi->residual + m * ldr : NULL;
      for (int64_t c0 = 0; c0 < C; c0 += BLK) {
        const int64_t n = C - c0 < BLK ? C - c0 : BLK;
        float acc[BLK] = {0};
        for (int64_t ki = ki0; ki < ki1; ki++) {
          const int64_t ih = oh * p->sh - p->pad_t + ki * p->dh;
          for (int64_t kj = kj0; kj < kj1; kj++) {
            const int64_t iw = ow * p->sw - p->pad_l + kj * p->dw;
            const float *xp = x + (ih * p->W + iw) * xs + c0;
            const float *wp = packed_w + (ki * p->kw + kj) * C + c0;
            if (n == BLK)
              fma_taps(BLK, xp, wp, acc);
            else
              fma_taps(n, xp, wp, acc);
          }
        }
        for (int64_t c = 0; c < n; c++) {
          float v = acc[c];
          if (epi->accumulate) v += yo[c0 + c];
          if (epi->bias_n) v += epi->bias_n[c0 + c];
          if (ro) v += ro[c0 + c];
          yo[c0 + c] = act_apply(epi, v);
        }
      }
    }
  }
}
