/* reduce.c — STUB: shape inference and reference implementation (to be written). */
#include "ir/ir.h"

dlf_status ir_op_reduce_shape(ir_graph *g, ir_node *n) {
  return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "not implemented yet");
}

dlf_status ir_op_reduce_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                          int n_out) {
  return dlf_error(DLF_ERR_UNSUPPORTED, "not implemented yet");
}
