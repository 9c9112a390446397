/* tune_api.c — dlf_tune and dlf_plan_simulate: argument checks and handle wrapping around the
 * strategies of src/tune/strategy.c. */
#include <stdlib.h>

#include "api/model.h"
#include "api/plan_internal.h"
#include "api/profile_internal.h"
#include "api/target_internal.h"
#include "core/status.h"
#include "tune/strategy.h"

const char *dlf_tune_strategy_name(dlf_tune_strategy s) { return tune_strategy_name(s); }

int dlf_tune_strategy_from_name(const char *name) { return tune_strategy_from_name(name); }

dlf_status dlf_plan_simulate(const dlf_model *model, const dlf_target *tgt, const dlf_plan *plan_h,
                             double *total_us, double *block_us) {
  dlf_error_clear();
  if (!model || !tgt || !plan_h || !total_us)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_plan_simulate: an argument is NULL");
  return tune_simulate_plan(model->graph, model->spec, dlf_target_get(tgt), dlf_plan_get(plan_h),
                            total_us, block_us);
}

dlf_status dlf_tune(const dlf_model *model, const dlf_target *tgt, const dlf_tune_options *opts,
                    dlf_plan **out, dlf_tune_result *result) {
  dlf_error_clear();
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_tune: out is NULL");
  *out = NULL;
  if (!model || !tgt || !opts)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_tune: %s is NULL",
                     !model ? "model"
                     : !tgt ? "target"
                            : "options");
  if ((int)opts->strategy < 0 || (int)opts->strategy >= TUNE_N_STRATEGIES)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_tune: unknown strategy %d", (int)opts->strategy);
  if (opts->max_block_layers < 0 || opts->max_block_layers > 64)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_tune: max_block_layers %d out of range (0 to 64)",
                     opts->max_block_layers);
  if (!(opts->validate_s >= 0 && opts->validate_s <= 86400))
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_tune: validate_s %g out of range (0 to 86400)",
                     opts->validate_s);
  if (opts->runs < 0 || opts->runs > 1000)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_tune: runs %d out of range (0 to 1000)", opts->runs);
  if (opts->block_model < 0 || opts->block_model > 2)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_tune: block_model %d out of range (0 to 2)",
                     opts->block_model);
  tune_request rq = {opts->strategy, dlf_profile_get(opts->profile), opts->max_block_layers,
                     opts->runs, NULL, opts->skip_references, opts->validate_s,
                     opts->block_model};
  plan *p;
  char *tuner;
  dlf_tune_result res;
  DLF_TRY(tune_strategy_run(model->graph, model->spec, dlf_target_get(tgt), &rq, &p, &tuner, &res));
  dlf_status st = dlf_plan_wrap_model(model, p, model->spec, out);
  if (st == DLF_OK)
    (*out)->extra.tuner = tuner;
  else
    free(tuner);
  if (result && st == DLF_OK) *result = res;
  return st;
}
