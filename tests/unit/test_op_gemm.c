/* test_op_gemm.c — Gemm (transposes, alpha/beta, C broadcasting, epilogue)
 * and MatMul (1-D operands, batch broadcasting) against naive loops. */
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"
#include "test.h"

/* Y[m][n] = alpha * sum_k A[m][k] B[k][n] + beta * C[m or 0][n or 0], with
 * A and B given in their stored (possibly transposed) layouts. */
static void naive_gemm(int64_t M, int64_t N, int64_t K, const float *a, int ta, const float *b,
                       int tb, float alpha, float beta, const float *c, int64_t crows,
                       int64_t ccols, float *y) {
  for (int64_t m = 0; m < M; m++)
    for (int64_t n = 0; n < N; n++) {
      float acc = 0.0f;
      for (int64_t k = 0; k < K; k++) {
        float av = ta ? a[k * M + m] : a[m * K + k];
        float bv = tb ? b[n * K + k] : b[k * N + n];
        acc += av * bv;
      }
      float v = alpha * acc;
      if (c) v += beta * c[(crows == 1 ? 0 : m) * ccols + (ccols == 1 ? 0 : n)];
      y[m * N + n] = v;
    }
}

typedef struct gemm_case {
  int64_t M, N, K;
  int ta, tb;
  float alpha, beta; /* 0 means: leave the attribute at its default 1 */
  int cndim;         /* -1: no C */
  int64_t cdims[2];
  ir_act act;
} gemm_case;

static void run_gemm_case(gemm_case k) {
  int64_t ad[2] = {k.ta ? k.K : k.M, k.ta ? k.M : k.K};
  int64_t bd[2] = {k.tb ? k.N : k.K, k.tb ? k.K : k.N};
  int64_t cn = 1;
  for (int i = 0; i < k.cndim; i++)
    cn *= k.cdims[i];
  float *a = th_small_ints(11, k.M * k.K, 3), *b = th_small_ints(12, k.K * k.N, 3);
  float *c = th_small_ints(13, cn, 5), *expect = malloc((size_t)(k.M * k.N) * sizeof(float));
  REQUIRE(a && b && c && expect);
  float alpha = k.alpha ? k.alpha : 1.0f, beta = k.beta ? k.beta : 1.0f;
  int64_t crows = k.cndim == 2 ? k.cdims[0] : 1, ccols = k.cndim >= 1 ? k.cdims[k.cndim - 1] : 1;
  naive_gemm(k.M, k.N, k.K, a, k.ta, b, k.tb, alpha, beta, k.cndim >= 0 ? c : NULL, crows, ccols,
             expect);
  if (k.act == IR_ACT_RELU)
    for (int64_t i = 0; i < k.M * k.N; i++)
      expect[i] = expect[i] < 0 ? 0 : expect[i];
  th_tensor in[3] = {th_f32(2, ad, a), th_const(th_f32(2, bd, b)),
                     k.cndim >= 0 ? th_const(th_f32(k.cndim, k.cdims, c)) : th_absent()};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_GEMM, k.cndim >= 0 ? 3 : 2, in, 1));
  if (k.ta) CHECK_OK(ir_node_set_int(th.node, "transA", 1));
  if (k.tb) CHECK_OK(ir_node_set_int(th.node, "transB", 1));
  if (k.alpha) CHECK_OK(ir_node_set_float(th.node, "alpha", k.alpha));
  if (k.beta) CHECK_OK(ir_node_set_float(th.node, "beta", k.beta));
  th.node->act = k.act;
  dlf_status st = th_run(&th);
  CHECK_OK(st);
  if (st == DLF_OK) {
    CHECK_INT(2, th.out[0].ndim);
    CHECK_INT(k.M, th.out[0].dims[0]);
    CHECK_INT(k.N, th.out[0].dims[1]);
    CHECK_FLOATS(expect, (const float *)th.out[0].data, k.M * k.N, 0.0, 0.0);
  }
  th_free(&th);
  free(a), free(b), free(c), free(expect);
}

TEST(test_gemm_hand_computed_2x2) {
  /* [1 2; 3 4] * [5 6; 7 8] = [19 22; 43 50] */
  const float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8}, expect[4] = {19, 22, 43, 50};
  int64_t d[2] = {2, 2};
  th_tensor in[2] = {th_f32(2, d, a), th_const(th_f32(2, d, b))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_GEMM, 2, in, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_FLOATS(expect, (const float *)th.out[0].data, 4, 0.0, 0.0);
  th_free(&th);
}

TEST(test_gemm_plain_no_c) { run_gemm_case((gemm_case){.M = 3, .N = 4, .K = 5, .cndim = -1}); }

TEST(test_gemm_trans_a) {
  run_gemm_case((gemm_case){.M = 3, .N = 4, .K = 5, .ta = 1, .cndim = -1});
}

TEST(test_gemm_trans_b) {
  run_gemm_case((gemm_case){.M = 3, .N = 4, .K = 5, .tb = 1, .cndim = -1});
}

TEST(test_gemm_trans_a_and_b) {
  run_gemm_case((gemm_case){.M = 2, .N = 3, .K = 4, .ta = 1, .tb = 1, .cndim = -1});
}

TEST(test_gemm_alpha_beta) {
  run_gemm_case((gemm_case){
      .M = 3, .N = 2, .K = 4, .alpha = 0.5f, .beta = 2.0f, .cndim = 2, .cdims = {3, 2}});
}

TEST(test_gemm_c_broadcast_row_vector) {
  run_gemm_case((gemm_case){.M = 3, .N = 4, .K = 2, .cndim = 1, .cdims = {4}});
}

TEST(test_gemm_c_broadcast_column) {
  run_gemm_case((gemm_case){.M = 3, .N = 4, .K = 2, .cndim = 2, .cdims = {3, 1}});
}

TEST(test_gemm_c_broadcast_scalar) {
  run_gemm_case((gemm_case){.M = 3, .N = 4, .K = 2, .beta = 3.0f, .cndim = 0});
}

TEST(test_gemm_epilogue_relu) {
  run_gemm_case(
      (gemm_case){.M = 4, .N = 5, .K = 3, .tb = 1, .cndim = 1, .cdims = {5}, .act = IR_ACT_RELU});
}

TEST(test_gemm_error_inner_dims) {
  float a[6] = {0}, b[6] = {0};
  int64_t ad[2] = {2, 3}, bd[2] = {2, 3};
  th_tensor in[2] = {th_f32(2, ad, a), th_const(th_f32(2, bd, b))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_GEMM, 2, in, 1));
  CHECK(th_run(&th) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "inner dimensions differ: A is 2x3") != NULL);
  th_free(&th);
}

TEST(test_gemm_error_c_does_not_broadcast) {
  float a[6] = {0}, b[6] = {0}, c[3] = {0};
  int64_t ad[2] = {2, 3}, bd[2] = {3, 2}, cd[1] = {3};
  th_tensor in[3] = {th_f32(2, ad, a), th_const(th_f32(2, bd, b)), th_const(th_f32(1, cd, c))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_GEMM, 3, in, 1));
  CHECK(th_run(&th) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "does not broadcast to 2x2") != NULL);
  th_free(&th);
}

/* ------------------------------------------------------------- MatMul -- */

/* Run MatMul on a (graph input) and b (constant); check shape and values. */
static void run_matmul(int an, const int64_t *ad, const float *a, int bn, const int64_t *bd,
                       const float *b, int yn, const int64_t *yd, const float *expect) {
  th_tensor in[2] = {th_f32(an, ad, a), th_const(th_f32(bn, bd, b))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_MATMUL, 2, in, 1));
  dlf_status st = th_run(&th);
  CHECK_OK(st);
  if (st == DLF_OK) {
    CHECK_INT(yn, th.out[0].ndim);
    int64_t count = 1;
    for (int i = 0; i < yn && i < th.out[0].ndim; i++) {
      CHECK_INT(yd[i], th.out[0].dims[i]);
      count *= yd[i];
    }
    if (th.out[0].ndim == yn) CHECK_FLOATS(expect, (const float *)th.out[0].data, count, 0.0, 0.0);
  }
  th_free(&th);
}

TEST(test_matmul_2d) {
  const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 0, 1, 1, 1}; /* 2x3 * 3x2 */
  const float expect[4] = {4, 5, 10, 11};
  int64_t ad[2] = {2, 3}, bd[2] = {3, 2}, yd[2] = {2, 2};
  run_matmul(2, ad, a, 2, bd, b, 2, yd, expect);
}

TEST(test_matmul_1d_times_2d_drops_row_dim) {
  const float a[3] = {1, 2, 3}, b[6] = {1, 0, 0, 1, 1, 1};
  const float expect[2] = {4, 5};
  int64_t ad[1] = {3}, bd[2] = {3, 2}, yd[1] = {2};
  run_matmul(1, ad, a, 2, bd, b, 1, yd, expect);
}

TEST(test_matmul_2d_times_1d_drops_col_dim) {
  const float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {1, -1, 2};
  const float expect[2] = {1 - 2 + 6, 4 - 5 + 12};
  int64_t ad[2] = {2, 3}, bd[1] = {3}, yd[1] = {2};
  run_matmul(2, ad, a, 1, bd, b, 1, yd, expect);
}

TEST(test_matmul_1d_times_1d_is_scalar) {
  const float a[3] = {1, 2, 3}, b[3] = {4, 5, 6}, expect[1] = {32};
  int64_t ad[1] = {3}, bd[1] = {3};
  run_matmul(1, ad, a, 1, bd, b, 0, NULL, expect);
}

TEST(test_matmul_batched_broadcast) {
  /* A: 2x1x2x3, B: 3x3x2 → batch (2,1) with (3) broadcasts to (2,3): Y 2x3x2x2. */
  int64_t ad[4] = {2, 1, 2, 3}, bd[3] = {3, 3, 2}, yd[4] = {2, 3, 2, 2};
  float *a = th_small_ints(21, 12, 3), *b = th_small_ints(22, 18, 3);
  float expect[24];
  REQUIRE(a && b);
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 3; j++)
      for (int m = 0; m < 2; m++)
        for (int n = 0; n < 2; n++) {
          float acc = 0;
          for (int k = 0; k < 3; k++)
            acc += a[i * 6 + m * 3 + k] * b[j * 6 + k * 2 + n];
          expect[((i * 3 + j) * 2 + m) * 2 + n] = acc;
        }
  run_matmul(4, ad, a, 3, bd, b, 4, yd, expect);
  free(a), free(b);
}

TEST(test_matmul_error_inner_dims) {
  float a[6] = {0}, b[6] = {0};
  int64_t ad[2] = {2, 3}, bd[2] = {2, 3};
  th_tensor in[2] = {th_f32(2, ad, a), th_const(th_f32(2, bd, b))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_MATMUL, 2, in, 1));
  CHECK(th_run(&th) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "(2x3) and B 'in1' (2x3) cannot be multiplied") != NULL);
  th_free(&th);
}
