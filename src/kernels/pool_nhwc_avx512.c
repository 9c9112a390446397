/* pool_nhwc_avx512.c — max / average / global average pooling of NHWC images with AVX-512,
 * 16 channels per vector (masked tail); same semantics and summation order as the generic C. */
#include "kernels/kernels.h"

#include <immintrin.h>
#include <math.h>

#define VL 16

static inline __mmask16 tail_mask(int64_t left) {
  return left >= VL ? (__mmask16)0xffff : (__mmask16)((1u << (unsigned)left) - 1);
}

void kern_maxpool2d_nhwc_avx512(const kern_pool2d_params *p, const float *x, float *y, int64_t oh0,
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
      for (int64_t c0 = 0; c0 < C; c0 += VL) {
        const __mmask16 mk = tail_mask(C - c0);
        __m512 acc = _mm512_set1_ps(-INFINITY);
        for (int64_t ki = ki0; ki < ki1; ki++) {
          const int64_t ih = oh * p->sh - p->pad_t + ki * p->dh;
          for (int64_t kj = kj0; kj < kj1; kj++) {
            const int64_t iw = ow * p->sw - p->pad_l + kj * p->dw;
            __m512 v = _mm512_maskz_loadu_ps(mk, x + (ih * p->W + iw) * xs + c0);
            /* take v where v > acc or v is NaN: NaN sticks, as in the reference */
            __mmask16 take =
                _mm512_cmp_ps_mask(v, acc, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
            acc = _mm512_mask_mov_ps(acc, take, v);
          }
        }
        _mm512_mask_storeu_ps(yo + c0, mk, acc);
      }
    }
  }
}

/* Same divisor as pool_nhwc_generic.c (duplicated: the two files are compiled apart). */
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

void kern_avgpool2d_nhwc_avx512(const kern_pool2d_params *p, const float *x, float *y, int64_t oh0,
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
      const __m512 div = _mm512_set1_ps(count ? (float)count : NAN);
      float *yo = y + (oh * p->OW + ow) * ys;
      for (int64_t c0 = 0; c0 < C; c0 += VL) {
        const __mmask16 mk = tail_mask(C - c0);
        __m512 acc = _mm512_setzero_ps();
        for (int64_t ki = ki0; ki < ki1; ki++) {
          const int64_t ih = oh * p->sh - p->pad_t + ki * p->dh;
          for (int64_t kj = kj0; kj < kj1; kj++) {
            const int64_t iw = ow * p->sw - p->pad_l + kj * p->dw;
            acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(mk, x + (ih * p->W + iw) * xs + c0));
          }
        }
        /* a true division (not a reciprocal multiply) to match the reference bit for bit;
         * count 0 divides 0 by NaN, giving the reference's NaN */
        _mm512_mask_storeu_ps(yo + c0, mk, _mm512_div_ps(acc, div));
      }
    }
  }
}

void kern_global_avgpool_nhwc_avx512(int64_t HW, int64_t C, const float *x, ptrdiff_t x_stride,
                                     float *y) {
  const ptrdiff_t xs = x_stride ? x_stride : C;
  const __m512 div = _mm512_set1_ps((float)HW);
  int64_t c0 = 0;
  /* 4 channel vectors per pass over the pixels: 4 independent add chains. */
  for (; c0 + 4 * VL <= C; c0 += 4 * VL) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t s = 0; s < HW; s++) {
      const float *xp = x + s * xs + c0;
      a0 = _mm512_add_ps(a0, _mm512_loadu_ps(xp));
      a1 = _mm512_add_ps(a1, _mm512_loadu_ps(xp + 16));
      a2 = _mm512_add_ps(a2, _mm512_loadu_ps(xp + 32));
      a3 = _mm512_add_ps(a3, _mm512_loadu_ps(xp + 48));
    }
    _mm512_storeu_ps(y + c0, _mm512_div_ps(a0, div));
    _mm512_storeu_ps(y + c0 + 16, _mm512_div_ps(a1, div));
    _mm512_storeu_ps(y + c0 + 32, _mm512_div_ps(a2, div));
    _mm512_storeu_ps(y + c0 + 48, _mm512_div_ps(a3, div));
  }
  for (; c0 < C; c0 += VL) {
    const __mmask16 mk = tail_mask(C - c0);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t s = 0; s < HW; s++)
      acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(mk, x + s * xs + c0));
    _mm512_mask_storeu_ps(y + c0, mk, _mm512_div_ps(acc, div));
  }
}
