/* graph.c — building and querying the graph IR: tensors, nodes, attributes,
 * name lookup, topological order. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <float.h>
#include <math.h>

#include "core/checked.h"
#include "ir/ir.h"

static const char *const g_op_names[] = {
#define OP(e, onnx, stem) onnx,
#include "ir/ops.def"
#undef OP
};

const char *ir_op_name(ir_op op) {
  return (unsigned)op < IR_OP_COUNT ? g_op_names[op] : "?";
}

ir_op ir_op_from_name(const char *onnx_name) {
  for (int i = 0; i < IR_OP_COUNT; i++)
    if (strcmp(g_op_names[i], onnx_name) == 0) return (ir_op)i;
  return IR_OP_COUNT;
}

size_t ir_dtype_size(ir_dtype t) { return t == IR_I64 ? 8 : 4; }
const char *ir_dtype_name(ir_dtype t) { return t == IR_I64 ? "int64" : "float32"; }

dlf_status ir_graph_create(const char *source, ir_graph **out) {
  ir_graph *g = calloc(1, sizeof *g);
  if (!g) return dlf_error(DLF_ERR_NOMEM, "out of memory creating a graph");
  g->source = dlf_strdup(source ? source : "model");
  if (!g->source) {
    free(g);
    return dlf_error(DLF_ERR_NOMEM, "out of memory creating a graph");
  }
  g->opset = 18;
  g->max_tensor_bytes = DLF_DEFAULT_MAX_TENSOR_BYTES;
  *out = g;
  return DLF_OK;
}

static void free_attrs(ir_node *n) {
  for (int i = 0; i < n->n_attrs; i++) {
    free(n->attrs[i].name);
    free(n->attrs[i].s);
    free(n->attrs[i].floats);
    free(n->attrs[i].ints);
  }
  free(n->attrs);
}

void ir_graph_free(ir_graph *g) {
  if (!g) return;
  for (int i = 0; i < g->n_tensors; i++) {
    free(g->tensors[i].name);
    free(g->tensors[i].data);
  }
  for (int i = 0; i < g->n_nodes; i++) {
    free(g->nodes[i].name);
    free(g->nodes[i].inputs);
    free(g->nodes[i].outputs);
    free_attrs(&g->nodes[i]);
  }
  free(g->tensors);
  free(g->nodes);
  free(g->inputs);
  free(g->outputs);
  free(g->name_index);
  free(g->source);
  free(g);
}

/* FNV-1a: the name index only needs a cheap, decent spread. */
static uint64_t hash_name(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static void index_insert(int *slots, int cap, const ir_tensor *tensors, int idx) {
  uint64_t h = hash_name(tensors[idx].name) & (uint64_t)(cap - 1);
  while (slots[h] >= 0) h = (h + 1) & (uint64_t)(cap - 1);
  slots[h] = idx;
}

static dlf_status index_grow(ir_graph *g) {
  /* keep the load factor under 1/2 */
  if (g->name_index && (g->n_tensors + 1) * 2 <= g->name_index_cap) return DLF_OK;
  int cap = g->name_index_cap ? g->name_index_cap * 2 : 64;
  while (cap < (g->n_tensors + 1) * 2) cap *= 2;
  int *slots = dlf_malloc_array((size_t)cap, sizeof *slots);
  if (!slots) return dlf_error(DLF_ERR_NOMEM, "out of memory indexing tensor names");
  for (int i = 0; i < cap; i++) slots[i] = -1;
  for (int i = 0; i < g->n_tensors; i++) index_insert(slots, cap, g->tensors, i);
  free(g->name_index);
  g->name_index = slots;
  g->name_index_cap = cap;
  return DLF_OK;
}

int ir_graph_find_tensor(const ir_graph *g, const char *name) {
  if (!g->name_index || !name) return -1;
  uint64_t mask = (uint64_t)(g->name_index_cap - 1);
  for (uint64_t h = hash_name(name) & mask;; h = (h + 1) & mask) {
    int idx = g->name_index[h];
    if (idx < 0) return -1;
    if (strcmp(g->tensors[idx].name, name) == 0) return idx;
  }
}

dlf_status ir_graph_add_tensor(ir_graph *g, const char *name, ir_dtype dtype, int ndim,
                               const int64_t *dims, int *out) {
  if (ndim < 0 || ndim > IR_MAX_DIMS)
    return dlf_error(DLF_ERR_UNSUPPORTED, "%s: tensor '%s' has %d dimensions (at most %d supported)",
                     g->source, name ? name : "", ndim, IR_MAX_DIMS);
  char gen[32];
  if (!name || !name[0]) {
    snprintf(gen, sizeof gen, "_t%d", g->n_tensors);
    name = gen;
  }
  if (ir_graph_find_tensor(g, name) >= 0)
    return dlf_error(DLF_ERR_PARSE, "%s: tensor '%s' is defined twice", g->source, name);
  if (g->n_tensors == g->cap_tensors) {
    int cap = g->cap_tensors ? g->cap_tensors * 2 : 64;
    ir_tensor *t = realloc(g->tensors, (size_t)cap * sizeof *t);
    if (!t) return dlf_error(DLF_ERR_NOMEM, "out of memory adding tensor '%s'", name);
    g->tensors = t;
    g->cap_tensors = cap;
  }
  DLF_TRY(index_grow(g));
  ir_tensor *t = &g->tensors[g->n_tensors];
  memset(t, 0, sizeof *t);
  t->name = dlf_strdup(name);
  if (!t->name) return dlf_error(DLF_ERR_NOMEM, "out of memory adding tensor '%s'", name);
  t->dtype = dtype;
  t->ndim = ndim;
  if (dims) {
    memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
    t->shape_known = true;
  }
  t->producer = -1;
  index_insert(g->name_index, g->name_index_cap, g->tensors, g->n_tensors);
  *out = g->n_tensors++;
  return DLF_OK;
}

dlf_status ir_graph_add_constant(ir_graph *g, const char *name, ir_dtype dtype, int ndim,
                                 const int64_t *dims, void *data, int *out) {
  dlf_status st = ir_graph_add_tensor(g, name, dtype, ndim, dims, out);
  if (st != DLF_OK) {
    free(data);
    return st;
  }
  g->tensors[*out].data = data;
  g->tensors[*out].shape_known = true;
  return DLF_OK;
}

dlf_status ir_graph_add_node(ir_graph *g, const char *name, ir_op op, int n_inputs,
                             const int *inputs, int n_outputs, const int *outputs, int *out) {
  if (g->n_nodes == g->cap_nodes) {
    int cap = g->cap_nodes ? g->cap_nodes * 2 : 64;
    ir_node *nodes = realloc(g->nodes, (size_t)cap * sizeof *nodes);
    if (!nodes) return dlf_error(DLF_ERR_NOMEM, "out of memory adding a node");
    g->nodes = nodes;
    g->cap_nodes = cap;
  }
  ir_node *n = &g->nodes[g->n_nodes];
  memset(n, 0, sizeof *n);
  char gen[32];
  if (!name || !name[0]) {
    snprintf(gen, sizeof gen, "%s_%d", ir_op_name(op), g->n_nodes);
    name = gen;
  }
  n->name = dlf_strdup(name);
  n->inputs = dlf_malloc_array((size_t)n_inputs, sizeof(int));
  n->outputs = dlf_malloc_array((size_t)n_outputs, sizeof(int));
  if (!n->name || !n->inputs || !n->outputs) {
    free(n->name);
    free(n->inputs);
    free(n->outputs);
    return dlf_error(DLF_ERR_NOMEM, "out of memory adding node '%s'", name);
  }
  if (n_inputs) memcpy(n->inputs, inputs, (size_t)n_inputs * sizeof(int));
  if (n_outputs) memcpy(n->outputs, outputs, (size_t)n_outputs * sizeof(int));
  n->n_inputs = n_inputs;
  n->n_outputs = n_outputs;
  n->op = op;
  n->opset = g->opset;
  n->residual = -1;
  for (int i = 0; i < n_outputs; i++)
    if (outputs[i] >= 0) g->tensors[outputs[i]].producer = g->n_nodes;
  if (out) *out = g->n_nodes;
  g->n_nodes++;
  return DLF_OK;
}

/* ----------------------------------------------------------- attributes -- */

static ir_attr *attr_slot(ir_node *n, const char *name) {
  for (int i = 0; i < n->n_attrs; i++)
    if (strcmp(n->attrs[i].name, name) == 0) {
      ir_attr *a = &n->attrs[i];
      free(a->s);
      free(a->floats);
      free(a->ints);
      char *keep = a->name;
      memset(a, 0, sizeof *a);
      a->name = keep;
      return a;
    }
  ir_attr *attrs = realloc(n->attrs, (size_t)(n->n_attrs + 1) * sizeof *attrs);
  if (!attrs) return NULL;
  n->attrs = attrs;
  ir_attr *a = &attrs[n->n_attrs];
  memset(a, 0, sizeof *a);
  a->name = dlf_strdup(name);
  if (!a->name) return NULL;
  n->n_attrs++;
  return a;
}

#define ATTR_OOM(n, name)                                                                          \
  dlf_error(DLF_ERR_NOMEM, "out of memory setting attribute '%s' of node '%s'", name, (n)->name)

dlf_status ir_node_set_int(ir_node *n, const char *name, int64_t v) {
  ir_attr *a = attr_slot(n, name);
  if (!a) return ATTR_OOM(n, name);
  a->kind = IR_ATTR_INT;
  a->i = v;
  return DLF_OK;
}

dlf_status ir_node_set_float(ir_node *n, const char *name, float v) {
  ir_attr *a = attr_slot(n, name);
  if (!a) return ATTR_OOM(n, name);
  a->kind = IR_ATTR_FLOAT;
  a->f = v;
  return DLF_OK;
}

dlf_status ir_node_set_string(ir_node *n, const char *name, const char *v) {
  ir_attr *a = attr_slot(n, name);
  if (!a) return ATTR_OOM(n, name);
  a->kind = IR_ATTR_STRING;
  a->s = dlf_strdup(v);
  if (!a->s) return ATTR_OOM(n, name);
  return DLF_OK;
}

dlf_status ir_node_set_ints(ir_node *n, const char *name, const int64_t *v, int count) {
  ir_attr *a = attr_slot(n, name);
  if (!a) return ATTR_OOM(n, name);
  a->kind = IR_ATTR_INTS;
  a->ints = dlf_malloc_array((size_t)count, sizeof *v);
  if (!a->ints) return ATTR_OOM(n, name);
  if (count) memcpy(a->ints, v, (size_t)count * sizeof *v);
  a->n = count;
  return DLF_OK;
}

dlf_status ir_node_set_floats(ir_node *n, const char *name, const float *v, int count) {
  ir_attr *a = attr_slot(n, name);
  if (!a) return ATTR_OOM(n, name);
  a->kind = IR_ATTR_FLOATS;
  a->floats = dlf_malloc_array((size_t)count, sizeof *v);
  if (!a->floats) return ATTR_OOM(n, name);
  if (count) memcpy(a->floats, v, (size_t)count * sizeof *v);
  a->n = count;
  return DLF_OK;
}

dlf_status ir_node_set_tensor(ir_node *n, const char *name, int tensor) {
  ir_attr *a = attr_slot(n, name);
  if (!a) return ATTR_OOM(n, name);
  a->kind = IR_ATTR_TENSOR;
  a->i = tensor;
  return DLF_OK;
}

const ir_attr *ir_node_attr(const ir_node *n, const char *name) {
  for (int i = 0; i < n->n_attrs; i++)
    if (strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
  return NULL;
}

/* float to int64 without the undefined behaviour of an out-of-range cast:
 * saturate (the op's own checks then reject the huge value), NaN -> nan_value. */
static int64_t f32_to_i64(float f, int64_t nan_value) {
  if (f != f) return nan_value;
  if (f >= 9223372036854775808.0f) return INT64_MAX;
  if (f < -9223372036854775808.0f) return INT64_MIN;
  return (int64_t)f;
}

int64_t ir_node_int(const ir_node *n, const char *name, int64_t dflt) {
  const ir_attr *a = ir_node_attr(n, name);
  if (!a) return dflt;
  if (a->kind == IR_ATTR_INT) return a->i;
  if (a->kind == IR_ATTR_FLOAT) return f32_to_i64(a->f, dflt);
  return dflt;
}

float ir_node_float(const ir_node *n, const char *name, float dflt) {
  const ir_attr *a = ir_node_attr(n, name);
  if (!a) return dflt;
  if (a->kind == IR_ATTR_FLOAT) return a->f;
  if (a->kind == IR_ATTR_INT) return (float)a->i;
  return dflt;
}

const char *ir_node_string(const ir_node *n, const char *name, const char *dflt) {
  const ir_attr *a = ir_node_attr(n, name);
  return a && a->kind == IR_ATTR_STRING ? a->s : dflt;
}

int ir_node_ints(const ir_node *n, const char *name, int64_t *v, int max) {
  const ir_attr *a = ir_node_attr(n, name);
  if (!a) return -1;
  if (a->kind == IR_ATTR_INT) {
    if (max > 0) v[0] = a->i;
    return 1;
  }
  if (a->kind != IR_ATTR_INTS) return -1;
  for (int i = 0; i < a->n && i < max; i++) v[i] = a->ints[i];
  return a->n;
}

ir_tensor *ir_node_input(const ir_graph *g, const ir_node *n, int i) {
  if (i < 0 || i >= n->n_inputs || n->inputs[i] < 0) return NULL;
  return &g->tensors[n->inputs[i]];
}

ir_tensor *ir_node_output(const ir_graph *g, const ir_node *n, int i) {
  if (i < 0 || i >= n->n_outputs || n->outputs[i] < 0) return NULL;
  return &g->tensors[n->outputs[i]];
}

int ir_node_const_ints(const ir_graph *g, const ir_node *n, int i, int64_t *v, int max) {
  const ir_tensor *t = ir_node_input(g, n, i);
  if (!t) return -1;
  if (!t->data) return -2;
  int64_t count = ir_tensor_numel(t);
  for (int64_t k = 0; k < count && k < max; k++)
    v[k] = t->dtype == IR_I64 ? ((const int64_t *)t->data)[k]
                              : f32_to_i64(((const float *)t->data)[k], 0);
  return (int)(count > 1 << 30 ? 1 << 30 : count);
}

bool ir_shape_ok(const ir_graph *g, ir_dtype dtype, int ndim, const int64_t *dims,
                 int64_t *bytes) {
  const int64_t cap = dlf_cap_or_default(g->max_tensor_bytes);
  int64_t numel = 1, b;
  if (ndim < 0 || ndim > IR_MAX_DIMS) return false;
  for (int i = 0; i < ndim; i++)
    if (dims[i] < 0 || dims[i] > cap) return false;
  if (!dlf_numel(dims, ndim, &numel) || !dlf_mul_i64(numel, (int64_t)ir_dtype_size(dtype), &b) ||
      b > cap)
    return false;
  if (bytes) *bytes = b;
  return true;
}

int64_t ir_tensor_numel(const ir_tensor *t) {
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= t->dims[i];
  return n;
}

int64_t ir_value_numel(const ir_value *v) {
  int64_t n = 1;
  for (int i = 0; i < v->ndim; i++) n *= v->dims[i];
  return n;
}

const char *ir_dims_str(const int64_t *dims, int ndim, char *buf, size_t size) {
  size_t off = 0;
  buf[0] = '\0';
  if (ndim == 0) snprintf(buf, size, "scalar");
  for (int i = 0; i < ndim && off < size; i++) {
    int w = snprintf(buf + off, size - off, i ? "x%lld" : "%lld", (long long)dims[i]);
    if (w < 0) break;
    off += (size_t)w;
  }
  return buf;
}

dlf_status ir_node_error(const ir_graph *g, const ir_node *n, dlf_status code, const char *fmt,
                         ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return dlf_error(code, "%s: node '%s' (%s): %s", g->source, n->name, ir_op_name(n->op), msg);
}

bool ir_broadcast_shape(const int64_t *a, int na, const int64_t *b, int nb, int64_t *out,
                        int *nout) {
  int n = na > nb ? na : nb;
  for (int i = 0; i < n; i++) {
    int64_t da = i < n - na ? 1 : a[i - (n - na)];
    int64_t db = i < n - nb ? 1 : b[i - (n - nb)];
    if (da != db && da != 1 && db != 1) return false;
    out[i] = da == 1 ? db : da;
  }
  *nout = n;
  return true;
}

/* --------------------------------------------------------- activations -- */

const char *ir_act_name(ir_act act) {
  switch (act) {
  case IR_ACT_NONE: return "";
  case IR_ACT_RELU: return "relu";
  case IR_ACT_CLIP: return "clip";
  case IR_ACT_LEAKYRELU: return "leakyrelu";
  case IR_ACT_SIGMOID: return "sigmoid";
  case IR_ACT_HARDSIGMOID: return "hardsigmoid";
  case IR_ACT_HARDSWISH: return "hardswish";
  case IR_ACT_TANH: return "tanh";
  case IR_ACT_SILU: return "silu";
  case IR_ACT_ERF: return "erf";
  case IR_ACT_SQRT: return "sqrt";
  case IR_ACT_GELU: return "gelu";
  }
  return "?";
}

bool ir_op_is_activation(ir_op op) {
  switch (op) {
  case IR_OP_RELU:
  case IR_OP_CLIP:
  case IR_OP_LEAKYRELU:
  case IR_OP_SIGMOID:
  case IR_OP_HARDSIGMOID:
  case IR_OP_HARDSWISH:
  case IR_OP_TANH:
  case IR_OP_ERF:
  case IR_OP_SQRT: return true;
  default: return false;
  }
}

float ir_act_apply(ir_act act, float p0, float p1, float x) {
  switch (act) {
  case IR_ACT_NONE: return x;
  case IR_ACT_RELU: return x < 0.0f ? 0.0f : x; /* NaN passes through, as in ONNX */
  case IR_ACT_CLIP: return x < p0 ? p0 : (x > p1 ? p1 : x);
  case IR_ACT_LEAKYRELU: return x >= 0.0f ? x : p0 * x;
  case IR_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
  case IR_ACT_HARDSIGMOID: {
    float y = p0 * x + p1;
    return y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y);
  }
  case IR_ACT_HARDSWISH: {
    float y = x / 6.0f + 0.5f;
    y = y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y);
    return x * y;
  }
  case IR_ACT_TANH: return tanhf(x);
  /* as the exported Mul(x, Sigmoid(x)) computes it */
  case IR_ACT_SILU: return x * (1.0f / (1.0f + expf(-x)));
  case IR_ACT_ERF: return erff(x);
  case IR_ACT_SQRT: return sqrtf(x);
  case IR_ACT_GELU: return x * (erff(x / 1.41421353816986084f) + 1.0f) * 0.5f;
  }
  return x;
}

ir_act ir_act_of_node(const ir_node *n, const float *clip_min, const float *clip_max, float *p0,
                      float *p1) {
  *p0 = 0.0f;
  *p1 = 0.0f;
  switch (n->op) {
  case IR_OP_RELU: return IR_ACT_RELU;
  case IR_OP_CLIP:
    if (n->opset < 11) {
      /* Clip-6: attributes, defaulting to the float range. */
      *p0 = ir_node_float(n, "min", -FLT_MAX);
      *p1 = ir_node_float(n, "max", FLT_MAX);
    } else {
      *p0 = clip_min ? *clip_min : -INFINITY;
      *p1 = clip_max ? *clip_max : INFINITY;
    }
    /* ONNX: when min > max every value becomes max. */
    if (*p0 > *p1) *p0 = *p1;
    return IR_ACT_CLIP;
  case IR_OP_LEAKYRELU: *p0 = ir_node_float(n, "alpha", 0.01f); return IR_ACT_LEAKYRELU;
  case IR_OP_SIGMOID: return IR_ACT_SIGMOID;
  case IR_OP_HARDSIGMOID:
    *p0 = ir_node_float(n, "alpha", 0.2f);
    *p1 = ir_node_float(n, "beta", 0.5f);
    return IR_ACT_HARDSIGMOID;
  case IR_OP_HARDSWISH: return IR_ACT_HARDSWISH;
  case IR_OP_TANH: return IR_ACT_TANH;
  case IR_OP_ERF: return IR_ACT_ERF;
  case IR_OP_SQRT: return IR_ACT_SQRT;
  default: return IR_ACT_NONE;
  }
}
