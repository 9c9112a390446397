/* pool_body.h — max / average / global average pooling of NHWC images, written once over the
 * SIMD vocabulary (include after exactly one simd_<isa>.h; pool_nhwc_<isa>.c). Semantics, the
 * same on every ISA and the reference's: a max over padding only is -inf, a NaN input makes the
 * output NaN; an average sums the taps in kernel row-major order, one float sum per channel,
 * and divides by the window's count (true division: bit-identical to the reference; count 0
 * gives NaN). Up to 4 channel vectors per output pixel: 4 independent chains.
 *
 * The running max is a max chain per vector (acc second: a NaN already in acc stays) and a NaN
 * input is OR-ed into a lane mask off the critical path, written at the end: a compare + select
 * per tap made squeezenet1_0's 3x3 s2 pools ~10x slower than ORT (measured on AVX-512). */
#include <math.h>

#include "kernels/kernels_isa.h" /* the family's prototype: the definition is checked */

#define PB_NV 4 /* channel vectors per block */

static inline simd_f32 pb_load(const float *p, bool full, simd_mask m) {
  return full ? simd_load(p) : simd_load_tail(p, m);
}
static inline void pb_store(float *p, simd_f32 v, bool full, simd_mask m) {
  if (full)
    simd_store(p, v);
  else
    simd_store_tail(p, v, m);
}

/* NVEC channel vectors from c0 (the last one partial unless FULL, lanes mlast) of one output
 * pixel over the in-bounds taps [ki0, ki1) x [kj0, kj1). */
static inline __attribute__((always_inline)) void pb_max_block(
    const int NVEC, const bool FULL, const kern_pool2d_params *p, const float *x, ptrdiff_t xs,
    float *yo, int64_t c0, simd_mask mlast, int64_t oh, int64_t ow, int64_t ki0, int64_t ki1,
    int64_t kj0, int64_t kj1) {
  simd_f32 acc[PB_NV];
  simd_cmp nan[PB_NV];
#pragma GCC unroll 4
  for (int v = 0; v < NVEC; v++) {
    acc[v] = simd_set1(-INFINITY); /* a window of padding only */
    nan[v] = simd_cmp_none();
  }
  for (int64_t ki = ki0; ki < ki1; ki++) {
    const int64_t ih = oh * p->sh - p->pad_t + ki * p->dh;
    const float *xr = x + ih * p->W * xs + c0;
    for (int64_t kj = kj0; kj < kj1; kj++) {
      const float *xp = xr + (ow * p->sw - p->pad_l + kj * p->dw) * xs;
#pragma GCC unroll 4
      for (int v = 0; v < NVEC; v++) {
        const simd_f32 in = pb_load(xp + v * SIMD_VL, FULL || v < NVEC - 1, mlast);
        nan[v] = simd_cmp_or(nan[v], simd_cmp_unord(in, in));
        acc[v] = simd_max(in, acc[v]);
      }
    }
  }
#pragma GCC unroll 4
  for (int v = 0; v < NVEC; v++)
    pb_store(yo + c0 + v * SIMD_VL, simd_select(nan[v], simd_set1(NAN), acc[v]),
             FULL || v < NVEC - 1, mlast);
}

void SIMD_NAME(kern_maxpool2d_nhwc)(const kern_pool2d_params *p, const float *x, float *y,
                                    int64_t oh0, int64_t oh1) {
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
      for (int64_t c0 = 0; c0 < C; c0 += PB_NV * SIMD_VL) {
        const int64_t rem = C - c0 < PB_NV * SIMD_VL ? C - c0 : PB_NV * SIMD_VL;
        const int nvec = (int)((rem + SIMD_VL - 1) / SIMD_VL);
        const int last = (int)(rem - (nvec - 1) * SIMD_VL); /* 1..VL channels */
        const simd_mask m = simd_tail(last);
        const bool full = last == SIMD_VL;
#define PB_MAX(N)                                                                                \
  (full ? pb_max_block(N, true, p, x, xs, yo, c0, m, oh, ow, ki0, ki1, kj0, kj1)                 \
        : pb_max_block(N, false, p, x, xs, yo, c0, m, oh, ow, ki0, ki1, kj0, kj1))
        switch (nvec) {
        case 1: PB_MAX(1); break;
        case 2: PB_MAX(2); break;
        case 3: PB_MAX(3); break;
        default: PB_MAX(4); break;
        }
#undef PB_MAX
      }
    }
  }
}

/* The divisor of one window: pixels inside the input, or with count_include_pad the positions
 * inside the padded input (a ceil_mode overhang past the end pad excluded). */
static int64_t pb_avg_count(const kern_pool2d_params *p, int64_t oh, int64_t ow) {
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

void SIMD_NAME(kern_avgpool2d_nhwc)(const kern_pool2d_params *p, const float *x, float *y,
                                    int64_t oh0, int64_t oh1) {
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
      const int64_t count = pb_avg_count(p, oh, ow);
      const simd_f32 div = simd_set1(count ? (float)count : NAN);
      float *yo = y + (oh * p->OW + ow) * ys;
      for (int64_t c0 = 0; c0 < C; c0 += SIMD_VL) {
        const bool full = c0 + SIMD_VL <= C;
        const simd_mask m = simd_tail((int)(C - c0));
        simd_f32 acc = simd_zero();
        for (int64_t ki = ki0; ki < ki1; ki++) {
          const int64_t ih = oh * p->sh - p->pad_t + ki * p->dh;
          for (int64_t kj = kj0; kj < kj1; kj++) {
            const int64_t iw = ow * p->sw - p->pad_l + kj * p->dw;
            acc = simd_add(acc, pb_load(x + (ih * p->W + iw) * xs + c0, full, m));
          }
        }
        pb_store(yo + c0, simd_div(acc, div), full, m);
      }
    }
  }
}

void SIMD_NAME(kern_global_avgpool_nhwc)(int64_t HW, int64_t C, const float *x,
                                         ptrdiff_t x_stride, float *y) {
  const ptrdiff_t xs = x_stride ? x_stride : C;
  const simd_f32 div = simd_set1((float)HW);
  int64_t c0 = 0;
  for (; c0 + PB_NV * SIMD_VL <= C; c0 += PB_NV * SIMD_VL) {
    simd_f32 a[PB_NV];
    for (int v = 0; v < PB_NV; v++)
      a[v] = simd_zero();
    for (int64_t s = 0; s < HW; s++) {
      const float *xp = x + s * xs + c0;
#pragma GCC unroll 4
      for (int v = 0; v < PB_NV; v++)
        a[v] = simd_add(a[v], simd_load(xp + v * SIMD_VL));
    }
    for (int v = 0; v < PB_NV; v++)
      simd_store(y + c0 + v * SIMD_VL, simd_div(a[v], div));
  }
  for (; c0 < C; c0 += SIMD_VL) {
    const bool full = c0 + SIMD_VL <= C;
    const simd_mask m = simd_tail((int)(C - c0));
    simd_f32 acc = simd_zero();
    for (int64_t s = 0; s < HW; s++)
      acc = simd_add(acc, pb_load(x + s * xs + c0, full, m));
    pb_store(y + c0, simd_div(acc, div), full, m);
  }
}
