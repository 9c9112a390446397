/* unary.c — elementwise activations (Relu, Clip, LeakyRelu, Sigmoid,
 * HardSigmoid, HardSwish, Tanh), Erf, Sqrt and Identity: shapes and reference code. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "ir/ops/epilogue.h"
#include "ir/ops/ops_util.h"

dlf_status ir_op_unary_shape(ir_graph *g, ir_node *n) {
  /* Clip takes min/max as optional inputs from opset 11 (attributes before). */
  int max_in = n->op == IR_OP_CLIP && n->opset >= 11 ? 3 : 1;
  DLF_TRY(op_check_io(g, n, 1, max_in, 1, 1, 1));
  const ir_tensor *x = ir_node_input(g, n, 0);
  if (n->op != IR_OP_IDENTITY && x->dtype != IR_F32)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "input '%s' is %s; only float32 is supported",
                         x->name, ir_dtype_name(x->dtype));
  for (int k = 1; k < n->n_inputs; k++) {
    const ir_tensor *b = ir_node_input(g, n, k);
    if (!b) continue;
    char buf[96];
    if (b->dtype != IR_F32 || ir_tensor_numel(b) != 1)
      return ir_node_error(g, n, DLF_ERR_SHAPE, "%s input '%s' must be a float32 scalar, got %s %s",
                           k == 1 ? "min" : "max", b->name, ir_dtype_name(b->dtype),
                           ir_dims_str(b->dims, b->ndim, buf, sizeof buf));
  }
  op_set_output(g, n, 0, x->dtype, x->ndim, x->dims);
  if (n->act != IR_ACT_NONE && x->dtype != IR_F32)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "an activation epilogue needs float32");
  return epilogue_check(g, n, ir_node_output(g, n, 0));
}

/* Every activation goes through ir_act_of_node + ir_act_apply, the
 * definitions the fused epilogues use too. */
dlf_status ir_op_unary_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                           int n_out) {
  int64_t count = ir_value_numel(&in[0]);
  if (n->op == IR_OP_IDENTITY) {
    memcpy(out[0].data, in[0].data, (size_t)count * ir_dtype_size(in[0].dtype));
  } else {
    float p0, p1;
    const float *lo = n->n_inputs > 1 && in[1].data ? in[1].data : NULL;
    const float *hi = n->n_inputs > 2 && in[2].data ? in[2].data : NULL;
    ir_act act = ir_act_of_node(n, lo, hi, &p0, &p1);
    const float *x = in[0].data;
    float *y = out[0].data;
    for (int64_t i = 0; i < count; i++)
      y[i] = ir_act_apply(act, p0, p1, x[i]);
  }
  if (out[0].dtype != IR_F32) return DLF_OK;
  return epilogue_apply(n, in, n_in, out[0].data, count);
}
