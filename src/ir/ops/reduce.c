/* reduce.c — ReduceMean over a set of axes (attribute before opset 18, input
 * from 18), keepdims, noop_with_empty_axes: shapes and reference. */
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "ir/ops/ops_util.h"

/* Which dims are reduced: axes/n_axes as given (n_axes < 0: absent).
 * Empty axes mean all dims, unless noop_with_empty_axes (opset 18). */
static bool reduce_mask(const ir_node *n, int rank, const int64_t *axes, int n_axes, bool *mask,
                        int64_t *bad) {
  bool noop = n->opset >= 18 && ir_node_int(n, "noop_with_empty_axes", 0) != 0;
  for (int d = 0; d < rank; d++)
    mask[d] = n_axes <= 0 && !noop;
  for (int i = 0; i < n_axes; i++) {
    int ax;
    if (!op_norm_axis(axes[i], rank, &ax)) {
      *bad = axes[i];
      return false;
    }
    mask[ax] = true;
  }
  return true;
}

dlf_status ir_op_reduce_shape(ir_graph *g, ir_node *n) {
  DLF_TRY(op_check_io(g, n, 1, n->opset >= 18 ? 2 : 1, 1, 1, 1));
  const ir_tensor *x = ir_node_input(g, n, 0);
  if (x->dtype != IR_F32)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "input '%s' is %s; only float32 is supported",
                         x->name, ir_dtype_name(x->dtype));
  int64_t axes[IR_MAX_DIMS + 1];
  int c;
  if (n->opset >= 18) {
    c = ir_node_const_ints(g, n, 1, axes, IR_MAX_DIMS + 1);
    if (c == -2)
      return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "axes input '%s' must be a constant",
                           ir_node_input(g, n, 1)->name);
  } else {
    c = ir_node_ints(n, "axes", axes, IR_MAX_DIMS + 1);
  }
  if (c > x->ndim)
    return ir_node_error(g, n, DLF_ERR_SHAPE, "%d axes for a rank-%d input", c, x->ndim);
  bool mask[IR_MAX_DIMS];
  int64_t bad;
  if (!reduce_mask(n, x->ndim, axes, c, mask, &bad))
    return ir_node_error(g, n, DLF_ERR_SHAPE, "axis %lld is out of range for rank %d",
                         (long long)bad, x->ndim);
  bool keep = ir_node_int(n, "keepdims", 1) != 0;
  int64_t dims[IR_MAX_DIMS];
  int nd = 0;
  for (int d = 0; d < x->ndim; d++) {
    if (!mask[d])
      dims[nd++] = x->dims[d];
    else if (keep)
      dims[nd++] = 1;
  }
  op_set_output(g, n, 0, IR_F32, nd, dims);
  return DLF_OK;
}

dlf_status ir_op_reduce_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                            int n_out) {
  const ir_value *x = &in[0];
  int64_t axes[IR_MAX_DIMS + 1];
  int c = n->opset >= 18 ? (n->n_inputs > 1 ? op_value_ints(&in[1], axes, IR_MAX_DIMS + 1) : -1)
                         : ir_node_ints(n, "axes", axes, IR_MAX_DIMS + 1);
  bool mask[IR_MAX_DIMS];
  int64_t bad;
  if (c > x->ndim || !reduce_mask(n, x->ndim, axes, c, mask, &bad))
    return dlf_error(DLF_ERR_SHAPE, "bad reduction axes");
  int nd = x->ndim;
  /* Strides of the output seen with kept dims: 0 along reduced dims. */
  int64_t kdims[IR_MAX_DIMS], os[IR_MAX_DIMS], idx[IR_MAX_DIMS] = {0};
  int64_t count = 1;
  for (int d = 0; d < nd; d++) {
    kdims[d] = mask[d] ? 1 : x->dims[d];
    if (mask[d]) count *= x->dims[d];
  }
  op_strides(kdims, nd, os);
  for (int d = 0; d < nd; d++)
    if (mask[d]) os[d] = 0;
  int64_t n_y = ir_value_numel(&out[0]), total = ir_value_numel(x), at = 0;
  double *acc = dlf_calloc_array((size_t)n_y, sizeof *acc); /* double: order-insensitive enough */
  if (!acc) return dlf_error(DLF_ERR_NOMEM, "out of memory for ReduceMean");
  const float *xv = x->data;
  for (int64_t k = 0; k < total; k++) {
    acc[at] += xv[k];
    for (int d = nd - 1; d >= 0; d--) {
      idx[d]++;
      at += os[d];
      if (idx[d] < x->dims[d]) break;
      at -= os[d] * x->dims[d];
      idx[d] = 0;
    }
  }
  float *y = out[0].data;
  for (int64_t i = 0; i < n_y; i++)
    y[i] = (float)(acc[i] / (double)count); /* 0/0: NaN, as numpy */
  free(acc);
  return DLF_OK;
}
