/* plan_heuristic.c — the rule-of-thumb fused plan: each model's natural blocks (a VGG conv
 * stage up to its pool, a ResNet basic or bottleneck block, a MobileNetV2 inverted
 * residual, a SqueezeNet fire module) fused, everything else unfused, every block on all
 * cores, tile heights and algorithms left to the engine. Found from the graph's structure,
 * not from layer names, so it applies to ONNX files and zoo models alike. It is the
 * baseline the tuner must beat, and what `dlfusion plan --fuse blocks` writes. */
#include <stdlib.h>

#include "core/checked.h"
#include "plan/plan.h"

/* Where a natural block starts: after a pool (VGG stages, the ResNet stem), after a layer
 * with a residual add (ResNet blocks, MobileNetV2 residual blocks), after a conv with no
 * activation (MobileNetV2's linear projection), after a concat (fire modules). */
static bool starts_block(const ir_graph *g, const ir_node *n) {
  int t = n->n_inputs > 0 ? n->inputs[0] : -1;
  if (t < 0 || g->tensors[t].producer < 0) return true;
  const ir_node *p = &g->nodes[g->tensors[t].producer];
  return p->op == IR_OP_MAXPOOL || p->op == IR_OP_AVERAGEPOOL || p->residual >= 0 ||
         p->op == IR_OP_CONCAT || (p->op == IR_OP_CONV && p->act == IR_ACT_NONE);
}

dlf_status plan_fuse_blocks(const ir_graph *g, const char *model, int cores, plan **out) {
  plan *p;
  DLF_TRY(plan_unfused(g, model, cores, &p));
  const int n = p->n_blocks;
  int *node = dlf_malloc_array((size_t)n + 1, sizeof *node);
  if (!node) {
    plan_free(p);
    return dlf_error(DLF_ERR_NOMEM, "%s: out of memory making a plan", g->source);
  }
  plan_layer_nodes(g, node);
  /* Merge runs of single-layer blocks in place: block k takes layers [l, l + len). */
  int k = 0;
  for (int l = 0; l < n;) {
    int len = 1;
    if (plan_layer_row_local(g, &g->nodes[node[l]]))
      while (l + len < n && plan_layer_row_local(g, &g->nodes[node[l + len]]) &&
             !starts_block(g, &g->nodes[node[l + len]]))
        len++;
    plan_block *b = &p->blocks[k];
    if (len > 1) {
      int *layers = dlf_malloc_array((size_t)len, sizeof *layers);
      plan_algo *algo = dlf_calloc_array((size_t)len, sizeof *algo);
      if (!layers || !algo) {
        free(layers);
        free(algo);
        free(node);
        plan_free(p);
        return dlf_error(DLF_ERR_NOMEM, "%s: out of memory making a plan", g->source);
      }
      for (int j = 0; j < len; j++)
        layers[j] = l + j;
      free(b->layers);
      free(b->algo);
      b->layers = layers;
      b->algo = algo;
      b->n_layers = len;
    } else {
      b->layers[0] = l;
    }
    k++;
    l += len;
  }
  for (int j = k; j < n; j++) {
    free(p->blocks[j].layers);
    free(p->blocks[j].algo);
  }
  p->n_blocks = k;
  free(node);
  *out = p;
  return DLF_OK;
}
