/* simd_math.h — vector exp, sigmoid and erf written once over the SIMD vocabulary; included
 * by the end of each simd_<isa>.h (never directly), so every ISA computes them with the same
 * operations (results differ only where fma is fused or not).
 *
 *   simd_exp(x)      e^x within 2 ulp for results >= FLT_MIN; 0 below (x < -87.33, no
 *                    subnormals); +inf above ln(FLT_MAX) ~ 88.72; NaN for NaN
 *   simd_exp_fast(x) e^x as simd_exp where the result is >= FLT_MIN and +inf above ln(FLT_MAX);
 *                    below x ~ -87.3 some value in [0, FLT_MIN) instead of 0 (for 1 + e^x
 *                    and x * e^x the difference vanishes); one select fewer than simd_exp
 *   simd_sigmoid(x)  1 / (1 + e^-x) (0 below x ~ -88.7, 1 above ~ 17 as in float)
 *   simd_erf(x)      erf within ~2e-7 absolute (and ~3 ulp relative where |x| < 0.5);
 *                    +-1 at +-inf, NaN for NaN, -0 for -0 */

/* e^r for r = x - k ln 2 (ln 2 in two parts, Cody-Waite): Cephes' degree-7 expf polynomial,
 * accurate on |r| <= ln(2)/2; the part simd_exp and simd_exp_fast share. */
static inline simd_f32 simd_exp_reduced(simd_f32 x, simd_f32 k) {
  simd_f32 r = simd_fnma(k, simd_set1(0.693359375f), x);
  r = simd_fnma(k, simd_set1(-2.12194440e-4f), r);
  simd_f32 p = simd_set1(1.9875691500e-4f);
  p = simd_fma(p, r, simd_set1(1.3981999507e-3f));
  p = simd_fma(p, r, simd_set1(8.3334519073e-3f));
  p = simd_fma(p, r, simd_set1(4.1665795894e-2f));
  p = simd_fma(p, r, simd_set1(1.6666665459e-1f));
  p = simd_fma(p, r, simd_set1(5.0000001201e-1f));
  return simd_fma(p, simd_mul(r, r), simd_add(r, simd_set1(1.0f)));
}

/* e^x = 2^k e^r with k = round(x / ln 2) and r = x - k ln 2 (ln 2 in two parts, Cody-Waite,
 * so r is exact to ~1 ulp), e^r by Cephes' degree-7 expf polynomial on |r| <= ln(2)/2.
 * x is clamped to the normal results (the clamp puts x second in max/min, so a NaN passes
 * through) and the ends are patched after. k then lies in [-126, 128]; simd_ldexp takes at
 * most 127, so a positive k is applied as 2^(k-1) and an exact doubling (which overflows to
 * +inf where e^x does). */
static inline simd_f32 simd_exp(simd_f32 x) {
  const simd_f32 hi = simd_set1(88.72283935546875f), lo = simd_set1(-87.33654022216797f);
  const simd_cmp over = simd_cmp_gt(x, hi), under = simd_cmp_lt(x, lo);
  x = simd_min(hi, simd_max(lo, x));
  simd_f32 k = simd_round(simd_mul(x, simd_set1(1.44269504088896341f)));
  const simd_f32 p = simd_exp_reduced(x, k);
  const simd_f32 two = simd_select(simd_cmp_gt(k, simd_zero()), simd_set1(2.0f), simd_set1(1.0f));
  const simd_f32 y = simd_mul(simd_ldexp(p, simd_sub(k, simd_sub(two, simd_set1(1.0f)))), two);
  return simd_select(over, simd_set1(INFINITY), simd_select(under, simd_zero(), y));
}

/* The same reduction and polynomial as simd_exp with k clamped to [-126, 127], so that 2^k is
 * one simd_ldexp and no underflow patch is needed: the elementwise kernels' sigmoid / silu.
 * With simd_exp there, efficientnet_b0 (design set) ran 6.8 -> 7.3 ms at 1 thread (3
 * interleaved pairs, Zen 5); with this one it is at par with the kernels' old exp. */
static inline simd_f32 simd_exp_fast(simd_f32 x) {
  const simd_f32 hi = simd_set1(88.72283935546875f);
  const simd_cmp over = simd_cmp_gt(x, hi);
  x = simd_min(hi, simd_max(simd_set1(-88.0f), x));
  simd_f32 k = simd_round(simd_mul(x, simd_set1(1.44269504088896341f)));
  k = simd_min(simd_set1(127.0f), simd_max(simd_set1(-126.0f), k));
  const simd_f32 p = simd_exp_reduced(x, k);
  return simd_select(over, simd_set1(INFINITY), simd_ldexp(p, k));
}

/* e^-x = +inf (x < -88.7) gives 0, as the reference's 1 / (1 + expf(-x)). */
static inline simd_f32 simd_sigmoid(simd_f32 x) {
  const simd_f32 one = simd_set1(1.0f);
  return simd_div(one, simd_add(one, simd_exp(simd_neg(x))));
}

/* |x| < 0.5: the Maclaurin series 2/sqrt(pi) (x - x^3/3 + x^5/10 - x^7/42 + x^9/216 -
 * x^11/1320 + x^13/9360) (the next term is < 2e-10 of x there). Elsewhere 1 - erfc(|x|)
 * with the sign of x, erfc by the Chebyshev fit of Numerical Recipes' erfcc (fractional
 * error < 1.2e-7): t = 1 / (1 + |x|/2), erfc = t exp(-x^2 + P(t)). Both are computed and the
 * lane selects one (no branches in vector code). */
static inline simd_f32 simd_erf(simd_f32 x) {
  const simd_f32 a = simd_abs(x), z = simd_mul(x, x);
  simd_f32 s = simd_set1(1.0f / 9360.0f);
  s = simd_fnma(s, z, simd_set1(1.0f / 1320.0f));
  s = simd_fnma(s, z, simd_set1(1.0f / 216.0f));
  s = simd_fnma(s, z, simd_set1(1.0f / 42.0f));
  s = simd_fnma(s, z, simd_set1(1.0f / 10.0f));
  s = simd_fnma(s, z, simd_set1(1.0f / 3.0f));
  s = simd_fnma(s, z, simd_set1(1.0f));
  const simd_f32 small = simd_mul(simd_mul(s, x), simd_set1(1.12837916709551257f));

  const simd_f32 t = simd_recip(simd_fma(a, simd_set1(0.5f), simd_set1(1.0f)));
  simd_f32 p = simd_set1(0.17087277f);
  p = simd_fma(p, t, simd_set1(-0.82215223f));
  p = simd_fma(p, t, simd_set1(1.48851587f));
  p = simd_fma(p, t, simd_set1(-1.13520398f));
  p = simd_fma(p, t, simd_set1(0.27886807f));
  p = simd_fma(p, t, simd_set1(-0.18628806f));
  p = simd_fma(p, t, simd_set1(0.09678418f));
  p = simd_fma(p, t, simd_set1(0.37409196f));
  p = simd_fma(p, t, simd_set1(1.00002368f));
  p = simd_fma(p, t, simd_set1(-1.26551223f));
  const simd_f32 erfc = simd_mul(t, simd_exp(simd_sub(p, z)));
  const simd_f32 big = simd_sub(simd_set1(1.0f), erfc);
  const simd_f32 large = simd_select(simd_cmp_lt(x, simd_zero()), simd_neg(big), big);
  return simd_select(simd_cmp_lt(a, simd_set1(0.5f)), small, large);
}
