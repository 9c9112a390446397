/* gather.c — Gather along an axis with int64 indices of any rank (negative
 * indices count from the end), data float32 or int64. */
#include <string.h>

#include "ir/ops/ops_util.h"

dlf_status ir_op_gather_shape(ir_graph *g, ir_node *n) {
  DLF_TRY(op_check_io(g, n, 2, 2, 2, 1, 1));
  const ir_tensor *x = ir_node_input(g, n, 0), *idx = ir_node_input(g, n, 1);
  if (idx->dtype != IR_I64)
    return ir_node_error(g, n, DLF_ERR_SHAPE, "indices '%s' must be int64, got %s", idx->name,
                         ir_dtype_name(idx->dtype));
  int axis;
  int64_t a = ir_node_int(n, "axis", 0);
  if (!op_norm_axis(a, x->ndim, &axis))
    return ir_node_error(g, n, DLF_ERR_SHAPE, "axis %lld is out of range for rank %d of '%s'",
                         (long long)a, x->ndim, x->name);
  int nd = x->ndim - 1 + idx->ndim;
  if (nd > IR_MAX_DIMS)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "output would have %d dims (at most %d)", nd,
                         IR_MAX_DIMS);
  /* Constant indices are checked now, so that errors name the node early. */
  if (idx->data) {
    const int64_t *iv = idx->data;
    for (int64_t k = 0; k < ir_tensor_numel(idx); k++)
      if (iv[k] < -x->dims[axis] || iv[k] >= x->dims[axis])
        return ir_node_error(g, n, DLF_ERR_SHAPE,
                             "index %lld is out of range for axis %d of '%s' (size %lld)",
                             (long long)iv[k], axis, x->name, (long long)x->dims[axis]);
  }
  int64_t dims[IR_MAX_DIMS];
  int k = 0;
  for (int d = 0; d < axis; d++)
    dims[k++] = x->dims[d];
  for (int d = 0; d < idx->ndim; d++)
    dims[k++] = idx->dims[d];
  for (int d = axis + 1; d < x->ndim; d++)
    dims[k++] = x->dims[d];
  op_set_output(g, n, 0, x->dtype, nd, dims);
  return DLF_OK;
}

dlf_status ir_op_gather_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                            int n_out) {
  const ir_value *x = &in[0];
  int axis = (int)ir_node_int(n, "axis", 0);
  if (axis < 0) axis += x->ndim;
  size_t es = ir_dtype_size(x->dtype);
  int64_t outer = op_prod(x->dims, 0, axis), dim = x->dims[axis];
  int64_t inner = op_prod(x->dims, axis + 1, x->ndim), n_idx = ir_value_numel(&in[1]);
  const int64_t *iv = in[1].data;
  for (int64_t j = 0; j < n_idx; j++)
    if (iv[j] < -dim || iv[j] >= dim)
      return dlf_error(DLF_ERR_INVALID_ARG, "index %lld is out of range for an axis of size %lld",
                       (long long)iv[j], (long long)dim);
  for (int64_t o = 0; o < outer; o++)
    for (int64_t j = 0; j < n_idx; j++) {
      int64_t i = iv[j] < 0 ? iv[j] + dim : iv[j];
      memcpy((char *)out[0].data + (size_t)((o * n_idx + j) * inner) * es,
             (const char *)x->data + (size_t)((o * dim + i) * inner) * es, (size_t)inner * es);
    }
  return DLF_OK;
}
