/* chan_binary_body.h — the body of kern_chan_binary_<isa> (chan_binary.h), written once over
 * the SIMD vocabulary: include after exactly one simd_<isa>.h. Memory-bound (one load, one
 * store per element): the channel vector is reloaded per pixel from L1 rather than kept in
 * registers, which would cap C. */
#include "kernels/kernels_isa.h" /* the family's prototype: the definition is checked */

static inline simd_f32 chan_apply(kern_chan_op op, simd_f32 x, simd_f32 s, simd_f32 t) {
  switch (op) {
  case KERN_CHAN_AFFINE: return simd_fma(x, s, t);
  case KERN_CHAN_ADD: return simd_add(x, s);
  case KERN_CHAN_SUB: return simd_sub(x, s);
  case KERN_CHAN_MUL: return simd_mul(x, s);
  case KERN_CHAN_DIV: return simd_div(x, s);
  case KERN_CHAN_RSUB: return simd_sub(s, x);
  case KERN_CHAN_RDIV: return simd_div(s, x);
  }
  return x;
}

/* max/min return their second operand on NaN: x second lets a NaN through (ir_act_apply). */
static inline simd_f32 chan_act(kern_act act, simd_f32 v, simd_f32 lo, simd_f32 hi) {
  if (act == KERN_ACT_RELU) return simd_max(simd_zero(), v);
  if (act == KERN_ACT_CLIP) return simd_min(hi, simd_max(lo, v));
  return v;
}

/* One specialization per (op, act) pair keeps the switches out of the inner loop. */
static inline __attribute__((always_inline)) void chan_rows(const kern_chan_op op,
                                                            const kern_act act, int64_t P,
                                                            int64_t C, const float *x,
                                                            ptrdiff_t xs, const float *s,
                                                            int s_step, float *y, ptrdiff_t ys,
                                                            float lo, float hi) {
  const simd_f32 vlo = simd_set1(lo), vhi = simd_set1(hi);
  const simd_f32 s0 = simd_set1(s[0]);
  const int64_t cv = C / SIMD_VL * SIMD_VL;
  const simd_mask tail = simd_tail((int)(C - cv));
  for (int64_t p = 0; p < P; p++) {
    const float *xp = x + p * xs;
    float *yp = y + p * ys;
    int64_t c = 0;
    for (; c < cv; c += SIMD_VL) {
      simd_f32 sv = s_step ? simd_load(s + c) : s0;
      simd_f32 tv = op == KERN_CHAN_AFFINE ? simd_load(s + C + c) : sv;
      simd_store(yp + c, chan_act(act, chan_apply(op, simd_load(xp + c), sv, tv), vlo, vhi));
    }
    if (c < C) {
      simd_f32 sv = s_step ? simd_load_tail(s + c, tail) : s0;
      simd_f32 tv = op == KERN_CHAN_AFFINE ? simd_load_tail(s + C + c, tail) : sv;
      simd_f32 v = chan_act(act, chan_apply(op, simd_load_tail(xp + c, tail), sv, tv), vlo, vhi);
      simd_store_tail(yp + c, v, tail);
    }
  }
}

void SIMD_NAME(kern_chan_binary)(kern_chan_op op, int64_t P, int64_t C, const float *x,
                                 ptrdiff_t xs, const float *s, int s_step, float *y,
                                 ptrdiff_t ys, kern_act act, float lo, float hi) {
  if (P <= 0 || C <= 0) return;
  if (!xs) xs = C;
  if (!ys) ys = C;
  /* Dense with a scalar: the whole tensor is one row of P * C elements. */
  if (!s_step && xs == C && ys == C) C *= P, P = 1;
  if (op == KERN_CHAN_AFFINE && !s_step) return; /* needs a vector (chan_binary.h) */
#define CHAN_CASE(OP, ACT)                                                                     \
  if (op == OP && act == ACT) {                                                                \
    chan_rows(OP, ACT, P, C, x, xs, s, s_step, y, ys, lo, hi);                                 \
    return;                                                                                    \
  }
#define CHAN_OP(OP)                                                                            \
  CHAN_CASE(OP, KERN_ACT_NONE) CHAN_CASE(OP, KERN_ACT_RELU) CHAN_CASE(OP, KERN_ACT_CLIP)
  CHAN_OP(KERN_CHAN_ADD)
  CHAN_OP(KERN_CHAN_SUB)
  CHAN_OP(KERN_CHAN_MUL)
  CHAN_OP(KERN_CHAN_DIV)
  CHAN_OP(KERN_CHAN_RSUB)
  CHAN_OP(KERN_CHAN_RDIV)
  CHAN_OP(KERN_CHAN_AFFINE)
#undef CHAN_OP
#undef CHAN_CASE
}
