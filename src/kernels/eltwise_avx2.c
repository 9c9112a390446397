/* eltwise_avx2.c — the elementwise kernels of eltwise_body.h with AVX2 + FMA, 8 floats per
 * vector; exp by Cody-Waite reduction and Cephes' expf polynomial (~2 ulp). */
#include "kernels/kernels.h"

#include <immintrin.h>
#include <math.h>

#define EL_VL 8
#define EL_NAME(stem) stem##_avx2
typedef __m256 el_vec;
static inline el_vec el_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void el_store(float *p, el_vec v) { _mm256_storeu_ps(p, v); }
static inline el_vec el_set1(float f) { return _mm256_set1_ps(f); }
static inline el_vec el_add(el_vec a, el_vec b) { return _mm256_add_ps(a, b); }
static inline el_vec el_mul(el_vec a, el_vec b) { return _mm256_mul_ps(a, b); }
static inline el_vec el_div(el_vec a, el_vec b) { return _mm256_div_ps(a, b); }
static inline el_vec el_max(el_vec a, el_vec b) { return _mm256_max_ps(a, b); }
static inline el_vec el_min(el_vec a, el_vec b) { return _mm256_min_ps(a, b); }
static inline el_vec el_ge0_select(el_vec x, el_vec a, el_vec b) {
  return _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
}

/* e^x = 2^k * e^r, k = round(x / ln 2), r = x - k ln 2 (ln 2 in two parts, Cody-Waite), e^r by
 * Cephes' degree-7 expf polynomial. k is clamped to [-126, 127] so 2^k is a normal float built
 * from its exponent bits; above ln(FLT_MAX) the result is +inf (blend); below ~-87.3 it tends
 * to 0 without being exact (only sigmoid uses it, where 1 + e^x is then 1 either way). The
 * clamps put x second in max/min so a NaN passes through. */
static inline el_vec el_exp(el_vec x) {
  const __m256 over = _mm256_cmp_ps(x, _mm256_set1_ps(88.72283935546875f), _CMP_GT_OQ);
  x = _mm256_min_ps(_mm256_set1_ps(88.72283935546875f), _mm256_max_ps(_mm256_set1_ps(-88.0f), x));
  __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  k = _mm256_min_ps(_mm256_set1_ps(127.0f), _mm256_max_ps(_mm256_set1_ps(-126.0f), k));
  __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i e =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
  const __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  return _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), over);
}

/* erf from the SIMD vocabulary's simd_math.h (el_vec is its simd_f32) */
#include "kernels/simd_avx2.h"
static inline el_vec el_erf(el_vec x) { return simd_erf(x); }

#include "kernels/eltwise_body.h"
