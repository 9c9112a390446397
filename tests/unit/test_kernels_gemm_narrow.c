/* test_kernels_gemm_narrow.c — the narrow SGEMM (kern_sgemm_narrow, N <= max_n) on every ISA
 * path this CPU runs, against a naive triple loop; ISAs without one must decline. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "kernels/kernels.h"
#include "test.h"
#include "test_kernels_isa.h"

static const kern_config *config_or_skip(kern_isa isa) { return kern_test_config(isa); }

static float small_int(dlf_rng *r) { return (float)((int)(dlf_rng_next(r) % 9) - 4); }

static float act(kern_act a, float lo, float hi, float x) {
  if (a == KERN_ACT_RELU) return x < 0.0f ? 0.0f : x;
  if (a == KERN_ACT_CLIP) return x < lo ? lo : (x > hi ? hi : x);
  return x;
}

/* One case: small-integer data (every sum exact whatever the order), strided A / C / R. */
static void check_case(const kern_config *cfg, int64_t M, int64_t N, int64_t K, bool accumulate,
                       bool bias_n, bool bias_m, bool residual, kern_act a, uint64_t seed) {
  dlf_rng r = dlf_rng_make(seed);
  const ptrdiff_t lda = K + 3, ldc = N + 5, ldr = N + 2;
  float *A = malloc(sizeof(float) * (size_t)(M * lda + 1));
  float *B = malloc(sizeof(float) * (size_t)(K * N + 1));
  float *C = malloc(sizeof(float) * (size_t)(M * ldc + 1));
  float *want = malloc(sizeof(float) * (size_t)(M * ldc + 1));
  float *R = malloc(sizeof(float) * (size_t)(M * ldr + 1));
  float *bn = malloc(sizeof(float) * (size_t)(N + 1)),
        *bm = malloc(sizeof(float) * (size_t)(M + 1));
  size_t pf = 0;
  REQUIRE(kern_sgemm_packed_b_floats(cfg, K, N, &pf));
  float *packed = malloc(sizeof(float) * (pf + 1));
  for (int64_t i = 0; i < M * lda; i++)
    A[i] = small_int(&r);
  for (int64_t i = 0; i < K * N; i++)
    B[i] = small_int(&r);
  for (int64_t i = 0; i < M * ldc; i++)
    C[i] = small_int(&r);
  for (int64_t i = 0; i < M * ldr; i++)
    R[i] = small_int(&r);
  for (int64_t i = 0; i < N; i++)
    bn[i] = small_int(&r);
  for (int64_t i = 0; i < M; i++)
    bm[i] = small_int(&r);
  memcpy(want, C, sizeof(float) * (size_t)(M * ldc));
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = 0; j < N; j++) {
      float s = accumulate ? C[i * ldc + j] : 0.0f;
      for (int64_t k = 0; k < K; k++)
        s += A[i * lda + k] * B[k * N + j];
      if (bias_n) s += bn[j];
      if (bias_m) s += bm[i];
      if (residual) s += R[i * ldr + j];
      want[i * ldc + j] = act(a, -2.0f, 3.0f, s);
    }
  kern_sgemm_pack_b(cfg, K, N, B, N, 1, packed);
  kern_epilogue e = {.accumulate = accumulate,
                     .bias_n = bias_n ? bn : NULL,
                     .bias_m = bias_m ? bm : NULL,
                     .residual = residual ? R : NULL,
                     .ldr = ldr,
                     .act = a,
                     .act_lo = -2.0f,
                     .act_hi = 3.0f};
  REQUIRE(kern_sgemm_narrow(cfg, M, N, K, A, lda, packed, C, ldc, &e));
  /* all of C, including the columns between N and ldc that must stay untouched */
  for (int64_t i = 0; i < M * ldc; i++) {
    if (C[i] != want[i]) {
      test_fail(__FILE__, __LINE__, "%s M=%lld N=%lld K=%lld: C[%lld][%lld] expected %g, got %g",
                cfg->name, (long long)M, (long long)N, (long long)K, (long long)(i / ldc),
                (long long)(i % ldc), (double)want[i], (double)C[i]);
      break;
    }
  }
  free(A), free(B), free(C), free(want), free(R), free(bn), free(bm), free(packed);
}

static void run_random(kern_isa isa, int n_cases) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  if (cfg->sgemm_narrow.max_n == 0) {
    /* no narrow kernel on this ISA: it must decline, and callers fall back to kern_sgemm */
    float a = 1, b[64] = {0}, c = 0;
    CHECK(!kern_sgemm_narrow(cfg, 1, 1, 1, &a, 1, b, &c, 1, NULL));
    CHECK(c == 0.0f);
    return;
  }
  /* M around the 24-row tile and its 8 / 4 / 2 / 1 remainders; every N up to max_n; K from 0 */
  static const int64_t ms[] = {1, 2, 3, 7, 8, 15, 23, 24, 25, 47, 49, 61};
  dlf_rng r = dlf_rng_make(0x9a + isa);
  for (int t = 0; t < n_cases; t++) {
    const int64_t M = ms[dlf_rng_next(&r) % 12];
    const int64_t N = 1 + (int64_t)(dlf_rng_next(&r) % (uint64_t)cfg->sgemm_narrow.max_n);
    const int64_t K = (int64_t)(dlf_rng_next(&r) % 70);
    check_case(cfg, M, N, K, dlf_rng_next(&r) % 3 == 0, dlf_rng_next(&r) % 2,
               dlf_rng_next(&r) % 4 == 0, dlf_rng_next(&r) % 2, (kern_act)(dlf_rng_next(&r) % 3),
               dlf_rng_next(&r));
  }
}

static void run_declines_wide(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  float a[4] = {1, 1, 1, 1}, b[128] = {0}, c[64] = {0};
  CHECK(!kern_sgemm_narrow(cfg, 1, cfg->sgemm_narrow.max_n + 1, 1, a, 1, b, c, 64, NULL));
  CHECK(!kern_sgemm_narrow(cfg, 0, 1, 1, a, 1, b, c, 64, NULL));
  CHECK(c[0] == 0.0f);
}

#define NARROW_TESTS(isa, ISA)                                                                     \
  TEST(test_sgemm_narrow_##isa##_random_shapes_exact) { run_random(ISA, 80); }                     \
  TEST(test_sgemm_narrow_##isa##_declines_wider_than_max_n) { run_declines_wide(ISA); }

NARROW_TESTS(generic, KERN_ISA_GENERIC)
NARROW_TESTS(avx2, KERN_ISA_AVX2)
NARROW_TESTS(avx512, KERN_ISA_AVX512)
