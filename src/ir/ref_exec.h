/* ref_exec.h — the reference executor: runs a graph node by node with the
 * naive reference function of each op, every tensor in its own buffer. Slow
 * and obviously correct: the ground truth for kernels, fusion and import. */
#ifndef DLF_IR_REF_EXEC_H
#define DLF_IR_REF_EXEC_H

#include "ir/ir.h"

typedef struct ir_ref_exec ir_ref_exec;

/* The graph must be sorted and shape-inferred, and outlive the executor. */
dlf_status ir_ref_exec_create(const ir_graph *g, ir_ref_exec **out);
void ir_ref_exec_free(ir_ref_exec *x);

/* inputs[i] holds g->inputs[i], outputs[i] receives g->outputs[i] (the
 * shapes and dtypes inferred in the graph). */
dlf_status ir_ref_exec_run(ir_ref_exec *x, const void *const *inputs, void *const *outputs);

/* ir_ref_exec_run, and node_ms[i] receives the wall-clock milliseconds node i
 * took (g->n_nodes entries; 0 for dead nodes). For `dlfusion bench --profile`. */
dlf_status ir_ref_exec_run_timed(ir_ref_exec *x, const void *const *inputs, void *const *outputs,
                                 double *node_ms);

#endif
