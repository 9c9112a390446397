/* fold_batchnorm.c — folds an inference BatchNormalization into the Conv
 * that feeds it: W' = W*s, B' = (B - mean)*s + beta with s = scale/sqrt(var+eps). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

/* The BN parameters (scale, B, mean, var) as float constants of Cout
 * elements each, and nothing else of the BN used. */
static bool bn_foldable(const ir_graph *g, const ir_node *bn, int64_t cout) {
  if (bn->n_inputs < 5 || bn->n_outputs < 1 || bn->outputs[0] < 0) return false;
  if (ir_node_int(bn, "training_mode", 0) != 0) return false;
  for (int k = 1; k < 5; k++) {
    int t = bn->inputs[k];
    if (!pass_is_const_f32(g, t) || ir_tensor_numel(&g->tensors[t]) != cout) return false;
  }
  for (int o = 1; o < bn->n_outputs; o++) {
    int t = bn->outputs[o];
    if (t >= 0 && (pass_use_count(g, t) > 0 || pass_is_graph_output(g, t))) return false;
  }
  return true;
}

/* The Conv producing x, if BN can be folded into it: a plain Conv (no
 * epilogue yet) with float constant weights (and bias) whose output is read
 * by this BN only. */
static int conv_for_bn(const ir_graph *g, int bn_index) {
  const ir_node *bn = &g->nodes[bn_index];
  int x = bn->n_inputs > 0 ? bn->inputs[0] : -1;
  if (x < 0 || pass_sole_consumer(g, x) != bn_index) return -1;
  int p = pass_producer(g, x);
  if (p < 0) return -1;
  const ir_node *c = &g->nodes[p];
  if (c->op != IR_OP_CONV || c->n_outputs != 1 || c->act != IR_ACT_NONE || c->residual >= 0)
    return -1;
  if (c->n_inputs < 2 || !pass_is_const_f32(g, c->inputs[1])) return -1;
  const ir_tensor *w = &g->tensors[c->inputs[1]];
  if (w->ndim < 3 || w->dims[0] < 1) return -1;
  if (c->n_inputs > 2 && c->inputs[2] >= 0 &&
      (!pass_is_const_f32(g, c->inputs[2]) ||
       ir_tensor_numel(&g->tensors[c->inputs[2]]) != w->dims[0]))
    return -1;
  return p;
}

static dlf_status fold_one(ir_graph *g, int ci, int bi) {
  ir_node *conv = &g->nodes[ci], *bn = &g->nodes[bi];
  int wt = conv->inputs[1];
  int bt = conv->n_inputs > 2 ? conv->inputs[2] : -1;
  int64_t cout = g->tensors[wt].dims[0];
  int64_t wnumel = ir_tensor_numel(&g->tensors[wt]);
  int64_t per = wnumel / cout;
  double eps = ir_node_float(bn, "epsilon", 1e-5f);
  const float *scale = g->tensors[bn->inputs[1]].data, *beta = g->tensors[bn->inputs[2]].data;
  const float *mean = g->tensors[bn->inputs[3]].data, *var = g->tensors[bn->inputs[4]].data;

  /* Constants only this Conv reads are rewritten in place; shared ones are
   * copied so that other readers keep their values. */
  float *w;
  if (pass_const_exclusive(g, wt, ci)) {
    w = g->tensors[wt].data;
  } else {
    w = dlf_malloc_array((size_t)wnumel, sizeof *w);
    if (!w)
      return ir_node_error(g, conv, DLF_ERR_NOMEM, "out of memory folding BatchNormalization");
    memcpy(w, g->tensors[wt].data, (size_t)wnumel * sizeof *w);
    int64_t dims[IR_MAX_DIMS];
    int ndim = g->tensors[wt].ndim;
    memcpy(dims, g->tensors[wt].dims, sizeof dims);
    DLF_TRY(pass_add_const_f32(g, g->tensors[wt].name, "_bnfold", ndim, dims, w, &wt));
    conv->inputs[1] = wt;
  }
  float *b;
  if (bt >= 0 && pass_const_exclusive(g, bt, ci)) {
    b = g->tensors[bt].data;
  } else {
    b = dlf_calloc_array((size_t)cout, sizeof *b);
    if (!b)
      return ir_node_error(g, conv, DLF_ERR_NOMEM, "out of memory folding BatchNormalization");
    if (bt >= 0) memcpy(b, g->tensors[bt].data, (size_t)cout * sizeof *b);
    char base[256];
    snprintf(base, sizeof base, "%.200s", bt >= 0 ? g->tensors[bt].name : conv->name);
    DLF_TRY(pass_add_const_f32(g, base, bt >= 0 ? "_bnfold" : "_bias_bnfold", 1, &cout, b, &bt));
    DLF_TRY(pass_node_set_input(g, conv, 2, bt));
  }
  /* Double precision so the folded values round once. */
  for (int64_t o = 0; o < cout; o++) {
    double s = (double)scale[o] / sqrt((double)var[o] + eps);
    for (int64_t k = 0; k < per; k++)
      w[o * per + k] = (float)((double)w[o * per + k] * s);
    b[o] = (float)(((double)b[o] - (double)mean[o]) * s + (double)beta[o]);
  }
  bn->dead = true;
  pass_node_set_output(g, ci, 0, bn->outputs[0]);
  return DLF_OK;
}

dlf_status ir_pass_fold_batchnorm(ir_graph *g) {
  for (int i = 0; i < g->n_nodes; i++) {
    if (g->nodes[i].dead || g->nodes[i].op != IR_OP_BATCHNORM) continue;
    int ci = conv_for_bn(g, i);
    if (ci < 0) continue;
    if (!bn_foldable(g, &g->nodes[i], g->tensors[g->nodes[ci].inputs[1]].dims[0])) continue;
    DLF_TRY(fold_one(g, ci, i));
  }
  return DLF_OK;
}
