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
static void const_value(const ir_tensor *t, void *data, ir_value *v) {
  memset(v, 0, sizeof *v);
  if (!t) return;
  v->dtype = t->dtype;
  v->ndim = t->ndim;
  memcpy(v->dims, t->dims, sizeof t->dims);
  v->data = data;
}

/* Folding may grow data (ConstantOfShape, Expand, Tile, Range): a folded
 * output larger than both this and the node's constant inputs together is
 * refused, so that an 84-byte file cannot make loading fill gigabytes. */
#define FOLD_MAX_GROWTH_BYTES ((int64_t)256 << 20)

static dlf_status fold_node(ir_graph *g, ir_node *n) {
  /* inputs, the residual (an epilogue's extra trailing input, as in the
   * reference executor), outputs; one allocation, sized for this node */
  int n_in = n->n_inputs + (n->residual >= 0);
  ir_value *in = dlf_calloc_array((size_t)(n_in + n->n_outputs), sizeof *in);
  if (!in) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory folding a constant");
  ir_value *out = in + n_in;
  for (int k = 0; k < n->n_inputs; k++) {
    const ir_tensor *t = ir_node_input(g, n, k);
    const_value(t, t ? t->data : NULL, &in[k]);
  }
  if (n->residual >= 0)
    const_value(&g->tensors[n->residual], g->tensors[n->residual].data, &in[n->n_inputs]);
  int64_t in_bytes = 0, cap;
  for (int k = 0; k < n_in; k++) {
    int64_t b;
    if (in[k].data && ir_shape_ok(g, in[k].dtype, in[k].ndim, in[k].dims, &b)) in_bytes += b;
  }
  cap = in_bytes > FOLD_MAX_GROWTH_BYTES ? in_bytes : FOLD_MAX_GROWTH_BYTES;
  dlf_status st = DLF_OK;
  for (int o = 0; o < n->n_outputs && st == DLF_OK; o++) {
    const ir_tensor *t = ir_node_output(g, n, o);
    int64_t bytes;
    if (!t) continue;
    if (!ir_shape_ok(g, t->dtype, t->ndim, t->dims, &bytes)) {
      char buf[160], capp[DLF_CAP_PHRASE_SIZE];
      st = ir_node_error(g, n, DLF_ERR_LIMIT,
                         "constant output '%s' of shape %s is negative, overflowing or above %s",
                         t->name, ir_dims_str(t->dims, t->ndim, buf, sizeof buf),
                         dlf_cap_phrase(g->max_tensor_bytes, capp, sizeof capp));
    } else if (bytes > cap) {
      st = ir_node_error(g, n, DLF_ERR_LIMIT,
                         "folding would make constant '%s' of %lld bytes from %lld input bytes "
                         "(limit %lld)",
                         t->name, (long long)bytes, (long long)in_bytes, (long long)cap);
    } else {
      void *buf = malloc(bytes ? (size_t)bytes : 1);
      if (!buf) st = ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory folding a constant");
      const_value(t, buf, &out[o]);
    }
  }
  if (st == DLF_OK) {
    st = ir_op_ref_fn(n->op)(n, in, n_in, out, n->n_outputs);
    if (st != DLF_OK) st = ir_node_error(g, n, st, "%s", dlf_last_error());
  }
  for (int o = 0; o < n->n_outputs; o++) {
    ir_tensor *t = ir_node_output(g, n, o);
    if (st != DLF_OK || !t) {
      free(out[o].data);
      continue;
    }
    t->data = out[o].data;
    t->producer = -1;
  }
  free(in);
  if (st == DLF_OK) n->dead = true;
  return st;
}

static dlf_status shape_limit_error(const ir_graph *g, const ir_tensor *t) {
  char buf[160], cap[DLF_CAP_PHRASE_SIZE];
  return dlf_error(DLF_ERR_LIMIT, "%s: tensor '%s' has shape %s: negative, or beyond %s", g->source,
                   t->name, ir_dims_str(t->dims, t->ndim, buf, sizeof buf),
                   dlf_cap_phrase(g->max_tensor_bytes, cap, sizeof cap));
}

dlf_status ir_graph_infer_shapes(ir_graph *g) {
  /* Inputs and constants first: shape functions may assume sane dims. */
  for (int t = 0; t < g->n_tensors; t++) {
    const ir_tensor *x = &g->tensors[t];
    if (x->shape_known && x->producer < 0 && !ir_shape_ok(g, x->dtype, x->ndim, x->dims, NULL))
      return shape_limit_error(g, x);
  }
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
      if (!ir_shape_ok(g, t->dtype, t->ndim, t->dims, NULL)) {
        char buf[160], cap[DLF_CAP_PHRASE_SIZE];
        return ir_node_error(
            g, n, DLF_ERR_LIMIT, "output '%s' has shape %s: negative, or beyond %s", t->name,
            ir_dims_str(t->dims, t->ndim, buf, sizeof buf), dlf_cap_phrase(g->max_tensor_bytes, cap, sizeof cap));
      }
      t->shape_known = true;
    }
    bool foldable = all_inputs_const(g, n) || n->op == IR_OP_SHAPE;
    /* Dropout/Identity of a constant would fold too, harmlessly. */
    if (foldable) DLF_TRY(fold_node(g, n));
  }
  return DLF_OK;
}
