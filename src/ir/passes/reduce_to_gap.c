/* reduce_to_gap.c — ReduceMean over H and W of a 4-D tensor (MnasNet's and ShuffleNetV2's
 * x.mean([2, 3]) before the classifier) is a GlobalAveragePool: keepdims 1 becomes one,
 * keepdims 0 a GlobalAveragePool and a Flatten (free on [N, C, 1, 1]). */
#include <stdio.h>

#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

/* Does n reduce exactly axes 2 and 3 of a 4-D float tensor? */
static bool reduces_hw(const ir_graph *g, const ir_node *n) {
  const ir_tensor *x = ir_node_input(g, n, 0);
  if (!x || x->ndim != 4 || x->dtype != IR_F32) return false;
  int64_t axes[5];
  int c = n->opset >= 18 ? ir_node_const_ints(g, n, 1, axes, 5) : ir_node_ints(n, "axes", axes, 5);
  if (c != 2) return false;
  bool hw[4] = {false};
  for (int i = 0; i < 2; i++) {
    int64_t a = axes[i] < 0 ? axes[i] + 4 : axes[i];
    if (a < 0 || a > 3) return false;
    hw[a] = true;
  }
  return hw[2] && hw[3];
}

dlf_status ir_pass_reduce_to_gap(ir_graph *g) {
  const int n_nodes = g->n_nodes; /* nodes appended below need no visit */
  for (int i = 0; i < n_nodes; i++) {
    ir_node *n = &g->nodes[i];
    if (n->dead || n->op != IR_OP_REDUCEMEAN || n->n_outputs != 1 || n->outputs[0] < 0) continue;
    if (n->act != IR_ACT_NONE || n->residual >= 0 || !reduces_hw(g, n)) continue;
    const int x = n->inputs[0], y = n->outputs[0], opset = n->opset;
    if (ir_node_int(n, "keepdims", 1) != 0) {
      n->op = IR_OP_GLOBALAVERAGEPOOL;
      n->n_inputs = 1; /* axes (opset 18); the pool ignores axes / keepdims attributes */
      continue;
    }
    /* [N, C] = Flatten(GlobalAveragePool(x)): a new [N, C, 1, 1] tensor between them. */
    const ir_tensor *xt = &g->tensors[x];
    const int64_t dims[4] = {xt->dims[0], xt->dims[1], 1, 1};
    char name[256];
    snprintf(name, sizeof name, "%.200s_gap", g->tensors[y].name ? g->tensors[y].name : "mean");
    for (int k = 2; ir_graph_find_tensor(g, name) >= 0; k++)
      snprintf(name, sizeof name, "%.200s_gap%d", g->tensors[y].name ? g->tensors[y].name : "mean",
               k);
    int mid, flat;
    DLF_TRY(ir_graph_add_tensor(g, name, IR_F32, 4, dims, &mid));
    n = &g->nodes[i];
    n->op = IR_OP_GLOBALAVERAGEPOOL;
    n->n_inputs = 1;
    pass_node_set_output(g, i, 0, mid);
    const int flat_in[1] = {mid}, flat_out[1] = {y};
    DLF_TRY(ir_graph_add_node(g, name, IR_OP_FLATTEN, 1, flat_in, 1, flat_out, &flat));
    g->nodes[flat].opset = opset;
    g->tensors[y].producer = flat;
  }
  return DLF_OK;
}
