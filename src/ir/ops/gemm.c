/* gemm.c — ONNX Gemm: Y = alpha * A' * B' + beta * C (C broadcast to M x N),
 * shape inference and reference loops, with the fused epilogue. */
#include <string.h>

#include "ir/ops/epilogue.h"

/* C broadcasts unidirectionally to (M, N): rank <= 2, each dim 1 or full. */
static bool c_broadcasts(const int64_t *cd, int cn, int64_t M, int64_t N) {
  if (cn > 2) return false;
  int64_t rows = cn == 2 ? cd[0] : 1, cols = cn >= 1 ? cd[cn - 1] : 1;
  return (rows == 1 || rows == M) && (cols == 1 || cols == N);
}

dlf_status ir_op_gemm_shape(ir_graph *g, ir_node *n) {
  if (n->n_inputs < 2 || n->n_inputs > 3 || n->n_outputs != 1)
    return ir_node_error(g, n, DLF_ERR_PARSE, "expects 2 or 3 inputs and 1 output, has %d and %d",
                         n->n_inputs, n->n_outputs);
  const ir_tensor *a = ir_node_input(g, n, 0), *b = ir_node_input(g, n, 1),
                  *c = ir_node_input(g, n, 2);
  ir_tensor *y = ir_node_output(g, n, 0);
  if (!a || !b || !y) return ir_node_error(g, n, DLF_ERR_PARSE, "A, B and Y are required");
  if (a->dtype != IR_F32 || b->dtype != IR_F32 || (c && c->dtype != IR_F32))
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "only float32 is supported");
  if (a->ndim != 2 || b->ndim != 2)
    return ir_node_error(g, n, DLF_ERR_SHAPE, "A '%s' and B '%s' must be 2-D, have rank %d and %d",
                         a->name, b->name, a->ndim, b->ndim);
  bool ta = ir_node_int(n, "transA", 0) != 0, tb = ir_node_int(n, "transB", 0) != 0;
  int64_t M = ta ? a->dims[1] : a->dims[0], K = ta ? a->dims[0] : a->dims[1];
  int64_t Kb = tb ? b->dims[1] : b->dims[0], N = tb ? b->dims[0] : b->dims[1];
  char s1[64], s2[64];
  if (K != Kb)
    return ir_node_error(
        g, n, DLF_ERR_SHAPE, "inner dimensions differ: A is %s (transA=%d), B is %s (transB=%d)",
        ir_dims_str(a->dims, 2, s1, sizeof s1), ta, ir_dims_str(b->dims, 2, s2, sizeof s2), tb);
  if (c && !c_broadcasts(c->dims, c->ndim, M, N))
    return ir_node_error(g, n, DLF_ERR_SHAPE, "C '%s' of shape %s does not broadcast to %lldx%lld",
                         c->name, ir_dims_str(c->dims, c->ndim, s1, sizeof s1), (long long)M,
                         (long long)N);
  y->dtype = IR_F32;
  y->ndim = 2;
  y->dims[0] = M;
  y->dims[1] = N;
  return epilogue_check(g, n, y);
}

dlf_status ir_op_gemm_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                          int n_out) {
  const float *a = in[0].data, *b = in[1].data;
  const ir_value *cv = n->n_inputs > 2 && in[2].data ? &in[2] : NULL;
  float *y = out[0].data;
  bool ta = ir_node_int(n, "transA", 0) != 0, tb = ir_node_int(n, "transB", 0) != 0;
  float alpha = ir_node_float(n, "alpha", 1.0f), beta = ir_node_float(n, "beta", 1.0f);
  int64_t M = out[0].dims[0], N = out[0].dims[1];
  int64_t K = ta ? in[0].dims[0] : in[0].dims[1];
  /* Strides of A[m][k] and B[k][j] under the transposes. */
  int64_t sam = ta ? 1 : K, sak = ta ? M : 1, sbk = tb ? 1 : N, sbn = tb ? K : 1;
  int64_t crows = 1, ccols = 1;
  if (cv) {
    crows = cv->ndim == 2 ? cv->dims[0] : 1;
    ccols = cv->ndim >= 1 ? cv->dims[cv->ndim - 1] : 1;
  }
  const float *c = cv ? cv->data : NULL;
  for (int64_t m = 0; m < M; m++)
    for (int64_t j = 0; j < N; j++) {
      float acc = 0.0f;
      for (int64_t k = 0; k < K; k++)
        acc += a[m * sam + k * sak] * b[k * sbk + j * sbn];
      float v = alpha * acc;
      if (c) v += beta * c[(crows == 1 ? 0 : m) * ccols + (ccols == 1 ? 0 : j)];
      y[m * N + j] = v;
    }
  return epilogue_apply(n, in, n_in, y, M * N);
}
