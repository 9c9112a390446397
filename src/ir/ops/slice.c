/* slice.c — Slice: starts/ends/axes as attributes (opset < 10) or inputs
 * with optional axes and steps (>= 10); negative steps and ONNX clamping. */
#include <stdio.h>
#include <string.h>

#include "ir/ops/ops_util.h"

/* Per-dim start, step and output length of a slice of a rank-r tensor. */
typedef struct slice_plan {
  int64_t start[IR_MAX_DIMS], step[IR_MAX_DIMS], len[IR_MAX_DIMS];
} slice_plan;

/* Apply the ONNX Slice rules (opset 13 text): negative starts/ends count
 * from the end; then for step > 0 clamp start and end to [0, d], for
 * step < 0 start to [0, d-1] and end to [-1, d-1]. n_axes < 0: axes are
 * 0..n-1; n_steps < 0: all 1. */
static bool slice_plan_make(const int64_t *dims, int rank, const int64_t *starts, int n_starts,
                            const int64_t *ends, int n_ends, const int64_t *axes, int n_axes,
                            const int64_t *steps, int n_steps, slice_plan *p, char *why,
                            size_t cap) {
  if (n_starts != n_ends || (n_axes >= 0 && n_axes != n_starts) ||
      (n_steps >= 0 && n_steps != n_starts)) {
    snprintf(why, cap, "starts, ends, axes and steps have %d, %d, %d and %d values", n_starts,
             n_ends, n_axes, n_steps);
    return false;
  }
  if (n_starts > rank) {
    snprintf(why, cap, "%d axes sliced on a rank-%d input", n_starts, rank);
    return false;
  }
  bool seen[IR_MAX_DIMS] = {false};
  for (int d = 0; d < rank; d++) {
    p->start[d] = 0;
    p->step[d] = 1;
    p->len[d] = dims[d];
  }
  for (int i = 0; i < n_starts; i++) {
    int64_t a = n_axes >= 0 ? axes[i] : i;
    int ax;
    if (!op_norm_axis(a, rank, &ax)) {
      snprintf(why, cap, "axis %lld is out of range for rank %d", (long long)a, rank);
      return false;
    }
    if (seen[ax]) {
      snprintf(why, cap, "axis %lld is repeated", (long long)a);
      return false;
    }
    seen[ax] = true;
    int64_t d = dims[ax], step = n_steps >= 0 ? steps[i] : 1;
    if (step == 0) {
      snprintf(why, cap, "step along axis %d is 0", ax);
      return false;
    }
    /* |step| beyond d + 1 selects the same (at most one) element; clamping it
     * keeps every later product far from overflow. */
    if (step > d + 1) step = d + 1;
    if (step < -(d + 1)) step = -(d + 1);
    int64_t s = starts[i], e = ends[i];
    if (s < 0) s += d; /* cannot overflow: s < 0 <= d */
    if (e < 0) e += d;
    int64_t len;
    if (step > 0) {
      s = s < 0 ? 0 : (s > d ? d : s);
      e = e < 0 ? 0 : (e > d ? d : e);
      len = e > s ? (e - s + step - 1) / step : 0;
    } else {
      s = s < 0 ? 0 : (s > d - 1 ? d - 1 : s);
      e = e < -1 ? -1 : (e > d - 1 ? d - 1 : e);
      len = s > e ? (s - e + (-step) - 1) / (-step) : 0;
    }
    p->start[ax] = s;
    p->step[ax] = step;
    p->len[ax] = len;
  }
  return true;
}

/* At most one start/end/axis/step per dim; lists are read with one extra
 * slot so that an over-long list is detected rather than truncated. */
#define SLICE_MAX IR_MAX_DIMS

dlf_status ir_op_slice_shape(ir_graph *g, ir_node *n) {
  int64_t v[4][SLICE_MAX + 1];
  int c[4] = {-1, -1, -1, -1};
  if (n->opset < 10) {
    DLF_TRY(op_check_io(g, n, 1, 1, 1, 1, 1));
    static const char *const names[3] = {"starts", "ends", "axes"};
    for (int k = 0; k < 3; k++)
      c[k] = ir_node_ints(n, names[k], v[k], SLICE_MAX + 1);
    if (c[0] < 0 || c[1] < 0)
      return ir_node_error(g, n, DLF_ERR_PARSE, "attributes 'starts' and 'ends' are required");
  } else {
    DLF_TRY(op_check_io(g, n, 3, 5, 3, 1, 1));
    static const char *const names[4] = {"starts", "ends", "axes", "steps"};
    for (int k = 0; k < 4; k++) {
      c[k] = ir_node_const_ints(g, n, k + 1, v[k], SLICE_MAX + 1);
      if (c[k] == -2)
        return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "%s input '%s' must be a constant",
                             names[k], ir_node_input(g, n, k + 1)->name);
    }
  }
  const ir_tensor *x = ir_node_input(g, n, 0);
  for (int k = 0; k < 4; k++)
    if (c[k] > SLICE_MAX)
      return ir_node_error(g, n, DLF_ERR_SHAPE, "%d slice values for a rank-%d input", c[k],
                           x->ndim);
  slice_plan p;
  char why[160];
  if (!slice_plan_make(x->dims, x->ndim, v[0], c[0], v[1], c[1], v[2], c[2], v[3], c[3], &p, why,
                       sizeof why))
    return ir_node_error(g, n, DLF_ERR_SHAPE, "%s", why);
  op_set_output(g, n, 0, x->dtype, x->ndim, p.len);
  return DLF_OK;
}

dlf_status ir_op_slice_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                           int n_out) {
  int64_t v[4][SLICE_MAX + 1];
  int c[4] = {-1, -1, -1, -1};
  if (n->opset < 10) {
    static const char *const names[3] = {"starts", "ends", "axes"};
    for (int k = 0; k < 3; k++)
      c[k] = ir_node_ints(n, names[k], v[k], SLICE_MAX + 1);
  } else {
    for (int k = 0; k < 4; k++)
      if (k + 1 < n->n_inputs) c[k] = op_value_ints(&in[k + 1], v[k], SLICE_MAX + 1);
  }
  const ir_value *x = &in[0];
  slice_plan p;
  char why[160] = "too many slice values";
  bool ok = c[0] <= SLICE_MAX && c[1] <= SLICE_MAX && c[2] <= SLICE_MAX && c[3] <= SLICE_MAX;
  if (!ok || !slice_plan_make(x->dims, x->ndim, v[0], c[0], v[1], c[1], v[2], c[2], v[3], c[3], &p,
                              why, sizeof why))
    return dlf_error(DLF_ERR_SHAPE, "%s", why);
  int nd = x->ndim;
  int64_t stride[IR_MAX_DIMS], idx[IR_MAX_DIMS] = {0}, base = 0;
  op_strides(x->dims, nd, stride);
  for (int d = 0; d < nd; d++)
    base += p.start[d] * stride[d];
  size_t es = ir_dtype_size(x->dtype);
  int64_t total = ir_value_numel(&out[0]), at = base;
  for (int64_t k = 0; k < total; k++) {
    memcpy((char *)out[0].data + (size_t)k * es, (const char *)x->data + (size_t)at * es, es);
    for (int d = nd - 1; d >= 0; d--) {
      idx[d]++;
      at += p.step[d] * stride[d];
      if (idx[d] < p.len[d]) break;
      at -= p.step[d] * stride[d] * p.len[d];
      idx[d] = 0;
    }
  }
  return DLF_OK;
}

bool ir_slice_geometry(const ir_graph *g, const ir_node *n, int64_t *start, int64_t *step,
                       int64_t *len) {
  if (n->op != IR_OP_SLICE || n->n_inputs < 1) return false;
  int64_t v[4][SLICE_MAX + 1];
  int c[4] = {-1, -1, -1, -1};
  if (n->opset < 10) {
    static const char *const names[3] = {"starts", "ends", "axes"};
    for (int k = 0; k < 3; k++)
      c[k] = ir_node_ints(n, names[k], v[k], SLICE_MAX + 1);
  } else {
    for (int k = 0; k < 4; k++) {
      c[k] = k + 1 < n->n_inputs ? ir_node_const_ints(g, n, k + 1, v[k], SLICE_MAX + 1) : -1;
      if (c[k] == -2) return false;
    }
  }
  if (c[0] < 0 || c[1] < 0) return false;
  for (int k = 0; k < 4; k++)
    if (c[k] > SLICE_MAX) return false;
  const ir_tensor *x = ir_node_input(g, n, 0);
  slice_plan p;
  char why[160];
  if (!x || !slice_plan_make(x->dims, x->ndim, v[0], c[0], v[1], c[1], v[2], c[2], v[3], c[3], &p,
                             why, sizeof why))
    return false;
  for (int d = 0; d < x->ndim; d++)
    start[d] = p.start[d], step[d] = p.step[d], len[d] = p.len[d];
  return true;
}
