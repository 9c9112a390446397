/* explain_api.c — dlf_plan_tuner (the plan's "tuner" record read back) and dlf_plan_explain
 * (the per-block costs of src/tune/explain.c behind handles). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/model.h"
#include "api/plan_internal.h"
#include "api/profile_internal.h"
#include "api/target_internal.h"
#include "core/checked.h"
#include "core/json.h"
#include "core/status.h"
#include "tune/costmodel.h"
#include "tune/explain.h"
#include "tune/strategy.h"

struct dlf_explanation {
  const char *cost;
  int n_blocks, n_k;
  int *core_numbers;
  tune_block_why *why;
  double *sim_us, *recorded_us; /* per block; -1 unknown */
};

static double num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The record parsed, or NULL (with an error) when there is none. */
static dlf_status record(const dlf_plan *p, cJSON **out) {
  *out = NULL;
  if (!p->extra.tuner)
    return dlf_error(DLF_ERR_INVALID_ARG,
                     "%s: the plan has no tuner record (it was not made by dlfusion tune)",
                     dlf_plan_source(p));
  return dlf_json_parse(dlf_plan_source(p), p->extra.tuner, strlen(p->extra.tuner), 64, out);
}

dlf_status dlf_plan_tuner(const dlf_plan *p, dlf_tuner_info *out) {
  dlf_error_clear();
  if (!p || !out) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_plan_tuner: an argument is NULL");
  cJSON *r;
  DLF_TRY(record(p, &r));
  memset(out, 0, sizeof *out);
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(r, "strategy");
  const int si = cJSON_IsString(s) ? tune_strategy_from_name(s->valuestring) : -1;
  out->strategy = si >= 0 ? tune_strategy_name((dlf_tune_strategy)si) : "?";
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(r, "cost");
  out->cost = !cJSON_IsString(c)                     ? ""
              : !strcmp(c->valuestring, "model")     ? "model"
              : !strcmp(c->valuestring, "simulator") ? "simulator"
              : !strcmp(c->valuestring, "measured")  ? "measured"
                                                     : "";
  out->cost_us = num(r, "cost_us");
  out->simulated_us = num(r, "simulated_us");
  out->none_us = num(r, "none_us");
  out->vendor_us = num(r, "vendor_us");
  out->oracle_us = num(r, "oracle_us");
  const double cap = num(r, "max_block_layers");
  out->max_block_layers = isfinite(cap) ? (int)cap : 0;
  const cJSON *b = cJSON_GetObjectItemCaseSensitive(r, "blocks");
  out->n_blocks = cJSON_IsArray(b) && cJSON_GetArraySize(b) == dlf_plan_num_blocks(p)
                      ? cJSON_GetArraySize(b)
                      : 0;
  cJSON_Delete(r);
  return DLF_OK;
}

void dlf_explanation_free(dlf_explanation *e) {
  if (!e) return;
  tune_explain_free(e->why, e->n_blocks);
  free(e->core_numbers);
  free(e->sim_us);
  free(e->recorded_us);
  free(e);
}

dlf_status dlf_plan_explain(const dlf_model *model, const dlf_target *tgt,
                            const dlf_profile *prof_h, const dlf_plan *plan_h,
                            dlf_explanation **out) {
  dlf_error_clear();
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_plan_explain: out is NULL");
  *out = NULL;
  if (!model || !tgt || !plan_h)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_plan_explain: %s is NULL",
                     !model ? "model"
                     : !tgt ? "target"
                            : "plan");
  const target *t = dlf_target_get(tgt);
  const plan *p = dlf_plan_get(plan_h);
  if (!prof_h && t->kind != TARGET_ACCEL)
    return dlf_error(DLF_ERR_INVALID_ARG,
                     "%s: explaining a cpu plan needs the profile it was tuned with "
                     "(dlfusion profile -o FILE; --profile FILE)",
                     dlf_plan_source(plan_h));
  /* The cap the plan was searched with decides which merges were candidates. */
  int cap = TUNE_UNCAPPED;
  cJSON *r = NULL;
  if (plan_h->extra.tuner) {
    DLF_TRY(record(plan_h, &r));
    const double c = num(r, "max_block_layers");
    if (isfinite(c) && c >= 1) cap = (int)c;
  }
  dlf_explanation *e = calloc(1, sizeof *e);
  tune_problem pr;
  tune_model cm = {0};
  tune_accel_cost sim = {0};
  bool have_pr = false;
  dlf_status st = DLF_OK;
  if (!e) {
    st = dlf_error(DLF_ERR_NOMEM, "out of memory explaining the plan");
    goto done;
  }
  if ((st = tune_problem_init(model->graph, model->spec, t->cores, t->core_numbers,
                              t->n_core_numbers, cap, &pr)) != DLF_OK)
    goto done;
  have_pr = true;
  if (prof_h) {
    if ((st = tune_model_prepare(dlf_profile_get(prof_h), t, &pr, &cm)) != DLF_OK) goto done;
    e->cost = "model";
    st = tune_explain(&pr, p, tune_cost_model, &cm, &e->why);
  } else {
    if ((st = tune_accel_cost_init(&pr, t, &sim)) != DLF_OK) goto done;
    e->cost = "simulator";
    st = tune_explain(&pr, p, tune_cost_accel, &sim, &e->why);
  }
  if (st != DLF_OK) goto done;
  e->n_blocks = p->n_blocks;
  e->n_k = pr.n_core_numbers;
  e->core_numbers = dlf_calloc_array((size_t)e->n_k + 1, sizeof *e->core_numbers);
  e->sim_us = dlf_calloc_array((size_t)e->n_blocks + 1, sizeof *e->sim_us);
  e->recorded_us = dlf_calloc_array((size_t)e->n_blocks + 1, sizeof *e->recorded_us);
  if (!e->core_numbers || !e->sim_us || !e->recorded_us) {
    st = dlf_error(DLF_ERR_NOMEM, "out of memory explaining the plan");
    goto done;
  }
  memcpy(e->core_numbers, pr.core_numbers, (size_t)e->n_k * sizeof *e->core_numbers);
  for (int b = 0; b < e->n_blocks; b++)
    e->sim_us[b] = e->recorded_us[b] = -1;
  if (t->kind == TARGET_ACCEL) {
    double total;
    if ((st = tune_simulate_plan(model->graph, model->spec, t, p, &total, e->sim_us)) != DLF_OK)
      goto done;
  }
  const cJSON *blocks = r ? cJSON_GetObjectItemCaseSensitive(r, "blocks") : NULL;
  if (cJSON_IsArray(blocks) && cJSON_GetArraySize(blocks) == e->n_blocks)
    for (int b = 0; b < e->n_blocks; b++) {
      const double v = num(cJSON_GetArrayItem(blocks, b), "cost_us");
      e->recorded_us[b] = isfinite(v) ? v : -1;
    }
done:
  cJSON_Delete(r);
  tune_accel_cost_free(&sim);
  tune_model_free(&cm);
  if (have_pr) tune_problem_free(&pr);
  if (st != DLF_OK) {
    dlf_explanation_free(e);
    return st;
  }
  *out = e;
  return DLF_OK;
}

const char *dlf_explanation_cost(const dlf_explanation *e) { return e ? e->cost : ""; }

int dlf_explanation_num_blocks(const dlf_explanation *e) { return e ? e->n_blocks : 0; }

dlf_status dlf_explanation_block(const dlf_explanation *e, int b, dlf_block_explanation *out) {
  dlf_error_clear();
  if (!e || !out)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_explanation_block: an argument is NULL");
  if (b < 0 || b >= e->n_blocks)
    return dlf_error(DLF_ERR_INVALID_ARG, "block %d out of range (the plan has %d)", b,
                     e->n_blocks);
  const tune_block_why *w = &e->why[b];
  *out = (dlf_block_explanation){.block = b,
                                 .first_layer = w->first,
                                 .last_layer = w->last,
                                 .cores = w->cores,
                                 .macs = w->macs,
                                 .weight_bytes = w->weight_bytes,
                                 .in_bytes = w->in_bytes,
                                 .out_bytes = w->out_bytes,
                                 .in_channels = w->in_channels,
                                 .out_channels = w->out_channels,
                                 .cost_us = w->cost_us,
                                 .n_core_numbers = e->n_k,
                                 .core_numbers = e->core_numbers,
                                 .at_cores_us = w->at_k_us,
                                 .n_splits = w->last - w->first,
                                 .split_us = w->split_us,
                                 .merge_next_us = w->merge_next_us,
                                 .apart_next_us = w->apart_next_us,
                                 .simulated_us = e->sim_us[b],
                                 .recorded_us = e->recorded_us[b]};
  return DLF_OK;
}
