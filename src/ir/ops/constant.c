/* constant.c — the ops that make or retype constants, evaluated by constant
 * folding: Constant, Shape, Cast, ConstantOfShape. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ops/ops_util.h"

/* ONNX TensorProto.DataType names, for errors about unsupported types. */
static const char *onnx_type_name(int64_t t) {
  static const char *const names[] = {
      "UNDEFINED",      "FLOAT",      "UINT8",         "INT8",       "UINT16",   "INT16",
      "INT32",          "INT64",      "STRING",        "BOOL",       "FLOAT16",  "DOUBLE",
      "UINT32",         "UINT64",     "COMPLEX64",     "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN",
      "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ"};
  return t >= 0 && t < (int64_t)(sizeof names / sizeof names[0]) ? names[t] : "unknown";
}

/* A TENSOR attribute's constant (NULL with an error when it is malformed). */
static const ir_tensor *attr_tensor(ir_graph *g, ir_node *n, const ir_attr *a) {
  if (a->kind != IR_ATTR_TENSOR || a->i < 0 || a->i >= g->n_tensors || !g->tensors[a->i].data) {
    ir_node_error(g, n, DLF_ERR_PARSE, "attribute '%s' is not a constant tensor", a->name);
    return NULL;
  }
  return &g->tensors[a->i];
}

/* Reference functions get no graph, so a TENSOR attribute's constant is
 * attached as input k of the node (k == n_inputs now): Constant(value=T)
 * then reads like Identity(T). Idempotent. */
static dlf_status attach_input(ir_graph *g, ir_node *n, int k, int tensor) {
  if (n->n_inputs == k + 1 && n->inputs[k] == tensor) return DLF_OK; /* attached before */
  if (n->n_inputs != k) /* a file-supplied input here would shadow the attribute */
    return ir_node_error(g, n, DLF_ERR_PARSE, "has %d inputs, ONNX defines %d", n->n_inputs, k);
  int *p = realloc(n->inputs, (size_t)(k + 1) * sizeof *p);
  if (!p) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory");
  n->inputs = p;
  for (int i = n->n_inputs; i < k; i++)
    p[i] = -1;
  p[k] = tensor;
  n->n_inputs = k + 1;
  return DLF_OK;
}

static dlf_status constant_shape(ir_graph *g, ir_node *n) {
  DLF_TRY(op_check_io(g, n, 0, 1, 0, 1, 1));
  const ir_attr *a;
  if ((a = ir_node_attr(n, "value"))) {
    const ir_tensor *t = attr_tensor(g, n, a);
    if (!t) return DLF_ERR_PARSE;
    DLF_TRY(attach_input(g, n, 0, (int)a->i));
    op_set_output(g, n, 0, t->dtype, t->ndim, t->dims);
    return DLF_OK;
  }
  int64_t len;
  if (n->n_inputs != 0)
    return ir_node_error(g, n, DLF_ERR_PARSE, "has %d inputs, ONNX defines none", n->n_inputs);
  if ((a = ir_node_attr(n, "value_float")) && a->kind == IR_ATTR_FLOAT) {
    op_set_output(g, n, 0, IR_F32, 0, NULL);
  } else if ((a = ir_node_attr(n, "value_floats")) && a->kind == IR_ATTR_FLOATS) {
    len = a->n;
    op_set_output(g, n, 0, IR_F32, 1, &len);
  } else if ((a = ir_node_attr(n, "value_int")) && a->kind == IR_ATTR_INT) {
    op_set_output(g, n, 0, IR_I64, 0, NULL);
  } else if ((a = ir_node_attr(n, "value_ints")) && a->kind == IR_ATTR_INTS) {
    len = a->n;
    op_set_output(g, n, 0, IR_I64, 1, &len);
  } else {
    static const char *const other[] = {"sparse_value", "value_string", "value_strings"};
    for (int i = 0; i < 3; i++)
      if (ir_node_attr(n, other[i]))
        return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "attribute '%s' is not supported",
                             other[i]);
    return ir_node_error(g, n, DLF_ERR_PARSE, "has no value attribute");
  }
  return DLF_OK;
}

/* Shape-15's start/end: negative counts from the end, then clamp to [0, r]. */
static void shape_range(const ir_node *n, int rank, int64_t *start, int64_t *end) {
  int64_t s = n->opset >= 15 ? ir_node_int(n, "start", 0) : 0;
  int64_t e = n->opset >= 15 ? ir_node_int(n, "end", rank) : rank;
  if (s < 0) s += rank;
  if (e < 0) e += rank;
  *start = s < 0 ? 0 : (s > rank ? rank : s);
  *end = e < 0 ? 0 : (e > rank ? rank : e);
  if (*end < *start) *end = *start;
}

static dlf_status shape_shape(ir_graph *g, ir_node *n) {
  DLF_TRY(op_check_io(g, n, 1, 1, 1, 1, 1));
  const ir_tensor *x = ir_node_input(g, n, 0);
  int64_t s, e;
  shape_range(n, x->ndim, &s, &e);
  int64_t len = e - s;
  op_set_output(g, n, 0, IR_I64, 1, &len);
  return DLF_OK;
}

static dlf_status cast_shape(ir_graph *g, ir_node *n) {
  DLF_TRY(op_check_io(g, n, 1, 1, 1, 1, 1));
  const ir_tensor *x = ir_node_input(g, n, 0);
  if (!ir_node_attr(n, "to"))
    return ir_node_error(g, n, DLF_ERR_PARSE, "attribute 'to' is required");
  int64_t to = ir_node_int(n, "to", 0);
  if (to != DLF_FLOAT32 && to != DLF_INT64)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED,
                         "cast of '%s' to %s (type %lld) is not supported; only FLOAT and INT64",
                         x->name, onnx_type_name(to), (long long)to);
  op_set_output(g, n, 0, (ir_dtype)to, x->ndim, x->dims);
  return DLF_OK;
}

static dlf_status constantofshape_shape(ir_graph *g, ir_node *n) {
  DLF_TRY(op_check_io(g, n, 1, 2, 1, 1, 1));
  const ir_tensor *s = ir_node_input(g, n, 0);
  char buf[96];
  if (s->dtype != IR_I64 || s->ndim != 1)
    return ir_node_error(g, n, DLF_ERR_SHAPE, "shape input '%s' must be 1-D int64, got %s %s",
                         s->name, ir_dtype_name(s->dtype),
                         ir_dims_str(s->dims, s->ndim, buf, sizeof buf));
  int64_t dims[IR_MAX_DIMS + 1];
  int c = ir_node_const_ints(g, n, 0, dims, IR_MAX_DIMS + 1);
  if (c == -2)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "shape input '%s' must be a constant", s->name);
  if (c > IR_MAX_DIMS)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "shape has %d dims (at most %d)", c,
                         IR_MAX_DIMS);
  for (int i = 0; i < c; i++)
    if (dims[i] < 0)
      return ir_node_error(g, n, DLF_ERR_SHAPE, "shape dim %d is %lld", i, (long long)dims[i]);
  ir_dtype dt = IR_F32;
  const ir_attr *a = ir_node_attr(n, "value");
  if (a) {
    const ir_tensor *v = attr_tensor(g, n, a);
    if (!v) return DLF_ERR_PARSE;
    if (ir_tensor_numel(v) != 1)
      return ir_node_error(g, n, DLF_ERR_SHAPE, "value '%s' must have one element, has %lld",
                           v->name, (long long)ir_tensor_numel(v));
    dt = v->dtype;
    DLF_TRY(attach_input(g, n, 1, (int)a->i));
  } else if (n->n_inputs != 1) {
    return ir_node_error(g, n, DLF_ERR_PARSE, "has %d inputs, ONNX defines 1", n->n_inputs);
  }
  op_set_output(g, n, 0, dt, c, dims);
  return DLF_OK;
}

dlf_status ir_op_constant_shape(ir_graph *g, ir_node *n) {
  switch (n->op) {
  case IR_OP_CONSTANT: return constant_shape(g, n);
  case IR_OP_SHAPE: return shape_shape(g, n);
  case IR_OP_CAST: return cast_shape(g, n);
  default: return constantofshape_shape(g, n);
  }
}

/* float -> int64 truncates toward zero; NaN gives 0 and out-of-range values
 * saturate (C leaves both undefined). */
static int64_t f32_to_i64(float f) {
  if (isnan(f)) return 0;
  if (f >= 9223372036854775808.0f) return INT64_MAX;
  if (f < -9223372036854775808.0f) return INT64_MIN;
  return (int64_t)f;
}

dlf_status ir_op_constant_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                              int n_out) {
  ir_value *y = &out[0];
  int64_t count = ir_value_numel(y);
  switch (n->op) {
  case IR_OP_CONSTANT: {
    if (n->n_inputs >= 1 && in[0].data) {
      memcpy(y->data, in[0].data, (size_t)count * ir_dtype_size(y->dtype));
      return DLF_OK;
    }
    const ir_attr *a;
    if ((a = ir_node_attr(n, "value_float")))
      *(float *)y->data = a->f;
    else if ((a = ir_node_attr(n, "value_int")))
      *(int64_t *)y->data = a->i;
    else if ((a = ir_node_attr(n, "value_floats")))
      memcpy(y->data, a->floats, (size_t)a->n * sizeof(float));
    else if ((a = ir_node_attr(n, "value_ints")))
      memcpy(y->data, a->ints, (size_t)a->n * sizeof(int64_t));
    else
      return dlf_error(DLF_ERR_PARSE, "Constant has no value");
    return DLF_OK;
  }
  case IR_OP_SHAPE: {
    int64_t s, e;
    shape_range(n, in[0].ndim, &s, &e);
    for (int64_t i = s; i < e; i++)
      ((int64_t *)y->data)[i - s] = in[0].dims[i];
    return DLF_OK;
  }
  case IR_OP_CAST:
    if (in[0].dtype == y->dtype) {
      memcpy(y->data, in[0].data, (size_t)count * ir_dtype_size(y->dtype));
    } else if (y->dtype == IR_I64) {
      for (int64_t i = 0; i < count; i++)
        ((int64_t *)y->data)[i] = f32_to_i64(((const float *)in[0].data)[i]);
    } else {
      for (int64_t i = 0; i < count; i++)
        ((float *)y->data)[i] = (float)((const int64_t *)in[0].data)[i];
    }
    return DLF_OK;
  default: { /* ConstantOfShape: the value is input 1 when given, else 0.0f */
    const ir_value *v = n->n_inputs > 1 && in[1].data ? &in[1] : NULL;
    size_t es = ir_dtype_size(y->dtype);
    if (!v) {
      memset(y->data, 0, (size_t)count * es); /* all-zero bits are 0.0f */
      return DLF_OK;
    }
    for (int64_t i = 0; i < count; i++)
      memcpy((char *)y->data + (size_t)i * es, v->data, es);
    return DLF_OK;
  }
  }
}
