/* simd_generic.h — the kernels' SIMD vocabulary in portable C (GCC/clang vector extensions,
 * 4 floats: one SSE2 register on any x86-64, NEON on arm64), and the contract of every name,
 * which simd_avx2.h and simd_avx512.h implement under the same names (XNNPACK's
 * src/xnnpack/simd/f32-*.h idea: a kernel family is written once over these names and compiled
 * once per ISA by a thin <family>_<isa>.c that includes one simd_<isa>.h and the body).
 *
 *   SIMD_VL                  floats per vector (4, 8, 16)
 *   SIMD_ISA_NAME            "generic" | "avx2" | "avx512"
 *   SIMD_NAME(stem)          stem##_<isa>: the per-ISA symbol of an exported function
 *   SIMD_REGS                vector registers of the ISA (sizes register tiles)
 *   SIMD_FMA_FUSED           1 when simd_fma / simd_fnma round once
 *   SIMD_KEEP(v)             an empty asm pinning v to a register (stops GCC folding one load
 *                            into each of its uses); no effect on the value
 *   simd_f32                 a vector of SIMD_VL floats
 *   simd_mask                the lanes of a partial vector (simd_tail)
 *   simd_cmp                 a per-lane truth value (comparisons, simd_select)
 *
 *   simd_zero() simd_set1(f) simd_load1(p)         0, f, *p in every lane
 *   simd_load(p) simd_store(p, v)                  any alignment
 *   simd_load_aligned(p) simd_store_aligned(p, v)  p aligned to the vector (SIMD_VL * 4 bytes)
 *   simd_tail(n)                                   lanes [0, n), 0 <= n (n >= SIMD_VL: all)
 *   simd_load_tail(p, m) simd_store_tail(p, v, m)  only the lanes of m are read / written
 *                                                  (never touches memory past them); other
 *                                                  lanes load as 0
 *   simd_add sub mul div (a, b)                    IEEE, lane by lane
 *   simd_fma(a, b, c) = a * b + c, simd_fnma(a, b, c) = c - a * b
 *                                                  one rounding on avx2/avx512; two here
 *                                                  (baseline x86-64 has no FMA)
 *   simd_max(a, b) simd_min(a, b)                  as maxps/minps: the SECOND operand when
 *                                                  either is NaN (and for +-0 ties), so
 *                                                  max(lo, x) lets a NaN x through
 *   simd_neg abs sqrt (a), simd_recip(a) = 1 / a (a true division)
 *   simd_round(a)                                  nearest, ties to even
 *   simd_floor(a)
 *   simd_cmp_lt le gt ge eq (a, b)                 ordered: false when either is NaN
 *   simd_cmp_unord(a, b)                           true when either is NaN
 *   simd_cmp_none() simd_cmp_or(m, n) simd_cmp_and(m, n)
 *   simd_select(m, a, b)                           m ? a : b lane by lane
 *   simd_reduce_add(v) simd_reduce_max(v)          one float; halves folded onto each other
 *                                                  (lanes i and i + VL/2, then VL/4, ...), so
 *                                                  the order is fixed per ISA; max of a NaN
 *                                                  lane is unspecified
 *   simd_ldexp(v, k)                               v * 2^k, k integral in [-126, 127]
 *   simd_perm, simd_perm_load(idx)                 a lane permutation from SIMD_VL int32s
 *   simd_permute(v, p)                             lane i of the result is lane p[i] of v
 *
 * and, written once over the above (simd_math.h): simd_exp, simd_sigmoid, simd_erf.
 * Include exactly one simd_<isa>.h per translation unit. */
#ifndef DLF_KERNELS_SIMD_ISA
#define DLF_KERNELS_SIMD_ISA generic

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define SIMD_VL 4
#define SIMD_ISA_NAME "generic"
#define SIMD_NAME(stem) stem##_generic
#define SIMD_REGS 16
#define SIMD_FMA_FUSED 0 /* simd_fma rounds twice */
#if defined(__x86_64__) || defined(__i386__)
#define SIMD_KEEP(v) __asm__("" : "+x"(v))
#else
#define SIMD_KEEP(v) ((void)0)
#endif

typedef float simd_f32 __attribute__((vector_size(16)));
typedef int32_t simd_i32 __attribute__((vector_size(16)));
typedef int simd_mask;     /* the number of lanes of a partial vector */
typedef simd_i32 simd_cmp; /* -1 (true) or 0 per lane, as vector comparisons give */

static inline simd_f32 simd_zero(void) { return (simd_f32){0.0f, 0.0f, 0.0f, 0.0f}; }
static inline simd_f32 simd_set1(float f) { return (simd_f32){f, f, f, f}; }
static inline simd_f32 simd_load1(const float *p) { return simd_set1(*p); }
/* memcpy: an unaligned load / store the compiler lowers to one movups. */
static inline simd_f32 simd_load(const float *p) {
  simd_f32 v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline simd_f32 simd_load_aligned(const float *p) {
  return simd_load((const float *)__builtin_assume_aligned(p, 16));
}
static inline void simd_store(float *p, simd_f32 v) { memcpy(p, &v, sizeof v); }
static inline void simd_store_aligned(float *p, simd_f32 v) {
  simd_store((float *)__builtin_assume_aligned(p, 16), v);
}

static inline simd_mask simd_tail(int n) { return n < 0 ? 0 : n > SIMD_VL ? SIMD_VL : n; }
static inline simd_f32 simd_load_tail(const float *p, simd_mask m) {
  simd_f32 v = simd_zero();
  memcpy(&v, p, (size_t)m * sizeof(float));
  return v;
}
static inline void simd_store_tail(float *p, simd_f32 v, simd_mask m) {
  memcpy(p, &v, (size_t)m * sizeof(float));
}

static inline simd_f32 simd_add(simd_f32 a, simd_f32 b) { return a + b; }
static inline simd_f32 simd_sub(simd_f32 a, simd_f32 b) { return a - b; }
static inline simd_f32 simd_mul(simd_f32 a, simd_f32 b) { return a * b; }
static inline simd_f32 simd_div(simd_f32 a, simd_f32 b) { return a / b; }
static inline simd_f32 simd_fma(simd_f32 a, simd_f32 b, simd_f32 c) { return a * b + c; }
static inline simd_f32 simd_fnma(simd_f32 a, simd_f32 b, simd_f32 c) { return c - a * b; }

static inline simd_f32 simd_select(simd_cmp m, simd_f32 a, simd_f32 b) {
  return (simd_f32)((m & (simd_i32)a) | (~m & (simd_i32)b));
}
static inline simd_f32 simd_max(simd_f32 a, simd_f32 b) { return simd_select(a > b, a, b); }
static inline simd_f32 simd_min(simd_f32 a, simd_f32 b) { return simd_select(a < b, a, b); }
static inline simd_f32 simd_neg(simd_f32 a) { return -a; }
static inline simd_f32 simd_abs(simd_f32 a) {
  return (simd_f32)((simd_i32)a & (simd_i32){0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff});
}
static inline simd_f32 simd_sqrt(simd_f32 a) {
  simd_f32 r;
  for (int i = 0; i < SIMD_VL; i++)
    r[i] = sqrtf(a[i]);
  return r;
}
static inline simd_f32 simd_recip(simd_f32 a) { return simd_set1(1.0f) / a; }
/* Adding and subtracting 2^23 to |a| rounds it to nearest even (SSE2 has no roundps); the
 * sign goes back by its bit (so -0.3 rounds to -0, as roundps). Magnitudes >= 2^23 (and NaN,
 * whose comparison is false) are integral already and pass. */
static inline simd_f32 simd_round(simd_f32 a) {
  const simd_f32 two23 = simd_set1(8388608.0f), m = simd_abs(a);
  const simd_i32 sign = (simd_i32)a & (simd_i32)simd_set1(-0.0f);
  const simd_f32 r = (simd_f32)((simd_i32)((m + two23) - two23) | sign);
  return simd_select(m < two23, r, a);
}
static inline simd_f32 simd_floor(simd_f32 a) {
  const simd_f32 r = simd_round(a);
  return simd_select(r > a, r - simd_set1(1.0f), r);
}

static inline simd_cmp simd_cmp_lt(simd_f32 a, simd_f32 b) { return a < b; }
static inline simd_cmp simd_cmp_le(simd_f32 a, simd_f32 b) { return a <= b; }
static inline simd_cmp simd_cmp_gt(simd_f32 a, simd_f32 b) { return a > b; }
static inline simd_cmp simd_cmp_ge(simd_f32 a, simd_f32 b) { return a >= b; }
static inline simd_cmp simd_cmp_eq(simd_f32 a, simd_f32 b) { return a == b; }
static inline simd_cmp simd_cmp_unord(simd_f32 a, simd_f32 b) { return (a != a) | (b != b); }
static inline simd_cmp simd_cmp_none(void) { return (simd_cmp){0, 0, 0, 0}; }
static inline simd_cmp simd_cmp_or(simd_cmp a, simd_cmp b) { return a | b; }
static inline simd_cmp simd_cmp_and(simd_cmp a, simd_cmp b) { return a & b; }

static inline float simd_reduce_add(simd_f32 v) { return (v[0] + v[2]) + (v[1] + v[3]); }
static inline float simd_reduce_max(simd_f32 v) {
  const float a = v[0] > v[2] ? v[0] : v[2], b = v[1] > v[3] ? v[1] : v[3];
  return a > b ? a : b;
}

/* v * 2^k for integral k in [-126, 127]: 2^k built from its exponent bits. */
static inline simd_f32 simd_ldexp(simd_f32 v, simd_f32 k) {
  const simd_i32 e = (__builtin_convertvector(k, simd_i32) + 127) << 23;
  return v * (simd_f32)e;
}

typedef int32_t simd_perm __attribute__((vector_size(16)));
static inline simd_perm simd_perm_load(const int32_t *idx) {
  simd_perm p;
  memcpy(&p, idx, sizeof p);
  return p;
}
static inline simd_f32 simd_permute(simd_f32 v, simd_perm p) {
  simd_f32 r;
  for (int i = 0; i < SIMD_VL; i++)
    r[i] = v[p[i] & (SIMD_VL - 1)];
  return r;
}

#include "kernels/simd_math.h"

#endif
