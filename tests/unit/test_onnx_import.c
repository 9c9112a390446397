/* test_onnx_import.c — ONNX import and export: a round trip through a file,
 * and hand-built ModelProtos (packed with protobuf-c) for each error path. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/rng.h"
#include "frontend/frontend.h"
#include "onnx.pb-c.h"
#include "test.h"

/* ------------------------------------------------------ model builder -- */

#define MB_MAX 8

/* A small ModelProto in fixed storage: enough for one test's graph. */
typedef struct mb {
  Onnx__ModelProto model;
  Onnx__GraphProto graph;
  Onnx__OperatorSetIdProto opset, *opsets[1];
  Onnx__NodeProto nodes[MB_MAX], *node_ptrs[MB_MAX];
  char *node_io[MB_MAX][8];
  Onnx__AttributeProto attrs[MB_MAX], *attr_ptrs[MB_MAX];
  Onnx__TensorProto inits[MB_MAX], *init_ptrs[MB_MAX];
  Onnx__StringStringEntryProto ext[MB_MAX][3], *ext_ptrs[MB_MAX][3];
  Onnx__ValueInfoProto vis[MB_MAX], *in_ptrs[MB_MAX], *out_ptrs[MB_MAX];
  Onnx__TypeProto types[MB_MAX];
  Onnx__TypeProto__Tensor ttypes[MB_MAX];
  Onnx__TensorShapeProto shapes[MB_MAX];
  Onnx__TensorShapeProto__Dimension dims[MB_MAX][4], *dim_ptrs[MB_MAX][4];
  int n_vis, n_attrs;
} mb;

static void mb_init(mb *m, int64_t opset) {
  memset(m, 0, sizeof *m);
  onnx__model_proto__init(&m->model);
  onnx__graph_proto__init(&m->graph);
  onnx__operator_set_id_proto__init(&m->opset);
  m->opset.domain = "";
  m->opset.has_version = 1;
  m->opset.version = opset;
  m->opsets[0] = &m->opset;
  m->model.has_ir_version = 1;
  m->model.ir_version = 8;
  m->model.n_opset_import = 1;
  m->model.opset_import = m->opsets;
  m->model.graph = &m->graph;
  m->graph.node = m->node_ptrs;
  m->graph.initializer = m->init_ptrs;
  m->graph.input = m->in_ptrs;
  m->graph.output = m->out_ptrs;
}

/* A float tensor input; dims < 0 are symbolic (dim_param "N"). ndim < 0: no shape. */
static void mb_input(mb *m, const char *name, int elem_type, int ndim, const int64_t *dims) {
  int v = m->n_vis++;
  Onnx__ValueInfoProto *vi = &m->vis[v];
  onnx__value_info_proto__init(vi);
  onnx__type_proto__init(&m->types[v]);
  onnx__type_proto__tensor__init(&m->ttypes[v]);
  vi->name = (char *)name;
  vi->type = &m->types[v];
  m->types[v].value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  m->types[v].tensor_type = &m->ttypes[v];
  m->ttypes[v].has_elem_type = 1;
  m->ttypes[v].elem_type = elem_type;
  if (ndim >= 0) {
    onnx__tensor_shape_proto__init(&m->shapes[v]);
    for (int k = 0; k < ndim; k++) {
      Onnx__TensorShapeProto__Dimension *d = &m->dims[v][k];
      onnx__tensor_shape_proto__dimension__init(d);
      if (dims[k] < 0) {
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
        d->dim_param = "N";
      } else {
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d->dim_value = dims[k];
      }
      m->dim_ptrs[v][k] = d;
    }
    m->shapes[v].n_dim = (size_t)ndim;
    m->shapes[v].dim = m->dim_ptrs[v];
    m->ttypes[v].shape = &m->shapes[v];
  }
  m->in_ptrs[m->graph.n_input++] = vi;
}

static void mb_output(mb *m, const char *name) {
  Onnx__ValueInfoProto *vi = &m->vis[m->n_vis++];
  onnx__value_info_proto__init(vi);
  vi->name = (char *)name;
  m->out_ptrs[m->graph.n_output++] = vi;
}

/* ins/outs: comma-free arrays of names ("" = absent). */
static Onnx__NodeProto *mb_node(mb *m, const char *name, const char *op, int nin,
                                const char *const *ins, int nout, const char *const *outs) {
  int i = (int)m->graph.n_node++;
  Onnx__NodeProto *n = &m->nodes[i];
  onnx__node_proto__init(n);
  n->name = (char *)name;
  n->op_type = (char *)op;
  for (int k = 0; k < nin; k++)
    m->node_io[i][k] = (char *)ins[k];
  for (int k = 0; k < nout; k++)
    m->node_io[i][4 + k] = (char *)outs[k];
  n->n_input = (size_t)nin;
  n->input = m->node_io[i];
  n->n_output = (size_t)nout;
  n->output = m->node_io[i] + 4;
  m->node_ptrs[i] = n;
  return n;
}

static Onnx__AttributeProto *mb_attr(mb *m, Onnx__NodeProto *n, const char *name,
                                     Onnx__AttributeProto__AttributeType type) {
  Onnx__AttributeProto *a = &m->attrs[m->n_attrs];
  onnx__attribute_proto__init(a);
  a->name = (char *)name;
  a->has_type = 1;
  a->type = type;
  m->attr_ptrs[m->n_attrs++] = a;
  if (!n->attribute) n->attribute = &m->attr_ptrs[m->n_attrs - 1];
  n->n_attribute++;
  return a;
}

static Onnx__TensorProto *mb_tensor(mb *m, const char *name, int dtype, int ndim,
                                    const int64_t *dims) {
  int i = (int)m->graph.n_initializer++;
  Onnx__TensorProto *t = &m->inits[i];
  onnx__tensor_proto__init(t);
  t->name = (char *)name;
  t->has_data_type = 1;
  t->data_type = dtype;
  t->n_dims = (size_t)ndim;
  t->dims = (int64_t *)dims;
  m->init_ptrs[i] = t;
  return t;
}

static void mb_external(mb *m, Onnx__TensorProto *t, const char *loc, const char *off,
                        const char *len) {
  int i = (int)(t - m->inits);
  const char *keys[3] = {"location", "offset", "length"}, *vals[3] = {loc, off, len};
  t->has_data_location = 1;
  t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  for (int k = 0; k < 3; k++) {
    if (!vals[k]) continue;
    Onnx__StringStringEntryProto *e = &m->ext[i][t->n_external_data];
    onnx__string_string_entry_proto__init(e);
    e->key = (char *)keys[k];
    e->value = (char *)vals[k];
    m->ext_ptrs[i][t->n_external_data++] = e;
  }
  t->external_data = m->ext_ptrs[i];
}

static uint8_t *mb_pack(mb *m, size_t *size) {
  *size = onnx__model_proto__get_packed_size(&m->model);
  uint8_t *buf = malloc(*size + 1);
  onnx__model_proto__pack(&m->model, buf);
  return buf;
}

static dlf_status mb_import(mb *m, ir_graph **g) {
  size_t size;
  uint8_t *buf = mb_pack(m, &size);
  dlf_status st = fe_onnx_import_buffer(buf, size, "t.onnx", NULL, 0, g);
  free(buf);
  return st;
}

/* A one-node model x -> Relu -> y that tests then modify. */
static void mb_relu(mb *m, const char *node_name) {
  static const int64_t d[2] = {1, 4};
  static const char *const ins[1] = {"x"}, *const outs[1] = {"y"};
  mb_init(m, 13);
  mb_input(m, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, d);
  mb_output(m, "y");
  mb_node(m, node_name, "Relu", 1, ins, 1, outs);
}

static bool contains(const char *s) { return strstr(dlf_last_error(), s) != NULL; }

/* ------------------------------------------------------------- import -- */

TEST(test_onnx_import_minimal_relu) {
  mb m;
  mb_relu(&m, "r");
  ir_graph *g;
  REQUIRE_OK(mb_import(&m, &g));
  CHECK_INT(13, g->opset);
  CHECK_INT(1, g->n_nodes);
  CHECK_INT(IR_OP_RELU, g->nodes[0].op);
  CHECK_INT(13, g->nodes[0].opset);
  CHECK_INT(1, g->n_inputs);
  CHECK_INT(1, g->n_outputs);
  CHECK_INT(ir_graph_find_tensor(g, "x"), g->inputs[0]);
  CHECK_INT(ir_graph_find_tensor(g, "y"), g->outputs[0]);
  CHECK_INT(ir_graph_find_tensor(g, "x"), g->nodes[0].inputs[0]);
  CHECK(strcmp(g->source, "t.onnx") == 0);
  ir_graph_free(g);
}

TEST(test_onnx_import_unsupported_op_message) {
  mb m;
  mb_relu(&m, "mystery");
  m.nodes[0].op_type = "FancyOp";
  ir_graph *g = NULL;
  CHECK_INT(DLF_ERR_UNSUPPORTED, mb_import(&m, &g));
  CHECK(strcmp(dlf_last_error(), "t.onnx: node 'mystery' (FancyOp): unsupported operator") == 0);
  CHECK(g == NULL);
}

TEST(test_onnx_import_unnamed_node_is_named_by_index) {
  mb m;
  mb_relu(&m, "");
  m.nodes[0].op_type = "FancyOp";
  ir_graph *g;
  CHECK_INT(DLF_ERR_UNSUPPORTED, mb_import(&m, &g));
  CHECK(strcmp(dlf_last_error(), "t.onnx: node '#0' (FancyOp): unsupported operator") == 0);
}

TEST(test_onnx_import_other_domain_node_fails_naming_domain) {
  mb m;
  mb_relu(&m, "r");
  m.nodes[0].domain = "com.microsoft";
  ir_graph *g;
  CHECK_INT(DLF_ERR_UNSUPPORTED, mb_import(&m, &g));
  CHECK(contains("com.microsoft"));
  CHECK(contains("node 'r'"));
}

TEST(test_onnx_import_ai_onnx_domain_is_default) {
  mb m;
  mb_relu(&m, "r");
  m.nodes[0].domain = "ai.onnx";
  m.opset.domain = "ai.onnx";
  ir_graph *g;
  REQUIRE_OK(mb_import(&m, &g));
  CHECK_INT(13, g->opset);
  ir_graph_free(g);
}

TEST(test_onnx_import_opset_out_of_range_fails) {
  mb m;
  ir_graph *g;
  mb_relu(&m, "r");
  m.opset.version = 6;
  CHECK_INT(DLF_ERR_UNSUPPORTED, mb_import(&m, &g));
  CHECK(contains("opset 6"));
  m.opset.version = 22;
  CHECK_INT(DLF_ERR_UNSUPPORTED, mb_import(&m, &g));
  m.opset.version = ((int64_t)1 << 32) + 13; /* must not wrap into range */
  CHECK_INT(DLF_ERR_UNSUPPORTED, mb_import(&m, &g));
  m.opset.version = 7;
  REQUIRE_OK(mb_import(&m, &g));
  ir_graph_free(g);
  m.opset.domain = "com.other";
  CHECK_INT(DLF_ERR_PARSE, mb_import(&m, &g));
  CHECK(contains("opset_import"));
}

TEST(test_onnx_import_truncated_bytes_fail) {
  mb m;
  mb_relu(&m, "r");
  static float w[64];
  static const int64_t d[1] = {64};
  Onnx__TensorProto *t = mb_tensor(&m, "w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, d);
  t->n_float_data = 64;
  t->float_data = w;
  size_t size;
  uint8_t *buf = mb_pack(&m, &size);
  ir_graph *g = NULL;
  /* Cut inside the graph message (which is most of the bytes). */
  CHECK_INT(DLF_ERR_PARSE, fe_onnx_import_buffer(buf, size / 2, "cut.onnx", NULL, 0, &g));
  CHECK(strcmp(dlf_last_error(), "cut.onnx: not a valid ONNX model (protobuf parse failed)") == 0);
  CHECK(g == NULL);
  free(buf);
}

TEST(test_onnx_import_random_bytes_fail) {
  dlf_rng r = dlf_rng_make(12345);
  uint8_t buf[1000];
  for (int trial = 0; trial < 20; trial++) {
    for (size_t i = 0; i < sizeof buf; i++)
      buf[i] = (uint8_t)dlf_rng_next(&r);
    ir_graph *g = NULL;
    CHECK(fe_onnx_import_buffer(buf, sizeof buf, "rnd.onnx", NULL, 0, &g) == DLF_ERR_PARSE);
    CHECK(contains("rnd.onnx: "));
    CHECK(g == NULL);
  }
}

TEST(test_onnx_import_empty_buffer_fails) {
  ir_graph *g = NULL;
  CHECK_INT(DLF_ERR_PARSE, fe_onnx_import_buffer("", 0, "e.onnx", NULL, 0, &g));
  CHECK(strcmp(dlf_last_error(), "e.onnx: empty file, not an ONNX model") == 0);
}

TEST(test_onnx_import_file_errors) {
  ir_graph *g = NULL;
  char path[256];
  snprintf(path, sizeof path, "/tmp/dlf_test_onnx_%d_missing.onnx", (int)getpid());
  CHECK_INT(DLF_ERR_IO, fe_onnx_import(path, 0, &g));
  char want[300];
  snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
  CHECK(strcmp(dlf_last_error(), want) == 0);
  FILE *f = fopen(path, "wb");
  REQUIRE(f != NULL);
  fclose(f);
  CHECK_INT(DLF_ERR_PARSE, fe_onnx_import(path, 0, &g));
  snprintf(want, sizeof want, "%s: empty file, not an ONNX model", path);
  CHECK(strcmp(dlf_last_error(), want) == 0);
  remove(path);
}

TEST(test_onnx_import_no_graph_fails) {
  mb m;
  mb_relu(&m, "r");
  m.model.graph = NULL;
  ir_graph *g;
  CHECK_INT(DLF_ERR_PARSE, mb_import(&m, &g));
  CHECK(contains("no graph"));
}

TEST(test_onnx_import_huge_initializer_fails_before_allocating) {
  mb m;
  mb_relu(&m, "r");
  static const int64_t d[2] = {1000000, 1000000}; /* 10^12 floats: 4 TB */
  mb_tensor(&m, "big", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, d);
  size_t size;
  uint8_t *buf = mb_pack(&m, &size);
  CHECK(size < 200);
  ir_graph *g = NULL;
  CHECK_INT(DLF_ERR_LIMIT, fe_onnx_import_buffer(buf, size, "t.onnx", NULL, 0, &g));
  CHECK(contains("'big'"));
  CHECK(contains("1000000x1000000"));
  CHECK(contains("limit"));
  free(buf);
}

TEST(test_onnx_import_overflowing_dims_fail) {
  mb m;
  mb_relu(&m, "r");
  static const int64_t d[3] = {INT64_MAX / 2, 4, 4};
  mb_tensor(&m, "ovf", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 3, d);
  ir_graph *g;
  CHECK_INT(DLF_ERR_LIMIT, mb_import(&m, &g));
  static const int64_t neg[1] = {-3};
  m.inits[0].n_dims = 1;
  m.inits[0].dims = (int64_t *)neg;
  CHECK_INT(DLF_ERR_LIMIT, mb_import(&m, &g));
}

TEST(test_onnx_import_data_size_mismatch_fails) {
  mb m;
  mb_relu(&m, "r");
  static const int64_t d[1] = {4};
  static float v[3] = {1, 2, 3};
  Onnx__TensorProto *t = mb_tensor(&m, "w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, d);
  t->n_float_data = 3;
  t->float_data = v;
  ir_graph *g;
  CHECK_INT(DLF_ERR_PARSE, mb_import(&m, &g));
  CHECK(contains("'w' has 3 values, its shape needs 4"));
  t->n_float_data = 0;
  t->has_raw_data = 1;
  t->raw_data.len = 12;
  t->raw_data.data = (uint8_t *)v;
  CHECK_INT(DLF_ERR_PARSE, mb_import(&m, &g));
  CHECK(contains("raw_data has 12 bytes, its shape needs 16"));
}

TEST(test_onnx_import_raw_data_equals_float_data) {
  mb m;
  mb_relu(&m, "r");
  static const int64_t d[2] = {2, 2};
  static float v[4] = {1.5f, -2.25f, 0.0f, 1e30f};
  Onnx__TensorProto *a = mb_tensor(&m, "typed", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, d);
  a->n_float_data = 4;
  a->float_data = v;
  Onnx__TensorProto *b = mb_tensor(&m, "raw", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, d);
  b->has_raw_data = 1;
  b->raw_data.len = sizeof v;
  b->raw_data.data = (uint8_t *)v;
  ir_graph *g;
  REQUIRE_OK(mb_import(&m, &g));
  const ir_tensor *ta = &g->tensors[ir_graph_find_tensor(g, "typed")];
  const ir_tensor *tb = &g->tensors[ir_graph_find_tensor(g, "raw")];
  CHECK_INT(IR_F32, ta->dtype);
  CHECK_INT(2, tb->ndim);
  CHECK(ta->shape_known && tb->shape_known);
  REQUIRE(ta->data && tb->data);
  CHECK_FLOATS(v, (const float *)ta->data, 4, 0, 0);
  CHECK_FLOATS(v, (const float *)tb->data, 4, 0, 0);
  ir_graph_free(g);
}

TEST(test_onnx_import_int32_initializer_becomes_int64) {
  mb m;
  mb_relu(&m, "r");
  static const int64_t d[1] = {3};
  static int32_t v[3] = {-7, 0, 2147483647};
  Onnx__TensorProto *a = mb_tensor(&m, "typed", ONNX__TENSOR_PROTO__DATA_TYPE__INT32, 1, d);
  a->n_int32_data = 3;
  a->int32_data = v;
  Onnx__TensorProto *b = mb_tensor(&m, "raw", ONNX__TENSOR_PROTO__DATA_TYPE__INT32, 1, d);
  b->has_raw_data = 1;
  b->raw_data.len = sizeof v;
  b->raw_data.data = (uint8_t *)v;
  ir_graph *g;
  REQUIRE_OK(mb_import(&m, &g));
  for (int k = 0; k < 2; k++) {
    const ir_tensor *t = &g->tensors[ir_graph_find_tensor(g, k ? "raw" : "typed")];
    CHECK_INT(IR_I64, t->dtype);
    const int64_t *p = t->data;
    CHECK_INT(-7, p[0]);
    CHECK_INT(0, p[1]);
    CHECK_INT(2147483647, p[2]);
  }
  ir_graph_free(g);
}

TEST(test_onnx_import_small_int_and_double_types_convert) {
  mb m;
  mb_relu(&m, "r");
  static const int64_t d[1] = {2};
  static uint8_t b8[2] = {1, 0}, u8[2] = {255, 7};
  static int8_t i8[2] = {-128, 5};
  static double dd[2] = {0.5, -3.0};
  Onnx__TensorProto *t;
  t = mb_tensor(&m, "b", ONNX__TENSOR_PROTO__DATA_TYPE__BOOL, 1, d);
  t->has_raw_data = 1, t->raw_data.len = 2, t->raw_data.data = b8;
  t = mb_tensor(&m, "u", ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, 1, d);
  t->has_raw_data = 1, t->raw_data.len = 2, t->raw_data.data = u8;
  t = mb_tensor(&m, "i", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 1, d);
  t->has_raw_data = 1, t->raw_data.len = 2, t->raw_data.data = (uint8_t *)i8;
  t = mb_tensor(&m, "dbl", ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, 1, d);
  t->n_double_data = 2, t->double_data = dd;
  ir_graph *g;
  REQUIRE_OK(mb_import(&m, &g));
  const int64_t *pb = g->tensors[ir_graph_find_tensor(g, "b")].data;
  const int64_t *pu = g->tensors[ir_graph_find_tensor(g, "u")].data;
  const int64_t *pi = g->tensors[ir_graph_find_tensor(g, "i")].data;
  const ir_tensor *td = &g->tensors[ir_graph_find_tensor(g, "dbl")];
  CHECK_INT(1, pb[0]);
  CHECK_INT(0, pb[1]);
  CHECK_INT(255, pu[0]);
  CHECK_INT(-128, pi[0]);
  CHECK_INT(5, pi[1]);
  CHECK_INT(IR_F32, td->dtype);
  CHECK_NEAR(-3.0, ((const float *)td->data)[1], 0);
  ir_graph_free(g);
}

TEST(test_onnx_import_string_initializer_is_unsupported) {
  mb m;
  mb_relu(&m, "r");
  static const int64_t d[1] = {1};
  mb_tensor(&m, "names", ONNX__TENSOR_PROTO__DATA_TYPE__STRING, 1, d);
  ir_graph *g;
  CHECK_INT(DLF_ERR_UNSUPPORTED, mb_import(&m, &g));
  CHECK(contains("'names'"));
  CHECK(contains("STRING"));
}

TEST(test_onnx_import_dim_param_becomes_one) {
  mb m;
  static const int64_t d[4] = {-1, 3, 224, 224};
  static const char *const ins[1] = {"x"}, *const outs[1] = {"y"};
  mb_init(&m, 17);
  mb_input(&m, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, d);
  mb_output(&m, "y");
  mb_node(&m, "r", "Relu", 1, ins, 1, outs);
  m.dims[0][2].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE__NOT_SET;
  ir_graph *g;
  REQUIRE_OK(mb_import(&m, &g));
  const ir_tensor *x = &g->tensors[g->inputs[0]];
  CHECK_INT(4, x->ndim);
  CHECK_INT(1, x->dims[0]);
  CHECK_INT(3, x->dims[1]);
  CHECK_INT(1, x->dims[2]); /* absent dim_value */
  CHECK_INT(224, x->dims[3]);
  CHECK(x->shape_known);
  ir_graph_free(g);
}

TEST(test_onnx_import_input_without_shape_fails) {
  mb m;
  static const char *const ins[1] = {"x"}, *const outs[1] = {"y"};
  mb_init(&m, 13);
  mb_input(&m, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, -1, NULL);
  mb_output(&m, "y");
  mb_node(&m, "r", "Relu", 1, ins, 1, outs);
  ir_graph *g;
  CHECK_INT(DLF_ERR_PARSE, mb_import(&m, &g));
  CHECK(strcmp(dlf_last_error(), "t.onnx: input 'x' has no shape") == 0);
}

TEST(test_onnx_import_initializer_listed_as_input_is_constant) {
  mb m;
  mb_relu(&m, "r");
  static const int64_t d[1] = {1};
  static float v[1] = {2};
  Onnx__TensorProto *t = mb_tensor(&m, "w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, d);
  t->n_float_data = 1, t->float_data = v;
  mb_input(&m, "w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, d);
  ir_graph *g;
  REQUIRE_OK(mb_import(&m, &g));
  CHECK_INT(1, g->n_inputs); /* only x */
  CHECK(g->tensors[ir_graph_find_tensor(g, "w")].data != NULL);
  ir_graph_free(g);
}

TEST(test_onnx_import_nodes_out_of_order_and_optional_io) {
  mb m;
  static const int64_t d[2] = {1, 4};
  static const char *const in2[3] = {"a", "", "mx"}, *const out2[1] = {"y"};
  static const char *const in1[1] = {"x"}, *const out1[2] = {"a", ""};
  mb_init(&m, 13);
  mb_input(&m, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, d);
  mb_output(&m, "y");
  static const int64_t sd[1] = {0};
  static float mx[1] = {6};
  Onnx__TensorProto *t = mb_tensor(&m, "mx", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 0, sd);
  t->n_float_data = 1, t->float_data = mx;
  mb_node(&m, "clip", "Clip", 3, in2, 1, out2); /* reads a, produced below */
  mb_node(&m, "drop", "Dropout", 1, in1, 2, out1);
  ir_graph *g;
  REQUIRE_OK(mb_import(&m, &g));
  CHECK_INT(2, g->n_nodes);
  const ir_node *clip = &g->nodes[0];
  CHECK_INT(IR_OP_CLIP, clip->op);
  CHECK_INT(ir_graph_find_tensor(g, "a"), clip->inputs[0]);
  CHECK_INT(-1, clip->inputs[1]);
  CHECK_INT(ir_graph_find_tensor(g, "mx"), clip->inputs[2]);
  CHECK_INT(0, g->tensors[clip->inputs[2]].ndim);
  CHECK_INT(-1, g->nodes[1].outputs[1]);
  CHECK_INT(1, g->tensors[ir_graph_find_tensor(g, "a")].producer);
  ir_graph_free(g);
}

TEST(test_onnx_import_undefined_input_fails) {
  mb m;
  mb_relu(&m, "r");
  m.node_io[0][0] = "ghost";
  ir_graph *g;
  CHECK_INT(DLF_ERR_PARSE, mb_import(&m, &g));
  CHECK(contains("node 'r' (Relu): input 'ghost'"));
}

TEST(test_onnx_import_duplicate_output_fails) {
  mb m;
  static const char *const ins[1] = {"x"}, *const outs[1] = {"y"};
  mb_relu(&m, "r1");
  mb_node(&m, "r2", "Relu", 1, ins, 1, outs);
  ir_graph *g;
  CHECK_INT(DLF_ERR_PARSE, mb_import(&m, &g));
  CHECK(contains("node 'r2' (Relu): output 'y' is already defined"));
}

TEST(test_onnx_import_attributes) {
  mb m;
  mb_relu(&m, "r");
  Onnx__NodeProto *n = &m.nodes[0];
  static int64_t ints[3] = {1, -2, 3};
  static float floats[2] = {0.5f, 2.5f};
  Onnx__AttributeProto *a;
  a = mb_attr(&m, n, "i", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  a->has_i = 1, a->i = -42;
  a = mb_attr(&m, n, "f", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
  a->has_f = 1, a->f = 0.25f;
  a = mb_attr(&m, n, "s", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
  a->has_s = 1, a->s.len = 4, a->s.data = (uint8_t *)"SAME";
  a = mb_attr(&m, n, "is", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  a->n_ints = 3, a->ints = ints;
  a = mb_attr(&m, n, "fs", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
  a->n_floats = 2, a->floats = floats;
  ir_graph *g;
  REQUIRE_OK(mb_import(&m, &g));
  const ir_node *r = &g->nodes[0];
  CHECK_INT(5, r->n_attrs);
  CHECK_INT(-42, ir_node_int(r, "i", 0));
  CHECK_NEAR(0.25, ir_node_float(r, "f", 0), 0);
  CHECK(strcmp(ir_node_string(r, "s", ""), "SAME") == 0);
  int64_t got[4];
  CHECK_INT(3, ir_node_ints(r, "is", got, 4));
  CHECK_INT(-2, got[1]);
  const ir_attr *fa = ir_node_attr(r, "fs");
  REQUIRE(fa && fa->kind == IR_ATTR_FLOATS);
  CHECK_INT(2, fa->n);
  CHECK_NEAR(2.5, fa->floats[1], 0);
  ir_graph_free(g);
}

TEST(test_onnx_import_constant_tensor_attribute) {
  mb m;
  static const char *const outs[1] = {"y"};
  mb_init(&m, 13);
  mb_output(&m, "y");
  Onnx__NodeProto *n = mb_node(&m, "c", "Constant", 0, NULL, 1, outs);
  static const int64_t d[1] = {3};
  static int64_t v[3] = {1, -1, 0};
  Onnx__TensorProto t = ONNX__TENSOR_PROTO__INIT;
  t.has_data_type = 1, t.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
  t.n_dims = 1, t.dims = (int64_t *)d;
  t.n_int64_data = 3, t.int64_data = v;
  Onnx__AttributeProto *a = mb_attr(&m, n, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
  a->t = &t;
  ir_graph *g;
  REQUIRE_OK(mb_import(&m, &g));
  const ir_attr *va = ir_node_attr(&g->nodes[0], "value");
  REQUIRE(va && va->kind == IR_ATTR_TENSOR);
  CHECK_INT(ir_graph_find_tensor(g, "c_value"), va->i);
  const ir_tensor *ct = &g->tensors[va->i];
  CHECK_INT(IR_I64, ct->dtype);
  CHECK_INT(3, ct->dims[0]);
  CHECK_INT(-1, ((const int64_t *)ct->data)[1]);
  ir_graph_free(g);
}

TEST(test_onnx_import_graph_attribute_is_unsupported) {
  mb m;
  mb_relu(&m, "r");
  Onnx__GraphProto body = ONNX__GRAPH_PROTO__INIT;
  Onnx__AttributeProto *a =
      mb_attr(&m, &m.nodes[0], "body", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
  a->g = &body;
  ir_graph *g;
  CHECK_INT(DLF_ERR_UNSUPPORTED, mb_import(&m, &g));
  CHECK(contains("node 'r' (Relu): attribute 'body'"));
}

/* ------------------------------------------------------ external data -- */

typedef struct tmpdir {
  char dir[128], model[192], bin[192];
} tmpdir;

static bool make_tmpdir(tmpdir *t) {
  snprintf(t->dir, sizeof t->dir, "/tmp/dlf_test_ext_XXXXXX");
  if (!mkdtemp(t->dir)) return false;
  snprintf(t->model, sizeof t->model, "%s/model.onnx", t->dir);
  snprintf(t->bin, sizeof t->bin, "%s/weights.bin", t->dir);
  return true;
}

static void remove_tmpdir(tmpdir *t) {
  remove(t->model);
  remove(t->bin);
  rmdir(t->dir);
}

static void write_file(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return;
  fwrite(data, 1, n, f);
  fclose(f);
}

static void write_model(mb *m, const char *path) {
  size_t size;
  uint8_t *buf = mb_pack(m, &size);
  write_file(path, buf, size);
  free(buf);
}

/* A model whose initializer "w" [2,3] lives in weights.bin at offset 16. */
static void mb_external_model(mb *m, const char *loc) {
  static const int64_t d[2] = {2, 3};
  mb_relu(m, "r");
  Onnx__TensorProto *t = mb_tensor(m, "w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, d);
  mb_external(m, t, loc, "16", "24");
}

TEST(test_onnx_import_external_data_with_offset) {
  tmpdir td;
  REQUIRE(make_tmpdir(&td));
  float bin[10];
  for (int i = 0; i < 10; i++)
    bin[i] = (float)(i * 10);
  write_file(td.bin, bin, sizeof bin);
  mb m;
  mb_external_model(&m, "weights.bin");
  write_model(&m, td.model);
  ir_graph *g;
  dlf_status st = fe_onnx_import(td.model, 0, &g);
  CHECK_OK(st);
  if (st == DLF_OK) {
    const ir_tensor *w = &g->tensors[ir_graph_find_tensor(g, "w")];
    CHECK_FLOATS(bin + 4, (const float *)w->data, 6, 0, 0); /* offset 16 = 4 floats */
    ir_graph_free(g);
  }
  remove_tmpdir(&td);
}

TEST(test_onnx_import_external_data_missing_file) {
  tmpdir td;
  REQUIRE(make_tmpdir(&td));
  mb m;
  mb_external_model(&m, "nothere.bin");
  write_model(&m, td.model);
  ir_graph *g;
  CHECK_INT(DLF_ERR_IO, fe_onnx_import(td.model, 0, &g));
  CHECK(contains("initializer 'w'"));
  CHECK(contains("nothere.bin"));
  CHECK(contains("No such file"));
  remove_tmpdir(&td);
}

/* A 1.1 KB location (a file that does not exist): the open error of so long a path is cut
 * by the message buffer (the reason was once read from past its end); the import's message
 * shows the location shortened and still ends with the reason. */
TEST(test_onnx_import_external_data_long_missing_location) {
  tmpdir td;
  REQUIRE(make_tmpdir(&td));
  char loc[1200] = "";
  for (int i = 0; i < 100; i++)
    strcat(loc, "d123456789/");
  strcat(loc, "w.bin");
  mb m;
  mb_external_model(&m, loc);
  write_model(&m, td.model);
  ir_graph *g;
  CHECK_INT(DLF_ERR_IO, fe_onnx_import(td.model, 0, &g));
  CHECK(contains("initializer 'w'"));
  CHECK(contains("...") && contains("d123456789/w.bin': ")); /* shortened, whole end */
  CHECK(contains("No such file"));
  remove_tmpdir(&td);
}

TEST(test_onnx_import_external_data_short_file) {
  tmpdir td;
  REQUIRE(make_tmpdir(&td));
  float bin[8] = {0}; /* 32 bytes: offset 16 + 24 needs 40 */
  write_file(td.bin, bin, sizeof bin);
  mb m;
  mb_external_model(&m, "weights.bin");
  write_model(&m, td.model);
  ir_graph *g;
  CHECK_INT(DLF_ERR_PARSE, fe_onnx_import(td.model, 0, &g));
  CHECK(contains("too short"));
  CHECK(contains("initializer 'w'"));
  remove_tmpdir(&td);
}

TEST(test_onnx_import_external_data_rejects_escaping_paths) {
  tmpdir td;
  REQUIRE(make_tmpdir(&td));
  mb m;
  ir_graph *g;
  mb_external_model(&m, "../weights.bin");
  write_model(&m, td.model);
  CHECK_INT(DLF_ERR_PARSE, fe_onnx_import(td.model, 0, &g));
  CHECK(contains("relative path"));
  mb_external_model(&m, "sub/../../etc/passwd");
  write_model(&m, td.model);
  CHECK_INT(DLF_ERR_PARSE, fe_onnx_import(td.model, 0, &g));
  mb_external_model(&m, "/etc/passwd");
  write_model(&m, td.model);
  CHECK_INT(DLF_ERR_PARSE, fe_onnx_import(td.model, 0, &g));
  CHECK(contains("'/etc/passwd'"));
  remove_tmpdir(&td);
}

TEST(test_onnx_import_external_data_needs_base_dir) {
  mb m;
  mb_external_model(&m, "weights.bin");
  ir_graph *g;
  CHECK_INT(DLF_ERR_UNSUPPORTED, mb_import(&m, &g));
  CHECK(contains("'w'"));
}

/* ---------------------------------------------------- export round trip -- */

static int add_const_f32(ir_graph *g, const char *name, int ndim, const int64_t *dims,
                         float scale) {
  int64_t n = 1;
  for (int k = 0; k < ndim; k++)
    n *= dims[k];
  float *p = malloc((size_t)n * sizeof *p);
  for (int64_t i = 0; i < n; i++)
    p[i] = scale * (float)(i % 7) - 1.0f;
  int idx = -1;
  if (ir_graph_add_constant(g, name, IR_F32, ndim, dims, p, &idx) != DLF_OK) return -1;
  return idx;
}

/* x[1,3,8,8] -> Conv(W,B) -> Relu -> Clip(,"",max) -> Flatten -> Gemm(Wg,bg) -> y,
 * plus a Constant node with a TENSOR attribute feeding nothing but an output. */
static ir_graph *build_small_graph(void) {
  ir_graph *g;
  if (ir_graph_create("built", &g) != DLF_OK) return NULL;
  g->opset = 13;
  int64_t xd[4] = {1, 3, 8, 8}, wd[4] = {4, 3, 3, 3}, bd[1] = {4}, gwd[2] = {10, 256},
          gbd[1] = {10}, sd[1] = {2};
  int x, c, r, cl, f, y, k;
  ir_graph_add_tensor(g, "x", IR_F32, 4, xd, &x);
  int w = add_const_f32(g, "W", 4, wd, 0.5f), b = add_const_f32(g, "B", 1, bd, 0.25f);
  int gw = add_const_f32(g, "Wg", 2, gwd, 0.125f), gb = add_const_f32(g, "bg", 1, gbd, 1.0f);
  int mx = add_const_f32(g, "max", 0, NULL, 0.0f);
  ir_graph_add_tensor(g, "c", IR_F32, 0, NULL, &c);
  ir_graph_add_tensor(g, "r", IR_F32, 0, NULL, &r);
  ir_graph_add_tensor(g, "cl", IR_F32, 0, NULL, &cl);
  ir_graph_add_tensor(g, "f", IR_F32, 0, NULL, &f);
  ir_graph_add_tensor(g, "y", IR_F32, 0, NULL, &y);
  ir_graph_add_tensor(g, "k", IR_I64, 0, NULL, &k);
  int64_t *kv = malloc(2 * sizeof *kv);
  kv[0] = 1, kv[1] = -1;
  int kval;
  ir_graph_add_constant(g, "shape_const_value", IR_I64, 1, sd, kv, &kval);
  int nd, ins[3];
  ins[0] = x, ins[1] = w, ins[2] = b;
  ir_graph_add_node(g, "conv1", IR_OP_CONV, 3, ins, 1, &c, &nd);
  int64_t ks[2] = {3, 3}, pads[4] = {1, 1, 1, 1}, st[2] = {2, 2};
  ir_node_set_ints(&g->nodes[nd], "kernel_shape", ks, 2);
  ir_node_set_ints(&g->nodes[nd], "pads", pads, 4);
  ir_node_set_ints(&g->nodes[nd], "strides", st, 2);
  ir_node_set_int(&g->nodes[nd], "group", 1);
  ir_node_set_string(&g->nodes[nd], "auto_pad", "NOTSET");
  ir_graph_add_node(g, "relu1", IR_OP_RELU, 1, &c, 1, &r, NULL);
  ins[0] = r, ins[1] = -1, ins[2] = mx;
  ir_graph_add_node(g, "clip1", IR_OP_CLIP, 3, ins, 1, &cl, NULL);
  ir_graph_add_node(g, "flat", IR_OP_FLATTEN, 1, &cl, 1, &f, &nd);
  ir_node_set_int(&g->nodes[nd], "axis", 1);
  ins[0] = f, ins[1] = gw, ins[2] = gb;
  ir_graph_add_node(g, "fc", IR_OP_GEMM, 3, ins, 1, &y, &nd);
  ir_node_set_float(&g->nodes[nd], "alpha", 0.75f);
  ir_node_set_int(&g->nodes[nd], "transB", 1);
  float fl[2] = {1.0f, -0.5f};
  ir_node_set_floats(&g->nodes[nd], "scales", fl, 2);
  ir_graph_add_node(g, "shape_const", IR_OP_CONSTANT, 0, NULL, 1, &k, &nd);
  ir_node_set_tensor(&g->nodes[nd], "value", kval);
  g->inputs = malloc(sizeof(int));
  g->inputs[0] = x;
  g->n_inputs = 1;
  g->outputs = malloc(2 * sizeof(int));
  g->outputs[0] = y;
  g->outputs[1] = k;
  g->n_outputs = 2;
  return g;
}

static bool same_attr(const ir_attr *a, const ir_attr *b, const ir_graph *ga, const ir_graph *gb) {
  if (a->kind != b->kind || strcmp(a->name, b->name) != 0) return false;
  switch (a->kind) {
  case IR_ATTR_FLOAT: return a->f == b->f;
  case IR_ATTR_INT: return a->i == b->i;
  case IR_ATTR_STRING: return strcmp(a->s, b->s) == 0;
  case IR_ATTR_FLOATS: return a->n == b->n && !memcmp(a->floats, b->floats, (size_t)a->n * 4);
  case IR_ATTR_INTS: return a->n == b->n && !memcmp(a->ints, b->ints, (size_t)a->n * 8);
  case IR_ATTR_TENSOR: {
    const ir_tensor *ta = &ga->tensors[a->i], *tb = &gb->tensors[b->i];
    return ta->dtype == tb->dtype && ta->ndim == tb->ndim &&
           !memcmp(ta->data, tb->data, (size_t)ir_tensor_numel(ta) * ir_dtype_size(ta->dtype));
  }
  }
  return false;
}

/* The name of tensor index i in g, or "" for -1. */
static const char *tname(const ir_graph *g, int i) { return i >= 0 ? g->tensors[i].name : ""; }

TEST(test_onnx_export_import_round_trip) {
  ir_graph *g = build_small_graph();
  REQUIRE(g != NULL);
  char path[256];
  snprintf(path, sizeof path, "/tmp/dlf_test_onnx_%d_rt.onnx", (int)getpid());
  REQUIRE_OK(fe_onnx_export(g, path));
  ir_graph *h;
  dlf_status st = fe_onnx_import(path, 0, &h);
  CHECK_OK(st);
  if (st != DLF_OK) {
    ir_graph_free(g);
    return;
  }
  CHECK_INT(13, h->opset);
  CHECK_INT(g->n_nodes, h->n_nodes);
  for (int i = 0; i < g->n_nodes && i < h->n_nodes; i++) {
    const ir_node *a = &g->nodes[i], *b = &h->nodes[i];
    CHECK(strcmp(a->name, b->name) == 0);
    CHECK_INT(a->op, b->op);
    CHECK_INT(a->n_inputs, b->n_inputs);
    CHECK_INT(a->n_outputs, b->n_outputs);
    for (int k = 0; k < a->n_inputs && k < b->n_inputs; k++)
      CHECK(strcmp(tname(g, a->inputs[k]), tname(h, b->inputs[k])) == 0);
    for (int k = 0; k < a->n_outputs && k < b->n_outputs; k++)
      CHECK(strcmp(tname(g, a->outputs[k]), tname(h, b->outputs[k])) == 0);
    CHECK_INT(a->n_attrs, b->n_attrs);
    for (int k = 0; k < a->n_attrs; k++) {
      const ir_attr *bb = ir_node_attr(b, a->attrs[k].name);
      CHECK(bb && same_attr(&a->attrs[k], bb, g, h));
    }
  }
  /* Every constant consumed by a node comes back bit-identical. */
  const char *consts[5] = {"W", "B", "Wg", "bg", "max"};
  for (int k = 0; k < 5; k++) {
    const ir_tensor *a = &g->tensors[ir_graph_find_tensor(g, consts[k])];
    int bi = ir_graph_find_tensor(h, consts[k]);
    REQUIRE(bi >= 0);
    const ir_tensor *b = &h->tensors[bi];
    CHECK_INT(a->ndim, b->ndim);
    CHECK(!memcmp(a->dims, b->dims, (size_t)a->ndim * 8));
    CHECK(b->data && !memcmp(a->data, b->data, (size_t)ir_tensor_numel(a) * 4));
  }
  CHECK_INT(1, h->n_inputs);
  const ir_tensor *x = &h->tensors[h->inputs[0]];
  CHECK(strcmp(x->name, "x") == 0);
  CHECK_INT(4, x->ndim);
  CHECK_INT(8, x->dims[3]);
  CHECK_INT(2, h->n_outputs);
  CHECK(strcmp(tname(h, h->outputs[0]), "y") == 0);
  CHECK(strcmp(tname(h, h->outputs[1]), "k") == 0);
  ir_graph_free(h);
  ir_graph_free(g);
  remove(path);
}

TEST(test_onnx_export_refuses_fused_epilogue) {
  ir_graph *g = build_small_graph();
  REQUIRE(g != NULL);
  g->nodes[0].act = IR_ACT_RELU;
  char path[256];
  snprintf(path, sizeof path, "/tmp/dlf_test_onnx_%d_epi.onnx", (int)getpid());
  CHECK_INT(DLF_ERR_INVALID_ARG, fe_onnx_export(g, path));
  CHECK(contains("node 'conv1' (Conv)"));
  CHECK(contains("before passes"));
  CHECK(access(path, F_OK) != 0);
  ir_graph_free(g);
}

TEST(test_onnx_export_unwritable_path_fails) {
  ir_graph *g = build_small_graph();
  REQUIRE(g != NULL);
  CHECK_INT(DLF_ERR_IO, fe_onnx_export(g, "/nonexistent/dir/m.onnx"));
  CHECK(contains("/nonexistent/dir/m.onnx"));
  ir_graph_free(g);
}

/* Flipped bytes anywhere in a valid model: import either succeeds or fails
 * with a message; never crashes or leaks (run under ASan by test-san). */
TEST(test_onnx_import_mutated_bytes_fail_cleanly) {
  mb m;
  mb_relu(&m, "r");
  static const int64_t d[2] = {4, 4};
  static float v[16];
  Onnx__TensorProto *t = mb_tensor(&m, "w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, d);
  t->has_raw_data = 1, t->raw_data.len = sizeof v, t->raw_data.data = (uint8_t *)v;
  Onnx__AttributeProto *a =
      mb_attr(&m, &m.nodes[0], "k", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  static int64_t ks[2] = {3, 3};
  a->n_ints = 2, a->ints = ks;
  size_t size;
  uint8_t *orig = mb_pack(&m, &size);
  uint8_t *buf = malloc(size);
  dlf_rng r = dlf_rng_make(7);
  int ok = 0, failed = 0;
  for (int trial = 0; trial < 500; trial++) {
    memcpy(buf, orig, size);
    int flips = 1 + (int)(dlf_rng_next(&r) % 3);
    for (int k = 0; k < flips; k++)
      buf[dlf_rng_next(&r) % size] = (uint8_t)dlf_rng_next(&r);
    ir_graph *g = NULL;
    dlf_status st = fe_onnx_import_buffer(buf, size, "mut.onnx", NULL, 0, &g);
    if (st == DLF_OK) {
      ok++;
      ir_graph_free(g);
    } else {
      failed++;
      CHECK(g == NULL);
      CHECK(strlen(dlf_last_error()) > 0);
    }
  }
  CHECK(ok + failed == 500);
  CHECK(failed > 0); /* most mutations break something */
  free(buf);
  free(orig);
}

/* ------------------------------------------------- run-time tensor size cap (issue 8) -- */

/* A model (in td) whose initializer "w" has 1024 floats: 4096 bytes of raw_data. */
static void write_cap_model(tmpdir *td) {
  static const int64_t d[1] = {1024};
  static float w[1024];
  mb m;
  mb_relu(&m, "r");
  Onnx__TensorProto *t = mb_tensor(&m, "w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, d);
  t->has_raw_data = 1;
  t->raw_data.len = sizeof w;
  t->raw_data.data = (uint8_t *)w;
  write_model(&m, td->model);
}

TEST(test_onnx_cap_initializer_just_above_a_lowered_cap_is_rejected) {
  tmpdir td;
  REQUIRE(make_tmpdir(&td));
  write_cap_model(&td);
  dlf_load_options o = {.max_tensor_bytes = 4095};
  dlf_model *m = NULL;
  CHECK_INT(DLF_ERR_LIMIT, dlf_model_load(td.model, &o, &m));
  CHECK(m == NULL);
  CHECK(contains(td.model));
  CHECK(contains("initializer 'w' declares shape 1024 (4096 bytes)"));
  CHECK(contains("the 4095-byte limit"));
  CHECK(contains("--max-tensor-bytes"));
  CHECK(contains("DLF_MAX_TENSOR_BYTES"));
  remove_tmpdir(&td);
}

TEST(test_onnx_cap_initializer_exactly_at_a_lowered_cap_loads) {
  tmpdir td;
  REQUIRE(make_tmpdir(&td));
  write_cap_model(&td);
  dlf_load_options o = {.max_tensor_bytes = 4096};
  dlf_model *m = NULL;
  CHECK_OK(dlf_model_load(td.model, &o, &m));
  dlf_model_free(m);
  remove_tmpdir(&td);
}

TEST(test_onnx_cap_from_the_environment_and_options_override_it) {
  tmpdir td;
  REQUIRE(make_tmpdir(&td));
  write_cap_model(&td);
  dlf_model *m = NULL;
  setenv("DLF_MAX_TENSOR_BYTES", "4095", 1);
  CHECK_INT(DLF_ERR_LIMIT, dlf_model_load(td.model, NULL, &m));
  CHECK(contains("the 4095-byte limit"));
  dlf_load_options o = {.max_tensor_bytes = 4096};
  CHECK_OK(dlf_model_load(td.model, &o, &m));
  dlf_model_free(m);
  m = NULL;
  setenv("DLF_MAX_TENSOR_BYTES", "4K", 1); /* 4096: the suffix is binary */
  CHECK_OK(dlf_model_load(td.model, NULL, &m));
  dlf_model_free(m);
  m = NULL;
  unsetenv("DLF_MAX_TENSOR_BYTES");
  remove_tmpdir(&td);
}

TEST(test_onnx_cap_malformed_environment_value_fails_naming_it) {
  dlf_model *m = NULL;
  setenv("DLF_MAX_TENSOR_BYTES", "4X", 1);
  CHECK_INT(DLF_ERR_INVALID_ARG, dlf_model_load("zoo:squeezenet1_0", NULL, &m));
  unsetenv("DLF_MAX_TENSOR_BYTES");
  CHECK(m == NULL);
  CHECK(contains("DLF_MAX_TENSOR_BYTES='4X' is not a byte count"));
}

TEST(test_onnx_cap_option_above_one_tib_is_refused) {
  dlf_load_options o = {.max_tensor_bytes = ((int64_t)1 << 40) + 1};
  dlf_model *m = NULL;
  CHECK_INT(DLF_ERR_INVALID_ARG, dlf_model_load("zoo:squeezenet1_0", &o, &m));
  CHECK(contains("max_tensor_bytes 1099511627777 is out of range"));
}

TEST(test_onnx_cap_applies_to_external_data_before_reading_it) {
  tmpdir td;
  REQUIRE(make_tmpdir(&td));
  float bin[10] = {0};
  write_file(td.bin, bin, sizeof bin);
  mb m;
  mb_external_model(&m, "weights.bin"); /* w: 2x3 floats, 24 bytes */
  write_model(&m, td.model);
  dlf_load_options o = {.max_tensor_bytes = 23};
  dlf_model *model = NULL;
  CHECK_INT(DLF_ERR_LIMIT, dlf_model_load(td.model, &o, &model));
  CHECK(contains("initializer 'w' declares shape 2x3 (24 bytes), above the 23-byte limit"));
  remove_tmpdir(&td);
}

TEST(test_onnx_cap_applies_to_graph_inputs) {
  tmpdir td;
  REQUIRE(make_tmpdir(&td));
  mb m;
  mb_relu(&m, "r"); /* x: 1x4 floats, 16 bytes */
  write_model(&m, td.model);
  dlf_load_options o = {.max_tensor_bytes = 15};
  dlf_model *model = NULL;
  CHECK_INT(DLF_ERR_LIMIT, dlf_model_load(td.model, &o, &model));
  CHECK(contains("input 'x' declares a shape beyond the limit: 1x4"));
  o.max_tensor_bytes = 16;
  CHECK_OK(dlf_model_load(td.model, &o, &model));
  dlf_model_free(model);
  remove_tmpdir(&td);
}

TEST(test_onnx_cap_is_restored_after_a_load) {
  tmpdir td;
  REQUIRE(make_tmpdir(&td));
  write_cap_model(&td);
  dlf_load_options o = {.max_tensor_bytes = 4095};
  dlf_model *m = NULL;
  CHECK(dlf_model_load(td.model, &o, &m) != DLF_OK);
  CHECK_OK(dlf_model_load(td.model, NULL, &m)); /* the default cap again */
  dlf_model_free(m);
  remove_tmpdir(&td);
}

/* ------------------------------------------- attributes of the wrong type (issue 8) -- */

/* x [1,2,4,4] -> Conv(w [3,2,3,3]) -> y, its attribute added by the test. */
static Onnx__NodeProto *mb_conv(mb *m) {
  static const int64_t dx[4] = {1, 2, 4, 4}, dw[4] = {3, 2, 3, 3};
  static float w[54];
  static const char *const ins[2] = {"x", "w"}, *const outs[1] = {"y"};
  mb_init(m, 13);
  mb_input(m, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, dx);
  mb_output(m, "y");
  Onnx__TensorProto *t = mb_tensor(m, "w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, dw);
  t->has_raw_data = 1;
  t->raw_data.len = sizeof w;
  t->raw_data.data = (uint8_t *)w;
  return mb_node(m, "convs", "Conv", 2, ins, 1, outs);
}

TEST(test_onnx_attr_string_kernel_shape_is_rejected_naming_node_op_attr_and_types) {
  mb m;
  Onnx__NodeProto *n = mb_conv(&m);
  Onnx__AttributeProto *a =
      mb_attr(&m, n, "kernel_shape", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
  a->has_s = 1;
  a->s.data = (uint8_t *)"3x3";
  a->s.len = 3;
  ir_graph *g = NULL;
  CHECK_INT(DLF_ERR_PARSE, mb_import(&m, &g));
  CHECK(g == NULL);
  CHECK(contains("t.onnx: node 'convs' (Conv): attribute 'kernel_shape' must be INTS, got STRING"));
}

TEST(test_onnx_attr_ints_kernel_shape_is_accepted) {
  mb m;
  Onnx__NodeProto *n = mb_conv(&m);
  static int64_t k[2] = {3, 3};
  Onnx__AttributeProto *a =
      mb_attr(&m, n, "kernel_shape", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  a->n_ints = 2;
  a->ints = k;
  ir_graph *g = NULL;
  REQUIRE_OK(mb_import(&m, &g));
  int64_t v[2];
  CHECK_INT(2, ir_node_ints(&g->nodes[0], "kernel_shape", v, 2));
  ir_graph_free(g);
}

TEST(test_onnx_attr_float_group_is_rejected) {
  mb m;
  Onnx__NodeProto *n = mb_conv(&m);
  Onnx__AttributeProto *a = mb_attr(&m, n, "group", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
  a->has_f = 1;
  a->f = 1.0f;
  ir_graph *g = NULL;
  CHECK_INT(DLF_ERR_PARSE, mb_import(&m, &g));
  CHECK(contains("node 'convs' (Conv): attribute 'group' must be INT, got FLOAT"));
}

TEST(test_onnx_attr_tensor_for_an_ints_attribute_is_rejected) {
  mb m;
  Onnx__NodeProto *n = mb_conv(&m);
  static const int64_t d[1] = {2};
  static int64_t vals[2] = {1, 1};
  Onnx__TensorProto t;
  onnx__tensor_proto__init(&t);
  t.has_data_type = 1;
  t.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
  t.n_dims = 1;
  t.dims = (int64_t *)d;
  t.n_int64_data = 2;
  t.int64_data = vals;
  Onnx__AttributeProto *a =
      mb_attr(&m, n, "strides", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
  a->t = &t;
  ir_graph *g = NULL;
  CHECK_INT(DLF_ERR_PARSE, mb_import(&m, &g));
  CHECK(contains("attribute 'strides' must be INTS, got TENSOR"));
}

TEST(test_onnx_attr_int_for_a_float_attribute_is_read_as_its_value) {
  /* onnx.helper writes alpha=1 as an INT: exact, so accepted. */
  mb m;
  mb_relu(&m, "lr");
  m.nodes[0].op_type = "LeakyRelu";
  Onnx__AttributeProto *a =
      mb_attr(&m, &m.nodes[0], "alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  a->has_i = 1;
  a->i = 2;
  ir_graph *g = NULL;
  REQUIRE_OK(mb_import(&m, &g));
  CHECK_NEAR(2.0f, ir_node_float(&g->nodes[0], "alpha", 0.01f), 0.0f);
  ir_graph_free(g);
}

TEST(test_onnx_attr_unknown_attribute_of_any_type_is_ignored) {
  mb m;
  mb_relu(&m, "r");
  Onnx__AttributeProto *a =
      mb_attr(&m, &m.nodes[0], "note", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
  a->has_s = 1;
  a->s.data = (uint8_t *)"hi";
  a->s.len = 2;
  ir_graph *g = NULL;
  CHECK_OK(mb_import(&m, &g));
  ir_graph_free(g);
}

TEST(test_onnx_attr_constant_value_float_given_as_int_is_rejected) {
  mb m;
  static const char *const outs[1] = {"y"};
  mb_init(&m, 13);
  mb_output(&m, "y");
  Onnx__NodeProto *n = mb_node(&m, "c", "Constant", 0, NULL, 1, outs);
  Onnx__AttributeProto *a =
      mb_attr(&m, n, "value_float", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  a->has_i = 1;
  a->i = 3;
  ir_graph *g = NULL;
  CHECK_INT(DLF_ERR_PARSE, mb_import(&m, &g));
  CHECK(contains("node 'c' (Constant): attribute 'value_float' must be FLOAT, got INT"));
}

TEST(test_onnx_attr_table_knows_the_attributes_the_ops_read) {
  const char *e = NULL;
  CHECK(ir_op_attr_kinds(IR_OP_CONV, "kernel_shape", &e) != 0);
  CHECK(strcmp(e, "INTS") == 0);
  CHECK(ir_op_attr_kinds(IR_OP_AVERAGEPOOL, "count_include_pad", &e) == 1u << IR_ATTR_INT);
  CHECK(ir_op_attr_kinds(IR_OP_PAD, "mode", &e) == 1u << IR_ATTR_STRING);
  CHECK(ir_op_attr_kinds(IR_OP_RELU, "kernel_shape", &e) == 0); /* not read: ignored */
}

TEST(test_onnx_cap_applies_to_constant_folding) {
  /* ConstantOfShape([1024]) folds into a 4096-byte constant at load. */
  static const int64_t d[1] = {1};
  static int64_t shape[1] = {1024};
  static const char *const ins[1] = {"shp"}, *const outs[1] = {"y"};
  tmpdir td;
  REQUIRE(make_tmpdir(&td));
  mb m;
  mb_init(&m, 13);
  mb_output(&m, "y");
  Onnx__TensorProto *t = mb_tensor(&m, "shp", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, d);
  t->n_int64_data = 1;
  t->int64_data = shape;
  mb_node(&m, "cos", "ConstantOfShape", 1, ins, 1, outs);
  write_model(&m, td.model);
  dlf_load_options o = {.max_tensor_bytes = 4095};
  dlf_model *model = NULL;
  CHECK_INT(DLF_ERR_LIMIT, dlf_model_load(td.model, &o, &model));
  CHECK(contains("node 'cos' (ConstantOfShape)"));
  CHECK(contains("'y' has shape 1024"));
  CHECK(contains("the 4095-byte limit"));
  o.max_tensor_bytes = 4096;
  CHECK_OK(dlf_model_load(td.model, &o, &model));
  dlf_model_free(model);
  remove_tmpdir(&td);
}
