/* pool_nhwc_avx2.c — max pooling of NHWC images with AVX2: up to 4 channel vectors of 8 per
 * output pixel (the last one masked), same semantics as pool_nhwc_generic.c. */
#include "kernels/kernels.h"

#include <immintrin.h>
#include <math.h>

#define VL 8

/* The running max is a vmaxps chain per vector (acc second: a NaN already in acc stays); a
 * NaN input is OR-ed into a lane mask (vcmpps unordered) and written at the end. The
 * generic C (compare + select per tap, SSE2) ran squeezenet1_0's 3x3 s2 pools ~8x slower. */
KERN_INLINE void
max_block(const int NVEC, const kern_pool2d_params *p, const float *x, ptrdiff_t xs, float *yo,
          int64_t c0, __m256i mlast, bool last_full, int64_t oh, int64_t ow, int64_t ki0,
          int64_t ki1, int64_t kj0, int64_t kj1) {
  __m256 acc[4], nan[4];
#pragma GCC unroll 4
  for (int v = 0; v < NVEC; v++) {
    acc[v] = _mm256_set1_ps(-INFINITY); /* a window of padding only */
    nan[v] = _mm256_setzero_ps();
  }
  for (int64_t ki = ki0; ki < ki1; ki++) {
    const int64_t ih = oh * p->sh - p->pad_t + ki * p->dh;
    const float *xr = x + ih * p->W * xs + c0;
    for (int64_t kj = kj0; kj < kj1; kj++) {
      const float *xp = xr + (ow * p->sw - p->pad_l + kj * p->dw) * xs;
#pragma GCC unroll 4
      for (int v = 0; v < NVEC; v++) {
        /* vmaskmovps is slow on AMD: only a partial last vector uses it */
        const __m256 in = v == NVEC - 1 && !last_full ? _mm256_maskload_ps(xp + v * VL, mlast)
                                                      : _mm256_loadu_ps(xp + v * VL);
        nan[v] = _mm256_or_ps(nan[v], _mm256_cmp_ps(in, in, _CMP_UNORD_Q));
        acc[v] = _mm256_max_ps(in, acc[v]);
      }
    }
  }
#pragma GCC unroll 4
  for (int v = 0; v < NVEC; v++) {
    const __m256 r = _mm256_blendv_ps(acc[v], _mm256_set1_ps(NAN), nan[v]);
    if (v == NVEC - 1 && !last_full)
      _mm256_maskstore_ps(yo + c0 + v * VL, mlast, r);
    else
      _mm256_storeu_ps(yo + c0 + v * VL, r);
  }
}

void kern_maxpool2d_nhwc_avx2(const kern_pool2d_params *p, const float *x, float *y, int64_t oh0,
                              int64_t oh1) {
  const int64_t C = p->C;
  const ptrdiff_t xs = p->x_stride ? p->x_stride : C, ys = p->y_stride ? p->y_stride : C;
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  if (oh0 < 0) oh0 = 0;
  if (oh1 > p->OH) oh1 = p->OH;
  for (int64_t oh = oh0; oh < oh1; oh++) {
    int64_t ki0, ki1;
    kern_tap_range(oh, p->sh, p->pad_t, p->dh, p->kh, 0, p->H, &ki0, &ki1);
    for (int64_t ow = 0; ow < p->OW; ow++) {
      int64_t kj0, kj1;
      kern_tap_range(ow, p->sw, p->pad_l, p->dw, p->kw, 0, p->W, &kj0, &kj1);
      float *yo = y + (oh * p->OW + ow) * ys;
      for (int64_t c0 = 0; c0 < C; c0 += 4 * VL) {
        const int64_t rem = C - c0 < 4 * VL ? C - c0 : 4 * VL;
        const int nvec = (int)((rem + VL - 1) / VL);
        const int last = (int)(rem - (nvec - 1) * VL); /* 1..8 channels in the last vector */
        const __m256i mlast = _mm256_cmpgt_epi32(_mm256_set1_epi32(last), lane);
        const bool full = last == VL;
        switch (nvec) {
        case 1: max_block(1, p, x, xs, yo, c0, mlast, full, oh, ow, ki0, ki1, kj0, kj1); break;
        case 2: max_block(2, p, x, xs, yo, c0, mlast, full, oh, ow, ki0, ki1, kj0, kj1); break;
        case 3: max_block(3, p, x, xs, yo, c0, mlast, full, oh, ow, ki0, ki1, kj0, kj1); break;
        default: max_block(4, p, x, xs, yo, c0, mlast, full, oh, ow, ki0, ki1, kj0, kj1); break;
        }
      }
    }
  }
}
