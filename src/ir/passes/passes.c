/* passes.c — the pass pipeline (ir_passes_run) and the rewriting helpers the
 * passes share (pass_util.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

bool pass_is_graph_output(const ir_graph *g, int t) {
  for (int j = 0; j < g->n_outputs; j++)
    if (g->outputs[j] == t) return true;
  return false;
}

int pass_use_count(const ir_graph *g, int t) {
  int uses = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int k = 0; k < n->n_inputs; k++)
      uses += n->inputs[k] == t;
    uses += n->residual == t;
  }
  return uses;
}

int pass_sole_consumer(const ir_graph *g, int t) {
  if (t < 0 || pass_is_graph_output(g, t)) return -1;
  int found = -1, uses = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    int here = n->residual == t;
    for (int k = 0; k < n->n_inputs; k++)
      here += n->inputs[k] == t;
    if (here) found = i;
    uses += here;
  }
  return uses == 1 ? found : -1;
}

int pass_producer(const ir_graph *g, int t) {
  for (int i = 0; i < g->n_nodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int o = 0; o < n->n_outputs; o++)
      if (n->outputs[o] == t) return i;
  }
  return -1;
}

void pass_replace_uses(ir_graph *g, int from, int to) {
  for (int i = 0; i < g->n_nodes; i++) {
    ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] == from) n->inputs[k] = to;
    if (n->residual == from) n->residual = to;
  }
}

bool pass_is_const_f32(const ir_graph *g, int t) {
  return t >= 0 && g->tensors[t].data && g->tensors[t].dtype == IR_F32;
}

bool pass_const_exclusive(const ir_graph *g, int t, int user) {
  return t >= 0 && g->tensors[t].data && pass_sole_consumer(g, t) == user;
}

dlf_status pass_add_const_f32(ir_graph *g, const char *base, const char *suffix, int ndim,
                              const int64_t *dims, float *data, int *out) {
  char name[256];
  snprintf(name, sizeof name, "%.200s%s", base, suffix);
  for (int k = 2; ir_graph_find_tensor(g, name) >= 0; k++)
    snprintf(name, sizeof name, "%.200s%s%d", base, suffix, k);
  return ir_graph_add_constant(g, name, IR_F32, ndim, dims, data, out);
}

dlf_status pass_node_set_input(ir_graph *g, ir_node *n, int k, int t) {
  if (k >= n->n_inputs) {
    int *in = realloc(n->inputs, (size_t)(k + 1) * sizeof *in);
    if (!in) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory adding an input");
    for (int j = n->n_inputs; j <= k; j++)
      in[j] = -1;
    n->inputs = in;
    n->n_inputs = k + 1;
  }
  n->inputs[k] = t;
  return DLF_OK;
}

void pass_node_set_output(ir_graph *g, int node, int o, int t) {
  g->nodes[node].outputs[o] = t;
  g->tensors[t].producer = node;
}

dlf_status ir_passes_run(ir_graph *g) {
  DLF_TRY(ir_pass_drop_identity(g));
  DLF_TRY(ir_pass_fold_pad(g));
  DLF_TRY(ir_pass_drop_dead_taps(g));
  DLF_TRY(ir_pass_reduce_to_gap(g));
  DLF_TRY(ir_pass_channel_shuffle(g));
  DLF_TRY(ir_pass_layernorm_fuse(g));
  DLF_TRY(ir_pass_channels_last(g));
  DLF_TRY(ir_pass_fold_batchnorm(g));
  DLF_TRY(ir_pass_fuse_epilogue(g));
  DLF_TRY(ir_graph_toposort(g));
  DLF_TRY(ir_graph_infer_shapes(g));
  /* Inference may fold a node that a pass exposed to constants: compact it
   * away so that every node of the result is a layer. */
  for (int i = 0; i < g->n_nodes; i++)
    if (g->nodes[i].dead) return ir_graph_toposort(g);
  return DLF_OK;
}
