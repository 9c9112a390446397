/* validate.c — measured validation of a CPU plan (validate.h). */
#include "tune/validate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/checked.h"
#include "core/json.h"
#include "core/load.h"
#include "core/status.h"
#include "tune/measure.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The q-quantile (0..1) of n sorted values, interpolated. */
static double quantile(const double *v, int n, double q) {
  if (n < 1) return 0;
  const double pos = q * (n - 1);
  const int i = (int)pos;
  return i + 1 < n ? v[i] + (pos - i) * (v[i + 1] - v[i]) : v[n - 1];
}

/* Measured block times: [(first * max_len + len - 1) * n_k + c] us, < 0 = not measured. */
typedef struct measured_blocks {
  const tune_problem *pr;
  tune_cost_fn model;
  void *model_ctx;
  int max_len;
  double *us;
  /* Calibration of the model on this machine: sums over the measured blocks of their measured
   * and predicted times. An unmeasured block costs its prediction times measured / predicted,
   * so the search compares measured and predicted blocks on one scale (a model that is
   * uniformly 1.5x optimistic would otherwise make every unmeasured block look cheap). */
  double sum_measured, sum_predicted;
} measured_blocks;

static int core_index(const tune_problem *pr, int k) {
  for (int c = 0; c < pr->n_core_numbers; c++)
    if (pr->core_numbers[c] == k) return c;
  return -1;
}

static double *slot(const measured_blocks *m, int first, int last, int k) {
  const int len = last - first + 1, c = core_index(m->pr, k);
  if (len < 1 || len > m->max_len || c < 0) return NULL;
  return &m->us[((int64_t)first * m->max_len + len - 1) * m->pr->n_core_numbers + c];
}

/* The search's cost: a block's measured time where there is one, else the model's. */
static double cost_measured_else_model(void *ctx, const tune_problem *pr, int first, int last,
                                       int k) {
  const measured_blocks *m = ctx;
  const double *u = slot(m, first, last, k);
  if (u && *u >= 0) return *u;
  const double predicted = m->model(m->model_ctx, pr, first, last, k);
  if (predicted < 0 || m->sum_predicted <= 0) return predicted;
  return predicted * (m->sum_measured / m->sum_predicted);
}

/* Runs of consecutive layers of p: first layer of each block, or false if p is not such a plan. */
static bool block_first_last(const plan_block *b, int *first, int *last) {
  for (int j = 1; j < b->n_layers; j++)
    if (b->layers[j] != b->layers[j - 1] + 1) return false;
  *first = b->layers[0], *last = b->layers[b->n_layers - 1];
  return true;
}

/* Every block of p measured? */
static bool all_measured(const measured_blocks *m, const plan *p) {
  for (int b = 0; b < p->n_blocks; b++) {
    int f, l;
    if (!block_first_last(&p->blocks[b], &f, &l)) return false;
    const double *u = slot(m, f, l, p->blocks[b].cores);
    if (!u || *u < 0) return false;
  }
  return true;
}

/* Runs p (one warm-up, `runs` timed) and stores each block's median in m, in place: every
 * block timed in the company it has in the plan. */
static dlf_status measure_plan(measured_blocks *m, const plan *p, int runs,
                               const kern_config *cfg, int64_t *blocks_new) {
  tune_bench b;
  DLF_TRY(tune_bench_open(m->pr->g, p, m->pr->target_cores, cfg, &b));
  double *ms = dlf_calloc_array((size_t)b.n_blocks * (size_t)runs + 1, sizeof *ms);
  dlf_status st = ms ? tune_bench_run(&b, NULL) : dlf_error(DLF_ERR_NOMEM, "out of memory");
  for (int r = 0; r < runs && st == DLF_OK; r++) {
    st = tune_bench_run(&b, NULL);
    for (int i = 0; i < b.n_blocks && st == DLF_OK; i++)
      ms[(int64_t)i * runs + r] = b.block_ms[i];
  }
  for (int i = 0; i < b.n_blocks && st == DLF_OK; i++) {
    int f, l;
    if (!block_first_last(&p->blocks[i], &f, &l)) continue;
    double *u = slot(m, f, l, p->blocks[i].cores);
    if (!u) continue;
    qsort(ms + (int64_t)i * runs, (size_t)runs, sizeof *ms, cmp_double);
    const double us = 1e3 * quantile(ms + (int64_t)i * runs, runs, 0.5);
    if (*u < 0) {
      ++*blocks_new;
      const double predicted = m->model(m->model_ctx, m->pr, f, l, p->blocks[i].cores);
      if (predicted > 0) m->sum_measured += us, m->sum_predicted += predicted;
    }
    *u = us;
  }
  free(ms);
  tune_bench_close(&b);
  return st;
}

static dlf_status add_candidate(tune_validation *v, const char *name, plan *p) {
  if (!p) return DLF_OK;
  if (v->n_candidates >= TUNE_MAX_CANDIDATES) {
    plan_free(p);
    return DLF_OK;
  }
  tune_candidate *c = &v->cand[v->n_candidates++];
  snprintf(c->name, sizeof c->name, "%s", name);
  c->p = p;
  return DLF_OK;
}

/* The baselines a tuned plan must beat (or tie), as plans of pr. */
static dlf_status add_baselines(const tune_problem *pr, tune_validation *v) {
  const int k_max = pr->core_numbers[pr->n_core_numbers - 1];
  plan *p = NULL;
  DLF_TRY(plan_unfused(pr->g, pr->model, k_max, &p));
  p->target_cores = pr->target_cores;
  DLF_TRY(add_candidate(v, "allcores", p));
  DLF_TRY(plan_fuse_blocks(pr->g, pr->model, pr->target_cores, &p));
  for (int b = 0; b < p->n_blocks; b++)
    p->blocks[b].cores = k_max;
  DLF_TRY(add_candidate(v, "blocks", p));
  /* the vendor's default: the maximal fusable runs (uncapped), one core number for all */
  tune_problem un;
  DLF_TRY(tune_problem_init(pr->g, pr->model, pr->target_cores, pr->core_numbers,
                            pr->n_core_numbers, TUNE_UNCAPPED, &un));
  int *starts = dlf_malloc_array((size_t)un.n_layers + 1, sizeof *starts);
  int *cores = dlf_malloc_array((size_t)un.n_layers + 1, sizeof *cores);
  dlf_status st = starts && cores ? DLF_OK : dlf_error(DLF_ERR_NOMEM, "out of memory");
  const int nb = st == DLF_OK ? tune_maximal_runs(&un, starts) : 0;
  for (int c = 0; c < un.n_core_numbers && st == DLF_OK; c++) {
    for (int b = 0; b < nb; b++)
      cores[b] = un.core_numbers[c];
    if ((st = tune_make_plan(&un, nb, starts, cores, &p)) != DLF_OK) break;
    char name[32];
    snprintf(name, sizeof name, "vendor k=%d", un.core_numbers[c]);
    st = add_candidate(v, name, p);
  }
  free(starts);
  free(cores);
  tune_problem_free(&un);
  return st;
}

/* Every candidate timed whole, round by round (A, B, C, A, B, C, ...), so each sees the
 * same machine; medians and quartiles per candidate. */
static dlf_status time_candidates(const tune_problem *pr, tune_validation *v, int rounds,
                                  const kern_config *cfg) {
  const int n = v->n_candidates;
  tune_bench *b = dlf_calloc_array((size_t)n, sizeof *b);
  double *ms = dlf_calloc_array((size_t)n * (size_t)rounds + 1, sizeof *ms);
  dlf_status st = b && ms ? DLF_OK : dlf_error(DLF_ERR_NOMEM, "out of memory timing plans");
  int opened = 0;
  for (; opened < n && st == DLF_OK; opened++)
    if ((st = tune_bench_open(pr->g, v->cand[opened].p, pr->target_cores, cfg, &b[opened])) ==
        DLF_OK)
      st = tune_bench_run(&b[opened], NULL); /* warm-up */
  for (int r = 0; r < rounds && st == DLF_OK; r++)
    for (int i = 0; i < n && st == DLF_OK; i++)
      st = tune_bench_run(&b[i], &ms[(int64_t)i * rounds + r]);
  for (int i = 0; i < n && st == DLF_OK; i++) {
    double *x = ms + (int64_t)i * rounds;
    qsort(x, (size_t)rounds, sizeof *x, cmp_double);
    v->cand[i].median_ms = quantile(x, rounds, 0.5);
    v->cand[i].q1_ms = quantile(x, rounds, 0.25);
    v->cand[i].q3_ms = quantile(x, rounds, 0.75);
  }
  for (int i = 0; i < opened && b; i++)
    tune_bench_close(&b[i]);
  free(b);
  free(ms);
  return st;
}

dlf_status tune_validate_cpu(const tune_problem *pr, tune_cost_fn model, void *model_ctx,
                             const tune_validate_options *o, plan **out, tune_validation *v) {
  *out = NULL;
  memset(v, 0, sizeof *v);
  v->chosen = -1;
  const double t0 = now_s();
  const int runs = o->runs > 0 ? o->runs : 5, rounds = o->rounds > 0 ? o->rounds : 9;
  measured_blocks m = {pr, model, model_ctx, pr->max_block_layers, NULL, 0, 0};
  const int64_t slots = (int64_t)pr->n_layers * m.max_len * pr->n_core_numbers;
  m.us = dlf_malloc_array((size_t)slots + 1, sizeof *m.us);
  if (!m.us) return dlf_error(DLF_ERR_NOMEM, "out of memory validating a plan");
  for (int64_t i = 0; i < slots; i++)
    m.us[i] = -1;
  plan *first = NULL, *cur = NULL;
  tune_stats ts;
  dlf_status st = tune_dp(pr, model, model_ctx, &first, &ts);
  v->iterations = 1;
  /* measure, search again with what was measured, until the plan is all measured */
  cur = first;
  while (st == DLF_OK && !all_measured(&m, cur)) {
    if (now_s() - t0 >= o->budget_s) {
      v->budget_hit = true;
      break;
    }
    st = measure_plan(&m, cur, runs, o->cfg, &v->blocks_measured);
    v->plans_measured++;
    if (st != DLF_OK) break;
    plan *next = NULL;
    st = tune_dp(pr, cost_measured_else_model, &m, &next, &ts);
    v->iterations++;
    if (cur != first) plan_free(cur);
    cur = next;
  }
  if (st == DLF_OK) st = add_candidate(v, "dlfusion (validated)", cur == first ? NULL : cur);
  if (st == DLF_OK) st = add_candidate(v, "dlfusion (model)", first);
  else {
    if (cur != first) plan_free(cur);
    plan_free(first);
  }
  if (st == DLF_OK) st = add_baselines(pr, v);
  const dlf_load_sample l0 = dlf_load_now();
  if (st == DLF_OK) st = time_candidates(pr, v, rounds, o->cfg);
  const dlf_load_sample l1 = dlf_load_now();
  v->others_cores = dlf_load_others(&l0, &l1);
  free(m.us);
  if (st != DLF_OK) {
    tune_validation_free(v);
    return st;
  }
  for (int i = 0; i < v->n_candidates; i++)
    if (v->chosen < 0 || v->cand[i].median_ms < v->cand[v->chosen].median_ms) v->chosen = i;
  *out = v->cand[v->chosen].p;
  v->cand[v->chosen].p = NULL; /* the caller owns it now */
  v->seconds = now_s() - t0;
  return DLF_OK;
}

void tune_validation_free(tune_validation *v) {
  for (int i = 0; i < v->n_candidates; i++) {
    plan_free(v->cand[i].p);
    v->cand[i].p = NULL;
  }
}

void tune_validation_json(const tune_validation *v, dlf_jbuf *b) {
  dlf_jbuf_printf(b,
                  ", \"validation\": {\"iterations\": %d, \"plans_measured\": %lld, "
                  "\"blocks_measured\": %lld, \"budget_hit\": %s, \"seconds\": %.3f, "
                  "\"others_cores\": %.3f, \"chosen\": ",
                  v->iterations, (long long)v->plans_measured, (long long)v->blocks_measured,
                  v->budget_hit ? "true" : "false", v->seconds, v->others_cores);
  dlf_jbuf_string(b, v->chosen >= 0 ? v->cand[v->chosen].name : "");
  dlf_jbuf_puts(b, ", \"candidates\": [");
  for (int i = 0; i < v->n_candidates; i++) {
    const tune_candidate *c = &v->cand[i];
    dlf_jbuf_puts(b, i ? ", {\"name\": " : "{\"name\": ");
    dlf_jbuf_string(b, c->name);
    dlf_jbuf_printf(b, ", \"median_ms\": %.4f, \"q1_ms\": %.4f, \"q3_ms\": %.4f", c->median_ms,
                    c->q1_ms, c->q3_ms);
    const double chosen = v->chosen >= 0 ? v->cand[v->chosen].median_ms : NAN;
    if (c->median_ms > 0 && isfinite(chosen))
      dlf_jbuf_printf(b, ", \"chosen_speedup\": %.4f", c->median_ms / chosen);
    dlf_jbuf_puts(b, "}");
  }
  dlf_jbuf_puts(b, "]}");
}
