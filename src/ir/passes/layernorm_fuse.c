/* layernorm_fuse.c — LayerNorm as exporters write it before opset 17 (ConvNeXt at opset 13):
 *
 *   m = ReduceMean(x, axes=[-1]); d = x - m; v = ReduceMean(Pow(d, 2), axes=[-1]);
 *   y = d / Sqrt(v + eps) [* gamma] [+ beta]
 *
 * becomes one LayerNormalization(x, gamma, beta; axis=-1, epsilon=eps) (ones and zeros when
 * gamma / beta are absent), the node opset 17 exports. Every intermediate must be read only
 * inside the pattern (d by the Pow and the Div), as a rewrite must not drop a value another
 * layer reads. */
#include <stdio.h>
#include <stdlib.h>

#include "core/checked.h"
#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

/* The single value of a float32 constant of one element. */
static bool scalar_of(const ir_graph *g, int t, float *v) {
  if (!pass_is_const_f32(g, t) || ir_tensor_numel(&g->tensors[t]) != 1) return false;
  *v = *(const float *)g->tensors[t].data;
  return true;
}

/* Is node i (live) a ReduceMean of its input's last axis, keeping dims? */
static bool mean_last_axis(const ir_graph *g, int i) {
  const ir_node *n = &g->nodes[i];
  if (n->dead || n->op != IR_OP_REDUCEMEAN || n->n_outputs != 1 || n->act != IR_ACT_NONE) return false;
  const ir_tensor *x = ir_node_input(g, n, 0);
  if (!x || x->ndim < 1 || ir_node_int(n, "keepdims", 1) != 1) return false;
  int64_t axes[2];
  int c = n->opset >= 18 ? ir_node_const_ints(g, n, 1, axes, 2) : ir_node_ints(n, "axes", axes, 2);
  return c == 1 && (axes[0] == -1 || axes[0] == x->ndim - 1);
}

/* The operand of binary node n that is not t (-1 unless n has exactly the inputs t and it). */
static int other_input(const ir_node *n, int t) {
  if (n->n_inputs != 2 || n->residual >= 0 || n->act != IR_ACT_NONE) return -1;
  if (n->inputs[0] == t) return n->inputs[1];
  if (n->inputs[1] == t) return n->inputs[0];
  return -1;
}

/* A constant of C values along the last axis only ([C], [1, .., 1, C]). */
static bool last_axis_vector(const ir_graph *g, int t, int64_t C) {
  if (!pass_is_const_f32(g, t)) return false;
  const ir_tensor *c = &g->tensors[t];
  if (ir_tensor_numel(c) != C || c->ndim < 1 || c->dims[c->ndim - 1] != C) return false;
  return true;
}

static int sole(const ir_graph *g, int t, ir_op op) {
  int c = pass_sole_consumer(g, t);
  return c >= 0 && g->nodes[c].op == op ? c : -1;
}

/* Match the pattern at ReduceMean node mi and rewrite it, or leave the graph as it is. */
static dlf_status fuse_at(ir_graph *g, int mi) {
  const int x = g->nodes[mi].inputs[0], m = g->nodes[mi].outputs[0];
  const ir_tensor *xt = &g->tensors[x];
  if (xt->dtype != IR_F32 || xt->ndim < 1) return DLF_OK;
  const int64_t C = xt->dims[xt->ndim - 1];
  const int si = sole(g, m, IR_OP_SUB);
  if (si < 0 || g->nodes[si].inputs[0] != x || g->nodes[si].inputs[1] != m) return DLF_OK;
  const int d = g->nodes[si].outputs[0];
  if (pass_is_graph_output(g, d) || pass_use_count(g, d) != 2) return DLF_OK;
  int pi = -1, di = -1;
  for (int i = 0; i < g->n_nodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    if (n->op == IR_OP_POW && n->n_inputs == 2 && n->inputs[0] == d) pi = i;
    if (n->op == IR_OP_DIV && n->n_inputs == 2 && n->inputs[0] == d) di = i;
  }
  float two, eps;
  if (pi < 0 || di < 0 || !scalar_of(g, g->nodes[pi].inputs[1], &two) || two != 2.0f) return DLF_OK;
  const int vi = pass_sole_consumer(g, g->nodes[pi].outputs[0]);
  if (vi < 0 || !mean_last_axis(g, vi) || g->nodes[vi].inputs[0] != g->nodes[pi].outputs[0])
    return DLF_OK;
  const int ai = sole(g, g->nodes[vi].outputs[0], IR_OP_ADD);
  if (ai < 0 || !scalar_of(g, other_input(&g->nodes[ai], g->nodes[vi].outputs[0]), &eps) ||
      !(eps >= 0))
    return DLF_OK;
  const int qi = sole(g, g->nodes[ai].outputs[0], IR_OP_SQRT);
  if (qi < 0 || pass_sole_consumer(g, g->nodes[qi].outputs[0]) != di ||
      g->nodes[di].inputs[1] != g->nodes[qi].outputs[0])
    return DLF_OK;
  /* optional gamma, then beta */
  int y = g->nodes[di].outputs[0], gamma = -1, beta = -1, last = di, mul = -1, add = -1;
  const int mc = sole(g, y, IR_OP_MUL);
  const int k = mc >= 0 ? other_input(&g->nodes[mc], y) : -1;
  if (k >= 0 && last_axis_vector(g, k, C)) {
    gamma = k, mul = last = mc, y = g->nodes[mc].outputs[0];
    const int ac = sole(g, y, IR_OP_ADD);
    const int b = ac >= 0 ? other_input(&g->nodes[ac], y) : -1;
    if (b >= 0 && last_axis_vector(g, b, C)) beta = b, add = last = ac, y = g->nodes[ac].outputs[0];
  }
  const int64_t cd[1] = {C};
  float *ones = NULL, *vals = NULL;
  char base[256];
  snprintf(base, sizeof base, "%.200s", g->tensors[y].name ? g->tensors[y].name : "layernorm");
  /* gamma / beta as 1-D [C] constants of their own (the found ones may be [1, 1, 1, C]) */
  int sc, bs;
  ones = dlf_malloc_array((size_t)(C > 0 ? C : 1), sizeof *ones);
  vals = dlf_malloc_array((size_t)(C > 0 ? C : 1), sizeof *vals);
  if (!ones || !vals) {
    free(ones), free(vals);
    return ir_node_error(g, &g->nodes[mi], DLF_ERR_NOMEM, "out of memory fusing a LayerNorm");
  }
  for (int64_t c = 0; c < C; c++) {
    ones[c] = gamma >= 0 ? ((const float *)g->tensors[gamma].data)[c] : 1.0f;
    vals[c] = beta >= 0 ? ((const float *)g->tensors[beta].data)[c] : 0.0f;
  }
  DLF_TRY(pass_add_const_f32(g, base, "_ln_scale", 1, cd, ones, &sc));
  DLF_TRY(pass_add_const_f32(g, base, "_ln_bias", 1, cd, vals, &bs));
  /* the Div (or the last absorbed node) becomes the LayerNormalization writing y */
  const int keep = last;
  ir_node *n = &g->nodes[keep];
  n->op = IR_OP_LAYERNORM;
  n->opset = 17;
  DLF_TRY(pass_node_set_input(g, n, 0, x));
  DLF_TRY(pass_node_set_input(g, n, 1, sc));
  DLF_TRY(pass_node_set_input(g, n, 2, bs));
  n->n_inputs = 3;
  DLF_TRY(ir_node_set_int(n, "axis", -1));
  DLF_TRY(ir_node_set_float(n, "epsilon", eps));
  const int dead[] = {mi, si, pi, vi, ai, qi, di, mul, add};
  for (size_t j = 0; j < sizeof dead / sizeof dead[0]; j++)
    if (dead[j] >= 0 && dead[j] != keep) g->nodes[dead[j]].dead = true;
  return DLF_OK;
}

dlf_status ir_pass_layernorm_fuse(ir_graph *g) {
  const int n_nodes = g->n_nodes;
  for (int i = 0; i < n_nodes; i++)
    if (mean_last_axis(g, i) && !g->nodes[i].dead) DLF_TRY(fuse_at(g, i));
  return DLF_OK;
}
