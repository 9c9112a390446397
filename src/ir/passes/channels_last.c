/* channels_last.c — a channels-last region between Transpose(0,2,3,1) and Transpose(0,3,1,2)
 * (ConvNeXt's block: permute, LayerNorm over C, Linear, GELU, Linear, permute back) rewritten
 * in NCHW, so that both transposes vanish and every layer of it has an NHWC kernel:
 *
 *   LayerNormalization over the last axis -> over the channels only (attribute dlf_channels)
 *   MatMul by a constant [C, K]            -> 1x1 Conv with weight [K, C, 1, 1]
 *   Add/Sub/Mul/Div by a last-axis vector  -> by a [K, 1, 1] vector (a scalar stays)
 *   Add/Sub/Mul/Div of two region tensors,
 *   elementwise activations, Erf, Sqrt,
 *   Pow by a scalar                        -> unchanged (only their shapes are permuted)
 *
 * The region is everything reachable from the first transpose's output through such layers; it
 * is rewritten only when it is closed: every tensor of it is read by region layers or by a
 * Transpose(0,3,1,2) (an exit), none is a graph output, and every non-constant input of a region
 * layer is a region tensor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

static bool has_perm(const ir_node *n, const int64_t *want) {
  if (n->op != IR_OP_TRANSPOSE || n->n_inputs != 1 || n->n_outputs != 1) return false;
  int64_t p[5];
  if (ir_node_ints(n, "perm", p, 5) != 4) return false;
  for (int i = 0; i < 4; i++)
    if (p[i] != want[i]) return false;
  return true;
}
static const int64_t TO_LAST[4] = {0, 2, 3, 1}, TO_FIRST[4] = {0, 3, 1, 2};

/* A constant that broadcasts along the last axis of a 4-D tensor with K channels: numel 1,
 * or K values on the last axis only ([K], [1, K], [1, 1, 1, K]). */
static int last_axis_const(const ir_graph *g, int t, int64_t K) {
  if (!pass_is_const_f32(g, t)) return 0;
  const ir_tensor *c = &g->tensors[t];
  if (ir_tensor_numel(c) == 1) return 1;
  if (c->ndim < 1 || c->ndim > 4 || c->dims[c->ndim - 1] != K || ir_tensor_numel(c) != K) return 0;
  return 2;
}

typedef struct region {
  bool *in;   /* per tensor: in the region */
  bool *node; /* per node: a region layer */
  bool *exit; /* per node: an exit transpose */
} region;

static bool elementwise(ir_op op) { return ir_op_is_activation(op) || op == IR_OP_IDENTITY; }

/* Can node c, reading region tensor t, be a region layer? (Its other inputs are checked once
 * the region is complete.) */
static bool admissible(const ir_graph *g, const ir_node *c, int t) {
  if (c->residual >= 0 || c->act != IR_ACT_NONE || c->n_outputs != 1 || c->outputs[0] < 0)
    return false;
  const ir_tensor *x = &g->tensors[t];
  const int64_t K = x->dims[3];
  switch (c->op) {
  case IR_OP_LAYERNORM: {
    int64_t axis = ir_node_int(c, "axis", -1);
    if (c->inputs[0] != t || (axis != -1 && axis != 3) || ir_node_attr(c, "dlf_channels"))
      return false;
    for (int k = 1; k < c->n_inputs; k++)
      if (c->inputs[k] >= 0 && last_axis_const(g, c->inputs[k], K) != 2) return false;
    for (int o = 1; o < c->n_outputs; o++)
      if (c->outputs[o] >= 0) return false;
    return true;
  }
  case IR_OP_MATMUL: {
    if (c->n_inputs != 2 || c->inputs[0] != t || !pass_is_const_f32(g, c->inputs[1])) return false;
    const ir_tensor *w = &g->tensors[c->inputs[1]];
    return w->ndim == 2 && w->dims[0] == K;
  }
  case IR_OP_ADD:
  case IR_OP_SUB:
  case IR_OP_MUL:
  case IR_OP_DIV:
  case IR_OP_POW: {
    if (c->n_inputs != 2) return false;
    const int o = c->inputs[0] == t ? c->inputs[1] : c->inputs[0];
    if (g->tensors[o].data) {
      const int kind = last_axis_const(g, o, K);
      return c->op == IR_OP_POW ? kind == 1 && c->inputs[0] == t : kind != 0;
    }
    return c->op != IR_OP_POW; /* a region tensor of the same shape, checked later */
  }
  default: return elementwise(c->op) && c->inputs[0] == t;
  }
}

/* Grow the region from tensor t0; false if it is not closed. */
static bool grow(const ir_graph *g, int t0, region *r, int *stack) {
  int top = 0;
  stack[top++] = t0;
  r->in[t0] = true;
  while (top > 0) {
    const int t = stack[--top];
    if (pass_is_graph_output(g, t)) return false;
    const ir_tensor *tt = &g->tensors[t];
    if (tt->ndim != 4 || tt->dtype != IR_F32) return false;
    for (int i = 0; i < g->n_nodes; i++) {
      const ir_node *c = &g->nodes[i];
      if (c->dead || r->node[i] || r->exit[i]) continue;
      bool reads = c->residual == t;
      for (int k = 0; k < c->n_inputs; k++)
        reads |= c->inputs[k] == t;
      if (!reads) continue;
      if (has_perm(c, TO_FIRST) && c->inputs[0] == t) {
        if (pass_is_graph_output(g, c->outputs[0])) return false;
        r->exit[i] = true;
        continue;
      }
      if (!admissible(g, c, t)) return false;
      r->node[i] = true;
      const int y = c->outputs[0];
      if (!r->in[y]) {
        r->in[y] = true;
        stack[top++] = y;
      }
    }
  }
  /* every non-constant input of a region layer is in the region */
  for (int i = 0; i < g->n_nodes; i++) {
    if (!r->node[i]) continue;
    const ir_node *c = &g->nodes[i];
    for (int k = 0; k < c->n_inputs; k++) {
      const int u = c->inputs[k];
      if (u >= 0 && !g->tensors[u].data && !r->in[u]) return false;
    }
  }
  return true;
}

/* A [K, 1, 1] copy of a last-axis constant (numel 1 constants are returned as they are). */
static dlf_status channel_vector(ir_graph *g, int t, int *out) {
  const ir_tensor *c = &g->tensors[t];
  const int64_t K = ir_tensor_numel(c);
  if (K == 1) {
    *out = t;
    return DLF_OK;
  }
  float *v = dlf_malloc_array((size_t)K, sizeof *v);
  if (!v) return dlf_error(DLF_ERR_NOMEM, "out of memory rewriting a channels-last region");
  memcpy(v, c->data, (size_t)K * sizeof *v);
  const int64_t d[3] = {K, 1, 1};
  char base[256];
  snprintf(base, sizeof base, "%.200s", c->name ? c->name : "const");
  return pass_add_const_f32(g, base, "_nchw", 3, d, v, out);
}

/* MatMul(x, W [C, K]) -> Conv(x, W^T as [K, C, 1, 1]). */
static dlf_status matmul_to_conv(ir_graph *g, int ni) {
  const ir_tensor *w = &g->tensors[g->nodes[ni].inputs[1]];
  const int64_t C = w->dims[0], K = w->dims[1];
  int64_t count;
  if (!dlf_mul_i64(C, K, &count)) return dlf_error(DLF_ERR_LIMIT, "MatMul weight too large");
  float *t = dlf_malloc_array((size_t)(count > 0 ? count : 1), sizeof *t);
  if (!t) return dlf_error(DLF_ERR_NOMEM, "out of memory rewriting a MatMul");
  const float *src = w->data;
  for (int64_t c = 0; c < C; c++)
    for (int64_t k = 0; k < K; k++)
      t[k * C + c] = src[c * K + k];
  const int64_t d[4] = {K, C, 1, 1};
  char base[256];
  snprintf(base, sizeof base, "%.200s", w->name ? w->name : "matmul");
  int wt;
  DLF_TRY(pass_add_const_f32(g, base, "_conv1x1", 4, d, t, &wt));
  ir_node *n = &g->nodes[ni];
  n->op = IR_OP_CONV;
  n->inputs[1] = wt;
  const int64_t one[2] = {1, 1};
  return ir_node_set_ints(n, "kernel_shape", one, 2);
}

static dlf_status rewrite(ir_graph *g, int entry, const region *r) {
  /* shapes first: [N, H, W, C] -> [N, C, H, W] */
  for (int t = 0; t < g->n_tensors; t++) {
    if (!r->in[t]) continue;
    int64_t *d = g->tensors[t].dims;
    const int64_t H = d[1], W = d[2], C = d[3];
    d[1] = C, d[2] = H, d[3] = W;
  }
  for (int i = 0; i < g->n_nodes; i++) {
    if (!r->node[i]) continue;
    ir_node *n = &g->nodes[i];
    switch (n->op) {
    case IR_OP_LAYERNORM: DLF_TRY(ir_node_set_int(n, "dlf_channels", 1)); break;
    case IR_OP_MATMUL: DLF_TRY(matmul_to_conv(g, i)); break;
    default:
      for (int k = 0; k < g->nodes[i].n_inputs; k++) {
        const int u = g->nodes[i].inputs[k];
        if (u >= 0 && g->tensors[u].data && g->tensors[u].dtype == IR_F32) {
          int v;
          DLF_TRY(channel_vector(g, u, &v));
          g->nodes[i].inputs[k] = v;
        }
      }
      break;
    }
  }
  /* the entry reads x as it is, the exits are the region tensors themselves */
  const int x = g->nodes[entry].inputs[0], t0 = g->nodes[entry].outputs[0];
  g->nodes[entry].dead = true;
  pass_replace_uses(g, t0, x);
  for (int i = 0; i < g->n_nodes; i++) {
    if (!r->exit[i]) continue;
    g->nodes[i].dead = true;
    pass_replace_uses(g, g->nodes[i].outputs[0], g->nodes[i].inputs[0]);
  }
  return DLF_OK;
}

dlf_status ir_pass_channels_last(ir_graph *g) {
  const int n_nodes = g->n_nodes;
  for (int i = 0; i < n_nodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead || !has_perm(n, TO_LAST) || n->outputs[0] < 0) continue;
    const ir_tensor *x = ir_node_input(g, n, 0);
    if (!x || x->ndim != 4 || x->dtype != IR_F32 || x->data) continue;
    region r = {dlf_calloc_array((size_t)g->n_tensors, sizeof(bool)),
                dlf_calloc_array((size_t)g->n_nodes, sizeof(bool)),
                dlf_calloc_array((size_t)g->n_nodes, sizeof(bool))};
    int *stack = dlf_malloc_array((size_t)g->n_tensors + 1, sizeof *stack);
    dlf_status st = DLF_OK;
    if (!r.in || !r.node || !r.exit || !stack)
      st = dlf_error(DLF_ERR_NOMEM, "out of memory in the channels-last pass");
    else if (grow(g, n->outputs[0], &r, stack))
      st = rewrite(g, i, &r);
    free(r.in), free(r.node), free(r.exit), free(stack);
    DLF_TRY(st);
  }
  return DLF_OK;
}
