/* fuse_epilogue.c — attaches to a Conv (or Gemm) what follows it: a constant
 * per-channel Add as bias, a residual Add, then one activation (SiLU's
 * Sigmoid + Mul pair and GELU's Div, Erf, Add, Mul, Mul count as one), so that
 * out = act(op(x) + bias + residual) runs as one layer. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

static bool same_dims(const ir_tensor *a, const ir_tensor *b) {
  if (a->ndim != b->ndim) return false;
  for (int d = 0; d < a->ndim; d++)
    if (a->dims[d] != b->dims[d]) return false;
  return true;
}

/* The operand of a two-input Add that is not t, or -1. */
static int other_operand(const ir_node *add, int t) {
  if (add->n_inputs != 2 || add->n_outputs != 1 || add->outputs[0] < 0) return -1;
  if (add->inputs[0] == t) return add->inputs[1];
  if (add->inputs[1] == t) return add->inputs[0];
  return -1;
}

/* A constant that broadcasts against an output of shape `out` as one value
 * per channel (axis 1) — [1,C,1,1], [C,1,1], a scalar — without changing the
 * output's shape. (A plain [C] aligns with the last axis under numpy
 * broadcasting, so it is per-channel only for a 2-D output.) */
static bool per_channel_const(const ir_graph *g, int t, const ir_tensor *out) {
  if (!pass_is_const_f32(g, t) || out->ndim < 2) return false;
  const ir_tensor *c = &g->tensors[t];
  if (c->ndim > out->ndim) return false;
  for (int j = 0; j < c->ndim; j++) {
    int axis = j + out->ndim - c->ndim;
    if (c->dims[j] != 1 && !(axis == 1 && c->dims[j] == out->dims[1])) return false;
  }
  return true;
}

/* Add constant t (per_channel_const) to the Conv's bias, creating it (or a
 * private copy of a shared one) as needed. */
static dlf_status fuse_bias(ir_graph *g, int ni, int t) {
  ir_node *n = &g->nodes[ni];
  int64_t cout = g->tensors[n->outputs[0]].dims[1];
  int bt = n->n_inputs > 2 ? n->inputs[2] : -1;
  const ir_tensor *c = &g->tensors[t];
  const float *add = c->data;
  bool per_ch = ir_tensor_numel(c) == cout && cout > 1;
  float *b;
  if (bt >= 0 && pass_const_exclusive(g, bt, ni)) {
    b = g->tensors[bt].data;
  } else {
    b = dlf_calloc_array((size_t)cout, sizeof *b);
    if (!b) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory fusing a bias");
    if (bt >= 0) memcpy(b, g->tensors[bt].data, (size_t)cout * sizeof *b);
    char base[256];
    snprintf(base, sizeof base, "%.200s", bt >= 0 ? g->tensors[bt].name : n->name);
    DLF_TRY(pass_add_const_f32(g, base, bt >= 0 ? "_fused" : "_bias_fused", 1, &cout, b, &bt));
    DLF_TRY(pass_node_set_input(g, n, 2, bt));
  }
  for (int64_t o = 0; o < cout; o++)
    b[o] += add[per_ch ? o : 0];
  return DLF_OK;
}

static bool scalar_const(const ir_graph *g, const ir_node *n, int k, float *v) {
  if (k >= n->n_inputs || n->inputs[k] < 0) return true; /* absent: keep default */
  const ir_tensor *t = &g->tensors[n->inputs[k]];
  if (!t->data || t->dtype != IR_F32 || ir_tensor_numel(t) != 1) return false;
  *v = ((const float *)t->data)[0];
  return true;
}

/* The epilogue activation an activation node amounts to (ir_act_of_node);
 * false if it is none or Clip's min/max are not constant scalars. */
static bool act_of(const ir_graph *g, const ir_node *a, ir_act *act, float *p0, float *p1) {
  float lo, hi;
  bool has_lo = a->n_inputs > 1 && a->inputs[1] >= 0, has_hi = a->n_inputs > 2 && a->inputs[2] >= 0;
  if (a->op == IR_OP_CLIP && a->opset >= 11 &&
      (!scalar_const(g, a, 1, &lo) || !scalar_const(g, a, 2, &hi)))
    return false;
  *act = ir_act_of_node(a, has_lo ? &lo : NULL, has_hi ? &hi : NULL, p0, p1);
  return *act != IR_ACT_NONE;
}

/* SiLU as exporters write it: Mul(t, Sigmoid(t)) in either order, where the Sigmoid and the
 * Mul are the only readers of t and the Mul the only one of the Sigmoid's output. Returns the
 * Mul and sets *sig to the Sigmoid, or returns -1. */
static int silu_mul(const ir_graph *g, int t, int *sig) {
  if (t < 0 || pass_is_graph_output(g, t) || pass_use_count(g, t) != 2) return -1;
  for (int i = 0; i < g->n_nodes; i++) {
    const ir_node *s = &g->nodes[i];
    if (s->dead || s->op != IR_OP_SIGMOID || s->n_inputs != 1 || s->inputs[0] != t ||
        s->n_outputs != 1 || s->outputs[0] < 0 || s->act != IR_ACT_NONE || s->residual >= 0)
      continue;
    int m = pass_sole_consumer(g, s->outputs[0]);
    if (m < 0) return -1;
    const ir_node *mul = &g->nodes[m];
    if (mul->op != IR_OP_MUL || other_operand(mul, t) != s->outputs[0] ||
        mul->act != IR_ACT_NONE || mul->residual >= 0)
      return -1;
    *sig = i;
    return m;
  }
  return -1;
}

/* The value of a float32 constant of one element. */
static bool const_value(const ir_graph *g, int t, float *v) {
  if (!pass_is_const_f32(g, t) || ir_tensor_numel(&g->tensors[t]) != 1) return false;
  *v = *(const float *)g->tensors[t].data;
  return true;
}

/* The live binary node of op reading a and another operand (either order) that is the sole
 * reader of a, with that operand in *other; -1 if none. */
static int sole_binary(const ir_graph *g, int a, ir_op op, int *other) {
  int c = pass_sole_consumer(g, a);
  if (c < 0 || g->nodes[c].op != op || g->nodes[c].act != IR_ACT_NONE || g->nodes[c].residual >= 0)
    return -1;
  *other = other_operand(&g->nodes[c], a);
  return *other >= 0 ? c : -1;
}

/* Exact GELU as exporters write it (torch's nn.GELU()):
 *   Mul(Mul(t, Add(Erf(Div(t, sqrt 2)), 1)), 0.5)
 * the Div and the first Mul the only readers of t, every other intermediate read once. Fills
 * nodes[0..4] (Div, Erf, Add, Mul, Mul) and returns the last Mul, or -1. */
static int gelu_tail(const ir_graph *g, int t, int *nodes) {
  if (t < 0 || pass_is_graph_output(g, t) || pass_use_count(g, t) != 2) return -1;
  int div = -1;
  for (int i = 0; i < g->n_nodes && div < 0; i++) {
    const ir_node *d = &g->nodes[i];
    if (!d->dead && d->op == IR_OP_DIV && d->n_inputs == 2 && d->inputs[0] == t &&
        d->act == IR_ACT_NONE && d->residual < 0)
      div = i;
  }
  float v;
  if (div < 0 || !const_value(g, g->nodes[div].inputs[1], &v) ||
      fabsf(v - 1.41421356f) > 1e-6f)
    return -1;
  const int erf = pass_sole_consumer(g, g->nodes[div].outputs[0]);
  if (erf < 0 || g->nodes[erf].op != IR_OP_ERF || g->nodes[erf].act != IR_ACT_NONE) return -1;
  int one, x, half;
  const int add = sole_binary(g, g->nodes[erf].outputs[0], IR_OP_ADD, &one);
  if (add < 0 || !const_value(g, one, &v) || v != 1.0f) return -1;
  const int m1 = sole_binary(g, g->nodes[add].outputs[0], IR_OP_MUL, &x);
  if (m1 < 0 || x != t) return -1;
  const int m2 = sole_binary(g, g->nodes[m1].outputs[0], IR_OP_MUL, &half);
  if (m2 < 0 || !const_value(g, half, &v) || v != 0.5f) return -1;
  nodes[0] = div, nodes[1] = erf, nodes[2] = add, nodes[3] = m1, nodes[4] = m2;
  return m2;
}

/* Fuse what follows node ni; each step consumes the node that alone reads
 * the current output, which the fused node then writes. */
static dlf_status fuse_node(ir_graph *g, int ni) {
  ir_node *n = &g->nodes[ni];
  int cur = n->outputs[0];
  if (cur < 0 || g->tensors[cur].dtype != IR_F32) return DLF_OK;

  /* (1) bias: Conv only, with a constant (or absent) bias of its own */
  int c = pass_sole_consumer(g, cur);
  if (c >= 0 && n->op == IR_OP_CONV && g->nodes[c].op == IR_OP_ADD &&
      (n->n_inputs < 3 || n->inputs[2] < 0 || pass_is_const_f32(g, n->inputs[2]))) {
    int k = other_operand(&g->nodes[c], cur);
    if (k >= 0 && k != cur && per_channel_const(g, k, &g->tensors[cur]) &&
        same_dims(&g->tensors[g->nodes[c].outputs[0]], &g->tensors[cur])) {
      DLF_TRY(fuse_bias(g, ni, k));
      g->nodes[c].dead = true;
      cur = g->nodes[c].outputs[0];
      pass_node_set_output(g, ni, 0, cur);
      c = pass_sole_consumer(g, cur);
    }
  }

  /* (2) residual: an Add of another activation of exactly this shape */
  if (c >= 0 && g->nodes[c].op == IR_OP_ADD) {
    int r = other_operand(&g->nodes[c], cur);
    const ir_tensor *out = r >= 0 ? &g->tensors[g->nodes[c].outputs[0]] : NULL;
    if (r >= 0 && r != cur && !g->tensors[r].data && g->tensors[r].dtype == IR_F32 &&
        same_dims(&g->tensors[r], &g->tensors[cur]) && same_dims(out, &g->tensors[cur])) {
      n->residual = r;
      g->nodes[c].dead = true;
      cur = g->nodes[c].outputs[0];
      pass_node_set_output(g, ni, 0, cur);
      c = pass_sole_consumer(g, cur);
    }
  }

  /* (3) one activation, applied last: SiLU or GELU (several nodes reading cur), or one node */
  int sig, mul = c < 0 ? silu_mul(g, cur, &sig) : -1, gelu[5];
  if (c < 0 && mul < 0 && gelu_tail(g, cur, gelu) >= 0) {
    n->act = IR_ACT_GELU;
    n->act_p0 = n->act_p1 = 0.0f;
    for (int k = 0; k < 5; k++)
      g->nodes[gelu[k]].dead = true;
    pass_node_set_output(g, ni, 0, g->nodes[gelu[4]].outputs[0]);
  } else if (mul >= 0) {
    n->act = IR_ACT_SILU;
    n->act_p0 = n->act_p1 = 0.0f;
    g->nodes[sig].dead = true;
    g->nodes[mul].dead = true;
    pass_node_set_output(g, ni, 0, g->nodes[mul].outputs[0]);
  } else if (c >= 0) {
    const ir_node *a = &g->nodes[c];
    ir_act act;
    float p0, p1;
    if (a->n_inputs >= 1 && a->inputs[0] == cur && a->n_outputs == 1 && a->outputs[0] >= 0 &&
        act_of(g, a, &act, &p0, &p1)) {
      n->act = act;
      n->act_p0 = p0;
      n->act_p1 = p1;
      g->nodes[c].dead = true;
      pass_node_set_output(g, ni, 0, a->outputs[0]);
    }
  }
  return DLF_OK;
}

dlf_status ir_pass_fuse_epilogue(ir_graph *g) {
  for (int i = 0; i < g->n_nodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead || (n->op != IR_OP_CONV && n->op != IR_OP_GEMM)) continue;
    if (n->n_outputs != 1 || n->act != IR_ACT_NONE || n->residual >= 0) continue;
    DLF_TRY(fuse_node(g, i));
  }
  return DLF_OK;
}
