/* channel_shuffle.c — ShuffleNet's channel shuffle as exported (Reshape [N,C,H,W] ->
 * [N,g,C/g,H,W], Transpose (0,2,1,3,4), Reshape back to [N,C,H,W]) becomes one Gather of
 * channels with constant indices: a permutation the engine runs per pixel, where the three
 * nodes would each copy the tensor (two of them through 5-D layouts no fast step knows). */
#include <stdio.h>
#include <stdlib.h>

#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

static bool dims_are(const ir_tensor *t, int nd, const int64_t *d) {
  if (t->ndim != nd) return false;
  for (int i = 0; i < nd; i++)
    if (t->dims[i] != d[i]) return false;
  return true;
}

/* Transpose n swaps axes 1 and 2 of a 5-D tensor and nothing else. */
static bool swaps_1_2(const ir_node *n) {
  int64_t perm[6];
  if (ir_node_ints(n, "perm", perm, 6) != 5) return false;
  static const int64_t want[5] = {0, 2, 1, 3, 4};
  for (int i = 0; i < 5; i++)
    if (perm[i] != want[i]) return false;
  return true;
}

dlf_status ir_pass_channel_shuffle(ir_graph *g) {
  const int n_nodes = g->n_nodes;
  for (int i = 0; i < n_nodes; i++) {
    const ir_node *r2 = &g->nodes[i];
    if (r2->dead || r2->op != IR_OP_RESHAPE || r2->n_outputs != 1 || r2->outputs[0] < 0) continue;
    if (r2->act != IR_ACT_NONE || r2->residual >= 0) continue;
    const int t = r2->inputs[0], y = r2->outputs[0];
    const int ti = pass_producer(g, t);
    if (ti < 0 || g->nodes[ti].op != IR_OP_TRANSPOSE || !swaps_1_2(&g->nodes[ti])) continue;
    if (pass_sole_consumer(g, t) != i) continue;
    const int r1t = g->nodes[ti].inputs[0];
    const int r1i = pass_producer(g, r1t);
    if (r1i < 0 || g->nodes[r1i].op != IR_OP_RESHAPE || pass_sole_consumer(g, r1t) != ti) continue;
    const int x = g->nodes[r1i].inputs[0];
    const ir_tensor *xt = &g->tensors[x], *r1 = &g->tensors[r1t];
    if (xt->ndim != 4 || xt->dtype != IR_F32 || r1->ndim != 5) continue;
    const int64_t N = xt->dims[0], C = xt->dims[1], H = xt->dims[2], W = xt->dims[3];
    const int64_t grp = r1->dims[1], per = r1->dims[2];
    const int64_t d5[5] = {N, grp, per, H, W}, d4[4] = {N, C, H, W};
    if (grp < 1 || per < 1 || grp * per != C || !dims_are(r1, 5, d5)) continue;
    if (!dims_are(&g->tensors[y], 4, d4)) continue;
    /* Output channel j * grp + k is input channel k * per + j. */
    int64_t *idx = malloc((size_t)C * sizeof *idx);
    if (!idx) return dlf_error(DLF_ERR_NOMEM, "out of memory in the channel-shuffle pass");
    for (int64_t k = 0; k < grp; k++)
      for (int64_t j = 0; j < per; j++)
        idx[j * grp + k] = k * per + j;
    char name[256];
    snprintf(name, sizeof name, "%.200s_shuffle", g->nodes[i].name ? g->nodes[i].name : "shuffle");
    int it, gi;
    const int64_t dc[1] = {C};
    DLF_TRY(ir_graph_add_constant(g, NULL, IR_I64, 1, dc, idx, &it));
    const int ins[2] = {x, it}, outs[1] = {y};
    const int opset = g->nodes[i].opset;
    DLF_TRY(ir_graph_add_node(g, name, IR_OP_GATHER, 2, ins, 1, outs, &gi));
    g->nodes[gi].opset = opset;
    DLF_TRY(ir_node_set_int(&g->nodes[gi], "axis", 1));
    g->nodes[i].dead = g->nodes[ti].dead = g->nodes[r1i].dead = true;
    g->tensors[y].producer = gi;
  }
  return DLF_OK;
}
