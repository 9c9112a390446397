/* dropout.c — Dropout at inference: the identity. Training mode and a mask
 * output that something reads are rejected: dlfusion has no bool dtype. */
#include <string.h>

#include "ir/ops/ops_util.h"

/* The live node reading tensor t, or NULL; *is_output when t is a graph output. */
static const ir_node *tensor_reader(const ir_graph *g, int t, bool *is_output) {
  *is_output = false;
  for (int j = 0; j < g->n_outputs; j++)
    *is_output |= g->outputs[j] == t;
  for (int i = 0; i < g->n_nodes; i++) {
    const ir_node *c = &g->nodes[i];
    if (c->dead) continue;
    if (c->residual == t) return c;
    for (int k = 0; k < c->n_inputs; k++)
      if (c->inputs[k] == t) return c;
  }
  return NULL;
}

dlf_status ir_op_dropout_shape(ir_graph *g, ir_node *n) {
  /* Opset 12 moved ratio into an input and added training_mode. */
  DLF_TRY(op_check_io(g, n, 1, n->opset >= 12 ? 3 : 1, 1, 1, 2));
  const ir_tensor *x = ir_node_input(g, n, 0);
  const ir_tensor *mask = ir_node_output(g, n, 1);
  if (mask) {
    /* Old exporters declare the mask and never read it: that is harmless. */
    bool is_output;
    const ir_node *reader = tensor_reader(g, n->outputs[1], &is_output);
    if (is_output || reader)
      return ir_node_error(g, n, DLF_ERR_UNSUPPORTED,
                           "the mask output '%s' is %s%s%s, but dlfusion has no bool dtype",
                           mask->name, is_output ? "a graph output" : "read by node '",
                           is_output ? "" : reader->name, is_output ? "" : "'");
  }
  /* Before opset 7 Dropout ran in training mode unless is_test=1. */
  if (n->opset < 7 && ir_node_int(n, "is_test", 0) == 0)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "is_test=0 (training) is not supported");
  const ir_tensor *tm = ir_node_input(g, n, 2);
  if (tm) {
    int64_t v = 0;
    int c = ir_node_const_ints(g, n, 2, &v, 1);
    if (c == -2)
      return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "training_mode input '%s' must be a constant",
                           tm->name);
    if (c >= 1 && v != 0)
      return ir_node_error(g, n, DLF_ERR_UNSUPPORTED,
                           "training_mode input '%s' is true; only inference is supported",
                           tm->name);
  }
  op_set_output(g, n, 0, x->dtype, x->ndim, x->dims);
  /* The unread mask is held as int64 ones (all kept) in place of bool. */
  op_set_output(g, n, 1, IR_I64, x->ndim, x->dims);
  return DLF_OK;
}

dlf_status ir_op_dropout_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                             int n_out) {
  int64_t count = ir_value_numel(&in[0]);
  memcpy(out[0].data, in[0].data, (size_t)count * ir_dtype_size(in[0].dtype));
  if (n_out > 1 && out[1].data)
    for (int64_t i = 0; i < count; i++)
      ((int64_t *)out[1].data)[i] = 1;
  return DLF_OK;
}
