/* test_kernels_eltwise.c — the elementwise kernels (add / mul (+ residual) + activation, unary
 * activations) on every ISA path this CPU runs, against naive loops written from ir_act_apply. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "kernels/kernels.h"
#include "test.h"
#include "test_kernels_isa.h"

/* Lengths around the vector widths (8, 16) and their multiples, plus 0 and a long one. */
static const int64_t k_lengths[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 1001};
#define N_LENGTHS 14

static const kern_config *config_or_skip(kern_isa isa) { return kern_test_config(isa); }

/* The activation one element at a time, from the formulas of ir_act_apply (src/ir/graph.c). */
static float naive_act(const kern_unary *u, float x) {
  switch (u->op) {
  case KERN_UNARY_NONE: return x;
  case KERN_UNARY_RELU: return x < 0.0f ? 0.0f : x;
  case KERN_UNARY_CLIP: return x < u->p0 ? u->p0 : (x > u->p1 ? u->p1 : x);
  case KERN_UNARY_LEAKYRELU: return x >= 0.0f ? x : u->p0 * x;
  case KERN_UNARY_SIGMOID: return 1.0f / (1.0f + expf(-x));
  case KERN_UNARY_HARDSIGMOID: {
    float y = u->p0 * x + u->p1;
    return y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y);
  }
  case KERN_UNARY_HARDSWISH: {
    float y = x / 6.0f + 0.5f;
    y = y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y);
    return x * y;
  }
  case KERN_UNARY_TANH: return tanhf(x);
  case KERN_UNARY_SILU: return x * (1.0f / (1.0f + expf(-x)));
  case KERN_UNARY_ERF: return erff(x);
  case KERN_UNARY_SQRT: return sqrtf(x);
  case KERN_UNARY_GELU: return x * (erff(x / 1.41421353816986084f) + 1.0f) * 0.5f;
  }
  return x;
}

/* Values that exercise every branch: both signs, the clip / hardswish knees, NaN, infinities,
 * -0, and sigmoid's exp over- and underflow (|x| > 88.7). */
static float draw(dlf_rng *r) {
  static const float special[] = {0.0f, -0.0f,  NAN,     INFINITY, -INFINITY, 6.0f,   -3.0f,
                                  3.0f, 100.0f, -100.0f, 88.5f,    -88.5f,    -87.5f, 30.0f};
  uint64_t k = dlf_rng_next(r) % 8;
  if (k == 0) return special[dlf_rng_next(r) % (sizeof special / sizeof special[0])];
  return dlf_rng_range(r, -8.0f, 8.0f);
}

/* Equal, both NaN, or (tol > 0) within tol * (1 + |e|). */
static void check_close(const float *e, const float *g, int64_t n, double tol, const char *what,
                        int64_t len) {
  for (int64_t i = 0; i < n; i++) {
    if (e[i] == g[i] || (isnan(e[i]) && isnan(g[i]))) continue;
    if (tol > 0 && fabs((double)e[i] - (double)g[i]) <= tol * (1.0 + fabs((double)e[i]))) continue;
    test_fail(__FILE__, __LINE__, "%s, n=%lld: y[%lld] expected %.9g, got %.9g", what,
              (long long)len, (long long)i, (double)e[i], (double)g[i]);
    return;
  }
}

static const kern_unary k_acts[] = {{KERN_UNARY_NONE, 0, 0},
                                    {KERN_UNARY_RELU, 0, 0},
                                    {KERN_UNARY_CLIP, 0.0f, 6.0f},
                                    {KERN_UNARY_CLIP, -1.5f, 2.25f},
                                    {KERN_UNARY_LEAKYRELU, 0.1f, 0},
                                    {KERN_UNARY_SIGMOID, 0, 0},
                                    {KERN_UNARY_HARDSIGMOID, 0.2f, 0.5f},
                                    {KERN_UNARY_HARDSWISH, 0, 0},
                                    {KERN_UNARY_TANH, 0, 0},
                                    {KERN_UNARY_SILU, 0, 0},
                                    {KERN_UNARY_ERF, 0, 0},
                                    {KERN_UNARY_SQRT, 0, 0},
                                    {KERN_UNARY_GELU, 0, 0}};
#define N_ACTS 13

/* Sigmoid and SiLU run a vector exp, erf and GELU a vector erf on avx2/avx512 (not libm): allow
 * 1e-6 (of 1 + |y|); all else is exact. */
static double act_tol(const kern_unary *u) {
  return u->op == KERN_UNARY_SIGMOID || u->op == KERN_UNARY_SILU || u->op == KERN_UNARY_ERF ||
                 u->op == KERN_UNARY_GELU
             ? 1e-6
             : 0.0;
}

static void run_binary(kern_isa isa, kern_binary_op op, bool residual, bool in_place) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  dlf_rng r = dlf_rng_make(0xe1 + isa * 5 + op * 2 + residual);
  for (int a = 0; a < N_ACTS; a++) {
    for (int li = 0; li < N_LENGTHS; li++) {
      const int64_t n = k_lengths[li];
      float *x = malloc(sizeof(float) * (size_t)(n + 1)),
            *x2 = malloc(sizeof(float) * (size_t)(n + 1));
      float *res = malloc(sizeof(float) * (size_t)(n + 1));
      float *want = malloc(sizeof(float) * (size_t)(n + 1)),
            *y = malloc(sizeof(float) * (size_t)(n + 1));
      for (int64_t i = 0; i < n; i++) {
        x[i] = draw(&r), x2[i] = draw(&r), res[i] = draw(&r);
        float v = op == KERN_BINARY_ADD ? x[i] + x2[i] : x[i] * x2[i];
        if (residual) v += res[i];
        want[i] = naive_act(&k_acts[a], v);
      }
      /* in place: y is the first input, as an engine reusing a dead input's buffer would */
      float *out = in_place ? x : y;
      kern_eltwise_binary(cfg, op, n, x, x2, residual ? res : NULL, out, &k_acts[a]);
      char what[96];
      snprintf(what, sizeof what, "%s %s%s act %d%s", cfg->name,
               op == KERN_BINARY_ADD ? "add" : "mul", residual ? "+residual" : "",
               (int)k_acts[a].op, in_place ? " in place" : "");
      check_close(want, out, n, act_tol(&k_acts[a]), what, n);
      free(x), free(x2), free(res), free(want), free(y);
    }
  }
}

static void run_unary(kern_isa isa, bool in_place) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  dlf_rng r = dlf_rng_make(0xe7 + isa);
  for (int a = 0; a < N_ACTS; a++) {
    for (int li = 0; li < N_LENGTHS; li++) {
      const int64_t n = k_lengths[li];
      float *x = malloc(sizeof(float) * (size_t)(n + 1)),
            *y = malloc(sizeof(float) * (size_t)(n + 1));
      float *want = malloc(sizeof(float) * (size_t)(n + 1));
      for (int64_t i = 0; i < n; i++) {
        x[i] = draw(&r);
        want[i] = naive_act(&k_acts[a], x[i]);
      }
      float *out = in_place ? x : y;
      kern_eltwise_unary(cfg, n, x, out, &k_acts[a]);
      char what[64];
      snprintf(what, sizeof what, "%s unary act %d%s", cfg->name, (int)k_acts[a].op,
               in_place ? " in place" : "");
      check_close(want, out, n, act_tol(&k_acts[a]), what, n);
      free(x), free(y), free(want);
    }
  }
}

/* Writes exactly n floats: the float after the array keeps its value. */
static void run_no_overrun(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  for (int li = 0; li < N_LENGTHS; li++) {
    const int64_t n = k_lengths[li];
    float *x = calloc((size_t)n + 1, sizeof(float)), *y = calloc((size_t)n + 1, sizeof(float));
    y[n] = 42.0f;
    const kern_unary relu = {KERN_UNARY_RELU, 0, 0};
    kern_eltwise_binary(cfg, KERN_BINARY_ADD, n, x, x, NULL, y, &relu);
    CHECK(y[n] == 42.0f);
    kern_eltwise_unary(cfg, n, x, y, NULL);
    CHECK(y[n] == 42.0f);
    free(x), free(y);
  }
}

/* Sigmoid against double-precision 1 / (1 + e^-x) on a dense grid (not only at random points). */
static void run_sigmoid_grid(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  enum { N = 4001 };
  static float x[N], y[N];
  for (int i = 0; i < N; i++)
    x[i] = -100.0f + 0.05f * (float)i;
  const kern_unary sig = {KERN_UNARY_SIGMOID, 0, 0};
  kern_eltwise_unary(cfg, N, x, y, &sig);
  for (int i = 0; i < N; i++) {
    double want = 1.0 / (1.0 + exp(-(double)x[i]));
    if (!(fabs(want - (double)y[i]) <= 1e-6 * want + 1e-37)) {
      test_fail(__FILE__, __LINE__, "%s sigmoid(%.9g): expected %.9g, got %.9g", cfg->name,
                (double)x[i], want, (double)y[i]);
      return;
    }
  }
}

#define ELTWISE_TESTS(isa, ISA)                                                                    \
  TEST(test_eltwise_##isa##_add_act) { run_binary(ISA, KERN_BINARY_ADD, false, false); }           \
  TEST(test_eltwise_##isa##_add_residual_act) { run_binary(ISA, KERN_BINARY_ADD, true, false); }   \
  TEST(test_eltwise_##isa##_add_in_place) { run_binary(ISA, KERN_BINARY_ADD, true, true); }        \
  TEST(test_eltwise_##isa##_mul_act) { run_binary(ISA, KERN_BINARY_MUL, false, false); }           \
  TEST(test_eltwise_##isa##_mul_residual_in_place) {                                               \
    run_binary(ISA, KERN_BINARY_MUL, true, true);                                                  \
  }                                                                                                \
  TEST(test_eltwise_##isa##_unary_acts) { run_unary(ISA, false); }                                 \
  TEST(test_eltwise_##isa##_unary_in_place) { run_unary(ISA, true); }                              \
  TEST(test_eltwise_##isa##_writes_exactly_n) { run_no_overrun(ISA); }                             \
  TEST(test_eltwise_##isa##_sigmoid_grid_rel_1e6) { run_sigmoid_grid(ISA); }

ELTWISE_TESTS(generic, KERN_ISA_GENERIC)
ELTWISE_TESTS(avx2, KERN_ISA_AVX2)
ELTWISE_TESTS(avx512, KERN_ISA_AVX512)
