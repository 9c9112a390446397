/* graph_builder.h — building small synthetic graphs for the engine and fusion tests: one
 * input, nodes appended with random constant weights (seeded), outputs marked. */
#ifndef DLF_TESTS_GRAPH_BUILDER_H
#define DLF_TESTS_GRAPH_BUILDER_H

#include "ir/ir.h"

typedef struct eg {
  ir_graph *g;
  uint64_t seed;
} eg;

eg eg_begin(void);
int eg_input(eg *b, int ndim, const int64_t *dims);
int eg_const(eg *b, int ndim, const int64_t *dims, float lo, float hi);
/* A node with n_in inputs and one new output tensor; returns the node index. */
int eg_node(eg *b, ir_op op, int n_in, const int *in, int *out_t);
/* Conv with W [cout, cin/group, k, k] and bias; pads as ONNX [t, l, b, r] (NULL = 0). */
int eg_conv(eg *b, int x, int64_t cin, int64_t cout, int64_t k, int64_t stride,
            const int64_t *pads, int64_t group, int *y);
void eg_output(eg *b, int t);

#endif
