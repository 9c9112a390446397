/* test_fusion.c — fused execution on random valid plans: for zoo models, many random
 * partitions into blocks (random core numbers, tile heights, algorithms) must give the
 * reference executor's output (1e-4 of the output range; 1e-3 with Winograd), and the
 * exact output of the unfused plan that uses the same per-layer algorithms (fusion only
 * changes which rows are computed when, never the arithmetic of a row). Also the greedy
 * maximal fusion of each model, and tile schedules with one-row tiles. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/model.h"
#include "api/plan_internal.h"
#include "core/rng.h"
#include "dlfusion.h"
#include "graph_builder.h"
#include "ir/ref_exec.h"
#include "op_harness.h"
#include "runtime/engine.h"
#include "test.h"

static bool is_const(const ir_graph *g, int t) { return t >= 0 && g->tensors[t].data; }

/* Layers the fused engine can put in a multi-layer block (row-local on 4-D tensors):
 * the test's own statement of the rule, independent of the engine's. */
static bool row_local(const ir_graph *g, const ir_node *n) {
  if (n->n_outputs != 1 || g->tensors[n->outputs[0]].ndim != 4) return false;
  for (int k = 0; k < n->n_inputs; k++) {
    int t = n->inputs[k];
    if (t >= 0 && !is_const(g, t) && g->tensors[t].ndim != 4) return false;
  }
  switch (n->op) {
  case IR_OP_CONV: return is_const(g, n->inputs[1]);
  case IR_OP_MAXPOOL:
  case IR_OP_AVERAGEPOOL:
  case IR_OP_RELU: return true;
  case IR_OP_ADD:
  case IR_OP_MUL: {
    const ir_tensor *a = &g->tensors[n->inputs[0]], *b = &g->tensors[n->inputs[1]];
    return !is_const(g, n->inputs[1]) && memcmp(a->dims, b->dims, sizeof a->dims) == 0;
  }
  case IR_OP_CONCAT: return ir_node_int(n, "axis", 0) == 1 || ir_node_int(n, "axis", 0) == -3;
  default: return false;
  }
}

static bool winograd_ok(const ir_graph *g, const ir_node *n) {
  if (n->op != IR_OP_CONV) return false;
  const ir_tensor *w = &g->tensors[n->inputs[1]];
  int64_t s[2] = {1, 1}, d[2] = {1, 1};
  ir_node_ints(n, "strides", s, 2);
  ir_node_ints(n, "dilations", d, 2);
  return w->dims[2] == 3 && w->dims[3] == 3 && s[0] == 1 && s[1] == 1 && d[0] == 1 &&
         d[1] == 1 && ir_node_int(n, "group", 1) == 1;
}

static bool depthwise(const ir_graph *g, const ir_node *n) {
  if (n->op != IR_OP_CONV) return false;
  int64_t groups = ir_node_int(n, "group", 1);
  return groups > 1 && groups == g->tensors[n->inputs[0]].dims[1] &&
         groups == g->tensors[n->outputs[0]].dims[1];
}

/* max_block: longest block; p_cut: probability of ending a block after a layer. */
static plan *random_plan(const ir_graph *g, dlf_rng *r, int cores, int max_block, float p_cut,
                         bool random_algos) {
  plan *p;
  if (plan_unfused(g, NULL, cores, &p) != DLF_OK) return NULL;
  int n_layers = p->n_blocks;
  int *node = malloc(sizeof *node * (size_t)n_layers);
  plan_layer_nodes(g, node);
  /* Re-partition: blocks[] already has one block per layer; merge runs. */
  plan_block *nb = calloc((size_t)n_layers, sizeof *nb);
  int nblocks = 0;
  for (int l = 0; l < n_layers;) {
    plan_block *b = &nb[nblocks++];
    b->layers = malloc(sizeof *b->layers * (size_t)n_layers);
    b->algo = calloc((size_t)n_layers, sizeof *b->algo);
    b->layers[b->n_layers++] = l;
    if (row_local(g, &g->nodes[node[l]]))
      while (l + b->n_layers < n_layers && b->n_layers < max_block &&
             row_local(g, &g->nodes[node[l + b->n_layers]]) && dlf_rng_uniform(r) >= p_cut)
        b->layers[b->n_layers] = l + b->n_layers, b->n_layers++;
    l += b->n_layers;
    b->cores = 1 + (int)(dlf_rng_next(r) % (uint64_t)cores);
    const ir_node *last = &g->nodes[node[b->layers[b->n_layers - 1]]];
    const ir_tensor *y = &g->tensors[last->outputs[0]];
    int64_t H = y->ndim == 4 ? y->dims[2] : 1;
    int pick = (int)(dlf_rng_next(r) % 4);
    b->tile_rows = pick == 0 ? 0 : pick == 1 ? 1 : (int)(1 + dlf_rng_next(r) % (uint64_t)H);
    for (int j = 0; random_algos && j < b->n_layers; j++) {
      const ir_node *n = &g->nodes[node[b->layers[j]]];
      int c = (int)(dlf_rng_next(r) % 3);
      if (winograd_ok(g, n))
        b->algo[j] = c == 0 ? PLAN_ALGO_AUTO : c == 1 ? PLAN_ALGO_IM2COL : PLAN_ALGO_WINOGRAD;
      else if (depthwise(g, n))
        b->algo[j] = c == 0 ? PLAN_ALGO_AUTO : c == 1 ? PLAN_ALGO_IM2COL : PLAN_ALGO_DIRECT;
      else if (n->op == IR_OP_CONV && g->tensors[n->inputs[0]].dims[1] <= 8 &&
               ir_node_int(n, "group", 1) == 1) /* stems: the direct small-channel kernel */
        b->algo[j] = c == 0 ? PLAN_ALGO_AUTO : c == 1 ? PLAN_ALGO_IM2COL : PLAN_ALGO_DIRECT;
      else if (n->op == IR_OP_CONV)
        b->algo[j] = c == 0 ? PLAN_ALGO_AUTO : PLAN_ALGO_IM2COL;
    }
  }
  for (int b = 0; b < p->n_blocks; b++) {
    free(p->blocks[b].layers);
    free(p->blocks[b].algo);
  }
  free(p->blocks);
  p->blocks = nb;
  p->n_blocks = nblocks;
  free(node);
  return p;
}

/* The unfused plan running each layer with the algorithm `p` gives it. */
static plan *unfused_like(const ir_graph *g, const plan *p, int cores) {
  plan *u;
  if (plan_unfused(g, NULL, cores, &u) != DLF_OK) return NULL;
  for (int b = 0; b < p->n_blocks; b++)
    for (int j = 0; j < p->blocks[b].n_layers; j++) {
      const plan_algo a = p->blocks[b].algo[j];
      const plan_algo auto_algo = PLAN_ALGO_AUTO;
      u->blocks[p->blocks[b].layers[j]].algo[0] = a;
      (void)auto_algo;
    }
  return u;
}

static int n_fused_blocks(const plan *p) {
  int n = 0;
  for (int b = 0; b < p->n_blocks; b++)
    n += p->blocks[b].n_layers > 1;
  return n;
}

static bool uses_winograd(const dlf_model *m, const plan *p) {
  (void)m;
  for (int b = 0; b < p->n_blocks; b++)
    for (int j = 0; j < p->blocks[b].n_layers; j++)
      if (p->blocks[b].algo[j] != PLAN_ALGO_IM2COL && p->blocks[b].algo[j] != PLAN_ALGO_DIRECT)
        return true; /* auto may choose Winograd */
  return false;
}

/* Run `p` (ownership taken) on a 2-thread session; out receives the output. */
static dlf_status run_plan(const dlf_model *m, plan *p, const float *x, float *out,
                           int64_t *arena) {
  dlf_plan *dp;
  dlf_status st = dlf_plan_wrap(p, &dp);
  if (st != DLF_OK) return st;
  dlf_session_options so = {.engine = DLF_ENGINE_DEFAULT, .threads = 2, .plan = dp};
  dlf_session *s;
  st = dlf_session_create(m, &so, &s);
  dlf_plan_free(dp);
  if (st != DLF_OK) return st;
  const void *in[1] = {x};
  void *o[1] = {out};
  st = dlf_session_run(s, in, o);
  if (st == DLF_OK) st = dlf_session_run(s, in, o); /* a second run reuses the tiles */
  if (arena) {
    dlf_session_memory mem;
    dlf_session_memory_usage(s, &mem);
    *arena = mem.arena_bytes;
  }
  dlf_session_free(s);
  return st;
}

static double max_rel_diff(const float *ref, const float *got, int64_t n) {
  float lo = ref[0], hi = ref[0];
  for (int64_t i = 0; i < n; i++) {
    if (ref[i] < lo) lo = ref[i];
    if (ref[i] > hi) hi = ref[i];
  }
  double range = (double)hi - lo, worst = 0;
  for (int64_t i = 0; i < n; i++) {
    double d = fabs((double)ref[i] - got[i]);
    if (!(d <= worst)) worst = d;
  }
  return worst / (range > 0 ? range : 1);
}

static void random_plans_match(const char *name, int n_plans, uint64_t seed) {
  char spec[64];
  snprintf(spec, sizeof spec, "zoo:%s", name);
  dlf_model *m;
  REQUIRE_OK(dlf_model_load(spec, NULL, &m));
  const ir_graph *g = m->graph;
  dlf_tensor ti, to;
  REQUIRE_OK(dlf_model_input(m, 0, &ti));
  REQUIRE_OK(dlf_model_output(m, 0, &to));
  int64_t ni = 1, no = 1;
  for (int d = 0; d < ti.ndim; d++)
    ni *= ti.dims[d];
  for (int d = 0; d < to.ndim; d++)
    no *= to.dims[d];
  float *x = th_random(seed, ni, -1, 1);
  float *want = calloc((size_t)no, sizeof *want), *got = calloc((size_t)no, sizeof *got),
        *same = calloc((size_t)no, sizeof *same);
  REQUIRE(x && want && got && same);
  dlf_session *rs;
  dlf_session_options ro = {.engine = DLF_ENGINE_REFERENCE, .threads = 1};
  REQUIRE_OK(dlf_session_create(m, &ro, &rs));
  const void *in[1] = {x};
  void *o[1] = {want};
  REQUIRE_OK(dlf_session_run(rs, in, o));
  dlf_session_free(rs);
  dlf_rng r = dlf_rng_make(seed);
  int fused = 0;
  for (int i = 0; i < n_plans; i++) {
    /* Plan 0: greedy maximal fusion, one-row tiles; then random partitions. */
    plan *p = i == 0 ? random_plan(g, &r, 2, 1 << 20, 0.0f, false)
                     : random_plan(g, &r, 2, 2 + i % 6, 0.3f, true);
    REQUIRE(p);
    if (i == 0)
      for (int b = 0; b < p->n_blocks; b++)
        p->blocks[b].tile_rows = 1;
    plan *u = unfused_like(g, p, 2);
    REQUIRE(u);
    fused += n_fused_blocks(p);
    double tol = uses_winograd(m, p) ? 1e-3 : 1e-4;
    memset(got, 0, sizeof *got * (size_t)no);
    memset(same, 0, sizeof *same * (size_t)no);
    REQUIRE_OK(run_plan(m, p, x, got, NULL));
    REQUIRE_OK(run_plan(m, u, x, same, NULL));
    double d = max_rel_diff(want, got, no);
    if (!(d <= tol)) test_fail(__FILE__, __LINE__, "%s plan %d: diff %g > %g", name, i, d, tol);
    if (memcmp(got, same, sizeof *got * (size_t)no) != 0)
      test_fail(__FILE__, __LINE__, "%s plan %d: fused output differs from unfused (%g)", name,
                i, max_rel_diff(same, got, no));
  }
  CHECK(fused > 0);
  free(x);
  free(want);
  free(got);
  free(same);
  dlf_model_free(m);
}

TEST(fusion_random_plans_squeezenet) { random_plans_match("squeezenet1_0", 8, 11); }
TEST(fusion_random_plans_mobilenet_v2) { random_plans_match("mobilenet_v2", 8, 12); }
TEST(fusion_random_plans_resnet18) { random_plans_match("resnet18", 6, 13); }

/* ------------------------------------------------- synthetic blocks -- */

/* All layers of g in one block (k cores, tile_rows, every conv forced to `algo`). */
static plan *one_block(const ir_graph *g, int cores, int tile_rows, plan_algo algo) {
  plan *p;
  if (plan_unfused(g, NULL, cores, &p) != DLF_OK) return NULL;
  int n = p->n_blocks;
  plan_block *b = &p->blocks[0];
  b->layers = realloc(b->layers, sizeof *b->layers * (size_t)n);
  b->algo = realloc(b->algo, sizeof *b->algo * (size_t)n);
  int *node = malloc(sizeof *node * (size_t)n);
  plan_layer_nodes(g, node);
  for (int l = 0; l < n; l++) {
    b->layers[l] = l;
    b->algo[l] = g->nodes[node[l]].op == IR_OP_CONV ? algo : PLAN_ALGO_AUTO;
  }
  for (int k = 1; k < n; k++) {
    free(p->blocks[k].layers);
    free(p->blocks[k].algo);
  }
  b->n_layers = n;
  b->cores = cores;
  b->tile_rows = tile_rows;
  p->n_blocks = 1;
  free(node);
  return p;
}

/* Outputs of g under plan p (NULL = unfused), threads 2, ISA cfg, into out[o]. */
static dlf_status run_engine(const ir_graph *g, const plan *p, const kern_config *cfg,
                             const float *x, float **out, rt_engine **keep) {
  rt_engine_options o = {2, cfg, -1, false, p};
  rt_engine *e;
  DLF_TRY(rt_engine_create(g, &o, &e));
  const void *in[1] = {x};
  dlf_status st = rt_engine_run(e, in, (void *const *)out, NULL, NULL);
  if (keep && st == DLF_OK)
    *keep = e;
  else
    rt_engine_free(e);
  return st;
}

/* Fuse the whole graph for every ISA, cores 1..2, tile heights 0..H+1 and algorithms
 * auto / im2col; outputs must match the reference and, bit for bit, the unfused plan
 * with the same algorithms. */
static void fuse_check(eg *b) {
  ir_graph *g = b->g;
  REQUIRE_OK(ir_graph_infer_shapes(g));
  REQUIRE_OK(ir_graph_toposort(g));
  const ir_tensor *xt = &g->tensors[g->inputs[0]];
  float *x = th_random(5, ir_tensor_numel(xt), -2, 2);
  float *want[4], *got[4], *same[4];
  int64_t no[4];
  REQUIRE(g->n_outputs <= 4);
  for (int o = 0; o < g->n_outputs; o++) {
    no[o] = ir_tensor_numel(&g->tensors[g->outputs[o]]);
    want[o] = calloc((size_t)no[o], sizeof(float));
    got[o] = calloc((size_t)no[o], sizeof(float));
    same[o] = calloc((size_t)no[o], sizeof(float));
  }
  const void *in[1] = {x};
  ir_ref_exec *rx;
  REQUIRE_OK(ir_ref_exec_create(g, &rx));
  REQUIRE_OK(ir_ref_exec_run(rx, in, (void *const *)want));
  ir_ref_exec_free(rx);
  const ir_tensor *last = &g->tensors[g->nodes[g->n_nodes - 1].outputs[0]];
  const int H = (int)last->dims[2];
  for (int isa = 0; isa < KERN_ISA_COUNT; isa++) {
    const kern_config *cfg = kern_config_for_isa((kern_isa)isa);
    if (!cfg) continue;
    for (int algo = 0; algo < 2; algo++)
      for (int cores = 1; cores <= 2; cores++)
        for (int h = 0; h <= H + 1; h++) {
          plan_algo a = algo ? PLAN_ALGO_IM2COL : PLAN_ALGO_AUTO;
          plan *p = one_block(g, cores, h, a), *u = one_block(g, cores, 0, a);
          REQUIRE(p && u);
          /* The unfused twin: one block per layer, same algorithms. */
          plan *uu;
          REQUIRE_OK(plan_unfused(g, NULL, cores, &uu));
          for (int l = 0; l < uu->n_blocks; l++)
            uu->blocks[l].algo[0] = u->blocks[0].algo[l];
          for (int o = 0; o < g->n_outputs; o++) {
            memset(got[o], 0xff, sizeof(float) * (size_t)no[o]);
            memset(same[o], 0, sizeof(float) * (size_t)no[o]);
          }
          REQUIRE_OK(run_engine(g, p, cfg, x, got, NULL));
          REQUIRE_OK(run_engine(g, uu, cfg, x, same, NULL));
          for (int o = 0; o < g->n_outputs; o++) {
            double d = max_rel_diff(want[o], got[o], no[o]);
            double tol = algo ? 1e-5 : 1e-4;
            if (!(d <= tol))
              test_fail(__FILE__, __LINE__, "%s cores %d tile %d algo %s output %d: diff %g",
                        kern_isa_name((kern_isa)isa), cores, h, plan_algo_name(a), o, d);
            if (memcmp(got[o], same[o], sizeof(float) * (size_t)no[o]) != 0)
              test_fail(__FILE__, __LINE__, "%s cores %d tile %d: fused != unfused output %d",
                        kern_isa_name((kern_isa)isa), cores, h, o);
          }
          plan_free(p);
          plan_free(u);
          plan_free(uu);
        }
  }
  for (int o = 0; o < g->n_outputs; o++) {
    free(want[o]);
    free(got[o]);
    free(same[o]);
  }
  free(x);
  ir_graph_free(g);
}

static const int64_t PAD1[4] = {1, 1, 1, 1};

TEST(fusion_conv3x3_chain_every_tile_height) {
  eg b = eg_begin();
  const int64_t xd[4] = {1, 8, 11, 9};
  int x = eg_input(&b, 4, xd), y1, y2;
  { int ni_ = eg_conv(&b, x, 8, 16, 3, 1, PAD1, 1, &y1); b.g->nodes[ni_].act = IR_ACT_RELU; }
  { int ni_ = eg_conv(&b, y1, 16, 16, 3, 1, PAD1, 1, &y2); b.g->nodes[ni_].act = IR_ACT_CLIP; }
  b.g->nodes[b.g->n_nodes - 1].act_p1 = 0.5f;
  eg_output(&b, y2);
  fuse_check(&b);
}

/* conv (stride 2) -> maxpool 3x3/2 ceil_mode -> depthwise 3x3 -> 1x1, batch 2. */
TEST(fusion_strided_pool_depthwise_chain_batch2) {
  eg b = eg_begin();
  const int64_t xd[4] = {2, 3, 23, 19};
  int x = eg_input(&b, 4, xd), y1, y2, y3, y4;
  { int ni_ = eg_conv(&b, x, 3, 16, 3, 2, PAD1, 1, &y1); b.g->nodes[ni_].act = IR_ACT_RELU; }
  int ni = eg_node(&b, IR_OP_MAXPOOL, 1, &y1, &y2);
  int64_t k[2] = {3, 3}, s[2] = {2, 2};
  ir_node_set_ints(&b.g->nodes[ni], "kernel_shape", k, 2);
  ir_node_set_ints(&b.g->nodes[ni], "strides", s, 2);
  ir_node_set_int(&b.g->nodes[ni], "ceil_mode", 1);
  eg_conv(&b, y2, 16, 16, 3, 1, PAD1, 16, &y3);
  eg_conv(&b, y3, 16, 24, 1, 1, NULL, 1, &y4);
  eg_output(&b, y4);
  fuse_check(&b);
}

/* ResNet basic block with a downsample path: two sinks-to-be joined by the residual, and
 * the first conv's output also a graph output (materialized while fused). */
TEST(fusion_residual_block_with_downsample_and_materialized_tensor) {
  eg b = eg_begin();
  const int64_t xd[4] = {1, 8, 14, 10};
  int x = eg_input(&b, 4, xd), y1, y2, yd;
  { int ni_ = eg_conv(&b, x, 8, 16, 3, 2, PAD1, 1, &y1); b.g->nodes[ni_].act = IR_ACT_RELU; }
  eg_conv(&b, x, 8, 16, 1, 2, NULL, 1, &yd);
  int n2 = eg_conv(&b, y1, 16, 16, 3, 1, PAD1, 1, &y2);
  b.g->nodes[n2].residual = yd;
  b.g->nodes[n2].act = IR_ACT_RELU;
  eg_output(&b, y2);
  eg_output(&b, y1);
  fuse_check(&b);
}

/* SqueezeNet fire module: squeeze 1x1 -> (expand 1x1, expand 3x3) -> concat. */
TEST(fusion_fire_module_concat) {
  eg b = eg_begin();
  const int64_t xd[4] = {1, 16, 13, 13};
  int x = eg_input(&b, 4, xd), s, e1, e3, y;
  { int ni_ = eg_conv(&b, x, 16, 8, 1, 1, NULL, 1, &s); b.g->nodes[ni_].act = IR_ACT_RELU; }
  { int ni_ = eg_conv(&b, s, 8, 16, 1, 1, NULL, 1, &e1); b.g->nodes[ni_].act = IR_ACT_RELU; }
  { int ni_ = eg_conv(&b, s, 8, 16, 3, 1, PAD1, 1, &e3); b.g->nodes[ni_].act = IR_ACT_RELU; }
  int in[2] = {e1, e3};
  int ni = eg_node(&b, IR_OP_CONCAT, 2, in, &y);
  ir_node_set_int(&b.g->nodes[ni], "axis", 1);
  eg_output(&b, y);
  fuse_check(&b);
}

/* MobileNetV2 inverted residual: expand 1x1 (relu6) -> depthwise 3x3 (relu6) -> project
 * 1x1 -> Add with the block input (a standalone Add step), then a Relu step. */
TEST(fusion_inverted_residual_with_add_and_relu_steps) {
  eg b = eg_begin();
  const int64_t xd[4] = {1, 8, 12, 12};
  int x = eg_input(&b, 4, xd), e, d, p, a, r;
  int n1 = eg_conv(&b, x, 8, 48, 1, 1, NULL, 1, &e);
  b.g->nodes[n1].act = IR_ACT_CLIP, b.g->nodes[n1].act_p1 = 6;
  int n2 = eg_conv(&b, e, 48, 48, 3, 1, PAD1, 48, &d);
  b.g->nodes[n2].act = IR_ACT_CLIP, b.g->nodes[n2].act_p1 = 6;
  eg_conv(&b, d, 48, 8, 1, 1, NULL, 1, &p);
  int in[2] = {p, x};
  eg_node(&b, IR_OP_ADD, 2, in, &a);
  eg_node(&b, IR_OP_RELU, 1, &a, &r);
  eg_output(&b, r);
  fuse_check(&b);
}

/* Block statistics by hand: conv3x3 (8 -> 16) then conv3x3 (16 -> 16) on 11x9, tiles of 4
 * rows: the first conv computes rows [0,5) [3,9) [7,11) = 15 rows instead of 11. */
TEST(fusion_block_stats_count_halo_rows_and_saved_traffic) {
  eg b = eg_begin();
  const int64_t xd[4] = {1, 8, 11, 9};
  int x = eg_input(&b, 4, xd), y1, y2;
  eg_conv(&b, x, 8, 16, 3, 1, PAD1, 1, &y1);
  eg_conv(&b, y1, 16, 16, 3, 1, PAD1, 1, &y2);
  eg_output(&b, y2);
  ir_graph *g = b.g;
  REQUIRE_OK(ir_graph_infer_shapes(g));
  plan *p = one_block(g, 1, 4, PLAN_ALGO_IM2COL);
  float *x0 = th_random(1, 8 * 11 * 9, -1, 1), *y = calloc(16 * 11 * 9, sizeof(float));
  float *outs[1] = {y};
  rt_engine *e = NULL;
  REQUIRE_OK(run_engine(g, p, NULL, x0, outs, &e));
  dlf_block_stats st;
  rt_engine_block_stats(e, 0, &st);
  CHECK_INT(3, st.tiles);
  const double w1 = 9.0 * 16 * 9 * 8, w2 = 9.0 * 16 * 9 * 16;
  CHECK_NEAR((15 * w1 + 11 * w2) / (11 * w1 + 11 * w2), st.recompute, 1e-9);
  CHECK_INT(2 * 16 * 11 * 9 * 4, st.saved_bytes);           /* y1 never exists in full */
  CHECK_INT(2 * 15 * 9 * 16 * 4, st.cache_bytes);           /* 15 rows written + read */
  CHECK_INT(6 * 9 * 16 * 4, st.scratch_bytes);              /* the tallest range: 6 rows */
  CHECK_INT(16 * 11 * 9 * 4, st.dram_write_bytes);          /* y2 */
  CHECK(st.dram_read_bytes >= 8 * 11 * 9 * 4 + (8 * 9 + 16 * 9) * 16 * 4); /* x + weights */
  int64_t arena, scratch, weights;
  rt_engine_memory(e, &arena, &scratch, &weights);
  CHECK_INT(16 * 11 * 9 * 4, arena); /* y2 only: y1 lives in tile scratch */
  rt_engine_free(e);
  plan_free(p);
  free(x0);
  free(y);
  ir_graph_free(g);
}
