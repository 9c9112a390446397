/* winograd_xform.h — the F(4x4, 3x3) input / output tile transforms, written once over GCC
 * vector extensions and instantiated per ISA file (winograd.c, winograd_avx2.c, ...).
 *
 * Include after defining WINO_VW (floats per vector: 4, 8, 16) and WINO_NAME(x) (appends
 * the ISA suffix). The transforms are vectorized over channels (contiguous in NHWC); the
 * channels past the last whole vector run the same arithmetic on plain floats. Matrices:
 * Lavin & Gray F(4x4, 3x3), points 0, 1, -1, 2, -2, inf, unscaled (see winograd.c). */
#include <string.h>

#include "kernels/kernels.h"

typedef float WINO_NAME(vf) __attribute__((vector_size(WINO_VW * 4)));
typedef int32_t WINO_NAME(vi) __attribute__((vector_size(WINO_VW * 4)));
#define VF WINO_NAME(vf)
#define VI WINO_NAME(vi)

/* memcpy: unaligned loads / stores the compiler lowers to one vmovups. */
static inline VF WINO_NAME(ld)(const float *p) {
  VF v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline void WINO_NAME(st)(float *p, VF v) { memcpy(p, &v, sizeof v); }
static inline float WINO_NAME(lds)(const float *p) { return *p; }
static inline void WINO_NAME(sts)(float *p, float v) { *p = v; }

/* Activation with ir_act_apply's NaN semantics (NaN compares false, so it passes): selects
 * by bit masks because C has no vector ?: . */
static inline VF WINO_NAME(act)(VF x, kern_act act, float lo, float hi) {
  if (act == KERN_ACT_RELU) {
    VI m = x < (VF){0};
    return (VF)((VI)x & ~m);
  }
  if (act == KERN_ACT_CLIP) {
    VF vlo = (VF){0} + lo, vhi = (VF){0} + hi; /* broadcast (x*0 would keep NaN) */
    VI ml = (x < vlo);
    VI mh = (x > vhi);
    return (VF)(((VI)x & ~(ml | mh)) | ((VI)vlo & ml) | ((VI)vhi & mh));
  }
  return x;
}
static inline float WINO_NAME(acts)(float x, kern_act act, float lo, float hi) {
  if (act == KERN_ACT_RELU) return x < 0.0f ? 0.0f : x;
  if (act == KERN_ACT_CLIP) return x < lo ? lo : (x > hi ? hi : x);
  return x;
}

/* V = B^T d B for channels [c, c + width) of one tile. Row pass first (per column j,
 * over the 6 rows), then the column pass per row, storing position i*6+j. */
#define WINO_INPUT_BLOCK(T, LD, ST)                                                                \
  do {                                                                                             \
    T t[6][6];                                                                                     \
    for (int j = 0; j < 6; j++) {                                                                  \
      T d0 = LD(px[0 * 6 + j] + c), d1 = LD(px[1 * 6 + j] + c), d2 = LD(px[2 * 6 + j] + c);        \
      T d3 = LD(px[3 * 6 + j] + c), d4 = LD(px[4 * 6 + j] + c), d5 = LD(px[5 * 6 + j] + c);        \
      T a = d4 - 4.0f * d2, b = d3 - 4.0f * d1, e = d4 - d2, f = 2.0f * (d3 - d1);                 \
      t[0][j] = 4.0f * d0 - 5.0f * d2 + d4;                                                        \
      t[1][j] = a + b;                                                                             \
      t[2][j] = a - b;                                                                             \
      t[3][j] = e + f;                                                                             \
      t[4][j] = e - f;                                                                             \
      t[5][j] = 4.0f * d1 - 5.0f * d3 + d5;                                                        \
    }                                                                                              \
    for (int i = 0; i < 6; i++) {                                                                  \
      T d0 = t[i][0], d1 = t[i][1], d2 = t[i][2], d3 = t[i][3], d4 = t[i][4], d5 = t[i][5];        \
      T a = d4 - 4.0f * d2, b = d3 - 4.0f * d1, e = d4 - d2, f = 2.0f * (d3 - d1);                 \
      float *o = v + (i * 6) * vs + c;                                                             \
      ST(o, 4.0f * d0 - 5.0f * d2 + d4);                                                           \
      ST(o + vs, a + b);                                                                           \
      ST(o + 2 * vs, a - b);                                                                       \
      ST(o + 3 * vs, e + f);                                                                       \
      ST(o + 4 * vs, e - f);                                                                       \
      ST(o + 5 * vs, 4.0f * d1 - 5.0f * d3 + d5);                                                  \
    }                                                                                              \
  } while (0)

void WINO_NAME(kern_winograd_f43_input)(int64_t C, const float *const px[36], float *v,
                                        ptrdiff_t vs) {
  int64_t c = 0;
  for (; c + WINO_VW <= C; c += WINO_VW)
    WINO_INPUT_BLOCK(VF, WINO_NAME(ld), WINO_NAME(st));
  for (; c < C; c++)
    WINO_INPUT_BLOCK(float, WINO_NAME(lds), WINO_NAME(sts));
}

/* Y = A^T m A for channels [c, c + width) of one tile, then the epilogue per pixel:
 * (accumulate ? y : 0) + Y + bias + residual, activation. */
#define WINO_OUTPUT_BLOCK(T, LD, ST, ACT)                                                          \
  do {                                                                                             \
    T t[4][6];                                                                                     \
    for (int j = 0; j < 6; j++) {                                                                  \
      const float *q = m + j * ms + c;                                                             \
      T m0 = LD(q), m1 = LD(q + 6 * ms), m2 = LD(q + 12 * ms), m3 = LD(q + 18 * ms);               \
      T m4 = LD(q + 24 * ms), m5 = LD(q + 30 * ms);                                                \
      T s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;                                \
      t[0][j] = m0 + s12 + s34;                                                                    \
      t[1][j] = d12 + 2.0f * d34;                                                                  \
      t[2][j] = s12 + 4.0f * s34;                                                                  \
      t[3][j] = d12 + 8.0f * d34 + m5;                                                             \
    }                                                                                              \
    T bias = LD(epi->bias_n + c);                                                                  \
    for (int i = 0; i < 4; i++) {                                                                  \
      T m0 = t[i][0], m1 = t[i][1], m2 = t[i][2], m3 = t[i][3], m4 = t[i][4], m5 = t[i][5];        \
      T s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;                                \
      T o[4] = {m0 + s12 + s34, d12 + 2.0f * d34, s12 + 4.0f * s34, d12 + 8.0f * d34 + m5};        \
      for (int j = 0; j < 4; j++) {                                                                \
        float *yp = ypx[i * 4 + j] + c;                                                            \
        T r = o[j] + bias;                                                                         \
        if (epi->accumulate) r = LD(yp) + r;                                                       \
        if (rpx) r = r + LD(rpx[i * 4 + j] + c);                                                   \
        ST(yp, ACT(r, epi->act, epi->act_lo, epi->act_hi));                                        \
      }                                                                                            \
    }                                                                                              \
  } while (0)

void WINO_NAME(kern_winograd_f43_output)(int64_t Cout, const float *m, ptrdiff_t ms,
                                         float *const ypx[16], const float *const *rpx,
                                         const kern_epilogue *epi) {
  int64_t c = 0;
  for (; c + WINO_VW <= Cout; c += WINO_VW)
    WINO_OUTPUT_BLOCK(VF, WINO_NAME(ld), WINO_NAME(st), WINO_NAME(act));
  for (; c < Cout; c++)
    WINO_OUTPUT_BLOCK(float, WINO_NAME(lds), WINO_NAME(sts), WINO_NAME(acts));
}

#undef VF
#undef VI
#undef WINO_INPUT_BLOCK
#undef WINO_OUTPUT_BLOCK
