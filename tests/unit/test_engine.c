/* test_engine.c — the fast engine against the reference executor: zoo models through the
 * public API on every ISA path and thread count, and small graphs hitting each step kind. */
#include <stdlib.h>
#include <string.h>

#include "api/session_internal.h"
#include "dlfusion.h"
#include "ir/ref_exec.h"
#include "graph_builder.h"
#include "op_harness.h"
#include "plan/plan.h"
#include "runtime/engine.h"
#include "runtime/engine_internal.h"
#include "test.h"

/* max |a - b| <= tol * (range of ref), the engine's accuracy contract. */
static void check_close(const float *ref, const float *got, int64_t n, double tol, const char *what) {
  float lo = ref[0], hi = ref[0];
  for (int64_t i = 0; i < n; i++) {
    if (ref[i] < lo) lo = ref[i];
    if (ref[i] > hi) hi = ref[i];
  }
  double range = (double)hi - lo, worst = 0;
  int64_t at = 0;
  for (int64_t i = 0; i < n; i++) {
    double d = fabs((double)ref[i] - got[i]);
    if (!(d <= worst)) worst = d, at = i; /* NaN counts as worst */
  }
  if (!(worst <= tol * (range > 0 ? range : 1)))
    test_fail(__FILE__, __LINE__, "%s: |diff| %g at %lld (ref %g, got %g), range %g", what, worst,
              (long long)at, ref[at], got[at], range);
}

/* ------------------------------------------------------- zoo models -- */

static int64_t tensor_numel(const dlf_tensor *t) {
  int64_t n = 1;
  for (int d = 0; d < t->ndim; d++)
    n *= t->dims[d];
  return n;
}

static void zoo_fast_matches_reference(const char *name, int batch, int expect_fallbacks) {
  dlf_load_options lo = {0};
  lo.zoo_batch = batch;
  char spec[64];
  snprintf(spec, sizeof spec, "zoo:%s", name);
  dlf_model *m;
  REQUIRE_OK(dlf_model_load(spec, &lo, &m));
  REQUIRE(dlf_model_num_inputs(m) == 1 && dlf_model_num_outputs(m) == 1);
  dlf_tensor ti, to;
  REQUIRE_OK(dlf_model_input(m, 0, &ti));
  REQUIRE_OK(dlf_model_output(m, 0, &to));
  int64_t ni = tensor_numel(&ti), no = tensor_numel(&to);
  float *x = th_random(7 + (uint64_t)batch, ni, -1, 1);
  float *want = calloc((size_t)no, sizeof *want), *got = calloc((size_t)no, sizeof *got);
  REQUIRE(x && want && got);
  const void *in[1] = {x};
  void *out[1] = {want};
  dlf_session *s;
  dlf_session_options ro = {.engine = DLF_ENGINE_REFERENCE, .threads = 1};
  REQUIRE_OK(dlf_session_create(m, &ro, &s));
  REQUIRE_OK(dlf_session_run(s, in, out));
  dlf_session_free(s);
  out[0] = got;
  for (int isa = 0; isa < KERN_ISA_COUNT; isa++) {
    const kern_config *cfg = kern_config_for_isa((kern_isa)isa);
    if (!cfg) continue;
    for (int threads = 1; threads <= 2; threads++) {
      dlf_session_options fo = {.engine = DLF_ENGINE_DEFAULT, .threads = threads};
      REQUIRE_OK(dlf_session_create_with_config(m, &fo, cfg, &s));
      CHECK(strncmp(dlf_session_engine_name(s), "fast (", 6) == 0);
      CHECK_INT(expect_fallbacks, dlf_session_fallback_steps(s));
      for (int rep = 0; rep < 2; rep++) { /* run many: the second run reuses every buffer */
        memset(got, 0xff, (size_t)no * sizeof *got);
        CHECK_OK(dlf_session_run(s, in, out));
        char what[128];
        snprintf(what, sizeof what, "%s batch %d %s threads %d run %d", name, batch,
                 kern_isa_name((kern_isa)isa), threads, rep);
        check_close(want, got, no, 1e-4, what);
      }
      dlf_session_free(s);
    }
  }
  free(x);
  free(want);
  free(got);
  dlf_model_free(m);
}

TEST(test_engine_resnet18_matches_reference_batch1) { zoo_fast_matches_reference("resnet18", 1, 0); }
TEST(test_engine_resnet18_matches_reference_batch2) { zoo_fast_matches_reference("resnet18", 2, 0); }
TEST(test_engine_mobilenet_v2_matches_reference_batch1) {
  zoo_fast_matches_reference("mobilenet_v2", 1, 0);
}
TEST(test_engine_mobilenet_v2_matches_reference_batch2) {
  zoo_fast_matches_reference("mobilenet_v2", 2, 0);
}
TEST(test_engine_squeezenet1_0_matches_reference_batch1) {
  zoo_fast_matches_reference("squeezenet1_0", 1, 0);
}
TEST(test_engine_squeezenet1_0_matches_reference_batch2) {
  zoo_fast_matches_reference("squeezenet1_0", 2, 0);
}
/* AlexNet flattens a 256x6x6 map: that reshape reads NCHW order (a transposing copy step). */
TEST(test_engine_alexnet_matches_reference_batch1) { zoo_fast_matches_reference("alexnet", 1, 0); }
TEST(test_engine_alexnet_matches_reference_batch2) { zoo_fast_matches_reference("alexnet", 2, 0); }

TEST(test_engine_session_reports_fast_engine_and_reference) {
  dlf_model *m;
  REQUIRE_OK(dlf_model_load("zoo:squeezenet1_0", NULL, &m));
  dlf_session *s;
  REQUIRE_OK(dlf_session_create(m, NULL, &s));
  char want[64];
  snprintf(want, sizeof want, "fast (%s)", kern_isa_name(kern_config_get()->isa));
  CHECK(strcmp(want, dlf_session_engine_name(s)) == 0);
  dlf_session_free(s);
  dlf_session_options ro = {.engine = DLF_ENGINE_REFERENCE, .threads = 0};
  REQUIRE_OK(dlf_session_create(m, &ro, &s));
  CHECK(strcmp("reference", dlf_session_engine_name(s)) == 0);
  CHECK_INT(-1, dlf_session_fallback_steps(s));
  dlf_session_free(s);
  dlf_model_free(m);
}

/* ------------------------------------------------- synthetic graphs -- */

/* Infer, run the reference and the engine (every ISA, threads 1 and 2), compare; checks
 * the number of fallback steps of the engine. */
/* fuse_n > 1: the plan fuses layers [fuse_first, fuse_first + fuse_n) into one block (every
 * other layer alone), tiles of 2 rows, run with the block on 1 and 2 cores. */
static plan *fused_plan(const ir_graph *g, int fuse_first, int fuse_n, int cores) {
  plan *p;
  if (plan_unfused(g, NULL, cores, &p) != DLF_OK) return NULL;
  int *layers = malloc((size_t)fuse_n * sizeof *layers);
  plan_algo *algo = malloc((size_t)fuse_n * sizeof *algo);
  if (!layers || !algo || fuse_first + fuse_n > p->n_blocks) {
    free(layers);
    free(algo);
    plan_free(p);
    return NULL;
  }
  for (int j = 0; j < fuse_n; j++) {
    plan_block *bj = &p->blocks[fuse_first + j];
    layers[j] = bj->layers[0];
    algo[j] = bj->algo[0];
    free(bj->layers);
    free(bj->algo);
  }
  plan_block *b = &p->blocks[fuse_first];
  b->layers = layers, b->algo = algo, b->n_layers = fuse_n, b->tile_rows = 2;
  memmove(&p->blocks[fuse_first + 1], &p->blocks[fuse_first + fuse_n],
          (size_t)(p->n_blocks - fuse_first - fuse_n) * sizeof *p->blocks);
  p->n_blocks -= fuse_n - 1;
  return p;
}

static void eg_check_fused(eg *b, int expect_fallbacks, int fuse_first, int fuse_n) {
  ir_graph *g = b->g;
  REQUIRE_OK(ir_graph_infer_shapes(g));
  const ir_tensor *xt = &g->tensors[g->inputs[0]];
  const ir_tensor *yt = &g->tensors[g->outputs[0]];
  int64_t ni = ir_tensor_numel(xt), no = ir_tensor_numel(yt);
  float *x = th_random(99, ni, -2, 2);
  float *want = calloc((size_t)no, sizeof *want), *got = calloc((size_t)no, sizeof *got);
  REQUIRE(x && want && got);
  const void *in[1] = {x};
  void *out[1] = {want};
  ir_ref_exec *rx;
  REQUIRE_OK(ir_ref_exec_create(g, &rx));
  REQUIRE_OK(ir_ref_exec_run(rx, in, out));
  ir_ref_exec_free(rx);
  out[0] = got;
  for (int isa = 0; isa < KERN_ISA_COUNT; isa++) {
    const kern_config *cfg = kern_config_for_isa((kern_isa)isa);
    if (!cfg) continue;
    for (int variant = 0; variant < 4; variant++) {
      int threads = 1 + variant % 2;
      /* Tiny graphs: make every step parallel, or threads 2 would test nothing new;
       * 3x3 stride-1 convs run both Winograd and im2col. */
      plan *p = fuse_n > 1 ? fused_plan(g, fuse_first, fuse_n, threads) : NULL;
      REQUIRE(fuse_n <= 1 || p);
      rt_engine_options o = {threads, cfg, -1, variant >= 2, p};
      rt_engine *e;
      REQUIRE_OK(rt_engine_create(g, &o, &e));
      plan_free(p);
      CHECK_INT(expect_fallbacks, rt_engine_num_fallback_steps(e));
      memset(got, 0xff, (size_t)no * sizeof *got);
      CHECK_OK(rt_engine_run(e, in, out, NULL, NULL));
      char what[96];
      snprintf(what, sizeof what, "%s threads %d%s", kern_isa_name((kern_isa)isa), threads,
               o.no_winograd ? " no winograd" : "");
      check_close(want, got, no, o.no_winograd ? 1e-5 : 1e-4, what);
      rt_engine_free(e);
    }
  }
  free(x);
  free(want);
  free(got);
  ir_graph_free(g);
}

static void eg_check(eg *b, int expect_fallbacks) { eg_check_fused(b, expect_fallbacks, 0, 0); }


static const int64_t X1[4] = {1, 8, 11, 9}, X2[4] = {2, 8, 11, 9};

TEST(test_engine_conv_3x3_relu_matches_reference) {
  eg b = eg_begin();
  int x = eg_input(&b, 4, X2), y;
  int64_t pads[4] = {1, 1, 1, 1};
  int ni = eg_conv(&b, x, 8, 16, 3, 1, pads, 1, &y);
  b.g->nodes[ni].act = IR_ACT_RELU;
  eg_output(&b, y);
  eg_check(&b, 0);
}

TEST(test_engine_conv_asymmetric_pads_stride2_clip_matches_reference) {
  eg b = eg_begin();
  int x = eg_input(&b, 4, X1), y;
  int64_t pads[4] = {0, 2, 1, 0};
  int ni = eg_conv(&b, x, 8, 12, 3, 2, pads, 1, &y);
  b.g->nodes[ni].act = IR_ACT_CLIP;
  b.g->nodes[ni].act_p0 = -0.1f;
  b.g->nodes[ni].act_p1 = 0.3f;
  eg_output(&b, y);
  eg_check(&b, 0);
}

TEST(test_engine_conv_sigmoid_epilogue_with_residual_matches_reference) {
  eg b = eg_begin();
  int x = eg_input(&b, 4, X2), y1, y2;
  int64_t pads[4] = {1, 1, 1, 1};
  eg_conv(&b, x, 8, 8, 3, 1, pads, 1, &y1);
  int ni = eg_conv(&b, y1, 8, 8, 1, 1, NULL, 1, &y2);
  b.g->nodes[ni].residual = x;
  b.g->nodes[ni].act = IR_ACT_SIGMOID;
  eg_output(&b, y2);
  eg_check(&b, 0);
}

/* SiLU epilogues (the fold of Mul(x, Sigmoid(x))) on a dense conv, a depthwise conv and a
 * conv with a residual; unfused and as one fused block. */
static void silu_graph(eg *b) {
  *b = eg_begin();
  int x = eg_input(b, 4, X2), a, d, y;
  int64_t pads[4] = {1, 1, 1, 1};
  int n1 = eg_conv(b, x, 8, 16, 3, 1, pads, 1, &a);
  int n2 = eg_conv(b, a, 16, 16, 3, 1, pads, 16, &d);
  int n3 = eg_conv(b, d, 16, 8, 1, 1, NULL, 1, &y);
  b->g->nodes[n1].act = b->g->nodes[n2].act = b->g->nodes[n3].act = IR_ACT_SILU;
  b->g->nodes[n3].residual = x;
  eg_output(b, y);
}

TEST(test_engine_silu_epilogues_match_reference) {
  eg b;
  silu_graph(&b);
  eg_check(&b, 0);
  silu_graph(&b);
  eg_check_fused(&b, 0, 0, 3);
}

/* More output channels than output pixels: on 2 threads the engine splits channels, so
 * slices write strided views of y (bias, residual, and a post-kernel sigmoid per slice). */
TEST(test_engine_conv_channel_split_residual_sigmoid_matches_reference) {
  eg b = eg_begin();
  int64_t xd[4] = {2, 80, 3, 3};
  int x = eg_input(&b, 4, xd), y;
  int64_t pads[4] = {1, 1, 1, 1};
  int ni = eg_conv(&b, x, 80, 80, 3, 1, pads, 1, &y);
  b.g->nodes[ni].residual = x;
  b.g->nodes[ni].act = IR_ACT_SIGMOID;
  eg_output(&b, y);
  eg_check(&b, 0);
}

/* A 3x3 conv whose transformed Winograd weights pass WINO_SPLIT_MIN_BYTES (36 x 288 x 288
 * floats = 11.9 MB): on 2 threads the engine splits its output channels (slices of whole
 * panels, the last one narrower), each slice writing a strided view of y with its bias,
 * residual and ReLU (a sigmoid would squash the range the tolerance is relative to). Odd 9x7 images make partial Winograd tiles. */
TEST(test_engine_winograd_channel_split_residual_relu_matches_reference) {
  eg b = eg_begin();
  int64_t xd[4] = {2, 288, 9, 7};
  int x = eg_input(&b, 4, xd), y;
  int64_t pads[4] = {1, 1, 1, 1};
  int ni = eg_conv(&b, x, 288, 288, 3, 1, pads, 1, &y);
  b.g->nodes[ni].residual = x;
  b.g->nodes[ni].act = IR_ACT_RELU;
  eg_output(&b, y);
  /* The split must actually happen, or this test checks nothing new. */
  REQUIRE_OK(ir_graph_infer_shapes(b.g));
  rt_engine_options o = {2, kern_config_get(), -1, false, NULL};
  rt_engine *e;
  REQUIRE_OK(rt_engine_create(b.g, &o, &e));
  int split = 0;
  for (int i = 0; i < e->n_steps; i++)
    if (e->steps[i].kind == STEP_CONV_CSPLIT && e->steps[i].algo == PLAN_ALGO_WINOGRAD)
      split = e->steps[i].u.conv.csplits;
  CHECK_INT(2, split);
  rt_engine_free(e);
  eg_check(&b, 0);
}

TEST(test_engine_grouped_conv_matches_reference) {
  eg b = eg_begin();
  int x = eg_input(&b, 4, X2), y;
  int64_t pads[4] = {1, 0, 1, 0};
  eg_conv(&b, x, 8, 12, 3, 1, pads, 4, &y);
  eg_output(&b, y);
  eg_check(&b, 0);
}

TEST(test_engine_depthwise_conv_stride2_relu6_matches_reference) {
  eg b = eg_begin();
  int x = eg_input(&b, 4, X2), y;
  int64_t pads[4] = {1, 1, 1, 1};
  int ni = eg_conv(&b, x, 8, 8, 3, 2, pads, 8, &y);
  b.g->nodes[ni].act = IR_ACT_CLIP;
  b.g->nodes[ni].act_p1 = 6;
  eg_output(&b, y);
  eg_check(&b, 0);
}

TEST(test_engine_conv_then_softmax_runs_fallback) {
  eg b = eg_begin();
  int x = eg_input(&b, 4, X2), y1, y2;
  eg_conv(&b, x, 8, 6, 1, 1, NULL, 1, &y1);
  int ni = eg_node(&b, IR_OP_SOFTMAX, 1, &y1, &y2);
  ir_node_set_int(&b.g->nodes[ni], "axis", 1);
  eg_output(&b, y2);
  eg_check(&b, 1);
}

TEST(test_engine_maxpool_ceil_mode_pads_matches_reference) {
  eg b = eg_begin();
  int x = eg_input(&b, 4, X2), y;
  int ni = eg_node(&b, IR_OP_MAXPOOL, 1, &x, &y);
  int64_t k[2] = {3, 3}, s[2] = {2, 2}, p[4] = {1, 0, 0, 1};
  ir_node_set_ints(&b.g->nodes[ni], "kernel_shape", k, 2);
  ir_node_set_ints(&b.g->nodes[ni], "strides", s, 2);
  ir_node_set_ints(&b.g->nodes[ni], "pads", p, 4);
  ir_node_set_int(&b.g->nodes[ni], "ceil_mode", 1);
  eg_output(&b, y);
  eg_check(&b, 0);
}

TEST(test_engine_avgpool_count_include_pad_matches_reference) {
  eg b = eg_begin();
  int x = eg_input(&b, 4, X2), y;
  int ni = eg_node(&b, IR_OP_AVERAGEPOOL, 1, &x, &y);
  int64_t k[2] = {3, 2}, s[2] = {2, 1}, p[4] = {1, 1, 1, 0};
  ir_node_set_ints(&b.g->nodes[ni], "kernel_shape", k, 2);
  ir_node_set_ints(&b.g->nodes[ni], "strides", s, 2);
  ir_node_set_ints(&b.g->nodes[ni], "pads", p, 4);
  ir_node_set_int(&b.g->nodes[ni], "count_include_pad", 1);
  eg_output(&b, y);
  eg_check(&b, 0);
}

/* GlobalAveragePool -> Flatten (layout-free copy) -> Gemm transB=1 + bias + relu. */
TEST(test_engine_gap_flatten_gemm_matches_reference) {
  eg b = eg_begin();
  int64_t xd[4] = {2, 70, 5, 3};
  int x = eg_input(&b, 4, xd), y1, y2, y3;
  eg_node(&b, IR_OP_GLOBALAVERAGEPOOL, 1, &x, &y1);
  int nf = eg_node(&b, IR_OP_FLATTEN, 1, &y1, &y2);
  ir_node_set_int(&b.g->nodes[nf], "axis", 1);
  int64_t wd[2] = {37, 70}, bd[1] = {37};
  int gin[3] = {y2, eg_const(&b, 2, wd, -1, 1), eg_const(&b, 1, bd, -1, 1)};
  int ng = eg_node(&b, IR_OP_GEMM, 3, gin, &y3);
  ir_node_set_int(&b.g->nodes[ng], "transB", 1);
  b.g->nodes[ng].act = IR_ACT_RELU;
  eg_output(&b, y3);
  eg_check(&b, 0);
}

TEST(test_engine_gemm_no_trans_scalar_bias_matches_reference) {
  eg b = eg_begin();
  int64_t xd[2] = {3, 40};
  int x = eg_input(&b, 2, xd), y;
  int64_t wd[2] = {40, 50}, bd[1] = {1};
  int gin[3] = {x, eg_const(&b, 2, wd, -1, 1), eg_const(&b, 1, bd, -1, 1)};
  eg_node(&b, IR_OP_GEMM, 3, gin, &y);
  eg_output(&b, y);
  eg_check(&b, 0);
}

TEST(test_engine_gemm_alpha_runs_fallback) {
  eg b = eg_begin();
  int64_t xd[2] = {3, 40};
  int x = eg_input(&b, 2, xd), y;
  int64_t wd[2] = {40, 50};
  int gin[2] = {x, eg_const(&b, 2, wd, -1, 1)};
  int ng = eg_node(&b, IR_OP_GEMM, 2, gin, &y);
  ir_node_set_float(&b.g->nodes[ng], "alpha", 0.5f);
  eg_output(&b, y);
  eg_check(&b, 1);
}

/* Two convs -> Concat on channels -> Add (with relu) and Mul -> Relu -> Clip. */
TEST(test_engine_concat_add_mul_relu_clip_matches_reference) {
  eg b = eg_begin();
  int x = eg_input(&b, 4, X2), a, c, cat, sum, prod, r, cl;
  eg_conv(&b, x, 8, 5, 1, 1, NULL, 1, &a);
  int64_t pads[4] = {1, 1, 1, 1};
  eg_conv(&b, x, 8, 3, 3, 1, pads, 1, &c);
  int cin[3] = {a, c, x};
  int nc = eg_node(&b, IR_OP_CONCAT, 3, cin, &cat);
  ir_node_set_int(&b.g->nodes[nc], "axis", 1);
  int ain[2] = {cat, cat};
  int na = eg_node(&b, IR_OP_ADD, 2, ain, &sum);
  b.g->nodes[na].act = IR_ACT_RELU;
  int min[2] = {sum, cat};
  eg_node(&b, IR_OP_MUL, 2, min, &prod);
  eg_node(&b, IR_OP_RELU, 1, &prod, &r);
  int ncl = eg_node(&b, IR_OP_CLIP, 1, &r, &cl);
  b.g->nodes[ncl].opset = 6;
  ir_node_set_float(&b.g->nodes[ncl], "min", 0.5f);
  ir_node_set_float(&b.g->nodes[ncl], "max", 2.0f);
  eg_output(&b, cl);
  eg_check(&b, 0);
}

/* Squeeze-and-excitation (x * sigmoid(conv(relu(conv(gap(x))))), the scale first as torchvision
 * exports it), then broadcast ops with constants in either order: Div by a per-channel constant
 * with a residual, scalar - x, x + scalar with relu, per-channel constant / x. Batch 2 (one
 * scale per image). No layer may fall back; the same graph with the Mul and the layers after
 * it fused in one block (2-row tiles) matches too. */
static void se_graph(eg *b, int *mul_layer) {
  *b = eg_begin();
  int x = eg_input(b, 4, X2), a, gp, c1, r1, c2, sg, m, d, e, f, q, h, y;
  int64_t pads[4] = {1, 1, 1, 1};
  eg_conv(b, x, 8, 8, 3, 1, pads, 1, &a);
  eg_node(b, IR_OP_GLOBALAVERAGEPOOL, 1, &a, &gp);
  eg_conv(b, gp, 8, 4, 1, 1, NULL, 1, &c1);
  eg_node(b, IR_OP_RELU, 1, &c1, &r1);
  eg_conv(b, r1, 4, 8, 1, 1, NULL, 1, &c2);
  eg_node(b, IR_OP_SIGMOID, 1, &c2, &sg);
  int min[2] = {sg, a};
  *mul_layer = eg_node(b, IR_OP_MUL, 2, min, &m);
  const int64_t cvec[4] = {1, 8, 1, 1}, cvec3[3] = {8, 1, 1}, one[1] = {1};
  int din[2] = {m, eg_const(b, 4, cvec, 0.5f, 2.0f)};
  int nd = eg_node(b, IR_OP_DIV, 2, din, &d);
  b->g->nodes[nd].residual = m;
  int ein[2] = {eg_const(b, 1, one, -0.5f, 0.5f), d};
  eg_node(b, IR_OP_SUB, 2, ein, &e);
  int fin[2] = {e, eg_const(b, 0, one, 0.1f, 0.3f)};
  int nf = eg_node(b, IR_OP_ADD, 2, fin, &f);
  b->g->nodes[nf].act = IR_ACT_RELU;
  eg_node(b, IR_OP_SIGMOID, 1, &f, &q);
  int hin[2] = {eg_const(b, 3, cvec3, 1.0f, 2.0f), q};
  eg_node(b, IR_OP_DIV, 2, hin, &h);
  eg_conv(b, h, 8, 6, 1, 1, NULL, 1, &y);
  eg_output(b, y);
}

TEST(test_engine_squeeze_excitation_and_channel_broadcast_ops_match_reference) {
  eg b;
  int mul;
  se_graph(&b, &mul);
  eg_check(&b, 0);
  se_graph(&b, &mul);
  /* Sigmoid (of the scale: one row every tile reads), Mul, Div, Sub, Add, Sigmoid, Div, Conv */
  eg_check_fused(&b, 0, mul - 1, 8);
}

/* DenseNet's pattern: a concat of more inputs than the fallback has slots (21), then a
 * BatchNormalization no conv absorbs (pre-activation), ReLU, conv; BN + ReLU + conv also fused.
 * Batch 2, no fallback. */
static void dense_graph(eg *b, int *bn_layer) {
  *b = eg_begin();
  int x = eg_input(b, 4, X2), cin[21], bn, r, y;
  cin[0] = x;
  for (int i = 1; i < 21; i++)
    eg_conv(b, x, 8, 2, 1, 1, NULL, 1, &cin[i]);
  int cat;
  int nc = eg_node(b, IR_OP_CONCAT, 21, cin, &cat);
  ir_node_set_int(&b->g->nodes[nc], "axis", 1);
  const int64_t c48[1] = {48};
  int bin[5] = {cat, eg_const(b, 1, c48, 0.5f, 2.0f), eg_const(b, 1, c48, -1.0f, 1.0f),
                eg_const(b, 1, c48, -0.5f, 0.5f), eg_const(b, 1, c48, 0.2f, 3.0f)};
  *bn_layer = eg_node(b, IR_OP_BATCHNORM, 5, bin, &bn);
  ir_node_set_float(&b->g->nodes[*bn_layer], "epsilon", 1e-3f);
  eg_node(b, IR_OP_RELU, 1, &bn, &r);
  eg_conv(b, r, 48, 6, 1, 1, NULL, 1, &y);
  eg_output(b, y);
}

TEST(test_engine_concat_of_21_inputs_and_batchnorm_match_reference) {
  eg b;
  int bn;
  dense_graph(&b, &bn);
  eg_check(&b, 0);
  dense_graph(&b, &bn);
  eg_check_fused(&b, 0, bn, 3);
}

static int i64_const(eg *b, int n, const int64_t *v) {
  int64_t *p = malloc((size_t)n * sizeof *p), d[1] = {n};
  memcpy(p, v, (size_t)n * sizeof *p);
  int t = -1;
  if (ir_graph_add_constant(b->g, NULL, IR_I64, 1, d, p, &t) != DLF_OK) return -1;
  return t;
}

/* ShuffleNetV2's unit after the passes: Slice of channels [0, 4) and [4, 8) (one with a
 * negative start, one with step 2 over [1, 8)), a conv on one half, a Gather of channels
 * (a shuffle with a negative index), concat. No fallback; Slice + conv + concat + Gather
 * fused too (2-row tiles). */
static void shuffle_graph(eg *b, int *first_slice) {
  *b = eg_begin();
  int x = eg_input(b, 4, X2), lo, hi, odd, c, cat, y;
  const int64_t ax[1] = {1}, s0[1] = {0}, e0[1] = {4}, s1[1] = {-4}, e1[1] = {99}, s2[1] = {1},
                e2[1] = {8}, st2[1] = {2};
  int in0[4] = {x, i64_const(b, 1, s0), i64_const(b, 1, e0), i64_const(b, 1, ax)};
  *first_slice = eg_node(b, IR_OP_SLICE, 4, in0, &lo);
  int in1[4] = {x, i64_const(b, 1, s1), i64_const(b, 1, e1), i64_const(b, 1, ax)};
  eg_node(b, IR_OP_SLICE, 4, in1, &hi);
  int in2[5] = {x, i64_const(b, 1, s2), i64_const(b, 1, e2), i64_const(b, 1, ax),
                i64_const(b, 1, st2)};
  eg_node(b, IR_OP_SLICE, 5, in2, &odd);
  eg_conv(b, hi, 4, 4, 1, 1, NULL, 1, &c);
  int cin[3] = {lo, c, odd};
  int nc = eg_node(b, IR_OP_CONCAT, 3, cin, &cat);
  ir_node_set_int(&b->g->nodes[nc], "axis", 1);
  const int64_t perm[12] = {0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, -1};
  int gin[2] = {cat, i64_const(b, 12, perm)};
  int ng = eg_node(b, IR_OP_GATHER, 2, gin, &y);
  ir_node_set_int(&b->g->nodes[ng], "axis", 1);
  eg_output(b, y);
}

TEST(test_engine_channel_slices_and_gather_match_reference) {
  eg b;
  int first;
  shuffle_graph(&b, &first);
  eg_check(&b, 0);
  shuffle_graph(&b, &first);
  eg_check_fused(&b, 0, first, 6);
}

/* Transpose of a 4-D tensor is not a fast step: NHWC -> NCHW -> ref -> NHWC around it. */
static int f32_const(eg *b, int n, const float *v) {
  float *p = malloc((size_t)n * sizeof *p);
  int64_t d[1] = {n};
  memcpy(p, v, (size_t)n * sizeof *p);
  int t = -1;
  if (ir_graph_add_constant(b->g, NULL, IR_F32, 1, d, p, &t) != DLF_OK) return -1;
  return t;
}

/* Resize (opset 13: X, roi, scales, sizes): x2 bilinear upsampling (half_pixel, by scales),
 * nearest downsampling (asymmetric, floor, by sizes), bilinear align_corners to an odd size,
 * pytorch_half_pixel to 1 column; each between convs, batch 2, none may fall back. */
static int add_resize(eg *b, int x, const char *mode, const char *coord, const char *nearest,
                      const float *scales, const int64_t *sizes) {
  int in[4] = {x, -1, scales ? f32_const(b, 4, scales) : -1, sizes ? i64_const(b, 4, sizes) : -1};
  int y, ni = eg_node(b, IR_OP_RESIZE, sizes ? 4 : 3, in, &y);
  ir_node *n = &b->g->nodes[ni];
  n->opset = 13;
  ir_node_set_string(n, "mode", mode);
  ir_node_set_string(n, "coordinate_transformation_mode", coord);
  if (nearest) ir_node_set_string(n, "nearest_mode", nearest);
  return y;
}

TEST(test_engine_resize_nearest_and_bilinear_match_reference) {
  eg b = eg_begin();
  int x = eg_input(&b, 4, X2), a, c, d;
  int64_t pads[4] = {1, 1, 1, 1};
  eg_conv(&b, x, 8, 8, 3, 1, pads, 1, &a);
  const float up2[4] = {1, 1, 2, 2};
  int u = add_resize(&b, a, "linear", "half_pixel", NULL, up2, NULL); /* 22 x 18 */
  eg_conv(&b, u, 8, 6, 3, 1, pads, 1, &c);
  const int64_t down[4] = {2, 6, 7, 5};
  int v = add_resize(&b, c, "nearest", "asymmetric", "floor", NULL, down);
  const int64_t odd[4] = {2, 6, 10, 13};
  int w = add_resize(&b, v, "linear", "align_corners", NULL, NULL, odd);
  eg_conv(&b, w, 6, 4, 1, 1, NULL, 1, &d);
  const int64_t one[4] = {2, 4, 3, 1};
  int y = add_resize(&b, d, "linear", "pytorch_half_pixel", NULL, NULL, one);
  eg_output(&b, y);
  eg_check(&b, 0);
}

/* A LayerNorm over each pixel's channels (the channels_last pass's form) between convs, with
 * 17 channels (a ragged vector end on every ISA), batch 2: no fallback. */
TEST(test_engine_channel_layernorm_matches_reference) {
  eg b = eg_begin();
  int x = eg_input(&b, 4, X2), a, n, y;
  int64_t pads[4] = {1, 1, 1, 1};
  const int64_t c17[1] = {17};
  eg_conv(&b, x, 8, 17, 3, 1, pads, 1, &a);
  int in[3] = {a, eg_const(&b, 1, c17, 0.5f, 1.5f), eg_const(&b, 1, c17, -0.5f, 0.5f)};
  int ni = eg_node(&b, IR_OP_LAYERNORM, 3, in, &n);
  ir_node_set_int(&b.g->nodes[ni], "dlf_channels", 1);
  ir_node_set_float(&b.g->nodes[ni], "epsilon", 1e-6f);
  eg_conv(&b, n, 17, 6, 1, 1, NULL, 1, &y);
  eg_output(&b, y);
  eg_check(&b, 0);
}

/* The same LayerNorm inside a fused block (3x3 conv -> LayerNorm -> 1x1 conv, ConvNeXt's
 * pattern), tiled: the tiles' rows of the norm must be its input's same rows. */
TEST(test_engine_channel_layernorm_fused_matches_reference) {
  eg b = eg_begin();
  int x = eg_input(&b, 4, X2), a, n, y;
  int64_t pads[4] = {1, 1, 1, 1};
  const int64_t c17[1] = {17};
  eg_conv(&b, x, 8, 17, 3, 1, pads, 1, &a);
  int in[3] = {a, eg_const(&b, 1, c17, 0.5f, 1.5f), eg_const(&b, 1, c17, -0.5f, 0.5f)};
  int ni = eg_node(&b, IR_OP_LAYERNORM, 3, in, &n);
  ir_node_set_int(&b.g->nodes[ni], "dlf_channels", 1);
  eg_conv(&b, n, 17, 6, 1, 1, NULL, 1, &y);
  eg_output(&b, y);
  eg_check_fused(&b, 0, 0, 3);
}

TEST(test_engine_transpose_between_convs_runs_fallback) {
  eg b = eg_begin();
  int x = eg_input(&b, 4, X1), y1, y2, y3;
  eg_conv(&b, x, 8, 8, 1, 1, NULL, 1, &y1);
  int nt = eg_node(&b, IR_OP_TRANSPOSE, 1, &y1, &y2);
  int64_t perm[4] = {0, 1, 3, 2};
  ir_node_set_ints(&b.g->nodes[nt], "perm", perm, 4);
  int64_t pads[4] = {1, 1, 1, 1};
  eg_conv(&b, y2, 8, 4, 3, 1, pads, 1, &y3);
  eg_output(&b, y3);
  eg_check(&b, 1);
}

TEST(test_engine_profiled_run_times_every_layer) {
  dlf_model *m;
  REQUIRE_OK(dlf_model_load("zoo:squeezenet1_0", NULL, &m));
  dlf_tensor ti, to;
  REQUIRE_OK(dlf_model_input(m, 0, &ti));
  REQUIRE_OK(dlf_model_output(m, 0, &to));
  float *x = th_random(3, tensor_numel(&ti), -1, 1);
  float *y = calloc((size_t)tensor_numel(&to), sizeof *y);
  int nl = dlf_model_num_layers(m);
  double *ms = calloc((size_t)nl, sizeof *ms);
  REQUIRE(x && y && ms);
  dlf_session *s;
  REQUIRE_OK(dlf_session_create(m, NULL, &s));
  const void *in[1] = {x};
  void *out[1] = {y};
  CHECK_OK(dlf_session_run_profiled(s, in, out, ms));
  double total = 0;
  for (int i = 0; i < nl; i++) {
    CHECK(ms[i] >= 0);
    total += ms[i];
  }
  CHECK(total > 0);
  dlf_session_free(s);
  free(x);
  free(y);
  free(ms);
  dlf_model_free(m);
}
