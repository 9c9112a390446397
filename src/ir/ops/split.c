/* split.c — Split along an axis into sizes given by the `split` attribute
 * (opset < 13) or input (>= 13), equal parts, or opset 18's num_outputs. */
#include <stdio.h>
#include <string.h>

#include "ir/ops/ops_util.h"

/* The sizes of the n->n_outputs parts of a dim of length d; split/n_split
 * are the explicit sizes (n_split < 0: none given). On failure writes why. */
static bool split_sizes(const ir_node *n, int64_t d, const int64_t *split, int n_split,
                        int64_t *sizes, char *why, size_t cap) {
  int parts = n->n_outputs;
  if (n_split >= 0) {
    if (n_split != parts) {
      snprintf(why, cap, "split has %d sizes for %d outputs", n_split, parts);
      return false;
    }
    int64_t sum = 0;
    for (int i = 0; i < parts; i++) {
      if (split[i] < 0) {
        snprintf(why, cap, "split size %lld is negative", (long long)split[i]);
        return false;
      }
      sizes[i] = split[i];
      sum += split[i];
    }
    if (sum != d) {
      snprintf(why, cap, "split sizes sum to %lld, the axis has %lld", (long long)sum,
               (long long)d);
      return false;
    }
    return true;
  }
  const ir_attr *num = ir_node_attr(n, "num_outputs");
  if (num && n->opset >= 18) {
    /* Split-18: ceil(d / num_outputs) each, the last part smaller. */
    if (num->i != parts || parts < 1) {
      snprintf(why, cap, "num_outputs is %lld but the node has %d outputs", (long long)num->i,
               parts);
      return false;
    }
    int64_t chunk = (d + parts - 1) / parts, left = d;
    for (int i = 0; i < parts; i++) {
      sizes[i] = left < chunk ? left : chunk;
      left -= sizes[i];
    }
    if (left != 0 || sizes[parts - 1] == 0) {
      snprintf(why, cap, "axis of %lld cannot be split into %d parts", (long long)d, parts);
      return false;
    }
    return true;
  }
  if (parts < 1 || d % parts != 0) {
    snprintf(why, cap, "axis of %lld does not split evenly into %d outputs", (long long)d, parts);
    return false;
  }
  for (int i = 0; i < parts; i++)
    sizes[i] = d / parts;
  return true;
}

#define SPLIT_MAX_OUTPUTS 1024

dlf_status ir_op_split_shape(ir_graph *g, ir_node *n) {
  DLF_TRY(op_check_io(g, n, 1, n->opset >= 13 ? 2 : 1, 1, 1, SPLIT_MAX_OUTPUTS));
  const ir_tensor *x = ir_node_input(g, n, 0);
  int axis;
  int64_t a = ir_node_int(n, "axis", 0);
  if (!op_norm_axis(a, x->ndim, &axis))
    return ir_node_error(g, n, DLF_ERR_SHAPE, "axis %lld is out of range for rank %d", (long long)a,
                         x->ndim);
  int64_t split[SPLIT_MAX_OUTPUTS], sizes[SPLIT_MAX_OUTPUTS];
  int n_split;
  if (n->opset >= 13) {
    n_split = ir_node_const_ints(g, n, 1, split, SPLIT_MAX_OUTPUTS);
    if (n_split == -2)
      return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "split input '%s' must be a constant",
                           ir_node_input(g, n, 1)->name);
  } else {
    n_split = ir_node_ints(n, "split", split, SPLIT_MAX_OUTPUTS);
  }
  if (n_split > SPLIT_MAX_OUTPUTS)
    return ir_node_error(g, n, DLF_ERR_LIMIT, "split has %d sizes", n_split);
  char why[160];
  if (!split_sizes(n, x->dims[axis], split, n_split, sizes, why, sizeof why))
    return ir_node_error(g, n, DLF_ERR_SHAPE, "%s", why);
  for (int o = 0; o < n->n_outputs; o++) {
    int64_t dims[IR_MAX_DIMS];
    memcpy(dims, x->dims, sizeof dims);
    dims[axis] = sizes[o];
    op_set_output(g, n, o, x->dtype, x->ndim, dims);
  }
  return DLF_OK;
}

dlf_status ir_op_split_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                           int n_out) {
  const ir_value *x = &in[0];
  int axis = (int)ir_node_int(n, "axis", 0);
  if (axis < 0) axis += x->ndim;
  int64_t split[SPLIT_MAX_OUTPUTS], sizes[SPLIT_MAX_OUTPUTS];
  int n_split = -1;
  if (n->opset < 13)
    n_split = ir_node_ints(n, "split", split, SPLIT_MAX_OUTPUTS);
  else if (n->n_inputs > 1)
    n_split = op_value_ints(&in[1], split, SPLIT_MAX_OUTPUTS);
  char why[160] = "too many split sizes";
  if (n_split > SPLIT_MAX_OUTPUTS ||
      !split_sizes(n, x->dims[axis], split, n_split, sizes, why, sizeof why))
    return dlf_error(DLF_ERR_SHAPE, "bad split: %s", why);
  size_t es = ir_dtype_size(x->dtype);
  int64_t outer = op_prod(x->dims, 0, axis), inner = op_prod(x->dims, axis + 1, x->ndim);
  int64_t row = x->dims[axis] * inner, at = 0;
  for (int o = 0; o < n_out; o++) {
    int64_t chunk = sizes[o] * inner;
    if (out[o].data)
      for (int64_t r = 0; r < outer; r++)
        memcpy((char *)out[o].data + (size_t)(r * chunk) * es,
               (const char *)x->data + (size_t)(r * row + at) * es, (size_t)chunk * es);
    at += chunk;
  }
  return DLF_OK;
}
