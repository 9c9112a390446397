/* test_op_conv.c — Conv shape inference and reference results against a
 * separate naive loop (2-D) or hand-computed values (1-D, 3-D), errors. */
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"
#include "test.h"

typedef struct conv_case {
  int64_t n, c, h, w, m, kh, kw, group;
  int64_t sh, sw, dh, dw;
  int64_t pt, pl, pb, pr; /* pads the naive loop uses (hand-derived for auto_pad) */
  const char *auto_pad;   /* NULL: pass pt/pl/pb/pr as the pads attribute */
  int bias;
  int64_t oh, ow; /* expected output size, hand-computed */
  ir_act act;
  float p0, p1;
  int residual;
} conv_case;

/* One output element at a time, straight from the definition. */
static void naive_conv2d(const conv_case *k, const float *x, const float *w, const float *b,
                         const float *r, float *y) {
  int64_t cg = k->c / k->group, mg = k->m / k->group;
  for (int64_t n = 0; n < k->n; n++)
    for (int64_t m = 0; m < k->m; m++)
      for (int64_t oh = 0; oh < k->oh; oh++)
        for (int64_t ow = 0; ow < k->ow; ow++) {
          float acc = b ? b[m] : 0.0f;
          for (int64_t ci = 0; ci < cg; ci++)
            for (int64_t i = 0; i < k->kh; i++)
              for (int64_t j = 0; j < k->kw; j++) {
                int64_t ih = oh * k->sh - k->pt + i * k->dh, iw = ow * k->sw - k->pl + j * k->dw;
                if (ih < 0 || ih >= k->h || iw < 0 || iw >= k->w) continue;
                int64_t c = (m / mg) * cg + ci;
                acc += x[((n * k->c + c) * k->h + ih) * k->w + iw] *
                       w[((m * cg + ci) * k->kh + i) * k->kw + j];
              }
          int64_t o = ((n * k->m + m) * k->oh + oh) * k->ow + ow;
          if (r) acc += r[o];
          if (k->act == IR_ACT_RELU) acc = acc < 0 ? 0 : acc;
          if (k->act == IR_ACT_CLIP) acc = acc < k->p0 ? k->p0 : acc > k->p1 ? k->p1 : acc;
          y[o] = acc;
        }
}

static void run_conv_case(conv_case k) {
  if (!k.group) k.group = 1;
  if (!k.sh) k.sh = k.sw = 1;
  if (!k.dh) k.dh = k.dw = 1;
  int64_t xd[4] = {k.n, k.c, k.h, k.w}, wd[4] = {k.m, k.c / k.group, k.kh, k.kw}, bd[1] = {k.m};
  int64_t xn = k.n * k.c * k.h * k.w, wn = wd[0] * wd[1] * k.kh * k.kw,
          yn = k.n * k.m * k.oh * k.ow;
  float *x = th_small_ints(1, xn, 3), *w = th_small_ints(2, wn, 2), *b = th_small_ints(3, k.m, 5);
  float *r = th_small_ints(4, yn, 4), *expect = malloc((size_t)yn * sizeof *expect);
  REQUIRE(x && w && b && r && expect);
  naive_conv2d(&k, x, w, k.bias ? b : NULL, k.residual ? r : NULL, expect);
  th_tensor in[3] = {th_f32(4, xd, x), th_const(th_f32(4, wd, w)), th_const(th_f32(1, bd, b))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CONV, k.bias ? 3 : 2, in, 1));
  ir_node *nd = th.node;
  int64_t v[4];
  v[0] = k.sh, v[1] = k.sw;
  CHECK_OK(ir_node_set_ints(nd, "strides", v, 2));
  v[0] = k.dh, v[1] = k.dw;
  CHECK_OK(ir_node_set_ints(nd, "dilations", v, 2));
  v[0] = k.kh, v[1] = k.kw;
  CHECK_OK(ir_node_set_ints(nd, "kernel_shape", v, 2));
  CHECK_OK(ir_node_set_int(nd, "group", k.group));
  if (k.auto_pad) {
    CHECK_OK(ir_node_set_string(nd, "auto_pad", k.auto_pad));
  } else {
    v[0] = k.pt, v[1] = k.pl, v[2] = k.pb, v[3] = k.pr;
    CHECK_OK(ir_node_set_ints(nd, "pads", v, 4));
  }
  nd->act = k.act;
  nd->act_p0 = k.p0;
  nd->act_p1 = k.p1;
  if (k.residual) {
    int64_t yd[4] = {k.n, k.m, k.oh, k.ow};
    float *rc = malloc((size_t)yn * sizeof *rc);
    REQUIRE(rc);
    memcpy(rc, r, (size_t)yn * sizeof *rc);
    int ri;
    REQUIRE_OK(ir_graph_add_constant(th.g, "residual", IR_F32, 4, yd, rc, &ri));
    th.node->residual = ri;
  }
  dlf_status st = th_run(&th);
  CHECK_OK(st);
  if (st == DLF_OK) {
    CHECK_INT(4, th.out[0].ndim);
    CHECK_INT(k.n, th.out[0].dims[0]);
    CHECK_INT(k.m, th.out[0].dims[1]);
    CHECK_INT(k.oh, th.out[0].dims[2]);
    CHECK_INT(k.ow, th.out[0].dims[3]);
    if (th.out[0].dims[2] == k.oh && th.out[0].dims[3] == k.ow)
      CHECK_FLOATS(expect, (const float *)th.out[0].data, yn, 0.0, 0.0);
  }
  th_free(&th);
  free(x), free(w), free(b), free(r), free(expect);
}

TEST(test_conv_3x3_no_pad) {
  run_conv_case(
      (conv_case){.n = 1, .c = 2, .h = 5, .w = 6, .m = 3, .kh = 3, .kw = 3, .oh = 3, .ow = 4});
}

TEST(test_conv_pads_asymmetric) {
  /* H: 5 + 1 + 0 - 3 + 1 = 4; W: 6 + 0 + 2 - 3 + 1 = 6 */
  run_conv_case((conv_case){.n = 1,
                            .c = 2,
                            .h = 5,
                            .w = 6,
                            .m = 2,
                            .kh = 3,
                            .kw = 3,
                            .pt = 1,
                            .pl = 0,
                            .pb = 0,
                            .pr = 2,
                            .oh = 4,
                            .ow = 6});
}

TEST(test_conv_strides) {
  /* H: (7 + 2 - 3) / 2 + 1 = 4; W: (8 + 2 - 3) / 3 + 1 = 3 */
  run_conv_case((conv_case){.n = 1,
                            .c = 3,
                            .h = 7,
                            .w = 8,
                            .m = 2,
                            .kh = 3,
                            .kw = 3,
                            .sh = 2,
                            .sw = 3,
                            .pt = 1,
                            .pl = 1,
                            .pb = 1,
                            .pr = 1,
                            .oh = 4,
                            .ow = 3});
}

TEST(test_conv_dilations) {
  /* dilation 2 makes the 3x3 kernel span 5x5: H: 8 - 5 + 1 = 4, W: 7 - 5 + 1 = 3 */
  run_conv_case((conv_case){.n = 1,
                            .c = 2,
                            .h = 8,
                            .w = 7,
                            .m = 2,
                            .kh = 3,
                            .kw = 3,
                            .dh = 2,
                            .dw = 2,
                            .oh = 4,
                            .ow = 3});
}

TEST(test_conv_groups) {
  run_conv_case((conv_case){.n = 1,
                            .c = 4,
                            .h = 5,
                            .w = 5,
                            .m = 6,
                            .kh = 3,
                            .kw = 3,
                            .group = 2,
                            .pt = 1,
                            .pl = 1,
                            .pb = 1,
                            .pr = 1,
                            .oh = 5,
                            .ow = 5,
                            .bias = 1});
}

TEST(test_conv_depthwise) {
  run_conv_case((conv_case){.n = 1,
                            .c = 3,
                            .h = 6,
                            .w = 5,
                            .m = 3,
                            .kh = 3,
                            .kw = 3,
                            .group = 3,
                            .pt = 1,
                            .pl = 1,
                            .pb = 1,
                            .pr = 1,
                            .oh = 6,
                            .ow = 5});
}

TEST(test_conv_depthwise_multiplier_2) {
  run_conv_case((conv_case){
      .n = 1, .c = 3, .h = 4, .w = 4, .m = 6, .kh = 3, .kw = 3, .group = 3, .oh = 2, .ow = 2});
}

TEST(test_conv_auto_pad_same_upper) {
  /* out = ceil(6/2) = 3; total pad = (3-1)*2 + 3 - 6 = 1 → begin 0, end 1 */
  run_conv_case((conv_case){.n = 1,
                            .c = 2,
                            .h = 6,
                            .w = 6,
                            .m = 2,
                            .kh = 3,
                            .kw = 3,
                            .sh = 2,
                            .sw = 2,
                            .auto_pad = "SAME_UPPER",
                            .pt = 0,
                            .pl = 0,
                            .oh = 3,
                            .ow = 3});
}

TEST(test_conv_auto_pad_same_lower) {
  /* same total pad 1, but at the beginning */
  run_conv_case((conv_case){.n = 1,
                            .c = 2,
                            .h = 6,
                            .w = 6,
                            .m = 2,
                            .kh = 3,
                            .kw = 3,
                            .sh = 2,
                            .sw = 2,
                            .auto_pad = "SAME_LOWER",
                            .pt = 1,
                            .pl = 1,
                            .oh = 3,
                            .ow = 3});
}

TEST(test_conv_auto_pad_valid) {
  /* VALID ignores pads: (7 - 3) / 2 + 1 = 3 */
  run_conv_case((conv_case){.n = 1,
                            .c = 1,
                            .h = 7,
                            .w = 7,
                            .m = 2,
                            .kh = 3,
                            .kw = 3,
                            .sh = 2,
                            .sw = 2,
                            .auto_pad = "VALID",
                            .oh = 3,
                            .ow = 3});
}

TEST(test_conv_1x1) {
  run_conv_case(
      (conv_case){.n = 1, .c = 5, .h = 3, .w = 4, .m = 4, .kh = 1, .kw = 1, .oh = 3, .ow = 4});
}

TEST(test_conv_bias) {
  run_conv_case((conv_case){
      .n = 1, .c = 2, .h = 4, .w = 4, .m = 3, .kh = 2, .kw = 2, .oh = 3, .ow = 3, .bias = 1});
}

TEST(test_conv_batch_2) {
  run_conv_case((conv_case){.n = 2,
                            .c = 2,
                            .h = 4,
                            .w = 5,
                            .m = 3,
                            .kh = 3,
                            .kw = 3,
                            .pt = 1,
                            .pl = 1,
                            .pb = 1,
                            .pr = 1,
                            .oh = 4,
                            .ow = 5,
                            .bias = 1});
}

TEST(test_conv_epilogue_relu) {
  run_conv_case((conv_case){.n = 1,
                            .c = 2,
                            .h = 4,
                            .w = 4,
                            .m = 3,
                            .kh = 3,
                            .kw = 3,
                            .pt = 1,
                            .pl = 1,
                            .pb = 1,
                            .pr = 1,
                            .oh = 4,
                            .ow = 4,
                            .bias = 1,
                            .act = IR_ACT_RELU});
}

TEST(test_conv_epilogue_residual_then_clip) {
  run_conv_case((conv_case){.n = 1,
                            .c = 2,
                            .h = 4,
                            .w = 4,
                            .m = 3,
                            .kh = 3,
                            .kw = 3,
                            .pt = 1,
                            .pl = 1,
                            .pb = 1,
                            .pr = 1,
                            .oh = 4,
                            .ow = 4,
                            .bias = 1,
                            .act = IR_ACT_CLIP,
                            .p0 = 0.0f,
                            .p1 = 6.0f,
                            .residual = 1});
}

TEST(test_conv_1d_pads) {
  /* x = [1 2 3 4], w = [1 0 -1], pads 1/1: y[o] = x[o-1] - x[o+1] (zero outside) */
  const float x[4] = {1, 2, 3, 4}, w[3] = {1, 0, -1}, expect[4] = {-2, -2, -2, 3};
  int64_t xd[3] = {1, 1, 4}, wd[3] = {1, 1, 3}, pads[2] = {1, 1};
  th_tensor in[2] = {th_f32(3, xd, x), th_const(th_f32(3, wd, w))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CONV, 2, in, 1));
  CHECK_OK(ir_node_set_ints(th.node, "pads", pads, 2));
  REQUIRE_OK(th_run(&th));
  CHECK_INT(3, th.out[0].ndim);
  CHECK_INT(4, th.out[0].dims[2]);
  CHECK_FLOATS(expect, (const float *)th.out[0].data, 4, 0.0, 0.0);
  th_free(&th);
}

TEST(test_conv_3d_sums_cube) {
  /* 2x2x2 input 1..8 with a 2x2x2 all-ones kernel and stride 1: one output, 36. */
  float x[8], w[8];
  for (int i = 0; i < 8; i++)
    x[i] = (float)(i + 1), w[i] = 1.0f;
  int64_t d[5] = {1, 1, 2, 2, 2};
  th_tensor in[2] = {th_f32(5, d, x), th_const(th_f32(5, d, w))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CONV, 2, in, 1));
  REQUIRE_OK(th_run(&th));
  CHECK_INT(5, th.out[0].ndim);
  CHECK_INT(1, th.out[0].dims[4]);
  CHECK_NEAR(36.0, ((const float *)th.out[0].data)[0], 0.0);
  th_free(&th);
}

/* Run a conv expected to fail at shape inference with want in the message. */
static void expect_conv_error(const int64_t *xd, const int64_t *wd, int64_t group,
                              const char *want) {
  float *x = th_small_ints(5, 1000, 1), *w = th_small_ints(6, 1000, 1);
  REQUIRE(x && w);
  th_tensor in[2] = {th_f32(4, xd, x), th_const(th_f32(4, wd, w))};
  th_graph th;
  REQUIRE_OK(th_create(&th, IR_OP_CONV, 2, in, 1));
  CHECK_OK(ir_node_set_int(th.node, "group", group));
  CHECK(th_run(&th) == DLF_ERR_SHAPE);
  if (!strstr(dlf_last_error(), want))
    test_fail(__FILE__, __LINE__, "expected '%s' in '%s'", want, dlf_last_error());
  CHECK(strstr(dlf_last_error(), "node 'node' (Conv)") != NULL);
  th_free(&th);
  free(x), free(w);
}

TEST(test_conv_error_channel_mismatch) {
  int64_t xd[4] = {1, 3, 8, 8}, wd[4] = {4, 16, 3, 3};
  expect_conv_error(xd, wd, 1, "W has 16 input channels, expected X's 3 / group 1 = 3");
}

TEST(test_conv_error_kernel_larger_than_input) {
  int64_t xd[4] = {1, 1, 2, 2}, wd[4] = {1, 1, 3, 3};
  expect_conv_error(xd, wd, 1, "kernel 3x3 larger than padded input 2x2");
}

TEST(test_conv_error_group_does_not_divide_channels) {
  int64_t xd[4] = {1, 3, 4, 4}, wd[4] = {2, 1, 1, 1};
  expect_conv_error(xd, wd, 2, "group 2 does not divide X's 3 channels");
}
