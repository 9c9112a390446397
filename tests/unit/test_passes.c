/* test_passes.c — graph passes (drop Identity/Dropout, fold BN, fuse
 * bias/residual/activation): each test builds a small graph twice, runs the
 * reference executor with and without ir_passes_run on the same input,
 * compares outputs, and checks the rewritten structure. */
#include <stdlib.h>
#include <string.h>

#include "ir/passes/passes.h"
#include "ir/ref_exec.h"
#include "op_harness.h"
#include "test.h"

/* ------------------------------------------------------------ builders -- */

static dlf_status add_input(ir_graph *g, const char *name, int ndim, const int64_t *dims,
                            int *out) {
  DLF_TRY(ir_graph_add_tensor(g, name, IR_F32, ndim, dims, out));
  int *gi = realloc(g->inputs, (size_t)(g->n_inputs + 1) * sizeof *gi);
  if (!gi) return DLF_ERR_NOMEM;
  g->inputs = gi;
  g->inputs[g->n_inputs++] = *out;
  return DLF_OK;
}

static dlf_status add_output(ir_graph *g, int t) {
  int *go = realloc(g->outputs, (size_t)(g->n_outputs + 1) * sizeof *go);
  if (!go) return DLF_ERR_NOMEM;
  g->outputs = go;
  g->outputs[g->n_outputs++] = t;
  return DLF_OK;
}

/* A constant of uniform random values in [lo, hi). */
static dlf_status add_rand(ir_graph *g, const char *name, int ndim, const int64_t *dims,
                           uint64_t seed, float lo, float hi, int *out) {
  int64_t n = 1;
  for (int d = 0; d < ndim; d++)
    n *= dims[d];
  float *p = th_random(seed, n, lo, hi);
  if (!p) return DLF_ERR_NOMEM;
  return ir_graph_add_constant(g, name, IR_F32, ndim, dims, p, out);
}

static dlf_status add_scalar(ir_graph *g, const char *name, float v, int *out) {
  float *p = malloc(sizeof *p);
  if (!p) return DLF_ERR_NOMEM;
  *p = v;
  return ir_graph_add_constant(g, name, IR_F32, 0, NULL, p, out);
}

/* An activation tensor whose shape inference fills in. */
static dlf_status add_act(ir_graph *g, const char *name, int *out) {
  DLF_TRY(ir_graph_add_tensor(g, name, IR_F32, 0, NULL, out));
  g->tensors[*out].shape_known = false;
  return DLF_OK;
}

static dlf_status add_node(ir_graph *g, const char *name, ir_op op, int n_in, const int *in,
                           int out, ir_node **node) {
  int idx;
  DLF_TRY(ir_graph_add_node(g, name, op, n_in, in, 1, &out, &idx));
  if (node) *node = &g->nodes[idx];
  return DLF_OK;
}

/* Conv with 3x3 kernel, pads 1 (same size), optional bias. */
static dlf_status add_conv(ir_graph *g, const char *name, int x, int cin, int cout, bool bias,
                           uint64_t seed, int out) {
  char nm[64];
  int in[3] = {x, -1, -1};
  int64_t wd[4] = {cout, cin, 3, 3};
  snprintf(nm, sizeof nm, "%s.weight", name);
  DLF_TRY(add_rand(g, nm, 4, wd, seed, -0.5f, 0.5f, &in[1]));
  if (bias) {
    int64_t bd[1] = {cout};
    snprintf(nm, sizeof nm, "%s.bias", name);
    DLF_TRY(add_rand(g, nm, 1, bd, seed + 1, -1.0f, 1.0f, &in[2]));
  }
  ir_node *n;
  DLF_TRY(add_node(g, name, IR_OP_CONV, bias ? 3 : 2, in, out, &n));
  int64_t pads[4] = {1, 1, 1, 1};
  DLF_TRY(ir_node_set_ints(n, "pads", pads, 4));
  int64_t k[2] = {3, 3};
  return ir_node_set_ints(n, "kernel_shape", k, 2);
}

static dlf_status add_bn(ir_graph *g, const char *name, int x, int c, uint64_t seed, int out) {
  char nm[64];
  int in[5] = {x};
  int64_t d[1] = {c};
  const char *what[4] = {"scale", "beta", "mean", "var"};
  const float lo[4] = {0.5f, -1.0f, -0.5f, 0.5f}, hi[4] = {1.5f, 1.0f, 0.5f, 2.0f};
  for (int k = 0; k < 4; k++) {
    snprintf(nm, sizeof nm, "%s.%s", name, what[k]);
    DLF_TRY(add_rand(g, nm, 1, d, seed + (uint64_t)k, lo[k], hi[k], &in[k + 1]));
  }
  ir_node *n;
  DLF_TRY(add_node(g, name, IR_OP_BATCHNORM, 5, in, out, &n));
  return ir_node_set_float(n, "epsilon", 1e-3f);
}

/* ------------------------------------------------- reference comparison -- */

typedef dlf_status (*build_fn)(ir_graph *g);

static dlf_status prepare(ir_graph *g) {
  DLF_TRY(ir_graph_toposort(g));
  DLF_TRY(ir_graph_validate(g));
  return ir_graph_infer_shapes(g);
}

/* Run g on inputs (one buffer per graph input); outputs are malloc'd. */
static dlf_status run_ref(const ir_graph *g, float **inputs, float **outputs) {
  for (int j = 0; j < g->n_outputs; j++) {
    outputs[j] = malloc((size_t)ir_tensor_numel(&g->tensors[g->outputs[j]]) * sizeof(float));
    if (!outputs[j]) return DLF_ERR_NOMEM;
  }
  ir_ref_exec *x;
  DLF_TRY(ir_ref_exec_create(g, &x));
  dlf_status st = ir_ref_exec_run(x, (const void *const *)inputs, (void *const *)outputs);
  ir_ref_exec_free(x);
  return st;
}

/* Build the graph twice; run one as is and one after ir_passes_run on the
 * same random inputs; their outputs must agree (1e-4 relative). Returns the
 * passed graph for structural checks (NULL on failure, already reported). */
static ir_graph *passes_keep_outputs(build_fn build) {
  ir_graph *ref = NULL, *opt = NULL;
  float *inputs[8] = {0}, *out_ref[8] = {0}, *out_opt[8] = {0};
  int ok = 0;
  if (ir_graph_create("ref", &ref) || ir_graph_create("opt", &opt)) goto done;
  if (build(ref) != DLF_OK || build(opt) != DLF_OK) {
    test_fail(__FILE__, __LINE__, "building the graph failed: %s", dlf_last_error());
    goto done;
  }
  if (prepare(ref) != DLF_OK || prepare(opt) != DLF_OK) {
    test_fail(__FILE__, __LINE__, "shape inference failed: %s", dlf_last_error());
    goto done;
  }
  if (ir_passes_run(opt) != DLF_OK) {
    test_fail(__FILE__, __LINE__, "ir_passes_run failed: %s", dlf_last_error());
    goto done;
  }
  if (ir_graph_validate(opt) != DLF_OK) {
    test_fail(__FILE__, __LINE__, "passed graph invalid: %s", dlf_last_error());
    goto done;
  }
  if (ref->n_inputs > 8 || ref->n_outputs > 8 || opt->n_outputs != ref->n_outputs) goto done;
  for (int i = 0; i < ref->n_inputs; i++) {
    inputs[i] =
        th_random(100 + (uint64_t)i, ir_tensor_numel(&ref->tensors[ref->inputs[i]]), -3.0f, 3.0f);
    if (!inputs[i]) goto done;
  }
  if (run_ref(ref, inputs, out_ref) != DLF_OK || run_ref(opt, inputs, out_opt) != DLF_OK) {
    test_fail(__FILE__, __LINE__, "reference run failed: %s", dlf_last_error());
    goto done;
  }
  for (int j = 0; j < ref->n_outputs; j++) {
    const ir_tensor *a = &ref->tensors[ref->outputs[j]], *b = &opt->tensors[opt->outputs[j]];
    CHECK(strcmp(a->name, b->name) == 0);
    CHECK_INT(ir_tensor_numel(a), ir_tensor_numel(b));
    if (ir_tensor_numel(a) == ir_tensor_numel(b))
      CHECK_FLOATS(out_ref[j], out_opt[j], ir_tensor_numel(a), 1e-5, 1e-4);
  }
  ok = 1;
done:
  for (int i = 0; i < 8; i++) {
    free(inputs[i]);
    free(out_ref[i]);
    free(out_opt[i]);
  }
  ir_graph_free(ref);
  if (!ok) {
    ir_graph_free(opt);
    return NULL;
  }
  return opt;
}

static int count_op(const ir_graph *g, ir_op op) {
  int n = 0;
  for (int i = 0; i < g->n_nodes; i++)
    n += !g->nodes[i].dead && g->nodes[i].op == op;
  return n;
}

static const ir_node *find_op(const ir_graph *g, ir_op op) {
  for (int i = 0; i < g->n_nodes; i++)
    if (!g->nodes[i].dead && g->nodes[i].op == op) return &g->nodes[i];
  return NULL;
}

static const char *out_name(const ir_graph *g, const ir_node *n) {
  return g->tensors[n->outputs[0]].name;
}

/* --------------------------------------------------------------- graphs -- */

/* x[1,3,6,6] -> Conv(bias) -> BN -> Relu -> y */
static dlf_status build_conv_bn_relu(ir_graph *g) {
  int64_t xd[4] = {1, 3, 6, 6};
  int x, c, b, y;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "c", &c));
  DLF_TRY(add_act(g, "b", &b));
  DLF_TRY(add_act(g, "y", &y));
  DLF_TRY(add_conv(g, "conv", x, 3, 4, true, 1, c));
  DLF_TRY(add_bn(g, "bn", c, 4, 10, b));
  DLF_TRY(add_node(g, "relu", IR_OP_RELU, 1, &b, y, NULL));
  return add_output(g, y);
}

TEST(test_passes_conv_bn_relu_fuse_into_one_conv) {
  ir_graph *g = passes_keep_outputs(build_conv_bn_relu);
  REQUIRE(g);
  CHECK_INT(1, g->n_nodes);
  CHECK_INT(0, count_op(g, IR_OP_BATCHNORM));
  const ir_node *n = find_op(g, IR_OP_CONV);
  REQUIRE(n);
  CHECK_INT(IR_ACT_RELU, n->act);
  CHECK_INT(-1, n->residual);
  CHECK(strcmp(out_name(g, n), "y") == 0);
  ir_graph_free(g);
}

/* Without a Conv bias the fold adds one. */
static dlf_status build_conv_nobias_bn(ir_graph *g) {
  int64_t xd[4] = {1, 3, 5, 5};
  int x, c, y;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "c", &c));
  DLF_TRY(add_act(g, "y", &y));
  DLF_TRY(add_conv(g, "conv", x, 3, 6, false, 3, c));
  DLF_TRY(add_bn(g, "bn", c, 6, 20, y));
  return add_output(g, y);
}

TEST(test_passes_fold_batchnorm_adds_bias_to_biasless_conv) {
  ir_graph *g = passes_keep_outputs(build_conv_nobias_bn);
  REQUIRE(g);
  CHECK_INT(1, g->n_nodes);
  const ir_node *n = find_op(g, IR_OP_CONV);
  REQUIRE(n);
  CHECK_INT(3, n->n_inputs);
  CHECK(n->inputs[2] >= 0 && g->tensors[n->inputs[2]].data != NULL);
  CHECK_INT(IR_ACT_NONE, n->act);
  ir_graph_free(g);
}

/* Two Convs share one weight and bias, each followed by its own BN: folding
 * must not change the other Conv's constants. */
static dlf_status build_shared_weight_bns(ir_graph *g) {
  int64_t xd[4] = {1, 3, 5, 5};
  int64_t wd[4] = {4, 3, 3, 3}, bd[1] = {4};
  int x, w, bias, c1, c2, y1, y2;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_rand(g, "w", 4, wd, 5, -0.5f, 0.5f, &w));
  DLF_TRY(add_rand(g, "bias", 1, bd, 6, -0.5f, 0.5f, &bias));
  DLF_TRY(add_act(g, "c1", &c1));
  DLF_TRY(add_act(g, "c2", &c2));
  DLF_TRY(add_act(g, "y1", &y1));
  DLF_TRY(add_act(g, "y2", &y2));
  int in[3] = {x, w, bias};
  ir_node *n;
  int64_t pads[4] = {1, 1, 1, 1};
  DLF_TRY(add_node(g, "conv1", IR_OP_CONV, 3, in, c1, &n));
  DLF_TRY(ir_node_set_ints(n, "pads", pads, 4));
  DLF_TRY(add_node(g, "conv2", IR_OP_CONV, 3, in, c2, &n));
  DLF_TRY(ir_node_set_ints(n, "pads", pads, 4));
  DLF_TRY(add_bn(g, "bn1", c1, 4, 30, y1));
  DLF_TRY(add_bn(g, "bn2", c2, 4, 40, y2));
  DLF_TRY(add_output(g, y1));
  return add_output(g, y2);
}

TEST(test_passes_fold_batchnorm_copies_shared_weights) {
  ir_graph *g = passes_keep_outputs(build_shared_weight_bns);
  REQUIRE(g);
  CHECK_INT(2, g->n_nodes);
  CHECK_INT(0, count_op(g, IR_OP_BATCHNORM));
  REQUIRE(g->n_nodes == 2);
  CHECK(g->nodes[0].inputs[1] != g->nodes[1].inputs[1]);
  ir_graph_free(g);
}

/* x -> Conv(no bias) -> Add([1,4,1,1] const) -> Clip(0, 6) -> y */
static dlf_status build_conv_addbias_clip(ir_graph *g) {
  int64_t xd[4] = {1, 3, 6, 6}, bd[4] = {1, 4, 1, 1};
  int x, c, a, y, bias, lo, hi;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "c", &c));
  DLF_TRY(add_act(g, "a", &a));
  DLF_TRY(add_act(g, "y", &y));
  DLF_TRY(add_rand(g, "addb", 4, bd, 7, 1.0f, 4.0f, &bias));
  DLF_TRY(add_scalar(g, "lo", 0.0f, &lo));
  DLF_TRY(add_scalar(g, "hi", 6.0f, &hi));
  DLF_TRY(add_conv(g, "conv", x, 3, 4, false, 8, c));
  int ain[2] = {bias, c}; /* constant first: Add is commutative */
  DLF_TRY(add_node(g, "add", IR_OP_ADD, 2, ain, a, NULL));
  int cin[3] = {a, lo, hi};
  DLF_TRY(add_node(g, "clip", IR_OP_CLIP, 3, cin, y, NULL));
  return add_output(g, y);
}

TEST(test_passes_conv_add_bias_clip_fuse) {
  ir_graph *g = passes_keep_outputs(build_conv_addbias_clip);
  REQUIRE(g);
  CHECK_INT(1, g->n_nodes);
  const ir_node *n = find_op(g, IR_OP_CONV);
  REQUIRE(n);
  CHECK_INT(3, n->n_inputs);
  CHECK_INT(IR_ACT_CLIP, n->act);
  CHECK_NEAR(0.0, n->act_p0, 0);
  CHECK_NEAR(6.0, n->act_p1, 0);
  ir_graph_free(g);
}

/* Clip-6 reads min/max from attributes. */
static dlf_status build_conv_clip6(ir_graph *g) {
  int64_t xd[4] = {1, 2, 4, 4};
  int x, c, y;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "c", &c));
  DLF_TRY(add_act(g, "y", &y));
  DLF_TRY(add_conv(g, "conv", x, 2, 3, true, 9, c));
  ir_node *n;
  DLF_TRY(add_node(g, "clip", IR_OP_CLIP, 1, &c, y, &n));
  n->opset = 6;
  DLF_TRY(ir_node_set_float(n, "min", -0.5f));
  DLF_TRY(ir_node_set_float(n, "max", 0.25f));
  return add_output(g, y);
}

TEST(test_passes_clip_opset6_attributes_become_act_params) {
  ir_graph *g = passes_keep_outputs(build_conv_clip6);
  REQUIRE(g);
  CHECK_INT(1, g->n_nodes);
  const ir_node *n = find_op(g, IR_OP_CONV);
  REQUIRE(n);
  CHECK_INT(IR_ACT_CLIP, n->act);
  CHECK_NEAR(-0.5, n->act_p0, 0);
  CHECK_NEAR(0.25, n->act_p1, 0);
  ir_graph_free(g);
}

/* A [C] constant on NCHW broadcasts along W, not channels: not a bias. */
static dlf_status build_conv_add_last_axis(ir_graph *g) {
  int64_t xd[4] = {1, 3, 4, 4}, bd[1] = {4};
  int x, c, k, y;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "c", &c));
  DLF_TRY(add_act(g, "y", &y));
  DLF_TRY(add_rand(g, "k", 1, bd, 11, -1.0f, 1.0f, &k));
  DLF_TRY(add_conv(g, "conv", x, 3, 4, true, 12, c));
  int ain[2] = {c, k};
  DLF_TRY(add_node(g, "add", IR_OP_ADD, 2, ain, y, NULL));
  return add_output(g, y);
}

TEST(test_passes_add_of_last_axis_vector_is_not_a_bias) {
  ir_graph *g = passes_keep_outputs(build_conv_add_last_axis);
  REQUIRE(g);
  CHECK_INT(2, g->n_nodes);
  CHECK_INT(1, count_op(g, IR_OP_ADD));
  const ir_node *n = find_op(g, IR_OP_CONV);
  REQUIRE(n);
  CHECK_INT(-1, n->residual);
  ir_graph_free(g);
}

/* x[1,4,5,5] -> Conv -> BN -> Add(x) -> Relu -> y: a residual block. */
static dlf_status build_residual_block(ir_graph *g) {
  int64_t xd[4] = {1, 4, 5, 5};
  int x, c, b, s, y;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "c", &c));
  DLF_TRY(add_act(g, "b", &b));
  DLF_TRY(add_act(g, "s", &s));
  DLF_TRY(add_act(g, "y", &y));
  DLF_TRY(add_conv(g, "conv", x, 4, 4, false, 13, c));
  DLF_TRY(add_bn(g, "bn", c, 4, 50, b));
  int ain[2] = {b, x};
  DLF_TRY(add_node(g, "add", IR_OP_ADD, 2, ain, s, NULL));
  DLF_TRY(add_node(g, "relu", IR_OP_RELU, 1, &s, y, NULL));
  return add_output(g, y);
}

TEST(test_passes_residual_block_fuses_bn_add_relu) {
  ir_graph *g = passes_keep_outputs(build_residual_block);
  REQUIRE(g);
  CHECK_INT(1, g->n_nodes);
  const ir_node *n = find_op(g, IR_OP_CONV);
  REQUIRE(n);
  CHECK_INT(ir_graph_find_tensor(g, "x"), n->residual);
  CHECK_INT(IR_ACT_RELU, n->act);
  CHECK(strcmp(out_name(g, n), "y") == 0);
  ir_graph_free(g);
}

/* The residual's producer comes after the Conv in the original order:
 * x -> convA -> a; x -> convB -> b(relu) ; Add(a, b2) where b2 = Relu(convB).
 * convA takes b2 as residual and must be reordered after Relu's producer. */
static dlf_status build_residual_from_later_branch(ir_graph *g) {
  int64_t xd[4] = {1, 3, 4, 4};
  int x, a, bb, b2, s;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "a", &a));
  DLF_TRY(add_act(g, "bb", &bb));
  DLF_TRY(add_act(g, "b2", &b2));
  DLF_TRY(add_act(g, "s", &s));
  DLF_TRY(add_conv(g, "convA", x, 3, 4, true, 14, a));
  DLF_TRY(add_conv(g, "convB", x, 3, 4, true, 15, bb));
  DLF_TRY(add_node(g, "tanh", IR_OP_TANH, 1, &bb, b2, NULL));
  int ain[2] = {a, b2};
  DLF_TRY(add_node(g, "add", IR_OP_ADD, 2, ain, s, NULL));
  return add_output(g, s);
}

TEST(test_passes_residual_producer_after_conv_is_reordered) {
  ir_graph *g = passes_keep_outputs(build_residual_from_later_branch);
  REQUIRE(g);
  CHECK_INT(2, g->n_nodes);
  REQUIRE(g->n_nodes == 2);
  /* convB + tanh first, then convA with the residual */
  CHECK(strcmp(g->nodes[0].name, "convB") == 0);
  CHECK_INT(IR_ACT_TANH, g->nodes[0].act);
  CHECK(strcmp(g->nodes[1].name, "convA") == 0);
  CHECK_INT(ir_graph_find_tensor(g, "b2"), g->nodes[1].residual);
  ir_graph_free(g);
}

/* x -> Conv -> Identity -> Dropout -> Relu -> Identity -> y (graph output) */
static dlf_status build_identity_chain(ir_graph *g) {
  int64_t xd[4] = {1, 3, 4, 4};
  int x, c, i1, d, r, y;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "c", &c));
  DLF_TRY(add_act(g, "i1", &i1));
  DLF_TRY(add_act(g, "d", &d));
  DLF_TRY(add_act(g, "r", &r));
  DLF_TRY(add_act(g, "y", &y));
  DLF_TRY(add_conv(g, "conv", x, 3, 4, true, 16, c));
  DLF_TRY(add_node(g, "id1", IR_OP_IDENTITY, 1, &c, i1, NULL));
  DLF_TRY(add_node(g, "drop", IR_OP_DROPOUT, 1, &i1, d, NULL));
  DLF_TRY(add_node(g, "relu", IR_OP_RELU, 1, &d, r, NULL));
  DLF_TRY(add_node(g, "id2", IR_OP_IDENTITY, 1, &r, y, NULL));
  return add_output(g, y);
}

TEST(test_passes_identity_and_dropout_dropped_keeping_output_name) {
  ir_graph *g = passes_keep_outputs(build_identity_chain);
  REQUIRE(g);
  CHECK_INT(1, g->n_nodes);
  CHECK_INT(0, count_op(g, IR_OP_IDENTITY));
  CHECK_INT(0, count_op(g, IR_OP_DROPOUT));
  const ir_node *n = find_op(g, IR_OP_CONV);
  REQUIRE(n);
  CHECK_INT(IR_ACT_RELU, n->act);
  CHECK(strcmp(out_name(g, n), "y") == 0);
  CHECK_INT(ir_graph_find_tensor(g, "y"), g->outputs[0]);
  ir_graph_free(g);
}

/* y = Identity(x) with x a graph input: nothing else can write y. */
static dlf_status build_identity_of_input(ir_graph *g) {
  int64_t xd[2] = {2, 3};
  int x, y, z;
  DLF_TRY(add_input(g, "x", 2, xd, &x));
  DLF_TRY(add_act(g, "y", &y));
  DLF_TRY(add_act(g, "z", &z));
  DLF_TRY(add_node(g, "id", IR_OP_IDENTITY, 1, &x, y, NULL));
  DLF_TRY(add_node(g, "relu", IR_OP_RELU, 1, &x, z, NULL));
  DLF_TRY(add_output(g, y));
  return add_output(g, z);
}

TEST(test_passes_identity_of_graph_input_to_output_stays) {
  ir_graph *g = passes_keep_outputs(build_identity_of_input);
  REQUIRE(g);
  CHECK_INT(2, g->n_nodes);
  CHECK_INT(1, count_op(g, IR_OP_IDENTITY));
  ir_graph_free(g);
}

/* x -> Relu -> Dropout(mask declared) -> d (graph output). dlfusion has no
 * bool dtype, so only the rewrite (not a reference run) is checked here. */
static dlf_status build_relu_dropout_mask(ir_graph *g) {
  int64_t xd[2] = {2, 3};
  int x, r, d, mask;
  DLF_TRY(add_input(g, "x", 2, xd, &x));
  DLF_TRY(add_act(g, "r", &r));
  DLF_TRY(add_act(g, "d", &d));
  DLF_TRY(add_act(g, "mask", &mask));
  DLF_TRY(add_node(g, "relu", IR_OP_RELU, 1, &x, r, NULL));
  int douts[2] = {d, mask};
  DLF_TRY(ir_graph_add_node(g, "drop", IR_OP_DROPOUT, 1, &r, 2, douts, NULL));
  return add_output(g, d);
}

TEST(test_passes_dropout_with_unread_mask_is_dropped) {
  ir_graph *g;
  REQUIRE_OK(ir_graph_create("t", &g));
  REQUIRE_OK(build_relu_dropout_mask(g));
  REQUIRE_OK(ir_pass_drop_identity(g));
  REQUIRE_OK(ir_graph_toposort(g));
  CHECK_INT(1, g->n_nodes);
  CHECK_INT(0, count_op(g, IR_OP_DROPOUT));
  /* the Relu now writes the graph output itself */
  CHECK(strcmp(out_name(g, &g->nodes[0]), "d") == 0);
  CHECK_INT(ir_graph_find_tensor(g, "d"), g->outputs[0]);
  ir_graph_free(g);
}

TEST(test_passes_dropout_with_used_mask_stays) {
  ir_graph *g;
  REQUIRE_OK(ir_graph_create("t", &g));
  REQUIRE_OK(build_relu_dropout_mask(g));
  REQUIRE_OK(add_output(g, ir_graph_find_tensor(g, "mask")));
  REQUIRE_OK(ir_pass_drop_identity(g));
  CHECK_INT(1, count_op(g, IR_OP_DROPOUT));
  ir_graph_free(g);
}

/* Dropout in training mode (constant true training_mode input) stays. */
TEST(test_passes_dropout_in_training_mode_stays) {
  ir_graph *g;
  REQUIRE_OK(ir_graph_create("t", &g));
  int64_t xd[2] = {2, 3};
  int x, d, ratio, tm;
  REQUIRE_OK(add_input(g, "x", 2, xd, &x));
  REQUIRE_OK(add_act(g, "d", &d));
  REQUIRE_OK(add_scalar(g, "ratio", 0.5f, &ratio));
  REQUIRE_OK(add_scalar(g, "tm", 1.0f, &tm));
  int in[3] = {x, ratio, tm};
  REQUIRE_OK(add_node(g, "drop", IR_OP_DROPOUT, 3, in, d, NULL));
  REQUIRE_OK(add_output(g, d));
  REQUIRE_OK(ir_pass_drop_identity(g));
  CHECK_INT(1, count_op(g, IR_OP_DROPOUT));
  ir_graph_free(g);
}

/* Conv output read twice (Relu and Sigmoid): nothing may be fused. */
static dlf_status build_conv_two_consumers(ir_graph *g) {
  int64_t xd[4] = {1, 3, 4, 4};
  int x, c, y1, y2;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "c", &c));
  DLF_TRY(add_act(g, "y1", &y1));
  DLF_TRY(add_act(g, "y2", &y2));
  DLF_TRY(add_conv(g, "conv", x, 3, 4, true, 17, c));
  DLF_TRY(add_node(g, "relu", IR_OP_RELU, 1, &c, y1, NULL));
  DLF_TRY(add_node(g, "sig", IR_OP_SIGMOID, 1, &c, y2, NULL));
  DLF_TRY(add_output(g, y1));
  return add_output(g, y2);
}

TEST(test_passes_conv_with_two_consumers_is_not_fused) {
  ir_graph *g = passes_keep_outputs(build_conv_two_consumers);
  REQUIRE(g);
  CHECK_INT(3, g->n_nodes);
  const ir_node *n = find_op(g, IR_OP_CONV);
  REQUIRE(n);
  CHECK_INT(IR_ACT_NONE, n->act);
  CHECK(strcmp(out_name(g, n), "c") == 0);
  ir_graph_free(g);
}

/* Conv -> SiLU as exported: Mul(c, Sigmoid(c)), the Mul's operands in either order. */
static dlf_status build_conv_silu(ir_graph *g, bool sig_first) {
  int64_t xd[4] = {1, 3, 5, 5};
  int x, c, s, y;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "c", &c));
  DLF_TRY(add_act(g, "s", &s));
  DLF_TRY(add_act(g, "y", &y));
  DLF_TRY(add_conv(g, "conv", x, 3, 4, true, 31, c));
  DLF_TRY(add_node(g, "sig", IR_OP_SIGMOID, 1, &c, s, NULL));
  int xs[2] = {c, s}, sx[2] = {s, c};
  DLF_TRY(add_node(g, "mul", IR_OP_MUL, 2, sig_first ? sx : xs, y, NULL));
  return add_output(g, y);
}
static dlf_status build_conv_silu_xs(ir_graph *g) { return build_conv_silu(g, false); }
static dlf_status build_conv_silu_sx(ir_graph *g) { return build_conv_silu(g, true); }

TEST(test_passes_silu_fuses_into_conv) {
  build_fn builds[2] = {build_conv_silu_xs, build_conv_silu_sx};
  for (int b = 0; b < 2; b++) {
    ir_graph *g = passes_keep_outputs(builds[b]);
    REQUIRE(g);
    CHECK_INT(1, g->n_nodes);
    const ir_node *n = find_op(g, IR_OP_CONV);
    REQUIRE(n);
    CHECK_INT(IR_ACT_SILU, n->act);
    CHECK(strcmp(out_name(g, n), "y") == 0);
    ir_graph_free(g);
  }
}

/* x * Sigmoid(c) where x is not c (squeeze-and-excitation's gate) is no SiLU, nor is
 * Mul(c, Sigmoid(c)) when the Sigmoid's output is also a graph output. */
static dlf_status build_conv_sigmoid_gate(ir_graph *g) {
  int64_t xd[4] = {1, 3, 5, 5};
  int x, c, s, y;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "c", &c));
  DLF_TRY(add_act(g, "s", &s));
  DLF_TRY(add_act(g, "y", &y));
  DLF_TRY(add_conv(g, "conv", x, 3, 3, true, 32, c));
  DLF_TRY(add_node(g, "sig", IR_OP_SIGMOID, 1, &c, s, NULL));
  int xs[2] = {x, s};
  DLF_TRY(add_node(g, "mul", IR_OP_MUL, 2, xs, y, NULL));
  return add_output(g, y);
}
static dlf_status build_conv_silu_sig_output(ir_graph *g) {
  DLF_TRY(build_conv_silu(g, false));
  return add_output(g, ir_graph_find_tensor(g, "s"));
}

TEST(test_passes_sigmoid_gate_and_exposed_sigmoid_are_not_silu) {
  ir_graph *g = passes_keep_outputs(build_conv_sigmoid_gate);
  REQUIRE(g);
  const ir_node *n = find_op(g, IR_OP_CONV);
  REQUIRE(n);
  CHECK_INT(IR_ACT_SIGMOID, n->act); /* the Sigmoid alone is the conv's activation */
  CHECK_INT(1, count_op(g, IR_OP_MUL));
  ir_graph_free(g);
  g = passes_keep_outputs(build_conv_silu_sig_output);
  REQUIRE(g);
  n = find_op(g, IR_OP_CONV);
  REQUIRE(n);
  CHECK_INT(IR_ACT_NONE, n->act);
  CHECK_INT(1, count_op(g, IR_OP_SIGMOID));
  CHECK_INT(1, count_op(g, IR_OP_MUL));
  ir_graph_free(g);
}

/* Conv output is a graph output and feeds a BN: BN stays. */
static dlf_status build_conv_output_and_bn(ir_graph *g) {
  int64_t xd[4] = {1, 3, 4, 4};
  int x, c, y;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "c", &c));
  DLF_TRY(add_act(g, "y", &y));
  DLF_TRY(add_conv(g, "conv", x, 3, 4, true, 18, c));
  DLF_TRY(add_bn(g, "bn", c, 4, 60, y));
  DLF_TRY(add_output(g, c));
  return add_output(g, y);
}

TEST(test_passes_bn_after_conv_graph_output_is_not_folded) {
  ir_graph *g = passes_keep_outputs(build_conv_output_and_bn);
  REQUIRE(g);
  CHECK_INT(2, g->n_nodes);
  CHECK_INT(1, count_op(g, IR_OP_BATCHNORM));
  ir_graph_free(g);
}

/* Gemm -> LeakyRelu: the activation (with alpha) is fused. */
static dlf_status build_gemm_leakyrelu(ir_graph *g) {
  int64_t ad[2] = {2, 8}, bd[2] = {8, 5}, cd[1] = {5};
  int a, b, c, m, y;
  DLF_TRY(add_input(g, "a", 2, ad, &a));
  DLF_TRY(add_rand(g, "B", 2, bd, 19, -1.0f, 1.0f, &b));
  DLF_TRY(add_rand(g, "C", 1, cd, 20, -1.0f, 1.0f, &c));
  DLF_TRY(add_act(g, "m", &m));
  DLF_TRY(add_act(g, "y", &y));
  int in[3] = {a, b, c};
  DLF_TRY(add_node(g, "gemm", IR_OP_GEMM, 3, in, m, NULL));
  ir_node *n;
  DLF_TRY(add_node(g, "lrelu", IR_OP_LEAKYRELU, 1, &m, y, &n));
  DLF_TRY(ir_node_set_float(n, "alpha", 0.125f));
  return add_output(g, y);
}

TEST(test_passes_gemm_leakyrelu_fuses_with_alpha) {
  ir_graph *g = passes_keep_outputs(build_gemm_leakyrelu);
  REQUIRE(g);
  CHECK_INT(1, g->n_nodes);
  const ir_node *n = find_op(g, IR_OP_GEMM);
  REQUIRE(n);
  CHECK_INT(IR_ACT_LEAKYRELU, n->act);
  CHECK_NEAR(0.125, n->act_p0, 0);
  ir_graph_free(g);
}

/* Conv -> HardSigmoid(alpha, beta). */
static dlf_status build_conv_hardsigmoid(ir_graph *g) {
  int64_t xd[4] = {1, 2, 4, 4};
  int x, c, y;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "c", &c));
  DLF_TRY(add_act(g, "y", &y));
  DLF_TRY(add_conv(g, "conv", x, 2, 3, true, 21, c));
  ir_node *n;
  DLF_TRY(add_node(g, "hs", IR_OP_HARDSIGMOID, 1, &c, y, &n));
  DLF_TRY(ir_node_set_float(n, "alpha", 0.3f));
  DLF_TRY(ir_node_set_float(n, "beta", 0.4f));
  return add_output(g, y);
}

TEST(test_passes_hardsigmoid_params_fused) {
  ir_graph *g = passes_keep_outputs(build_conv_hardsigmoid);
  REQUIRE(g);
  CHECK_INT(1, g->n_nodes);
  const ir_node *n = find_op(g, IR_OP_CONV);
  REQUIRE(n);
  CHECK_INT(IR_ACT_HARDSIGMOID, n->act);
  CHECK_NEAR(0.3, n->act_p0, 1e-7);
  CHECK_NEAR(0.4, n->act_p1, 1e-7);
  ir_graph_free(g);
}

/* Only one activation is fused: Conv -> Relu -> Sigmoid keeps the Sigmoid. */
static dlf_status build_conv_two_acts(ir_graph *g) {
  int64_t xd[4] = {1, 2, 4, 4};
  int x, c, r, y;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "c", &c));
  DLF_TRY(add_act(g, "r", &r));
  DLF_TRY(add_act(g, "y", &y));
  DLF_TRY(add_conv(g, "conv", x, 2, 3, true, 22, c));
  DLF_TRY(add_node(g, "relu", IR_OP_RELU, 1, &c, r, NULL));
  DLF_TRY(add_node(g, "sig", IR_OP_SIGMOID, 1, &r, y, NULL));
  return add_output(g, y);
}

TEST(test_passes_only_one_activation_is_fused) {
  ir_graph *g = passes_keep_outputs(build_conv_two_acts);
  REQUIRE(g);
  CHECK_INT(2, g->n_nodes);
  CHECK_INT(1, count_op(g, IR_OP_SIGMOID));
  const ir_node *n = find_op(g, IR_OP_CONV);
  REQUIRE(n);
  CHECK_INT(IR_ACT_RELU, n->act);
  ir_graph_free(g);
}

/* x -> Conv(no bias) -> Add([C,1,1] const) -> HardSwish -> y */
static dlf_status build_conv_chw_bias_hardswish(ir_graph *g) {
  int64_t xd[4] = {2, 3, 5, 5}, bd[3] = {4, 1, 1};
  int x, c, a, y, bias;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "c", &c));
  DLF_TRY(add_act(g, "a", &a));
  DLF_TRY(add_act(g, "y", &y));
  DLF_TRY(add_rand(g, "addb", 3, bd, 23, -2.0f, 2.0f, &bias));
  DLF_TRY(add_conv(g, "conv", x, 3, 4, false, 24, c));
  int ain[2] = {c, bias};
  DLF_TRY(add_node(g, "add", IR_OP_ADD, 2, ain, a, NULL));
  DLF_TRY(add_node(g, "hswish", IR_OP_HARDSWISH, 1, &a, y, NULL));
  return add_output(g, y);
}

TEST(test_passes_chw_bias_constant_and_hardswish_fuse) {
  ir_graph *g = passes_keep_outputs(build_conv_chw_bias_hardswish);
  REQUIRE(g);
  CHECK_INT(1, g->n_nodes);
  const ir_node *n = find_op(g, IR_OP_CONV);
  REQUIRE(n);
  CHECK_INT(3, n->n_inputs);
  CHECK_INT(IR_ACT_HARDSWISH, n->act);
  ir_graph_free(g);
}

/* MobileNetV2-style: Conv(bias) -> Add(x) with no activation after, the sum
 * being the graph output. */
static dlf_status build_linear_residual(ir_graph *g) {
  int64_t xd[4] = {1, 4, 4, 4};
  int x, c, y;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "c", &c));
  DLF_TRY(add_act(g, "y", &y));
  DLF_TRY(add_conv(g, "conv", x, 4, 4, true, 25, c));
  int ain[2] = {x, c};
  DLF_TRY(add_node(g, "add", IR_OP_ADD, 2, ain, y, NULL));
  return add_output(g, y);
}

TEST(test_passes_linear_residual_fuses_without_activation) {
  ir_graph *g = passes_keep_outputs(build_linear_residual);
  REQUIRE(g);
  CHECK_INT(1, g->n_nodes);
  const ir_node *n = find_op(g, IR_OP_CONV);
  REQUIRE(n);
  CHECK_INT(ir_graph_find_tensor(g, "x"), n->residual);
  CHECK_INT(IR_ACT_NONE, n->act);
  CHECK(strcmp(out_name(g, n), "y") == 0);
  ir_graph_free(g);
}

/* Add of a broadcast activation ([1,C,1,1] from a pool) is not a residual. */
static dlf_status build_conv_add_broadcast_act(ir_graph *g) {
  int64_t xd[4] = {1, 4, 4, 4};
  int x, c, p, y;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "c", &c));
  DLF_TRY(add_act(g, "p", &p));
  DLF_TRY(add_act(g, "y", &y));
  DLF_TRY(add_conv(g, "conv", x, 4, 4, true, 26, c));
  DLF_TRY(add_node(g, "gap", IR_OP_GLOBALAVERAGEPOOL, 1, &x, p, NULL));
  int ain[2] = {c, p};
  DLF_TRY(add_node(g, "add", IR_OP_ADD, 2, ain, y, NULL));
  return add_output(g, y);
}

TEST(test_passes_broadcast_activation_add_is_not_a_residual) {
  ir_graph *g = passes_keep_outputs(build_conv_add_broadcast_act);
  REQUIRE(g);
  CHECK_INT(3, g->n_nodes);
  const ir_node *n = find_op(g, IR_OP_CONV);
  REQUIRE(n);
  CHECK_INT(-1, n->residual);
  ir_graph_free(g);
}

/* ------------------------------------------------------- fold_pad, reduce_to_gap -- */

static dlf_status add_pads_const(ir_graph *g, const char *name, const int64_t v[8], int *out) {
  int64_t *p = malloc(8 * sizeof *p), d[1] = {8};
  if (!p) return DLF_ERR_NOMEM;
  memcpy(p, v, 8 * sizeof *p);
  return ir_graph_add_constant(g, name, IR_I64, 1, d, p, out);
}

/* x[1,3,7,6] -> Pad(h 1/2, w 2/1) -> AveragePool 3x3/2, pads not counted
 *            -> Pad(h 1/1, w 0/0) -> Conv 3x3 (own pads 1) */
static dlf_status build_pad_pool_conv(ir_graph *g) {
  int64_t xd[4] = {1, 3, 7, 6};
  int x, p1, p2, y1, y2, pads1, pads2;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "p1", &p1));
  DLF_TRY(add_act(g, "p2", &p2));
  DLF_TRY(add_act(g, "y1", &y1));
  DLF_TRY(add_act(g, "y2", &y2));
  const int64_t v1[8] = {0, 0, 1, 2, 0, 0, 2, 1}, v2[8] = {0, 0, 1, 0, 0, 0, 1, 0};
  DLF_TRY(add_pads_const(g, "pads1", v1, &pads1));
  DLF_TRY(add_pads_const(g, "pads2", v2, &pads2));
  ir_node *n;
  int in1[2] = {x, pads1}, in2[2] = {x, pads2};
  DLF_TRY(add_node(g, "pad1", IR_OP_PAD, 2, in1, p1, &n));
  n->opset = 13;
  DLF_TRY(add_node(g, "pad2", IR_OP_PAD, 2, in2, p2, &n));
  n->opset = 13;
  DLF_TRY(add_node(g, "pool", IR_OP_AVERAGEPOOL, 1, &p1, y1, &n));
  int64_t k[2] = {3, 3}, s[2] = {2, 2};
  DLF_TRY(ir_node_set_ints(n, "kernel_shape", k, 2));
  DLF_TRY(ir_node_set_ints(n, "strides", s, 2));
  DLF_TRY(add_conv(g, "conv", p2, 3, 4, true, 40, y2));
  DLF_TRY(add_output(g, y1));
  return add_output(g, y2);
}

TEST(test_passes_zero_pad_folds_into_pool_and_conv_pads) {
  ir_graph *g = passes_keep_outputs(build_pad_pool_conv);
  REQUIRE(g);
  CHECK_INT(0, count_op(g, IR_OP_PAD));
  const ir_node *pool = find_op(g, IR_OP_AVERAGEPOOL), *conv = find_op(g, IR_OP_CONV);
  REQUIRE(pool && conv);
  int64_t pp[4], cp[4];
  REQUIRE(ir_node_ints(pool, "pads", pp, 4) == 4 && ir_node_ints(conv, "pads", cp, 4) == 4);
  CHECK_INT(1, pp[0]);
  CHECK_INT(2, pp[1]);
  CHECK_INT(2, pp[2]);
  CHECK_INT(1, pp[3]);
  CHECK_INT(1, ir_node_int(pool, "count_include_pad", 0));
  CHECK_INT(2, cp[0]);
  CHECK_INT(1, cp[1]);
  CHECK_INT(2, cp[2]);
  CHECK_INT(1, cp[3]);
  ir_graph_free(g);
}

/* Pads that are not zeros, or a pool that would not count them, keep their Pad. */
static dlf_status build_pad_kept(ir_graph *g) {
  int64_t xd[4] = {1, 3, 6, 6};
  int x, p1, p2, y1, y2, pads, val;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "p1", &p1));
  DLF_TRY(add_act(g, "p2", &p2));
  DLF_TRY(add_act(g, "y1", &y1));
  DLF_TRY(add_act(g, "y2", &y2));
  const int64_t v[8] = {0, 0, 1, 1, 0, 0, 1, 1};
  DLF_TRY(add_pads_const(g, "pads", v, &pads));
  DLF_TRY(add_scalar(g, "val", 0.5f, &val));
  ir_node *n;
  int in1[3] = {x, pads, val}, in2[2] = {x, pads};
  DLF_TRY(add_node(g, "pad_half", IR_OP_PAD, 3, in1, p1, &n));
  n->opset = 13;
  DLF_TRY(add_node(g, "pad_zero", IR_OP_PAD, 2, in2, p2, &n));
  n->opset = 13;
  DLF_TRY(add_conv(g, "conv", p1, 3, 2, true, 50, y1));
  DLF_TRY(add_node(g, "pool", IR_OP_AVERAGEPOOL, 1, &p2, y2, &n));
  int64_t k[2] = {2, 2}, own[4] = {1, 0, 0, 1};
  DLF_TRY(ir_node_set_ints(n, "kernel_shape", k, 2));
  DLF_TRY(ir_node_set_ints(n, "pads", own, 4));
  /* ceil_mode: a window starting in the padded columns exists only while they are input. */
  int p3, y3, in3[2] = {x, pads};
  DLF_TRY(add_act(g, "p3", &p3));
  DLF_TRY(add_act(g, "y3", &y3));
  DLF_TRY(add_node(g, "pad_ceil", IR_OP_PAD, 2, in3, p3, &n));
  n->opset = 13;
  DLF_TRY(add_node(g, "pool_ceil", IR_OP_AVERAGEPOOL, 1, &p3, y3, &n));
  int64_t k3[2] = {3, 3}, s3[2] = {2, 2};
  DLF_TRY(ir_node_set_ints(n, "kernel_shape", k3, 2));
  DLF_TRY(ir_node_set_ints(n, "strides", s3, 2));
  DLF_TRY(ir_node_set_int(n, "ceil_mode", 1));
  DLF_TRY(add_output(g, y1));
  DLF_TRY(add_output(g, y3));
  return add_output(g, y2);
}

TEST(test_passes_nonzero_pad_and_uncounted_pool_pads_keep_their_pad) {
  ir_graph *g = passes_keep_outputs(build_pad_kept);
  REQUIRE(g);
  CHECK_INT(3, count_op(g, IR_OP_PAD));
  ir_graph_free(g);
}

/* x[2,5,4,3] -> ReduceMean([2,3], keepdims 0) -> y1 [2,5]; ReduceMean([-1,-2]) -> y2 [2,5,1,1];
 * ReduceMean([1,2]) stays. */
static dlf_status build_reduce_means(ir_graph *g) {
  int64_t xd[4] = {2, 5, 4, 3};
  int x, y1, y2, y3;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "y1", &y1));
  DLF_TRY(add_act(g, "y2", &y2));
  DLF_TRY(add_act(g, "y3", &y3));
  ir_node *n;
  const int64_t a1[2] = {2, 3}, a2[2] = {-1, -2}, a3[2] = {1, 2};
  DLF_TRY(add_node(g, "mean1", IR_OP_REDUCEMEAN, 1, &x, y1, &n));
  n->opset = 13;
  DLF_TRY(ir_node_set_ints(n, "axes", a1, 2));
  DLF_TRY(ir_node_set_int(n, "keepdims", 0));
  DLF_TRY(add_node(g, "mean2", IR_OP_REDUCEMEAN, 1, &x, y2, &n));
  n->opset = 13;
  DLF_TRY(ir_node_set_ints(n, "axes", a2, 2));
  DLF_TRY(add_node(g, "mean3", IR_OP_REDUCEMEAN, 1, &x, y3, &n));
  n->opset = 13;
  DLF_TRY(ir_node_set_ints(n, "axes", a3, 2));
  DLF_TRY(add_output(g, y1));
  DLF_TRY(add_output(g, y2));
  return add_output(g, y3);
}

TEST(test_passes_reduce_mean_over_hw_becomes_global_average_pool) {
  ir_graph *g = passes_keep_outputs(build_reduce_means);
  REQUIRE(g);
  CHECK_INT(1, count_op(g, IR_OP_REDUCEMEAN));
  CHECK_INT(2, count_op(g, IR_OP_GLOBALAVERAGEPOOL));
  CHECK_INT(1, count_op(g, IR_OP_FLATTEN));
  CHECK_INT(2, g->tensors[g->outputs[0]].ndim);
  ir_graph_free(g);
}

/* ShuffleNet's channel shuffle (groups 2 of 6 channels) -> one Gather; its result feeds a conv. */
static dlf_status build_shuffle(ir_graph *g) {
  int64_t xd[4] = {1, 6, 3, 4};
  int x, r1, t, r2, y, s5, s4;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "r1", &r1));
  DLF_TRY(add_act(g, "t", &t));
  DLF_TRY(add_act(g, "r2", &r2));
  DLF_TRY(add_act(g, "y", &y));
  const int64_t v5[5] = {1, 2, 3, 3, 4}, v4[4] = {1, -1, 3, 4};
  int64_t *p5 = malloc(sizeof v5), *p4 = malloc(sizeof v4), d5[1] = {5}, d4[1] = {4};
  if (!p5 || !p4) return DLF_ERR_NOMEM;
  memcpy(p5, v5, sizeof v5);
  memcpy(p4, v4, sizeof v4);
  DLF_TRY(ir_graph_add_constant(g, "s5", IR_I64, 1, d5, p5, &s5));
  DLF_TRY(ir_graph_add_constant(g, "s4", IR_I64, 1, d4, p4, &s4));
  ir_node *n;
  int in1[2] = {x, s5}, in3[2] = {t, s4};
  DLF_TRY(add_node(g, "reshape1", IR_OP_RESHAPE, 2, in1, r1, NULL));
  DLF_TRY(add_node(g, "transpose", IR_OP_TRANSPOSE, 1, &r1, t, &n));
  const int64_t perm[5] = {0, 2, 1, 3, 4};
  DLF_TRY(ir_node_set_ints(n, "perm", perm, 5));
  DLF_TRY(add_node(g, "reshape2", IR_OP_RESHAPE, 2, in3, r2, NULL));
  DLF_TRY(add_conv(g, "conv", r2, 6, 2, true, 60, y));
  return add_output(g, y);
}

TEST(test_passes_channel_shuffle_becomes_one_gather) {
  ir_graph *g = passes_keep_outputs(build_shuffle);
  REQUIRE(g);
  CHECK_INT(0, count_op(g, IR_OP_RESHAPE));
  CHECK_INT(0, count_op(g, IR_OP_TRANSPOSE));
  CHECK_INT(1, count_op(g, IR_OP_GATHER));
  ir_graph_free(g);
}

/* ---------------------------------------------- channels-last regions -- */

static dlf_status add_transpose(ir_graph *g, const char *name, int x, const int64_t *perm, int y) {
  ir_node *n;
  DLF_TRY(add_node(g, name, IR_OP_TRANSPOSE, 1, &x, y, &n));
  return ir_node_set_ints(n, "perm", perm, 4);
}
static const int64_t PERM_LAST[4] = {0, 2, 3, 1}, PERM_FIRST[4] = {0, 3, 1, 2};

/* ConvNeXt's block at opset 17: x[2,8,5,6] -> Transpose(0,2,3,1) -> LayerNorm(axis -1, [8]) ->
 * MatMul [8,12] -> Add [12] -> Erf -> Mul(scalar) -> MatMul [12,8] -> Mul [1,1,1,8] ->
 * Transpose(0,3,1,2) -> Add(x) -> y. */
static dlf_status build_channels_last_block(ir_graph *g, bool expose) {
  int64_t xd[4] = {2, 8, 5, 6}, c8[1] = {8}, c12[1] = {12}, w1[2] = {8, 12}, w2[2] = {12, 8},
          c18[4] = {1, 1, 1, 8};
  int x, t, ln, m1, a1, e, s, m2, sc, tb, y, k[8];
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  const char *names[] = {"t", "ln", "m1", "a1", "e", "s", "m2", "sc", "tb", "y"};
  int *outs[] = {&t, &ln, &m1, &a1, &e, &s, &m2, &sc, &tb, &y};
  for (int i = 0; i < 10; i++)
    DLF_TRY(add_act(g, names[i], outs[i]));
  DLF_TRY(add_rand(g, "gamma", 1, c8, 40, 0.5f, 1.5f, &k[0]));
  DLF_TRY(add_rand(g, "beta", 1, c8, 41, -0.5f, 0.5f, &k[1]));
  DLF_TRY(add_rand(g, "W1", 2, w1, 42, -0.5f, 0.5f, &k[2]));
  DLF_TRY(add_rand(g, "b1", 1, c12, 43, -0.5f, 0.5f, &k[3]));
  DLF_TRY(add_scalar(g, "half", 0.5f, &k[4]));
  DLF_TRY(add_rand(g, "W2", 2, w2, 44, -0.5f, 0.5f, &k[5]));
  DLF_TRY(add_rand(g, "ls", 4, c18, 45, 0.1f, 0.3f, &k[6]));
  DLF_TRY(add_transpose(g, "to_last", x, PERM_LAST, t));
  ir_node *n;
  int lin[3] = {t, k[0], k[1]};
  DLF_TRY(add_node(g, "ln", IR_OP_LAYERNORM, 3, lin, ln, &n));
  DLF_TRY(ir_node_set_float(n, "epsilon", 1e-6f));
  int mm1[2] = {ln, k[2]}, ad1[2] = {k[3], m1}, mu[2] = {e, k[4]}, mm2[2] = {s, k[5]};
  int mls[2] = {k[6], m2};
  DLF_TRY(add_node(g, "mm1", IR_OP_MATMUL, 2, mm1, m1, NULL));
  DLF_TRY(add_node(g, "add1", IR_OP_ADD, 2, ad1, a1, NULL));
  DLF_TRY(add_node(g, "erf", IR_OP_ERF, 1, &a1, e, NULL));
  DLF_TRY(add_node(g, "mul", IR_OP_MUL, 2, mu, s, NULL));
  DLF_TRY(add_node(g, "mm2", IR_OP_MATMUL, 2, mm2, m2, NULL));
  DLF_TRY(add_node(g, "scale", IR_OP_MUL, 2, mls, sc, NULL));
  DLF_TRY(add_transpose(g, "to_first", sc, PERM_FIRST, tb));
  int res[2] = {tb, x};
  DLF_TRY(add_node(g, "res", IR_OP_ADD, 2, res, y, NULL));
  if (expose) DLF_TRY(add_output(g, a1)); /* a region tensor read outside: not rewritten */
  return add_output(g, y);
}
static dlf_status build_cl_block(ir_graph *g) { return build_channels_last_block(g, false); }
static dlf_status build_cl_block_exposed(ir_graph *g) { return build_channels_last_block(g, true); }

TEST(test_passes_channels_last_region_becomes_nchw) {
  ir_graph *g = passes_keep_outputs(build_cl_block);
  REQUIRE(g);
  CHECK_INT(0, count_op(g, IR_OP_TRANSPOSE));
  CHECK_INT(0, count_op(g, IR_OP_MATMUL));
  CHECK_INT(2, count_op(g, IR_OP_CONV));
  const ir_node *ln = find_op(g, IR_OP_LAYERNORM);
  REQUIRE(ln);
  CHECK(ir_layernorm_channels(ln));
  /* the first 1x1 conv took the bias Add as its bias */
  CHECK_INT(0, count_op(g, IR_OP_ADD) - 1);
  ir_graph_free(g);
  g = passes_keep_outputs(build_cl_block_exposed);
  REQUIRE(g);
  CHECK_INT(2, count_op(g, IR_OP_TRANSPOSE));
  CHECK_INT(2, count_op(g, IR_OP_MATMUL));
  ir_graph_free(g);
}

/* LayerNorm as exported before opset 17, over the last axis of x[1,4,5,6] (no transposes):
 * ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div, Mul gamma [6], Add beta [6]. With
 * gamma = false, the Div is the last node and the LayerNorm gets ones and zeros. */
static dlf_status build_ln_decomposed(ir_graph *g, bool affine) {
  int64_t xd[4] = {1, 4, 5, 6}, c6[1] = {6}, axes[1] = {-1};
  int x, m, d, p, v, e, q, y, gm, gy, b, two, eps, by;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  const char *names[] = {"m", "d", "p", "v", "e", "q", "y", "gy", "by"};
  int *outs[] = {&m, &d, &p, &v, &e, &q, &y, &gy, &by};
  for (int i = 0; i < 9; i++)
    DLF_TRY(add_act(g, names[i], outs[i]));
  DLF_TRY(add_scalar(g, "two", 2.0f, &two));
  DLF_TRY(add_scalar(g, "eps", 1e-5f, &eps));
  DLF_TRY(add_rand(g, "gamma", 1, c6, 50, 0.5f, 1.5f, &gm));
  DLF_TRY(add_rand(g, "beta", 1, c6, 51, -0.5f, 0.5f, &b));
  ir_node *n;
  DLF_TRY(add_node(g, "mean", IR_OP_REDUCEMEAN, 1, &x, m, &n));
  n->opset = 13;
  DLF_TRY(ir_node_set_ints(n, "axes", axes, 1));
  int sub[2] = {x, m}, pw[2] = {d, two}, ad[2] = {v, eps}, dv[2] = {d, q};
  DLF_TRY(add_node(g, "sub", IR_OP_SUB, 2, sub, d, NULL));
  DLF_TRY(add_node(g, "pow", IR_OP_POW, 2, pw, p, NULL));
  DLF_TRY(add_node(g, "var", IR_OP_REDUCEMEAN, 1, &p, v, &n));
  n->opset = 13;
  DLF_TRY(ir_node_set_ints(n, "axes", axes, 1));
  DLF_TRY(add_node(g, "add", IR_OP_ADD, 2, ad, e, NULL));
  DLF_TRY(add_node(g, "sqrt", IR_OP_SQRT, 1, &e, q, NULL));
  DLF_TRY(add_node(g, "div", IR_OP_DIV, 2, dv, y, NULL));
  if (!affine) return add_output(g, y);
  int gmul[2] = {y, gm}, badd[2] = {gy, b};
  DLF_TRY(add_node(g, "gamma_mul", IR_OP_MUL, 2, gmul, gy, NULL));
  DLF_TRY(add_node(g, "beta_add", IR_OP_ADD, 2, badd, by, NULL));
  return add_output(g, by);
}
static dlf_status build_ln_affine(ir_graph *g) { return build_ln_decomposed(g, true); }
static dlf_status build_ln_plain(ir_graph *g) { return build_ln_decomposed(g, false); }

TEST(test_passes_layernorm_decomposition_fuses) {
  build_fn builds[2] = {build_ln_affine, build_ln_plain};
  for (int b = 0; b < 2; b++) {
    ir_graph *g = passes_keep_outputs(builds[b]);
    REQUIRE(g);
    CHECK_INT(1, g->n_nodes);
    const ir_node *n = find_op(g, IR_OP_LAYERNORM);
    REQUIRE(n);
    CHECK(!ir_layernorm_channels(n));
    CHECK_NEAR(1e-5, ir_node_float(n, "epsilon", 0), 1e-12);
    ir_graph_free(g);
  }
}

/* Conv -> exact GELU as exported (Div sqrt 2, Erf, Add 1, Mul x, Mul 0.5): one conv with the
 * GELU epilogue; with 0.25 for 0.5 nothing folds. */
static dlf_status build_conv_gelu(ir_graph *g, float half) {
  int64_t xd[4] = {1, 3, 5, 5};
  int x, c, d, e, a, m, y, k2, k1, kh;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  const char *names[] = {"c", "d", "e", "a", "m", "y"};
  int *outs[] = {&c, &d, &e, &a, &m, &y};
  for (int i = 0; i < 6; i++)
    DLF_TRY(add_act(g, names[i], outs[i]));
  DLF_TRY(add_scalar(g, "sqrt2", 1.41421353816986084f, &k2));
  DLF_TRY(add_scalar(g, "one", 1.0f, &k1));
  DLF_TRY(add_scalar(g, "half", half, &kh));
  DLF_TRY(add_conv(g, "conv", x, 3, 4, true, 33, c));
  int dv[2] = {c, k2}, ad[2] = {e, k1}, m1[2] = {c, a}, m2[2] = {m, kh};
  DLF_TRY(add_node(g, "div", IR_OP_DIV, 2, dv, d, NULL));
  DLF_TRY(add_node(g, "erf", IR_OP_ERF, 1, &d, e, NULL));
  DLF_TRY(add_node(g, "add", IR_OP_ADD, 2, ad, a, NULL));
  DLF_TRY(add_node(g, "mul", IR_OP_MUL, 2, m1, m, NULL));
  DLF_TRY(add_node(g, "mul_half", IR_OP_MUL, 2, m2, y, NULL));
  return add_output(g, y);
}
static dlf_status build_conv_gelu_exact(ir_graph *g) { return build_conv_gelu(g, 0.5f); }
static dlf_status build_conv_gelu_other(ir_graph *g) { return build_conv_gelu(g, 0.25f); }

TEST(test_passes_gelu_fuses_into_conv) {
  ir_graph *g = passes_keep_outputs(build_conv_gelu_exact);
  REQUIRE(g);
  CHECK_INT(1, g->n_nodes);
  const ir_node *n = find_op(g, IR_OP_CONV);
  REQUIRE(n);
  CHECK_INT(IR_ACT_GELU, n->act);
  CHECK(strcmp(out_name(g, n), "y") == 0);
  ir_graph_free(g);
  g = passes_keep_outputs(build_conv_gelu_other);
  REQUIRE(g);
  CHECK_INT(1, count_op(g, IR_OP_ERF));
  n = find_op(g, IR_OP_CONV);
  REQUIRE(n);
  CHECK_INT(IR_ACT_NONE, n->act);
  ir_graph_free(g);
}

/* --------------------------------------------------------- dead taps -- */

/* x[1,3,H,W] -> Conv 3x3 with dilations dil and pads = dil, stride st (then the relu keeps a
 * second layer in the graph). */
static dlf_status build_dilated(ir_graph *g, int64_t H, int64_t W, const int64_t *dil,
                                int64_t st) {
  int64_t xd[4] = {1, 3, H, W};
  int x, c, y;
  DLF_TRY(add_input(g, "x", 4, xd, &x));
  DLF_TRY(add_act(g, "c", &c));
  DLF_TRY(add_act(g, "y", &y));
  DLF_TRY(add_conv(g, "conv", x, 3, 4, true, 60, c));
  ir_node *n = &g->nodes[g->n_nodes - 1];
  const int64_t pads[4] = {dil[0], dil[1], dil[0], dil[1]}, s[2] = {st, st};
  DLF_TRY(ir_node_set_ints(n, "pads", pads, 4));
  DLF_TRY(ir_node_set_ints(n, "dilations", dil, 2));
  DLF_TRY(ir_node_set_ints(n, "strides", s, 2));
  DLF_TRY(add_node(g, "relu", IR_OP_TANH, 1, &c, y, NULL));
  return add_output(g, y);
}
static const int64_t D66[2] = {6, 6}, D22[2] = {2, 2}, D41[2] = {4, 1};
static dlf_status build_dead_all(ir_graph *g) { return build_dilated(g, 5, 5, D66, 1); }
static dlf_status build_dead_none(ir_graph *g) { return build_dilated(g, 5, 5, D22, 1); }
static dlf_status build_dead_rows(ir_graph *g) { return build_dilated(g, 3, 7, D41, 1); }
/* stride 4 over 5 rows with dilation 2 (pads 2): outputs read rows -2.., the top tap row only
 * -2 and 2 (live), the bottom 2 and 6 (live); nothing cut */
static dlf_status build_dead_strided(ir_graph *g) { return build_dilated(g, 5, 5, D22, 4); }

static void kernel_of(const ir_graph *g, int64_t *k, int64_t *pads) {
  const ir_node *n = find_op(g, IR_OP_CONV);
  k[0] = k[1] = -1;
  if (!n) return;
  ir_node_ints(n, "kernel_shape", k, 2);
  ir_node_ints(n, "pads", pads, 4);
  const ir_tensor *w = &g->tensors[n->inputs[1]];
  CHECK_INT(k[0], w->dims[2]);
  CHECK_INT(k[1], w->dims[3]);
}

TEST(test_passes_dead_taps_are_cut) {
  int64_t k[2], p[4];
  ir_graph *g = passes_keep_outputs(build_dead_all);
  REQUIRE(g);
  kernel_of(g, k, p);
  CHECK_INT(1, k[0]);
  CHECK_INT(1, k[1]);
  CHECK_INT(0, p[0] + p[1] + p[2] + p[3]);
  ir_graph_free(g);
  g = passes_keep_outputs(build_dead_rows);
  REQUIRE(g);
  kernel_of(g, k, p);
  CHECK_INT(1, k[0]);
  CHECK_INT(3, k[1]);
  ir_graph_free(g);
  build_fn keep[2] = {build_dead_none, build_dead_strided};
  for (int b = 0; b < 2; b++) {
    g = passes_keep_outputs(keep[b]);
    REQUIRE(g);
    kernel_of(g, k, p);
    CHECK_INT(3, k[0]);
    CHECK_INT(3, k[1]);
    ir_graph_free(g);
  }
}
