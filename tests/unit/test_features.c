/* test_features.c — per-layer features (ir_layer_features) checked against
 * hand-computed MACs, parameter counts, bytes and intensity. Shapes are
 * given directly, so these tests need no shape inference. */
#include <stdlib.h>
#include <string.h>

#include "ir/features.h"
#include "test.h"

/* A tensor with a known shape; a constant (zero-filled) when is_const. */
static int tensor(ir_graph *g, const char *name, int ndim, const int64_t *dims, int is_const) {
  int idx = -1;
  if (is_const) {
    int64_t n = 1;
    for (int d = 0; d < ndim; d++)
      n *= dims[d];
    if (ir_graph_add_constant(g, name, IR_F32, ndim, dims, calloc((size_t)n, sizeof(float)),
                              &idx) != DLF_OK)
      return -1;
  } else if (ir_graph_add_tensor(g, name, IR_F32, ndim, dims, &idx) != DLF_OK) {
    return -1;
  }
  return idx;
}

TEST(test_features_conv_stride2_counts) {
  /* x[1,3,8,8] * W[16,3,3,3] + B[16], stride 2, pads 1 -> y[1,16,4,4] */
  ir_graph *g;
  REQUIRE_OK(ir_graph_create("t", &g));
  int64_t xd[4] = {1, 3, 8, 8}, wd[4] = {16, 3, 3, 3}, bd[1] = {16}, yd[4] = {1, 16, 4, 4};
  int in[3] = {tensor(g, "x", 4, xd, 0), tensor(g, "W", 4, wd, 1), tensor(g, "B", 1, bd, 1)};
  int y = tensor(g, "y", 4, yd, 0);
  int idx;
  REQUIRE_OK(ir_graph_add_node(g, "conv", IR_OP_CONV, 3, in, 1, &y, &idx));
  int64_t s[2] = {2, 2};
  REQUIRE_OK(ir_node_set_ints(&g->nodes[idx], "strides", s, 2));
  dlf_layer_info li;
  REQUIRE_OK(ir_layer_features(g, idx, &li));
  CHECK(strcmp(li.op, "Conv") == 0);
  CHECK(strcmp(li.name, "conv") == 0);
  CHECK(strcmp(li.epilogue, "") == 0);
  CHECK_INT(4, li.ndim_in);
  CHECK_INT(8, li.in_dims[3]);
  CHECK_INT(4, li.ndim_out);
  CHECK_INT(16, li.out_dims[1]);
  CHECK_INT(3, li.kernel_h);
  CHECK_INT(3, li.kernel_w);
  CHECK_INT(2, li.stride_h);
  CHECK_INT(2, li.stride_w);
  CHECK_INT(1, li.groups);
  CHECK_INT(3, li.in_channels);
  CHECK_INT(16, li.out_channels);
  CHECK_INT(1 * 16 * 4 * 4 * 3 * 3 * 3, li.macs); /* 6912 */
  CHECK_INT(16 * 27 + 16, li.params);             /* 448 */
  CHECK_INT(448 * 4, li.weight_bytes);
  CHECK_INT(3 * 64 * 4, li.act_in_bytes);
  CHECK_INT(16 * 16 * 4, li.act_out_bytes);
  CHECK_NEAR(2.0 * 6912 / (1792 + 768 + 1024), li.intensity, 1e-12);
  ir_graph_free(g);
}

TEST(test_features_depthwise_conv_macs_use_channels_per_group) {
  /* x[2,8,6,6] * W[8,1,3,3], group 8 -> y[2,8,6,6] */
  ir_graph *g;
  REQUIRE_OK(ir_graph_create("t", &g));
  int64_t xd[4] = {2, 8, 6, 6}, wd[4] = {8, 1, 3, 3};
  int in[2] = {tensor(g, "x", 4, xd, 0), tensor(g, "W", 4, wd, 1)};
  int y = tensor(g, "y", 4, xd, 0);
  int idx;
  REQUIRE_OK(ir_graph_add_node(g, "dw", IR_OP_CONV, 2, in, 1, &y, &idx));
  REQUIRE_OK(ir_node_set_int(&g->nodes[idx], "group", 8));
  dlf_layer_info li;
  REQUIRE_OK(ir_layer_features(g, idx, &li));
  CHECK_INT(8, li.groups);
  CHECK_INT(2 * 8 * 36 * 1 * 9, li.macs);
  CHECK_INT(72, li.params);
  ir_graph_free(g);
}

TEST(test_features_residual_epilogue_and_bytes) {
  /* conv with residual r and relu: epilogue "add+relu", r counted as input */
  ir_graph *g;
  REQUIRE_OK(ir_graph_create("t", &g));
  int64_t xd[4] = {1, 4, 5, 5}, wd[4] = {4, 4, 1, 1};
  int in[2] = {tensor(g, "x", 4, xd, 0), tensor(g, "W", 4, wd, 1)};
  int r = tensor(g, "r", 4, xd, 0);
  int y = tensor(g, "y", 4, xd, 0);
  int idx;
  REQUIRE_OK(ir_graph_add_node(g, "conv", IR_OP_CONV, 2, in, 1, &y, &idx));
  g->nodes[idx].residual = r;
  g->nodes[idx].act = IR_ACT_RELU;
  dlf_layer_info li;
  REQUIRE_OK(ir_layer_features(g, idx, &li));
  CHECK(strcmp(li.epilogue, "add+relu") == 0);
  CHECK_INT(2 * 100 * 4, li.act_in_bytes);
  CHECK_INT(100 * 4, li.act_out_bytes);
  CHECK_INT(1, li.kernel_h);
  CHECK_INT(100 * 4, li.macs);
  g->nodes[idx].residual = -1;
  g->nodes[idx].act = IR_ACT_CLIP;
  REQUIRE_OK(ir_layer_features(g, idx, &li));
  CHECK(strcmp(li.epilogue, "clip") == 0);
  ir_graph_free(g);
}

TEST(test_features_gemm_transb_k_and_n) {
  /* A[4,10] x B^T (B[6,10]) + C[6] -> y[4,6]: K = 10, N = 6 */
  ir_graph *g;
  REQUIRE_OK(ir_graph_create("t", &g));
  int64_t ad[2] = {4, 10}, bd[2] = {6, 10}, cd[1] = {6}, yd[2] = {4, 6};
  int in[3] = {tensor(g, "a", 2, ad, 0), tensor(g, "B", 2, bd, 1), tensor(g, "C", 1, cd, 1)};
  int y = tensor(g, "y", 2, yd, 0);
  int idx;
  REQUIRE_OK(ir_graph_add_node(g, "fc", IR_OP_GEMM, 3, in, 1, &y, &idx));
  REQUIRE_OK(ir_node_set_int(&g->nodes[idx], "transB", 1));
  dlf_layer_info li;
  REQUIRE_OK(ir_layer_features(g, idx, &li));
  CHECK_INT(10, li.in_channels);
  CHECK_INT(6, li.out_channels);
  CHECK_INT(4 * 6 * 10, li.macs);
  CHECK_INT(66, li.params);
  CHECK_INT(0, li.kernel_h);
  CHECK_INT(0, li.groups);
  ir_graph_free(g);
}

TEST(test_features_batched_matmul_macs) {
  /* A[2,3,4] x B[4,5] -> y[2,3,5]: batch*M*N*K = 2*3*5*4 */
  ir_graph *g;
  REQUIRE_OK(ir_graph_create("t", &g));
  int64_t ad[3] = {2, 3, 4}, bd[2] = {4, 5}, yd[3] = {2, 3, 5};
  int in[2] = {tensor(g, "a", 3, ad, 0), tensor(g, "B", 2, bd, 1)};
  int y = tensor(g, "y", 3, yd, 0);
  int idx;
  REQUIRE_OK(ir_graph_add_node(g, "mm", IR_OP_MATMUL, 2, in, 1, &y, &idx));
  dlf_layer_info li;
  REQUIRE_OK(ir_layer_features(g, idx, &li));
  CHECK_INT(120, li.macs);
  CHECK_INT(20, li.params);
  ir_graph_free(g);
}

TEST(test_features_maxpool_window_and_no_macs) {
  ir_graph *g;
  REQUIRE_OK(ir_graph_create("t", &g));
  int64_t xd[4] = {1, 8, 9, 9}, yd[4] = {1, 8, 4, 4};
  int x = tensor(g, "x", 4, xd, 0), y = tensor(g, "y", 4, yd, 0);
  int idx;
  REQUIRE_OK(ir_graph_add_node(g, "pool", IR_OP_MAXPOOL, 1, &x, 1, &y, &idx));
  int64_t k[2] = {3, 3}, s[2] = {2, 2};
  REQUIRE_OK(ir_node_set_ints(&g->nodes[idx], "kernel_shape", k, 2));
  REQUIRE_OK(ir_node_set_ints(&g->nodes[idx], "strides", s, 2));
  dlf_layer_info li;
  REQUIRE_OK(ir_layer_features(g, idx, &li));
  CHECK_INT(3, li.kernel_h);
  CHECK_INT(3, li.kernel_w);
  CHECK_INT(2, li.stride_h);
  CHECK_INT(0, li.macs);
  CHECK_INT(0, li.params);
  CHECK_INT(8, li.in_channels);
  CHECK_INT(0.0, li.intensity);
  ir_graph_free(g);
}

TEST(test_features_index_out_of_range_fails) {
  ir_graph *g;
  REQUIRE_OK(ir_graph_create("t", &g));
  dlf_layer_info li;
  CHECK(ir_layer_features(g, 0, &li) == DLF_ERR_INVALID_ARG);
  ir_graph_free(g);
}
