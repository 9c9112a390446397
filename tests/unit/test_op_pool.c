/* test_op_pool.c — MaxPool / AveragePool / global pools: output sizes
 * (pads, strides, dilations, ceil_mode) and hand-computed values. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"
#include "test.h"

typedef struct pool_attrs {
  int nsp;
  int64_t k[3], s[3], d[3], pads[6];
  int has_s, has_d, has_pads, ceil_mode, count_include_pad;
  const char *auto_pad;
} pool_attrs;

/* Run one pool over x (dims xd), expect output dims yd and values expect. */
static void run_pool(ir_op op, int ndim, const int64_t *xd, const float *x, pool_attrs a,
                     const int64_t *yd, const float *expect) {
  th_tensor in[1] = {th_f32(ndim, xd, x)};
  th_graph th;
  REQUIRE_OK(th_create(&th, op, 1, in, 1));
  ir_node *n = th.node;
  if (a.nsp) CHECK_OK(ir_node_set_ints(n, "kernel_shape", a.k, a.nsp));
  if (a.has_s) CHECK_OK(ir_node_set_ints(n, "strides", a.s, a.nsp));
  if (a.has_d) CHECK_OK(ir_node_set_ints(n, "dilations", a.d, a.nsp));
  if (a.has_pads) CHECK_OK(ir_node_set_ints(n, "pads", a.pads, 2 * a.nsp));
  if (a.ceil_mode) CHECK_OK(ir_node_set_int(n, "ceil_mode", 1));
  if (a.count_include_pad) CHECK_OK(ir_node_set_int(n, "count_include_pad", 1));
  if (a.auto_pad) CHECK_OK(ir_node_set_string(n, "auto_pad", a.auto_pad));
  dlf_status st = th_run(&th);
  CHECK_OK(st);
  if (st == DLF_OK) {
    CHECK_INT(ndim, th.out[0].ndim);
    int64_t count = 1;
    bool same = th.out[0].ndim == ndim;
    for (int i = 0; i < ndim; i++) {
      CHECK_INT(yd[i], th.out[0].dims[i]);
      same = same && yd[i] == th.out[0].dims[i];
      count *= yd[i];
    }
    if (same) CHECK_FLOATS(expect, (const float *)th.out[0].data, count, 1e-6, 1e-6);
  }
  th_free(&th);
}

static float g_iota[64];
static const float *iota(int from) {
  for (int i = 0; i < 64; i++)
    g_iota[i] = (float)(from + i);
  return g_iota;
}

TEST(test_maxpool_2x2_stride_2) {
  /* 4x4 of 0..15 → max of each 2x2 block */
  int64_t xd[4] = {1, 1, 4, 4}, yd[4] = {1, 1, 2, 2};
  const float expect[4] = {5, 7, 13, 15};
  run_pool(IR_OP_MAXPOOL, 4, xd, iota(0),
           (pool_attrs){.nsp = 2, .k = {2, 2}, .s = {2, 2}, .has_s = 1}, yd, expect);
}

TEST(test_maxpool_ceil_mode_keeps_partial_window) {
  /* 5x5 of 0..24, k2 s2: floor gives 2x2, ceil 3x3 with 1-wide last windows */
  int64_t xd[4] = {1, 1, 5, 5}, yd[4] = {1, 1, 3, 3};
  const float expect[9] = {6, 8, 9, 16, 18, 19, 21, 23, 24};
  run_pool(IR_OP_MAXPOOL, 4, xd, iota(0),
           (pool_attrs){.nsp = 2, .k = {2, 2}, .s = {2, 2}, .has_s = 1, .ceil_mode = 1}, yd,
           expect);
}

TEST(test_maxpool_floor_mode_drops_partial_window) {
  int64_t xd[4] = {1, 1, 5, 5}, yd[4] = {1, 1, 2, 2};
  const float expect[4] = {6, 8, 16, 18};
  run_pool(IR_OP_MAXPOOL, 4, xd, iota(0),
           (pool_attrs){.nsp = 2, .k = {2, 2}, .s = {2, 2}, .has_s = 1}, yd, expect);
}

TEST(test_maxpool_ceil_mode_window_starting_in_right_pad_is_dropped) {
  /* in 5, pads 1/1, k2 s2: ceil((7-2)/2)+1 = 4, but window 4 would start at
   * 3*2-1 = 5, inside the right padding only → 3 outputs (PyTorch: [1 3 5]). */
  int64_t xd[3] = {1, 1, 5}, yd[3] = {1, 1, 3};
  const float expect[3] = {1, 3, 5};
  run_pool(
      IR_OP_MAXPOOL, 3, xd, iota(1),
      (pool_attrs){
          .nsp = 1, .k = {2}, .s = {2}, .has_s = 1, .pads = {1, 1}, .has_pads = 1, .ceil_mode = 1},
      yd, expect);
}

TEST(test_maxpool_dilations) {
  /* k2 dilation 2 → window {i, i+2}: max(x0,x2), max(x1,x3), ... */
  const float x[6] = {1, 5, 2, 4, 3, 0}, expect[4] = {2, 5, 3, 4};
  int64_t xd[3] = {1, 1, 6}, yd[3] = {1, 1, 4};
  run_pool(IR_OP_MAXPOOL, 3, xd, x, (pool_attrs){.nsp = 1, .k = {2}, .d = {2}, .has_d = 1}, yd,
           expect);
}

TEST(test_maxpool_pads_are_not_values) {
  /* all-negative input with pads: padding must not contribute 0 */
  const float x[4] = {-1, -2, -3, -4}, expect[9] = {-1, -1, -2, -1, -1, -2, -3, -3, -4};
  int64_t xd[4] = {1, 1, 2, 2}, yd[4] = {1, 1, 3, 3};
  run_pool(IR_OP_MAXPOOL, 4, xd, x,
           (pool_attrs){.nsp = 2, .k = {2, 2}, .pads = {1, 1, 1, 1}, .has_pads = 1}, yd, expect);
}

TEST(test_maxpool_auto_pad_same_upper) {
  /* in 5, k 2, s 2 → out 3, total pad 1 at the end: [max(1,2) max(3,4) 5] */
  int64_t xd[3] = {1, 1, 5}, yd[3] = {1, 1, 3};
  const float expect[3] = {2, 4, 5};
  run_pool(IR_OP_MAXPOOL, 3, xd, iota(1),
           (pool_attrs){.nsp = 1, .k = {2}, .s = {2}, .has_s = 1, .auto_pad = "SAME_UPPER"}, yd,
           expect);
}

TEST(test_maxpool_3d) {
  /* 2x2x2 of 0..7 with k 2x2x1 → [max(0,2,4,6), max(1,3,5,7)] */
  int64_t xd[5] = {1, 1, 2, 2, 2}, yd[5] = {1, 1, 1, 1, 2};
  const float expect[2] = {6, 7};
  run_pool(IR_OP_MAXPOOL, 5, xd, iota(0), (pool_attrs){.nsp = 3, .k = {2, 2, 1}}, yd, expect);
}

TEST(test_maxpool_multiple_channels_and_batch) {
  /* N=2, C=2, 1-D length 2, k2: each plane's max is its second value */
  int64_t xd[3] = {2, 2, 2}, yd[3] = {2, 2, 1};
  const float expect[4] = {1, 3, 5, 7};
  run_pool(IR_OP_MAXPOOL, 3, xd, iota(0), (pool_attrs){.nsp = 1, .k = {2}}, yd, expect);
}

TEST(test_avgpool_2x2) {
  int64_t xd[4] = {1, 1, 4, 4}, yd[4] = {1, 1, 2, 2};
  const float expect[4] = {2.5f, 4.5f, 10.5f, 12.5f};
  run_pool(IR_OP_AVERAGEPOOL, 4, xd, iota(0),
           (pool_attrs){.nsp = 2, .k = {2, 2}, .s = {2, 2}, .has_s = 1}, yd, expect);
}

TEST(test_avgpool_pads_exclude_pad_by_default) {
  /* x = [1 2 3], k2 s1 pads 1/1: [1, 1.5, 2.5, 3] (pads not counted) */
  int64_t xd[3] = {1, 1, 3}, yd[3] = {1, 1, 4};
  const float expect[4] = {1, 1.5f, 2.5f, 3};
  run_pool(IR_OP_AVERAGEPOOL, 3, xd, iota(1),
           (pool_attrs){.nsp = 1, .k = {2}, .pads = {1, 1}, .has_pads = 1}, yd, expect);
}

TEST(test_avgpool_count_include_pad) {
  /* same, counting pads: [0.5, 1.5, 2.5, 1.5] */
  int64_t xd[3] = {1, 1, 3}, yd[3] = {1, 1, 4};
  const float expect[4] = {0.5f, 1.5f, 2.5f, 1.5f};
  run_pool(IR_OP_AVERAGEPOOL, 3, xd, iota(1),
           (pool_attrs){.nsp = 1, .k = {2}, .pads = {1, 1}, .has_pads = 1, .count_include_pad = 1},
           yd, expect);
}

TEST(test_avgpool_ceil_mode_count_include_pad_excludes_overhang) {
  /* x = 1..6, k3 s2 pads 1/1, ceil: 4 windows starting at -1, 1, 3, 5; the
   * last covers x[5], one pad and one position beyond the padded input:
   * divisor 2 (PyTorch gives [1 3 5 3]). */
  int64_t xd[3] = {1, 1, 6}, yd[3] = {1, 1, 4};
  const float expect[4] = {1, 3, 5, 3};
  run_pool(IR_OP_AVERAGEPOOL, 3, xd, iota(1),
           (pool_attrs){.nsp = 1,
                        .k = {3},
                        .s = {2},
                        .has_s = 1,
                        .pads = {1, 1},
                        .has_pads = 1,
                        .ceil_mode = 1,
                        .count_include_pad = 1},
           yd, expect);
}

TEST(test_avgpool_ceil_mode_exclude_pad) {
  /* same windows, only real elements counted: [1.5 3 5 6] */
  int64_t xd[3] = {1, 1, 6}, yd[3] = {1, 1, 4};
  const float expect[4] = {1.5f, 3, 5, 6};
  run_pool(
      IR_OP_AVERAGEPOOL, 3, xd, iota(1),
      (pool_attrs){
          .nsp = 1, .k = {3}, .s = {2}, .has_s = 1, .pads = {1, 1}, .has_pads = 1, .ceil_mode = 1},
      yd, expect);
}

TEST(test_avgpool_asymmetric_pads) {
  /* x = 1..5, k3 s2 pads 1/0 (padded length 6 → 2 outputs), pads counted:
   * windows [pad 1 2] → 1, [2 3 4] → 3 */
  int64_t xd[3] = {1, 1, 5}, yd[3] = {1, 1, 2};
  const float expect[2] = {1, 3};
  run_pool(IR_OP_AVERAGEPOOL, 3, xd, iota(1),
           (pool_attrs){.nsp = 1,
                        .k = {3},
                        .s = {2},
                        .has_s = 1,
                        .pads = {1, 0},
                        .has_pads = 1,
                        .count_include_pad = 1},
           yd, expect);
}

TEST(test_avgpool_dilations) {
  /* k2 dilation 2 over 1..5: [(1+3)/2, (2+4)/2, (3+5)/2] */
  int64_t xd[3] = {1, 1, 5}, yd[3] = {1, 1, 3};
  const float expect[3] = {2, 3, 4};
  run_pool(IR_OP_AVERAGEPOOL, 3, xd, iota(1),
           (pool_attrs){.nsp = 1, .k = {2}, .d = {2}, .has_d = 1}, yd, expect);
}

TEST(test_global_average_pool) {
  /* C=2 planes of 2x2: 0..3 → 1.5, 4..7 → 5.5 */
  int64_t xd[4] = {1, 2, 2, 2}, yd[4] = {1, 2, 1, 1};
  const float expect[2] = {1.5f, 5.5f};
  run_pool(IR_OP_GLOBALAVERAGEPOOL, 4, xd, iota(0), (pool_attrs){0}, yd, expect);
}

TEST(test_global_max_pool) {
  const float x[8] = {3, -1, 7, 2, -5, -6, -2, -9}, expect[2] = {7, -2};
  int64_t xd[4] = {1, 2, 2, 2}, yd[4] = {1, 2, 1, 1};
  run_pool(IR_OP_GLOBALMAXPOOL, 4, xd, x, (pool_attrs){0}, yd, expect);
}

TEST(test_maxpool_error_indices_output_unsupported) {
  int64_t xd[4] = {1, 1, 4, 4}, k[2] = {2, 2};
  th_tensor in[1] = {th_f32(4, xd, iota(0))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_MAXPOOL, 1, in, 2));
  CHECK_OK(ir_node_set_ints(th.node, "kernel_shape", k, 2));
  CHECK(th_run(&th) == DLF_ERR_UNSUPPORTED);
  CHECK(strstr(dlf_last_error(), "Indices output of MaxPool is not supported") != NULL);
  th_free(&th);
}

TEST(test_maxpool_error_kernel_larger_than_input) {
  int64_t xd[4] = {1, 1, 2, 3}, k[2] = {3, 3};
  th_tensor in[1] = {th_f32(4, xd, iota(0))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_MAXPOOL, 1, in, 1));
  CHECK_OK(ir_node_set_ints(th.node, "kernel_shape", k, 2));
  CHECK(th_run(&th) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "kernel 3x3 larger than padded input 2x3") != NULL);
  th_free(&th);
}

TEST(test_maxpool_error_missing_kernel_shape) {
  int64_t xd[4] = {1, 1, 2, 3};
  th_tensor in[1] = {th_f32(4, xd, iota(0))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_MAXPOOL, 1, in, 1));
  CHECK(th_run(&th) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "kernel_shape is required") != NULL);
  th_free(&th);
}
