/* strategy.c — the tuning strategies: the same search (search.c) over different block costs —
 * the fitted model (dlfusion, greedy), the accelerator simulator or blocks measured on the CPU
 * (oracle) — and the baselines (none, allcores, vendor, blocks); the plan's "tuner" record,
 * which on an accelerator also compares the plan with none, vendor and the exact oracle. */
#include "tune/strategy.h"
#include "tune/validate.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/checked.h"
#include "core/json.h"
#include "tune/costmodel.h"
#include "tune/explain.h"
#include "tune/measure.h"
#include "tune/tune.h"

/* indexed by dlf_tune_strategy */
static const char *const strategy_names[TUNE_N_STRATEGIES] = {
    "dlfusion", "oracle", "greedy", "none", "blocks", "allcores", "vendor"};

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

/* What a plan is compared with on an accelerator (simulated microseconds): each layer alone on
 * one core, the vendor's default and the exact (uncapped) oracle. A value >= 0 on entry is
 * known already (the plan being recorded is that strategy's) and not searched again: the
 * oracle's O(L^2 K) evaluations are most of the time on long fusable runs (DenseNet). */
typedef struct tune_refs {
  double none_us, vendor_us, oracle_us;
} tune_refs;

static dlf_status accel_refs(const ir_graph *g, const char *spec, const target *t,
                             tune_refs *r) {
  tune_problem pr;
  DLF_TRY(tune_problem_init(g, spec, t->cores, t->core_numbers, t->n_core_numbers, TUNE_UNCAPPED,
                            &pr));
  tune_accel_cost sim;
  dlf_status st = tune_accel_cost_init(&pr, t, &sim);
  if (st != DLF_OK) {
    tune_problem_free(&pr);
    return st;
  }
  plan *p = NULL;
  tune_stats ts;
  r->none_us = 0;
  for (int l = 0; l < pr.n_layers && st == DLF_OK; l++) {
    double us = tune_cost_accel(&sim, &pr, l, l, pr.core_numbers[0]);
    if (us < 0) st = dlf_error(DLF_ERR_INVALID_ARG, "%s: layer #%d cannot run alone", spec, l);
    r->none_us += us;
  }
  if (st == DLF_OK && r->vendor_us < 0 &&
      (st = tune_vendor(&pr, tune_cost_accel, &sim, &p, &ts)) == DLF_OK)
    r->vendor_us = ts.cost_us;
  plan_free(p);
  p = NULL;
  if (st == DLF_OK && r->oracle_us < 0 &&
      (st = tune_dp(&pr, tune_cost_accel, &sim, &p, &ts)) == DLF_OK)
    r->oracle_us = ts.cost_us;
  plan_free(p);
  tune_accel_cost_free(&sim);
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
 * `a"b\c` is escaped and the plan reads back. cap: the longest block the search considered,
 * 0 = no limit (null). refs: NULL on a CPU, where nothing else is known without measuring
 * (the comparisons are null). */
/* The record's per-block part: what each block costs by the cost the strategy decided with
 * (cost_source: "model", "simulator" or "measured"), at its core number and at every allowed
 * one, and on an accelerator what the simulator says of it (sim_us; NULL on a CPU). The same
 * numbers dlf_plan_explain recomputes (explain.c). */
static void put_blocks(dlf_jbuf *b, const tune_problem *pr, const char *cost_source,
                       const tune_block_why *why, int n_blocks, const double *sim_us) {
  dlf_jbuf_puts(b, ", \"cost\": ");
  dlf_jbuf_string(b, cost_source);
  dlf_jbuf_puts(b, ", \"core_numbers\": [");
  for (int c = 0; c < pr->n_core_numbers; c++)
    dlf_jbuf_printf(b, "%s%d", c ? ", " : "", pr->core_numbers[c]);
  dlf_jbuf_puts(b, "], \"blocks\": [");
  for (int i = 0; i < n_blocks; i++) {
    dlf_jbuf_printf(b, "%s{\"cores\": %d", i ? ", " : "", why[i].cores);
    put_number(b, "cost_us", why[i].cost_us >= 0 ? why[i].cost_us : NAN);
    if (sim_us) put_number(b, "simulated_us", sim_us[i]);
    dlf_jbuf_puts(b, ", \"at_cores_us\": [");
    for (int c = 0; c < pr->n_core_numbers; c++) {
      const double v = why[i].at_k_us[c];
      if (v >= 0)
        dlf_jbuf_printf(b, "%s%.6g", c ? ", " : "", v);
      else
        dlf_jbuf_printf(b, "%snull", c ? ", " : "");
    }
    dlf_jbuf_puts(b, "]}");
  }
  dlf_jbuf_puts(b, "]");
}

static char *tuner_record(dlf_tune_strategy s, const target *t, const dlf_tune_result *r,
                          int cap, const tune_refs *refs, const tune_validation *val,
                          const tune_problem *pr, const char *cost_source,
                          const tune_block_why *why, int n_blocks, const double *sim_us) {
  dlf_jbuf b = {0};
  dlf_jbuf_puts(&b, "{\"strategy\": ");
  dlf_jbuf_string(&b, tune_strategy_name(s));
  dlf_jbuf_puts(&b, ", \"target\": ");
  dlf_jbuf_string(&b, t->name);
  dlf_jbuf_printf(&b, ", \"target_fingerprint\": \"%016" PRIx64 "\"", t->fingerprint);
  put_number(&b, "cost_us", r->cost_us);
  put_number(&b, "simulated_us", r->simulated_us);
  put_number(&b, "search_ms", r->search_ms);
  dlf_jbuf_printf(&b, ", \"evaluations\": %" PRId64, r->evaluations);
  if (cap > 0)
    dlf_jbuf_printf(&b, ", \"max_block_layers\": %d", cap);
  else
    dlf_jbuf_puts(&b, ", \"max_block_layers\": null");
  const double us = r->simulated_us, nan = NAN;
  put_number(&b, "none_us", refs ? refs->none_us : nan);
  put_number(&b, "vendor_us", refs ? refs->vendor_us : nan);
  put_number(&b, "oracle_us", refs ? refs->oracle_us : nan);
  put_number(&b, "speedup_over_none", refs && us > 0 ? refs->none_us / us : nan);
  put_number(&b, "vs_oracle", refs && refs->oracle_us > 0 ? us / refs->oracle_us : nan);
  put_number(&b, "vs_vendor", refs && refs->vendor_us > 0 ? us / refs->vendor_us : nan);
  if (val) tune_validation_json(val, &b);
  if (why) put_blocks(&b, pr, cost_source, why, n_blocks, sim_us);
  dlf_jbuf_puts(&b, "}");
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
  const bool accel = t->kind == TARGET_ACCEL;
  /* The searches that respect a block-length cap: the fitted ones (a measured choice,
   * TUNE_DEFAULT_MAX_BLOCK_LAYERS) and the CPU oracle (its measuring time grows with the cap
   * squared; its record says the cap). The accelerator oracle is exact over the whole space
   * and the vendor fuses whole maximal runs: neither is capped. */
  const bool capped = needs_profile || (strat == DLF_TUNE_ORACLE && !accel);
  dlf_tune_result res = {0};
  tune_problem pr;
  DLF_TRY(tune_problem_init(g, spec, t->cores, t->core_numbers, t->n_core_numbers,
                            capped ? rq->max_block_layers : TUNE_UNCAPPED, &pr));
  const int runs = rq->runs > 0 ? rq->runs : 5;
  const int k_min = t->core_numbers[0], k_max = t->core_numbers[t->n_core_numbers - 1];
  tune_model cm = {0};
  tune_measured meas = {0};
  tune_measured_runs mruns = {0};
  tune_accel_cost sim = {0};
  tune_refs refs;
  tune_validation val = {0};
  bool validated = false;
  plan *p = NULL;
  tune_stats ts = {0};
  tune_block_why *why = NULL;
  double *sim_us = NULL;
  dlf_status st = DLF_OK;
  const double t0 = now_ms();
  if (needs_profile && (st = tune_model_prepare_with(rq->profile, t, &pr,
                                                       (tune_block_model)rq->block_model, &cm)) != DLF_OK) goto done;
  if (accel && (strat == DLF_TUNE_ORACLE || strat == DLF_TUNE_VENDOR) &&
      (st = tune_accel_cost_init(&pr, t, &sim)) != DLF_OK)
    goto done;
  switch (strat) {
  case DLF_TUNE_DLFUSION:
    if (!accel && rq->validate_s > 0) {
      const tune_validate_options vo = {rq->validate_s, rq->runs, 0, rq->cfg};
      st = tune_validate_cpu(&pr, tune_cost_model, &cm, &vo, &p, &val);
      validated = st == DLF_OK;
    } else {
      st = tune_dp(&pr, tune_cost_model, &cm, &p, &ts);
    }
    break;
  case DLF_TUNE_GREEDY: st = tune_greedy(&pr, tune_cost_model, &cm, &p, &ts); break;
  case DLF_TUNE_ORACLE:
    if (accel) {
      st = tune_dp(&pr, tune_cost_accel, &sim, &p, &ts);
    } else {
      st = tune_measure_blocks(&pr, runs, rq->cfg, &meas);
      if (st == DLF_OK) st = tune_dp(&pr, tune_cost_measured, &meas, &p, &ts);
      ts.evaluations = meas.evaluations;
    }
    break;
  case DLF_TUNE_VENDOR:
    if (accel) {
      st = tune_vendor(&pr, tune_cost_accel, &sim, &p, &ts);
    } else if ((st = tune_measured_runs_init(&pr, runs, rq->cfg, &mruns)) == DLF_OK) {
      st = tune_vendor(&pr, tune_cost_measured_runs, &mruns, &p, &ts);
      if (mruns.status != DLF_OK) st = mruns.status; /* the measurement's own message */
      ts.evaluations = mruns.evaluations;
    }
    break;
  case DLF_TUNE_NONE:
  case DLF_TUNE_ALLCORES:
    /* each layer alone on one core (the smallest allowed core number: 1 on every target so
     * far), or on all of them (the largest allowed) */
    st = plan_unfused(g, spec, strat == DLF_TUNE_NONE ? k_min : k_max, &p);
    if (st == DLF_OK) p->target_cores = t->cores;
    break;
  case DLF_TUNE_BLOCKS: st = plan_fuse_blocks(g, spec, t->cores, &p); break;
  }
  res.search_ms = now_ms() - t0;
  if (st != DLF_OK) goto done;
  /* BLOCKS uses all cores: the largest allowed core number of the target. */
  if (strat == DLF_TUNE_BLOCKS)
    for (int b = 0; b < p->n_blocks; b++)
      p->blocks[b].cores = k_max;
  res.cost_us = ts.cost_us;
  res.evaluations = ts.evaluations;
  res.others_cores = validated ? val.others_cores : -1;
  if (accel) {
    snprintf(p->target_name, sizeof p->target_name, "%s", t->name);
    if (!(sim_us = dlf_calloc_array((size_t)p->n_blocks + 1, sizeof *sim_us))) {
      st = dlf_error(DLF_ERR_NOMEM, "out of memory simulating the plan");
      goto done;
    }
    if ((st = simulate(&pr, t, p, &res.simulated_us, sim_us)) != DLF_OK) goto done;
    refs.vendor_us = strat == DLF_TUNE_VENDOR ? res.simulated_us : -1;
    refs.oracle_us = strat == DLF_TUNE_ORACLE ? res.simulated_us : -1;
    if (!rq->skip_references && (st = accel_refs(g, spec, t, &refs)) != DLF_OK) goto done;
  }
  /* The per-block costs by what the strategy decided with: the fitted model, the simulator
   * (accelerator oracle and vendor, and the baselines, which decide by no cost), or the CPU
   * oracle's measurements. The CPU vendor and baselines have no per-block cost. */
  const char *source = NULL;
  tune_cost_fn cost = NULL;
  void *ctx = NULL;
  if (needs_profile) {
    source = "model", cost = tune_cost_model, ctx = &cm;
  } else if (accel) {
    if (!sim.t && (st = tune_accel_cost_init(&pr, t, &sim)) != DLF_OK) goto done;
    source = "simulator", cost = tune_cost_accel, ctx = &sim;
  } else if (strat == DLF_TUNE_ORACLE) {
    source = "measured", cost = tune_cost_measured, ctx = &meas;
  }
  if (cost && (st = tune_explain(&pr, p, cost, ctx, &why)) != DLF_OK) goto done;
  /* A validated plan's "cost_us" stays the cost model's (what "cost" names and the blocks'
   * cost_us add up to); what was measured is the record's "validation". */
  if (validated && why) {
    res.cost_us = 0;
    for (int b = 0; b < p->n_blocks; b++)
      res.cost_us += why[b].cost_us > 0 ? why[b].cost_us : 0;
  }
  if (!(*tuner = tuner_record(strat, t, &res, capped ? pr.max_block_layers : 0,
                              accel && !rq->skip_references ? &refs : NULL,
                              validated ? &val : NULL, &pr, source, why, p->n_blocks,
                              sim_us))) {
    st = dlf_error(DLF_ERR_NOMEM, "out of memory recording the tuner");
    goto done;
  }
  *out = p;
  p = NULL;
  if (result) *result = res;
done:
  tune_explain_free(why, p ? p->n_blocks : (*out ? (*out)->n_blocks : 0));
  free(sim_us);
  plan_free(p);
  tune_validation_free(&val);
  tune_accel_cost_free(&sim);
  tune_measured_runs_free(&mruns);
  tune_measured_free(&meas);
  tune_model_free(&cm);
  tune_problem_free(&pr);
  return st;
}
