/* test_op_elementwise.c — Add/Sub/Mul/Div broadcasting (float and int64),
 * PRelu, the activations, Clip across opsets, Identity and Dropout. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "op_harness.h"
#include "test.h"

#define CHECK_DIMS(v, ...)                                                                         \
  do {                                                                                             \
    const int64_t want_[] = {__VA_ARGS__};                                                         \
    int nw_ = (int)(sizeof want_ / sizeof want_[0]);                                               \
    CHECK_INT(nw_, (v).ndim);                                                                      \
    for (int d_ = 0; d_ < nw_ && d_ < (v).ndim; d_++)                                              \
      CHECK_INT(want_[d_], (v).dims[d_]);                                                          \
  } while (0)

/* Run a one-input float op on x[n] (1-D) and compare with want[n]. */
static void run_unary(ir_op op, int opset, const float *x, const float *want, int n,
                      const char *attr, float attr_v) {
  int64_t d[1] = {n};
  th_tensor in[1] = {th_f32(1, d, x)};
  th_graph th;
  REQUIRE_OK(th_create(&th, op, 1, in, 1));
  th.node->opset = opset;
  if (attr) REQUIRE_OK(ir_node_set_float(th.node, attr, attr_v));
  CHECK_OK(th_run(&th));
  if (th.out[0].data) CHECK_FLOATS(want, (const float *)th.out[0].data, n, 1e-6, 1e-6);
  th_free(&th);
}

/* Run a two-input op and return the status; the graph is left in th. */
static dlf_status run_binary(th_graph *th, ir_op op, th_tensor a, th_tensor b) {
  th_tensor in[2] = {a, b};
  dlf_status st = th_create(th, op, 2, in, 1);
  if (st != DLF_OK) return st;
  return th_run(th);
}

/* ------------------------------------------------------------ binary -- */

TEST(test_add_broadcasts_scalar) {
  int64_t da[2] = {2, 3};
  float a[6] = {1, 2, 3, 4, 5, 6}, b[1] = {10};
  th_graph th;
  REQUIRE_OK(run_binary(&th, IR_OP_ADD, th_f32(2, da, a), th_f32(0, NULL, b)));
  CHECK_DIMS(th.out[0], 2, 3);
  float want[6] = {11, 12, 13, 14, 15, 16};
  CHECK_FLOATS(want, (float *)th.out[0].data, 6, 0, 0);
  th_free(&th);
}

TEST(test_add_broadcasts_trailing_dim) {
  int64_t da[2] = {2, 3}, db[1] = {3};
  float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {10, 20, 30};
  th_graph th;
  REQUIRE_OK(run_binary(&th, IR_OP_ADD, th_f32(2, da, a), th_f32(1, db, b)));
  float want[6] = {11, 22, 33, 14, 25, 36};
  CHECK_DIMS(th.out[0], 2, 3);
  CHECK_FLOATS(want, (float *)th.out[0].data, 6, 0, 0);
  th_free(&th);
}

TEST(test_mul_broadcasts_both_sides) {
  int64_t da[2] = {2, 1}, db[2] = {1, 3};
  float a[2] = {2, 3}, b[3] = {1, 10, 100};
  th_graph th;
  REQUIRE_OK(run_binary(&th, IR_OP_MUL, th_f32(2, da, a), th_f32(2, db, b)));
  CHECK_DIMS(th.out[0], 2, 3);
  float want[6] = {2, 20, 200, 3, 30, 300};
  CHECK_FLOATS(want, (float *)th.out[0].data, 6, 0, 0);
  th_free(&th);
}

TEST(test_sub_broadcasts_per_channel_4d) {
  int64_t da[4] = {1, 2, 2, 2}, db[3] = {2, 1, 1};
  float a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[2] = {1, 5};
  th_graph th;
  REQUIRE_OK(run_binary(&th, IR_OP_SUB, th_f32(4, da, a), th_f32(3, db, b)));
  CHECK_DIMS(th.out[0], 1, 2, 2, 2);
  float want[8];
  for (int i = 0; i < 8; i++)
    want[i] = a[i] - b[i / 4];
  CHECK_FLOATS(want, (float *)th.out[0].data, 8, 0, 0);
  th_free(&th);
}

TEST(test_sub_with_constant_first_operand) {
  int64_t d[1] = {3};
  float a[3] = {10, 10, 10}, b[3] = {1, 2, 3};
  th_graph th;
  REQUIRE_OK(run_binary(&th, IR_OP_SUB, th_const(th_f32(1, d, a)), th_f32(1, d, b)));
  float want[3] = {9, 8, 7};
  CHECK_FLOATS(want, (float *)th.out[0].data, 3, 0, 0);
  th_free(&th);
}

TEST(test_div_float_elementwise) {
  int64_t d[1] = {3};
  float a[3] = {1, -6, 5}, b[3] = {4, 3, 0};
  th_graph th;
  REQUIRE_OK(run_binary(&th, IR_OP_DIV, th_f32(1, d, a), th_f32(1, d, b)));
  const float *y = th.out[0].data;
  CHECK_NEAR(0.25, y[0], 0);
  CHECK_NEAR(-2.0, y[1], 0);
  CHECK(isinf(y[2]) && y[2] > 0);
  th_free(&th);
}

TEST(test_add_int64_broadcasts) {
  int64_t da[2] = {2, 2}, db[1] = {2};
  int64_t a[4] = {1, 2, 3, 4}, b[2] = {100, -100};
  th_graph th;
  REQUIRE_OK(run_binary(&th, IR_OP_ADD, th_i64(2, da, a), th_i64(1, db, b)));
  CHECK_INT(IR_I64, th.out[0].dtype);
  CHECK_DIMS(th.out[0], 2, 2);
  const int64_t *y = th.out[0].data;
  CHECK_INT(101, y[0]);
  CHECK_INT(-98, y[1]);
  CHECK_INT(103, y[2]);
  CHECK_INT(-96, y[3]);
  th_free(&th);
}

TEST(test_mul_int64_constants_fold) {
  int64_t d[1] = {2};
  int64_t a[2] = {3, -4}, b[2] = {5, 6};
  th_graph th;
  REQUIRE_OK(run_binary(&th, IR_OP_MUL, th_const(th_i64(1, d, a)), th_const(th_i64(1, d, b))));
  const int64_t *y = th.out[0].data;
  CHECK_INT(15, y[0]);
  CHECK_INT(-24, y[1]);
  th_free(&th);
}

TEST(test_div_int64_truncates_toward_zero) {
  int64_t d[1] = {4};
  int64_t a[4] = {-7, 7, -7, 6}, b[4] = {2, -2, -2, 3};
  th_graph th;
  REQUIRE_OK(run_binary(&th, IR_OP_DIV, th_i64(1, d, a), th_i64(1, d, b)));
  const int64_t *y = th.out[0].data;
  CHECK_INT(-3, y[0]);
  CHECK_INT(-3, y[1]);
  CHECK_INT(3, y[2]);
  CHECK_INT(2, y[3]);
  th_free(&th);
}

TEST(test_div_int64_by_zero_fails) {
  int64_t d[1] = {1};
  int64_t a[1] = {5}, b[1] = {0};
  th_graph th;
  CHECK(run_binary(&th, IR_OP_DIV, th_i64(1, d, a), th_i64(1, d, b)) != DLF_OK);
  CHECK(strstr(dlf_last_error(), "division by zero") != NULL);
  th_free(&th);
}

TEST(test_add_non_broadcastable_shapes_fail) {
  int64_t da[2] = {2, 3}, db[1] = {4};
  float a[6] = {0}, b[4] = {0};
  th_graph th;
  CHECK(run_binary(&th, IR_OP_ADD, th_f32(2, da, a), th_f32(1, db, b)) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "2x3") != NULL);
  CHECK(strstr(dlf_last_error(), "do not broadcast") != NULL);
  CHECK(strstr(dlf_last_error(), "(Add)") != NULL);
  th_free(&th);
}

TEST(test_add_mixed_dtypes_fail) {
  int64_t d[1] = {2};
  float a[2] = {0};
  int64_t b[2] = {0};
  th_graph th;
  CHECK(run_binary(&th, IR_OP_ADD, th_f32(1, d, a), th_i64(1, d, b)) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "differ in type") != NULL);
  th_free(&th);
}

TEST(test_add_applies_relu_epilogue) {
  int64_t d[1] = {3};
  float a[3] = {1, -5, 2}, b[3] = {1, 1, -3};
  th_tensor in[2] = {th_f32(1, d, a), th_f32(1, d, b)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_ADD, 2, in, 1));
  th.node->act = IR_ACT_RELU; /* as the fusion passes attach it */
  REQUIRE_OK(th_run(&th));
  float want[3] = {2, 0, 0};
  CHECK_FLOATS(want, (float *)th.out[0].data, 3, 0, 0);
  th_free(&th);
}

TEST(test_prelu_per_channel_slope) {
  int64_t dx[4] = {1, 2, 2, 2}, ds[3] = {2, 1, 1};
  float x[8] = {-1, 2, -3, 4, -5, 6, -7, 8}, s[2] = {0.5f, 2.0f};
  th_graph th;
  REQUIRE_OK(run_binary(&th, IR_OP_PRELU, th_f32(4, dx, x), th_const(th_f32(3, ds, s))));
  CHECK_DIMS(th.out[0], 1, 2, 2, 2);
  float want[8];
  for (int i = 0; i < 8; i++)
    want[i] = x[i] >= 0 ? x[i] : x[i] * s[i / 4];
  CHECK_FLOATS(want, (float *)th.out[0].data, 8, 0, 0);
  th_free(&th);
}

TEST(test_prelu_slope_must_broadcast_to_x) {
  int64_t dx[2] = {1, 2}, ds[2] = {3, 2};
  float x[2] = {0}, s[6] = {0};
  th_graph th;
  CHECK(run_binary(&th, IR_OP_PRELU, th_f32(2, dx, x), th_f32(2, ds, s)) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "does not broadcast to X") != NULL);
  th_free(&th);
}

/* ------------------------------------------------------- activations -- */

TEST(test_relu_at_points) {
  float x[5] = {-2, -0.0f, 0, 0.5f, 3};
  float want[5] = {0, 0, 0, 0.5f, 3};
  run_unary(IR_OP_RELU, 18, x, want, 5, NULL, 0);
}

TEST(test_leakyrelu_default_alpha) {
  float x[3] = {-10, 0, 4};
  float want[3] = {-0.1f, 0, 4};
  run_unary(IR_OP_LEAKYRELU, 18, x, want, 3, NULL, 0);
}

TEST(test_leakyrelu_alpha_attribute) {
  float x[2] = {-2, 3};
  float want[2] = {-0.5f, 3};
  run_unary(IR_OP_LEAKYRELU, 18, x, want, 2, "alpha", 0.25f);
}

TEST(test_sigmoid_at_points) {
  float x[4] = {0, 2, -2, -100};
  float want[4];
  for (int i = 0; i < 4; i++)
    want[i] = (float)(1.0 / (1.0 + exp(-(double)x[i])));
  run_unary(IR_OP_SIGMOID, 18, x, want, 4, NULL, 0);
}

TEST(test_hardsigmoid_clamps_at_boundaries) {
  /* 0.2x + 0.5: 0 at x <= -2.5, 1 at x >= 2.5 */
  float x[5] = {-3, -2.5f, 0, 2.5f, 3};
  float want[5] = {0, 0, 0.5f, 1, 1};
  run_unary(IR_OP_HARDSIGMOID, 18, x, want, 5, NULL, 0);
}

TEST(test_hardsigmoid_alpha_beta) {
  int64_t d[1] = {3};
  float x[3] = {-1, 0, 1};
  th_tensor in[1] = {th_f32(1, d, x)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_HARDSIGMOID, 1, in, 1));
  REQUIRE_OK(ir_node_set_float(th.node, "alpha", 0.5f));
  REQUIRE_OK(ir_node_set_float(th.node, "beta", 0.25f));
  REQUIRE_OK(th_run(&th));
  float want[3] = {0, 0.25f, 0.75f};
  CHECK_FLOATS(want, (float *)th.out[0].data, 3, 1e-7, 0);
  th_free(&th);
}

TEST(test_hardswish_at_points) {
  /* x * clamp(x/6 + 1/2, 0, 1) */
  float x[5] = {-4, -3, -1, 1, 3};
  float want[5] = {0, 0, -1.0f / 3.0f, 2.0f / 3.0f, 3};
  run_unary(IR_OP_HARDSWISH, 18, x, want, 5, NULL, 0);
}

TEST(test_tanh_at_points) {
  float x[3] = {0, 0.5f, -20};
  float want[3] = {0, (float)tanh(0.5), -1};
  run_unary(IR_OP_TANH, 18, x, want, 3, NULL, 0);
}

TEST(test_relu_rejects_int64) {
  int64_t d[1] = {2};
  int64_t x[2] = {1, -1};
  th_tensor in[1] = {th_i64(1, d, x)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_RELU, 1, in, 1));
  CHECK(th_run(&th) == DLF_ERR_UNSUPPORTED);
  CHECK(strstr(dlf_last_error(), "int64") != NULL);
  th_free(&th);
}

TEST(test_identity_copies_int64) {
  int64_t d[1] = {3};
  int64_t x[3] = {5, -6, 7};
  th_tensor in[1] = {th_i64(1, d, x)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_IDENTITY, 1, in, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_INT(IR_I64, th.out[0].dtype);
  CHECK(memcmp(x, th.out[0].data, sizeof x) == 0);
  th_free(&th);
}

/* -------------------------------------------------------------- Clip -- */

TEST(test_clip_opset6_attributes) {
  int64_t d[1] = {4};
  float x[4] = {-1, 3, 7, 6};
  th_tensor in[1] = {th_f32(1, d, x)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CLIP, 1, in, 1));
  th.node->opset = 6;
  REQUIRE_OK(ir_node_set_float(th.node, "min", 0));
  REQUIRE_OK(ir_node_set_float(th.node, "max", 6));
  REQUIRE_OK(th_run(&th));
  float want[4] = {0, 3, 6, 6};
  CHECK_FLOATS(want, (float *)th.out[0].data, 4, 0, 0);
  th_free(&th);
}

TEST(test_clip_opset6_defaults_pass_values) {
  float x[3] = {-1e30f, 0, 1e30f};
  run_unary(IR_OP_CLIP, 6, x, x, 3, NULL, 0);
}

TEST(test_clip_opset13_constant_inputs) {
  int64_t d[1] = {4};
  float x[4] = {-1, 3, 7, 6}, lo = 0, hi = 6;
  th_tensor in[3] = {th_f32(1, d, x), th_const(th_f32(0, NULL, &lo)),
                     th_const(th_f32(0, NULL, &hi))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CLIP, 3, in, 1));
  REQUIRE_OK(th_run(&th));
  float want[4] = {0, 3, 6, 6};
  CHECK_FLOATS(want, (float *)th.out[0].data, 4, 0, 0);
  th_free(&th);
}

TEST(test_clip_opset11_only_max_given) {
  int64_t d[1] = {3};
  float x[3] = {-100, 1, 9}, hi = 2;
  th_tensor in[3] = {th_f32(1, d, x), th_absent(), th_const(th_f32(0, NULL, &hi))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CLIP, 3, in, 1));
  th.node->opset = 11;
  REQUIRE_OK(th_run(&th));
  float want[3] = {-100, 1, 2};
  CHECK_FLOATS(want, (float *)th.out[0].data, 3, 0, 0);
  th_free(&th);
}

TEST(test_clip_runtime_min_max_inputs) {
  int64_t d[1] = {3};
  float x[3] = {-5, 0.5f, 5}, lo = -1, hi = 1;
  th_tensor in[3] = {th_f32(1, d, x), th_f32(0, NULL, &lo), th_f32(0, NULL, &hi)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CLIP, 3, in, 1));
  REQUIRE_OK(th_run(&th));
  float want[3] = {-1, 0.5f, 1};
  CHECK_FLOATS(want, (float *)th.out[0].data, 3, 0, 0);
  th_free(&th);
}

TEST(test_clip_min_above_max_gives_max) {
  int64_t d[1] = {3};
  float x[3] = {-5, 2, 5}, lo = 3, hi = 1;
  th_tensor in[3] = {th_f32(1, d, x), th_const(th_f32(0, NULL, &lo)),
                     th_const(th_f32(0, NULL, &hi))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CLIP, 3, in, 1));
  REQUIRE_OK(th_run(&th));
  float want[3] = {1, 1, 1};
  CHECK_FLOATS(want, (float *)th.out[0].data, 3, 0, 0);
  th_free(&th);
}

TEST(test_clip_min_must_be_scalar) {
  int64_t d[1] = {2};
  float x[2] = {0}, lo[2] = {0};
  th_tensor in[2] = {th_f32(1, d, x), th_const(th_f32(1, d, lo))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CLIP, 2, in, 1));
  CHECK(th_run(&th) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "min input 'in1' must be a float32 scalar") != NULL);
  th_free(&th);
}

/* ----------------------------------------------------------- Dropout -- */

TEST(test_dropout_opset7_is_identity) {
  float x[3] = {1, -2, 3};
  run_unary(IR_OP_DROPOUT, 7, x, x, 3, "ratio", 0.5f);
}

TEST(test_dropout_opset13_ratio_input_is_identity) {
  int64_t d[1] = {3};
  float x[3] = {1, -2, 3}, ratio = 0.3f;
  th_tensor in[2] = {th_f32(1, d, x), th_const(th_f32(0, NULL, &ratio))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_DROPOUT, 2, in, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_FLOATS(x, (float *)th.out[0].data, 3, 0, 0);
  th_free(&th);
}

TEST(test_dropout_unread_mask_output_is_accepted) {
  int64_t d[1] = {3};
  float x[3] = {1, -2, 3};
  th_tensor in[1] = {th_f32(1, d, x)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_DROPOUT, 1, in, 2));
  /* keep only the data output as a graph output: nothing reads the mask */
  th.g->n_outputs = 1;
  th.n_out = 1;
  REQUIRE_OK(th_run(&th));
  CHECK_FLOATS(x, (float *)th.out[0].data, 3, 0, 0);
  th_free(&th);
}

TEST(test_dropout_mask_graph_output_is_unsupported) {
  int64_t d[1] = {3};
  float x[3] = {1, -2, 3};
  th_tensor in[1] = {th_f32(1, d, x)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_DROPOUT, 1, in, 2));
  CHECK(th_run(&th) == DLF_ERR_UNSUPPORTED);
  CHECK(strstr(dlf_last_error(), "mask output 'out1' is a graph output") != NULL);
  th_free(&th);
}

TEST(test_dropout_training_mode_true_is_unsupported) {
  int64_t d[1] = {3};
  float x[3] = {1, -2, 3}, ratio = 0.5f;
  int64_t train = 1;
  th_tensor in[3] = {th_f32(1, d, x), th_const(th_f32(0, NULL, &ratio)),
                     th_const(th_i64(0, NULL, &train))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_DROPOUT, 3, in, 1));
  CHECK(th_run(&th) == DLF_ERR_UNSUPPORTED);
  CHECK(strstr(dlf_last_error(), "training_mode") != NULL);
  th_free(&th);
}
