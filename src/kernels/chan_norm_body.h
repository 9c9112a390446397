/* chan_norm_body.h — the body of kern_chan_norm_<isa> (chan_norm.h), written once over the
 * SIMD vocabulary: include after exactly one simd_<isa>.h. Three passes over a pixel's C
 * floats (sum, centred squares, output), all from L1. */
#include <math.h>

#include "kernels/kernels_isa.h" /* the family's prototype: the definition is checked */

void SIMD_NAME(kern_chan_norm)(int64_t P, int64_t C, const float *x, const float *scale,
                               const float *bias, float eps, float *y) {
  if (P <= 0 || C <= 0) return;
  const int64_t cv = C / SIMD_VL * SIMD_VL;
  const simd_mask tail = simd_tail((int)(C - cv));
  for (int64_t p = 0; p < P; p++) {
    const float *xp = x + p * C;
    float *yp = y + p * C;
    simd_f32 acc = simd_zero();
    int64_t c = 0;
    for (; c < cv; c += SIMD_VL)
      acc = simd_add(acc, simd_load(xp + c));
    if (c < C) acc = simd_add(acc, simd_load_tail(xp + c, tail));
    const float mean = simd_reduce_add(acc) / (float)C;
    const simd_f32 m = simd_set1(mean);
    simd_f32 sq = simd_zero();
    for (c = 0; c < cv; c += SIMD_VL) {
      const simd_f32 d = simd_sub(simd_load(xp + c), m);
      sq = simd_fma(d, d, sq);
    }
    float sqt = 0; /* the ragged end in scalars: a masked load's zeros would add mean^2 */
    for (; c < C; c++)
      sqt += (xp[c] - mean) * (xp[c] - mean);
    const float inv = 1.0f / sqrtf((simd_reduce_add(sq) + sqt) / (float)C + eps);
    const simd_f32 vi = simd_set1(inv);
    for (c = 0; c < cv; c += SIMD_VL) {
      const simd_f32 n = simd_mul(simd_sub(simd_load(xp + c), m), vi);
      const simd_f32 b = bias ? simd_load(bias + c) : simd_zero();
      simd_store(yp + c, simd_fma(n, simd_load(scale + c), b));
    }
    if (c < C) {
      const simd_f32 n = simd_mul(simd_sub(simd_load_tail(xp + c, tail), m), vi);
      const simd_f32 b = bias ? simd_load_tail(bias + c, tail) : simd_zero();
      simd_store_tail(yp + c, simd_fma(n, simd_load_tail(scale + c, tail), b), tail);
    }
  }
}
