/* measure.c — timing plans on the host CPU with the runtime engine: the bench (an engine with
 * buffers for its inputs and outputs), the CPU oracle's measurement of every candidate block and
 * the CPU vendor's measurement of its maximal-run plan on each core number. */
#include "tune/measure.h"

#include <stdlib.h>
#include <string.h>

#include "core/checked.h"

void tune_bench_close(tune_bench *b) {
  rt_engine_free(b->e);
  for (int i = 0; b->in && i < b->n_in; i++)
    free(b->in[i]);
  for (int i = 0; b->out && i < b->n_out; i++)
    free(b->out[i]);
  free(b->in);
  free(b->out);
  free(b->block_ms);
  memset(b, 0, sizeof *b);
}

/* n zero-filled buffers for tensors[ids[i]]; false when out of memory or oversized. */
static bool alloc_buffers(const ir_graph *g, const int *ids, int n, void ***out) {
  void **v = calloc((size_t)n + 1, sizeof *v);
  *out = v;
  if (!v) return false;
  for (int i = 0; i < n; i++) {
    const ir_tensor *t = &g->tensors[ids[i]];
    int64_t numel, bytes;
    if (!dlf_numel(t->dims, t->ndim, &numel) ||
        !dlf_mul_i64(numel, (int64_t)ir_dtype_size(t->dtype), &bytes) ||
        !(v[i] = calloc(bytes ? (size_t)bytes : 1, 1)))
      return false;
  }
  return true;
}

dlf_status tune_bench_open(const ir_graph *g, const plan *p, int threads, const kern_config *cfg,
                           tune_bench *b) {
  memset(b, 0, sizeof *b);
  DLF_TRY(plan_check(g, p, p->model && p->model[0] ? p->model : g->source));
  rt_engine_options eo = {threads, cfg, 0, false, p};
  dlf_status st = rt_engine_create(g, &eo, &b->e);
  if (st != DLF_OK) return st;
  b->n_blocks = rt_engine_num_blocks(b->e);
  b->n_in = g->n_inputs;
  b->n_out = g->n_outputs;
  b->block_ms = dlf_calloc_array((size_t)b->n_blocks, sizeof *b->block_ms);
  bool ok = b->block_ms && alloc_buffers(g, g->inputs, g->n_inputs, &b->in);
  ok = ok && alloc_buffers(g, g->outputs, g->n_outputs, &b->out);
  if (!ok) {
    tune_bench_close(b);
    return dlf_error(DLF_ERR_NOMEM, "%s: out of memory for a timed run", g->source);
  }
  return DLF_OK;
}

dlf_status tune_bench_run(tune_bench *b, double *ms) {
  DLF_TRY(rt_engine_run(b->e, (const void *const *)b->in, b->out, NULL, b->block_ms));
  double sum = 0;
  for (int i = 0; i < b->n_blocks; i++)
    sum += b->block_ms[i];
  if (ms) *ms = sum;
  return DLF_OK;
}

/* ---- the CPU oracle ---- */

static double *measured_at(const tune_measured *m, int first, int len, int c) {
  return &m->us[((size_t)first * m->max_len + (size_t)(len - 1)) * m->pr->n_core_numbers + c];
}

double tune_cost_measured(void *ctx, const tune_problem *pr, int first, int last, int k) {
  const tune_measured *m = ctx;
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

dlf_status tune_bench_block_medians(const ir_graph *g, const plan *p, int threads, int runs,
                                    const kern_config *cfg, double *ms) {
  tune_bench b;
  DLF_TRY(tune_bench_open(g, p, threads, cfg, &b));
  const int nb = b.n_blocks;
  double *all = dlf_calloc_array((size_t)nb * (size_t)runs + 1, sizeof *all);
  dlf_status st = all ? DLF_OK : dlf_error(DLF_ERR_NOMEM, "out of memory measuring blocks");
  for (int r = -1; r < runs && st == DLF_OK; r++) { /* one warm-up */
    st = tune_bench_run(&b, NULL);
    for (int i = 0; st == DLF_OK && r >= 0 && i < nb; i++)
      all[(size_t)i * runs + r] = b.block_ms[i];
  }
  for (int i = 0; i < nb && st == DLF_OK; i++) {
    qsort(all + (size_t)i * runs, (size_t)runs, sizeof *all, cmp_double);
    ms[i] = all[(size_t)i * runs + runs / 2];
  }
  free(all);
  tune_bench_close(&b);
  return st;
}

/* Runs of length len from offset o (shorter runs that cannot fuse are cut to single layers),
 * everything else single layers, all on core number c: one bench measures every block of it. */
static dlf_status measure_tiling(tune_measured *m, int len, int o, int c, int runs,
                                 const kern_config *cfg) {
  const tune_problem *pr = m->pr;
  const int n = pr->n_layers, k = pr->core_numbers[c];
  int *starts = dlf_malloc_array((size_t)n + 1, sizeof *starts);
  int *cores = dlf_malloc_array((size_t)n + 1, sizeof *cores);
  double *all = NULL;
  plan *p = NULL;
  dlf_status st = DLF_OK;
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
  const int threads = pr->core_numbers[pr->n_core_numbers - 1];
  all = dlf_calloc_array((size_t)nb + 1, sizeof *all);
  if (!all) goto nomem;
  if ((st = tune_bench_block_medians(pr->g, p, threads, runs, cfg, all)) != DLF_OK) goto done;
  for (int i = 0; i < nb; i++) {
    const int first = starts[i], blen = (i + 1 < nb ? starts[i + 1] : n) - first;
    if (blen != len) continue;
    *measured_at(m, first, blen, c) = all[i] * 1e3;
    m->evaluations++;
  }
  goto done;
nomem:
  st = dlf_error(DLF_ERR_NOMEM, "out of memory measuring blocks");
done:
  free(all);
  plan_free(p);
  free(starts);
  free(cores);
  return st;
}

dlf_status tune_measure_blocks(const tune_problem *pr, int runs, const kern_config *cfg,
                               tune_measured *m) {
  memset(m, 0, sizeof *m);
  m->pr = pr;
  m->max_len = pr->max_block_layers;
  size_t cells = (size_t)pr->n_layers * (size_t)m->max_len * (size_t)pr->n_core_numbers + 1;
  m->us = dlf_malloc_array(cells, sizeof *m->us);
  if (!m->us) return dlf_error(DLF_ERR_NOMEM, "out of memory measuring blocks");
  for (size_t i = 0; i < cells; i++)
    m->us[i] = -1;
  for (int c = 0; c < pr->n_core_numbers; c++)
    for (int len = 1; len <= m->max_len; len++)
      for (int o = 0; o < len; o++)
        DLF_TRY(measure_tiling(m, len, o, c, runs, cfg));
  return DLF_OK;
}

void tune_measured_free(tune_measured *m) {
  free(m->us);
  m->us = NULL;
}

/* ---- the CPU vendor ---- */

dlf_status tune_measured_runs_init(const tune_problem *pr, int runs, const kern_config *cfg,
                                   tune_measured_runs *m) {
  memset(m, 0, sizeof *m);
  m->pr = pr;
  m->runs = runs;
  m->cfg = cfg;
  m->starts = dlf_malloc_array((size_t)pr->n_layers + 1, sizeof *m->starts);
  if (m->starts) m->nb = tune_maximal_runs(pr, m->starts);
  m->us = m->starts ? dlf_malloc_array((size_t)m->nb * (size_t)pr->n_core_numbers + 1,
                                       sizeof *m->us)
                    : NULL;
  if (!m->us) {
    tune_measured_runs_free(m);
    return dlf_error(DLF_ERR_NOMEM, "out of memory measuring blocks");
  }
  for (size_t i = 0; i < (size_t)m->nb * (size_t)pr->n_core_numbers; i++)
    m->us[i] = -1;
  return DLF_OK;
}

void tune_measured_runs_free(tune_measured_runs *m) {
  free(m->starts);
  free(m->us);
  m->starts = NULL;
  m->us = NULL;
}

/* The maximal-run plan on core number index c: per block medians into m->us. */
static dlf_status measure_runs_at(tune_measured_runs *m, int c) {
  const tune_problem *pr = m->pr;
  const int nb = m->nb, k = pr->core_numbers[c], runs = m->runs;
  int *cores = dlf_malloc_array((size_t)nb + 1, sizeof *cores);
  double *all = dlf_calloc_array((size_t)nb + 1, sizeof *all);
  plan *p = NULL;
  dlf_status st = DLF_OK;
  if (!cores || !all) {
    st = dlf_error(DLF_ERR_NOMEM, "out of memory measuring blocks");
    goto done;
  }
  for (int i = 0; i < nb; i++)
    cores[i] = k;
  if ((st = tune_make_plan(pr, nb, m->starts, cores, &p)) != DLF_OK) goto done;
  const int threads = pr->core_numbers[pr->n_core_numbers - 1];
  if ((st = tune_bench_block_medians(pr->g, p, threads, runs, m->cfg, all)) != DLF_OK) goto done;
  for (int i = 0; i < nb; i++) {
    m->us[(size_t)c * nb + i] = all[i] * 1e3;
    m->evaluations++;
  }
done:
  plan_free(p);
  free(all);
  free(cores);
  return st;
}

double tune_cost_measured_runs(void *ctx, const tune_problem *pr, int first, int last, int k) {
  tune_measured_runs *m = ctx;
  int c = 0, b = 0;
  while (c < pr->n_core_numbers && pr->core_numbers[c] != k)
    c++;
  while (b < m->nb && m->starts[b] != first)
    b++;
  if (c == pr->n_core_numbers || b == m->nb ||
      last != (b + 1 < m->nb ? m->starts[b + 1] : pr->n_layers) - 1 || m->status != DLF_OK)
    return -1;
  if (m->us[(size_t)c * m->nb + b] < 0 && (m->status = measure_runs_at(m, c)) != DLF_OK)
    return -1;
  return m->us[(size_t)c * m->nb + b];
}
