/* test_kernels_chan_norm.c — kern_chan_norm (LayerNorm over each NHWC pixel's channels) on every
 * ISA path against a naive loop in double: channel counts around the vector widths, with and
 * without bias, in place, and a pixel of equal values (variance 0: y = bias). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "kernels/chan_norm.h"
#include "test.h"
#include "test_kernels_isa.h"

static void naive(int64_t P, int64_t C, const float *x, const float *s, const float *b, float eps,
                  double *y) {
  for (int64_t p = 0; p < P; p++) {
    double sum = 0, sq = 0;
    for (int64_t c = 0; c < C; c++)
      sum += x[p * C + c];
    const double mean = sum / (double)C;
    for (int64_t c = 0; c < C; c++)
      sq += (x[p * C + c] - mean) * (x[p * C + c] - mean);
    const double inv = 1.0 / sqrt(sq / (double)C + eps);
    for (int64_t c = 0; c < C; c++)
      y[p * C + c] = (x[p * C + c] - mean) * inv * s[c] + (b ? b[c] : 0.0);
  }
}

static void check_isa(kern_isa isa) {
  const kern_config *cfg = kern_test_config(isa);
  if (!cfg) return;
  kern_chan_norm_fn fn = kern_chan_norm_for(cfg);
  static const int64_t chans[] = {1, 3, 7, 8, 15, 16, 17, 33, 96, 100};
  dlf_rng rng = dlf_rng_make(11);
  for (size_t ci = 0; ci < sizeof chans / sizeof chans[0]; ci++) {
    const int64_t C = chans[ci], P = 6;
    for (int with_bias = 0; with_bias <= 1; with_bias++) {
      for (int in_place = 0; in_place <= 1; in_place++) {
        float *x = malloc(sizeof(float) * (size_t)(P * C)), *y = malloc(sizeof(float) * (size_t)(P * C));
        float *s = malloc(sizeof(float) * (size_t)C), *b = malloc(sizeof(float) * (size_t)C);
        double *want = malloc(sizeof(double) * (size_t)(P * C));
        for (int64_t i = 0; i < P * C; i++)
          x[i] = 3.0f + 2.0f * (float)dlf_rng_uniform(&rng) - 1.0f; /* offset mean: cancellation */
        for (int64_t c = 0; c < C; c++) {
          x[c] = 1.25f; /* pixel 0: all equal, variance 0 */
          s[c] = 0.5f + (float)dlf_rng_uniform(&rng);
          b[c] = (float)dlf_rng_uniform(&rng) - 0.5f;
        }
        naive(P, C, x, s, with_bias ? b : NULL, 1e-6f, want);
        float *out = in_place ? x : y;
        fn(P, C, x, s, with_bias ? b : NULL, 1e-6f, out);
        int bad = 0;
        for (int64_t i = 0; i < P * C && !bad; i++)
          if (fabs(out[i] - want[i]) > 2e-5 * (1.0 + fabs(want[i]))) {
            test_fail(__FILE__, __LINE__, "%s C=%lld bias=%d in_place=%d y[%lld]: expected %g, got %g",
                      cfg->name, (long long)C, with_bias, in_place, (long long)i, want[i],
                      (double)out[i]);
            bad = 1;
          }
        free(x), free(y), free(s), free(b), free(want);
      }
    }
  }
}

TEST(test_kernels_chan_norm_generic) { check_isa(KERN_ISA_GENERIC); }
TEST(test_kernels_chan_norm_avx2) { check_isa(KERN_ISA_AVX2); }
TEST(test_kernels_chan_norm_avx512) { check_isa(KERN_ISA_AVX512); }
