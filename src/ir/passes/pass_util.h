/* pass_util.h — small graph-rewriting helpers shared by the passes in this
 * folder (use counts, rewiring, new constants). Internal to src/ir/passes. */
#ifndef DLF_IR_PASS_UTIL_H
#define DLF_IR_PASS_UTIL_H

#include "ir/ir.h"

/* True if tensor t is one of the graph's outputs. */
bool pass_is_graph_output(const ir_graph *g, int t);
/* Number of reads of t by live nodes (each input slot and residual counts). */
int pass_use_count(const ir_graph *g, int t);
/* The live node that is the only reader of t (read through exactly one slot),
 * or -1 when t has no reader, several, or is a graph output. */
int pass_sole_consumer(const ir_graph *g, int t);
/* The live node that writes t, or -1 (graph input, constant, or orphan). */
int pass_producer(const ir_graph *g, int t);
/* Make every live node that reads `from` (input or residual) read `to`. */
void pass_replace_uses(ir_graph *g, int from, int to);
/* A float constant is present, float32 and holds data. */
bool pass_is_const_f32(const ir_graph *g, int t);
/* t is a constant read by nothing but node `user` (through one slot) and is
 * not a graph output, so the pass may rewrite its payload in place. */
bool pass_const_exclusive(const ir_graph *g, int t, int user);
/* Add a float constant named "<base><suffix>" (made unique with a counter);
 * takes ownership of data. */
dlf_status pass_add_const_f32(ir_graph *g, const char *base, const char *suffix, int ndim,
                              const int64_t *dims, float *data, int *out);
/* Set input slot k of node n to tensor t, growing the input list (with empty
 * slots) when k is past its end. */
dlf_status pass_node_set_input(ir_graph *g, ir_node *n, int k, int t);
/* Make node n write tensor t as output slot o (and t's producer field). */
void pass_node_set_output(ir_graph *g, int node, int o, int t);

#endif
