/* test_kernels_chan_binary.c — kern_chan_binary (NHWC tensor op per-channel vector or scalar)
 * on every ISA path, against a naive loop: every op and activation, channel counts around the
 * vector widths, pixel strides (a channel slice of a wider buffer), in place, NaN passing. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "kernels/chan_binary.h"
#include "test.h"
#include "test_kernels_isa.h"

static float naive(kern_chan_op op, float x, float s, float t, kern_act act, float lo, float hi) {
  float v = 0;
  switch (op) {
  case KERN_CHAN_AFFINE: v = x * s + t; break;
  case KERN_CHAN_ADD: v = x + s; break;
  case KERN_CHAN_SUB: v = x - s; break;
  case KERN_CHAN_MUL: v = x * s; break;
  case KERN_CHAN_DIV: v = x / s; break;
  case KERN_CHAN_RSUB: v = s - x; break;
  case KERN_CHAN_RDIV: v = s / x; break;
  }
  if (act == KERN_ACT_RELU) v = v < 0 ? 0 : v;
  if (act == KERN_ACT_CLIP) v = v < lo ? lo : (v > hi ? hi : v);
  return v;
}

/* Values in [-2, -0.25] u [0.25, 2]: no division by ~0, exact comparisons stay meaningful. */
static float value(dlf_rng *r) {
  float v = 0.25f + 1.75f * (float)dlf_rng_uniform(r);
  return dlf_rng_uniform(r) < 0.5 ? -v : v;
}

static void check_isa(kern_isa isa) {
  const kern_config *cfg = kern_test_config(isa);
  if (!cfg) return;
  kern_chan_binary_fn fn = kern_chan_binary_for(cfg);
  static const int64_t chans[] = {1, 3, 4, 7, 8, 15, 16, 17, 33, 72, 100};
  dlf_rng rng = dlf_rng_make(7);
  for (size_t ci = 0; ci < sizeof chans / sizeof chans[0]; ci++) {
    int64_t C = chans[ci], P = 5;
    for (int op = KERN_CHAN_ADD; op <= KERN_CHAN_AFFINE; op++) {
      for (int act = KERN_ACT_NONE; act <= KERN_ACT_CLIP; act++) {
        for (int s_step = op == KERN_CHAN_AFFINE; s_step <= 1; s_step++) {
          for (int strided = 0; strided <= 1; strided++) {
            /* strided: x and y are channel slices (offset 2) of pixels 2C + 3 floats wide. */
            ptrdiff_t xs = strided ? 2 * C + 3 : 0, ys = strided ? 2 * C + 5 : 0;
            int64_t xw = strided ? xs : C, yw = strided ? ys : C;
            float *x = malloc(sizeof(float) * (size_t)(P * xw + 2));
            float *y = malloc(sizeof(float) * (size_t)(P * yw + 2));
            float *s = malloc(sizeof(float) * (size_t)(2 * C)); /* AFFINE: scale, shift */
            for (int64_t i = 0; i < P * xw + 2; i++) x[i] = value(&rng);
            for (int64_t i = 0; i < P * yw + 2; i++) y[i] = 99.0f;
            for (int64_t i = 0; i < 2 * C; i++) s[i] = value(&rng);
            int off = strided ? 2 : 0;
            fn((kern_chan_op)op, P, C, x + off, xs, s, s_step, y + off, ys, (kern_act)act, -0.5f,
               0.75f);
            int bad = 0;
            for (int64_t p = 0; p < P && !bad; p++)
              for (int64_t c = 0; c < yw && !bad; c++) {
                float got = y[off + p * yw + c];
                if (c >= C) { /* outside the slice: untouched */
                  if (got != 99.0f) bad = 1;
                  continue;
                }
                float xv = x[off + p * xw + c], sv = s[s_step ? c : 0], tv = s[C + c];
                float want = naive((kern_chan_op)op, xv, sv, tv, (kern_act)act, -0.5f, 0.75f);
                /* The fused multiply-add rounds once: scale the bound by its terms. */
                float mag = op == KERN_CHAN_AFFINE ? fabsf(xv * sv) + fabsf(tv) : fabsf(want);
                if (fabsf(got - want) > 1e-6f * mag) {
                  test_fail(__FILE__, __LINE__,
                            "%s C=%lld op=%d act=%d s_step=%d strided=%d p=%lld c=%lld: expected "
                            "%g, got %g",
                            cfg->name, (long long)C, op, act, s_step, strided, (long long)p,
                            (long long)c, want, got);
                  bad = 1;
                }
              }
            free(x), free(y), free(s);
          }
        }
      }
    }
  }
}

TEST(test_kernels_chan_binary_generic) { check_isa(KERN_ISA_GENERIC); }
TEST(test_kernels_chan_binary_avx2) { check_isa(KERN_ISA_AVX2); }
TEST(test_kernels_chan_binary_avx512) { check_isa(KERN_ISA_AVX512); }

/* In place (y == x), and a NaN element passes Relu and Clip as ir_act_apply lets it. */
TEST(test_kernels_chan_binary_in_place_and_nan) {
  for (int isa = 0; isa < KERN_ISA_COUNT; isa++) {
    const kern_config *cfg = kern_test_config_of_loop((kern_isa)isa);
    if (!cfg) continue;
    float x[2 * 19], s[19];
    for (int i = 0; i < 38; i++) x[i] = (float)(i - 19) * 0.5f;
    for (int i = 0; i < 19; i++) s[i] = (float)(i + 1);
    x[5] = NAN;
    kern_chan_binary_for(cfg)(KERN_CHAN_MUL, 2, 19, x, 0, s, 1, x, 0, KERN_ACT_RELU, 0, 0);
    CHECK(isnan(x[5]));
    for (int i = 0; i < 38; i++) {
      if (i == 5) continue;
      float v = (float)(i - 19) * 0.5f * (float)(i % 19 + 1);
      CHECK_NEAR(v < 0 ? 0 : v, x[i], 0);
    }
  }
}
