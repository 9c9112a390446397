/* search.c — the tuner's searches over fusion schemes and core numbers (tune.h): dynamic
 * programming (the optimum for additive block costs), brute force (tests), greedy (a
 * baseline), and the plan <-> run conversions they share. */
#include "tune/tune.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/status.h"
#include "ir/features.h"

dlf_status tune_problem_init(const ir_graph *g, const char *model, int target_cores,
                             const int *core_numbers, int n_core_numbers, int max_block_layers,
                             tune_problem *out) {
  memset(out, 0, sizeof *out);
  if (target_cores < 1 || target_cores > PLAN_MAX_CORES)
    return dlf_error(DLF_ERR_INVALID_ARG, "tune: target cores %d out of range (1 to %d)",
                     target_cores, PLAN_MAX_CORES);
  if (!core_numbers) n_core_numbers = target_cores;
  if (n_core_numbers < 1)
    return dlf_error(DLF_ERR_INVALID_ARG, "tune: no allowed core numbers");
  for (int i = 0; core_numbers && i < n_core_numbers; i++)
    if (core_numbers[i] < 1 || core_numbers[i] > target_cores ||
        (i > 0 && core_numbers[i] <= core_numbers[i - 1]))
      return dlf_error(DLF_ERR_INVALID_ARG,
                       "tune: core numbers must ascend within 1..%d (got %d at position %d)",
                       target_cores, core_numbers[i], i);
  const int n = plan_layer_nodes(g, NULL);
  out->g = g;
  out->model = model ? model : g->source;
  out->n_layers = n;
  out->target_cores = target_cores;
  out->n_core_numbers = n_core_numbers;
  if (max_block_layers < 0 && max_block_layers != TUNE_UNCAPPED)
    return dlf_error(DLF_ERR_INVALID_ARG, "tune: max_block_layers %d (0 = default, %d = uncapped)",
                     max_block_layers, TUNE_UNCAPPED);
  out->max_block_layers = max_block_layers == TUNE_UNCAPPED ? (n > 0 ? n : 1)
                          : max_block_layers > 0            ? max_block_layers
                                                            : TUNE_DEFAULT_MAX_BLOCK_LAYERS;
  int *cn = dlf_malloc_array((size_t)n_core_numbers, sizeof *cn);
  out->layer_node = dlf_malloc_array((size_t)n + 1, sizeof *out->layer_node);
  out->info = dlf_calloc_array((size_t)n + 1, sizeof *out->info);
  out->row_local = dlf_calloc_array((size_t)n + 1, sizeof *out->row_local);
  out->whole_before = dlf_calloc_array((size_t)n + 1, sizeof *out->whole_before);
  out->core_numbers = cn;
  out->node_layer = dlf_malloc_array((size_t)g->n_nodes + 1, sizeof *out->node_layer);
  out->last_use = dlf_malloc_array((size_t)g->n_tensors + 1, sizeof *out->last_use);
  if (!cn || !out->layer_node || !out->info || !out->row_local || !out->whole_before ||
      !out->node_layer || !out->last_use) {
    tune_problem_free(out);
    return dlf_error(DLF_ERR_NOMEM, "%s: out of memory setting up the tuner", g->source);
  }
  for (int i = 0; i < n_core_numbers; i++)
    cn[i] = core_numbers ? core_numbers[i] : i + 1;
  plan_layer_nodes(g, out->layer_node);
  for (int l = 0; l < n; l++) {
    dlf_status st = ir_layer_features(g, out->layer_node[l], &out->info[l]);
    if (st != DLF_OK) {
      tune_problem_free(out);
      return st;
    }
    out->info[l].index = l;
    out->row_local[l] = plan_layer_row_local(g, &g->nodes[out->layer_node[l]]);
    out->whole_before[l + 1] = out->whole_before[l] + !out->row_local[l];
  }
  for (int i = 0; i < g->n_nodes; i++)
    out->node_layer[i] = -1;
  for (int t = 0; t < g->n_tensors; t++)
    out->last_use[t] = -1;
  for (int l = 0; l < n; l++)
    out->node_layer[out->layer_node[l]] = l;
  for (int l = 0; l < n; l++) {
    const ir_node *nd = &g->nodes[out->layer_node[l]];
    for (int k = 0; k <= nd->n_inputs; k++) {
      int t = k < nd->n_inputs ? nd->inputs[k] : nd->residual;
      if (t >= 0 && out->last_use[t] < l) out->last_use[t] = l;
    }
  }
  for (int o = 0; o < g->n_outputs; o++)
    if (g->outputs[o] >= 0) out->last_use[g->outputs[o]] = n;
  return DLF_OK;
}

static int64_t tensor_bytes(const ir_tensor *t) {
  return ir_tensor_numel(t) * (int64_t)ir_dtype_size(t->dtype);
}

/* The layer producing tensor t, -1 for graph inputs and constants. */
static int producer_layer(const tune_problem *pr, int t) {
  int p = pr->g->tensors[t].producer;
  return p >= 0 ? pr->node_layer[p] : -1;
}

void tune_block_io(const tune_problem *pr, int first, int last, int64_t *in_bytes,
                   int64_t *out_bytes) {
  const ir_graph *g = pr->g;
  int64_t in = 0, out = 0;
  for (int l = first; l <= last; l++) {
    const ir_node *nd = &g->nodes[pr->layer_node[l]];
    for (int k = 0; k <= nd->n_inputs; k++) {
      int t = k < nd->n_inputs ? nd->inputs[k] : nd->residual;
      if (t < 0 || g->tensors[t].data || producer_layer(pr, t) >= first) continue;
      /* once per tensor: skip if an earlier read in the run saw it */
      bool seen = false;
      for (int l2 = first; l2 <= l && !seen; l2++) {
        const ir_node *n2 = &g->nodes[pr->layer_node[l2]];
        int kmax = l2 < l ? n2->n_inputs : k - 1;
        for (int k2 = 0; k2 <= kmax && !seen; k2++)
          seen = (k2 < n2->n_inputs ? n2->inputs[k2] : n2->residual) == t;
      }
      if (!seen) in += tensor_bytes(&g->tensors[t]);
    }
    for (int o = 0; o < nd->n_outputs; o++) {
      int t = nd->outputs[o];
      if (t >= 0 && pr->last_use[t] > last) out += tensor_bytes(&g->tensors[t]);
    }
  }
  *in_bytes = in;
  *out_bytes = out;
}

dlf_status tune_io_iter_init(const tune_problem *pr, tune_io_iter *it) {
  memset(it, 0, sizeof *it);
  it->pr = pr;
  it->first = 1, it->last = 0;
  it->counted = dlf_calloc_array((size_t)pr->g->n_tensors + 1, sizeof *it->counted);
  if (!it->counted) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory tuning", pr->g->source);
  return DLF_OK;
}

void tune_io_iter_free(tune_io_iter *it) {
  free(it->counted);
  it->counted = NULL;
}

/* The run [l + 1, last] becomes [l, last]: l's outputs that the run read from outside are now
 * made inside it; l's outputs read after `last` leave it; l's inputs from outside come in
 * (once: `counted`). Every input of l comes from before l (topological order), so from
 * outside. The same tensors and the same sums as tune_block_io. */
static void io_prepend(tune_io_iter *it, int l) {
  const tune_problem *pr = it->pr;
  const ir_graph *g = pr->g;
  const ir_node *nd = &g->nodes[pr->layer_node[l]];
  for (int o = 0; o < nd->n_outputs; o++) {
    int t = nd->outputs[o];
    if (t < 0) continue;
    if (it->counted[t] == it->epoch) {
      it->in -= tensor_bytes(&g->tensors[t]);
      it->counted[t] = 0;
    }
    if (pr->last_use[t] > it->last) it->out += tensor_bytes(&g->tensors[t]);
  }
  for (int k = 0; k <= nd->n_inputs; k++) {
    int t = k < nd->n_inputs ? nd->inputs[k] : nd->residual;
    if (t < 0 || g->tensors[t].data || it->counted[t] == it->epoch) continue;
    it->counted[t] = it->epoch;
    it->in += tensor_bytes(&g->tensors[t]);
  }
  it->first = l;
}

void tune_io_iter_get(tune_io_iter *it, int first, int last, int64_t *in_bytes,
                      int64_t *out_bytes) {
  if (it->first > it->last || last != it->last || first > it->first) {
    /* start afresh from the empty run after `last` */
    if (++it->epoch == 0) {
      memset(it->counted, 0, sizeof *it->counted * ((size_t)it->pr->g->n_tensors + 1));
      it->epoch = 1;
    }
    it->first = last + 1, it->last = last, it->in = 0, it->out = 0;
  }
  while (it->first > first)
    io_prepend(it, it->first - 1);
  *in_bytes = it->in;
  *out_bytes = it->out;
}

void tune_problem_free(tune_problem *pr) {
  free(pr->layer_node);
  free(pr->info);
  free(pr->row_local);
  free(pr->whole_before);
  free((int *)pr->core_numbers);
  free(pr->node_layer);
  free(pr->last_use);
  memset(pr, 0, sizeof *pr);
}

bool tune_can_fuse(const tune_problem *pr, int first, int last) {
  if (first < 0 || last >= pr->n_layers || first > last) return false;
  if (first == last) return true;
  if (last - first + 1 > pr->max_block_layers) return false;
  /* O(1), so the uncapped DP's O(L^2 K) is not O(L^3) */
  return pr->whole_before[last + 1] == pr->whole_before[first];
}

int tune_maximal_runs(const tune_problem *pr, int *starts) {
  int nb = 0;
  for (int l = 0; l < pr->n_layers;) {
    int len = 1;
    while (l + len < pr->n_layers && tune_can_fuse(pr, l, l + len))
      len++;
    starts[nb++] = l;
    l += len;
  }
  return nb;
}

dlf_status tune_make_plan(const tune_problem *pr, int n_blocks, const int *starts,
                          const int *cores, plan **out) {
  *out = NULL;
  plan *p = calloc(1, sizeof *p);
  if (!p) goto nomem;
  p->version = PLAN_FORMAT_VERSION;
  p->fingerprint = plan_fingerprint(pr->g);
  p->target_cores = pr->target_cores;
  p->model = dlf_strdup(pr->model);
  p->blocks = dlf_calloc_array((size_t)n_blocks + 1, sizeof *p->blocks);
  if (!p->model || !p->blocks) goto nomem;
  for (int b = 0; b < n_blocks; b++) {
    const int first = starts[b], end = b + 1 < n_blocks ? starts[b + 1] : pr->n_layers;
    plan_block *bl = &p->blocks[p->n_blocks++];
    bl->n_layers = end - first;
    bl->cores = cores[b];
    bl->layers = dlf_malloc_array((size_t)bl->n_layers, sizeof *bl->layers);
    bl->algo = dlf_calloc_array((size_t)bl->n_layers, sizeof *bl->algo);
    if (!bl->layers || !bl->algo) goto nomem;
    for (int j = 0; j < bl->n_layers; j++)
      bl->layers[j] = first + j;
  }
  *out = p;
  return DLF_OK;
nomem:
  plan_free(p);
  return dlf_error(DLF_ERR_NOMEM, "%s: out of memory making a plan", pr->g->source);
}

/* The cheapest allowed core number for a run; *k = 0 when none can run it. */
static double best_cores(const tune_problem *pr, tune_cost_fn cost, void *ctx, int first,
                         int last, int *k, int64_t *evals) {
  double best = -1;
  *k = 0;
  for (int c = 0; c < pr->n_core_numbers; c++) {
    double t = cost(ctx, pr, first, last, pr->core_numbers[c]);
    (*evals)++;
    if (t >= 0 && isfinite(t) && (*k == 0 || t < best)) best = t, *k = pr->core_numbers[c];
  }
  return best;
}

static dlf_status no_plan(const tune_problem *pr, int layer) {
  return dlf_error(DLF_ERR_INVALID_ARG,
                   "%s: tune: layer '%s' (#%d, %s) has no cost on any allowed core number",
                   pr->g->source, pr->info[layer].name, layer, pr->info[layer].op);
}

/* Walk the chosen runs back from the end into starts[] / cores[] (in order). */
static dlf_status plan_from_choice(const tune_problem *pr, const int *from, const int *kk,
                                   plan **out) {
  const int n = pr->n_layers;
  int *starts = dlf_malloc_array((size_t)n + 1, sizeof *starts);
  int *cores = dlf_malloc_array((size_t)n + 1, sizeof *cores);
  if (!starts || !cores) {
    free(starts);
    free(cores);
    return dlf_error(DLF_ERR_NOMEM, "%s: out of memory making a plan", pr->g->source);
  }
  int nb = 0;
  for (int j = n; j > 0; j = from[j])
    nb++;
  int b = nb;
  for (int j = n; j > 0; j = from[j]) {
    b--;
    starts[b] = from[j];
    cores[b] = kk[j];
  }
  dlf_status st = tune_make_plan(pr, nb, starts, cores, out);
  free(starts);
  free(cores);
  return st;
}

dlf_status tune_dp(const tune_problem *pr, tune_cost_fn cost, void *ctx, plan **out,
                   tune_stats *stats) {
  *out = NULL;
  const int n = pr->n_layers;
  tune_stats st = {0};
  /* best[j]: cheapest plan of layers [0, j); from[j]: where its last run starts; kk[j]: the
   * run's cores; blocks[j], csum[j]: tie-breaks (fewer blocks, then fewer cores). */
  double *best = dlf_malloc_array((size_t)n + 1, sizeof *best);
  int *from = dlf_malloc_array((size_t)n + 1, sizeof *from);
  int *kk = dlf_malloc_array((size_t)n + 1, sizeof *kk);
  int64_t *blocks = dlf_malloc_array((size_t)n + 1, sizeof *blocks);
  int64_t *csum = dlf_malloc_array((size_t)n + 1, sizeof *csum);
  dlf_status rc = DLF_OK;
  if (!best || !from || !kk || !blocks || !csum) {
    rc = dlf_error(DLF_ERR_NOMEM, "%s: out of memory tuning", pr->g->source);
    goto done;
  }
  best[0] = 0, from[0] = 0, kk[0] = 0, blocks[0] = 0, csum[0] = 0;
  for (int j = 1; j <= n; j++) {
    from[j] = -1;
    for (int i = j - 1; i >= 0 && j - i <= pr->max_block_layers; i--) {
      if (from[i] < 0 && i > 0) continue;
      if (!tune_can_fuse(pr, i, j - 1)) break; /* longer runs include the same layer */
      for (int c = 0; c < pr->n_core_numbers; c++) {
        const int k = pr->core_numbers[c];
        double t = cost(ctx, pr, i, j - 1, k);
        st.evaluations++;
        if (!(t >= 0) || !isfinite(t)) continue;
        const double v = best[i] + t;
        const int64_t nb = blocks[i] + 1, cs = csum[i] + k;
        if (from[j] < 0 || v < best[j] ||
            (v == best[j] && (nb < blocks[j] || (nb == blocks[j] && cs < csum[j])))) {
          best[j] = v, from[j] = i, kk[j] = k, blocks[j] = nb, csum[j] = cs;
        }
      }
    }
    if (from[j] < 0) {
      rc = no_plan(pr, j - 1);
      goto done;
    }
  }
  st.cost_us = best[n];
  rc = plan_from_choice(pr, from, kk, out);
done:
  free(best);
  free(from);
  free(kk);
  free(blocks);
  free(csum);
  if (stats) *stats = st;
  return rc;
}

/* ---- brute force ---- */

typedef struct brute {
  const tune_problem *pr;
  tune_cost_fn cost;
  void *ctx;
  int *starts, *cores, *best_starts, *best_cores;
  int nb, best_nb;
  double best;
  int64_t best_csum;
  tune_stats st;
} brute;

static void brute_rec(brute *b, int pos, double acc, int64_t csum) {
  const tune_problem *pr = b->pr;
  if (pos == pr->n_layers) {
    b->st.plans++;
    if (b->best_nb < 0 || acc < b->best ||
        (acc == b->best && (b->nb < b->best_nb || (b->nb == b->best_nb && csum < b->best_csum)))) {
      b->best = acc, b->best_nb = b->nb, b->best_csum = csum;
      memcpy(b->best_starts, b->starts, sizeof *b->starts * (size_t)b->nb);
      memcpy(b->best_cores, b->cores, sizeof *b->cores * (size_t)b->nb);
    }
    return;
  }
  for (int last = pos; last < pr->n_layers && tune_can_fuse(pr, pos, last); last++)
    for (int c = 0; c < pr->n_core_numbers; c++) {
      const int k = pr->core_numbers[c];
      double t = b->cost(b->ctx, pr, pos, last, k);
      b->st.evaluations++;
      if (!(t >= 0) || !isfinite(t)) continue;
      b->starts[b->nb] = pos, b->cores[b->nb] = k;
      b->nb++;
      brute_rec(b, last + 1, acc + t, csum + k);
      b->nb--;
    }
}

/* Plans of layers [0, n) under the same rules, saturating at INT64_MAX. */
static int64_t count_plans(const tune_problem *pr) {
  const int n = pr->n_layers;
  int64_t *c = dlf_calloc_array((size_t)n + 1, sizeof *c);
  if (!c) return INT64_MAX;
  c[0] = 1;
  for (int j = 1; j <= n; j++)
    for (int i = j - 1; i >= 0 && tune_can_fuse(pr, i, j - 1); i--) {
      int64_t add;
      if (__builtin_mul_overflow(c[i], (int64_t)pr->n_core_numbers, &add) ||
          __builtin_add_overflow(c[j], add, &c[j]))
        c[j] = INT64_MAX;
    }
  int64_t r = c[n];
  free(c);
  return r;
}

dlf_status tune_brute_force(const tune_problem *pr, tune_cost_fn cost, void *ctx,
                            int64_t max_plans, plan **out, tune_stats *stats) {
  *out = NULL;
  const int64_t total = count_plans(pr);
  if (total > max_plans)
    return dlf_error(DLF_ERR_LIMIT,
                     "%s: brute force over %" PRId64 " plans refused (limit %" PRId64 ")",
                     pr->g->source, total, max_plans);
  const size_t n = (size_t)pr->n_layers + 1;
  brute b = {.pr = pr,
             .cost = cost,
             .ctx = ctx,
             .starts = dlf_malloc_array(n, sizeof(int)),
             .cores = dlf_malloc_array(n, sizeof(int)),
             .best_starts = dlf_malloc_array(n, sizeof(int)),
             .best_cores = dlf_malloc_array(n, sizeof(int)),
             .best_nb = -1};
  dlf_status rc;
  if (!b.starts || !b.cores || !b.best_starts || !b.best_cores) {
    rc = dlf_error(DLF_ERR_NOMEM, "%s: out of memory tuning", pr->g->source);
  } else {
    brute_rec(&b, 0, 0, 0);
    b.st.cost_us = b.best;
    rc = b.best_nb < 0 ? no_plan(pr, 0)
                       : tune_make_plan(pr, b.best_nb, b.best_starts, b.best_cores, out);
  }
  free(b.starts);
  free(b.cores);
  free(b.best_starts);
  free(b.best_cores);
  if (stats) *stats = b.st;
  return rc;
}

/* ---- the vendor's default ---- */

dlf_status tune_vendor(const tune_problem *pr, tune_cost_fn cost, void *ctx, plan **out,
                       tune_stats *stats) {
  *out = NULL;
  const int n = pr->n_layers;
  tune_stats st = {0};
  int *starts = dlf_malloc_array((size_t)n + 1, sizeof *starts);
  int *cores = dlf_malloc_array((size_t)n + 1, sizeof *cores);
  dlf_status rc = DLF_OK;
  if (!starts || !cores) {
    rc = dlf_error(DLF_ERR_NOMEM, "%s: out of memory tuning", pr->g->source);
    goto done;
  }
  const int nb = tune_maximal_runs(pr, starts);
  int best_k = 0;
  double best = 0;
  for (int c = 0; c < pr->n_core_numbers; c++) {
    const int k = pr->core_numbers[c];
    double sum = 0;
    bool ok = true;
    for (int b = 0; b < nb && ok; b++) {
      double t = cost(ctx, pr, starts[b], (b + 1 < nb ? starts[b + 1] : n) - 1, k);
      st.evaluations++;
      ok = t >= 0 && isfinite(t);
      sum += t;
    }
    if (ok && (best_k == 0 || sum < best)) best = sum, best_k = k;
  }
  if (best_k == 0) {
    rc = dlf_error(DLF_ERR_INVALID_ARG,
                   "%s: tune: vendor: no allowed core number runs every maximal fusable run",
                   pr->g->source);
    goto done;
  }
  for (int b = 0; b < nb; b++)
    cores[b] = best_k;
  st.cost_us = best;
  rc = tune_make_plan(pr, nb, starts, cores, out);
done:
  free(starts);
  free(cores);
  if (stats) *stats = st;
  return rc;
}

/* ---- greedy ---- */

dlf_status tune_greedy(const tune_problem *pr, tune_cost_fn cost, void *ctx, plan **out,
                       tune_stats *stats) {
  *out = NULL;
  const int n = pr->n_layers;
  tune_stats st = {0};
  int *starts = dlf_malloc_array((size_t)n + 1, sizeof *starts);
  int *cores = dlf_malloc_array((size_t)n + 1, sizeof *cores);
  dlf_status rc = DLF_OK;
  if (!starts || !cores) {
    rc = dlf_error(DLF_ERR_NOMEM, "%s: out of memory tuning", pr->g->source);
    goto done;
  }
  int nb = 0, s = 0, k;
  double cur = best_cores(pr, cost, ctx, 0, 0, &k, &st.evaluations);
  if (k == 0) {
    rc = no_plan(pr, 0);
    goto done;
  }
  for (int l = 1; l <= n; l++) {
    int kn = 0, km = 0;
    double next = 0, merged = -1;
    if (l < n) {
      next = best_cores(pr, cost, ctx, l, l, &kn, &st.evaluations);
      if (kn == 0) {
        rc = no_plan(pr, l);
        goto done;
      }
      if (tune_can_fuse(pr, s, l)) merged = best_cores(pr, cost, ctx, s, l, &km, &st.evaluations);
    }
    if (l < n && km > 0 && merged < cur + next) {
      cur = merged, k = km;
      continue;
    }
    starts[nb] = s, cores[nb] = k, nb++;
    st.cost_us += cur;
    s = l, cur = next, k = kn;
  }
  rc = tune_make_plan(pr, nb, starts, cores, out);
done:
  free(starts);
  free(cores);
  if (stats) *stats = st;
  return rc;
}

dlf_status tune_plan_cost(const tune_problem *pr, const plan *p, tune_cost_fn cost, void *ctx,
                          double *cost_us) {
  double sum = 0;
  int next = 0;
  for (int b = 0; b < p->n_blocks; b++) {
    const plan_block *bl = &p->blocks[b];
    for (int j = 0; j < bl->n_layers; j++)
      if (bl->layers[j] != next + j)
        return dlf_error(DLF_ERR_INVALID_ARG,
                         "tune: block %d is not a run of consecutive layers starting at %d", b,
                         next);
    double t = cost(ctx, pr, next, next + bl->n_layers - 1, bl->cores);
    if (!(t >= 0) || !isfinite(t))
      return dlf_error(DLF_ERR_INVALID_ARG, "tune: block %d has no cost on %d cores", b,
                       bl->cores);
    sum += t;
    next += bl->n_layers;
  }
  if (next != pr->n_layers)
    return dlf_error(DLF_ERR_INVALID_ARG, "tune: plan covers %d of %d layers", next,
                     pr->n_layers);
  *cost_us = sum;
  return DLF_OK;
}
