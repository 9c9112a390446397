/* fold_pad.c — folds a zero constant Pad of the spatial dims into the pads of the Convs and
 * AveragePools that read it (Inception v3's Pad -> AveragePool 3x3/1, DenseNet's transition
 * Pad -> AveragePool 2x2/2 as exported): one layer instead of a copy of the padded tensor. */
#include <string.h>

#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

/* The spatial pads [h_begin, w_begin, h_end, w_end] of a zero constant Pad of a 4-D tensor
 * that pads nothing else; false for any other Pad. */
static bool zero_spatial_pads(const ir_graph *g, const ir_node *n, int64_t pads[4]) {
  if (strcmp(ir_node_string(n, "mode", "constant"), "constant") != 0) return false;
  const ir_tensor *x = ir_node_input(g, n, 0);
  if (!x || x->ndim != 4 || x->dtype != IR_F32) return false;
  int64_t full[8];
  int count;
  if (n->opset < 11) {
    if (ir_node_float(n, "value", 0.0f) != 0.0f) return false;
    count = ir_node_ints(n, "pads", full, 8);
  } else {
    if (n->n_inputs > 3 && n->inputs[3] >= 0) return false; /* axes (opset 18) */
    if (n->n_inputs > 2 && n->inputs[2] >= 0) {
      const ir_tensor *v = &g->tensors[n->inputs[2]];
      if (!v->data || v->dtype != IR_F32 || ir_tensor_numel(v) != 1) return false;
      if (*(const float *)v->data != 0.0f) return false;
    }
    count = ir_node_const_ints(g, n, 1, full, 8);
  }
  if (count != 8 || full[0] || full[1] || full[4] || full[5]) return false;
  pads[0] = full[2], pads[1] = full[3], pads[2] = full[6], pads[3] = full[7];
  for (int i = 0; i < 4; i++)
    if (pads[i] < 0) return false; /* negative pads crop */
  return true;
}

/* Can reader r (of the padded tensor t, through input 0 only) take the pads itself? */
static bool takes_pads(const ir_graph *g, const ir_node *r, int t) {
  if (r->op != IR_OP_CONV && r->op != IR_OP_AVERAGEPOOL) return false;
  if (r->n_inputs < 1 || r->inputs[0] != t || r->residual == t) return false;
  for (int k = 1; k < r->n_inputs; k++)
    if (r->inputs[k] == t) return false;
  const char *ap = ir_node_string(r, "auto_pad", "NOTSET");
  if (strcmp(ap, "NOTSET") != 0 && strcmp(ap, "VALID") != 0) return false;
  /* ceil_mode drops a last window that starts in the right pad: the Pad's zeros are input. */
  if (r->op == IR_OP_AVERAGEPOOL && ir_node_int(r, "ceil_mode", 0) != 0) return false;
  if (r->op == IR_OP_AVERAGEPOOL && ir_node_int(r, "count_include_pad", 0) == 0) {
    /* Its own pads are not counted, the Pad's zeros are: fold only if it has none. */
    int64_t own[4] = {0};
    int c = ir_node_ints(r, "pads", own, 4);
    for (int i = 0; i < c; i++)
      if (own[i]) return false;
  }
  (void)g;
  return true;
}

dlf_status ir_pass_fold_pad(ir_graph *g) {
  for (int i = 0; i < g->n_nodes; i++) {
    ir_node *n = &g->nodes[i];
    int64_t add[4];
    if (n->dead || n->op != IR_OP_PAD || n->n_outputs < 1 || n->residual >= 0) continue;
    if (n->act != IR_ACT_NONE || !zero_spatial_pads(g, n, add)) continue;
    const int x = n->inputs[0], y = n->outputs[0];
    if (y < 0 || pass_is_graph_output(g, y)) continue;
    bool ok = pass_use_count(g, y) > 0;
    for (int j = 0; j < g->n_nodes && ok; j++) {
      const ir_node *r = &g->nodes[j];
      if (r->dead) continue;
      bool reads = r->residual == y;
      for (int k = 0; k < r->n_inputs; k++)
        reads = reads || r->inputs[k] == y;
      if (reads && !takes_pads(g, r, y)) ok = false;
    }
    if (!ok) continue;
    for (int j = 0; j < g->n_nodes; j++) {
      ir_node *r = &g->nodes[j];
      if (r->dead || r->n_inputs < 1 || r->inputs[0] != y) continue;
      int64_t own[4] = {0};
      ir_node_ints(r, "pads", own, 4);
      /* ONNX pads are [h_begin, w_begin, h_end, w_end], as add[]. */
      for (int d = 0; d < 4; d++)
        own[d] += add[d];
      DLF_TRY(ir_node_set_ints(r, "pads", own, 4));
      DLF_TRY(ir_node_set_string(r, "auto_pad", "NOTSET"));
      if (r->op == IR_OP_AVERAGEPOOL) DLF_TRY(ir_node_set_int(r, "count_include_pad", 1));
      r->inputs[0] = x;
    }
    n->dead = true;
  }
  return DLF_OK;
}
