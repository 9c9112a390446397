/* onnx_export.c — the graph IR (as imported or built by the zoo, before
 * passes) written as an ONNX ModelProto: nodes, attributes, raw initializers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/checked.h"
#include "frontend/frontend.h"
#include "onnx.pb-c.h"

/* ONNX IR version 8 (ONNX 1.10+) reads every opset dlfusion imports. */
#define EXPORT_IR_VERSION 8

/* Every protobuf-c struct of the model is allocated here and freed at once;
 * strings and tensor payloads point into the graph (pack only reads them). */
typedef struct exporter {
  const ir_graph *g;
  const char *path;
  void **allocs;
  size_t n_allocs, cap_allocs;
  bool oom;
} exporter;

static void *ex_alloc(exporter *e, size_t count, size_t size) {
  if (e->oom) return NULL;
  if (e->n_allocs == e->cap_allocs) {
    size_t cap = e->cap_allocs ? e->cap_allocs * 2 : 256;
    void **a = realloc(e->allocs, cap * sizeof *a);
    if (!a) {
      e->oom = true;
      return NULL;
    }
    e->allocs = a;
    e->cap_allocs = cap;
  }
  void *p = dlf_calloc_array(count, size);
  if (!p) {
    e->oom = true;
    return NULL;
  }
  e->allocs[e->n_allocs++] = p;
  return p;
}

static void ex_free(exporter *e) {
  for (size_t i = 0; i < e->n_allocs; i++)
    free(e->allocs[i]);
  free(e->allocs);
}

static int onnx_dtype(ir_dtype t) {
  return t == IR_I64 ? ONNX__TENSOR_PROTO__DATA_TYPE__INT64 : ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
}

static Onnx__TensorProto *make_tensor(exporter *e, const ir_tensor *t) {
  Onnx__TensorProto *tp = ex_alloc(e, 1, sizeof *tp);
  if (!tp) return NULL;
  onnx__tensor_proto__init(tp);
  tp->name = t->name;
  tp->n_dims = (size_t)t->ndim;
  tp->dims = (int64_t *)t->dims;
  tp->has_data_type = 1;
  tp->data_type = onnx_dtype(t->dtype);
  tp->has_raw_data = 1;
  tp->raw_data.len = (size_t)ir_tensor_numel(t) * ir_dtype_size(t->dtype);
  tp->raw_data.data = t->data;
  return tp;
}

static Onnx__ValueInfoProto *make_value_info(exporter *e, const ir_tensor *t, bool with_shape) {
  Onnx__ValueInfoProto *vi = ex_alloc(e, 1, sizeof *vi);
  Onnx__TypeProto *type = ex_alloc(e, 1, sizeof *type);
  Onnx__TypeProto__Tensor *tt = ex_alloc(e, 1, sizeof *tt);
  if (!vi || !type || !tt) return NULL;
  onnx__value_info_proto__init(vi);
  onnx__type_proto__init(type);
  onnx__type_proto__tensor__init(tt);
  vi->name = t->name;
  vi->type = type;
  type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  type->tensor_type = tt;
  tt->has_elem_type = 1;
  tt->elem_type = onnx_dtype(t->dtype);
  if (with_shape) {
    Onnx__TensorShapeProto *sp = ex_alloc(e, 1, sizeof *sp);
    Onnx__TensorShapeProto__Dimension **dp = ex_alloc(e, (size_t)t->ndim, sizeof *dp);
    Onnx__TensorShapeProto__Dimension *dims = ex_alloc(e, (size_t)t->ndim, sizeof *dims);
    if (!sp || !dp || !dims) return NULL;
    onnx__tensor_shape_proto__init(sp);
    for (int k = 0; k < t->ndim; k++) {
      onnx__tensor_shape_proto__dimension__init(&dims[k]);
      dims[k].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
      dims[k].dim_value = t->dims[k];
      dp[k] = &dims[k];
    }
    sp->n_dim = (size_t)t->ndim;
    sp->dim = dp;
    tt->shape = sp;
  }
  return vi;
}

static Onnx__AttributeProto *make_attr(exporter *e, const ir_attr *a) {
  Onnx__AttributeProto *ap = ex_alloc(e, 1, sizeof *ap);
  if (!ap) return NULL;
  onnx__attribute_proto__init(ap);
  ap->name = a->name;
  ap->has_type = 1;
  switch (a->kind) {
  case IR_ATTR_FLOAT:
    ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    ap->has_f = 1;
    ap->f = a->f;
    break;
  case IR_ATTR_INT:
    ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    ap->has_i = 1;
    ap->i = a->i;
    break;
  case IR_ATTR_STRING:
    ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    ap->has_s = 1;
    ap->s.len = strlen(a->s);
    ap->s.data = (uint8_t *)a->s;
    break;
  case IR_ATTR_FLOATS:
    ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    ap->n_floats = (size_t)a->n;
    ap->floats = a->floats;
    break;
  case IR_ATTR_INTS:
    ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    ap->n_ints = (size_t)a->n;
    ap->ints = a->ints;
    break;
  case IR_ATTR_TENSOR:
    ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    ap->t = make_tensor(e, &e->g->tensors[a->i]);
    if (!ap->t) return NULL;
    break;
  }
  return ap;
}

static char g_empty[] = "";

static Onnx__NodeProto *make_node(exporter *e, const ir_node *n) {
  const ir_graph *g = e->g;
  Onnx__NodeProto *np = ex_alloc(e, 1, sizeof *np);
  char **ins = ex_alloc(e, (size_t)n->n_inputs, sizeof *ins);
  char **outs = ex_alloc(e, (size_t)n->n_outputs, sizeof *outs);
  Onnx__AttributeProto **attrs = ex_alloc(e, (size_t)n->n_attrs, sizeof *attrs);
  if (!np || !ins || !outs || !attrs) return NULL;
  onnx__node_proto__init(np);
  np->name = n->name;
  np->op_type = (char *)ir_op_name(n->op);
  /* An absent optional input or output is the empty name. */
  for (int k = 0; k < n->n_inputs; k++)
    ins[k] = n->inputs[k] >= 0 ? g->tensors[n->inputs[k]].name : g_empty;
  for (int k = 0; k < n->n_outputs; k++)
    outs[k] = n->outputs[k] >= 0 ? g->tensors[n->outputs[k]].name : g_empty;
  for (int k = 0; k < n->n_attrs; k++)
    if (!(attrs[k] = make_attr(e, &n->attrs[k]))) return NULL;
  np->n_input = (size_t)n->n_inputs;
  np->input = ins;
  np->n_output = (size_t)n->n_outputs;
  np->output = outs;
  np->n_attribute = (size_t)n->n_attrs;
  np->attribute = attrs;
  return np;
}

/* A constant is written as an initializer when something reads it: a live
 * node or the graph's outputs (folded outputs). Constants referenced only by
 * a TENSOR attribute travel inside that attribute. */
static bool *initializer_mask(const ir_graph *g) {
  bool *used = dlf_calloc_array((size_t)g->n_tensors, sizeof *used);
  if (!used) return NULL;
  for (int i = 0; i < g->n_nodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0) used[n->inputs[k]] = true;
  }
  for (int k = 0; k < g->n_outputs; k++)
    used[g->outputs[k]] = true;
  for (int t = 0; t < g->n_tensors; t++) {
    const ir_tensor *tt = &g->tensors[t];
    bool live_producer =
        tt->producer >= 0 && tt->producer < g->n_nodes && !g->nodes[tt->producer].dead;
    used[t] = used[t] && tt->data && !live_producer;
  }
  return used;
}

static dlf_status build_and_write(exporter *e) {
  const ir_graph *g = e->g;
  bool *init = initializer_mask(g);
  if (!init) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory", e->path);
  int n_init = 0, n_nodes = 0, n_in = 0;
  for (int t = 0; t < g->n_tensors; t++)
    n_init += init[t];
  for (int i = 0; i < g->n_nodes; i++)
    n_nodes += !g->nodes[i].dead;
  for (int k = 0; k < g->n_inputs; k++)
    n_in += !g->tensors[g->inputs[k]].data;

  Onnx__ModelProto model = ONNX__MODEL_PROTO__INIT;
  Onnx__GraphProto graph = ONNX__GRAPH_PROTO__INIT;
  Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
  Onnx__OperatorSetIdProto *opsets[1] = {&opset};
  opset.domain = g_empty;
  opset.has_version = 1;
  opset.version = g->opset;
  model.has_ir_version = 1;
  model.ir_version = EXPORT_IR_VERSION;
  model.n_opset_import = 1;
  model.opset_import = opsets;
  model.producer_name = "dlfusion";
  model.producer_version = DLF_VERSION_STRING;
  model.graph = &graph;
  graph.name = "dlfusion";

  graph.node = ex_alloc(e, (size_t)n_nodes, sizeof *graph.node);
  graph.initializer = ex_alloc(e, (size_t)n_init, sizeof *graph.initializer);
  graph.input = ex_alloc(e, (size_t)n_in, sizeof *graph.input);
  graph.output = ex_alloc(e, (size_t)g->n_outputs, sizeof *graph.output);
  if (!e->oom) {
    for (int i = 0; i < g->n_nodes && !e->oom; i++)
      if (!g->nodes[i].dead) graph.node[graph.n_node++] = make_node(e, &g->nodes[i]);
    for (int t = 0; t < g->n_tensors && !e->oom; t++)
      if (init[t]) graph.initializer[graph.n_initializer++] = make_tensor(e, &g->tensors[t]);
    for (int k = 0; k < g->n_inputs && !e->oom; k++) {
      const ir_tensor *t = &g->tensors[g->inputs[k]];
      if (!t->data) graph.input[graph.n_input++] = make_value_info(e, t, true);
    }
    for (int k = 0; k < g->n_outputs && !e->oom; k++) {
      const ir_tensor *t = &g->tensors[g->outputs[k]];
      graph.output[graph.n_output++] = make_value_info(e, t, t->shape_known);
    }
  }
  free(init);
  if (e->oom) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory building the model", e->path);

  size_t size = onnx__model_proto__get_packed_size(&model);
  uint8_t *buf = malloc(size ? size : 1);
  if (!buf)
    return dlf_error(DLF_ERR_NOMEM, "%s: out of memory (%zu bytes) serializing the model", e->path,
                     size);
  size_t packed = onnx__model_proto__pack(&model, buf);
  const void *parts[1] = {buf};
  const size_t sizes[1] = {packed};
  dlf_status st = dlf_write_file(e->path, parts, sizes, 1, "write failed");
  free(buf);
  return st;
}

dlf_status fe_onnx_export(const ir_graph *g, const char *path) {
  dlf_error_clear();
  if (!g || !path) return dlf_error(DLF_ERR_INVALID_ARG, "fe_onnx_export: NULL argument");
  for (int i = 0; i < g->n_nodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    if (n->act != IR_ACT_NONE || n->residual >= 0)
      return ir_node_error(g, n, DLF_ERR_INVALID_ARG,
                           "has a fused epilogue (%s%s), which ONNX cannot express: export the "
                           "graph before passes",
                           ir_act_name(n->act), n->residual >= 0 ? "+add" : "");
    for (int k = 0; k < n->n_attrs; k++) {
      const ir_attr *a = &n->attrs[k];
      if (a->name && !strncmp(a->name, "dlf_", 4))
        return ir_node_error(g, n, DLF_ERR_INVALID_ARG,
                             "is in an internal form ('%s'), which ONNX cannot express: export "
                             "the graph before passes",
                             a->name);
      if (a->kind == IR_ATTR_TENSOR && (a->i < 0 || a->i >= g->n_tensors || !g->tensors[a->i].data))
        return ir_node_error(g, n, DLF_ERR_INTERNAL, "attribute '%s' names no constant tensor",
                             a->name);
    }
  }
  for (int t = 0; t < g->n_tensors; t++) {
    int64_t numel, bytes;
    const ir_tensor *tt = &g->tensors[t];
    if (tt->data && (!dlf_numel(tt->dims, tt->ndim, &numel) ||
                     !dlf_mul_i64(numel, (int64_t)ir_dtype_size(tt->dtype), &bytes)))
      return dlf_error(DLF_ERR_INTERNAL, "%s: constant '%s' has an invalid shape", path, tt->name);
  }
  exporter e = {.g = g, .path = path};
  dlf_status st = build_and_write(&e);
  ex_free(&e);
  return st;
}
