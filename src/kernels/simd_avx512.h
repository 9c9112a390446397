/* simd_avx512.h — the kernels' SIMD vocabulary (see simd_generic.h for the contract of every
 * name) on AVX-512 F/DQ/BW/VL: 16 floats per __m512, opmask tails and comparisons.
 *
 * Include exactly one simd_<isa>.h per translation unit, in a file compiled with that ISA's
 * flags (the Makefile gives them to *_avx512.c), reached only through a config that checked
 * the CPU (src/kernels/config.c). */
#ifndef DLF_KERNELS_SIMD_ISA
#define DLF_KERNELS_SIMD_ISA avx512

#include <immintrin.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#define SIMD_VL 16
#define SIMD_ISA_NAME "avx512"
#define SIMD_NAME(stem) stem##_avx512
#define SIMD_REGS 32
#define SIMD_FMA_FUSED 1
/* Pins v to a register (all 32 zmm) so GCC does not fold its load into every use. */
#define SIMD_KEEP(v) __asm__("" : "+v"(v))

typedef __m512 simd_f32;
typedef __mmask16 simd_mask; /* the lanes of a partial vector */
typedef __mmask16 simd_cmp;  /* a comparison's result, one bit per lane */

static inline simd_f32 simd_zero(void) { return _mm512_setzero_ps(); }
static inline simd_f32 simd_set1(float f) { return _mm512_set1_ps(f); }
static inline simd_f32 simd_load1(const float *p) { return _mm512_set1_ps(*p); }
static inline simd_f32 simd_load(const float *p) { return _mm512_loadu_ps(p); }
static inline simd_f32 simd_load_aligned(const float *p) { return _mm512_load_ps(p); }
static inline void simd_store(float *p, simd_f32 v) { _mm512_storeu_ps(p, v); }
static inline void simd_store_aligned(float *p, simd_f32 v) { _mm512_store_ps(p, v); }

static inline simd_mask simd_tail(int n) {
  return n >= SIMD_VL ? (simd_mask)0xffff : n <= 0 ? (simd_mask)0 : (simd_mask)((1u << n) - 1);
}
static inline simd_f32 simd_load_tail(const float *p, simd_mask m) {
  return _mm512_maskz_loadu_ps(m, p);
}
static inline void simd_store_tail(float *p, simd_f32 v, simd_mask m) {
  _mm512_mask_storeu_ps(p, m, v);
}

static inline simd_f32 simd_add(simd_f32 a, simd_f32 b) { return _mm512_add_ps(a, b); }
static inline simd_f32 simd_sub(simd_f32 a, simd_f32 b) { return _mm512_sub_ps(a, b); }
static inline simd_f32 simd_mul(simd_f32 a, simd_f32 b) { return _mm512_mul_ps(a, b); }
static inline simd_f32 simd_div(simd_f32 a, simd_f32 b) { return _mm512_div_ps(a, b); }
static inline simd_f32 simd_fma(simd_f32 a, simd_f32 b, simd_f32 c) {
  return _mm512_fmadd_ps(a, b, c);
}
static inline simd_f32 simd_fnma(simd_f32 a, simd_f32 b, simd_f32 c) {
  return _mm512_fnmadd_ps(a, b, c);
}
static inline simd_f32 simd_max(simd_f32 a, simd_f32 b) { return _mm512_max_ps(a, b); }
static inline simd_f32 simd_min(simd_f32 a, simd_f32 b) { return _mm512_min_ps(a, b); }
static inline simd_f32 simd_neg(simd_f32 a) {
  return _mm512_castsi512_ps(
      _mm512_xor_si512(_mm512_castps_si512(a), _mm512_set1_epi32((int32_t)0x80000000u)));
}
static inline simd_f32 simd_abs(simd_f32 a) { return _mm512_abs_ps(a); }
static inline simd_f32 simd_sqrt(simd_f32 a) { return _mm512_sqrt_ps(a); }
static inline simd_f32 simd_recip(simd_f32 a) { return _mm512_div_ps(_mm512_set1_ps(1.0f), a); }
static inline simd_f32 simd_round(simd_f32 a) {
  return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
static inline simd_f32 simd_floor(simd_f32 a) {
  return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
}

static inline simd_cmp simd_cmp_lt(simd_f32 a, simd_f32 b) {
  return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ);
}
static inline simd_cmp simd_cmp_le(simd_f32 a, simd_f32 b) {
  return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ);
}
static inline simd_cmp simd_cmp_gt(simd_f32 a, simd_f32 b) {
  return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ);
}
static inline simd_cmp simd_cmp_ge(simd_f32 a, simd_f32 b) {
  return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ);
}
static inline simd_cmp simd_cmp_eq(simd_f32 a, simd_f32 b) {
  return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ);
}
static inline simd_cmp simd_cmp_unord(simd_f32 a, simd_f32 b) {
  return _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q);
}
static inline simd_cmp simd_cmp_none(void) { return 0; }
static inline simd_cmp simd_cmp_or(simd_cmp a, simd_cmp b) { return a | b; }
static inline simd_cmp simd_cmp_and(simd_cmp a, simd_cmp b) { return a & b; }
static inline simd_f32 simd_select(simd_cmp m, simd_f32 a, simd_f32 b) {
  return _mm512_mask_blend_ps(m, b, a);
}

/* Halves folded onto each other: lanes i and i + 8, then + 4, + 2, + 1 (simd_generic.h). */
static inline float simd_reduce_add(simd_f32 v) {
  __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 1));
  return _mm_cvtss_f32(q);
}
static inline float simd_reduce_max(simd_f32 v) {
  __m256 h = _mm256_max_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 q = _mm_max_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  q = _mm_max_ps(q, _mm_movehl_ps(q, q));
  q = _mm_max_ss(q, _mm_shuffle_ps(q, q, 1));
  return _mm_cvtss_f32(q);
}

/* v * 2^k for integral k in [-126, 127] (vscalefps). */
static inline simd_f32 simd_ldexp(simd_f32 v, simd_f32 k) { return _mm512_scalef_ps(v, k); }

typedef __m512i simd_perm;
static inline simd_perm simd_perm_load(const int32_t *idx) { return _mm512_loadu_si512(idx); }
static inline simd_f32 simd_permute(simd_f32 v, simd_perm p) { return _mm512_permutexvar_ps(p, v); }

#include "kernels/simd_math.h"

#endif
