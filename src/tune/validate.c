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

static dlf_status block_medians(const tune_problem *pr, const plan *p, int runs,
                                const kern_config *cfg, double *ms);

/* Runs p (one warm-up, `runs` timed) and stores each block's median in m, in place: every
 * block timed in the company it has in the plan. */
static dlf_status measure_plan(measured_blocks *m, const plan *p, int runs,
                               const kern_config *cfg, int64_t *blocks_new) {
  double *ms = dlf_calloc_array((size_t)p->n_blocks + 1, sizeof *ms);
  if (!ms) return dlf_error(DLF_ERR_NOMEM, "out of memory measuring a plan");
  dlf_status st = block_medians(m->pr, p, runs, cfg, ms);
  for (int i = 0; i < p->n_blocks && st == DLF_OK; i++) {
    int f, l;
    double *u;
    if (!block_first_last(&p->blocks[i], &f, &l) || !(u = slot(m, f, l, p->blocks[i].cores)))
      continue;
    const double us = 1e3 * ms[i];
    if (*u < 0) {
      ++*blocks_new;
      const double predicted = m->model(m->model_ctx, m->pr, f, l, p->blocks[i].cores);
      if (predicted > 0) m->sum_measured += us, m->sum_predicted += predicted;
    }
    *u = us;
  }
  free(ms);
  return st;
}

/* Measures, in place, every block of the baselines' plans (see tune_validate_cpu). */
static dlf_status seed_with_baselines(measured_blocks *m, int runs, const kern_config *cfg,
                                      int64_t *plans, int64_t *blocks) {
  const tune_problem *pr = m->pr;
  dlf_status st = DLF_OK;
  for (int c = 0; c <= pr->n_core_numbers && st == DLF_OK; c++) {
    plan *p = NULL;
    const int k_max = pr->core_numbers[pr->n_core_numbers - 1];
    if (c < pr->n_core_numbers) {
      st = plan_unfused(pr->g, pr->model, pr->core_numbers[c], &p);
    } else if ((st = plan_fuse_blocks(pr->g, pr->model, pr->target_cores, &p)) == DLF_OK) {
      for (int b = 0; b < p->n_blocks; b++)
        p->blocks[b].cores = k_max;
    }
    if (st == DLF_OK) {
      p->target_cores = pr->target_cores;
      st = measure_plan(m, p, runs, cfg, blocks);
      ++*plans;
    }
    plan_free(p);
  }
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

/* ---------------------------------------------------------- the knobs -- */

/* A deep copy of p. */
static plan *copy_plan(const plan *p) {
  plan *q = calloc(1, sizeof *q);
  if (!q) return NULL;
  *q = *p;
  q->model = NULL, q->blocks = NULL, q->n_blocks = 0;
  q->model = p->model ? strdup(p->model) : NULL;
  q->blocks = dlf_calloc_array((size_t)p->n_blocks + 1, sizeof *q->blocks);
  if ((p->model && !q->model) || !q->blocks) {
    plan_free(q);
    return NULL;
  }
  for (int b = 0; b < p->n_blocks; b++) {
    const plan_block *s = &p->blocks[b];
    plan_block *d = &q->blocks[q->n_blocks++];
    *d = *s;
    d->layers = dlf_malloc_array((size_t)s->n_layers, sizeof *d->layers);
    d->algo = dlf_malloc_array((size_t)s->n_layers, sizeof *d->algo);
    if (!d->layers || !d->algo) {
      plan_free(q);
      return NULL;
    }
    memcpy(d->layers, s->layers, (size_t)s->n_layers * sizeof *d->layers);
    memcpy(d->algo, s->algo, (size_t)s->n_layers * sizeof *d->algo);
  }
  return q;
}

/* Each block's median ms over `runs` runs of p (after a warm-up), into ms[b]. */
static dlf_status block_medians(const tune_problem *pr, const plan *p, int runs,
                                const kern_config *cfg, double *ms) {
  return tune_bench_block_medians(pr->g, p, pr->target_cores, runs, cfg, ms);
}

/* Tile heights tried for every fused block (0 = the engine's own rule): rows of the block's
 * output per tile. Powers of two from 2 to 32 span what the engine's rule picks (it caps at
 * 12 rows, engine_fused.c) on either side; a height past a block's output rows is skipped. */
static const int knob_tiles[] = {0, 2, 4, 8, 16, 32};
/* Algorithms tried for every Conv that Winograd can run: the engine's choice by shape,
 * im2col + SGEMM, Winograd F(4x4,3x3). */
static const plan_algo knob_algos[] = {PLAN_ALGO_AUTO, PLAN_ALGO_IM2COL, PLAN_ALGO_WINOGRAD};

static int64_t block_out_rows(const tune_problem *pr, const plan_block *b) {
  const ir_tensor *y =
      ir_node_output(pr->g, &pr->g->nodes[pr->layer_node[b->layers[b->n_layers - 1]]], 0);
  return y && y->ndim == 4 ? y->dims[2] : 1;
}

/* The tile height and the conv algorithms of each block of base, chosen by measurement: every
 * variant (one tile height for all fused blocks, one algorithm for all Winograd-able convs) is
 * run whole, and each block takes the setting under which it was fastest. Blocks are timed in
 * place, so a choice counts its effect on the block's own time only. */
static dlf_status tune_knobs(const tune_problem *pr, const plan *base, int runs,
                             const kern_config *cfg, double deadline, plan **out,
                             int64_t *variants) {
  *out = NULL;
  const int nb = base->n_blocks;
  plan *best = copy_plan(base), *var = NULL;
  double *ms = dlf_calloc_array((size_t)nb + 1, sizeof *ms);
  double *best_ms = dlf_calloc_array((size_t)nb + 1, sizeof *best_ms);
  dlf_status st = best && ms && best_ms ? DLF_OK : dlf_error(DLF_ERR_NOMEM, "out of memory");
  for (int b = 0; b < nb; b++)
    best_ms[b] = -1;
  for (size_t t = 0; t < sizeof knob_tiles / sizeof *knob_tiles && st == DLF_OK; t++) {
    if (t > 0 && now_s() >= deadline) break; /* the budget covers the knobs too */
    if (!(var = copy_plan(base))) {
      st = dlf_error(DLF_ERR_NOMEM, "out of memory");
      break;
    }
    bool any = t == 0;
    for (int b = 0; b < nb; b++)
      if (var->blocks[b].n_layers > 1 && knob_tiles[t] <= block_out_rows(pr, &var->blocks[b])) {
        var->blocks[b].tile_rows = knob_tiles[t];
        any = true;
      }
    if (any && (st = block_medians(pr, var, runs, cfg, ms)) == DLF_OK) {
      ++*variants;
      for (int b = 0; b < nb; b++)
        if (best_ms[b] < 0 || ms[b] < best_ms[b]) {
          best_ms[b] = ms[b];
          best->blocks[b].tile_rows = var->blocks[b].tile_rows;
        }
    }
    plan_free(var);
    var = NULL;
  }
  /* then the algorithms, on the chosen tile heights */
  for (int b = 0; b < nb; b++)
    best_ms[b] = -1;
  plan *tiled = st == DLF_OK ? copy_plan(best) : NULL;
  if (st == DLF_OK && !tiled) st = dlf_error(DLF_ERR_NOMEM, "out of memory");
  for (size_t a = 0; a < sizeof knob_algos / sizeof *knob_algos && st == DLF_OK; a++) {
    if (a > 0 && now_s() >= deadline) break;
    if (!(var = copy_plan(tiled))) {
      st = dlf_error(DLF_ERR_NOMEM, "out of memory");
      break;
    }
    bool any = a == 0;
    for (int b = 0; b < nb; b++)
      for (int j = 0; j < var->blocks[b].n_layers; j++) {
        const ir_node *n = &pr->g->nodes[pr->layer_node[var->blocks[b].layers[j]]];
        if (n->op == IR_OP_CONV && plan_algo_supports(pr->g, n, PLAN_ALGO_WINOGRAD, NULL, 0)) {
          var->blocks[b].algo[j] = knob_algos[a];
          any = true;
        }
      }
    if (any && (st = block_medians(pr, var, runs, cfg, ms)) == DLF_OK) {
      ++*variants;
      for (int b = 0; b < nb; b++)
        if (best_ms[b] < 0 || ms[b] < best_ms[b]) {
          best_ms[b] = ms[b];
          memcpy(best->blocks[b].algo, var->blocks[b].algo,
                 (size_t)var->blocks[b].n_layers * sizeof *best->blocks[b].algo);
        }
    }
    plan_free(var);
    var = NULL;
  }
  plan_free(tiled);
  free(ms);
  free(best_ms);
  if (st != DLF_OK) {
    plan_free(best);
    return st;
  }
  *out = best;
  return DLF_OK;
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
  /* Seed the measurements with the baselines' blocks (each layer alone on every allowed core
   * number, the natural blocks on all cores): the search then composes from measured pieces
   * at least as good as each baseline, and explores from there. Without it a model that
   * misjudges k (2 cores predicted slower than 1 for single layers) never has a 2-core block
   * measured: on squeezenet1_0, resnet18 and mobilenet_v2 (design set) the validated plans
   * came out 1.5x slower than allcores. */
  dlf_status st = seed_with_baselines(&m, runs, o->cfg, &v->plans_measured, &v->blocks_measured);
  /* the cost model's own plan (the paper's method: a candidate of its own), then the search
   * over what is measured so far (the seeds), the model calibrated for the rest */
  if (st == DLF_OK) st = tune_dp(pr, model, model_ctx, &first, &ts);
  if (st == DLF_OK) st = tune_dp(pr, cost_measured_else_model, &m, &cur, &ts);
  v->iterations = 1;
  /* measure, search again with what was measured, until the plan is all measured */
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
    plan_free(cur);
    cur = next;
  }
  plan *knobs = NULL;
  if (st == DLF_OK && cur)
    st = tune_knobs(pr, cur, runs, o->cfg, t0 + o->budget_s, &knobs, &v->knob_variants);
  if (st == DLF_OK) st = add_candidate(v, "dlfusion (validated, tiles+algos)", knobs);
  if (st == DLF_OK) {
    st = add_candidate(v, "dlfusion (validated)", cur);
    cur = NULL;
  }
  if (st == DLF_OK) {
    st = add_candidate(v, "dlfusion (model)", first);
    first = NULL;
  }
  plan_free(cur);
  plan_free(first);
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
                  "\"others_cores\": %.3f, \"knob_variants\": %lld, \"chosen\": ",
                  v->iterations, (long long)v->plans_measured, (long long)v->blocks_measured,
                  v->budget_hit ? "true" : "false", v->seconds, v->others_cores,
                  (long long)v->knob_variants);
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
