/* tune_api.c — dlf_tune: the tuning strategies of the public API on a model and a target.
 * The searches are src/tune/search.c; the costs: the fitted model (costmodel.c), the
 * accelerator simulator (cost_accel.c) and, for the oracle on a CPU, blocks measured by
 * running candidate plans here (measure_blocks). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/model.h"
#include "api/plan_internal.h"
#include "api/target_internal.h"
#include "core/checked.h"
#include "core/status.h"
#include "tune/costmodel.h"
#include "tune/profile.h"
#include "tune/tune.h"

static const char *const strategy_names[] = {"dlfusion", "oracle", "greedy", "none", "blocks"};
#define N_STRATEGIES ((int)(sizeof strategy_names / sizeof strategy_names[0]))

const char *dlf_tune_strategy_name(dlf_tune_strategy s) {
  return (int)s >= 0 && (int)s < N_STRATEGIES ? strategy_names[s] : "?";
}

int dlf_tune_strategy_from_name(const char *name) {
  for (int i = 0; name && i < N_STRATEGIES; i++)
    if (!strcmp(name, strategy_names[i])) return i;
  return -1;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* The internal profile behind a public handle, rebuilt through the public getters (the
 * tuner reads a profile; it does not need the handle's insides). */
static dlf_status profile_from_handle(const dlf_profile *d, profile *out) {
  memset(out, 0, sizeof *out);
  dlf_profile_info info;
  DLF_TRY(dlf_profile_get_info(d, &info));
  const int n = dlf_profile_num_samples(d);
  out->version = PROFILE_FORMAT_VERSION;
  snprintf(out->target_name, sizeof out->target_name, "%s", info.target_name);
  out->target_kind = strcmp(info.target_kind, "cpu") ? TARGET_ACCEL : TARGET_CPU;
  out->target_fingerprint = info.target_fingerprint;
  snprintf(out->machine, sizeof out->machine, "%s", info.machine);
  snprintf(out->isa, sizeof out->isa, "%s", info.isa);
  out->samples = dlf_calloc_array((size_t)n + 1, sizeof *out->samples);
  if (!out->samples) return dlf_error(DLF_ERR_NOMEM, "out of memory reading a profile");
  for (int i = 0; i < n; i++) {
    dlf_profile_sample s;
    DLF_TRY(dlf_profile_get_sample(d, i, &s));
    profile_sample *o = &out->samples[i];
    snprintf(o->op, sizeof o->op, "%s", s.op);
    o->h = s.h, o->w = s.w, o->cin = s.cin, o->cout = s.cout, o->k = s.k, o->stride = s.stride;
    o->fused = s.fused, o->cores = s.cores;
    o->macs = s.macs, o->us = s.us, o->us_unfused = s.us_unfused;
    out->n_samples = i + 1;
  }
  return DLF_OK;
}

/* ---- the CPU oracle: every candidate block measured ---- */

typedef struct measured {
  const tune_problem *pr;
  double *us; /* [(first * max_len + len - 1) * n_k + c], < 0 = not measured */
  int max_len;
} measured;

static double *measured_at(const measured *m, int first, int len, int c) {
  return &m->us[((size_t)first * m->max_len + (size_t)(len - 1)) * m->pr->n_core_numbers + c];
}

static double cost_measured(void *ctx, const tune_problem *pr, int first, int last, int k) {
  const measured *m = ctx;
  int c = 0;
  while (c < pr->n_core_numbers && pr->core_numbers[c] != k)
    c++;
  if (c == pr->n_core_numbers || last - first + 1 > m->max_len) return -1;
  return *measured_at(m, first, last - first + 1, c);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Runs of length len from offset o (shorter runs that cannot fuse are cut to single layers),
 * everything else single layers, all on k cores: one session measures every block of it. */
static dlf_status measure_tiling(const dlf_model *model, measured *m, int len, int o, int c,
                                 int runs, int64_t *evals) {
  const tune_problem *pr = m->pr;
  const int n = pr->n_layers, k = pr->core_numbers[c];
  int *starts = dlf_malloc_array((size_t)n + 1, sizeof *starts);
  int *cores = dlf_malloc_array((size_t)n + 1, sizeof *cores);
  dlf_status st = DLF_OK;
  plan *p = NULL;
  dlf_plan *dp = NULL;
  dlf_session *s = NULL;
  double *ms = NULL, *all = NULL;
  void **bufs = NULL;
  int n_bufs = 0;
  if (!starts || !cores) goto nomem;
  int nb = 0, fused_blocks = 0;
  for (int l = 0; l < n;) {
    int run = 1;
    if (l >= o && (l - o) % len == 0 && l + len <= n && tune_can_fuse(pr, l, l + len - 1))
      run = len, fused_blocks++;
    starts[nb] = l, cores[nb] = k, nb++;
    l += run;
  }
  if (len > 1 && fused_blocks == 0) goto done; /* nothing new to measure */
  if ((st = tune_make_plan(pr, nb, starts, cores, &p)) != DLF_OK) goto done;
  st = dlf_plan_wrap_model(model, p, "oracle", &dp);
  p = NULL;
  if (st != DLF_OK) goto done;
  dlf_session_options so = {DLF_ENGINE_DEFAULT, pr->core_numbers[pr->n_core_numbers - 1], dp};
  if ((st = dlf_session_create(model, &so, &s)) != DLF_OK) goto done;
  /* inputs and outputs: zero-filled buffers of the model's shapes */
  const int ni = dlf_model_num_inputs(model), no = dlf_model_num_outputs(model);
  bufs = calloc((size_t)(ni + no) + 1, sizeof *bufs);
  if (!bufs) goto nomem;
  n_bufs = ni + no;
  for (int i = 0; i < ni + no; i++) {
    dlf_tensor t;
    if ((st = i < ni ? dlf_model_input(model, i, &t) : dlf_model_output(model, i - ni, &t)) !=
        DLF_OK)
      goto done;
    int64_t cnt = 1;
    for (int d = 0; d < t.ndim; d++)
      cnt *= t.dims[d] > 0 ? t.dims[d] : 1;
    bufs[i] = calloc((size_t)cnt, 8);
    if (!bufs[i]) goto nomem;
  }
  ms = dlf_calloc_array((size_t)nb, sizeof *ms);
  all = dlf_calloc_array((size_t)nb * (size_t)runs, sizeof *all);
  if (!ms || !all) goto nomem;
  for (int r = -1; r < runs; r++) { /* one warm-up */
    if ((st = dlf_session_run_blocks(s, (const void *const *)bufs, bufs + ni, ms)) != DLF_OK)
      goto done;
    for (int b = 0; r >= 0 && b < nb; b++)
      all[(size_t)b * runs + r] = ms[b];
  }
  for (int b = 0; b < nb; b++) {
    const int first = starts[b], blen = (b + 1 < nb ? starts[b + 1] : n) - first;
    if (blen != len) continue;
    qsort(all + (size_t)b * runs, (size_t)runs, sizeof *all, cmp_double);
    *measured_at(m, first, blen, c) = all[(size_t)b * runs + runs / 2] * 1e3;
    (*evals)++;
  }
  goto done;
nomem:
  st = dlf_error(DLF_ERR_NOMEM, "out of memory measuring blocks");
done:
  for (int i = 0; i < n_bufs; i++)
    free(bufs[i]);
  free(bufs);
  free(ms);
  free(all);
  dlf_session_free(s);
  dlf_plan_free(dp);
  plan_free(p);
  free(starts);
  free(cores);
  return st;
}

static dlf_status measure_blocks(const dlf_model *model, measured *m, int runs,
                                 int64_t *evals) {
  const tune_problem *pr = m->pr;
  size_t cells = (size_t)pr->n_layers * (size_t)m->max_len * (size_t)pr->n_core_numbers + 1;
  m->us = dlf_malloc_array(cells, sizeof *m->us);
  if (!m->us) return dlf_error(DLF_ERR_NOMEM, "out of memory measuring blocks");
  for (size_t i = 0; i < cells; i++)
    m->us[i] = -1;
  for (int c = 0; c < pr->n_core_numbers; c++)
    for (int len = 1; len <= m->max_len; len++)
      for (int o = 0; o < len; o++)
        DLF_TRY(measure_tiling(model, m, len, o, c, runs, evals));
  return DLF_OK;
}

/* ---- dlf_tune ---- */

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

dlf_status dlf_plan_simulate(const dlf_model *model, const dlf_target *tgt,
                             const dlf_plan *plan_h, double *total_us, double *block_us) {
  dlf_error_clear();
  if (!model || !tgt || !plan_h || !total_us)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_plan_simulate: an argument is NULL");
  const target *t = dlf_target_get(tgt);
  const plan *p = dlf_plan_get(plan_h);
  if (p->target_cores > t->cores)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: the plan uses up to %d cores; target '%s' has %d",
                     model->spec, p->target_cores, t->name, t->cores);
  tune_problem pr;
  DLF_TRY(tune_problem_init(model->graph, model->spec, t->cores, t->core_numbers,
                            t->n_core_numbers, PLAN_MAX_CORES, &pr));
  dlf_status st = simulate(&pr, t, p, total_us, block_us);
  tune_problem_free(&pr);
  return st;
}

dlf_status dlf_tune(const dlf_model *model, const dlf_target *tgt, const dlf_tune_options *opts,
                    dlf_plan **out, dlf_tune_result *result) {
  dlf_error_clear();
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_tune: out is NULL");
  *out = NULL;
  if (!model || !tgt || !opts)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_tune: %s is NULL",
                     !model ? "model" : !tgt ? "target" : "options");
  const target *t = dlf_target_get(tgt);
  const dlf_tune_strategy strat = opts->strategy;
  if ((int)strat < 0 || (int)strat >= N_STRATEGIES)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_tune: unknown strategy %d", (int)strat);
  if (opts->max_block_layers < 0 || opts->max_block_layers > 64)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_tune: max_block_layers %d out of range (0 to 64)",
                     opts->max_block_layers);
  if (opts->runs < 0 || opts->runs > 1000)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_tune: runs %d out of range (0 to 1000)",
                     opts->runs);
  const bool needs_profile = strat == DLF_TUNE_DLFUSION || strat == DLF_TUNE_GREEDY;
  if (needs_profile && !opts->profile)
    return dlf_error(DLF_ERR_INVALID_ARG,
                     "%s: strategy '%s' needs a profile of target '%s' (dlfusion profile)",
                     model->spec, dlf_tune_strategy_name(strat), t->name);
  dlf_tune_result res = {0};
  tune_problem pr;
  DLF_TRY(tune_problem_init(model->graph, model->spec, t->cores, t->core_numbers,
                            t->n_core_numbers, opts->max_block_layers, &pr));
  profile prof = {0};
  tune_model cm = {0};
  measured meas = {&pr, NULL, pr.max_block_layers};
  plan *p = NULL;
  tune_stats ts = {0};
  dlf_status st = DLF_OK;
  const double t0 = now_ms();
  if (needs_profile) {
    if ((st = profile_from_handle(opts->profile, &prof)) != DLF_OK) goto done;
    if ((st = tune_model_prepare(&prof, t, &pr, &cm)) != DLF_OK) goto done;
  }
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
      int64_t evals = 0;
      st = measure_blocks(model, &meas, opts->runs > 0 ? opts->runs : 5, &evals);
      if (st == DLF_OK) st = tune_dp(&pr, cost_measured, &meas, &p, &ts);
      ts.evaluations = evals;
    }
    break;
  case DLF_TUNE_NONE: {
    st = plan_unfused(model->graph, model->spec, 1, &p);
    if (st == DLF_OK) p->target_cores = t->cores;
    break;
  }
  case DLF_TUNE_BLOCKS: st = plan_fuse_blocks(model->graph, model->spec, t->cores, &p); break;
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
  char tuner[512];
  snprintf(tuner, sizeof tuner,
           "{\"strategy\": \"%s\", \"target\": \"%s\", \"target_fingerprint\": \"%016" PRIx64
           "\", \"cost_us\": %.6g, \"simulated_us\": %.6g, \"search_ms\": %.6g, "
           "\"evaluations\": %" PRId64 "}",
           dlf_tune_strategy_name(strat), t->name, t->fingerprint, res.cost_us, res.simulated_us,
           res.search_ms, res.evaluations);
  st = dlf_plan_wrap_model(model, p, model->spec, out);
  p = NULL;
  if (st == DLF_OK) {
    (*out)->extra.tuner = dlf_strdup(tuner);
    if (!(*out)->extra.tuner) {
      dlf_plan_free(*out);
      *out = NULL;
      st = dlf_error(DLF_ERR_NOMEM, "out of memory recording the tuner");
    }
  }
done:
  plan_free(p);
  free(meas.us);
  tune_model_free(&cm);
  profile_free(&prof);
  tune_problem_free(&pr);
  if (result && st == DLF_OK) *result = res;
  return st;
}
