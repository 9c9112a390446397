/* cost_accel.c — the accelerator's block time as the searches' block cost: the detailed
 * simulator (target_sim_block_time) when the target has one, else the first-order model
 * (target_accel_block_time). On an accelerator target it is the ground truth, so the DP over
 * it is the oracle the DLFusion strategy (a cost model fitted on a profile) is measured
 * against. Every strategy prices a block on an accelerator here, so a new
 * simulator is one change. */
#include <stdlib.h>

#include "core/checked.h"
#include "core/status.h"
#include "target/accel_sim.h"
#include "tune/tune.h"

dlf_status tune_accel_cost_init(const tune_problem *pr, const target *t, tune_accel_cost *out) {
  out->t = t;
  out->layers = NULL;
  out->io.counted = NULL;
  if (t->kind != TARGET_ACCEL)
    return dlf_error(DLF_ERR_INVALID_ARG,
                     "target '%s' is a cpu target: its block times are measured, not simulated",
                     t->name);
  out->layers = dlf_calloc_array((size_t)pr->n_layers + 1, sizeof *out->layers);
  if (!out->layers) return dlf_error(DLF_ERR_NOMEM, "out of memory setting up the simulator");
  for (int l = 0; l < pr->n_layers; l++)
    target_layer_from_info(t, &pr->info[l], &out->layers[l]);
  dlf_status st = tune_io_iter_init(pr, &out->io);
  if (st != DLF_OK) tune_accel_cost_free(out);
  return st;
}

void tune_accel_cost_free(tune_accel_cost *c) {
  free(c->layers);
  c->layers = NULL;
  tune_io_iter_free(&c->io);
}

double tune_cost_accel(void *ctx, const tune_problem *pr, int first, int last, int k) {
  tune_accel_cost *c = ctx;
  int64_t in, out;
  tune_io_iter_get(&c->io, first, last, &in, &out);
  target_block_time bt;
  if (target_block_time_of(c->t, c->layers + first, last - first + 1, k, in, out, &bt) != DLF_OK)
    return -1;
  return bt.total_us;
}
