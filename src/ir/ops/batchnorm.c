/* batchnorm.c — ONNX BatchNormalization, inference mode only:
 * Y = scale * (X - mean) / sqrt(var + epsilon) + B, per channel (axis 1). */
#include <math.h>

#include "ir/ir.h"

dlf_status ir_op_batchnorm_shape(ir_graph *g, ir_node *n) {
  if (n->n_inputs != 5 || n->n_outputs < 1)
    return ir_node_error(g, n, DLF_ERR_PARSE,
                         "expects 5 inputs and at least 1 output, has %d and %d", n->n_inputs,
                         n->n_outputs);
  if (ir_node_int(n, "training_mode", 0) != 0)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED,
                         "training_mode=1 is not supported (inference only)");
  for (int o = 1; o < n->n_outputs; o++)
    if (ir_node_output(g, n, o))
      return ir_node_error(g, n, DLF_ERR_UNSUPPORTED,
                           "output %d (running statistics) is requested; only inference "
                           "(one output) is supported",
                           o);
  /* Opsets 1-8: spatial=0 means per-activation statistics of shape C x D1 x ... */
  if (n->opset < 9 && ir_node_int(n, "spatial", 1) == 0)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "spatial=0 is not supported");
  const ir_tensor *x = ir_node_input(g, n, 0);
  ir_tensor *y = ir_node_output(g, n, 0);
  if (!x || !y) return ir_node_error(g, n, DLF_ERR_PARSE, "X and Y are required");
  if (x->dtype != IR_F32)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "only float32 is supported");
  if (x->ndim < 2)
    return ir_node_error(g, n, DLF_ERR_SHAPE, "X '%s' has rank %d, expected at least 2 (N, C, ...)",
                         x->name, x->ndim);
  static const char *const names[5] = {"X", "scale", "B", "mean", "var"};
  for (int i = 1; i < 5; i++) {
    const ir_tensor *p = ir_node_input(g, n, i);
    if (!p) return ir_node_error(g, n, DLF_ERR_PARSE, "input %s is required", names[i]);
    if (p->dtype != IR_F32)
      return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "%s '%s' must be float32", names[i], p->name);
    if (p->ndim != 1 || p->dims[0] != x->dims[1])
      return ir_node_error(g, n, DLF_ERR_SHAPE, "%s '%s' must be 1-D of X's %lld channels",
                           names[i], p->name, (long long)x->dims[1]);
  }
  y->dtype = IR_F32;
  y->ndim = x->ndim;
  for (int i = 0; i < x->ndim; i++)
    y->dims[i] = x->dims[i];
  return DLF_OK;
}

dlf_status ir_op_batchnorm_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                               int n_out) {
  const float *x = in[0].data, *scale = in[1].data, *bias = in[2].data, *mean = in[3].data,
              *var = in[4].data;
  float *y = out[0].data;
  float eps = ir_node_float(n, "epsilon", 1e-5f);
  int64_t N = in[0].dims[0], C = in[0].dims[1], S = 1;
  for (int i = 2; i < in[0].ndim; i++)
    S *= in[0].dims[i];
  for (int64_t b = 0; b < N; b++)
    for (int64_t c = 0; c < C; c++) {
      float sd = sqrtf(var[c] + eps);
      const float *xp = x + (b * C + c) * S;
      float *yp = y + (b * C + c) * S;
      for (int64_t s = 0; s < S; s++)
        yp[s] = scale[c] * (xp[s] - mean[c]) / sd + bias[c];
    }
  return DLF_OK;
}
