/* dwconv_avx2.c — depthwise NHWC convolution with AVX2+FMA: per output pixel, 32 channels
 * (4 ymm accumulators) at a time over the in-bounds taps, then 8 at a time (masked tail). */
#include "kernels/kernels.h"

#include <immintrin.h>

/* 4 independent accumulators (see dwconv_avx512.c); 4 + 8 loads stay within 16 ymm. */
#define VL 8
#define NV 4

static inline __m256 act_apply(const kern_epilogue *e, __m256 v) {
  /* max/min return the SECOND operand when either is NaN: NaN passes, as ir_act_apply. */
  switch (e->act) {
  case KERN_ACT_NONE: return v;
  case KERN_ACT_RELU: return _mm256_max_ps(_mm256_setzero_ps(), v);
  case KERN_ACT_CLIP:
    return _mm256_min_ps(_mm256_set1_ps(e->act_hi), _mm256_max_ps(_mm256_set1_ps(e->act_lo), v));
  }
  return v;
}

/* vmaskmovps is slow on AMD (microcoded store), so only the channel tail uses it. */
static inline __m256 load(const float *p, __m256i m, bool full) {
  return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m);
}

static inline void store(const kern_epilogue *e, __m256 v, __m256i m, bool full, float *yc,
                         const float *bc, const float *rc) {
  if (e->accumulate) v = _mm256_add_ps(v, load(yc, m, full));
  if (bc) v = _mm256_add_ps(v, load(bc, m, full));
  if (rc) v = _mm256_add_ps(v, load(rc, m, full));
  v = act_apply(e, v);
  if (full)
    _mm256_storeu_ps(yc, v);
  else
    _mm256_maskstore_ps(yc, m, v);
}

void kern_dwconv2d_nhwc_avx2(const kern_conv2d_params *p, const float *x, const float *packed_w,
                             float *y, int64_t oh0, int64_t oh1, const kern_epilogue *epi) {
  static const kern_epilogue none = {0};
  if (!epi) epi = &none;
  const int64_t C = p->C;
  const ptrdiff_t xs = p->x_stride ? p->x_stride : C, ys = p->y_stride ? p->y_stride : C;
  const ptrdiff_t ldr = epi->ldr ? epi->ldr : C;
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
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
      const float *bo = epi->bias_n;
      int64_t c0 = 0;
      for (; c0 + NV * VL <= C; c0 += NV * VL) {
        __m256 acc[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
          acc[v] = _mm256_setzero_ps();
        for (int64_t ki = ki0; ki < ki1; ki++) {
          const int64_t ih = oh * p->sh - p->pad_t + ki * p->dh;
          for (int64_t kj = kj0; kj < kj1; kj++) {
            const int64_t iw = ow * p->sw - p->pad_l + kj * p->dw;
            const float *xp = x + (ih * p->W + iw) * xs + c0;
            const float *wp = packed_w + (ki * p->kw + kj) * C + c0;
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
              acc[v] = _mm256_fmadd_ps(_mm256_loadu_ps(xp + v * VL), _mm256_loadu_ps(wp + v * VL),
                                       acc[v]);
          }
        }
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) {
          int64_t c = c0 + v * VL;
          store(epi, acc[v], lane, true, yo + c, bo ? bo + c : NULL, ro ? ro + c : NULL);
        }
      }
      for (; c0 < C; c0 += VL) {
        const bool full = C - c0 >= VL;
        const __m256i mk = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(full ? VL : C - c0)), lane);
        __m256 a = _mm256_setzero_ps();
        for (int64_t ki = ki0; ki < ki1; ki++) {
          const int64_t ih = oh * p->sh - p->pad_t + ki * p->dh;
          for (int64_t kj = kj0; kj < kj1; kj++) {
            const int64_t iw = ow * p->sw - p->pad_l + kj * p->dw;
            const float *xp = x + (ih * p->W + iw) * xs + c0;
            const float *wp = packed_w + (ki * p->kw + kj) * C + c0;
            a = _mm256_fmadd_ps(load(xp, mk, full), load(wp, mk, full), a);
          }
        }
        store(epi, a, mk, full, yo + c0, bo ? bo + c0 : NULL, ro ? ro + c0 : NULL);
      }
    }
  }
}
