/* test_op_misc_a.c — BatchNormalization (inference), LRN and Pad against
 * hand-computed values, and their unsupported-mode errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"
#include "test.h"

/* ------------------------------------------------------- BatchNorm -- */

/* X: N=1, C=2, 2 values per channel. Channel 0: scale 2, B 1, mean 1,
 * var 3, eps 1 → sd 2: y = 2 * (x - 1) / 2 + 1 = x. Channel 1: scale -1,
 * B 0.5, mean 0, var 0 (+eps 1 → sd 1): y = -x + 0.5. */
static const float bn_x[4] = {3, -1, 4, 2};
static const float bn_scale[2] = {2, -1}, bn_b[2] = {1, 0.5f}, bn_mean[2] = {1, 0},
                   bn_var[2] = {3, 0};

static dlf_status bn_create(th_graph *th, int n_out) {
  int64_t xd[3] = {1, 2, 2}, cd[1] = {2};
  th_tensor in[5] = {th_f32(3, xd, bn_x), th_const(th_f32(1, cd, bn_scale)),
                     th_const(th_f32(1, cd, bn_b)), th_const(th_f32(1, cd, bn_mean)),
                     th_const(th_f32(1, cd, bn_var))};
  DLF_TRY(th_create(th, IR_OP_BATCHNORM, 5, in, n_out));
  return ir_node_set_float(th->node, "epsilon", 1.0f);
}

TEST(test_batchnorm_inference_per_channel) {
  const float expect[4] = {3, -1, -4 + 0.5f, -2 + 0.5f};
  th_graph th;
  REQUIRE_OK(bn_create(&th, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_INT(3, th.out[0].ndim);
  CHECK_FLOATS(expect, (const float *)th.out[0].data, 4, 1e-6, 1e-6);
  th_free(&th);
}

TEST(test_batchnorm_4d_default_epsilon) {
  /* 1x1x2x2, scale 1, B 0, mean 2, var 4 → (x - 2) / sqrt(4 + 1e-5) */
  const float x[4] = {0, 2, 4, 6}, s[1] = {1}, b[1] = {0}, m[1] = {2}, v[1] = {4};
  int64_t xd[4] = {1, 1, 2, 2}, cd[1] = {1};
  th_tensor in[5] = {th_f32(4, xd, x), th_const(th_f32(1, cd, s)), th_const(th_f32(1, cd, b)),
                     th_const(th_f32(1, cd, m)), th_const(th_f32(1, cd, v))};
  float expect[4];
  for (int i = 0; i < 4; i++)
    expect[i] = (float)((x[i] - 2.0) / sqrt(4.0 + 1e-5));
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_BATCHNORM, 5, in, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_FLOATS(expect, (const float *)th.out[0].data, 4, 1e-6, 1e-6);
  th_free(&th);
}

TEST(test_batchnorm_error_training_mode) {
  th_graph th;
  REQUIRE_OK(bn_create(&th, 1));
  CHECK_OK(ir_node_set_int(th.node, "training_mode", 1));
  CHECK(th_run(&th) == DLF_ERR_UNSUPPORTED);
  CHECK(strstr(dlf_last_error(), "training_mode=1 is not supported") != NULL);
  th_free(&th);
}

TEST(test_batchnorm_error_running_stats_outputs) {
  th_graph th;
  REQUIRE_OK(bn_create(&th, 3));
  CHECK(th_run(&th) == DLF_ERR_UNSUPPORTED);
  CHECK(strstr(dlf_last_error(), "only inference") != NULL);
  th_free(&th);
}

TEST(test_batchnorm_error_spatial_0_before_opset_9) {
  th_graph th;
  REQUIRE_OK(bn_create(&th, 1));
  th.node->opset = 7;
  CHECK_OK(ir_node_set_int(th.node, "spatial", 0));
  CHECK(th_run(&th) == DLF_ERR_UNSUPPORTED);
  CHECK(strstr(dlf_last_error(), "spatial=0 is not supported") != NULL);
  th_free(&th);
}

TEST(test_batchnorm_error_wrong_param_size) {
  const float x[6] = {0}, p[3] = {1, 1, 1};
  int64_t xd[3] = {1, 2, 3}, cd[1] = {3};
  th_tensor in[5] = {th_f32(3, xd, x), th_const(th_f32(1, cd, p)), th_const(th_f32(1, cd, p)),
                     th_const(th_f32(1, cd, p)), th_const(th_f32(1, cd, p))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_BATCHNORM, 5, in, 1));
  CHECK(th_run(&th) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "scale 'in1' must be 1-D of X's 2 channels") != NULL);
  th_free(&th);
}

/* ------------------------------------------------------------- LRN -- */

TEST(test_lrn_size_3_clips_at_channel_edges) {
  /* C=3 at one position, x = [1 2 2]; alpha 3, size 3 (alpha/size = 1),
   * bias 1, beta 0.5: y_c = x_c / sqrt(1 + sum of x^2 over [c-1, c+1]). */
  const float x[3] = {1, 2, 2};
  const float expect[3] = {(float)(1 / sqrt(6.0)), (float)(2 / sqrt(10.0)), (float)(2 / 3.0)};
  int64_t xd[4] = {1, 3, 1, 1};
  th_tensor in[1] = {th_f32(4, xd, x)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_LRN, 1, in, 1));
  CHECK_OK(ir_node_set_int(th.node, "size", 3));
  CHECK_OK(ir_node_set_float(th.node, "alpha", 3.0f));
  CHECK_OK(ir_node_set_float(th.node, "beta", 0.5f));
  CHECK_OK(ir_node_set_float(th.node, "bias", 1.0f));
  REQUIRE_OK(th_run(&th));
  CHECK_FLOATS(expect, (const float *)th.out[0].data, 3, 1e-6, 1e-6);
  th_free(&th);
}

TEST(test_lrn_even_size_window_leans_up) {
  /* size 2: window [c, c+1] (floor(1/2)=0 below, ceil(1/2)=1 above);
   * alpha 2 (alpha/size = 1), bias 0, beta 1: y_c = x_c / (x_c^2 + x_{c+1}^2). */
  const float x[3] = {1, 2, 3};
  const float expect[3] = {1.0f / 5, 2.0f / 13, 3.0f / 9};
  int64_t xd[3] = {1, 3, 1};
  th_tensor in[1] = {th_f32(3, xd, x)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_LRN, 1, in, 1));
  CHECK_OK(ir_node_set_int(th.node, "size", 2));
  CHECK_OK(ir_node_set_float(th.node, "alpha", 2.0f));
  CHECK_OK(ir_node_set_float(th.node, "beta", 1.0f));
  CHECK_OK(ir_node_set_float(th.node, "bias", 0.0f));
  REQUIRE_OK(th_run(&th));
  CHECK_FLOATS(expect, (const float *)th.out[0].data, 3, 1e-6, 1e-6);
  th_free(&th);
}

TEST(test_lrn_default_attributes) {
  /* alpha 1e-4, beta 0.75, bias 1, size 1: y = x / (1 + 1e-4 x^2)^0.75 */
  const float x[2] = {10, -20};
  float expect[2];
  for (int i = 0; i < 2; i++)
    expect[i] = (float)(x[i] / pow(1 + 1e-4 * x[i] * x[i], 0.75));
  int64_t xd[3] = {1, 2, 1};
  th_tensor in[1] = {th_f32(3, xd, x)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_LRN, 1, in, 1));
  CHECK_OK(ir_node_set_int(th.node, "size", 1));
  REQUIRE_OK(th_run(&th));
  CHECK_FLOATS(expect, (const float *)th.out[0].data, 2, 1e-6, 1e-5);
  th_free(&th);
}

/* ------------------------------------------------------------- Pad -- */

/* Pad x (rank, xd) with opset-11+ inputs: pads, optional value and axes. */
static void run_pad(int rank, const int64_t *xd, const float *x, const char *mode,
                    const int64_t *pads, int n_pads, const float *value, const int64_t *axes,
                    int n_axes, const int64_t *yd, const float *expect) {
  int64_t pd[1] = {n_pads}, ad[1] = {n_axes};
  th_tensor in[4] = {th_f32(rank, xd, x), th_const(th_i64(1, pd, pads)),
                     value ? th_const(th_f32(0, NULL, value)) : th_absent(),
                     axes ? th_const(th_i64(1, ad, axes)) : th_absent()};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_PAD, axes ? 4 : value ? 3 : 2, in, 1));
  if (mode) CHECK_OK(ir_node_set_string(th.node, "mode", mode));
  dlf_status st = th_run(&th);
  CHECK_OK(st);
  if (st == DLF_OK) {
    CHECK_INT(rank, th.out[0].ndim);
    int64_t count = 1;
    bool same = th.out[0].ndim == rank;
    for (int i = 0; i < rank; i++) {
      CHECK_INT(yd[i], th.out[0].dims[i]);
      same = same && yd[i] == th.out[0].dims[i];
      count *= yd[i];
    }
    if (same) CHECK_FLOATS(expect, (const float *)th.out[0].data, count, 0.0, 0.0);
  }
  th_free(&th);
}

static const float pad_x[6] = {1, 2, 3, 4, 5, 6}; /* 2x3 */
static const int64_t pad_xd[2] = {2, 3};

TEST(test_pad_constant_default_zero) {
  /* pads [0 1 1 0]: one column before, one row after */
  const int64_t pads[4] = {0, 1, 1, 0}, yd[2] = {3, 4};
  const float expect[12] = {0, 1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0};
  run_pad(2, pad_xd, pad_x, NULL, pads, 4, NULL, NULL, 0, yd, expect);
}

TEST(test_pad_constant_value) {
  const int64_t pads[4] = {1, 0, 0, 1}, yd[2] = {3, 4};
  const float v = 9;
  const float expect[12] = {9, 9, 9, 9, 1, 2, 3, 9, 4, 5, 6, 9};
  run_pad(2, pad_xd, pad_x, "constant", pads, 4, &v, NULL, 0, yd, expect);
}

TEST(test_pad_reflect) {
  /* row [1 2 3] reflect 2 before, 2 after: [3 2 1 2 3 2 1] */
  const int64_t pads[4] = {0, 2, 0, 2}, yd[2] = {2, 7};
  const float expect[14] = {3, 2, 1, 2, 3, 2, 1, 6, 5, 4, 5, 6, 5, 4};
  run_pad(2, pad_xd, pad_x, "reflect", pads, 4, NULL, NULL, 0, yd, expect);
}

TEST(test_pad_edge) {
  /* rows: 1 before (copy of row 0); cols: 2 after (copy of last) */
  const int64_t pads[4] = {1, 0, 0, 2}, yd[2] = {3, 5};
  const float expect[15] = {1, 2, 3, 3, 3, 1, 2, 3, 3, 3, 4, 5, 6, 6, 6};
  run_pad(2, pad_xd, pad_x, "edge", pads, 4, NULL, NULL, 0, yd, expect);
}

TEST(test_pad_negative_crops) {
  /* drop the first column and pad one zero column at the end */
  const int64_t pads[4] = {0, -1, 0, 1}, yd[2] = {2, 3};
  const float expect[6] = {2, 3, 0, 5, 6, 0};
  run_pad(2, pad_xd, pad_x, NULL, pads, 4, NULL, NULL, 0, yd, expect);
}

TEST(test_pad_axes_opset_18) {
  /* axes [-1]: pads [1 1] apply to the last axis only */
  const int64_t pads[2] = {1, 1}, axes[1] = {-1}, yd[2] = {2, 5};
  const float v = -1;
  const float expect[10] = {-1, 1, 2, 3, -1, -1, 4, 5, 6, -1};
  run_pad(2, pad_xd, pad_x, NULL, pads, 2, &v, axes, 1, yd, expect);
}

TEST(test_pad_attributes_before_opset_11) {
  const int64_t pads[4] = {0, 1, 0, 0};
  const float expect[8] = {7, 1, 2, 3, 7, 4, 5, 6};
  th_tensor in[1] = {th_f32(2, pad_xd, pad_x)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_PAD, 1, in, 1));
  th.node->opset = 2;
  CHECK_OK(ir_node_set_ints(th.node, "pads", pads, 4));
  CHECK_OK(ir_node_set_float(th.node, "value", 7.0f));
  REQUIRE_OK(th_run(&th));
  CHECK_INT(4, th.out[0].dims[1]);
  CHECK_FLOATS(expect, (const float *)th.out[0].data, 8, 0.0, 0.0);
  th_free(&th);
}

TEST(test_pad_error_pads_not_constant) {
  const int64_t pads[4] = {0, 1, 0, 0}, pd[1] = {4};
  th_tensor in[2] = {th_f32(2, pad_xd, pad_x), th_i64(1, pd, pads)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_PAD, 2, in, 1));
  CHECK(th_run(&th) == DLF_ERR_UNSUPPORTED);
  CHECK(strstr(dlf_last_error(), "pads must be a constant") != NULL);
  th_free(&th);
}

TEST(test_pad_error_crop_below_zero) {
  const int64_t pads[4] = {0, -2, 0, -2}, pd[1] = {4};
  th_tensor in[2] = {th_f32(2, pad_xd, pad_x), th_const(th_i64(1, pd, pads))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_PAD, 2, in, 1));
  CHECK(th_run(&th) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "axis 1 of size 3 padded by -2 and -2 gives a negative size") !=
        NULL);
  th_free(&th);
}

TEST(test_pad_reflect_wider_than_axis_repeats_periodically) {
  /* numpy.pad([1 2 3], (5, 6), 'reflect') = [2 1 2 3 2 1 2 3 2 1 2 3 2 1] */
  const float x[3] = {1, 2, 3};
  const int64_t xd[1] = {3}, pads[2] = {5, 6}, yd[1] = {14};
  const float expect[14] = {2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2, 1};
  run_pad(1, xd, x, "reflect", pads, 2, NULL, NULL, 0, yd, expect);
}

TEST(test_pad_wrap) {
  /* opset 19 'wrap': [1 2 3] padded 2/1 → [2 3 1 2 3 1] */
  const float x[3] = {1, 2, 3};
  const int64_t xd[1] = {3}, pads[2] = {2, 1}, yd[1] = {6};
  const float expect[6] = {2, 3, 1, 2, 3, 1};
  run_pad(1, xd, x, "wrap", pads, 2, NULL, NULL, 0, yd, expect);
}

TEST(test_pad_error_unknown_mode) {
  const int64_t pads[4] = {0, 1, 0, 0}, pd[1] = {4};
  th_tensor in[2] = {th_f32(2, pad_xd, pad_x), th_const(th_i64(1, pd, pads))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_PAD, 2, in, 1));
  CHECK_OK(ir_node_set_string(th.node, "mode", "mirror"));
  CHECK(th_run(&th) == DLF_ERR_UNSUPPORTED);
  CHECK(strstr(dlf_last_error(), "mode 'mirror' is not constant, reflect, edge or wrap") != NULL);
  th_free(&th);
}
