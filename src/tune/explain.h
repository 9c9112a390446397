/* explain.h — why a plan's blocks are what they are, by a block cost: each block's cost at
 * every allowed core number, the best split at each boundary inside it and the merge with the
 * next block. The tuner's "tuner" record and dlf_plan_explain both come from here, so the
 * numbers `dlfusion explain` prints are the ones the plan was chosen by. */
#ifndef DLF_TUNE_EXPLAIN_H
#define DLF_TUNE_EXPLAIN_H

#include "plan/plan.h"
#include "tune/tune.h"

typedef struct tune_block_why {
  int first, last, cores;
  double cost_us;       /* at `cores`; < 0: the cost cannot say */
  double *at_k_us;      /* [n_core_numbers]: cost at each allowed core number (< 0: cannot) */
  double *split_us;     /* [last - first]: split before layer first + 1 + j, each half at its
                         * best core number (< 0: cannot) */
  double merge_next_us; /* this block and the next as one block at its best core number; < 0
                           when they may not fuse (not row-local, past the cap, last block) */
  double apart_next_us; /* the two as they are, each at its best core number */
  int64_t macs, weight_bytes, in_bytes, out_bytes, in_channels, out_channels;
} tune_block_why;

/* One entry per block of p (blocks of consecutive layers, else DLF_ERR_INVALID_ARG). */
dlf_status tune_explain(const tune_problem *pr, const plan *p, tune_cost_fn cost, void *ctx,
                        tune_block_why **out);
void tune_explain_free(tune_block_why *w, int n_blocks);

#endif
