/* drop_dead_taps.c — a 2-D Conv whose outer kernel rows or columns read only padding for every
 * output pixel (DeepLabV3's ASPP: 3x3 convs with dilation 24 and 36 over a 20x20 map, where
 * only the centre tap ever lands inside the input) computes nothing with them: the kernel is
 * cut to its live taps and the pads shrink to match, so the output is unchanged (those taps
 * multiply zeros) and the work falls by up to k^2 times. A rule from the layer's geometry
 * alone; no threshold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

/* Along one axis (input size in, output size out, kernel k, stride s, dilation d, leading pad
 * p): the first and last taps that read some input row for some output row. Tap i reads rows
 * o * s - p + i * d for o < out; it is live when that range meets [0, in). */
static bool live_taps(int64_t in, int64_t out, int64_t k, int64_t s, int64_t d, int64_t p,
                      int64_t *first, int64_t *last) {
  *first = -1, *last = -1;
  for (int64_t i = 0; i < k; i++) {
    /* the first output row whose tap-i row is >= 0, then whether that row is < in */
    const int64_t need = p - i * d;
    const int64_t o = need <= 0 ? 0 : (need + s - 1) / s;
    if (o < out && o * s - need < in) {
      if (*first < 0) *first = i;
      *last = i;
    }
  }
  return *first >= 0;
}

static dlf_status cut(ir_graph *g, int ni) {
  ir_node *n = &g->nodes[ni];
  const ir_tensor *x = ir_node_input(g, n, 0), *w = ir_node_input(g, n, 1);
  const ir_tensor *y = ir_node_output(g, n, 0);
  if (!x || !w || !y || x->ndim != 4 || w->ndim != 4 || !w->data || w->dtype != IR_F32) return DLF_OK;
  const char *ap = ir_node_string(n, "auto_pad", "NOTSET");
  if (strcmp(ap, "NOTSET") && ap[0]) return DLF_OK;
  int64_t pads[4] = {0, 0, 0, 0}, st[2] = {1, 1}, dl[2] = {1, 1};
  if (ir_node_ints(n, "pads", pads, 4) > 4 || ir_node_ints(n, "strides", st, 2) > 2 ||
      ir_node_ints(n, "dilations", dl, 2) > 2)
    return DLF_OK;
  int64_t f[2], l[2];
  for (int a = 0; a < 2; a++)
    if (!live_taps(x->dims[2 + a], y->dims[2 + a], w->dims[2 + a], st[a], dl[a], pads[a], &f[a],
                   &l[a]))
      return DLF_OK; /* every tap dead: an all-bias output; leave it to the kernels */
  if (f[0] == 0 && l[0] == w->dims[2] - 1 && f[1] == 0 && l[1] == w->dims[3] - 1) return DLF_OK;
  int64_t k2[2], np[4];
  for (int a = 0; a < 2; a++) {
    k2[a] = l[a] - f[a] + 1;
    np[a] = pads[a] - f[a] * dl[a]; /* the new first tap reads where tap f did */
    /* the end pad that keeps the output size: (out - 1) s + span' = in + p_begin' + p_end' */
    np[a + 2] = (y->dims[2 + a] - 1) * st[a] + (k2[a] - 1) * dl[a] + 1 - x->dims[2 + a] - np[a];
    if (np[a] < 0 || np[a + 2] < 0) return DLF_OK;
  }
  const int64_t M = w->dims[0], Cg = w->dims[1], KH = w->dims[2], KW = w->dims[3];
  float *v = dlf_malloc_array((size_t)(M * Cg * k2[0] * k2[1]), sizeof *v);
  if (!v) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory cutting a kernel");
  const float *src = w->data;
  for (int64_t m = 0; m < M * Cg; m++)
    for (int64_t i = 0; i < k2[0]; i++)
      for (int64_t j = 0; j < k2[1]; j++)
        v[(m * k2[0] + i) * k2[1] + j] = src[(m * KH + f[0] + i) * KW + f[1] + j];
  const int64_t wd[4] = {M, Cg, k2[0], k2[1]};
  char base[256];
  snprintf(base, sizeof base, "%.200s", w->name ? w->name : "weight");
  int wt;
  DLF_TRY(pass_add_const_f32(g, base, "_live", 4, wd, v, &wt));
  n = &g->nodes[ni];
  n->inputs[1] = wt;
  DLF_TRY(ir_node_set_ints(n, "pads", np, 4));
  DLF_TRY(ir_node_set_ints(n, "kernel_shape", k2, 2));
  for (int a = 0; a < 2; a++)
    if (k2[a] == 1) dl[a] = 1; /* one tap: dilation means nothing, and 1 is the fast path */
  return ir_node_set_ints(n, "dilations", dl, 2);
}

dlf_status ir_pass_drop_dead_taps(ir_graph *g) {
  for (int i = 0; i < g->n_nodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead || n->op != IR_OP_CONV || n->n_inputs < 2 || n->n_outputs != 1) continue;
    DLF_TRY(cut(g, i));
  }
  return DLF_OK;
}
