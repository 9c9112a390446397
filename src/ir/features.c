/* features.c — per-layer features (op count, channels, kernel, bytes,
 * arithmetic intensity) of one node of a sorted, shape-inferred graph. */
#include "ir/features.h"

#include <string.h>

#include "core/checked.h"

/* "act" and "add+act" for every activation, as static strings. */
static const char *epilogue_name(const ir_node *n) {
  static const char *const plain[] = {"",        "relu",        "clip",      "leakyrelu",
                                      "sigmoid", "hardsigmoid", "hardswish", "tanh",
                                      "silu",    "erf",         "sqrt",
                                      "gelu"};
  static const char *const add[] = {"add",           "add+relu",    "add+clip",
                                    "add+leakyrelu", "add+sigmoid", "add+hardsigmoid",
                                    "add+hardswish", "add+tanh",
                                    "add+silu",      "add+erf",     "add+sqrt",
                                    "add+gelu"};
  unsigned a = (unsigned)n->act;
  if (a >= sizeof plain / sizeof plain[0]) return "?";
  return n->residual >= 0 ? add[a] : plain[a];
}

static bool tensor_bytes(const ir_tensor *t, int64_t *out) {
  int64_t numel;
  return dlf_numel(t->dims, t->ndim, &numel) &&
         dlf_mul_i64(numel, (int64_t)ir_dtype_size(t->dtype), out);
}

static dlf_status overflow(const ir_graph *g, const ir_node *n) {
  return ir_node_error(g, n, DLF_ERR_LIMIT, "layer features overflow 64 bits");
}

/* Add the bytes of t to *acc, checked. */
static bool add_bytes(const ir_tensor *t, int64_t *acc) {
  int64_t b;
  return tensor_bytes(t, &b) && dlf_add_i64(*acc, b, acc);
}

/* Spatial kernel/stride as (h, w): a 1-D window is 1 x k. */
static void window_hw(const int64_t *v, int count, int64_t *h, int64_t *w) {
  if (count <= 0) return;
  *w = v[count - 1];
  *h = count >= 2 ? v[count - 2] : 1;
}

dlf_status ir_layer_features(const ir_graph *g, int i, dlf_layer_info *out) {
  if (i < 0 || i >= g->n_nodes)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: layer %d out of range (%d layers)", g->source, i,
                     g->n_nodes);
  const ir_node *n = &g->nodes[i];
  memset(out, 0, sizeof *out);
  out->index = i;
  out->name = n->name;
  out->op = ir_op_name(n->op);
  out->epilogue = epilogue_name(n);

  const ir_tensor *x = NULL; /* first activation input */
  for (int k = 0; k < n->n_inputs; k++) {
    const ir_tensor *t = ir_node_input(g, n, k);
    if (!t) continue;
    if (t->data) {
      if (t->dtype == IR_F32 && !dlf_add_i64(out->params, ir_tensor_numel(t), &out->params))
        return overflow(g, n);
      if (!add_bytes(t, &out->weight_bytes)) return overflow(g, n);
    } else {
      if (!x) x = t;
      if (!add_bytes(t, &out->act_in_bytes)) return overflow(g, n);
    }
  }
  if (n->residual >= 0 && !add_bytes(&g->tensors[n->residual], &out->act_in_bytes))
    return overflow(g, n);
  const ir_tensor *y = ir_node_output(g, n, 0);
  for (int o = 0; o < n->n_outputs; o++) {
    const ir_tensor *t = ir_node_output(g, n, o);
    if (t && !add_bytes(t, &out->act_out_bytes)) return overflow(g, n);
  }
  if (x) {
    out->ndim_in = x->ndim;
    memcpy(out->in_dims, x->dims, (size_t)x->ndim * sizeof *x->dims);
    if (x->ndim >= 2) out->in_channels = x->dims[1];
  }
  if (y) {
    out->ndim_out = y->ndim;
    memcpy(out->out_dims, y->dims, (size_t)y->ndim * sizeof *y->dims);
    if (y->ndim >= 2) out->out_channels = y->dims[1];
  }

  int64_t v[IR_MAX_DIMS];
  int64_t reduce = 0; /* MACs per output element */
  switch (n->op) {
  case IR_OP_CONV: {
    const ir_tensor *w = ir_node_input(g, n, 1);
    if (!w || w->ndim < 3) break;
    window_hw(w->dims + 2, w->ndim - 2, &out->kernel_h, &out->kernel_w);
    out->stride_h = out->stride_w = 1;
    window_hw(v, ir_node_ints(n, "strides", v, IR_MAX_DIMS), &out->stride_h, &out->stride_w);
    out->groups = ir_node_int(n, "group", 1);
    /* (Cin / group) * prod(kernel) = the weight's elements per output channel */
    if (!dlf_numel(w->dims + 1, w->ndim - 1, &reduce)) return overflow(g, n);
    break;
  }
  case IR_OP_MAXPOOL:
  case IR_OP_AVERAGEPOOL:
    window_hw(v, ir_node_ints(n, "kernel_shape", v, IR_MAX_DIMS), &out->kernel_h, &out->kernel_w);
    out->stride_h = out->stride_w = 1;
    window_hw(v, ir_node_ints(n, "strides", v, IR_MAX_DIMS), &out->stride_h, &out->stride_w);
    break;
  case IR_OP_GLOBALAVERAGEPOOL:
  case IR_OP_GLOBALMAXPOOL:
    if (x && x->ndim > 2) window_hw(x->dims + 2, x->ndim - 2, &out->kernel_h, &out->kernel_w);
    out->stride_h = out->stride_w = 1;
    break;
  case IR_OP_GEMM: {
    const ir_tensor *a = ir_node_input(g, n, 0);
    if (!a || a->ndim != 2 || !y || y->ndim != 2) break;
    reduce = ir_node_int(n, "transA", 0) ? a->dims[0] : a->dims[1];
    out->in_channels = reduce;
    out->out_channels = y->dims[1];
    break;
  }
  case IR_OP_MATMUL: {
    const ir_tensor *a = ir_node_input(g, n, 0);
    if (!a || a->ndim < 1 || !y) break;
    reduce = a->dims[a->ndim - 1];
    out->in_channels = reduce;
    out->out_channels = y->ndim >= 1 ? y->dims[y->ndim - 1] : 1;
    break;
  }
  default: break;
  }
  /* Conv: N*Cout*prod(out spatial) * (Cin/g)*prod(k); Gemm M*N * K;
   * MatMul batch*M*N * K: always (output elements) * (MACs per element). */
  if (reduce > 0 && y) {
    int64_t numel;
    if (!dlf_numel(y->dims, y->ndim, &numel) || !dlf_mul_i64(numel, reduce, &out->macs))
      return overflow(g, n);
  }
  double bytes = (double)out->weight_bytes + (double)out->act_in_bytes + (double)out->act_out_bytes;
  out->intensity = bytes > 0 ? 2.0 * (double)out->macs / bytes : 0.0;
  return DLF_OK;
}
