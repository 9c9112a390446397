/* test_kernels_gemm.c — every SGEMM ISA path this CPU can run (generic always, avx2 and
 * avx512 when present) against a naive double-accumulation reference; plus CPU detection
 * and DLF_ISA selection. Small-integer inputs make results exact whatever the order. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "core/rng.h"
#include "kernels/kernels.h"
#include "test.h"
#include "test_kernels_isa.h"

/* One GEMM problem: sizes, padding of the row strides, and the epilogue to apply. */
typedef struct gemm_case {
  int64_t M, N, K;
  int64_t lda_pad, ldc_pad; /* extra floats per row of A and C (strided views) */
  bool accumulate, bias_n, bias_m, residual;
  kern_act act;
  float lo, hi;
  bool ints;         /* small-integer inputs: exact comparison */
  bool transposed_b; /* pack B from W[N,K] instead of W[K,N] */
} gemm_case;

static float draw(dlf_rng *r, bool ints) {
  return ints ? (float)((int)(dlf_rng_next(r) % 9) - 4) : dlf_rng_range(r, -1.0f, 1.0f);
}

/* The activation exactly as ir_act_apply defines it (written out again, independently). */
static float ref_act(kern_act act, float lo, float hi, float x) {
  if (act == KERN_ACT_RELU) return x < 0.0f ? 0.0f : x;
  if (act == KERN_ACT_CLIP) return x < lo ? lo : (x > hi ? hi : x);
  return x;
}

/* Runs one case on cfg and compares it with the reference (failures go to test_fail). */
static void check_case(const kern_config *cfg, const gemm_case *gc, uint64_t seed) {
  const int64_t M = gc->M, N = gc->N, K = gc->K;
  const int64_t lda = K + gc->lda_pad, ldc = N + gc->ldc_pad;
  dlf_rng rng = dlf_rng_make(seed);
  float *A = malloc(sizeof(float) * (size_t)(M * lda + 1));
  float *B = malloc(sizeof(float) * (size_t)(K * N + 1)); /* W[K,N] or W[N,K] */
  float *C = malloc(sizeof(float) * (size_t)(M * ldc + 1));
  float *C0 = malloc(sizeof(float) * (size_t)(M * ldc + 1));
  float *R = malloc(sizeof(float) * (size_t)(M * N + 1));
  float *bn = malloc(sizeof(float) * (size_t)(N + 1));
  float *bm = malloc(sizeof(float) * (size_t)(M + 1));
  float *expect = malloc(sizeof(float) * (size_t)(M * N + 1));
  float *got = malloc(sizeof(float) * (size_t)(M * N + 1));
  size_t packed_n = 0;
  REQUIRE(kern_sgemm_packed_b_floats(cfg, K, N, &packed_n));
  float *P = malloc(sizeof(float) * (packed_n + 1));
  REQUIRE(A && B && C && C0 && R && bn && bm && expect && got && P);

  for (int64_t i = 0; i < M * lda; i++)
    A[i] = draw(&rng, gc->ints);
  for (int64_t i = 0; i < K * N; i++)
    B[i] = draw(&rng, gc->ints);
  for (int64_t i = 0; i < M * ldc; i++)
    C0[i] = draw(&rng, gc->ints);
  for (int64_t i = 0; i < M * N; i++)
    R[i] = draw(&rng, gc->ints);
  for (int64_t i = 0; i < N; i++)
    bn[i] = draw(&rng, gc->ints);
  for (int64_t i = 0; i < M; i++)
    bm[i] = draw(&rng, gc->ints);
  memcpy(C, C0, sizeof(float) * (size_t)(M * ldc));

  for (int64_t i = 0; i < M; i++)
    for (int64_t j = 0; j < N; j++) {
      double s = gc->accumulate ? C0[i * ldc + j] : 0.0;
      for (int64_t k = 0; k < K; k++) {
        double b = gc->transposed_b ? B[j * K + k] : B[k * N + j];
        s += (double)A[i * lda + k] * b;
      }
      if (gc->bias_n) s += bn[j];
      if (gc->bias_m) s += bm[i];
      if (gc->residual) s += R[i * N + j];
      expect[i * N + j] = ref_act(gc->act, gc->lo, gc->hi, (float)s);
    }

  if (gc->transposed_b)
    kern_sgemm_pack_b(cfg, K, N, B, 1, K, P);
  else
    kern_sgemm_pack_b(cfg, K, N, B, N, 1, P);
  kern_epilogue epi = {
      .accumulate = gc->accumulate,
      .bias_n = gc->bias_n ? bn : NULL,
      .bias_m = gc->bias_m ? bm : NULL,
      .residual = gc->residual ? R : NULL,
      .ldr = N,
      .act = gc->act,
      .act_lo = gc->lo,
      .act_hi = gc->hi,
  };
  kern_sgemm(cfg, M, N, K, A, lda, P, C, ldc, &epi);

  bool pad_ok = true; /* the padding columns of C are not part of the matrix */
  for (int64_t i = 0; i < M; i++) {
    memcpy(got + i * N, C + i * ldc, sizeof(float) * (size_t)N);
    for (int64_t j = N; j < ldc; j++)
      pad_ok &= C[i * ldc + j] == C0[i * ldc + j];
  }
  if (!pad_ok)
    test_fail(__FILE__, __LINE__, "%s M=%lld N=%lld K=%lld: wrote into C's row padding", cfg->name,
              (long long)M, (long long)N, (long long)K);
  int before = test_current_failed;
  if (gc->ints)
    CHECK_FLOATS(expect, got, M * N, 0.0, 0.0);
  else
    CHECK_FLOATS(expect, got, M * N, 1e-4, 1e-4);
  if (test_current_failed != before)
    test_fail(__FILE__, __LINE__, "  ^ in %s M=%lld N=%lld K=%lld lda=%lld ldc=%lld", cfg->name,
              (long long)M, (long long)N, (long long)K, (long long)lda, (long long)ldc);
  free(A), free(B), free(C), free(C0), free(R), free(bn), free(bm), free(expect), free(got);
  free(P);
}

static const int64_t k_sizes[] = {1, 3, 17, 31, 33, 65, 100, 257};
#define N_SIZES ((int)(sizeof k_sizes / sizeof k_sizes[0]))

/* The config of an ISA, or NULL after saying why the test has nothing to check here. */
static const kern_config *config_or_skip(kern_isa isa) { return kern_test_config(isa); }

/* Every M in the list against random N, K from the list, small-integer inputs, exact. */
static void run_odd_sizes(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  dlf_rng r = dlf_rng_make(0x5eed + isa);
  for (int mi = 0; mi < N_SIZES; mi++)
    for (int rep = 0; rep < 4; rep++) {
      gemm_case gc = {.M = k_sizes[mi],
                      .N = k_sizes[dlf_rng_next(&r) % N_SIZES],
                      .K = k_sizes[dlf_rng_next(&r) % N_SIZES],
                      .ints = true};
      check_case(cfg, &gc, dlf_rng_next(&r));
    }
  gemm_case big = {.M = 257, .N = 257, .K = 257, .ints = true};
  check_case(cfg, &big, 1);
}

/* Random floats: relative tolerance 1e-4. */
static void run_random_floats(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  dlf_rng r = dlf_rng_make(0xf10a7 + isa);
  for (int rep = 0; rep < 16; rep++) {
    gemm_case gc = {.M = k_sizes[dlf_rng_next(&r) % N_SIZES],
                    .N = k_sizes[dlf_rng_next(&r) % N_SIZES],
                    .K = k_sizes[dlf_rng_next(&r) % N_SIZES]};
    check_case(cfg, &gc, dlf_rng_next(&r));
  }
}

/* Every edge of the register tile (mr, nr remainders) with one epilogue variant. */
static void run_epilogue(kern_isa isa, gemm_case base) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  const int64_t ms[] = {1, 5, 13, 31}, ns[] = {3, 16, 17, 33, 100}, ks[] = {1, 17, 65};
  for (int a = 0; a < 4; a++)
    for (int b = 0; b < 5; b++)
      for (int c = 0; c < 3; c++) {
        gemm_case gc = base;
        gc.M = ms[a], gc.N = ns[b], gc.K = ks[c], gc.ints = true;
        check_case(cfg, &gc, (uint64_t)(a * 100 + b * 10 + c));
      }
}

static void run_k_zero(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  gemm_case plain = {.M = 7, .N = 19, .K = 0, .ints = true};
  check_case(cfg, &plain, 3); /* C = 0 */
  gemm_case epi = {.M = 7,
                   .N = 19,
                   .K = 0,
                   .ints = true,
                   .accumulate = true,
                   .bias_n = true,
                   .residual = true,
                   .act = KERN_ACT_RELU};
  check_case(cfg, &epi, 4);
}

/* K spanning several kc blocks and N spanning several nc blocks, so partial sums go
 * through C and the epilogue runs once, on the last K block only. */
static void run_blocked(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  gemm_case gc = {.M = 13,
                  .N = cfg->sgemm.nc + cfg->sgemm.nr + 3,
                  .K = 2 * cfg->sgemm.kc + 5,
                  .ints = true,
                  .bias_n = true,
                  .residual = true,
                  .act = KERN_ACT_CLIP,
                  .lo = -20.0f,
                  .hi = 30.0f};
  check_case(cfg, &gc, 5);
  gc.accumulate = true;
  check_case(cfg, &gc, 6);
  gemm_case fl = {.M = 9, .N = cfg->sgemm.nc + 5, .K = 3 * cfg->sgemm.kc + 1, .bias_m = true};
  check_case(cfg, &fl, 7);
}

static void run_strided(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  gemm_case gc = {.M = 33,
                  .N = 45,
                  .K = 31,
                  .lda_pad = 7,
                  .ldc_pad = 5,
                  .ints = true,
                  .bias_n = true,
                  .act = KERN_ACT_RELU};
  check_case(cfg, &gc, 8);
  gemm_case one_panel = gc; /* N within one panel: A is read in place, not copied */
  one_panel.N = 5;
  check_case(cfg, &one_panel, 10);
}

static void run_transposed_b(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  gemm_case gc = {.M = 17, .N = 65, .K = 33, .ints = true, .transposed_b = true};
  check_case(cfg, &gc, 9);
}

/* NaN passes through relu and clip, as in ir_act_apply (ONNX). */
static void run_relu_passes_nan(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  const int64_t M = 3, N = 5, K = 2;
  float A[6] = {1, 2, NAN, 1, -1, -1}, B[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, C[15];
  float P[2 * 64];
  size_t n;
  REQUIRE(kern_sgemm_packed_b_floats(cfg, K, N, &n) && n <= 2 * 64);
  kern_sgemm_pack_b(cfg, K, N, B, N, 1, P);
  for (int act = KERN_ACT_RELU; act <= KERN_ACT_CLIP; act++) {
    kern_epilogue e = {.act = (kern_act)act, .act_lo = 0.0f, .act_hi = 2.5f};
    kern_sgemm(cfg, M, N, K, A, K, P, C, N, &e);
    for (int j = 0; j < N; j++) {
      CHECK_NEAR(act == KERN_ACT_RELU ? 3.0f : 2.5f, C[j], 0.0);
      CHECK(isnan(C[N + j]));
      CHECK_NEAR(0.0f, C[2 * N + j], 0.0);
    }
  }
}

#define GEMM_TESTS(isa, ISA)                                                                       \
  TEST(test_gemm_##isa##_odd_sizes) { run_odd_sizes(ISA); }                                        \
  TEST(test_gemm_##isa##_random_floats_rel_1e4) { run_random_floats(ISA); }                        \
  TEST(test_gemm_##isa##_bias_relu) {                                                              \
    run_epilogue(ISA, (gemm_case){.bias_n = true, .act = KERN_ACT_RELU});                          \
  }                                                                                                \
  TEST(test_gemm_##isa##_bias_rows_clip) {                                                         \
    run_epilogue(ISA, (gemm_case){.bias_m = true, .act = KERN_ACT_CLIP, .lo = -5, .hi = 6});       \
  }                                                                                                \
  TEST(test_gemm_##isa##_residual_relu) {                                                          \
    run_epilogue(ISA, (gemm_case){.residual = true, .bias_n = true, .act = KERN_ACT_RELU});        \
  }                                                                                                \
  TEST(test_gemm_##isa##_accumulate) {                                                             \
    run_epilogue(ISA, (gemm_case){.accumulate = true, .residual = true});                          \
  }                                                                                                \
  TEST(test_gemm_##isa##_k_zero_writes_epilogue) { run_k_zero(ISA); }                              \
  TEST(test_gemm_##isa##_k_and_n_blocked) { run_blocked(ISA); }                                    \
  TEST(test_gemm_##isa##_strided_a_and_c) { run_strided(ISA); }                                    \
  TEST(test_gemm_##isa##_pack_transposed_b) { run_transposed_b(ISA); }                             \
  TEST(test_gemm_##isa##_relu_clip_pass_nan) { run_relu_passes_nan(ISA); }

GEMM_TESTS(generic, KERN_ISA_GENERIC)
GEMM_TESTS(avx2, KERN_ISA_AVX2)
GEMM_TESTS(avx512, KERN_ISA_AVX512)

TEST(test_gemm_config_generic_always_available) {
  const kern_config *g = kern_config_for_isa(KERN_ISA_GENERIC);
  REQUIRE(g != NULL);
  CHECK_INT(KERN_ISA_GENERIC, g->isa);
  CHECK(g->sgemm.nc % g->sgemm.nr == 0);
  CHECK(g->sgemm.kc >= 16);
  CHECK(kern_config_get() != NULL);
}

TEST(test_gemm_config_supported_paths_follow_cpu) {
  const dlf_cpu_info *cpu = dlf_cpu_info_get();
  CHECK_INT(dlf_cpu_has_avx2(cpu), kern_config_for_isa(KERN_ISA_AVX2) != NULL);
  CHECK_INT(dlf_cpu_has_avx512(cpu), kern_config_for_isa(KERN_ISA_AVX512) != NULL);
  CHECK(kern_config_for_isa(KERN_ISA_COUNT) == NULL);
}

TEST(test_gemm_isa_choose_default_is_best) {
  char note[160];
  CHECK_INT(KERN_ISA_AVX2, kern_isa_choose(KERN_ISA_AVX2, NULL, note, sizeof note));
  CHECK_INT(0, (int)strlen(note));
  CHECK_INT(KERN_ISA_AVX512, kern_isa_choose(KERN_ISA_AVX512, "", note, sizeof note));
}

TEST(test_gemm_isa_choose_forces_lower_path) {
  char note[160];
  CHECK_INT(KERN_ISA_GENERIC, kern_isa_choose(KERN_ISA_AVX512, "generic", note, sizeof note));
  CHECK_INT(0, (int)strlen(note));
  CHECK_INT(KERN_ISA_AVX2, kern_isa_choose(KERN_ISA_AVX512, "avx2", note, sizeof note));
}

TEST(test_gemm_isa_choose_clamps_above_cpu_with_note) {
  char note[160];
  CHECK_INT(KERN_ISA_AVX2, kern_isa_choose(KERN_ISA_AVX2, "avx512", note, sizeof note));
  CHECK(strstr(note, "avx512") != NULL && strstr(note, "using avx2") != NULL);
}

TEST(test_gemm_isa_choose_unknown_value_notes_and_uses_best) {
  char note[160];
  CHECK_INT(KERN_ISA_AVX512, kern_isa_choose(KERN_ISA_AVX512, "sse9", note, sizeof note));
  CHECK(strstr(note, "sse9") != NULL);
}

TEST(test_gemm_packed_b_size_overflow_fails) {
  const kern_config *g = kern_config_for_isa(KERN_ISA_GENERIC);
  size_t n = 0;
  CHECK(kern_sgemm_packed_b_floats(g, 3, 9, &n));
  CHECK_INT(3 * 2 * g->sgemm.nr, n); /* 9 columns round up to 2 panels of nr = 8 */
  CHECK(!kern_sgemm_packed_b_floats(g, INT64_MAX / 2, INT64_MAX / 2, &n));
}

/* Detection agrees with what the kernel (Linux) tells userspace in /proc/cpuinfo. */
TEST(test_cpu_detect_matches_proc_cpuinfo) {
  const dlf_cpu_info *cpu = dlf_cpu_info_get();
  CHECK(cpu->n_logical >= 1 && cpu->n_available >= 1);
  CHECK(cpu->l1d_bytes >= 4096 && cpu->l2_bytes >= cpu->l1d_bytes);
  CHECK(cpu->name[0] != '\0');
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return; /* not Linux: nothing to compare with */
  char line[8192];
  bool found = false;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "flags", 5)) continue;
    found = true;
    CHECK_INT(strstr(line, " avx2") != NULL, cpu->avx2);
    CHECK_INT(strstr(line, " fma") != NULL, cpu->fma);
    CHECK_INT(strstr(line, " avx512f") != NULL, cpu->avx512f);
    CHECK_INT(strstr(line, " avx512bw") != NULL, cpu->avx512bw);
    break;
  }
  fclose(f);
  CHECK(found);
}
