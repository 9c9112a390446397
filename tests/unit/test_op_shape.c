/* test_op_shape.c — the data-movement ops: Concat, Split, Slice, Transpose,
 * Reshape, Flatten, Squeeze, Unsqueeze, Gather (float and int64). */
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

static void check_i64s(const int64_t *want, const ir_value *v, int n) {
  CHECK_INT(IR_I64, v->dtype);
  for (int i = 0; i < n; i++)
    CHECK_INT(want[i], ((const int64_t *)v->data)[i]);
}

static float iota_f[64];
__attribute__((constructor)) static void init_iota(void) {
  for (int i = 0; i < 64; i++)
    iota_f[i] = (float)i;
}

/* ------------------------------------------------------------ Concat -- */

static void concat_2x2_2x1(int64_t axis_attr) {
  int64_t da[2] = {2, 2}, db[2] = {2, 1};
  float a[4] = {1, 2, 3, 4}, b[2] = {5, 6};
  th_tensor in[2] = {th_f32(2, da, a), th_f32(2, db, b)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CONCAT, 2, in, 1));
  REQUIRE_OK(ir_node_set_int(th.node, "axis", axis_attr));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 2, 3);
  float want[6] = {1, 2, 5, 3, 4, 6};
  CHECK_FLOATS(want, (float *)th.out[0].data, 6, 0, 0);
  th_free(&th);
}

TEST(test_concat_axis1) { concat_2x2_2x1(1); }
TEST(test_concat_negative_axis) { concat_2x2_2x1(-1); }

TEST(test_concat_axis0_three_inputs) {
  int64_t da[2] = {1, 2}, db[2] = {2, 2};
  float a[2] = {1, 2}, b[4] = {3, 4, 5, 6}, c[2] = {7, 8};
  th_tensor in[3] = {th_f32(2, da, a), th_const(th_f32(2, db, b)), th_f32(2, da, c)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CONCAT, 3, in, 1));
  REQUIRE_OK(ir_node_set_int(th.node, "axis", 0));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 4, 2);
  float want[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  CHECK_FLOATS(want, (float *)th.out[0].data, 8, 0, 0);
  th_free(&th);
}

TEST(test_concat_middle_axis_3d) {
  int64_t da[3] = {2, 1, 2}, db[3] = {2, 2, 2};
  float a[4] = {0, 1, 2, 3}, b[8] = {10, 11, 12, 13, 14, 15, 16, 17};
  th_tensor in[2] = {th_f32(3, da, a), th_f32(3, db, b)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CONCAT, 2, in, 1));
  REQUIRE_OK(ir_node_set_int(th.node, "axis", 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 2, 3, 2);
  float want[12] = {0, 1, 10, 11, 12, 13, 2, 3, 14, 15, 16, 17};
  CHECK_FLOATS(want, (float *)th.out[0].data, 12, 0, 0);
  th_free(&th);
}

TEST(test_concat_int64_constants) {
  int64_t d[1] = {1}, d2[1] = {2};
  int64_t a[1] = {1}, b[2] = {-1, 7};
  th_tensor in[2] = {th_const(th_i64(1, d, a)), th_const(th_i64(1, d2, b))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CONCAT, 2, in, 1));
  REQUIRE_OK(ir_node_set_int(th.node, "axis", 0));
  REQUIRE_OK(th_run(&th));
  int64_t want[3] = {1, -1, 7};
  CHECK_DIMS(th.out[0], 3);
  check_i64s(want, &th.out[0], 3);
  th_free(&th);
}

TEST(test_concat_mismatched_dims_fail) {
  int64_t da[2] = {2, 2}, db[2] = {3, 1};
  float a[4] = {0}, b[3] = {0};
  th_tensor in[2] = {th_f32(2, da, a), th_f32(2, db, b)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CONCAT, 2, in, 1));
  REQUIRE_OK(ir_node_set_int(th.node, "axis", 1));
  CHECK(th_run(&th) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "'in1' (3x1) does not match 'in0' (2x2)") != NULL);
  th_free(&th);
}

/* ------------------------------------------------------------- Split -- */

TEST(test_split_equal_parts_by_default) {
  int64_t d[1] = {6};
  th_tensor in[1] = {th_f32(1, d, iota_f)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SPLIT, 1, in, 3));
  REQUIRE_OK(th_run(&th));
  for (int o = 0; o < 3; o++) {
    CHECK_DIMS(th.out[o], 2);
    CHECK_FLOATS(iota_f + 2 * o, (float *)th.out[o].data, 2, 0, 0);
  }
  th_free(&th);
}

TEST(test_split_uneven_sizes_input_opset13) {
  int64_t d[2] = {2, 5}, ds[1] = {2};
  int64_t split[2] = {2, 3};
  th_tensor in[2] = {th_f32(2, d, iota_f), th_const(th_i64(1, ds, split))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SPLIT, 2, in, 2));
  REQUIRE_OK(ir_node_set_int(th.node, "axis", -1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 2, 2);
  CHECK_DIMS(th.out[1], 2, 3);
  float w0[4] = {0, 1, 5, 6}, w1[6] = {2, 3, 4, 7, 8, 9};
  CHECK_FLOATS(w0, (float *)th.out[0].data, 4, 0, 0);
  CHECK_FLOATS(w1, (float *)th.out[1].data, 6, 0, 0);
  th_free(&th);
}

TEST(test_split_attribute_opset11) {
  int64_t d[2] = {4, 1};
  int64_t split[2] = {1, 3};
  th_tensor in[1] = {th_f32(2, d, iota_f)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SPLIT, 1, in, 2));
  th.node->opset = 11;
  REQUIRE_OK(ir_node_set_ints(th.node, "split", split, 2));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 1, 1);
  CHECK_DIMS(th.out[1], 3, 1);
  CHECK_FLOATS(iota_f + 1, (float *)th.out[1].data, 3, 0, 0);
  th_free(&th);
}

TEST(test_split_num_outputs_opset18_last_chunk_smaller) {
  int64_t d[1] = {5};
  th_tensor in[1] = {th_f32(1, d, iota_f)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SPLIT, 1, in, 3));
  REQUIRE_OK(ir_node_set_int(th.node, "num_outputs", 3));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 2);
  CHECK_DIMS(th.out[1], 2);
  CHECK_DIMS(th.out[2], 1);
  CHECK_FLOATS(iota_f + 2, (float *)th.out[1].data, 2, 0, 0);
  CHECK_NEAR(4, ((float *)th.out[2].data)[0], 0);
  th_free(&th);
}

TEST(test_split_uneven_without_sizes_fails) {
  int64_t d[1] = {5};
  th_tensor in[1] = {th_f32(1, d, iota_f)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SPLIT, 1, in, 2));
  CHECK(th_run(&th) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "does not split evenly into 2") != NULL);
  th_free(&th);
}

/* ------------------------------------------------------------- Slice -- */

/* Slice a 1-D iota of length n (opset 13) and compare with want. */
static void slice_1d(int64_t n, int64_t start, int64_t end, int64_t step, const float *want,
                     int64_t want_len) {
  int64_t d[1] = {n}, one[1] = {1};
  int64_t s[1] = {start}, e[1] = {end}, ax[1] = {0}, st[1] = {step};
  th_tensor in[5] = {th_f32(1, d, iota_f), th_const(th_i64(1, one, s)), th_const(th_i64(1, one, e)),
                     th_const(th_i64(1, one, ax)), th_const(th_i64(1, one, st))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SLICE, 5, in, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], want_len);
  if (want_len) CHECK_FLOATS(want, (float *)th.out[0].data, want_len, 0, 0);
  th_free(&th);
}

TEST(test_slice_negative_step_reverses) {
  float want[5] = {4, 3, 2, 1, 0};
  slice_1d(5, -1, INT64_MIN, -1, want, 5);
}

TEST(test_slice_negative_step_two) {
  float want[3] = {5, 3, 1};
  slice_1d(6, 100, 0, -2, want, 3); /* start clamps to 5, end 0 is exclusive */
}

TEST(test_slice_clamps_start_and_int64_max_end) {
  float want[3] = {2, 3, 4};
  slice_1d(5, -3, INT64_MAX, 1, want, 3);
}

TEST(test_slice_start_past_end_is_empty) { slice_1d(5, 10, 20, 1, NULL, 0); }

TEST(test_slice_step_three_rounds_up) {
  float want[3] = {1, 4, 7};
  slice_1d(9, 1, 8, 3, want, 3);
}

TEST(test_slice_2d_default_axes_and_steps) {
  int64_t d[2] = {3, 4}, two[1] = {2};
  int64_t s[2] = {1, 1}, e[2] = {3, -1};
  th_tensor in[3] = {th_f32(2, d, iota_f), th_const(th_i64(1, two, s)),
                     th_const(th_i64(1, two, e))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SLICE, 3, in, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 2, 2);
  float want[4] = {5, 6, 9, 10};
  CHECK_FLOATS(want, (float *)th.out[0].data, 4, 0, 0);
  th_free(&th);
}

TEST(test_slice_opset9_attributes_negative_axis) {
  int64_t d[2] = {3, 4};
  int64_t s[1] = {2}, e[1] = {4}, ax[1] = {-1};
  th_tensor in[1] = {th_f32(2, d, iota_f)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SLICE, 1, in, 1));
  th.node->opset = 9;
  REQUIRE_OK(ir_node_set_ints(th.node, "starts", s, 1));
  REQUIRE_OK(ir_node_set_ints(th.node, "ends", e, 1));
  REQUIRE_OK(ir_node_set_ints(th.node, "axes", ax, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 3, 2);
  float want[6] = {2, 3, 6, 7, 10, 11};
  CHECK_FLOATS(want, (float *)th.out[0].data, 6, 0, 0);
  th_free(&th);
}

TEST(test_slice_int64_data) {
  int64_t d[1] = {4}, one[1] = {1};
  int64_t x[4] = {10, 20, 30, 40}, s[1] = {1}, e[1] = {3};
  th_tensor in[3] = {th_i64(1, d, x), th_const(th_i64(1, one, s)), th_const(th_i64(1, one, e))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SLICE, 3, in, 1));
  REQUIRE_OK(th_run(&th));
  int64_t want[2] = {20, 30};
  check_i64s(want, &th.out[0], 2);
  th_free(&th);
}

TEST(test_slice_runtime_starts_fail) {
  int64_t d[1] = {4}, one[1] = {1};
  int64_t s[1] = {1}, e[1] = {3};
  th_tensor in[3] = {th_f32(1, d, iota_f), th_i64(1, one, s), th_const(th_i64(1, one, e))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SLICE, 3, in, 1));
  CHECK(th_run(&th) == DLF_ERR_UNSUPPORTED);
  CHECK(strstr(dlf_last_error(), "starts input 'in1' must be a constant") != NULL);
  th_free(&th);
}

TEST(test_slice_zero_step_fails) {
  int64_t d[1] = {4}, one[1] = {1};
  int64_t s[1] = {0}, e[1] = {3}, ax[1] = {0}, st[1] = {0};
  th_tensor in[5] = {th_f32(1, d, iota_f), th_const(th_i64(1, one, s)), th_const(th_i64(1, one, e)),
                     th_const(th_i64(1, one, ax)), th_const(th_i64(1, one, st))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SLICE, 5, in, 1));
  CHECK(th_run(&th) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "step along axis 0 is 0") != NULL);
  th_free(&th);
}

/* --------------------------------------------------------- Transpose -- */

TEST(test_transpose_4d_nchw_to_nhwc) {
  int64_t d[4] = {2, 3, 2, 4}, perm[4] = {0, 2, 3, 1};
  th_tensor in[1] = {th_f32(4, d, iota_f)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_TRANSPOSE, 1, in, 1));
  REQUIRE_OK(ir_node_set_ints(th.node, "perm", perm, 4));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 2, 2, 4, 3);
  float want[48];
  for (int n = 0; n < 2; n++)
    for (int h = 0; h < 2; h++)
      for (int w = 0; w < 4; w++)
        for (int c = 0; c < 3; c++)
          want[((n * 2 + h) * 4 + w) * 3 + c] = iota_f[((n * 3 + c) * 2 + h) * 4 + w];
  CHECK_FLOATS(want, (float *)th.out[0].data, 48, 0, 0);
  th_free(&th);
}

TEST(test_transpose_default_perm_reverses) {
  int64_t d[2] = {2, 3};
  th_tensor in[1] = {th_f32(2, d, iota_f)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_TRANSPOSE, 1, in, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 3, 2);
  float want[6] = {0, 3, 1, 4, 2, 5};
  CHECK_FLOATS(want, (float *)th.out[0].data, 6, 0, 0);
  th_free(&th);
}

TEST(test_transpose_bad_perm_fails) {
  int64_t d[2] = {2, 3}, perm[2] = {0, 0};
  th_tensor in[1] = {th_f32(2, d, iota_f)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_TRANSPOSE, 1, in, 1));
  REQUIRE_OK(ir_node_set_ints(th.node, "perm", perm, 2));
  CHECK(th_run(&th) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "not a permutation") != NULL);
  th_free(&th);
}

/* ----------------------------------------------------------- Reshape -- */

static dlf_status reshape(th_graph *th, int ndim, const int64_t *dims, const int64_t *shape,
                          int n_shape, int allowzero) {
  int64_t ds[1] = {n_shape};
  th_tensor in[2] = {th_f32(ndim, dims, iota_f), th_const(th_i64(1, ds, shape))};
  dlf_status st = th_create(th, IR_OP_RESHAPE, 2, in, 1);
  if (st != DLF_OK) return st;
  if (allowzero) st = ir_node_set_int(th->node, "allowzero", 1);
  return st != DLF_OK ? st : th_run(th);
}

TEST(test_reshape_zero_copies_and_minus_one_infers) {
  int64_t d[3] = {2, 3, 4}, s[2] = {0, -1};
  th_graph th;
  REQUIRE_OK(reshape(&th, 3, d, s, 2, 0));
  CHECK_DIMS(th.out[0], 2, 12);
  CHECK_FLOATS(iota_f, (float *)th.out[0].data, 24, 0, 0);
  th_free(&th);
}

TEST(test_reshape_allowzero_keeps_zero) {
  int64_t d[2] = {0, 4}, s[2] = {4, 0};
  th_graph th;
  REQUIRE_OK(reshape(&th, 2, d, s, 2, 1));
  CHECK_DIMS(th.out[0], 4, 0);
  th_free(&th);
}

TEST(test_reshape_zero_without_allowzero_copies_dim) {
  /* the same request without allowzero reads 0 as "copy dim 1" = 4 → 16 elements */
  int64_t d[2] = {0, 4}, s[2] = {4, 0};
  th_graph th;
  CHECK(reshape(&th, 2, d, s, 2, 0) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "cannot reshape") != NULL);
  th_free(&th);
}

TEST(test_reshape_wrong_element_count_fails) {
  int64_t d[2] = {2, 3}, s[2] = {4, 2};
  th_graph th;
  CHECK(reshape(&th, 2, d, s, 2, 0) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(),
               "cannot reshape input 'in0' of 2x3 (6 elements) to 4x2 (8 elements)") != NULL);
  th_free(&th);
}

TEST(test_reshape_two_minus_ones_fail) {
  int64_t d[2] = {2, 3}, s[2] = {-1, -1};
  th_graph th;
  CHECK(reshape(&th, 2, d, s, 2, 0) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "more than one -1") != NULL);
  th_free(&th);
}

TEST(test_reshape_runtime_shape_fails) {
  int64_t d[2] = {2, 3}, ds[1] = {1}, s[1] = {6};
  th_tensor in[2] = {th_f32(2, d, iota_f), th_i64(1, ds, s)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_RESHAPE, 2, in, 1));
  CHECK(th_run(&th) == DLF_ERR_UNSUPPORTED);
  CHECK(strstr(dlf_last_error(), "shape input 'in1' must be a constant") != NULL);
  th_free(&th);
}

/* ----------------------------------------------------------- Flatten -- */

static void flatten(int64_t axis, int64_t want0, int64_t want1) {
  int64_t d[3] = {2, 3, 4};
  th_tensor in[1] = {th_f32(3, d, iota_f)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_FLATTEN, 1, in, 1));
  REQUIRE_OK(ir_node_set_int(th.node, "axis", axis));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], want0, want1);
  CHECK_FLOATS(iota_f, (float *)th.out[0].data, 24, 0, 0);
  th_free(&th);
}

TEST(test_flatten_axis0) { flatten(0, 1, 24); }
TEST(test_flatten_axis1) { flatten(1, 2, 12); }
TEST(test_flatten_negative_axis) { flatten(-1, 6, 4); }
TEST(test_flatten_axis_rank) { flatten(3, 24, 1); }

/* ------------------------------------------------- Squeeze/Unsqueeze -- */

TEST(test_squeeze_negative_axis_input) {
  int64_t d[3] = {2, 3, 1}, one[1] = {1}, ax[1] = {-1};
  th_tensor in[2] = {th_f32(3, d, iota_f), th_const(th_i64(1, one, ax))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SQUEEZE, 2, in, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 2, 3);
  CHECK_FLOATS(iota_f, (float *)th.out[0].data, 6, 0, 0);
  th_free(&th);
}

TEST(test_squeeze_without_axes_removes_all_ones) {
  int64_t d[4] = {1, 3, 1, 2};
  th_tensor in[1] = {th_f32(4, d, iota_f)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SQUEEZE, 1, in, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 3, 2);
  th_free(&th);
}

TEST(test_squeeze_empty_axes_input_removes_all_ones) {
  int64_t d[3] = {1, 3, 1}, zero[1] = {0}, unused = 0;
  th_tensor in[2] = {th_f32(3, d, iota_f), th_const(th_i64(1, zero, &unused))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SQUEEZE, 2, in, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 3);
  th_free(&th);
}

TEST(test_squeeze_opset11_axes_attribute) {
  int64_t d[4] = {1, 3, 1, 2}, ax[1] = {2};
  th_tensor in[1] = {th_f32(4, d, iota_f)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SQUEEZE, 1, in, 1));
  th.node->opset = 11;
  REQUIRE_OK(ir_node_set_ints(th.node, "axes", ax, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 1, 3, 2);
  th_free(&th);
}

TEST(test_squeeze_non_unit_axis_fails) {
  int64_t d[2] = {2, 3}, one[1] = {1}, ax[1] = {0};
  th_tensor in[2] = {th_f32(2, d, iota_f), th_const(th_i64(1, one, ax))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SQUEEZE, 2, in, 1));
  CHECK(th_run(&th) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "cannot squeeze axis 0 of 'in0': its size is 2") != NULL);
  th_free(&th);
}

TEST(test_unsqueeze_negative_axes_input) {
  int64_t d[2] = {3, 4}, two[1] = {2}, ax[2] = {0, -1};
  th_tensor in[2] = {th_f32(2, d, iota_f), th_const(th_i64(1, two, ax))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_UNSQUEEZE, 2, in, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 1, 3, 4, 1);
  CHECK_FLOATS(iota_f, (float *)th.out[0].data, 12, 0, 0);
  th_free(&th);
}

TEST(test_unsqueeze_opset11_axes_attribute) {
  int64_t d[2] = {3, 4}, ax[1] = {1};
  th_tensor in[1] = {th_f32(2, d, iota_f)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_UNSQUEEZE, 1, in, 1));
  th.node->opset = 11;
  REQUIRE_OK(ir_node_set_ints(th.node, "axes", ax, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 3, 1, 4);
  th_free(&th);
}

TEST(test_unsqueeze_scalar_int64) {
  int64_t one[1] = {1}, ax[1] = {0}, x = 42;
  th_tensor in[2] = {th_const(th_i64(0, NULL, &x)), th_const(th_i64(1, one, ax))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_UNSQUEEZE, 2, in, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 1);
  check_i64s(&x, &th.out[0], 1);
  th_free(&th);
}

/* ------------------------------------------------------------ Gather -- */

TEST(test_gather_scalar_negative_index_removes_axis) {
  int64_t d[2] = {3, 2}, idx = -1;
  th_tensor in[2] = {th_f32(2, d, iota_f), th_const(th_i64(0, NULL, &idx))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_GATHER, 2, in, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 2);
  float want[2] = {4, 5};
  CHECK_FLOATS(want, (float *)th.out[0].data, 2, 0, 0);
  th_free(&th);
}

TEST(test_gather_matrix_indices_axis1) {
  int64_t d[2] = {2, 3}, di[2] = {2, 2};
  int64_t idx[4] = {0, -1, 1, -3};
  th_tensor in[2] = {th_f32(2, d, iota_f), th_i64(2, di, idx)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_GATHER, 2, in, 1));
  REQUIRE_OK(ir_node_set_int(th.node, "axis", 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 2, 2, 2);
  float want[8];
  for (int r = 0; r < 2; r++)
    for (int j = 0; j < 4; j++) {
      int64_t c = idx[j] < 0 ? idx[j] + 3 : idx[j];
      want[r * 4 + j] = iota_f[r * 3 + c];
    }
  CHECK_FLOATS(want, (float *)th.out[0].data, 8, 0, 0);
  th_free(&th);
}

TEST(test_gather_int64_data) {
  int64_t d[1] = {4}, x[4] = {1, 3, 224, 224}, di[1] = {2}, idx[2] = {2, 0};
  th_tensor in[2] = {th_const(th_i64(1, d, x)), th_const(th_i64(1, di, idx))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_GATHER, 2, in, 1));
  REQUIRE_OK(th_run(&th));
  int64_t want[2] = {224, 1};
  check_i64s(want, &th.out[0], 2);
  th_free(&th);
}

TEST(test_gather_out_of_range_index_fails) {
  int64_t d[1] = {3}, idx = 3;
  th_tensor in[2] = {th_f32(1, d, iota_f), th_const(th_i64(0, NULL, &idx))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_GATHER, 2, in, 1));
  CHECK(th_run(&th) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "index 3 is out of range") != NULL);
  th_free(&th);
}

TEST(test_gather_runtime_out_of_range_index_fails) {
  int64_t d[1] = {3}, di[1] = {1}, idx[1] = {-4};
  th_tensor in[2] = {th_f32(1, d, iota_f), th_i64(1, di, idx)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_GATHER, 2, in, 1));
  CHECK(th_run(&th) == DLF_ERR_INVALID_ARG);
  CHECK(strstr(dlf_last_error(), "index -4 is out of range") != NULL);
  th_free(&th);
}
