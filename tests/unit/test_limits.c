/* test_limits.c — bounds on what an ONNX file may make dlfusion hold: node and activation
 * counts (issue 8, "recursion depth and node counts are bounded"), from hand-made wire bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/frontend.h"
#include "test.h"

/* Protobuf wire bytes, written by hand so the test needs no ONNX builder: a ModelProto
 * {ir_version: 7 (field 1), opset_import {version: 13} (field 8), graph (field 7)}. */
typedef struct wire {
  uint8_t *p;
  size_t n, cap;
} wire;

static void put(wire *w, const void *bytes, size_t n) {
  if (w->n + n > w->cap) {
    w->cap = (w->n + n) * 2;
    w->p = realloc(w->p, w->cap);
  }
  memcpy(w->p + w->n, bytes, n);
  w->n += n;
}

static void put_varint(wire *w, uint64_t v) {
  uint8_t b[10];
  int k = 0;
  do {
    b[k] = (uint8_t)(v & 0x7f);
    v >>= 7;
    if (v) b[k] |= 0x80;
    k++;
  } while (v);
  put(w, b, (size_t)k);
}

/* A model whose graph holds `nodes` NodeProtos (GraphProto field 1), each with `outputs`
 * empty output names (NodeProto field 2) and nothing else. */
static wire model_of_bare_nodes(int nodes, int outputs) {
  wire node = {0}, graph = {0}, model = {0};
  for (int o = 0; o < outputs; o++)
    put(&node, "\x12\x00", 2);
  for (int i = 0; i < nodes; i++) {
    put(&graph, "\x0a", 1);
    put_varint(&graph, node.n);
    if (node.n) put(&graph, node.p, node.n);
  }
  put(&model, "\x08\x07\x42\x02\x10\x0d\x3a", 7);
  put_varint(&model, graph.n);
  put(&model, graph.p, graph.n);
  free(node.p);
  free(graph.p);
  return model;
}

static bool err_has(const char *s) { return strstr(dlf_last_error(), s) != NULL; }

TEST(test_limits_onnx_more_than_65536_nodes_is_refused) {
  wire m = model_of_bare_nodes(65537, 0); /* 131 KB */
  ir_graph *g = NULL;
  CHECK_INT(DLF_ERR_LIMIT, fe_onnx_import_buffer(m.p, m.n, "many.onnx", NULL, 0, &g));
  CHECK(g == NULL);
  CHECK(err_has("many.onnx: the graph has 65537 nodes (at most 65536 supported)"));
  free(m.p);
}

TEST(test_limits_onnx_65536_nodes_pass_the_count_check) {
  /* The bare nodes then fail for having no operator: the count is not what stops them. */
  wire m = model_of_bare_nodes(65536, 0);
  ir_graph *g = NULL;
  CHECK_INT(DLF_ERR_UNSUPPORTED, fe_onnx_import_buffer(m.p, m.n, "many.onnx", NULL, 0, &g));
  CHECK(err_has("many.onnx: node '#0' (): unsupported operator"));
  free(m.p);
}

TEST(test_limits_onnx_more_than_65536_node_outputs_is_refused) {
  wire m = model_of_bare_nodes(65, 1024 + 1); /* 65 * 1025 = 66625 outputs in 133 KB */
  ir_graph *g = NULL;
  CHECK_INT(DLF_ERR_LIMIT, fe_onnx_import_buffer(m.p, m.n, "wide.onnx", NULL, 0, &g));
  CHECK(err_has("wide.onnx: the graph's nodes have 66625 outputs (at most 65536 supported)"));
  free(m.p);
}
