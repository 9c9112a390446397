/* softmax.c — Softmax: before opset 13 over the input coerced to 2-D at
 * `axis` (default 1), from 13 along one axis (default -1). Subtracts the max
 * for numerical stability. */
#include <math.h>

#include "ir/ops/ops_util.h"

/* The input seen as outer x n x inner with softmax over n. */
static bool softmax_geom(const ir_node *n, const int64_t *dims, int rank, int64_t *outer,
                         int64_t *len, int64_t *inner, int64_t *axis_out) {
  int64_t a = ir_node_int(n, "axis", n->opset >= 13 ? -1 : 1);
  *axis_out = a;
  int axis;
  if (!op_norm_axis(a, rank, &axis)) return false;
  *outer = op_prod(dims, 0, axis);
  if (n->opset >= 13) {
    *len = dims[axis];
    *inner = op_prod(dims, axis + 1, rank);
  } else {
    *len = op_prod(dims, axis, rank);
    *inner = 1;
  }
  return true;
}

dlf_status ir_op_softmax_shape(ir_graph *g, ir_node *n) {
  DLF_TRY(op_check_io(g, n, 1, 1, 1, 1, 1));
  const ir_tensor *x = ir_node_input(g, n, 0);
  if (x->dtype != IR_F32)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "input '%s' is %s; only float32 is supported",
                         x->name, ir_dtype_name(x->dtype));
  int64_t o, l, i, a;
  if (!softmax_geom(n, x->dims, x->ndim, &o, &l, &i, &a))
    return ir_node_error(g, n, DLF_ERR_SHAPE, "axis %lld is out of range for rank %d", (long long)a,
                         x->ndim);
  op_set_output(g, n, 0, IR_F32, x->ndim, x->dims);
  return DLF_OK;
}

dlf_status ir_op_softmax_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                             int n_out) {
  int64_t outer, len, inner, a;
  if (!softmax_geom(n, in[0].dims, in[0].ndim, &outer, &len, &inner, &a))
    return dlf_error(DLF_ERR_SHAPE, "axis %lld is out of range", (long long)a);
  const float *x = in[0].data;
  float *y = out[0].data;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      const float *xr = x + o * len * inner + i;
      float *yr = y + o * len * inner + i;
      float mx = -INFINITY;
      for (int64_t k = 0; k < len; k++)
        if (xr[k * inner] > mx) mx = xr[k * inner];
      double sum = 0.0;
      for (int64_t k = 0; k < len; k++)
        sum += exp((double)xr[k * inner] - mx);
      for (int64_t k = 0; k < len; k++)
        yr[k * inner] = (float)(exp((double)xr[k * inner] - mx) / sum);
    }
  return DLF_OK;
}
