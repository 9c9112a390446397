/* ops_util.h — small helpers the shape-manipulation and elementwise op files
 * share: arity checks, axis normalisation, products of dims, broadcasting. */
#ifndef DLF_IR_OPS_UTIL_H
#define DLF_IR_OPS_UTIL_H

#include <string.h>

#include "ir/ir.h"

/* Fail unless n has lo_in..hi_in inputs with the first `required` present,
 * and lo_out..hi_out outputs with the first one present. */
static inline dlf_status op_check_io(const ir_graph *g, const ir_node *n, int lo_in, int hi_in,
                                     int required, int lo_out, int hi_out) {
  if (n->n_inputs < lo_in || n->n_inputs > hi_in)
    return ir_node_error(g, n, DLF_ERR_PARSE, "has %d inputs, expected %d to %d", n->n_inputs,
                         lo_in, hi_in);
  if (n->n_outputs < lo_out || n->n_outputs > hi_out)
    return ir_node_error(g, n, DLF_ERR_PARSE, "has %d outputs, expected %d to %d", n->n_outputs,
                         lo_out, hi_out);
  for (int i = 0; i < required; i++)
    if (!ir_node_input(g, n, i))
      return ir_node_error(g, n, DLF_ERR_PARSE, "required input %d is missing", i);
  if (n->n_outputs > 0 && !ir_node_output(g, n, 0))
    return ir_node_error(g, n, DLF_ERR_PARSE, "the first output is missing");
  return DLF_OK;
}

/* Set an output's type and shape (absent optional outputs are skipped). */
static inline void op_set_output(ir_graph *g, ir_node *n, int o, ir_dtype dt, int ndim,
                                 const int64_t *dims) {
  ir_tensor *t = ir_node_output(g, n, o);
  if (!t) return;
  t->dtype = dt;
  t->ndim = ndim;
  if (ndim) memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
}

/* Normalise an axis in [-rank, rank-1] (ONNX's negative axes count from the
 * end); false when out of range. */
static inline bool op_norm_axis(int64_t axis, int rank, int *out) {
  if (axis < -(int64_t)rank || axis >= rank) return false;
  *out = (int)(axis < 0 ? axis + rank : axis);
  return true;
}

/* Product of dims[from..to). Shapes were overflow-checked by inference. */
static inline int64_t op_prod(const int64_t *dims, int from, int to) {
  int64_t p = 1;
  for (int i = from; i < to; i++)
    p *= dims[i];
  return p;
}

/* The values of a constant int64 (or float) input as ints: the count, or -1
 * when the value is absent. Copies at most max (like ir_node_const_ints). */
static inline int op_value_ints(const ir_value *v, int64_t *out, int max) {
  if (!v->data) return -1;
  int64_t count = ir_value_numel(v);
  for (int64_t k = 0; k < count && k < max; k++)
    out[k] =
        v->dtype == IR_I64 ? ((const int64_t *)v->data)[k] : (int64_t)((const float *)v->data)[k];
  return (int)(count > (1 << 30) ? (1 << 30) : count);
}

/* Element strides of v when broadcast (right-aligned) to an ndim-rank
 * shape: 0 along dims where v has size 1 or no dim at all. */
static inline void op_broadcast_strides(const ir_value *v, int ndim, int64_t *strides) {
  int off = ndim - v->ndim;
  int64_t s = 1;
  for (int i = ndim - 1; i >= 0; i--) {
    if (i < off) {
      strides[i] = 0;
      continue;
    }
    int64_t d = v->dims[i - off];
    strides[i] = d == 1 ? 0 : s;
    s *= d;
  }
}

/* Row-major element strides of dims. */
static inline void op_strides(const int64_t *dims, int ndim, int64_t *strides) {
  int64_t s = 1;
  for (int i = ndim - 1; i >= 0; i--) {
    strides[i] = s;
    s *= dims[i];
  }
}

#endif
