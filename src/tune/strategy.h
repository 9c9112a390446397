/* strategy.h — the tuning strategies (dlfusion, oracle, greedy, none, blocks, allcores,
 * vendor): which block cost
 * each searches with, the plan it returns and the "tuner" record the plan keeps; and the
 * simulated latency of a plan on an accelerator. dlf_tune and dlf_plan_simulate are these
 * behind argument checks. */
#ifndef DLF_TUNE_STRATEGY_H
#define DLF_TUNE_STRATEGY_H

#include "dlfusion.h"
#include "ir/ir.h"
#include "kernels/kernels.h"
#include "plan/plan.h"
#include "target/target.h"
#include "tune/profile.h"

/* "dlfusion", "oracle", ...; "?" when out of range. from_name: -1 when unknown. */
const char *tune_strategy_name(dlf_tune_strategy s);
int tune_strategy_from_name(const char *name);
#define TUNE_N_STRATEGIES 7 /* DLF_TUNE_DLFUSION .. DLF_TUNE_VENDOR */

typedef struct tune_request {
  dlf_tune_strategy strategy;
  const profile *profile; /* DLFUSION, GREEDY: a profile of the target (required) */
  int max_block_layers;   /* DLFUSION, GREEDY, ORACLE on a CPU: 0 = TUNE_DEFAULT_MAX_BLOCK_LAYERS
                             (the accelerator oracle and VENDOR are never capped) */
  int runs;               /* ORACLE, VENDOR on a CPU: timed runs per measured plan; 0 = 5 */
  const kern_config *cfg; /* ORACLE, VENDOR on a CPU: the kernels measured (NULL =
                             kern_config_get()) */
  int skip_references;    /* accelerators: no none / vendor / oracle in the record */
  double validate_s;      /* DLFUSION on a CPU: measured validation budget (0 = none) */
  int block_model;        /* DLFUSION, GREEDY: a tune_block_model (0 = the default) */
} tune_request;

/* The plan of g (a model's optimized graph; spec is recorded in the plan) on target t. *tuner
 * gets the plan's "tuner" record, a malloc'd JSON object text (docs/tuning.md: the strategy,
 * its numbers, the cap it searched with and, on an accelerator, the simulated latency of none,
 * vendor and the exact oracle with the plan's ratios to them); res the plan's own numbers. */
dlf_status tune_strategy_run(const ir_graph *g, const char *spec, const target *t,
                             const tune_request *rq, plan **out, char **tuner,
                             dlf_tune_result *res);

/* The simulated microseconds of plan p (blocks of consecutive layers) of g on accelerator t,
 * in total and per block when block_us != NULL. */
dlf_status tune_simulate_plan(const ir_graph *g, const char *spec, const target *t, const plan *p,
                              double *total_us, double *block_us);

#endif
