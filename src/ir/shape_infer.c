/* shape_infer.c — shapes and dtypes of every tensor, in topological order,
 * with constant folding: a node whose inputs are all constants (or a Shape
 * of a known shape) is evaluated once by its reference function and replaced
 * by the constants it produces. This is what turns the Shape → Gather →
 * Unsqueeze → Concat chains that exporters emit around Reshape into plain
 * constant shapes. */
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "ir/ir.h"

static bool all_inputs_const(const ir_graph *g, const ir_node *n) {
  for (int k = 0; k < n->n_inputs; k++)
    if (n->inputs[k] >= 0 && !g->tensors[n->inputs[k]].data) return false;
  return n->residual < 0 || g->tensors[n->residual].data;
}

/* Evaluate n once with its reference function; its outputs become graph
 * constants and n dies. A folded graph output is copied out by executors. */
static dlf_status fold_node(ir_graph *g, ir_node *n) {
  ir_value in[17], out[8];
  if (n->n_inputs > 16 || n->n_outputs > 8)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "too many inputs or outputs to fold");
  for (int k = 0; k < n->n_inputs; k++) {
    memset(&in[k], 0, sizeof in[k]);
    const ir_tensor *t = ir_node_input(g, n, k);
    if (!t) continue;
    in[k].dtype = t->dtype;
    in[k].ndim = t->ndim;
    memcpy(in[k].dims, t->dims, sizeof t->dims);
    in[k].data = t->data;
  }
  /* The residual of an epilogue travels as one extra trailing input, as in
   * the reference executor. */
  int n_in = n->n_inputs;
  if (n->residual >= 0) {
    const ir_tensor *t = &g->tensors[n->residual];
    memset(&in[n_in], 0, sizeof in[n_in]);
    in[n_in].dtype = t->dtype;
    in[n_in].ndim = t->ndim;
    memcpy(in[n_in].dims, t->dims, sizeof t->dims);
    in[n_in].data = t->data;
    n_in++;
  }
  void *bufs[8] = {0};
  for (int o = 0; o < n->n_outputs; o++) {
    memset(&out[o], 0, sizeof out[o]);
    const ir_tensor *t = ir_node_output(g, n, o);
    if (!t) continue;
    int64_t numel, bytes;
    if (!dlf_numel(t->dims, t->ndim, &numel) ||
        !dlf_mul_i64(numel, (int64_t)ir_dtype_size(t->dtype), &bytes) ||
        bytes > DLF_MAX_TENSOR_BYTES) {
      for (int j = 0; j < o; j++) free(bufs[j]);
      return ir_node_error(g, n, DLF_ERR_LIMIT, "constant output '%s' is too large", t->name);
    }
    bufs[o] = malloc(bytes ? (size_t)bytes : 1);
    if (!bufs[o]) {
      for (int j = 0; j < o; j++) free(bufs[j]);
      return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory folding a constant");
    }
    out[o].dtype = t->dtype;
    out[o].ndim = t->ndim;
    memcpy(out[o].dims, t->dims, sizeof t->dims);
    out[o].data = bufs[o];
  }
  dlf_status st = ir_op_ref_fn(n->op)(n, in, n_in, out, n->n_outputs);
  if (st != DLF_OK) {
    for (int o = 0; o < n->n_outputs; o++) free(bufs[o]);
    return ir_node_error(g, n, st, "%s", dlf_last_error());
  }
  for (int o = 0; o < n->n_outputs; o++) {
    ir_tensor *t = ir_node_output(g, n, o);
    if (!t) continue;
    t->data = bufs[o];
    t->producer = -1;
  }
  n->dead = true;
  return DLF_OK;
}

dlf_status ir_graph_infer_shapes(ir_graph *g) {
  for (int i = 0; i < g->n_nodes; i++) {
    ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int k = 0; k < n->n_inputs; k++) {
      const ir_tensor *t = ir_node_input(g, n, k);
      if (t && !t->shape_known)
        return ir_node_error(g, n, DLF_ERR_SHAPE, "the shape of input '%s' is unknown", t->name);
    }
    DLF_TRY(ir_op_shape_fn(n->op)(g, n));
    for (int o = 0; o < n->n_outputs; o++) {
      ir_tensor *t = ir_node_output(g, n, o);
      if (!t) continue;
      int64_t numel;
      if (!dlf_numel(t->dims, t->ndim, &numel))
        return ir_node_error(g, n, DLF_ERR_LIMIT, "output '%s' has an overflowing or negative shape",
                             t->name);
      t->shape_known = true;
    }
    bool foldable = all_inputs_const(g, n) || n->op == IR_OP_SHAPE;
    /* Dropout/Identity of a constant would fold too, harmlessly. */
    if (foldable) DLF_TRY(fold_node(g, n));
  }
  return DLF_OK;
}
