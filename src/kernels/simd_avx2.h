/* simd_avx2.h — the kernels' SIMD vocabulary (see simd_generic.h for the contract of every
 * name) on AVX2 + FMA: 8 floats per __m256, tails by vmaskmovps, comparisons as lane masks.
 *
 * Include exactly one simd_<isa>.h per translation unit, in a file compiled with that ISA's
 * flags (the Makefile gives them to *_avx2.c), reached only through a config that checked
 * the CPU (src/kernels/config.c). vmaskmovps is slow on AMD (a microcoded store): kernels
 * use the tail operations on a partial last vector only. */
#ifndef DLF_KERNELS_SIMD_ISA
#define DLF_KERNELS_SIMD_ISA avx2

#include <immintrin.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#define SIMD_VL 8
#define SIMD_ISA_NAME "avx2"
#define SIMD_NAME(stem) stem##_avx2
#define SIMD_REGS 16
#define SIMD_FMA_FUSED 1
/* Pins v to a register (the 16 ymm) so GCC does not fold its load into every use. */
#define SIMD_KEEP(v) __asm__("" : "+x"(v))

typedef __m256 simd_f32;
typedef __m256i simd_mask; /* the lanes of a partial vector: all ones or zero per lane */
typedef __m256 simd_cmp;   /* a comparison's result: all ones or zero per lane */

static inline simd_f32 simd_zero(void) { return _mm256_setzero_ps(); }
static inline simd_f32 simd_set1(float f) { return _mm256_set1_ps(f); }
static inline simd_f32 simd_load1(const float *p) { return _mm256_broadcast_ss(p); }
static inline simd_f32 simd_load(const float *p) { return _mm256_loadu_ps(p); }
static inline simd_f32 simd_load_aligned(const float *p) { return _mm256_load_ps(p); }
static inline void simd_store(float *p, simd_f32 v) { _mm256_storeu_ps(p, v); }
static inline void simd_store_aligned(float *p, simd_f32 v) { _mm256_store_ps(p, v); }

static inline simd_mask simd_tail(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline simd_f32 simd_load_tail(const float *p, simd_mask m) {
  return _mm256_maskload_ps(p, m);
}
static inline void simd_store_tail(float *p, simd_f32 v, simd_mask m) {
  _mm256_maskstore_ps(p, m, v);
}

static inline simd_f32 simd_add(simd_f32 a, simd_f32 b) { return _mm256_add_ps(a, b); }
static inline simd_f32 simd_sub(simd_f32 a, simd_f32 b) { return _mm256_sub_ps(a, b); }
static inline simd_f32 simd_mul(simd_f32 a, simd_f32 b) { return _mm256_mul_ps(a, b); }
static inline simd_f32 simd_div(simd_f32 a, simd_f32 b) { return _mm256_div_ps(a, b); }
static inline simd_f32 simd_fma(simd_f32 a, simd_f32 b, simd_f32 c) {
  return _mm256_fmadd_ps(a, b, c);
}
static inline simd_f32 simd_fnma(simd_f32 a, simd_f32 b, simd_f32 c) {
  return _mm256_fnmadd_ps(a, b, c);
}
static inline simd_f32 simd_max(simd_f32 a, simd_f32 b) { return _mm256_max_ps(a, b); }
static inline simd_f32 simd_min(simd_f32 a, simd_f32 b) { return _mm256_min_ps(a, b); }
static inline simd_f32 simd_neg(simd_f32 a) { return _mm256_xor_ps(a, _mm256_set1_ps(-0.0f)); }
static inline simd_f32 simd_abs(simd_f32 a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
static inline simd_f32 simd_sqrt(simd_f32 a) { return _mm256_sqrt_ps(a); }
static inline simd_f32 simd_recip(simd_f32 a) { return _mm256_div_ps(_mm256_set1_ps(1.0f), a); }
static inline simd_f32 simd_round(simd_f32 a) {
  return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
static inline simd_f32 simd_floor(simd_f32 a) {
  return _mm256_round_ps(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
}

static inline simd_cmp simd_cmp_lt(simd_f32 a, simd_f32 b) {
  return _mm256_cmp_ps(a, b, _CMP_LT_OQ);
}
static inline simd_cmp simd_cmp_le(simd_f32 a, simd_f32 b) {
  return _mm256_cmp_ps(a, b, _CMP_LE_OQ);
}
static inline simd_cmp simd_cmp_gt(simd_f32 a, simd_f32 b) {
  return _mm256_cmp_ps(a, b, _CMP_GT_OQ);
}
static inline simd_cmp simd_cmp_ge(simd_f32 a, simd_f32 b) {
  return _mm256_cmp_ps(a, b, _CMP_GE_OQ);
}
static inline simd_cmp simd_cmp_eq(simd_f32 a, simd_f32 b) {
  return _mm256_cmp_ps(a, b, _CMP_EQ_OQ);
}
static inline simd_cmp simd_cmp_unord(simd_f32 a, simd_f32 b) {
  return _mm256_cmp_ps(a, b, _CMP_UNORD_Q);
}
static inline simd_cmp simd_cmp_none(void) { return _mm256_setzero_ps(); }
static inline simd_cmp simd_cmp_or(simd_cmp a, simd_cmp b) { return _mm256_or_ps(a, b); }
static inline simd_cmp simd_cmp_and(simd_cmp a, simd_cmp b) { return _mm256_and_ps(a, b); }
static inline simd_f32 simd_select(simd_cmp m, simd_f32 a, simd_f32 b) {
  return _mm256_blendv_ps(b, a, m);
}

/* Halves folded onto each other: lanes i and i + 4, then + 2, + 1 (simd_generic.h). */
static inline float simd_reduce_add(simd_f32 v) {
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 1));
  return _mm_cvtss_f32(q);
}
static inline float simd_reduce_max(simd_f32 v) {
  __m128 q = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  q = _mm_max_ps(q, _mm_movehl_ps(q, q));
  q = _mm_max_ss(q, _mm_shuffle_ps(q, q, 1));
  return _mm_cvtss_f32(q);
}

/* v * 2^k for integral k in [-126, 127]: 2^k built from its exponent bits. */
static inline simd_f32 simd_ldexp(simd_f32 v, simd_f32 k) {
  const __m256i e =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(v, _mm256_castsi256_ps(e));
}

typedef __m256i simd_perm;
static inline simd_perm simd_perm_load(const int32_t *idx) {
  return _mm256_loadu_si256((const __m256i *)idx);
}
static inline simd_f32 simd_permute(simd_f32 v, simd_perm p) { return _mm256_permutevar8x32_ps(v, p); }

#include "kernels/simd_math.h"

#endif
