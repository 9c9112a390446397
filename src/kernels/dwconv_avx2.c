/* dwconv_avx2.c — depthwise NHWC convolution with AVX2+FMA: 3x3 stride 1/2 through the
 * register-blocked kernel of dwconv3x3.h; other shapes in blocks of up to 32 channels for one
 * or two output pixels at a time. */
#include "kernels/kernels.h"

#include <immintrin.h>

/* Same blocking as dwconv_avx512.c: up to 4 channel vectors x 2 pixels = 8 accumulators,
 * which with the weight vector and one input load stays within the 16 ymm registers. */
#define VL 8
#define NV 4
#define NPIX_MAX 2

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

/* vmaskmovps is slow on AMD (microcoded store), so only a partial last vector uses it. */
static inline __m256 load(const float *p, __m256i m, bool full) {
  return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m);
}

typedef struct dw_args {
  const kern_conv2d_params *p;
  const float *x, *w;
  float *y;
  const float *res; /* residual image or NULL */
  ptrdiff_t xs, ys, ldr;
  const kern_epilogue *epi;
} dw_args;

/* NVEC channel vectors from c0 (the last one partial unless last_full, lanes mlast) of
 * NPIX output pixels from (oh, ow) sharing the taps [ki0, ki1) x [kj0, kj1). NVEC and NPIX
 * are constants at every call site, so the accumulators live in registers. */
KERN_INLINE void
block(const int NVEC, const int NPIX, const dw_args *a, int64_t c0, __m256i mlast, bool last_full,
      int64_t oh, int64_t ow, int64_t ki0, int64_t ki1, int64_t kj0, int64_t kj1) {
  const kern_conv2d_params *p = a->p;
  const int64_t C = p->C;
  const ptrdiff_t pix_step = p->sw * a->xs;
  __m256 acc[NPIX_MAX][NV];
#pragma GCC unroll 2
  for (int q = 0; q < NPIX; q++)
#pragma GCC unroll 4
    for (int v = 0; v < NVEC; v++)
      acc[q][v] = _mm256_setzero_ps();
  for (int64_t ki = ki0; ki < ki1; ki++) {
    const int64_t ih = oh * p->sh - p->pad_t + ki * p->dh;
    for (int64_t kj = kj0; kj < kj1; kj++) {
      const int64_t iw = ow * p->sw - p->pad_l + kj * p->dw;
      const float *xp = a->x + (ih * p->W + iw) * a->xs + c0;
      const float *wp = a->w + (ki * p->kw + kj) * C + c0;
#pragma GCC unroll 4
      for (int v = 0; v < NVEC; v++) {
        const bool full = v < NVEC - 1 || last_full;
        const __m256 wv = load(wp + v * VL, mlast, full);
#pragma GCC unroll 2
        for (int q = 0; q < NPIX; q++)
          acc[q][v] = _mm256_fmadd_ps(load(xp + q * pix_step + v * VL, mlast, full), wv, acc[q][v]);
      }
    }
  }
  const kern_epilogue *e = a->epi;
#pragma GCC unroll 2
  for (int q = 0; q < NPIX; q++) {
    const int64_t pix = oh * p->OW + ow + q;
    float *yo = a->y + pix * a->ys + c0;
    const float *ro = a->res ? a->res + pix * a->ldr + c0 : NULL;
#pragma GCC unroll 4
    for (int v = 0; v < NVEC; v++) {
      const bool full = v < NVEC - 1 || last_full;
      __m256 r = acc[q][v];
      if (e->accumulate) r = _mm256_add_ps(r, load(yo + v * VL, mlast, full));
      if (e->bias_n) r = _mm256_add_ps(r, load(e->bias_n + c0 + v * VL, mlast, full));
      if (ro) r = _mm256_add_ps(r, load(ro + v * VL, mlast, full));
      r = act_apply(e, r);
      if (full)
        _mm256_storeu_ps(yo + v * VL, r);
      else
        _mm256_maskstore_ps(yo + v * VL, mlast, r);
    }
  }
}

KERN_INLINE void pixels(const int NPIX, const dw_args *a,
                                                         int64_t oh, int64_t ow, int64_t ki0,
                                                         int64_t ki1, int64_t kj0, int64_t kj1) {
  const int64_t C = a->p->C;
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int64_t c0 = 0; c0 < C; c0 += NV * VL) {
    const int64_t rem = C - c0 < NV * VL ? C - c0 : NV * VL;
    const int nvec = (int)((rem + VL - 1) / VL);
    const int last = (int)(rem - (nvec - 1) * VL); /* 1..8 channels in the last vector */
    const __m256i mlast = _mm256_cmpgt_epi32(_mm256_set1_epi32(last), lane);
    const bool last_full = last == VL;
    switch (nvec) {
    case 1: block(1, NPIX, a, c0, mlast, last_full, oh, ow, ki0, ki1, kj0, kj1); break;
    case 2: block(2, NPIX, a, c0, mlast, last_full, oh, ow, ki0, ki1, kj0, kj1); break;
    case 3: block(3, NPIX, a, c0, mlast, last_full, oh, ow, ki0, ki1, kj0, kj1); break;
    default: block(4, NPIX, a, c0, mlast, last_full, oh, ow, ki0, ki1, kj0, kj1); break;
    }
  }
}

/* The vocabulary of dwconv3x3.h. 4 pixels per block: 4 accumulators + 9 weights + bias +
 * 2 streamed inputs fill the 16 ymm registers. */
#define DW_VL 8
#define DW_REG "x"
#define DW_NP 4
typedef __m256 dw_vec;
typedef __m256i dw_mask;
static inline dw_vec dw_zero(void) { return _mm256_setzero_ps(); }
static inline dw_vec dw_set1(float f) { return _mm256_set1_ps(f); }
static inline dw_vec dw_load(const float *p, dw_mask m, bool full) { return load(p, m, full); }
static inline void dw_store(float *p, dw_vec v, dw_mask m, bool full) {
  if (full)
    _mm256_storeu_ps(p, v);
  else
    _mm256_maskstore_ps(p, m, v);
}
static inline dw_vec dw_add(dw_vec a, dw_vec b) { return _mm256_add_ps(a, b); }
static inline dw_vec dw_fma(dw_vec a, dw_vec b, dw_vec c) { return _mm256_fmadd_ps(a, b, c); }
static inline dw_vec dw_max(dw_vec a, dw_vec b) { return _mm256_max_ps(a, b); }
static inline dw_vec dw_min(dw_vec a, dw_vec b) { return _mm256_min_ps(a, b); }
static inline dw_mask dw_mask_for(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#include "kernels/dwconv3x3.h"
#include "kernels/dwconvkxk.h"

void kern_dwconv2d_nhwc_avx2(const kern_conv2d_params *p, const float *x, const float *packed_w,
                             float *y, int64_t oh0, int64_t oh1, const kern_epilogue *epi) {
  static const kern_epilogue none = {0};
  if (!epi) epi = &none;
  if (dw3x3_run(p, x, packed_w, y, oh0, oh1, epi)) return;
  if (dwk_run(p, x, packed_w, y, oh0, oh1, epi)) return;
  const int64_t C = p->C;
  const dw_args a = {.p = p,
                     .x = x,
                     .w = packed_w,
                     .y = y,
                     .res = epi->residual,
                     .xs = p->x_stride ? p->x_stride : C,
                     .ys = p->y_stride ? p->y_stride : C,
                     .ldr = epi->ldr ? epi->ldr : C,
                     .epi = epi};
  if (oh0 < 0) oh0 = 0;
  if (oh1 > p->OH) oh1 = p->OH;
  for (int64_t oh = oh0; oh < oh1; oh++) {
    int64_t ki0, ki1;
    kern_tap_range(oh, p->sh, p->pad_t, p->dh, p->kh, 0, p->H, &ki0, &ki1);
    for (int64_t ow = 0; ow < p->OW;) {
      int64_t kj0, kj1, nj0, nj1;
      kern_tap_range(ow, p->sw, p->pad_l, p->dw, p->kw, 0, p->W, &kj0, &kj1);
      if (ow + 1 < p->OW) { /* pair pixels whose windows are both fully inside the width */
        kern_tap_range(ow + 1, p->sw, p->pad_l, p->dw, p->kw, 0, p->W, &nj0, &nj1);
        if (kj0 == 0 && kj1 == p->kw && nj0 == 0 && nj1 == p->kw) {
          pixels(2, &a, oh, ow, ki0, ki1, kj0, kj1);
          ow += 2;
          continue;
        }
      }
      pixels(1, &a, oh, ow, ki0, ki1, kj0, kj1);
      ow += 1;
    }
  }
}
