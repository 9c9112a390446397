/* test_kernels_simd_body.h — every name of the SIMD vocabulary (src/kernels/simd_generic.h)
 * against scalar C (libm for exp / erf), on whole vectors and on every tail length; included
 * by test_kernels_simd_<isa>.c after its simd_<isa>.h, compiled with that ISA's flags and
 * called only when the CPU runs it (test_kernels_simd.c). */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define VL SIMD_VL
#define NV 8          /* vectors of input per op */
#define N (NV * VL)   /* inputs per op */

/* Inputs with every special the kernels meet: signed zeros, NaN, infinities, halves (round
 * ties), large integers, tiny and huge magnitudes; then random values. */
static void SIMD_NAME(fill)(float *x, uint32_t seed, float scale) {
  static const float special[] = {0.0f, -0.0f, NAN,   INFINITY, -INFINITY, 0.5f,   1.5f,
                                  2.5f, -0.5f, -2.5f, 1e-30f,   -3e38f,    8388609.0f, 4194304.5f, -4194305.5f};
  uint32_t s = seed;
  for (int i = 0; i < N; i++) {
    s = s * 1664525u + 1013904223u;
    if (i < (int)(sizeof special / sizeof special[0]))
      x[i] = special[i];
    else
      x[i] = ((float)(s >> 8) / 16777216.0f * 2.0f - 1.0f) * scale;
  }
}

static bool SIMD_NAME(same)(float e, float g) {
  return (isnan(e) && isnan(g)) || (e == g && signbit(e) == signbit(g));
}

/* |e - g| in units of the last place of e (huge when one is NaN or their signs differ). */
static double SIMD_NAME(ulps)(float e, float g) {
  if (isnan(e) || isnan(g)) return isnan(e) && isnan(g) ? 0 : 1e30;
  if (e == g) return 0;
  if (isinf(e) || isinf(g)) return 1e30;
  int ex;
  frexpf(e == 0 ? FLT_MIN : e, &ex);
  const double ulp = ldexp(1.0, ex - 24);
  return fabs((double)e - (double)g) / (ulp > 1.4e-45 ? ulp : 1.4e-45);
}

/* Runs OP (an expression of the simd_f32 values va, vb, vc) over the N inputs a, b, c and
 * compares each lane with SCALAR (an expression of the floats fa, fb, fc) bit for bit (NaN
 * any NaN). */
#define CHECK_EXACT(what, OP, SCALAR)                                                              \
  do {                                                                                             \
    int bad_ = 0;                                                                                  \
    for (int v_ = 0; v_ < NV && bad_ < 3; v_++) {                                                  \
      const simd_f32 va = simd_load(a + v_ * VL), vb = simd_load(b + v_ * VL);                     \
      const simd_f32 vc = simd_load(c + v_ * VL);                                                  \
      (void)va, (void)vb, (void)vc;                                                                \
      simd_store(out, (OP));                                                                       \
      for (int l_ = 0; l_ < VL; l_++) {                                                            \
        const float fa = a[v_ * VL + l_], fb = b[v_ * VL + l_], fc = c[v_ * VL + l_];             \
        (void)fa, (void)fb, (void)fc;                                                              \
        const float want_ = (SCALAR);                                                              \
        if (!SIMD_NAME(same)(want_, out[l_]) && bad_++ < 3)                                        \
          test_fail(__FILE__, __LINE__, "%s %s(%.9g, %.9g, %.9g): expected %.9g, got %.9g",       \
                    SIMD_ISA_NAME, what, fa, fb, fc, want_, out[l_]);                              \
      }                                                                                            \
    }                                                                                              \
  } while (0)

/* As CHECK_EXACT for a unary op, within max_ulps of the scalar function (or, when abs > 0,
 * within abs absolute). */
#define CHECK_CLOSE(what, OP, SCALAR, max_ulps, abs_tol)                                           \
  do {                                                                                             \
    int bad_ = 0;                                                                                  \
    for (int v_ = 0; v_ < NV && bad_ < 3; v_++) {                                                  \
      const simd_f32 va = simd_load(a + v_ * VL);                                                  \
      simd_store(out, (OP));                                                                       \
      for (int l_ = 0; l_ < VL; l_++) {                                                            \
        const float fa = a[v_ * VL + l_];                                                          \
        const float want_ = (SCALAR);                                                              \
        const double u_ = SIMD_NAME(ulps)(want_, out[l_]);                                         \
        const bool ok_ = u_ <= (max_ulps) ||                                                       \
                         ((abs_tol) > 0 && fabs((double)want_ - (double)out[l_]) <= (abs_tol));    \
        if (!ok_ && bad_++ < 3)                                                                    \
          test_fail(__FILE__, __LINE__, "%s %s(%.9g): expected %.9g, got %.9g (%.3g ulp)",         \
                    SIMD_ISA_NAME, what, fa, want_, out[l_], u_);                                  \
      }                                                                                            \
    }                                                                                              \
  } while (0)

static float SIMD_NAME(maxps)(float a, float b) { return a > b ? a : b; }
static float SIMD_NAME(minps)(float a, float b) { return a < b ? a : b; }

static void SIMD_NAME(check_arithmetic)(void) {
  float a[N], b[N], c[N], out[VL];
  SIMD_NAME(fill)(a, 1, 100.0f);
  SIMD_NAME(fill)(b, 2, 3.0f);
  SIMD_NAME(fill)(c, 3, 1000.0f);
  /* b's specials in other lanes than a's: rotate by 5 */
  float t[N];
  for (int i = 0; i < N; i++)
    t[i] = b[(i + 5) % N];
  memcpy(b, t, sizeof t);
  CHECK_EXACT("add", simd_add(va, vb), fa + fb);
  CHECK_EXACT("sub", simd_sub(va, vb), fa - fb);
  CHECK_EXACT("mul", simd_mul(va, vb), fa * fb);
  CHECK_EXACT("div", simd_div(va, vb), fa / fb);
#if SIMD_FMA_FUSED
  CHECK_EXACT("fma", simd_fma(va, vb, vc), fmaf(fa, fb, fc));
  CHECK_EXACT("fnma", simd_fnma(va, vb, vc), fmaf(-fa, fb, fc));
#else
  CHECK_EXACT("fma", simd_fma(va, vb, vc), fa * fb + fc);
  CHECK_EXACT("fnma", simd_fnma(va, vb, vc), fc - fa * fb);
#endif
  CHECK_EXACT("max", simd_max(va, vb), SIMD_NAME(maxps)(fa, fb));
  CHECK_EXACT("min", simd_min(va, vb), SIMD_NAME(minps)(fa, fb));
  CHECK_EXACT("neg", simd_neg(va), -fa);
  CHECK_EXACT("abs", simd_abs(va), fabsf(fa));
  CHECK_EXACT("sqrt", simd_sqrt(va), sqrtf(fa));
  CHECK_EXACT("recip", simd_recip(vb), 1.0f / fb);
  CHECK_EXACT("set1", simd_set1(c[20]), c[20]);
  CHECK_EXACT("zero", simd_zero(), 0.0f);
  /* round / floor: the sign of a zero result may differ (SSE2's add-subtract rounding) */
  CHECK_EXACT("round", simd_add(simd_round(va), simd_zero()), rintf(fa) + 0.0f);
  CHECK_EXACT("floor", simd_add(simd_floor(va), simd_zero()), floorf(fa) + 0.0f);
  CHECK_EXACT("select(lt)", simd_select(simd_cmp_lt(va, vb), va, vc), fa < fb ? fa : fc);
  CHECK_EXACT("select(le)", simd_select(simd_cmp_le(va, vb), va, vc), fa <= fb ? fa : fc);
  CHECK_EXACT("select(gt)", simd_select(simd_cmp_gt(va, vb), va, vc), fa > fb ? fa : fc);
  CHECK_EXACT("select(ge)", simd_select(simd_cmp_ge(va, vb), va, vc), fa >= fb ? fa : fc);
  CHECK_EXACT("select(eq)", simd_select(simd_cmp_eq(va, va), vb, vc), fa == fa ? fb : fc);
  CHECK_EXACT("select(unord)", simd_select(simd_cmp_unord(va, vb), vb, vc),
              isnan(fa) || isnan(fb) ? fb : fc);
  CHECK_EXACT("select(or)",
              simd_select(simd_cmp_or(simd_cmp_lt(va, vc), simd_cmp_unord(vb, vb)), va, vc),
              fa < fc || isnan(fb) ? fa : fc);
  CHECK_EXACT("select(and)",
              simd_select(simd_cmp_and(simd_cmp_lt(va, vc), simd_cmp_gt(vb, va)), va, vc),
              fa < fc && fb > fa ? fa : fc);
  CHECK_EXACT("select(none)", simd_select(simd_cmp_none(), va, vc), fc);
  /* ldexp: mantissas in [1, 2), every exponent of its range */
  for (int i = 0; i < N; i++) {
    a[i] = 1.0f + fabsf(c[i]) / 2048.0f;
    if (!(a[i] < 2.0f)) a[i] = 1.25f;
    b[i] = (float)(-126 + (i * 37) % 254);
  }
  CHECK_EXACT("ldexp", simd_ldexp(va, vb), ldexpf(fa, (int)fb));
}

/* The fold of simd_reduce_*: lanes i and i + w for w = VL/2, VL/4, ..., 1. */
static float SIMD_NAME(fold)(const float *v, bool max) {
  float t[VL];
  memcpy(t, v, sizeof t);
  for (int w = VL / 2; w >= 1; w /= 2)
    for (int i = 0; i < w; i++)
      t[i] = max ? SIMD_NAME(maxps)(t[i], t[i + w]) : t[i] + t[i + w];
  return t[0];
}

static void SIMD_NAME(check_memory)(void) {
  /* aligned and unaligned loads and stores, broadcasts */
  float *buf = aligned_alloc(64, 64 * sizeof(float)), *dst = aligned_alloc(64, 64 * sizeof(float));
  REQUIRE(buf && dst);
  for (int i = 0; i < 64; i++)
    buf[i] = (float)i * 1.5f - 7.0f;
  float out[VL];
  simd_store(out, simd_load_aligned(buf + VL));
  for (int l = 0; l < VL; l++)
    CHECK(out[l] == buf[VL + l]);
  simd_store(out, simd_load(buf + 3));
  for (int l = 0; l < VL; l++)
    CHECK(out[l] == buf[3 + l]);
  simd_store(out, simd_load1(buf + 5));
  for (int l = 0; l < VL; l++)
    CHECK(out[l] == buf[5]);
  for (int i = 0; i < 64; i++)
    dst[i] = -1.0f;
  simd_store_aligned(dst, simd_load(buf + 1));
  simd_store(dst + VL + 1, simd_load(buf + 2));
  for (int l = 0; l < VL; l++) {
    CHECK(dst[l] == buf[1 + l]);
    CHECK(dst[VL + 1 + l] == buf[2 + l]);
  }
  CHECK(dst[VL] == -1.0f);
  CHECK(dst[2 * VL + 1] == -1.0f);
  free(buf), free(dst);

  /* tails: n lanes read from the very end of an allocation (ASan sees a read past it), the
   * other lanes 0; n lanes stored, the rest of the destination untouched */
  for (int n = 0; n <= VL; n++) {
    float *src = malloc(sizeof(float) * (size_t)(n ? n : 1));
    REQUIRE(src);
    for (int i = 0; i < n; i++)
      src[i] = (float)(i + 1);
    simd_store(out, simd_load_tail(src, simd_tail(n)));
    for (int l = 0; l < VL; l++)
      if (out[l] != (l < n ? (float)(l + 1) : 0.0f))
        test_fail(__FILE__, __LINE__, "%s load_tail(%d): lane %d is %g", SIMD_ISA_NAME, n, l,
                  (double)out[l]);
    float *d = malloc(sizeof(float) * (size_t)(n + 1));
    REQUIRE(d);
    for (int i = 0; i <= n; i++)
      d[i] = -5.0f;
    simd_store_tail(d, simd_set1(3.0f), simd_tail(n));
    for (int i = 0; i <= n; i++)
      if (d[i] != (i < n ? 3.0f : -5.0f))
        test_fail(__FILE__, __LINE__, "%s store_tail(%d): element %d is %g", SIMD_ISA_NAME, n, i,
                  (double)d[i]);
    free(src), free(d);
  }
  /* simd_tail clamps: more than VL lanes is all of them */
  simd_store(out, simd_load_tail((const float[VL + 1]){[0 ... VL] = 2.0f}, simd_tail(VL + 3)));
  for (int l = 0; l < VL; l++)
    CHECK(out[l] == 2.0f);

  /* horizontal sum and max in the documented fold order: bit-exact */
  float a[N];
  SIMD_NAME(fill)(a, 9, 1000.0f);
  for (int v = (15 + VL - 1) / VL; v < NV; v++) { /* past the 15 specials */
    const float want_sum = SIMD_NAME(fold)(a + v * VL, false);
    const float want_max = SIMD_NAME(fold)(a + v * VL, true);
    CHECK(simd_reduce_add(simd_load(a + v * VL)) == want_sum);
    CHECK(simd_reduce_max(simd_load(a + v * VL)) == want_max);
  }
  /* SIMD_KEEP changes nothing */
  simd_f32 k = simd_set1(4.0f);
  SIMD_KEEP(k);
  simd_store(out, k);
  CHECK(out[0] == 4.0f && out[VL - 1] == 4.0f);
}

static float SIMD_NAME(sigmoid_ref)(float x) { return 1.0f / (1.0f + expf(-x)); }

static void SIMD_NAME(check_math)(void) {
  float a[N], out[VL];
  /* exp over its whole normal range and past both ends */
  for (int r = 0; r < 40; r++) {
    SIMD_NAME(fill)(a, 100 + (uint32_t)r, 90.0f);
    a[20] = 88.72f, a[21] = 88.73f, a[22] = -87.33f, a[23] = -87.34f, a[24] = -103.0f;
    a[25] = 1e-8f, a[26] = -1e-8f;
    CHECK_CLOSE("exp", simd_exp(va), fa < -87.33654022216797f ? 0.0f : expf(fa), 2.0, 0);
    CHECK_CLOSE("sigmoid", simd_sigmoid(va), SIMD_NAME(sigmoid_ref)(fa), 5.0, 0);
  }
  /* erf: ~2e-7 absolute everywhere, a few ulp where it is small */
  for (int r = 0; r < 40; r++) {
    SIMD_NAME(fill)(a, 200 + (uint32_t)r, r % 2 ? 5.0f : 0.6f);
    a[20] = 1e-20f, a[21] = -0.4999f, a[22] = 0.5f, a[23] = 3.9f, a[24] = -10.0f;
    CHECK_CLOSE("erf", simd_erf(va), erff(fa), 4.0, 2.5e-7);
  }
  SIMD_NAME(fill)(a, 300, 0.5f);
  CHECK_CLOSE("erf small", simd_erf(va), erff(fa), 4.0, 0);
}

void SIMD_NAME(test_simd_vocabulary)(void) {
  SIMD_NAME(check_arithmetic)();
  SIMD_NAME(check_memory)();
  SIMD_NAME(check_math)();
}

#undef VL
#undef NV
#undef N
