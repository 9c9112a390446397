/* concat.c — Concat along one axis (negative allowed), any dtype: shapes and
 * the reference copy. */
#include <string.h>

#include "ir/ops/ops_util.h"

dlf_status ir_op_concat_shape(ir_graph *g, ir_node *n) {
  DLF_TRY(op_check_io(g, n, 1, 1 << 20, 1, 1, 1));
  const ir_tensor *first = ir_node_input(g, n, 0);
  const ir_attr *ax = ir_node_attr(n, "axis");
  if (!ax) return ir_node_error(g, n, DLF_ERR_PARSE, "attribute 'axis' is required");
  int axis;
  if (!op_norm_axis(ir_node_int(n, "axis", 0), first->ndim, &axis))
    return ir_node_error(g, n, DLF_ERR_SHAPE, "axis %lld is out of range for rank %d",
                         (long long)ir_node_int(n, "axis", 0), first->ndim);
  int64_t dims[IR_MAX_DIMS];
  memcpy(dims, first->dims, sizeof dims);
  dims[axis] = 0;
  char s0[96], s1[96];
  for (int k = 0; k < n->n_inputs; k++) {
    const ir_tensor *t = ir_node_input(g, n, k);
    if (!t) return ir_node_error(g, n, DLF_ERR_PARSE, "input %d is missing", k);
    if (t->dtype != first->dtype)
      return ir_node_error(g, n, DLF_ERR_SHAPE, "input '%s' is %s but '%s' is %s", t->name,
                           ir_dtype_name(t->dtype), first->name, ir_dtype_name(first->dtype));
    bool ok = t->ndim == first->ndim;
    for (int d = 0; ok && d < t->ndim; d++)
      ok = d == axis || t->dims[d] == first->dims[d];
    if (!ok)
      return ir_node_error(g, n, DLF_ERR_SHAPE,
                           "input '%s' (%s) does not match '%s' (%s) outside axis %d", t->name,
                           ir_dims_str(t->dims, t->ndim, s0, sizeof s0), first->name,
                           ir_dims_str(first->dims, first->ndim, s1, sizeof s1), axis);
    dims[axis] += t->dims[axis];
  }
  op_set_output(g, n, 0, first->dtype, first->ndim, dims);
  return DLF_OK;
}

dlf_status ir_op_concat_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                            int n_out) {
  const ir_value *y = &out[0];
  int axis = (int)ir_node_int(n, "axis", 0);
  if (axis < 0) axis += y->ndim;
  size_t es = ir_dtype_size(y->dtype);
  int64_t outer = op_prod(y->dims, 0, axis), inner = op_prod(y->dims, axis + 1, y->ndim);
  int64_t row = y->dims[axis] * inner; /* elements of y per outer index */
  int64_t at = 0;                      /* where the current input starts inside a row */
  for (int k = 0; k < n->n_inputs; k++) {
    int64_t chunk = in[k].dims[axis] * inner;
    for (int64_t o = 0; o < outer; o++)
      memcpy((char *)y->data + (size_t)(o * row + at) * es,
             (const char *)in[k].data + (size_t)(o * chunk) * es, (size_t)chunk * es);
    at += chunk;
  }
  return DLF_OK;
}
