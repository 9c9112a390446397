/* transpose.c — Transpose by `perm` (default: reverse the dims), any dtype:
 * shapes and the reference copy. */
#include <string.h>

#include "ir/ops/ops_util.h"

/* perm from the attribute or the default; false if it is not a permutation. */
static bool transpose_perm(const ir_node *n, int rank, int64_t *perm) {
  int c = ir_node_ints(n, "perm", perm, IR_MAX_DIMS);
  if (c < 0) {
    for (int i = 0; i < rank; i++)
      perm[i] = rank - 1 - i;
    return true;
  }
  if (c != rank) return false;
  bool seen[IR_MAX_DIMS] = {false};
  for (int i = 0; i < rank; i++) {
    if (perm[i] < 0 || perm[i] >= rank || seen[perm[i]]) return false;
    seen[perm[i]] = true;
  }
  return true;
}

dlf_status ir_op_transpose_shape(ir_graph *g, ir_node *n) {
  DLF_TRY(op_check_io(g, n, 1, 1, 1, 1, 1));
  const ir_tensor *x = ir_node_input(g, n, 0);
  int64_t perm[IR_MAX_DIMS], dims[IR_MAX_DIMS];
  if (!transpose_perm(n, x->ndim, perm)) {
    const ir_attr *a = ir_node_attr(n, "perm");
    return ir_node_error(g, n, DLF_ERR_SHAPE, "perm (%d values) is not a permutation of %d dims",
                         a ? a->n : 0, x->ndim);
  }
  for (int i = 0; i < x->ndim; i++)
    dims[i] = x->dims[perm[i]];
  op_set_output(g, n, 0, x->dtype, x->ndim, dims);
  return DLF_OK;
}

dlf_status ir_op_transpose_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                               int n_out) {
  const ir_value *x = &in[0];
  int nd = x->ndim;
  int64_t perm[IR_MAX_DIMS], xs[IR_MAX_DIMS], step[IR_MAX_DIMS], idx[IR_MAX_DIMS] = {0};
  if (!transpose_perm(n, nd, perm)) return dlf_error(DLF_ERR_SHAPE, "perm is not a permutation");
  op_strides(x->dims, nd, xs);
  for (int i = 0; i < nd; i++)
    step[i] = xs[perm[i]]; /* output dim i walks input dim perm[i] */
  size_t es = ir_dtype_size(x->dtype);
  int64_t total = ir_value_numel(x), at = 0;
  for (int64_t k = 0; k < total; k++) {
    memcpy((char *)out[0].data + (size_t)k * es, (const char *)x->data + (size_t)at * es, es);
    for (int d = nd - 1; d >= 0; d--) {
      idx[d]++;
      at += step[d];
      if (idx[d] < out[0].dims[d]) break;
      at -= step[d] * out[0].dims[d];
      idx[d] = 0;
    }
  }
  return DLF_OK;
}
