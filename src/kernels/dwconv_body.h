/* dwconv_body.h — kern_dwconv2d_nhwc_<isa>, depthwise NHWC convolution, written once over the
 * SIMD vocabulary: include after exactly one simd_<isa>.h (dwconv_<isa>.c). 3x3 stride 1 / 2
 * through the register-blocked kernel of dwconv3x3.h, 5x5 / 7x7 through dwconvkxk.h, every
 * other shape (and their border columns) through the general path below: blocks of up to 4
 * channel vectors for one or two output pixels. */
#include "kernels/kernels_isa.h" /* the family's prototype: the definition is checked */

/* Accumulators: up to 4 channel vectors x 2 pixels = 8 independent FMA chains, enough to hide
 * the FMA latency even for C of one or two vectors (one pixel alone would leave 1-2 chains of
 * kh*kw dependent FMAs); each tap's weight vector is loaded once for both pixels. Pixels are
 * paired only where both windows lie fully inside the image width (same taps). */
#define NV 4
#define NPIX_MAX 2

/* The vocabulary of dwconv3x3.h / dwconvkxk.h. Pixels per register block: accumulators + 9
 * weights (3x3) or K weights (KxK) + bias + a few streamed inputs must fit the registers. */
#define DW_VL SIMD_VL
#define DW_NP (SIMD_REGS >= 32 ? 8 : 4)
#define DW_KEEP(v) SIMD_KEEP(v)
typedef simd_f32 dw_vec;
typedef simd_mask dw_mask;
static inline dw_vec dw_zero(void) { return simd_zero(); }
static inline dw_vec dw_set1(float f) { return simd_set1(f); }
static inline dw_vec dw_load(const float *p, dw_mask m, bool full) {
  return full ? simd_load(p) : simd_load_tail(p, m);
}
static inline void dw_store(float *p, dw_vec v, dw_mask m, bool full) {
  if (full)
    simd_store(p, v);
  else
    simd_store_tail(p, v, m);
}
static inline dw_vec dw_add(dw_vec a, dw_vec b) { return simd_add(a, b); }
static inline dw_vec dw_fma(dw_vec a, dw_vec b, dw_vec c) { return simd_fma(a, b, c); }
static inline dw_vec dw_max(dw_vec a, dw_vec b) { return simd_max(a, b); }
static inline dw_vec dw_min(dw_vec a, dw_vec b) { return simd_min(a, b); }
static inline dw_mask dw_mask_for(int n) { return simd_tail(n); }

#include "kernels/dwconv3x3.h"

/* What one block needs besides its shape: the register-blocked kernels' arguments. */
typedef dw3_args dw_args;

/* NVEC channel vectors from c0 (the last one partial unless FULL, lanes mlast) of NPIX output
 * pixels from (oh, ow), sharing the taps [ki0, ki1) x [kj0, kj1). NVEC, NPIX and FULL are
 * constants at every call site so the accumulator array lives in registers. */
KERN_INLINE void block(const int NVEC, const int NPIX, const bool FULL, const dw_args *a,
                       int64_t c0, dw_mask mlast, int64_t oh, int64_t ow, int64_t ki0, int64_t ki1,
                       int64_t kj0, int64_t kj1) {
  const kern_conv2d_params *p = a->p;
  const int64_t C = p->C;
  const ptrdiff_t pix_step = p->sw * a->xs; /* input distance between the paired pixels */
  dw_vec acc[NPIX_MAX][NV];
#pragma GCC unroll 2
  for (int q = 0; q < NPIX; q++)
#pragma GCC unroll 4
    for (int v = 0; v < NVEC; v++)
      acc[q][v] = dw_zero();
  for (int64_t ki = ki0; ki < ki1; ki++) {
    const int64_t ih = oh * p->sh - p->pad_t + ki * p->dh;
    for (int64_t kj = kj0; kj < kj1; kj++) {
      const int64_t iw = ow * p->sw - p->pad_l + kj * p->dw;
      const float *xp = a->x + (ih * p->W + iw) * a->xs + c0;
      const float *wp = a->w + (ki * p->kw + kj) * C + c0;
#pragma GCC unroll 4
      for (int v = 0; v < NVEC; v++) {
        const bool full = FULL || v < NVEC - 1;
        const dw_vec wv = dw_load(wp + v * DW_VL, mlast, full);
#pragma GCC unroll 2
        for (int q = 0; q < NPIX; q++)
          acc[q][v] = dw_fma(dw_load(xp + q * pix_step + v * DW_VL, mlast, full), wv, acc[q][v]);
      }
    }
  }
  const kern_epilogue *e = a->e;
#pragma GCC unroll 2
  for (int q = 0; q < NPIX; q++) {
    const int64_t pix = oh * p->OW + ow + q;
    float *yo = a->y + pix * a->ys + c0;
    const float *ro = a->res ? a->res + pix * a->ldr + c0 : NULL;
#pragma GCC unroll 4
    for (int v = 0; v < NVEC; v++) {
      const bool full = FULL || v < NVEC - 1;
      const dw_vec bias = e->bias_n ? dw_load(e->bias_n + c0 + v * DW_VL, mlast, full) : dw_zero();
      const float *rv = ro ? ro + v * DW_VL : NULL;
      dw_store(yo + v * DW_VL, dw_epilogue(e, acc[q][v], yo + v * DW_VL, rv, bias, mlast, full),
               mlast, full);
    }
  }
}

/* All channel blocks of NPIX pixels from (oh, ow). */
KERN_INLINE void pixels(const int NPIX, const dw_args *a, int64_t oh, int64_t ow, int64_t ki0,
                        int64_t ki1, int64_t kj0, int64_t kj1) {
  const int64_t C = a->p->C;
  for (int64_t c0 = 0; c0 < C; c0 += NV * DW_VL) {
    const int64_t rem = C - c0 < NV * DW_VL ? C - c0 : NV * DW_VL;
    const int nvec = (int)((rem + DW_VL - 1) / DW_VL);
    const int last = (int)(rem - (nvec - 1) * DW_VL); /* 1..VL channels in the last vector */
    const dw_mask m = dw_mask_for(last);
#define DW_BLOCK(N)                                                                              \
  (last == DW_VL ? block(N, NPIX, true, a, c0, m, oh, ow, ki0, ki1, kj0, kj1)                     \
                 : block(N, NPIX, false, a, c0, m, oh, ow, ki0, ki1, kj0, kj1))
    switch (nvec) {
    case 1: DW_BLOCK(1); break;
    case 2: DW_BLOCK(2); break;
    case 3: DW_BLOCK(3); break;
    default: DW_BLOCK(4); break;
    }
#undef DW_BLOCK
  }
}

#include "kernels/dwconvkxk.h"

void SIMD_NAME(kern_dwconv2d_nhwc)(const kern_conv2d_params *p, const float *x,
                                   const float *packed_w, float *y, int64_t oh0, int64_t oh1,
                                   const kern_epilogue *epi) {
  static const kern_epilogue none = {0};
  if (!epi) epi = &none;
  if (dw3x3_run(p, x, packed_w, y, oh0, oh1, epi)) return;
  if (dwk_run(p, x, packed_w, y, oh0, oh1, epi)) return;
  const dw_args a = dw3_args_of(p, x, packed_w, y, epi);
  if (oh0 < 0) oh0 = 0;
  if (oh1 > p->OH) oh1 = p->OH;
  for (int64_t oh = oh0; oh < oh1; oh++) {
    int64_t ki0, ki1;
    kern_tap_range(oh, p->sh, p->pad_t, p->dh, p->kh, 0, p->H, &ki0, &ki1);
    for (int64_t ow = 0; ow < p->OW;) {
      int64_t kj0, kj1, nj0, nj1;
      kern_tap_range(ow, p->sw, p->pad_l, p->dw, p->kw, 0, p->W, &kj0, &kj1);
      if (ow + 1 < p->OW) {
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
