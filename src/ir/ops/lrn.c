/* lrn.c — ONNX LRN (local response normalization across channels):
 * y = x / (bias + alpha / size * sum of x^2 over nearby channels)^beta. */
#include <math.h>

#include "ir/ir.h"

dlf_status ir_op_lrn_shape(ir_graph *g, ir_node *n) {
  if (n->n_inputs != 1 || n->n_outputs != 1)
    return ir_node_error(g, n, DLF_ERR_PARSE, "expects 1 input and 1 output, has %d and %d",
                         n->n_inputs, n->n_outputs);
  const ir_tensor *x = ir_node_input(g, n, 0);
  ir_tensor *y = ir_node_output(g, n, 0);
  if (!x || !y) return ir_node_error(g, n, DLF_ERR_PARSE, "X and Y are required");
  if (x->dtype != IR_F32)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "only float32 is supported");
  if (x->ndim < 2)
    return ir_node_error(g, n, DLF_ERR_SHAPE, "X '%s' has rank %d, expected at least 2 (N, C, ...)",
                         x->name, x->ndim);
  int64_t size = ir_node_int(n, "size", 0);
  if (size < 1)
    return ir_node_error(g, n, DLF_ERR_PARSE, "attribute size must be positive, is %lld",
                         (long long)size);
  y->dtype = IR_F32;
  y->ndim = x->ndim;
  for (int i = 0; i < x->ndim; i++)
    y->dims[i] = x->dims[i];
  return DLF_OK;
}

dlf_status ir_op_lrn_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out, int n_out) {
  const float *x = in[0].data;
  float *y = out[0].data;
  float alpha = ir_node_float(n, "alpha", 1e-4f), beta = ir_node_float(n, "beta", 0.75f);
  float bias = ir_node_float(n, "bias", 1.0f);
  int64_t size = ir_node_int(n, "size", 1);
  int64_t N = in[0].dims[0], C = in[0].dims[1], S = 1;
  for (int i = 2; i < in[0].ndim; i++)
    S *= in[0].dims[i];
  /* ONNX: channels [c - floor((size-1)/2), c + ceil((size-1)/2)], clipped. */
  int64_t lo_off = (size - 1) / 2, hi_off = size / 2;
  for (int64_t b = 0; b < N; b++)
    for (int64_t c = 0; c < C; c++) {
      int64_t lo = c - lo_off < 0 ? 0 : c - lo_off, hi = c + hi_off >= C ? C - 1 : c + hi_off;
      for (int64_t s = 0; s < S; s++) {
        float sq = 0.0f;
        for (int64_t k = lo; k <= hi; k++) {
          float v = x[(b * C + k) * S + s];
          sq += v * v;
        }
        float v = x[(b * C + c) * S + s];
        y[(b * C + c) * S + s] = v / powf(bias + alpha / (float)size * sq, beta);
      }
    }
  return DLF_OK;
}
