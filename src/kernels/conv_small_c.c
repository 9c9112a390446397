/* conv_small_c.c — direct NHWC convolution for few input channels (CNN stems): the weight
 * packing shared by every ISA, and the portable kernel (conv_small_c_body.h on 4-float vectors). */
#include "kernels/kernels.h"

#include <string.h>

/* Output channels of one packed tap, rounded up to 16 (the widest vector) for every ISA, so
 * that the packing does not depend on the config and a vector load never leaves the row. */
static int64_t padded_cout(const kern_conv2d_params *p) { return (p->Cout + 15) / 16 * 16; }

bool kern_conv2d_small_c_applies(const kern_config *cfg, const kern_conv2d_params *p) {
  return cfg->conv_small_c.fn && p->groups == 1 && p->C >= 1 && p->C <= cfg->conv_small_c.max_c &&
         p->kh >= 1 && p->kw >= 1 && p->Cout >= 1;
}

bool kern_conv2d_small_c_packed_floats(const kern_conv2d_params *p, size_t *floats) {
  int64_t khw, K, n;
  if (p->kh < 1 || p->kw < 1 || p->C < 1 || p->Cout < 1) return false;
  if (__builtin_mul_overflow(p->kh, p->kw, &khw) || __builtin_mul_overflow(khw, p->C, &K) ||
      __builtin_mul_overflow(K, padded_cout(p), &n))
    return false;
  *floats = (size_t)n;
  return true;
}

/* [kh][kw][C][Cp] from OIHW W[Cout][C][kh][kw]: tap (ki, kj, ci) is row (ki*kw + kj)*C + ci. */
void kern_conv2d_small_c_pack(const kern_conv2d_params *p, const float *w_oihw, float *packed) {
  const int64_t C = p->C, khw = p->kh * p->kw, cp = padded_cout(p);
  memset(packed, 0, (size_t)(khw * C * cp) * sizeof(float));
  for (int64_t co = 0; co < p->Cout; co++)
    for (int64_t ci = 0; ci < C; ci++)
      for (int64_t t = 0; t < khw; t++)
        packed[(t * C + ci) * cp + co] = w_oihw[(co * C + ci) * khw + t];
}

/* The portable kernel: GCC/clang vector extensions, 4 floats (one SSE register on x86-64;
 * scalar code elsewhere). 16 xmm: 4 pixels x 2 vectors = 8 accumulators + 2 weights +
 * temporaries, or 8 x 1. No FMA in baseline x86-64: multiply, then add. */
/* Per-row loops: the flat tap loop ran the generic stems 1.4-1.6x slower (GCC 12). */
#define SC_FLAT 0
#define SC_VL 4
#define SC_NV_MAX 2
#define SC_NP_MAX 8
#define SC_NP(nv) ((nv) == 1 ? 8 : 4)
#define SC_NAME kern_conv2d_small_c_generic

typedef float sc_vec __attribute__((vector_size(16)));
typedef int32_t sc_ivec __attribute__((vector_size(16)));
static inline sc_vec sc_zero(void) { return (sc_vec){0, 0, 0, 0}; }
static inline sc_vec sc_set1(float v) { return (sc_vec){v, v, v, v}; }
static inline sc_vec sc_bcast(const float *p) { return sc_set1(*p); }
static inline sc_vec sc_load(const float *p) {
  sc_vec v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline sc_vec sc_load_n(const float *p, int n) {
  sc_vec v = sc_zero();
  memcpy(&v, p, (size_t)n * sizeof(float));
  return v;
}
static inline void sc_store(float *p, sc_vec v) { memcpy(p, &v, sizeof v); }
static inline void sc_store_n(float *p, sc_vec v, int n) {
  memcpy(p, &v, (size_t)n * sizeof(float));
}
static inline sc_vec sc_fma(sc_vec a, sc_vec b, sc_vec c) { return a * b + c; }
static inline sc_vec sc_add(sc_vec a, sc_vec b) { return a + b; }
/* m ? a : b lane by lane (C has no vector ?:). */
static inline sc_vec sc_select(sc_ivec m, sc_vec a, sc_vec b) {
  sc_ivec ia, ib;
  memcpy(&ia, &a, sizeof ia);
  memcpy(&ib, &b, sizeof ib);
  sc_ivec r = (m & ia) | (~m & ib);
  sc_vec out;
  memcpy(&out, &r, sizeof out);
  return out;
}
/* As maxps / minps: the second operand when either is NaN (comparisons with NaN are false). */
static inline sc_vec sc_max(sc_vec a, sc_vec b) { return sc_select(a > b, a, b); }
static inline sc_vec sc_min(sc_vec a, sc_vec b) { return sc_select(a < b, a, b); }

#include "kernels/conv_small_c_body.h"
