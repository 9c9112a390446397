/* strategy.c — the tuning strategies: the same search (search.c) over different block costs —
 * the fitted model (dlfusion, greedy), the accelerator simulator or blocks measured on the CPU
 * (oracle) — and the baselines (none, blocks); the plan's "tuner" record. */
#include "tune/strategy.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/checked.h"
#include "core/json.h"
#include "tune/costmodel.h"
#include "tune/measure.h"
#include "tune/tune.h"

static const char *const strategy_names[TUNE_N_STRATEGIES] = {"dlfusion", "oracle", "greedy",
                                                              "none", "blocks"};

const char *tune_strategy_name(dlf_tune_strategy s) {
  return (int)s >= 0 && (int)s < TUNE_N_STRATEGIES ? strategy_names[s] : "?";
}

int tune_strategy_from_name(const char *name) {
  for (int i = 0; name && i < TUNE_N_STRATEGIES; i++)
    if (!strcmp(name, strategy_names[i])) return i;
  return -1;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static dlf_status simulate(const tune_problem *pr, const target *t, const plan *p, double *total,
                           double *block_us) {
  tune_accel_cost sim;
  DLF_TRY(tune_accel_cost_init(pr, t, &sim));
  double sum = 0;
  int first = 0;
  dlf_status st = DLF_OK;
  for (int b = 0; b < p->n_blocks && st == DLF_OK; b++) {
    const plan_block *bl = &p->blocks[b];
    for (int j = 0; j < bl->n_layers; j++)
      if (bl->layers[j] != first + j)
        st = dlf_error(DLF_ERR_INVALID_ARG,
                       "plan block %d is not a run of consecutive layers: the simulator needs "
                       "blocks of consecutive layers",
                       b);
    if (st != DLF_OK) break;
    double us = tune_cost_accel(&sim, pr, first, first + bl->n_layers - 1, bl->cores);
    if (us < 0)
      st = dlf_error(DLF_ERR_INVALID_ARG,
                     "plan block %d: %d cores is not an allowed core number of target '%s'", b,
                     bl->cores, t->name);
    if (block_us) block_us[b] = us;
    sum += us;
    first += bl->n_layers;
  }
  tune_accel_cost_free(&sim);
  if (st == DLF_OK) *total = sum;
  return st;
}

dlf_status tune_simulate_plan(const ir_graph *g, const char *spec, const target *t, const plan *p,
                              double *total_us, double *block_us) {
  if (p->target_cores > t->cores)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: the plan uses up to %d cores; target '%s' has %d",
                     spec, p->target_cores, t->name, t->cores);
  tune_problem pr;
  DLF_TRY(tune_problem_init(g, spec, t->cores, t->core_numbers, t->n_core_numbers, PLAN_MAX_CORES,
                            &pr));
  dlf_status st = simulate(&pr, t, p, total_us, block_us);
  tune_problem_free(&pr);
  return st;
}

/* A number of the record: %.6g as it always was; JSON has no NaN or infinity. */
static void put_number(dlf_jbuf *b, const char *key, double v) {
  dlf_jbuf_printf(b, ", \"%s\": ", key);
  if (isfinite(v))
    dlf_jbuf_printf(b, "%.6g", v);
  else
    dlf_jbuf_puts(b, "null");
}

/* {"strategy": ..., "target": ..., ...}: built with the JSON writer, so a target named
 * `a"b\c` is escaped and the plan reads back. */
static char *tuner_record(dlf_tune_strategy s, const target *t, const dlf_tune_result *r) {
  dlf_jbuf b = {0};
  dlf_jbuf_puts(&b, "{\"strategy\": ");
  dlf_jbuf_string(&b, tune_strategy_name(s));
  dlf_jbuf_puts(&b, ", \"target\": ");
  dlf_jbuf_string(&b, t->name);
  dlf_jbuf_printf(&b, ", \"target_fingerprint\": \"%016" PRIx64 "\"", t->fingerprint);
  put_number(&b, "cost_us", r->cost_us);
  put_number(&b, "simulated_us", r->simulated_us);
  put_number(&b, "search_ms", r->search_ms);
  dlf_jbuf_printf(&b, ", \"evaluations\": %" PRId64 "}", r->evaluations);
  if (b.failed) {
    free(b.s);
    return NULL;
  }
  return b.s;
}

dlf_status tune_strategy_run(const ir_graph *g, const char *spec, const target *t,
                             const tune_request *rq, plan **out, char **tuner,
                             dlf_tune_result *result) {
  *out = NULL;
  *tuner = NULL;
  const dlf_tune_strategy strat = rq->strategy;
  if ((int)strat < 0 || (int)strat >= TUNE_N_STRATEGIES)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: unknown strategy %d", spec, (int)strat);
  const bool needs_profile = strat == DLF_TUNE_DLFUSION || strat == DLF_TUNE_GREEDY;
  if (needs_profile && !rq->profile)
    return dlf_error(DLF_ERR_INVALID_ARG,
                     "%s: strategy '%s' needs a profile of target '%s' (dlfusion profile)", spec,
                     tune_strategy_name(strat), t->name);
  dlf_tune_result res = {0};
  tune_problem pr;
  DLF_TRY(tune_problem_init(g, spec, t->cores, t->core_numbers, t->n_core_numbers,
                            rq->max_block_layers, &pr));
  tune_model cm = {0};
  tune_measured meas = {0};
  plan *p = NULL;
  tune_stats ts = {0};
  dlf_status st = DLF_OK;
  const double t0 = now_ms();
  if (needs_profile && (st = tune_model_prepare(rq->profile, t, &pr, &cm)) != DLF_OK) goto done;
  switch (strat) {
  case DLF_TUNE_DLFUSION: st = tune_dp(&pr, tune_cost_model, &cm, &p, &ts); break;
  case DLF_TUNE_GREEDY: st = tune_greedy(&pr, tune_cost_model, &cm, &p, &ts); break;
  case DLF_TUNE_ORACLE:
    if (t->kind == TARGET_ACCEL) {
      tune_accel_cost sim;
      if ((st = tune_accel_cost_init(&pr, t, &sim)) != DLF_OK) break;
      st = tune_dp(&pr, tune_cost_accel, &sim, &p, &ts);
      tune_accel_cost_free(&sim);
    } else {
      st = tune_measure_blocks(&pr, rq->runs > 0 ? rq->runs : 5, rq->cfg, &meas);
      if (st == DLF_OK) st = tune_dp(&pr, tune_cost_measured, &meas, &p, &ts);
      ts.evaluations = meas.evaluations;
    }
    break;
  case DLF_TUNE_NONE:
    st = plan_unfused(g, spec, 1, &p);
    if (st == DLF_OK) p->target_cores = t->cores;
    break;
  case DLF_TUNE_BLOCKS: st = plan_fuse_blocks(g, spec, t->cores, &p); break;
  }
  res.search_ms = now_ms() - t0;
  if (st != DLF_OK) goto done;
  /* BLOCKS uses all cores: the largest allowed core number of the target. */
  if (strat == DLF_TUNE_BLOCKS)
    for (int b = 0; b < p->n_blocks; b++)
      p->blocks[b].cores = t->core_numbers[t->n_core_numbers - 1];
  res.cost_us = ts.cost_us;
  res.evaluations = ts.evaluations;
  if (t->kind == TARGET_ACCEL) {
    snprintf(p->target_name, sizeof p->target_name, "%s", t->name);
    if ((st = simulate(&pr, t, p, &res.simulated_us, NULL)) != DLF_OK) goto done;
  }
  if (!(*tuner = tuner_record(strat, t, &res))) {
    st = dlf_error(DLF_ERR_NOMEM, "out of memory recording the tuner");
    goto done;
  }
  *out = p;
  p = NULL;
  if (result) *result = res;
done:
  plan_free(p);
  tune_measured_free(&meas);
  tune_model_free(&cm);
  tune_problem_free(&pr);
  return st;
}
