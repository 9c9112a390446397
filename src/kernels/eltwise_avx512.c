/* eltwise_avx512.c — the elementwise kernels of eltwise_body.h with AVX-512, 16 floats per
 * vector; exp by Cody-Waite reduction, Cephes' expf polynomial (~2 ulp) and vscalefps. */
#include "kernels/kernels.h"

#include <immintrin.h>

#define EL_VL 16
#define EL_NAME(stem) stem##_avx512
typedef __m512 el_vec;
static inline el_vec el_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void el_store(float *p, el_vec v) { _mm512_storeu_ps(p, v); }
static inline el_vec el_set1(float f) { return _mm512_set1_ps(f); }
static inline el_vec el_add(el_vec a, el_vec b) { return _mm512_add_ps(a, b); }
static inline el_vec el_mul(el_vec a, el_vec b) { return _mm512_mul_ps(a, b); }
static inline el_vec el_div(el_vec a, el_vec b) { return _mm512_div_ps(a, b); }
static inline el_vec el_max(el_vec a, el_vec b) { return _mm512_max_ps(a, b); }
static inline el_vec el_min(el_vec a, el_vec b) { return _mm512_min_ps(a, b); }
static inline el_vec el_ge0_select(el_vec x, el_vec a, el_vec b) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ), b, a);
}

/* e^x = 2^k * e^r, k = round(x / ln 2), r = x - k ln 2 (ln 2 in two parts, Cody-Waite), e^r by
 * Cephes' degree-7 expf polynomial; vscalefps multiplies by 2^k with IEEE overflow to +inf
 * and gradual underflow, so only the polynomial's input range needs a clamp. x is the second
 * operand of max/min so a NaN passes through. */
static inline el_vec el_exp(el_vec x) {
  x = _mm512_min_ps(_mm512_set1_ps(89.0f), _mm512_max_ps(_mm512_set1_ps(-104.0f), x));
  const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, k);
}

/* erf from the SIMD vocabulary's simd_math.h (el_vec is its simd_f32) */
#include "kernels/simd_avx512.h"
static inline el_vec el_erf(el_vec x) { return simd_erf(x); }

#include "kernels/eltwise_body.h"
