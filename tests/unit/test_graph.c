/* test_graph.c — graph building, name lookup, topological order. */
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "test.h"

TEST(test_graph_find_tensor_by_name) {
  ir_graph *g;
  REQUIRE_OK(ir_graph_create("t", &g));
  int64_t d[2] = {2, 3};
  char name[32];
  for (int i = 0; i < 300; i++) {
    snprintf(name, sizeof name, "x%d", i);
    int idx;
    CHECK_OK(ir_graph_add_tensor(g, name, IR_F32, 2, d, &idx));
    CHECK_INT(i, idx);
  }
  CHECK_INT(137, ir_graph_find_tensor(g, "x137"));
  CHECK_INT(-1, ir_graph_find_tensor(g, "nope"));
  int idx;
  CHECK(ir_graph_add_tensor(g, "x5", IR_F32, 2, d, &idx) == DLF_ERR_PARSE);
  ir_graph_free(g);
}

TEST(test_graph_toposort_reorders_and_detects_cycles) {
  ir_graph *g;
  REQUIRE_OK(ir_graph_create("t", &g));
  int64_t d[1] = {4};
  int x, a, b;
  REQUIRE_OK(ir_graph_add_tensor(g, "x", IR_F32, 1, d, &x));
  REQUIRE_OK(ir_graph_add_tensor(g, "a", IR_F32, 1, NULL, &a));
  REQUIRE_OK(ir_graph_add_tensor(g, "b", IR_F32, 1, NULL, &b));
  /* b = relu(a) listed before a = relu(x) */
  REQUIRE_OK(ir_graph_add_node(g, "second", IR_OP_RELU, 1, &a, 1, &b, NULL));
  REQUIRE_OK(ir_graph_add_node(g, "first", IR_OP_RELU, 1, &x, 1, &a, NULL));
  REQUIRE_OK(ir_graph_toposort(g));
  CHECK(strcmp(g->nodes[0].name, "first") == 0);
  CHECK(strcmp(g->nodes[1].name, "second") == 0);
  /* make a cycle: first reads b */
  g->nodes[0].inputs[0] = b;
  CHECK(ir_graph_toposort(g) == DLF_ERR_PARSE);
  CHECK(strstr(dlf_last_error(), "cycle") != NULL);
  ir_graph_free(g);
}
