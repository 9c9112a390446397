/* winograd_xform.h — the F(4x4, 3x3) input / output tile transforms, written once over the
 * SIMD vocabulary and instantiated per ISA file (winograd.c, winograd_avx2.c, ...): include
 * after one simd_<isa>.h. The transforms are vectorized over channels (contiguous in NHWC);
 * the channels past the last whole vector run the same code on a tail vector (the
 * vocabulary's masked loads / stores). Matrices: Lavin & Gray F(4x4, 3x3), points 0, 1, -1,
 * 2, -2, inf, unscaled (see winograd.c). Multiplies and adds stay separate (no FMA), as C
 * compiled without contraction computes them. */
#include "kernels/kernels_isa.h" /* the family's prototype: the definition is checked */

/* FULL is a constant at every call site: whole vectors with plain loads / stores, the tail
 * with masked ones. */
static inline __attribute__((always_inline)) simd_f32 wino_load(const int FULL, const float *p,
                                                                simd_mask m) {
  return FULL ? simd_load(p) : simd_load_tail(p, m);
}
static inline __attribute__((always_inline)) void wino_store(const int FULL, float *p,
                                                             simd_f32 v, simd_mask m) {
  if (FULL)
    simd_store(p, v);
  else
    simd_store_tail(p, v, m);
}

/* Activation with ir_act_apply's NaN semantics: max / min return their second operand when
 * either is NaN, so NaN passes (and -0 stays -0). */
static inline simd_f32 wino_act(simd_f32 x, kern_act act, float lo, float hi) {
  if (act == KERN_ACT_RELU) return simd_max(simd_zero(), x);
  if (act == KERN_ACT_CLIP) return simd_min(simd_set1(hi), simd_max(simd_set1(lo), x));
  return x;
}

/* One row of B^T d (or of its transpose): the six outputs from the six inputs. */
static inline __attribute__((always_inline)) void wino_bt(const simd_f32 d[6], simd_f32 o[6]) {
  const simd_f32 four = simd_set1(4.0f), five = simd_set1(5.0f), two = simd_set1(2.0f);
  const simd_f32 a = simd_sub(d[4], simd_mul(four, d[2])), b = simd_sub(d[3], simd_mul(four, d[1]));
  const simd_f32 e = simd_sub(d[4], d[2]), f = simd_mul(two, simd_sub(d[3], d[1]));
  o[0] = simd_add(simd_sub(simd_mul(four, d[0]), simd_mul(five, d[2])), d[4]);
  o[1] = simd_add(a, b);
  o[2] = simd_sub(a, b);
  o[3] = simd_add(e, f);
  o[4] = simd_sub(e, f);
  o[5] = simd_add(simd_sub(simd_mul(four, d[1]), simd_mul(five, d[3])), d[5]);
}

/* One row of A^T m: the four outputs from the six inputs. */
static inline __attribute__((always_inline)) void wino_at(const simd_f32 m[6], simd_f32 o[4]) {
  const simd_f32 s12 = simd_add(m[1], m[2]), d12 = simd_sub(m[1], m[2]);
  const simd_f32 s34 = simd_add(m[3], m[4]), d34 = simd_sub(m[3], m[4]);
  o[0] = simd_add(simd_add(m[0], s12), s34);
  o[1] = simd_add(d12, simd_mul(simd_set1(2.0f), d34));
  o[2] = simd_add(s12, simd_mul(simd_set1(4.0f), s34));
  o[3] = simd_add(simd_add(d12, simd_mul(simd_set1(8.0f), d34)), m[5]);
}

/* V = B^T d B for channels [c, c + vector) of one tile. Row pass first (per column j, over
 * the 6 rows), then the column pass per row, storing position i*6+j. */
static inline __attribute__((always_inline)) void wino_input_block(const int FULL,
                                                                   const float *const px[36],
                                                                   int64_t c, simd_mask m,
                                                                   float *v, ptrdiff_t vs) {
  simd_f32 t[6][6];
  #pragma GCC unroll 6
  for (int j = 0; j < 6; j++) {
    simd_f32 d[6], o[6];
    #pragma GCC unroll 6
    for (int i = 0; i < 6; i++)
      d[i] = wino_load(FULL, px[i * 6 + j] + c, m);
    wino_bt(d, o);
    #pragma GCC unroll 6
    for (int i = 0; i < 6; i++)
      t[i][j] = o[i];
  }
  #pragma GCC unroll 6
  for (int i = 0; i < 6; i++) {
    simd_f32 o[6];
    wino_bt(t[i], o);
    float *out = v + (i * 6) * vs + c;
    #pragma GCC unroll 6
    for (int j = 0; j < 6; j++)
      wino_store(FULL, out + j * vs, o[j], m);
  }
}

void SIMD_NAME(kern_winograd_f43_input)(int64_t C, const float *const px[36], float *v,
                                        ptrdiff_t vs) {
  int64_t c = 0;
  for (; c + SIMD_VL <= C; c += SIMD_VL)
    wino_input_block(1, px, c, simd_tail(SIMD_VL), v, vs);
  if (c < C) wino_input_block(0, px, c, simd_tail((int)(C - c)), v, vs);
}

/* Y = A^T m A for channels [c, c + vector) of one tile, then the epilogue per pixel:
 * (accumulate ? y : 0) + Y + bias + residual, activation. */
static inline __attribute__((always_inline)) void wino_output_block(
    const int FULL, const float *m, ptrdiff_t ms, int64_t c, simd_mask mask, float *const ypx[16],
    const float *const *rpx, const kern_epilogue *epi) {
  simd_f32 t[4][6];
  #pragma GCC unroll 6
  for (int j = 0; j < 6; j++) {
    const float *q = m + j * ms + c;
    simd_f32 in[6], o[4];
    #pragma GCC unroll 6
    for (int i = 0; i < 6; i++)
      in[i] = wino_load(FULL, q + i * 6 * ms, mask);
    wino_at(in, o);
    #pragma GCC unroll 6
    for (int i = 0; i < 4; i++)
      t[i][j] = o[i];
  }
  const simd_f32 bias = wino_load(FULL, epi->bias_n + c, mask);
  #pragma GCC unroll 6
  for (int i = 0; i < 4; i++) {
    simd_f32 o[4];
    wino_at(t[i], o);
    #pragma GCC unroll 6
    for (int j = 0; j < 4; j++) {
      float *yp = ypx[i * 4 + j] + c;
      simd_f32 r = simd_add(o[j], bias);
      if (epi->accumulate) r = simd_add(wino_load(FULL, yp, mask), r);
      if (rpx) r = simd_add(r, wino_load(FULL, rpx[i * 4 + j] + c, mask));
      wino_store(FULL, yp, wino_act(r, epi->act, epi->act_lo, epi->act_hi), mask);
    }
  }
}

void SIMD_NAME(kern_winograd_f43_output)(int64_t Cout, const float *m, ptrdiff_t ms,
                                         float *const ypx[16], const float *const *rpx,
                                         const kern_epilogue *epi) {
  int64_t c = 0;
  for (; c + SIMD_VL <= Cout; c += SIMD_VL)
    wino_output_block(1, m, ms, c, simd_tail(SIMD_VL), ypx, rpx, epi);
  if (c < Cout) wino_output_block(0, m, ms, c, simd_tail((int)(Cout - c)), ypx, rpx, epi);
}
