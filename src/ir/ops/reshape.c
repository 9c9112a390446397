/* reshape.c — the ops that change a shape but not the data: Reshape,
 * Flatten, Squeeze, Unsqueeze. Any dtype; the reference is a copy. */
#include <string.h>

#include "core/checked.h"
#include "ir/ops/ops_util.h"

/* Read an int list from an attribute (opset < from_opset) or constant input
 * k: the count, -1 if absent, -2 (error already set) if not constant. */
static int list_arg(ir_graph *g, ir_node *n, const char *name, int k, int from_opset, int64_t *v,
                    int max) {
  if (n->opset < from_opset) return ir_node_ints(n, name, v, max);
  int c = ir_node_const_ints(g, n, k, v, max);
  if (c == -2)
    ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "%s input '%s' must be a constant", name,
                  ir_node_input(g, n, k)->name);
  return c;
}

static dlf_status reshape_shape(ir_graph *g, ir_node *n, const ir_tensor *x) {
  int64_t s[IR_MAX_DIMS + 1], dims[IR_MAX_DIMS];
  int c = list_arg(g, n, "shape", 1, 5, s, IR_MAX_DIMS + 1);
  if (c == -2) return DLF_ERR_UNSUPPORTED;
  if (c < 0) return ir_node_error(g, n, DLF_ERR_PARSE, "the target shape is missing");
  if (c > IR_MAX_DIMS)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "target shape has %d dims (at most %d)", c,
                         IR_MAX_DIMS);
  bool allowzero = n->opset >= 14 && ir_node_int(n, "allowzero", 0) != 0;
  int infer = -1;
  int64_t known = 1;
  char sx[96], ss[96];
  for (int i = 0; i < c; i++) {
    dims[i] = s[i];
    if (s[i] == -1) {
      if (infer >= 0)
        return ir_node_error(g, n, DLF_ERR_SHAPE, "target shape has more than one -1");
      infer = i;
      continue;
    }
    if (s[i] == 0 && !allowzero) {
      /* 0 copies the input dim at the same index */
      if (i >= x->ndim)
        return ir_node_error(g, n, DLF_ERR_SHAPE,
                             "target shape dim %d is 0 but input '%s' has only %d dims", i, x->name,
                             x->ndim);
      dims[i] = x->dims[i];
    } else if (s[i] < 0) {
      return ir_node_error(g, n, DLF_ERR_SHAPE, "target shape dim %d is %lld", i, (long long)s[i]);
    }
    if (!dlf_mul_i64(known, dims[i], &known))
      return ir_node_error(g, n, DLF_ERR_SHAPE, "target shape overflows");
  }
  int64_t numel = ir_tensor_numel(x);
  if (infer >= 0) {
    if (known == 0)
      return ir_node_error(g, n, DLF_ERR_SHAPE,
                           "cannot infer the -1 dim of a target shape with a 0 dim");
    dims[infer] = numel / known;
    known *= dims[infer];
  }
  if (known != numel) {
    for (int i = 0; i < c; i++)
      s[i] = dims[i];
    return ir_node_error(g, n, DLF_ERR_SHAPE,
                         "cannot reshape input '%s' of %s (%lld elements) to %s (%lld elements)",
                         x->name, ir_dims_str(x->dims, x->ndim, sx, sizeof sx), (long long)numel,
                         ir_dims_str(s, c, ss, sizeof ss), (long long)known);
  }
  op_set_output(g, n, 0, x->dtype, c, dims);
  return DLF_OK;
}

static dlf_status flatten_shape(ir_graph *g, ir_node *n, const ir_tensor *x) {
  int64_t a = ir_node_int(n, "axis", 1);
  /* axis is in [-r, r]: axis r gives (numel, 1) */
  if (a < -(int64_t)x->ndim || a > x->ndim)
    return ir_node_error(g, n, DLF_ERR_SHAPE, "axis %lld is out of range for rank %d", (long long)a,
                         x->ndim);
  int axis = (int)(a < 0 ? a + x->ndim : a);
  int64_t dims[2] = {op_prod(x->dims, 0, axis), op_prod(x->dims, axis, x->ndim)};
  op_set_output(g, n, 0, x->dtype, 2, dims);
  return DLF_OK;
}

static dlf_status squeeze_shape(ir_graph *g, ir_node *n, const ir_tensor *x) {
  int64_t axes[IR_MAX_DIMS + 1], dims[IR_MAX_DIMS];
  int c = list_arg(g, n, "axes", 1, 13, axes, IR_MAX_DIMS + 1);
  if (c == -2) return DLF_ERR_UNSUPPORTED;
  bool drop[IR_MAX_DIMS] = {false};
  /* absent (or empty, as ONNX Runtime reads it) axes: every size-1 dim */
  if (c <= 0) {
    for (int d = 0; d < x->ndim; d++)
      drop[d] = x->dims[d] == 1;
  } else {
    if (c > x->ndim)
      return ir_node_error(g, n, DLF_ERR_SHAPE, "%d axes for a rank-%d input", c, x->ndim);
    for (int i = 0; i < c; i++) {
      int ax;
      if (!op_norm_axis(axes[i], x->ndim, &ax))
        return ir_node_error(g, n, DLF_ERR_SHAPE, "axis %lld is out of range for rank %d",
                             (long long)axes[i], x->ndim);
      if (x->dims[ax] != 1)
        return ir_node_error(g, n, DLF_ERR_SHAPE,
                             "cannot squeeze axis %d of '%s': its size is %lld", ax, x->name,
                             (long long)x->dims[ax]);
      drop[ax] = true;
    }
  }
  int nd = 0;
  for (int d = 0; d < x->ndim; d++)
    if (!drop[d]) dims[nd++] = x->dims[d];
  op_set_output(g, n, 0, x->dtype, nd, dims);
  return DLF_OK;
}

static dlf_status unsqueeze_shape(ir_graph *g, ir_node *n, const ir_tensor *x) {
  int64_t axes[IR_MAX_DIMS + 1], dims[IR_MAX_DIMS];
  int c = list_arg(g, n, "axes", 1, 13, axes, IR_MAX_DIMS + 1);
  if (c == -2) return DLF_ERR_UNSUPPORTED;
  if (c < 0) return ir_node_error(g, n, DLF_ERR_PARSE, "axes are required");
  int nd = x->ndim + c;
  if (nd > IR_MAX_DIMS)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "output would have %d dims (at most %d)", nd,
                         IR_MAX_DIMS);
  /* axes index the output, whose rank is r + len(axes) */
  bool ins[IR_MAX_DIMS] = {false};
  for (int i = 0; i < c; i++) {
    int ax;
    if (!op_norm_axis(axes[i], nd, &ax))
      return ir_node_error(g, n, DLF_ERR_SHAPE, "axis %lld is out of range for output rank %d",
                           (long long)axes[i], nd);
    if (ins[ax]) return ir_node_error(g, n, DLF_ERR_SHAPE, "axis %d is repeated", ax);
    ins[ax] = true;
  }
  for (int d = 0, k = 0; d < nd; d++)
    dims[d] = ins[d] ? 1 : x->dims[k++];
  op_set_output(g, n, 0, x->dtype, nd, dims);
  return DLF_OK;
}

dlf_status ir_op_reshape_shape(ir_graph *g, ir_node *n) {
  bool has_list_input = (n->op == IR_OP_RESHAPE && n->opset >= 5) ||
                        ((n->op == IR_OP_SQUEEZE || n->op == IR_OP_UNSQUEEZE) && n->opset >= 13);
  int required = n->op == IR_OP_RESHAPE || n->op == IR_OP_UNSQUEEZE ? 2 : 1;
  if (!has_list_input) required = 1;
  DLF_TRY(op_check_io(g, n, required, has_list_input ? 2 : 1, required, 1, 1));
  const ir_tensor *x = ir_node_input(g, n, 0);
  switch (n->op) {
  case IR_OP_RESHAPE: return reshape_shape(g, n, x);
  case IR_OP_FLATTEN: return flatten_shape(g, n, x);
  case IR_OP_SQUEEZE: return squeeze_shape(g, n, x);
  default: return unsqueeze_shape(g, n, x);
  }
}

dlf_status ir_op_reshape_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                             int n_out) {
  memcpy(out[0].data, in[0].data, (size_t)ir_value_numel(&in[0]) * ir_dtype_size(in[0].dtype));
  return DLF_OK;
}
