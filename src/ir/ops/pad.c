/* pad.c — ONNX Pad (modes constant, reflect, edge, wrap; negative pads crop):
 * pads from attributes (opset < 11) or a constant input (opset >= 11, with
 * optional axes from opset 18). */
#include <stdio.h>
#include <string.h>

#include "ir/ir.h"

typedef enum pad_mode { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP } pad_mode;

static bool pad_mode_of(const ir_node *n, pad_mode *m) {
  const char *s = ir_node_string(n, "mode", "constant");
  if (!strcmp(s, "constant"))
    *m = PAD_CONSTANT;
  else if (!strcmp(s, "reflect"))
    *m = PAD_REFLECT;
  else if (!strcmp(s, "edge"))
    *m = PAD_EDGE;
  else if (!strcmp(s, "wrap"))
    *m = PAD_WRAP;
  else
    return false;
  return true;
}

/* Expand (pads, axes) to full pads [x1_begin, ..., xr_begin, x1_end, ...]
 * for rank r. raw has 2 * n_axes values; axes NULL means all axes. */
static bool pads_expand(const int64_t *raw, int n_raw, const int64_t *axes, int n_axes, int rank,
                        int64_t *full, char *msg, size_t cap) {
  int na = axes ? n_axes : rank;
  if (n_raw != 2 * na) {
    snprintf(msg, cap, "pads has %d values, expected %d", n_raw, 2 * na);
    return false;
  }
  for (int i = 0; i < 2 * rank; i++)
    full[i] = 0;
  for (int i = 0; i < na; i++) {
    int64_t ax = axes ? axes[i] : i;
    if (ax < 0) ax += rank;
    if (ax < 0 || ax >= rank) {
      snprintf(msg, cap, "axis %lld is out of range for rank %d", (long long)(axes ? axes[i] : i),
               rank);
      return false;
    }
    if (raw[i] < -((int64_t)1 << 40) || raw[i] > ((int64_t)1 << 40) ||
        raw[i + na] < -((int64_t)1 << 40) || raw[i + na] > ((int64_t)1 << 40)) {
      snprintf(msg, cap, "pads beyond 2^40");
      return false;
    }
    full[ax] = raw[i];
    full[ax + rank] = raw[i + na];
  }
  return true;
}

dlf_status ir_op_pad_shape(ir_graph *g, ir_node *n) {
  int max_in = n->opset >= 18 ? 4 : n->opset >= 11 ? 3 : 1;
  if (n->n_inputs < 1 || n->n_inputs > max_in || n->n_outputs != 1)
    return ir_node_error(g, n, DLF_ERR_PARSE, "expects 1 to %d inputs and 1 output, has %d and %d",
                         max_in, n->n_inputs, n->n_outputs);
  const ir_tensor *x = ir_node_input(g, n, 0);
  ir_tensor *y = ir_node_output(g, n, 0);
  if (!x || !y) return ir_node_error(g, n, DLF_ERR_PARSE, "data and output are required");
  if (x->dtype != IR_F32)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "only float32 is supported");
  pad_mode mode;
  if (!pad_mode_of(n, &mode))
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED,
                         "mode '%s' is not constant, reflect, edge or wrap",
                         ir_node_string(n, "mode", ""));
  int rank = x->ndim;
  int64_t raw[2 * IR_MAX_DIMS], axes[IR_MAX_DIMS], full[2 * IR_MAX_DIMS];
  int n_raw, n_axes = -1;
  if (n->opset < 11) {
    n_raw = ir_node_ints(n, "pads", raw, 2 * IR_MAX_DIMS);
    if (n_raw < 0) n_raw = ir_node_ints(n, "paddings", raw, 2 * IR_MAX_DIMS);
    if (n_raw < 0) return ir_node_error(g, n, DLF_ERR_PARSE, "attribute pads is required");
  } else {
    const ir_tensor *p = ir_node_input(g, n, 1);
    if (!p) return ir_node_error(g, n, DLF_ERR_PARSE, "input pads is required");
    if (p->dtype != IR_I64 || p->ndim != 1)
      return ir_node_error(g, n, DLF_ERR_SHAPE, "pads '%s' must be a 1-D int64 tensor", p->name);
    n_raw = ir_node_const_ints(g, n, 1, raw, 2 * IR_MAX_DIMS);
    if (n_raw == -2) return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "pads must be a constant");
    if (n_raw > 2 * IR_MAX_DIMS)
      return ir_node_error(g, n, DLF_ERR_SHAPE, "pads has %d values, expected at most %d", n_raw,
                           2 * rank);
    const ir_tensor *cv = ir_node_input(g, n, 2);
    if (cv && (cv->dtype != IR_F32 || ir_tensor_numel(cv) != 1))
      return ir_node_error(g, n, DLF_ERR_SHAPE, "constant_value '%s' must be a float32 scalar",
                           cv->name);
    if (ir_node_input(g, n, 3)) {
      const ir_tensor *a = ir_node_input(g, n, 3);
      if (a->dtype != IR_I64 || a->ndim != 1)
        return ir_node_error(g, n, DLF_ERR_SHAPE, "axes '%s' must be a 1-D int64 tensor", a->name);
      n_axes = ir_node_const_ints(g, n, 3, axes, IR_MAX_DIMS);
      if (n_axes == -2) return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "axes must be a constant");
      if (n_axes > rank)
        return ir_node_error(g, n, DLF_ERR_SHAPE, "axes has %d values, data has rank %d", n_axes,
                             rank);
    }
  }
  char msg[256];
  if (n_raw > 2 * IR_MAX_DIMS ||
      !pads_expand(raw, n_raw, n_axes >= 0 ? axes : NULL, n_axes, rank, full, msg, sizeof msg))
    return ir_node_error(g, n, DLF_ERR_SHAPE, "%s",
                         n_raw > 2 * IR_MAX_DIMS ? "too many pads" : msg);
  y->dtype = IR_F32;
  y->ndim = rank;
  for (int i = 0; i < rank; i++) {
    int64_t d = x->dims[i] + full[i] + full[i + rank];
    if (d < 0)
      return ir_node_error(g, n, DLF_ERR_SHAPE,
                           "axis %d of size %lld padded by %lld and %lld gives a negative size", i,
                           (long long)x->dims[i], (long long)full[i], (long long)full[i + rank]);
    if (mode != PAD_CONSTANT && x->dims[i] == 0 && d > 0)
      return ir_node_error(g, n, DLF_ERR_SHAPE, "cannot pad empty axis %d in a non-constant mode",
                           i);
    y->dims[i] = d;
  }
  return DLF_OK;
}

/* Input index for output coordinate o along an axis of size len with begin
 * pad pb; -1 means "the constant value". */
static int64_t src_index(pad_mode mode, int64_t o, int64_t pb, int64_t len) {
  int64_t i = o - pb;
  if (i >= 0 && i < len) return i;
  switch (mode) {
  case PAD_CONSTANT: return -1;
  case PAD_EDGE: return i < 0 ? 0 : len - 1;
  case PAD_WRAP: return ((i % len) + len) % len;
  case PAD_REFLECT: {
    /* numpy 'reflect' (edge not repeated): periodic with period 2*(len-1). */
    if (len == 1) return 0;
    int64_t period = 2 * (len - 1);
    int64_t r = ((i % period) + period) % period;
    return r < len ? r : period - r;
  }
  }
  return -1;
}

dlf_status ir_op_pad_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out, int n_out) {
  pad_mode mode;
  if (!pad_mode_of(n, &mode)) return dlf_error(DLF_ERR_UNSUPPORTED, "unknown pad mode");
  int rank = in[0].ndim;
  int64_t raw[2 * IR_MAX_DIMS], axes[IR_MAX_DIMS], full[2 * IR_MAX_DIMS];
  int n_raw, n_axes = -1;
  float value = 0.0f;
  if (n->opset < 11) {
    n_raw = ir_node_ints(n, "pads", raw, 2 * IR_MAX_DIMS);
    if (n_raw < 0) n_raw = ir_node_ints(n, "paddings", raw, 2 * IR_MAX_DIMS);
    value = ir_node_float(n, "value", 0.0f);
  } else {
    n_raw = (int)ir_value_numel(&in[1]);
    if (n_raw > 2 * IR_MAX_DIMS || in[1].dtype != IR_I64 || !in[1].data)
      return dlf_error(DLF_ERR_SHAPE, "bad pads input");
    memcpy(raw, in[1].data, (size_t)n_raw * sizeof raw[0]);
    if (n_in > 2 && in[2].data) value = *(const float *)in[2].data;
    if (n_in > 3 && in[3].data) {
      n_axes = (int)ir_value_numel(&in[3]);
      if (n_axes > IR_MAX_DIMS || in[3].dtype != IR_I64)
        return dlf_error(DLF_ERR_SHAPE, "bad axes input");
      memcpy(axes, in[3].data, (size_t)n_axes * sizeof axes[0]);
    }
  }
  char msg[256];
  if (n_raw < 0 ||
      !pads_expand(raw, n_raw, n_axes >= 0 ? axes : NULL, n_axes, rank, full, msg, sizeof msg))
    return dlf_error(DLF_ERR_SHAPE, "%s", n_raw < 0 ? "pads missing" : msg);
  const float *x = in[0].data;
  float *y = out[0].data;
  int64_t total = ir_value_numel(&out[0]);
  for (int64_t lin = 0; lin < total; lin++) {
    /* Decompose the output index, map each coordinate to its source. */
    int64_t rem = lin, src = 0, stride = 1;
    bool constant = false;
    for (int d = rank - 1; d >= 0; d--) {
      int64_t o = rem % out[0].dims[d];
      rem /= out[0].dims[d];
      int64_t i = src_index(mode, o, full[d], in[0].dims[d]);
      if (i < 0) constant = true;
      src += i * stride;
      stride *= in[0].dims[d];
    }
    y[lin] = constant ? value : x[src];
  }
  return DLF_OK;
}
