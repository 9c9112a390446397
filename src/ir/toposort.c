/* toposort.c — topological order and structural validation of a graph. */
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "ir/ir.h"

dlf_status ir_graph_toposort(ir_graph *g) {
  int n = g->n_nodes;
  int *producer = dlf_malloc_array((size_t)g->n_tensors, sizeof(int));
  int *indeg = dlf_calloc_array((size_t)n, sizeof(int));
  int *order = dlf_malloc_array((size_t)n, sizeof(int));
  bool *done = dlf_calloc_array((size_t)n, sizeof(bool));
  dlf_status st = DLF_OK;
  if (!producer || !indeg || !order || !done) {
    st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory sorting the graph", g->source);
    goto out;
  }
  for (int t = 0; t < g->n_tensors; t++) producer[t] = -1;
  for (int i = 0; i < n; i++) {
    const ir_node *nd = &g->nodes[i];
    if (nd->dead) continue;
    for (int o = 0; o < nd->n_outputs; o++) {
      int t = nd->outputs[o];
      if (t < 0) continue;
      if (producer[t] >= 0) {
        st = ir_node_error(g, nd, DLF_ERR_PARSE, "output '%s' is also produced by node '%s'",
                           g->tensors[t].name, g->nodes[producer[t]].name);
        goto out;
      }
      if (g->tensors[t].data) {
        st = ir_node_error(g, nd, DLF_ERR_PARSE, "output '%s' is also an initializer",
                           g->tensors[t].name);
        goto out;
      }
      producer[t] = i;
    }
  }
  /* Kahn's algorithm, always taking the lowest-index ready node so that an
   * already-sorted graph keeps its order (and so its error messages). */
  for (int i = 0; i < n; i++) {
    const ir_node *nd = &g->nodes[i];
    if (nd->dead) continue;
    for (int k = 0; k < nd->n_inputs; k++)
      if (nd->inputs[k] >= 0 && producer[nd->inputs[k]] >= 0) indeg[i]++;
    if (nd->residual >= 0 && producer[nd->residual] >= 0) indeg[i]++;
  }
  int count = 0, live = 0;
  for (int i = 0; i < n; i++) live += !g->nodes[i].dead;
  while (count < live) {
    int pick = -1;
    for (int i = 0; i < n; i++)
      if (!g->nodes[i].dead && !done[i] && indeg[i] == 0) {
        pick = i;
        break;
      }
    if (pick < 0) {
      for (int i = 0; i < n; i++)
        if (!g->nodes[i].dead && !done[i]) {
          st = ir_node_error(g, &g->nodes[i], DLF_ERR_PARSE,
                             "the graph has a cycle through this node (or an input is never produced)");
          goto out;
        }
    }
    done[pick] = true;
    order[count++] = pick;
    const ir_node *nd = &g->nodes[pick];
    for (int o = 0; o < nd->n_outputs; o++) {
      int t = nd->outputs[o];
      if (t < 0) continue;
      for (int j = 0; j < n; j++) {
        const ir_node *c = &g->nodes[j];
        if (c->dead || done[j]) continue;
        for (int k = 0; k < c->n_inputs; k++)
          if (c->inputs[k] == t) indeg[j]--;
        if (c->residual == t) indeg[j]--;
      }
    }
  }
  {
    ir_node *sorted = dlf_malloc_array((size_t)(count ? count : 1), sizeof *sorted);
    if (!sorted) {
      st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory sorting the graph", g->source);
      goto out;
    }
    for (int i = 0; i < count; i++) sorted[i] = g->nodes[order[i]];
    /* free what compaction drops */
    for (int i = 0; i < n; i++)
      if (g->nodes[i].dead) {
        ir_node *d = &g->nodes[i];
        free(d->name);
        free(d->inputs);
        free(d->outputs);
        for (int a = 0; a < d->n_attrs; a++) {
          free(d->attrs[a].name);
          free(d->attrs[a].s);
          free(d->attrs[a].floats);
          free(d->attrs[a].ints);
        }
        free(d->attrs);
      }
    free(g->nodes);
    g->nodes = sorted;
    g->n_nodes = count;
    g->cap_nodes = count ? count : 1;
    for (int t = 0; t < g->n_tensors; t++) g->tensors[t].producer = -1;
    for (int i = 0; i < count; i++)
      for (int o = 0; o < sorted[i].n_outputs; o++)
        if (sorted[i].outputs[o] >= 0) g->tensors[sorted[i].outputs[o]].producer = i;
  }
out:
  free(producer);
  free(indeg);
  free(order);
  free(done);
  return st;
}

dlf_status ir_graph_validate(const ir_graph *g) {
  for (int i = 0; i < g->n_nodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    if ((unsigned)n->op >= IR_OP_COUNT)
      return dlf_error(DLF_ERR_INTERNAL, "%s: node '%s' has an invalid op", g->source, n->name);
    for (int k = 0; k < n->n_inputs; k++) {
      int t = n->inputs[k];
      if (t < -1 || t >= g->n_tensors)
        return ir_node_error(g, n, DLF_ERR_INTERNAL, "input %d refers to no tensor", k);
      if (t < 0) continue;
      const ir_tensor *x = &g->tensors[t];
      bool is_input = false;
      for (int j = 0; j < g->n_inputs; j++) is_input |= g->inputs[j] == t;
      if (!x->data && !is_input && (x->producer < 0 || x->producer >= i))
        return ir_node_error(g, n, DLF_ERR_PARSE,
                             "input '%s' is not a graph input, an initializer or the output of an "
                             "earlier node",
                             x->name);
    }
  }
  for (int j = 0; j < g->n_outputs; j++) {
    const ir_tensor *x = &g->tensors[g->outputs[j]];
    bool is_input = false;
    for (int k = 0; k < g->n_inputs; k++) is_input |= g->inputs[k] == g->outputs[j];
    if (x->producer < 0 && !x->data && !is_input)
      return dlf_error(DLF_ERR_PARSE, "%s: graph output '%s' is produced by no node", g->source,
                       x->name);
  }
  return DLF_OK;
}
