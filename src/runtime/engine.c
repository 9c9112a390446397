/* engine.c — the fast execution engine (see engine.h): applies a plan (blocks of layers,
 * core numbers, tile heights, algorithms), compiles steps, plans the activation arena over
 * block lifetimes, and runs blocks in order: a block of one layer as that step's own
 * parallel region, a fused block as tiles (engine_fused.c). */
#include "runtime/engine.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/checked.h"
#include "core/cpu.h"
#include "ir/features.h"
#include "runtime/engine_internal.h"
#include "runtime/memplan.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void rt_engine_free(rt_engine *e) {
  if (!e) return;
  rt_pool_free(e->pool);
  for (int i = 0; i < e->n_steps; i++) {
    rt_step *s = &e->steps[i];
    const rt_step_class *c = rt_step_class_of(s->kind);
    if (c->release) c->release(s);
    free(s->packed);
    free(s->bias_owned);
  }
  for (int b = 0; b < e->n_blocks; b++) {
    free(e->blocks[b].rows);
    free(e->blocks[b].owned);
  }
  free(e->steps);
  free(e->blocks);
  free(e->tensor_step);
  free(e->ptr);
  free(e->nhwc);
  free(e->arena);
  free(e->inbuf);
  free(e->in_off);
  free(e->scratch);
  free(e->tile);
  free(e->fb);
  free(e);
}

/* The plan must cover every layer exactly once with k in 1..threads: plan_check does the
 * user-facing validation; this keeps the engine safe from a plan built by hand in C. */
static dlf_status check_plan(const rt_engine *e, const plan *p, int n_layers) {
  const ir_graph *g = e->g;
  char *seen = dlf_calloc_array((size_t)n_layers + 1, 1);
  if (!seen) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory checking a plan", g->source);
  dlf_status st = DLF_OK;
  int count = 0;
  for (int b = 0; b < p->n_blocks && st == DLF_OK; b++) {
    const plan_block *pb = &p->blocks[b];
    if (pb->cores < 1 || pb->cores > e->threads)
      st = dlf_error(DLF_ERR_INVALID_ARG,
                     "%s: plan block %d runs on %d cores, but the session has %d thread%s",
                     g->source, b, pb->cores, e->threads, e->threads == 1 ? "" : "s");
    else if (pb->n_layers < 1 || pb->tile_rows < 0)
      st = dlf_error(DLF_ERR_INVALID_ARG, "%s: plan block %d is empty or has tile_rows %d",
                     g->source, b, pb->tile_rows);
    for (int j = 0; j < pb->n_layers && st == DLF_OK; j++) {
      int l = pb->layers[j];
      if (l < 0 || l >= n_layers || seen[l] || (j > 0 && l <= pb->layers[j - 1]))
        st = dlf_error(DLF_ERR_INVALID_ARG,
                       "%s: plan block %d: layer %d is out of range, out of order or in two "
                       "blocks",
                       g->source, b, l);
      else
        seen[l] = 1, count++;
    }
  }
  if (st == DLF_OK && count != n_layers)
    st = dlf_error(DLF_ERR_INVALID_ARG, "%s: the plan covers %d of the model's %d layers",
                   g->source, count, n_layers);
  free(seen);
  return st;
}

/* Activation lifetimes over block positions (a fused block's tensors all live during the
 * whole block, as its tiles interleave them), without the intermediates that only exist in
 * tile scratch; then one arena for the rest. */
static dlf_status plan_arena(rt_engine *e) {
  const ir_graph *g = e->g;
  dlf_status st = DLF_OK;
  rt_memplan_item *items = dlf_calloc_array((size_t)g->n_tensors + 1, sizeof *items);
  int *item_tensor = dlf_calloc_array((size_t)g->n_tensors + 1, sizeof *item_tensor);
  int *item_of = dlf_malloc_array((size_t)g->n_tensors + 1, sizeof *item_of);
  int64_t *offsets = dlf_calloc_array((size_t)g->n_tensors + 1, sizeof *offsets);
  if (!items || !item_tensor || !item_of || !offsets) {
    st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory planning memory", g->source);
    goto out;
  }
  int n = 0;
  for (int t = 0; t < g->n_tensors; t++) {
    item_of[t] = -1;
    int p = e->tensor_step[t];
    if (p < 0) continue;
    const rt_step *s = &e->steps[p];
    if (s->in_tile && !s->materialize && s->y == t) continue;
    const ir_tensor *tt = &g->tensors[t];
    int64_t bytes;
    if (!ir_shape_ok(g, tt->dtype, tt->ndim, tt->dims, &bytes)) {
      st = dlf_error(DLF_ERR_LIMIT, "%s: tensor '%s' is too large", g->source, tt->name);
      goto out;
    }
    item_of[t] = n;
    item_tensor[n] = t;
    items[n].bytes = bytes;
    items[n].first = items[n].last = s->block;
    n++;
  }
  for (int i = 0; i < e->n_steps; i++) {
    const ir_node *nd = &g->nodes[e->steps[i].node];
    for (int k = 0; k <= nd->n_inputs; k++) {
      int t = rt_slot_tensor(nd, k);
      if (t >= 0 && item_of[t] >= 0 && items[item_of[t]].last < e->steps[i].block)
        items[item_of[t]].last = e->steps[i].block;
    }
  }
  for (int i = 0; i < g->n_outputs; i++)
    if (item_of[g->outputs[i]] >= 0) items[item_of[g->outputs[i]]].last = e->n_blocks;
  st = rt_memplan_compute(items, n, RT_MEMPLAN_ALIGNMENT, offsets, &e->arena_bytes);
  if (st != DLF_OK) goto out;
  e->arena = rt_alloc_floats(e->arena_bytes / (int64_t)sizeof(float) + 1);
  if (!e->arena) {
    st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory for the activation arena (%lld bytes)",
                   g->source, (long long)e->arena_bytes);
    goto out;
  }
  for (int i = 0; i < n; i++)
    e->ptr[item_tensor[i]] = (char *)e->arena + offsets[i];
out:
  free(items);
  free(item_tensor);
  free(item_of);
  free(offsets);
  return st;
}

static dlf_status alloc_inputs(rt_engine *e) {
  const ir_graph *g = e->g;
  int64_t in_floats = 0;
  for (int i = 0; i < g->n_inputs; i++) {
    int t = g->inputs[i];
    e->in_off[i] = -1;
    if (e->nhwc[t]) {
      e->in_off[i] = in_floats;
      in_floats += (ir_tensor_numel(&g->tensors[t]) + 15) / 16 * 16;
    }
  }
  if (in_floats && !(e->inbuf = rt_alloc_floats(in_floats)))
    return dlf_error(DLF_ERR_NOMEM, "%s: out of memory for input buffers", g->source);
  return DLF_OK;
}

/* Per-thread scratch a conv kernel may use beyond its cache-sized default (Winograd's chunks,
 * kern_conv2d_params.scratch_bytes): all threads' together at most half of the model's largest
 * layer input + output, so that with the arena (planned within 1.31x of it over the suite)
 * a session's activation memory stays under 2x of it (issue 15). */
static int64_t conv_scratch_allowance(const ir_graph *g, int threads) {
  int64_t most = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    dlf_layer_info l;
    if (ir_layer_features(g, i, &l) == DLF_OK && l.act_in_bytes + l.act_out_bytes > most)
      most = l.act_in_bytes + l.act_out_bytes;
  }
  return most / 2 / (threads > 0 ? threads : 1);
}

/* Steps of every block in plan order; fused blocks get their tile schedule. */
static dlf_status compile_blocks(rt_engine *e, const plan *p, const int *layer_node,
                                 bool exact_cores) {
  const ir_graph *g = e->g;
  for (int b = 0; b < p->n_blocks; b++) {
    const plan_block *pb = &p->blocks[b];
    rt_block *blk = &e->blocks[e->n_blocks++];
    blk->first = e->n_steps;
    blk->n = pb->n_layers;
    blk->cores = pb->cores;
    blk->batch = 1;
    for (int j = 0; j < pb->n_layers; j++) {
      const ir_node *n = &g->nodes[layer_node[pb->layers[j]]];
      rt_step *s = &e->steps[e->n_steps++];
      s->node = (int)(n - g->nodes);
      s->layer = pb->layers[j];
      s->block = b;
      s->cores = pb->cores;
      const plan_algo algo = pb->algo ? pb->algo[j] : PLAN_ALGO_AUTO;
      /* plan_check's own rule (a plan built in C may not have passed it): a class trusts
       * that the plan's algorithm can run the node. */
      char why[256];
      if ((int)algo < 0 || algo >= PLAN_ALGO_COUNT || !plan_algo_supports(g, n, algo, why, sizeof why))
        return ir_node_error(g, n, DLF_ERR_INVALID_ARG, "plan block %d: %s", b,
                             (int)algo < 0 || algo >= PLAN_ALGO_COUNT ? "unknown algorithm" : why);
      DLF_TRY(rt_compile_step(e, n, s, algo));
      if (exact_cores && s->kind != STEP_FALLBACK) s->cores = pb->cores;
      for (int o = 0; o < n->n_outputs; o++)
        if (n->outputs[o] >= 0) e->tensor_step[n->outputs[o]] = e->n_steps - 1;
    }
    if (blk->n == 1) {
      blk->cores = e->steps[blk->first].cores;
      rt_step *s = &e->steps[blk->first];
      const rt_step_class *c = rt_step_class_of(s->kind);
      if (c->bands) c->bands(e, s, pb->tile_rows);
    }
  }
  for (int b = 0; b < e->n_blocks; b++)
    if (e->blocks[b].n > 1) DLF_TRY(rt_fused_compile(e, &e->blocks[b], p->blocks[b].tile_rows));
  return DLF_OK;
}

dlf_status rt_engine_create(const ir_graph *g, const rt_engine_options *opts, rt_engine **out) {
  *out = NULL;
  rt_engine *e = calloc(1, sizeof *e);
  if (!e) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory creating the engine", g->source);
  e->g = g;
  e->cfg = opts && opts->cfg ? opts->cfg : kern_config_get();
  e->threads = opts && opts->threads > 0 ? opts->threads : dlf_cpu_info_get()->n_available;
  if (e->threads < 1) e->threads = 1;
  if (e->threads > RT_POOL_MAX_THREADS) e->threads = RT_POOL_MAX_THREADS;
  e->min_parallel_work = opts && opts->min_parallel_work ? opts->min_parallel_work
                                                         : SMALL_STEP_WORK;
  e->winograd = !(opts && opts->no_winograd);
  e->conv_scratch_bytes = conv_scratch_allowance(g, e->threads);
  dlf_status st = DLF_OK;
  plan *own_plan = NULL;
  const plan *p = opts ? opts->plan : NULL;
  int n_layers = plan_layer_nodes(g, NULL);
  int *layer_node = dlf_calloc_array((size_t)n_layers + 1, sizeof *layer_node);
  e->ptr = dlf_calloc_array((size_t)g->n_tensors + 1, sizeof *e->ptr);
  e->nhwc = dlf_calloc_array((size_t)g->n_tensors + 1, sizeof *e->nhwc);
  e->tensor_step = dlf_malloc_array((size_t)g->n_tensors + 1, sizeof *e->tensor_step);
  e->steps = dlf_calloc_array((size_t)n_layers + 1, sizeof *e->steps);
  e->in_off = dlf_calloc_array((size_t)g->n_inputs + 1, sizeof *e->in_off);
  if (!layer_node || !e->ptr || !e->nhwc || !e->tensor_step || !e->steps || !e->in_off) {
    st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory creating the engine", g->source);
    goto fail;
  }
  plan_layer_nodes(g, layer_node);
  if (!p) {
    st = plan_unfused(g, NULL, e->threads, &own_plan);
    if (st != DLF_OK) goto fail;
    p = own_plan;
  }
  st = check_plan(e, p, n_layers);
  if (st != DLF_OK) goto fail;
  e->blocks = dlf_calloc_array((size_t)p->n_blocks + 1, sizeof *e->blocks);
  if (!e->blocks) {
    st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory creating the engine", g->source);
    goto fail;
  }
  for (int t = 0; t < g->n_tensors; t++) {
    const ir_tensor *tt = &g->tensors[t];
    e->nhwc[t] = !tt->data && tt->dtype == IR_F32 && tt->ndim == 4;
    e->tensor_step[t] = -1;
    if (tt->data) e->ptr[t] = tt->data;
  }
  if ((st = alloc_inputs(e)) != DLF_OK) goto fail;
  if ((st = compile_blocks(e, p, layer_node, opts && opts->plan)) != DLF_OK) goto fail;
  if ((st = plan_arena(e)) != DLF_OK) goto fail;
  int64_t total;
  if (e->scratch_floats && (!dlf_mul_i64(e->scratch_floats, e->threads, &total) ||
                            !(e->scratch = rt_alloc_floats(total)))) {
    st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory for im2col scratch", g->source);
    goto fail;
  }
  if (e->tile_floats && (!dlf_mul_i64(e->tile_floats, e->threads, &total) ||
                         !(e->tile = rt_alloc_floats(total)))) {
    st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory for fused tiles", g->source);
    goto fail;
  }
  if (e->fb_floats && !(e->fb = rt_alloc_floats(e->fb_floats))) {
    st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory for fallback buffers", g->source);
    goto fail;
  }
  st = rt_pool_create(e->threads, NULL, &e->pool);
  if (st != DLF_OK) goto fail;
  plan_free(own_plan);
  free(layer_node);
  *out = e;
  return DLF_OK;
fail:
  plan_free(own_plan);
  free(layer_node);
  rt_engine_free(e);
  return st;
}

dlf_status rt_engine_run(rt_engine *e, const void *const *inputs, void *const *outputs,
                         double *node_ms, double *block_ms) {
  const ir_graph *g = e->g;
  for (int i = 0; i < g->n_inputs; i++) {
    int t = g->inputs[i];
    if (e->in_off[i] >= 0) {
      const int64_t *d = g->tensors[t].dims;
      rt_nchw_to_nhwc(inputs[i], e->inbuf + e->in_off[i], d[0], d[1], d[2], d[3]);
      e->ptr[t] = e->inbuf + e->in_off[i];
    } else {
      e->ptr[t] = (void *)inputs[i];
    }
  }
  if (node_ms)
    for (int i = 0; i < g->n_nodes; i++)
      node_ms[i] = 0;
  for (int b = 0; b < e->n_blocks; b++) {
    const rt_block *blk = &e->blocks[b];
    double t0 = node_ms || block_ms ? now_ms() : 0;
    dlf_status st = blk->n == 1 ? rt_run_step(e, &e->steps[blk->first]) : rt_fused_run(e, blk);
    if (st != DLF_OK) return st;
    if (node_ms || block_ms) {
      double ms = now_ms() - t0;
      if (node_ms) node_ms[e->steps[blk->first + blk->n - 1].node] = ms;
      if (block_ms) block_ms[b] = ms;
    }
  }
  for (int j = 0; j < g->n_outputs; j++) {
    int t = g->outputs[j];
    const ir_tensor *tt = &g->tensors[t];
    if (e->nhwc[t])
      rt_nhwc_to_nchw(e->ptr[t], outputs[j], tt->dims[0], tt->dims[1], tt->dims[2], tt->dims[3]);
    else
      memcpy(outputs[j], e->ptr[t], (size_t)ir_tensor_numel(tt) * ir_dtype_size(tt->dtype));
  }
  return DLF_OK;
}

const char *rt_engine_name(const rt_engine *e) {
  switch (e->cfg->isa) {
  case KERN_ISA_AVX512: return "fast (avx512)";
  case KERN_ISA_AVX2: return "fast (avx2)";
  default: return "fast (generic)";
  }
}

int rt_engine_threads(const rt_engine *e) { return e->threads; }
int rt_engine_num_steps(const rt_engine *e) { return e->n_steps; }
int rt_engine_num_fallback_steps(const rt_engine *e) { return e->n_fallback; }
int rt_engine_num_blocks(const rt_engine *e) { return e->n_blocks; }

void rt_engine_memory(const rt_engine *e, int64_t *arena, int64_t *scratch, int64_t *weights) {
  int64_t in = 0, w = 0;
  for (int i = 0; i < e->g->n_inputs; i++)
    if (e->in_off[i] >= 0) in += ir_tensor_numel(&e->g->tensors[e->g->inputs[i]]);
  for (int i = 0; i < e->n_steps; i++)
    w += e->steps[i].packed_floats;
  *arena = e->arena_bytes;
  *scratch = (int64_t)sizeof(float) *
             ((e->scratch_floats + e->tile_floats) * e->threads + e->fb_floats + in);
  *weights = w * (int64_t)sizeof(float);
}
