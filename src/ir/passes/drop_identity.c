/* drop_identity.c — removes Identity and inference-mode Dropout: their
 * readers read the input instead. Graph output names never change. */
#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

/* Dropout is the identity at inference unless training_mode (opset >= 12,
 * input 2) is given and not a constant false, or its mask is used. */
static bool dropout_is_identity(const ir_graph *g, const ir_node *n) {
  if (n->n_inputs > 2 && n->inputs[2] >= 0) {
    const ir_tensor *tm = &g->tensors[n->inputs[2]];
    if (!tm->data || ir_tensor_numel(tm) != 1) return false;
    bool on = tm->dtype == IR_F32 ? ((const float *)tm->data)[0] != 0.0f
                                  : ((const int64_t *)tm->data)[0] != 0;
    if (on) return false;
  }
  for (int o = 1; o < n->n_outputs; o++) {
    int t = n->outputs[o];
    if (t >= 0 && (pass_use_count(g, t) > 0 || pass_is_graph_output(g, t))) return false;
  }
  return true;
}

dlf_status ir_pass_drop_identity(ir_graph *g) {
  for (int i = 0; i < g->n_nodes; i++) {
    ir_node *n = &g->nodes[i];
    if (n->dead || (n->op != IR_OP_IDENTITY && n->op != IR_OP_DROPOUT)) continue;
    if (n->n_inputs < 1 || n->n_outputs < 1) continue;
    if (n->op == IR_OP_DROPOUT && !dropout_is_identity(g, n)) continue;
    int in = n->inputs[0], out = n->outputs[0];
    if (in < 0 || out < 0 || in == out) continue;
    if (!pass_is_graph_output(g, out)) {
      n->dead = true;
      pass_replace_uses(g, out, in);
      continue;
    }
    /* The output is a graph output, whose name must stay: let the producer
     * of the input write it instead. A graph input, constant or another
     * graph output cannot be renamed, so that Identity stays. */
    int p = pass_producer(g, in);
    if (p < 0 || pass_is_graph_output(g, in)) continue;
    n->dead = true;
    for (int o = 0; o < g->nodes[p].n_outputs; o++)
      if (g->nodes[p].outputs[o] == in) pass_node_set_output(g, p, o, out);
    g->tensors[in].producer = -1;
    pass_replace_uses(g, in, out);
  }
  return DLF_OK;
}
