/* explain.c — per block of a plan, the costs behind its choice (explain.h): every core number,
 * every split inside it, the merge with the next block. */
#include "tune/explain.h"

#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/status.h"

/* The least cost of [first, last] over the allowed core numbers; < 0 when none can. */
static double best_k(const tune_problem *pr, tune_cost_fn cost, void *ctx, int first, int last) {
  double best = -1;
  for (int c = 0; c < pr->n_core_numbers; c++) {
    const double v = cost(ctx, pr, first, last, pr->core_numbers[c]);
    if (v >= 0 && (best < 0 || v < best)) best = v;
  }
  return best;
}

void tune_explain_free(tune_block_why *w, int n_blocks) {
  for (int b = 0; w && b < n_blocks; b++) {
    free(w[b].at_k_us);
    free(w[b].split_us);
  }
  free(w);
}

dlf_status tune_explain(const tune_problem *pr, const plan *p, tune_cost_fn cost, void *ctx,
                        tune_block_why **out) {
  *out = NULL;
  tune_block_why *w = dlf_calloc_array((size_t)p->n_blocks + 1, sizeof *w);
  if (!w) return dlf_error(DLF_ERR_NOMEM, "out of memory explaining the plan");
  int first = 0;
  for (int b = 0; b < p->n_blocks; b++) {
    const plan_block *bl = &p->blocks[b];
    for (int j = 0; j < bl->n_layers; j++)
      if (bl->layers[j] != first + j) {
        tune_explain_free(w, p->n_blocks);
        return dlf_error(DLF_ERR_INVALID_ARG,
                         "plan block %d is not a run of consecutive layers: only such plans "
                         "can be explained",
                         b);
      }
    tune_block_why *x = &w[b];
    x->first = first;
    x->last = first + bl->n_layers - 1;
    x->cores = bl->cores;
    first += bl->n_layers;
  }
  for (int b = 0; b < p->n_blocks; b++) {
    tune_block_why *x = &w[b];
    x->at_k_us = dlf_calloc_array((size_t)pr->n_core_numbers, sizeof *x->at_k_us);
    x->split_us = dlf_calloc_array((size_t)(x->last - x->first) + 1, sizeof *x->split_us);
    if (!x->at_k_us || !x->split_us) {
      tune_explain_free(w, p->n_blocks);
      return dlf_error(DLF_ERR_NOMEM, "out of memory explaining the plan");
    }
    x->cost_us = cost(ctx, pr, x->first, x->last, x->cores);
    for (int c = 0; c < pr->n_core_numbers; c++)
      x->at_k_us[c] = cost(ctx, pr, x->first, x->last, pr->core_numbers[c]);
    for (int s = x->first + 1; s <= x->last; s++) {
      const double a = best_k(pr, cost, ctx, x->first, s - 1),
                   c = best_k(pr, cost, ctx, s, x->last);
      x->split_us[s - x->first - 1] = a >= 0 && c >= 0 ? a + c : -1;
    }
    x->merge_next_us = x->apart_next_us = -1;
    if (b + 1 < p->n_blocks) {
      const tune_block_why *y = &w[b + 1];
      const double a = best_k(pr, cost, ctx, x->first, x->last);
      const double c = best_k(pr, cost, ctx, y->first, y->last);
      x->apart_next_us = a >= 0 && c >= 0 ? a + c : -1;
      if (tune_can_fuse(pr, x->first, y->last))
        x->merge_next_us = best_k(pr, cost, ctx, x->first, y->last);
    }
    for (int l = x->first; l <= x->last; l++)
      x->macs += pr->info[l].macs, x->weight_bytes += pr->info[l].weight_bytes;
    tune_block_io(pr, x->first, x->last, &x->in_bytes, &x->out_bytes);
    x->in_channels = pr->info[x->first].in_channels;
    x->out_channels = pr->info[x->last].out_channels;
  }
  *out = w;
  return DLF_OK;
}
