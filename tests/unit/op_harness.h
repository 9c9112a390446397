/* op_harness.h — run one op on given tensors through shape inference and the
 * reference executor, for op tests that state inputs and expected outputs. */
#ifndef DLF_TEST_OP_HARNESS_H
#define DLF_TEST_OP_HARNESS_H

#include "ir/ir.h"

typedef struct th_tensor {
  ir_dtype dtype;
  int ndim;
  int64_t dims[IR_MAX_DIMS];
  const void *data; /* NULL: an absent optional input */
  int is_const;     /* constant (initializer) rather than graph input */
} th_tensor;

/* A one-node graph under construction: add inputs, set attributes on
 * th->node, then th_run. */
typedef struct th_graph {
  ir_graph *g;
  ir_node *node; /* valid until th_run */
  int n_in;
  th_tensor in[16];
  int n_out;
  /* results of th_run */
  ir_value out[8];
} th_graph;

/* Float tensor helpers: TH_F32(ndim, dims..., data) etc. are plain structs. */
th_tensor th_f32(int ndim, const int64_t *dims, const float *data);
th_tensor th_i64(int ndim, const int64_t *dims, const int64_t *data);
th_tensor th_const(th_tensor t);
th_tensor th_absent(void);

/* Create a graph with one node of op, with these inputs and n_out outputs.
 * Attributes can then be set on th->node (ir_node_set_int, ...). */
dlf_status th_create(th_graph *th, ir_op op, int n_in, const th_tensor *in, int n_out);
/* Infer shapes and run the reference executor; results in th->out (owned by
 * th, freed by th_free). Returns the status of shape inference or run. */
dlf_status th_run(th_graph *th);
void th_free(th_graph *th);

/* A deterministic pseudo-random float array in [lo, hi) (caller frees). */
float *th_random(uint64_t seed, int64_t n, float lo, float hi);
/* Small integers in [-k, k] as floats: sums of products are exact in float,
 * so results do not depend on summation order. */
float *th_small_ints(uint64_t seed, int64_t n, int k);

#endif
