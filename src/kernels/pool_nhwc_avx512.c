/* pool_nhwc_avx512.c — max / average / global average pooling of NHWC images with AVX-512,
 * 16 channels per vector (masked tail); same semantics and summation order as the generic C. */
#include "kernels/kernels.h"

#include <immintrin.h>
#include <math.h>

#define VL 16

static inline __mmask16 tail_mask(int64_t left) {
  return left >= VL ? (__mmask16)0xffff : (__mmask16)((1u << (unsigned)left) - 1);
}

/* Up to 4 channel vectors of one output pixel over the in-bounds taps. The running max is a
 * plain vmaxps chain per vector (acc second: a NaN already in acc stays); a NaN input is
 * recorded in a mask (vcmpps unordered, off the critical path) and written at the end. The
 * old compare + masked-move chain per tap (cmp -> kor -> blend, ~20 cycles per tap) made the
 * 3x3 s2 pools of squeezenet1_0 ~10x slower than ORT; this is ~1 cycle per vector and tap. */
KERN_INLINE void
max_block(const int NVEC, const kern_pool2d_params *p, const float *x, ptrdiff_t xs, float *yo,
          int64_t c0, __mmask16 mlast, int64_t oh, int64_t ow, int64_t ki0, int64_t ki1,
          int64_t kj0, int64_t kj1) {
  __m512 acc[4];
  __mmask16 nan[4];
#pragma GCC unroll 4
  for (int v = 0; v < NVEC; v++) {
    acc[v] = _mm512_set1_ps(-INFINITY); /* a window of padding only */
    nan[v] = 0;
  }
  for (int64_t ki = ki0; ki < ki1; ki++) {
    const int64_t ih = oh * p->sh - p->pad_t + ki * p->dh;
    const float *xr = x + ih * p->W * xs + c0;
    for (int64_t kj = kj0; kj < kj1; kj++) {
      const float *xp = xr + (ow * p->sw - p->pad_l + kj * p->dw) * xs;
#pragma GCC unroll 4
      for (int v = 0; v < NVEC; v++) {
        const __m512 in = v == NVEC - 1 ? _mm512_maskz_loadu_ps(mlast, xp + v * VL)
                                        : _mm512_loadu_ps(xp + v * VL);
        nan[v] |= _mm512_cmp_ps_mask(in, in, _CMP_UNORD_Q);
        acc[v] = _mm512_max_ps(in, acc[v]);
      }
    }
  }
#pragma GCC unroll 4
  for (int v = 0; v < NVEC; v++) {
    const __m512 r = _mm512_mask_mov_ps(acc[v], nan[v], _mm512_set1_ps(NAN));
    if (v == NVEC - 1)
      _mm512_mask_storeu_ps(yo + c0 + v * VL, mlast, r);
    else
      _mm512_storeu_ps(yo + c0 + v * VL, r);
  }
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
      for (int64_t c0 = 0; c0 < C; c0 += 4 * VL) {
        const int64_t rem = C - c0 < 4 * VL ? C - c0 : 4 * VL;
        const int nvec = (int)((rem + VL - 1) / VL);
        const __mmask16 mlast = tail_mask(rem - (nvec - 1) * VL);
        switch (nvec) {
        case 1: max_block(1, p, x, xs, yo, c0, mlast, oh, ow, ki0, ki1, kj0, kj1); break;
        case 2: max_block(2, p, x, xs, yo, c0, mlast, oh, ow, ki0, ki1, kj0, kj1); break;
        case 3: max_block(3, p, x, xs, yo, c0, mlast, oh, ow, ki0, ki1, kj0, kj1); break;
        default: max_block(4, p, x, xs, yo, c0, mlast, oh, ow, ki0, ki1, kj0, kj1); break;
        }
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
