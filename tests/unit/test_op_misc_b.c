/* test_op_misc_b.c — ReduceMean, Softmax across opsets, the constant ops
 * (Constant, Shape, Cast, ConstantOfShape) and constant folding of the
 * Shape → Gather → Unsqueeze → Concat → Reshape chain exporters emit. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ref_exec.h"
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

/* x[i] = i for a 2x3x2 input */
static const float g_x232[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

/* -------------------------------------------------------- ReduceMean -- */

/* Mean of the 2x3x2 iota over axis 1: y[a][c] = mean_b x[a][b][c]. */
static void mean_axis1(float *want) {
  for (int a = 0; a < 2; a++)
    for (int c = 0; c < 2; c++) {
      float s = 0;
      for (int b = 0; b < 3; b++)
        s += g_x232[(a * 3 + b) * 2 + c];
      want[a * 2 + c] = s / 3;
    }
}

static void reducemean_opset13(int64_t axis, int keepdims, th_graph *th) {
  int64_t d[3] = {2, 3, 2};
  th_tensor in[1] = {th_f32(3, d, g_x232)};
  REQUIRE_OK(th_create(th, IR_OP_REDUCEMEAN, 1, in, 1));
  th->node->opset = 13;
  REQUIRE_OK(ir_node_set_ints(th->node, "axes", &axis, 1));
  REQUIRE_OK(ir_node_set_int(th->node, "keepdims", keepdims));
  REQUIRE_OK(th_run(th));
}

TEST(test_reducemean_keepdims) {
  th_graph th;
  reducemean_opset13(1, 1, &th);
  CHECK_DIMS(th.out[0], 2, 1, 2);
  float want[4];
  mean_axis1(want);
  CHECK_FLOATS(want, (float *)th.out[0].data, 4, 1e-6, 1e-6);
  th_free(&th);
}

TEST(test_reducemean_no_keepdims_negative_axis) {
  th_graph th;
  reducemean_opset13(-2, 0, &th);
  CHECK_DIMS(th.out[0], 2, 2);
  float want[4];
  mean_axis1(want);
  CHECK_FLOATS(want, (float *)th.out[0].data, 4, 1e-6, 1e-6);
  th_free(&th);
}

TEST(test_reducemean_opset18_axes_input) {
  int64_t d[3] = {2, 3, 2}, two[1] = {2}, axes[2] = {0, 2};
  th_tensor in[2] = {th_f32(3, d, g_x232), th_const(th_i64(1, two, axes))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_REDUCEMEAN, 2, in, 1));
  REQUIRE_OK(ir_node_set_int(th.node, "keepdims", 0));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 3);
  float want[3];
  for (int b = 0; b < 3; b++)
    want[b] = (g_x232[b * 2] + g_x232[b * 2 + 1] + g_x232[6 + b * 2] + g_x232[6 + b * 2 + 1]) / 4;
  CHECK_FLOATS(want, (float *)th.out[0].data, 3, 1e-6, 1e-6);
  th_free(&th);
}

TEST(test_reducemean_empty_axes_reduce_all) {
  int64_t d[3] = {2, 3, 2};
  th_tensor in[1] = {th_f32(3, d, g_x232)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_REDUCEMEAN, 1, in, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 1, 1, 1);
  CHECK_NEAR(5.5, ((float *)th.out[0].data)[0], 1e-6);
  th_free(&th);
}

TEST(test_reducemean_noop_with_empty_axes) {
  int64_t d[3] = {2, 3, 2};
  th_tensor in[1] = {th_f32(3, d, g_x232)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_REDUCEMEAN, 1, in, 1));
  REQUIRE_OK(ir_node_set_int(th.node, "noop_with_empty_axes", 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 2, 3, 2);
  CHECK_FLOATS(g_x232, (float *)th.out[0].data, 12, 0, 0);
  th_free(&th);
}

/* ----------------------------------------------------------- Softmax -- */

/* Naive softmax of n values spaced by stride. */
static void naive_softmax(const float *x, float *y, int n, int stride) {
  double mx = -INFINITY, s = 0;
  for (int k = 0; k < n; k++)
    mx = fmax(mx, x[k * stride]);
  for (int k = 0; k < n; k++)
    s += exp(x[k * stride] - mx);
  for (int k = 0; k < n; k++)
    y[k * stride] = (float)(exp(x[k * stride] - mx) / s);
}

static void softmax_run(int opset, const int64_t *axis, th_graph *th) {
  int64_t d[3] = {2, 3, 2};
  th_tensor in[1] = {th_f32(3, d, g_x232)};
  REQUIRE_OK(th_create(th, IR_OP_SOFTMAX, 1, in, 1));
  th->node->opset = opset;
  if (axis) REQUIRE_OK(ir_node_set_int(th->node, "axis", *axis));
  REQUIRE_OK(th_run(th));
}

TEST(test_softmax_opset11_flattens_trailing_dims) {
  /* axis=1 default: each of the 2 rows of 6 values sums to 1 */
  th_graph th;
  softmax_run(11, NULL, &th);
  float want[12];
  for (int r = 0; r < 2; r++)
    naive_softmax(g_x232 + r * 6, want + r * 6, 6, 1);
  CHECK_DIMS(th.out[0], 2, 3, 2);
  CHECK_FLOATS(want, (float *)th.out[0].data, 12, 1e-7, 1e-5);
  th_free(&th);
}

TEST(test_softmax_opset13_default_last_axis) {
  th_graph th;
  softmax_run(13, NULL, &th);
  float want[12];
  for (int r = 0; r < 6; r++)
    naive_softmax(g_x232 + r * 2, want + r * 2, 2, 1);
  CHECK_FLOATS(want, (float *)th.out[0].data, 12, 1e-7, 1e-5);
  th_free(&th);
}

TEST(test_softmax_opset13_axis1_single_axis) {
  int64_t axis = 1;
  th_graph th;
  softmax_run(13, &axis, &th);
  float want[12];
  for (int a = 0; a < 2; a++)
    for (int c = 0; c < 2; c++)
      naive_softmax(g_x232 + a * 6 + c, want + a * 6 + c, 3, 2);
  CHECK_FLOATS(want, (float *)th.out[0].data, 12, 1e-7, 1e-5);
  th_free(&th);
}

TEST(test_softmax_large_values_stay_finite) {
  int64_t d[1] = {2};
  float x[2] = {1000, 1001};
  th_tensor in[1] = {th_f32(1, d, x)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SOFTMAX, 1, in, 1));
  REQUIRE_OK(th_run(&th));
  float want[2] = {(float)(1 / (1 + exp(1.0))), (float)(exp(1.0) / (1 + exp(1.0)))};
  CHECK_FLOATS(want, (float *)th.out[0].data, 2, 1e-7, 1e-5);
  th_free(&th);
}

/* ---------------------------------------------------------- Constant -- */

TEST(test_constant_value_tensor) {
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CONSTANT, 0, NULL, 1));
  int64_t d[2] = {2, 2};
  float *v = malloc(4 * sizeof *v);
  REQUIRE(v);
  for (int i = 0; i < 4; i++)
    v[i] = (float)i + 0.5f;
  int t;
  REQUIRE_OK(ir_graph_add_constant(th.g, "cval", IR_F32, 2, d, v, &t));
  REQUIRE_OK(ir_node_set_tensor(th.node, "value", t));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 2, 2);
  float want[4] = {0.5f, 1.5f, 2.5f, 3.5f};
  CHECK_FLOATS(want, (float *)th.out[0].data, 4, 0, 0);
  th_free(&th);
}

TEST(test_constant_value_ints) {
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CONSTANT, 0, NULL, 1));
  int64_t v[3] = {1, -1, 5};
  REQUIRE_OK(ir_node_set_ints(th.node, "value_ints", v, 3));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 3);
  check_i64s(v, &th.out[0], 3);
  th_free(&th);
}

TEST(test_constant_value_float_is_scalar) {
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CONSTANT, 0, NULL, 1));
  REQUIRE_OK(ir_node_set_float(th.node, "value_float", 2.25f));
  REQUIRE_OK(th_run(&th));
  CHECK_INT(0, th.out[0].ndim);
  CHECK_INT(IR_F32, th.out[0].dtype);
  CHECK_NEAR(2.25, ((float *)th.out[0].data)[0], 0);
  th_free(&th);
}

TEST(test_constant_value_floats_and_int) {
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CONSTANT, 0, NULL, 1));
  float f[2] = {1.5f, -2};
  REQUIRE_OK(ir_node_set_floats(th.node, "value_floats", f, 2));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 2);
  CHECK_FLOATS(f, (float *)th.out[0].data, 2, 0, 0);
  th_free(&th);
  REQUIRE_OK(th_create(&th, IR_OP_CONSTANT, 0, NULL, 1));
  REQUIRE_OK(ir_node_set_int(th.node, "value_int", -9));
  REQUIRE_OK(th_run(&th));
  CHECK_INT(0, th.out[0].ndim);
  CHECK_INT(IR_I64, th.out[0].dtype);
  CHECK_INT(-9, ((int64_t *)th.out[0].data)[0]);
  th_free(&th);
}

/* ------------------------------------------------------------- Shape -- */

TEST(test_shape_of_input) {
  int64_t d[4] = {1, 3, 5, 7};
  th_tensor in[1] = {th_f32(4, d, g_x232)}; /* data is never read */
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SHAPE, 1, in, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 4);
  check_i64s(d, &th.out[0], 4);
  th_free(&th);
}

TEST(test_shape_opset15_start_end) {
  int64_t d[4] = {1, 3, 5, 7};
  th_tensor in[1] = {th_f32(4, d, g_x232)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SHAPE, 1, in, 1));
  REQUIRE_OK(ir_node_set_int(th.node, "start", 1));
  REQUIRE_OK(ir_node_set_int(th.node, "end", -1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 2);
  int64_t want[2] = {3, 5};
  check_i64s(want, &th.out[0], 2);
  th_free(&th);
}

TEST(test_shape_start_clamped_end_before_start_is_empty) {
  int64_t d[2] = {4, 6};
  th_tensor in[1] = {th_f32(2, d, g_x232)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_SHAPE, 1, in, 1));
  REQUIRE_OK(ir_node_set_int(th.node, "start", -10));
  REQUIRE_OK(th_run(&th));
  int64_t want[2] = {4, 6};
  CHECK_DIMS(th.out[0], 2);
  check_i64s(want, &th.out[0], 2);
  th_free(&th);
  REQUIRE_OK(th_create(&th, IR_OP_SHAPE, 1, in, 1));
  REQUIRE_OK(ir_node_set_int(th.node, "start", 2));
  REQUIRE_OK(ir_node_set_int(th.node, "end", 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 0);
  th_free(&th);
}

/* -------------------------------------------------------------- Cast -- */

TEST(test_cast_float_to_int64_truncates) {
  int64_t d[1] = {4};
  float x[4] = {2.7f, -2.7f, 0.0f, 1e6f};
  th_tensor in[1] = {th_f32(1, d, x)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CAST, 1, in, 1));
  REQUIRE_OK(ir_node_set_int(th.node, "to", 7));
  REQUIRE_OK(th_run(&th));
  int64_t want[4] = {2, -2, 0, 1000000};
  check_i64s(want, &th.out[0], 4);
  th_free(&th);
}

TEST(test_cast_int64_to_float) {
  int64_t d[1] = {2}, x[2] = {-3, 16777216};
  th_tensor in[1] = {th_const(th_i64(1, d, x))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CAST, 1, in, 1));
  REQUIRE_OK(ir_node_set_int(th.node, "to", 1));
  REQUIRE_OK(th_run(&th));
  CHECK_INT(IR_F32, th.out[0].dtype);
  float want[2] = {-3, 16777216.0f};
  CHECK_FLOATS(want, (float *)th.out[0].data, 2, 0, 0);
  th_free(&th);
}

TEST(test_cast_unsupported_target_names_type) {
  int64_t d[1] = {1};
  float x[1] = {1};
  th_tensor in[1] = {th_f32(1, d, x)};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CAST, 1, in, 1));
  REQUIRE_OK(ir_node_set_int(th.node, "to", 6));
  CHECK(th_run(&th) == DLF_ERR_UNSUPPORTED);
  CHECK(strstr(dlf_last_error(), "to INT32 (type 6) is not supported") != NULL);
  CHECK(strstr(dlf_last_error(), "(Cast)") != NULL);
  th_free(&th);
}

/* --------------------------------------------------- ConstantOfShape -- */

TEST(test_constantofshape_default_float_zero) {
  int64_t d[1] = {2}, shape[2] = {2, 3};
  th_tensor in[1] = {th_const(th_i64(1, d, shape))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CONSTANTOFSHAPE, 1, in, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 2, 3);
  CHECK_INT(IR_F32, th.out[0].dtype);
  float want[6] = {0};
  CHECK_FLOATS(want, (float *)th.out[0].data, 6, 0, 0);
  th_free(&th);
}

TEST(test_constantofshape_int64_value) {
  int64_t d[1] = {1}, shape[1] = {3};
  th_tensor in[1] = {th_const(th_i64(1, d, shape))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CONSTANTOFSHAPE, 1, in, 1));
  int64_t *v = malloc(sizeof *v);
  REQUIRE(v);
  *v = 7;
  int t;
  REQUIRE_OK(ir_graph_add_constant(th.g, "fill", IR_I64, 1, d, v, &t));
  REQUIRE_OK(ir_node_set_tensor(th.node, "value", t));
  REQUIRE_OK(th_run(&th));
  CHECK_DIMS(th.out[0], 3);
  int64_t want[3] = {7, 7, 7};
  check_i64s(want, &th.out[0], 3);
  th_free(&th);
}

TEST(test_constantofshape_negative_dim_fails) {
  int64_t d[1] = {2}, shape[2] = {2, -1};
  th_tensor in[1] = {th_const(th_i64(1, d, shape))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CONSTANTOFSHAPE, 1, in, 1));
  CHECK(th_run(&th) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "shape dim 1 is -1") != NULL);
  th_free(&th);
}

/* -------------------------------------------------- constant folding -- */

static int64_t *i64_dup(const int64_t *v, int n) {
  int64_t *p = malloc((size_t)n * sizeof *p);
  if (p) memcpy(p, v, (size_t)n * sizeof *p);
  return p;
}

/* X(1x3x4x4) → Shape → Gather(0) → Unsqueeze([0]) → Concat(·, [-1]) → Reshape(X, ·) */
TEST(test_fold_shape_gather_unsqueeze_concat_reshape_chain) {
  ir_graph *g;
  REQUIRE_OK(ir_graph_create("chain", &g));
  int64_t dx[4] = {1, 3, 4, 4}, one[1] = {1}, zero = 0, minus1 = -1;
  int x, shp, idx, gth, axes, uns, c1, cat, y;
  REQUIRE_OK(ir_graph_add_tensor(g, "x", IR_F32, 4, dx, &x));
  g->inputs = malloc(sizeof(int));
  REQUIRE(g->inputs);
  g->inputs[0] = x;
  g->n_inputs = 1;
  REQUIRE_OK(ir_graph_add_tensor(g, "shp", IR_I64, 0, NULL, &shp));
  REQUIRE_OK(ir_graph_add_constant(g, "idx", IR_I64, 0, NULL, i64_dup(&zero, 1), &idx));
  REQUIRE_OK(ir_graph_add_tensor(g, "gth", IR_I64, 0, NULL, &gth));
  REQUIRE_OK(ir_graph_add_constant(g, "axes", IR_I64, 1, one, i64_dup(&zero, 1), &axes));
  REQUIRE_OK(ir_graph_add_tensor(g, "uns", IR_I64, 0, NULL, &uns));
  REQUIRE_OK(ir_graph_add_constant(g, "c1", IR_I64, 1, one, i64_dup(&minus1, 1), &c1));
  REQUIRE_OK(ir_graph_add_tensor(g, "cat", IR_I64, 0, NULL, &cat));
  REQUIRE_OK(ir_graph_add_tensor(g, "y", IR_F32, 0, NULL, &y));
  int t_shp = shp, t_cat = cat;
  for (int t = shp; t < g->n_tensors; t++)
    if (!g->tensors[t].data) g->tensors[t].shape_known = false;
  int gin[2] = {shp, idx}, uin[2] = {gth, axes}, cin[2] = {uns, c1}, rin[2] = {x, cat};
  REQUIRE_OK(ir_graph_add_node(g, "shape", IR_OP_SHAPE, 1, &x, 1, &t_shp, NULL));
  REQUIRE_OK(ir_graph_add_node(g, "gather", IR_OP_GATHER, 2, gin, 1, &gth, NULL));
  REQUIRE_OK(ir_graph_add_node(g, "unsq", IR_OP_UNSQUEEZE, 2, uin, 1, &uns, NULL));
  int ci;
  REQUIRE_OK(ir_graph_add_node(g, "concat", IR_OP_CONCAT, 2, cin, 1, &t_cat, &ci));
  REQUIRE_OK(ir_node_set_int(&g->nodes[ci], "axis", 0));
  REQUIRE_OK(ir_graph_add_node(g, "reshape", IR_OP_RESHAPE, 2, rin, 1, &y, NULL));
  g->outputs = malloc(sizeof(int));
  REQUIRE(g->outputs);
  g->outputs[0] = y;
  g->n_outputs = 1;

  REQUIRE_OK(ir_graph_toposort(g));
  REQUIRE_OK(ir_graph_validate(g));
  REQUIRE_OK(ir_graph_infer_shapes(g));
  const ir_tensor *tc = &g->tensors[cat];
  REQUIRE(tc->data != NULL);
  CHECK_INT(1, tc->ndim);
  CHECK_INT(2, tc->dims[0]);
  CHECK_INT(1, ((int64_t *)tc->data)[0]);
  CHECK_INT(-1, ((int64_t *)tc->data)[1]);
  const ir_tensor *ty = &g->tensors[y];
  CHECK_INT(2, ty->ndim);
  CHECK_INT(1, ty->dims[0]);
  CHECK_INT(48, ty->dims[1]);
  int live = 0;
  for (int i = 0; i < g->n_nodes; i++)
    live += !g->nodes[i].dead;
  CHECK_INT(1, live); /* only the Reshape is left to run */

  /* and the remaining graph runs: Reshape keeps the data */
  REQUIRE_OK(ir_graph_toposort(g));
  float xin[48], yout[48];
  for (int i = 0; i < 48; i++)
    xin[i] = (float)i * 0.5f;
  ir_ref_exec *ex;
  REQUIRE_OK(ir_ref_exec_create(g, &ex));
  const void *ins[1] = {xin};
  void *outs[1] = {yout};
  CHECK_OK(ir_ref_exec_run(ex, ins, outs));
  ir_ref_exec_free(ex);
  CHECK_FLOATS(xin, yout, 48, 0, 0);
  ir_graph_free(g);
}
