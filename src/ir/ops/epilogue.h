/* epilogue.h — the fused epilogue every op with one attached honours in the
 * reference path: out = act(out [+ residual]), residual as a trailing input. */
#ifndef DLF_IR_OPS_EPILOGUE_H
#define DLF_IR_OPS_EPILOGUE_H

#include <string.h>

#include "ir/ir.h"

/* Check the residual tensor (if any) matches the output shape exactly. */
static inline dlf_status epilogue_check(ir_graph *g, ir_node *n, const ir_tensor *out) {
  if (n->residual < 0) return DLF_OK;
  if (n->residual >= g->n_tensors)
    return ir_node_error(g, n, DLF_ERR_INTERNAL, "residual refers to no tensor");
  const ir_tensor *r = &g->tensors[n->residual];
  char a[96], b[96];
  if (r->dtype != IR_F32 || r->ndim != out->ndim ||
      memcmp(r->dims, out->dims, (size_t)out->ndim * sizeof out->dims[0]))
    return ir_node_error(g, n, DLF_ERR_SHAPE, "residual '%s' is %s, output is %s", r->name,
                         ir_dims_str(r->dims, r->ndim, a, sizeof a),
                         ir_dims_str(out->dims, out->ndim, b, sizeof b));
  return DLF_OK;
}

/* Apply the epilogue in place to y (numel values). in/n_in are the ref fn's
 * inputs: the residual is in[n->n_inputs] when present. */
static inline dlf_status epilogue_apply(const ir_node *n, const ir_value *in, int n_in, float *y,
                                        int64_t numel) {
  const float *r = NULL;
  if (n->residual >= 0) {
    if (n_in != n->n_inputs + 1 || !in[n->n_inputs].data ||
        ir_value_numel(&in[n->n_inputs]) != numel)
      return dlf_error(DLF_ERR_INTERNAL, "residual input missing or of the wrong size");
    r = in[n->n_inputs].data;
  }
  if (!r && n->act == IR_ACT_NONE) return DLF_OK;
  for (int64_t i = 0; i < numel; i++) {
    float v = y[i];
    if (r) v += r[i];
    y[i] = ir_act_apply(n->act, n->act_p0, n->act_p1, v);
  }
  return DLF_OK;
}

#endif
