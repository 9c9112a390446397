/* graph_builder.c — small synthetic graphs for engine tests (see graph_builder.h). */
#include "graph_builder.h"

#include <stdlib.h>

#include "op_harness.h"

/* A graph under construction: one 4-D (or 2-D) input, nodes appended. */

int eg_input(eg *b, int ndim, const int64_t *dims) {
  int t;
  if (ir_graph_add_tensor(b->g, "x", IR_F32, ndim, dims, &t) != DLF_OK) return -1;
  b->g->inputs = realloc(b->g->inputs, (size_t)(b->g->n_inputs + 1) * sizeof(int));
  b->g->inputs[b->g->n_inputs++] = t;
  return t;
}

int eg_const(eg *b, int ndim, const int64_t *dims, float lo, float hi) {
  int64_t n = 1;
  for (int d = 0; d < ndim; d++)
    n *= dims[d];
  int t;
  float *data = th_random(++b->seed, n, lo, hi);
  if (ir_graph_add_constant(b->g, NULL, IR_F32, ndim, dims, data, &t) != DLF_OK) return -1;
  return t;
}

/* A node with n_in inputs and one new output tensor; returns the node index. */
int eg_node(eg *b, ir_op op, int n_in, const int *in, int *out_t) {
  int y, ni;
  if (ir_graph_add_tensor(b->g, NULL, IR_F32, 0, NULL, &y) != DLF_OK) return -1;
  if (ir_graph_add_node(b->g, NULL, op, n_in, in, 1, &y, &ni) != DLF_OK) return -1;
  b->g->nodes[ni].residual = -1;
  *out_t = y;
  return ni;
}

/* Conv with W [cout, cin/group, kh, kw] and bias; pads as ONNX [t, l, b, r]. */
int eg_conv(eg *b, int x, int64_t cin, int64_t cout, int64_t k, int64_t stride,
                   const int64_t *pads, int64_t group, int *y) {
  int64_t wd[4] = {cout, cin / group, k, k}, bd[1] = {cout};
  int in[3] = {x, eg_const(b, 4, wd, -0.5f, 0.5f), eg_const(b, 1, bd, -0.5f, 0.5f)};
  int ni = eg_node(b, IR_OP_CONV, 3, in, y);
  ir_node *n = &b->g->nodes[ni];
  int64_t s2[2] = {stride, stride};
  ir_node_set_ints(n, "strides", s2, 2);
  if (pads) ir_node_set_ints(n, "pads", pads, 4);
  ir_node_set_int(n, "group", group);
  return ni;
}

void eg_output(eg *b, int t) {
  b->g->outputs = realloc(b->g->outputs, (size_t)(b->g->n_outputs + 1) * sizeof(int));
  b->g->outputs[b->g->n_outputs++] = t;
}


eg eg_begin(void) {
  eg b = {NULL, 1};
  ir_graph_create("test", &b.g);
  return b;
}
