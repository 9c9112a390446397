/* binary.c — Add, Sub, Mul, Div, Pow (float32 only) with multidirectional (numpy) broadcasting on
 * float32 and int64, and PRelu (slope broadcast to X): shapes and reference. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ir/ops/epilogue.h"
#include "ir/ops/ops_util.h"

dlf_status ir_op_binary_shape(ir_graph *g, ir_node *n) {
  DLF_TRY(op_check_io(g, n, 2, 2, 2, 1, 1));
  const ir_tensor *a = ir_node_input(g, n, 0), *b = ir_node_input(g, n, 1);
  if (a->dtype != b->dtype && n->op != IR_OP_POW) /* Pow's exponent may differ (T1, T2) */
    return ir_node_error(g, n, DLF_ERR_SHAPE, "inputs '%s' (%s) and '%s' (%s) differ in type",
                         a->name, ir_dtype_name(a->dtype), b->name, ir_dtype_name(b->dtype));
  if (n->op == IR_OP_PRELU && a->dtype != IR_F32)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "input '%s' is %s; only float32 is supported",
                         a->name, ir_dtype_name(a->dtype));
  int64_t dims[IR_MAX_DIMS];
  int nd;
  char sa[96], sb[96];
  bool ok = ir_broadcast_shape(a->dims, a->ndim, b->dims, b->ndim, dims, &nd);
  if (n->op == IR_OP_PRELU) {
    /* Unidirectional: the slope broadcasts to X, never the other way. */
    ok = ok && nd == a->ndim && memcmp(dims, a->dims, (size_t)nd * sizeof dims[0]) == 0;
    if (!ok)
      return ir_node_error(g, n, DLF_ERR_SHAPE, "slope '%s' (%s) does not broadcast to X '%s' (%s)",
                           b->name, ir_dims_str(b->dims, b->ndim, sb, sizeof sb), a->name,
                           ir_dims_str(a->dims, a->ndim, sa, sizeof sa));
  } else if (!ok) {
    return ir_node_error(g, n, DLF_ERR_SHAPE, "shapes %s of '%s' and %s of '%s' do not broadcast",
                         ir_dims_str(a->dims, a->ndim, sa, sizeof sa), a->name,
                         ir_dims_str(b->dims, b->ndim, sb, sizeof sb), b->name);
  }
  op_set_output(g, n, 0, a->dtype, nd, dims);
  if (n->act != IR_ACT_NONE && a->dtype != IR_F32)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "an activation epilogue needs float32");
  return epilogue_check(g, n, ir_node_output(g, n, 0));
}

static float f32_op(ir_op op, float a, float b) {
  switch (op) {
  case IR_OP_ADD: return a + b;
  case IR_OP_SUB: return a - b;
  case IR_OP_MUL: return a * b;
  case IR_OP_DIV: return a / b;
  default: return a >= 0.0f ? a : a * b; /* PRelu: b is the slope */
  }
}

/* int64 arithmetic wraps (two's complement, via unsigned) instead of being
 * undefined on overflow. Div truncates toward zero like C and the ONNX
 * reference (numpy true division cast back to int64). */
static bool i64_op(ir_op op, int64_t a, int64_t b, int64_t *r) {
  switch (op) {
  case IR_OP_ADD: *r = (int64_t)((uint64_t)a + (uint64_t)b); return true;
  case IR_OP_SUB: *r = (int64_t)((uint64_t)a - (uint64_t)b); return true;
  case IR_OP_MUL: *r = (int64_t)((uint64_t)a * (uint64_t)b); return true;
  default:
    if (b == 0) return false;
    *r = a == INT64_MIN && b == -1 ? INT64_MIN : a / b;
    return true;
  }
}

/* Pow, base type T1 and exponent type T2 each float32 or int64; the result has the base's type.
 * An int64 power of an int64 is exact (by squaring, wrapping like the other int64 ops; a
 * negative exponent gives 0 unless the base is +-1); a float exponent of an int64 base is
 * computed in double and truncated toward zero, as ONNX Runtime casts it. */
static int64_t i64_pow(int64_t a, int64_t e) {
  if (e < 0) return a == 1 ? 1 : a == -1 ? (e % 2 ? -1 : 1) : 0;
  uint64_t r = 1, x = (uint64_t)a;
  for (; e; e >>= 1, x *= x)
    if (e & 1) r *= x;
  return (int64_t)r;
}

static void pow_one(const ir_value *a, int64_t ia, const ir_value *b, int64_t ib, ir_value *y,
                    int64_t k) {
  const bool af = a->dtype == IR_F32, bf = b->dtype == IR_F32;
  if (af) {
    const float e = bf ? ((const float *)b->data)[ib] : (float)((const int64_t *)b->data)[ib];
    ((float *)y->data)[k] = powf(((const float *)a->data)[ia], e);
  } else if (!bf) {
    ((int64_t *)y->data)[k] = i64_pow(((const int64_t *)a->data)[ia], ((const int64_t *)b->data)[ib]);
  } else {
    const double v = pow((double)((const int64_t *)a->data)[ia], (double)((const float *)b->data)[ib]);
    ((int64_t *)y->data)[k] = isfinite(v) && fabs(v) < 9.2e18 ? (int64_t)v : 0;
  }
}

dlf_status ir_op_binary_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                            int n_out) {
  const ir_value *a = &in[0], *b = &in[1];
  ir_value *y = &out[0];
  int nd = y->ndim;
  int64_t sa[IR_MAX_DIMS], sb[IR_MAX_DIMS], idx[IR_MAX_DIMS] = {0};
  op_broadcast_strides(a, nd, sa);
  op_broadcast_strides(b, nd, sb);
  int64_t total = ir_value_numel(y), ia = 0, ib = 0;
  for (int64_t k = 0; k < total; k++) {
    if (n->op == IR_OP_POW) {
      pow_one(a, ia, b, ib, y, k);
    } else if (y->dtype == IR_F32) {
      ((float *)y->data)[k] =
          f32_op(n->op, ((const float *)a->data)[ia], ((const float *)b->data)[ib]);
    } else if (!i64_op(n->op, ((const int64_t *)a->data)[ia], ((const int64_t *)b->data)[ib],
                       &((int64_t *)y->data)[k])) {
      return dlf_error(DLF_ERR_INVALID_ARG, "integer division by zero");
    }
    /* advance the output index like an odometer, moving both input offsets */
    for (int d = nd - 1; d >= 0; d--) {
      idx[d]++;
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < y->dims[d]) break;
      ia -= sa[d] * y->dims[d];
      ib -= sb[d] * y->dims[d];
      idx[d] = 0;
    }
  }
  if (y->dtype != IR_F32) return DLF_OK;
  return epilogue_apply(n, in, n_in, y->data, total);
}
