/* eltwise_body.h — the elementwise kernels (y = act(a + b (+ r)), y = act(a * b (+ r)),
 * y = act(x)) written once over the SIMD vocabulary: include after exactly one simd_<isa>.h
 * (eltwise_<isa>.c). The ragged end of an array runs through the same vector code on a
 * zero-padded copy, so every element of an array sees the same arithmetic whatever its
 * position.
 *
 * Each activation matches ir_act_apply (src/ir/graph.c) operation for operation (x / 6 is a
 * true division, p0 * x + p1 is not fused), so results are bit-equal to the reference except
 * sigmoid and silu (simd_exp_fast, not libm's expf: ~1e-7 relative) and erf and gelu (simd_erf:
 * ~2e-7 absolute); tanh and sqrt are libm's, per element. */
#include "kernels/kernels_isa.h" /* the family's prototype: the definition is checked */
#include <math.h>
#include <string.h>

/* The kernels' names for the vocabulary (max / min return the SECOND operand when either is
 * NaN, like maxps / minps; el_ge0_select is false for NaN). */
#define EL_VL SIMD_VL
#define EL_NAME(stem) SIMD_NAME(stem)
typedef simd_f32 el_vec;
static inline el_vec el_load(const float *p) { return simd_load(p); }
static inline void el_store(float *p, el_vec v) { simd_store(p, v); }
static inline el_vec el_set1(float f) { return simd_set1(f); }
static inline el_vec el_add(el_vec a, el_vec b) { return simd_add(a, b); }
static inline el_vec el_mul(el_vec a, el_vec b) { return simd_mul(a, b); }
static inline el_vec el_div(el_vec a, el_vec b) { return simd_div(a, b); }
static inline el_vec el_max(el_vec a, el_vec b) { return simd_max(a, b); }
static inline el_vec el_min(el_vec a, el_vec b) { return simd_min(a, b); }
static inline el_vec el_ge0_select(el_vec x, el_vec a, el_vec b) {
  return simd_select(simd_cmp_ge(x, simd_zero()), a, b);
}
static inline el_vec el_exp(el_vec x) { return simd_exp_fast(x); }
static inline el_vec el_erf(el_vec x) { return simd_erf(x); }

KERN_INLINE el_vec el_act(const int OP, el_vec x, float p0,
                                                           float p1) {
  switch (OP) {
  case KERN_UNARY_RELU: return el_max(el_set1(0.0f), x);
  case KERN_UNARY_CLIP: return el_min(el_set1(p1), el_max(el_set1(p0), x));
  case KERN_UNARY_LEAKYRELU: return el_ge0_select(x, x, el_mul(el_set1(p0), x));
  case KERN_UNARY_SIGMOID: {
    /* 1 / (1 + e^-x): e^-x = +inf (x < -88.7) gives 0, as the reference */
    const el_vec one = el_set1(1.0f);
    return el_div(one, el_add(one, el_exp(el_mul(el_set1(-1.0f), x))));
  }
  case KERN_UNARY_ERF: return el_erf(x);
  case KERN_UNARY_GELU: /* x (erf(x / sqrt 2) + 1) / 2, the order of the exported graph */
    return el_mul(el_mul(x, el_add(el_erf(el_div(x, el_set1(1.41421353816986084f))),
                                   el_set1(1.0f))),
                  el_set1(0.5f));
  case KERN_UNARY_SILU: {
    const el_vec one = el_set1(1.0f);
    return el_mul(x, el_div(one, el_add(one, el_exp(el_mul(el_set1(-1.0f), x)))));
  }
  case KERN_UNARY_HARDSIGMOID: {
    el_vec y = el_add(el_mul(el_set1(p0), x), el_set1(p1));
    return el_min(el_set1(1.0f), el_max(el_set1(0.0f), y));
  }
  case KERN_UNARY_HARDSWISH: {
    el_vec y = el_add(el_div(x, el_set1(6.0f)), el_set1(0.5f));
    y = el_min(el_set1(1.0f), el_max(el_set1(0.0f), y));
    return el_mul(x, y);
  }
  default: return x; /* NONE; TANH is applied per element afterwards */
  }
}

/* n elements from a (b, r; NULL = absent), through op and the activation, into y. */
KERN_INLINE void el_loop(const int BIN, const int OP, int64_t n,
                                                          const float *a, const float *b,
                                                          const float *r, float *y, float p0,
                                                          float p1) {
  int64_t i = 0;
  for (; i + EL_VL <= n; i += EL_VL) {
    el_vec v = el_load(a + i);
    if (BIN == 1) v = el_add(v, el_load(b + i));
    if (BIN == 2) v = el_mul(v, el_load(b + i));
    if (r) v = el_add(v, el_load(r + i));
    el_store(y + i, el_act(OP, v, p0, p1));
  }
  if (i < n) {
    float ta[EL_VL] = {0}, tb[EL_VL] = {0}, tr[EL_VL] = {0}, ty[EL_VL];
    const size_t bytes = (size_t)(n - i) * sizeof(float);
    memcpy(ta, a + i, bytes);
    if (BIN) memcpy(tb, b + i, bytes);
    if (r) memcpy(tr, r + i, bytes);
    el_vec v = el_load(ta);
    if (BIN == 1) v = el_add(v, el_load(tb));
    if (BIN == 2) v = el_mul(v, el_load(tb));
    if (r) v = el_add(v, el_load(tr));
    el_store(ty, el_act(OP, v, p0, p1));
    memcpy(y + i, ty, bytes);
  }
}

/* The activation as a constant of el_loop, so the loop body has no switch. */
KERN_INLINE void el_dispatch(const int BIN, int64_t n,
                                                              const float *a, const float *b,
                                                              const float *r, float *y,
                                                              const kern_unary *act) {
  const float p0 = act ? act->p0 : 0.0f, p1 = act ? act->p1 : 0.0f;
  switch (act ? act->op : KERN_UNARY_NONE) {
  case KERN_UNARY_RELU: el_loop(BIN, KERN_UNARY_RELU, n, a, b, r, y, p0, p1); break;
  case KERN_UNARY_CLIP: el_loop(BIN, KERN_UNARY_CLIP, n, a, b, r, y, p0, p1); break;
  case KERN_UNARY_LEAKYRELU: el_loop(BIN, KERN_UNARY_LEAKYRELU, n, a, b, r, y, p0, p1); break;
  case KERN_UNARY_SIGMOID: el_loop(BIN, KERN_UNARY_SIGMOID, n, a, b, r, y, p0, p1); break;
  case KERN_UNARY_HARDSIGMOID: el_loop(BIN, KERN_UNARY_HARDSIGMOID, n, a, b, r, y, p0, p1); break;
  case KERN_UNARY_HARDSWISH: el_loop(BIN, KERN_UNARY_HARDSWISH, n, a, b, r, y, p0, p1); break;
  case KERN_UNARY_SILU: el_loop(BIN, KERN_UNARY_SILU, n, a, b, r, y, p0, p1); break;
  case KERN_UNARY_TANH:
    el_loop(BIN, KERN_UNARY_NONE, n, a, b, r, y, p0, p1);
    for (int64_t i = 0; i < n; i++)
      y[i] = tanhf(y[i]);
    break;
  case KERN_UNARY_ERF: el_loop(BIN, KERN_UNARY_ERF, n, a, b, r, y, p0, p1); break;
  case KERN_UNARY_GELU: el_loop(BIN, KERN_UNARY_GELU, n, a, b, r, y, p0, p1); break;
  case KERN_UNARY_SQRT:
    el_loop(BIN, KERN_UNARY_NONE, n, a, b, r, y, p0, p1);
    for (int64_t i = 0; i < n; i++)
      y[i] = sqrtf(y[i]);
    break;
  default: el_loop(BIN, KERN_UNARY_NONE, n, a, b, r, y, p0, p1); break;
  }
}

void EL_NAME(kern_eltwise_binary)(kern_binary_op op, int64_t n, const float *a, const float *b,
                                  const float *r, float *y, const kern_unary *act) {
  if (op == KERN_BINARY_MUL)
    el_dispatch(2, n, a, b, r, y, act);
  else
    el_dispatch(1, n, a, b, r, y, act);
}

void EL_NAME(kern_eltwise_unary)(int64_t n, const float *x, float *y, const kern_unary *act) {
  el_dispatch(0, n, x, NULL, NULL, y, act);
}
