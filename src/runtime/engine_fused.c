/* engine_fused.c — fused blocks: the tile schedule (which rows of every layer a tile
 * computes) and its execution.
 *
 * A fused block's output is computed in tiles: bands of `tile_rows` rows of its last layer,
 * per image. Working backwards through the block, each layer is given the rows its
 * in-block consumers read for that tile (a conv's window, a Winograd conv's whole 4-row
 * tiles, an elementwise op's same rows), and computes exactly those rows into per-thread
 * tile scratch. Tiles are independent: a tile recomputes the halo rows its neighbour also
 * computes (no rolling line buffer), so the block's k threads take tiles from one counter
 * with no synchronisation between layers: one parallel region per block.
 *
 * Why recompute rather than a rolling line buffer: a line buffer computes each row once but
 * forces tiles of one image to run in order on one thread, so a batch-1 block could not use
 * k > 1 cores except by splitting channels; recompute costs (tile_rows + halo) / tile_rows
 * of the block's non-final work and keeps every tile independent. The tuner trades that
 * overhead against cache fit through tile_rows.
 *
 * Which tensors exist in full: the block's inputs (earlier blocks' outputs) and every
 * output of a layer that something outside the block reads (or a graph output). A layer
 * whose output is read both inside and outside the block computes its rows into tile
 * scratch and copies the rows its tile *owns* to the full tensor; owned ranges partition
 * the rows, so no two tiles write the same row. Every other intermediate never exists in
 * full: that is the memory traffic fusion saves. */
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/cpu.h"
#include "runtime/engine_internal.h"

typedef rt_span span;

static bool span_empty(span a) { return a.lo >= a.hi; }

static span span_hull(span a, span b) {
  if (span_empty(a)) return b;
  if (span_empty(b)) return a;
  return (span){a.lo < b.lo ? a.lo : b.lo, a.hi > b.hi ? a.hi : b.hi};
}

static span span_clip(span a, int64_t n) {
  if (a.lo < 0) a.lo = 0;
  if (a.hi > n) a.hi = n;
  return span_empty(a) ? (span){0, 0} : a;
}

/* Rows a step's kernel computes when asked for `r`: whole groups of row_align rows (aligned
 * to row 0: Winograd's 4-row tiles), whose inputs it reads though it writes only `r`. */
static span computed_rows(const rt_step *s, span r) {
  if (span_empty(r) || s->row_align <= 1) return r;
  r.lo = r.lo / s->row_align * s->row_align;
  r.hi = (r.hi + s->row_align - 1) / s->row_align * s->row_align;
  return r;
}

/* Rows of input slot k (slot n_inputs = the residual) that step s reads to compute output
 * rows r: what its class says (a window for convs and pools, one row for a channel vector),
 * else the same rows. */
static span input_rows(const rt_engine *e, const rt_step *s, int k, span r) {
  r = computed_rows(s, r);
  if (span_empty(r)) return (span){0, 0};
  const rt_step_class *c = rt_step_class_of(s->kind);
  const int t = rt_slot_tensor(&e->g->nodes[s->node], k);
  if (c->rows_in) r = c->rows_in(e, s, k, r);
  return span_clip(r, e->g->tensors[t].dims[2]);
}

/* A step may be part of a multi-layer block when its class runs rows (rt_step_class.rows), the
 * layer is row-local (plan_layer_row_local, the checker's own rule), its output is NHWC and
 * every activation it reads is NHWC. */
static bool fusable(const rt_engine *e, const rt_step *s) {
  if (!rt_step_class_of(s->kind)->rows) return false;
  if (!e->nhwc[s->y] || !plan_layer_row_local(e->g, &e->g->nodes[s->node])) return false;
  const ir_node *n = &e->g->nodes[s->node];
  if (n->n_inputs + 1 > MAX_FUSED_SLOTS) return false;
  for (int k = 0; k <= n->n_inputs; k++) {
    int t = rt_slot_tensor(n, k);
    if (t >= 0 && !e->g->tensors[t].data && !e->nhwc[t]) return false;
  }
  return true;
}

/* Is tensor t (written by a step of block b) read by a step outside b, or a graph output? */
static bool read_outside(const rt_engine *e, const rt_block *b, int t) {
  const ir_graph *g = e->g;
  for (int i = 0; i < g->n_outputs; i++)
    if (g->outputs[i] == t) return true;
  for (int i = 0; i < e->n_steps; i++) {
    if (i >= b->first && i < b->first + b->n) continue;
    const ir_node *n = &g->nodes[e->steps[i].node];
    for (int k = 0; k <= n->n_inputs; k++)
      if (rt_slot_tensor(n, k) == t) return true;
  }
  return false;
}

/* The schedule for `tiles` tiles of `h` rows of the last step: fills rows/owned (tiles*n*2
 * each) and returns the per-thread tile scratch in floats (each in-tile step's largest
 * range, rounded to 16 floats), setting the steps' tile_off / tile_cap. */
static int64_t schedule(rt_engine *e, rt_block *b, int64_t h, int64_t tiles, int64_t *rows,
                        int64_t *owned) {
  const int m = b->n;
  rt_step *S = &e->steps[b->first];
  for (int j = m - 1; j >= 0; j--) {
    rt_step *s = &S[j];
    const int64_t H = s->out_h;
    for (int64_t i = 0; i < tiles; i++) {
      span need = {0, 0};
      if (!s->in_tile) {
        /* A sink: the last step gets bands of h rows, other sinks proportional bands. */
        if (j == m - 1)
          need = span_clip((span){i * h, (i + 1) * h}, H);
        else
          need = (span){i * H / tiles, (i + 1) * H / tiles};
      } else {
        for (int c = j + 1; c < m; c++) {
          const ir_node *cn = &e->g->nodes[S[c].node];
          span cr = {rows[(i * m + c) * 2], rows[(i * m + c) * 2 + 1]};
          for (int k = 0; k <= cn->n_inputs; k++)
            if (rt_slot_tensor(cn, k) == s->y) need = span_hull(need, input_rows(e, &S[c], k, cr));
        }
      }
      rows[(i * m + j) * 2] = need.lo, rows[(i * m + j) * 2 + 1] = need.hi;
      owned[(i * m + j) * 2] = need.lo, owned[(i * m + j) * 2 + 1] = need.hi;
    }
    if (!s->materialize) continue;
    /* Owned rows partition [0, H): tile i owns [bound_i, bound_i+1) with bound_0 = 0,
     * bound_i = the first row tile i needs (kept monotone), bound_tiles = H; a tile
     * computes the hull of what it needs and what it owns. */
    int64_t bound = 0;
    for (int64_t i = 0; i < tiles; i++) {
      int64_t next = H;
      if (i + 1 < tiles) {
        span nx = {rows[((i + 1) * m + j) * 2], rows[((i + 1) * m + j) * 2 + 1]};
        next = span_empty(nx) ? bound : nx.lo;
        if (next < bound) next = bound;
        if (next > H) next = H;
      }
      span need = {rows[(i * m + j) * 2], rows[(i * m + j) * 2 + 1]};
      span own = {bound, next};
      need = span_hull(need, own);
      rows[(i * m + j) * 2] = need.lo, rows[(i * m + j) * 2 + 1] = need.hi;
      owned[(i * m + j) * 2] = own.lo, owned[(i * m + j) * 2 + 1] = own.hi;
      bound = next;
    }
  }
  int64_t floats = 0;
  for (int j = 0; j < m; j++) {
    rt_step *s = &S[j];
    if (!s->in_tile) continue;
    int64_t cap = 0;
    for (int64_t i = 0; i < tiles; i++) {
      int64_t r = rows[(i * m + j) * 2 + 1] - rows[(i * m + j) * 2];
      if (r > cap) cap = r;
    }
    s->tile_off = floats;
    s->tile_cap = cap;
    floats += (cap * s->row_floats + 15) / 16 * 16;
  }
  return floats;
}

/* The engine's tile height is at most this many rows: taller tiles fitted L2 but ran slower
 * (SqueezeNet fire modules on 1 core: whole-model 0.91x of unfused with the tallest fitting
 * tiles, 1.00x / 1.03x with 8 / 12 rows). The tuner will choose per block. */
#define AUTO_MAX_TILE_ROWS 12

dlf_status rt_fused_compile(rt_engine *e, rt_block *b, int64_t tile_rows) {
  const ir_graph *g = e->g;
  const int m = b->n;
  rt_step *S = &e->steps[b->first];
  for (int j = 0; j < m; j++) {
    const ir_node *n = &g->nodes[S[j].node];
    if (!fusable(e, &S[j]))
      return ir_node_error(g, n, DLF_ERR_INVALID_ARG,
                           "plan block %d: layer %d cannot be fused (%s); it must be a block of "
                           "its own",
                           S[j].block, S[j].layer,
                           S[j].kind == STEP_FALLBACK ? "it runs on the reference fallback"
                                                      : "it needs its whole input");
    if (g->tensors[S[j].y].dims[0] != g->tensors[S[0].y].dims[0])
      return ir_node_error(g, n, DLF_ERR_INVALID_ARG, "plan block %d: batch sizes differ",
                           S[j].block);
  }
  /* Which outputs stay in tile scratch, and which of those are also needed in full. */
  for (int j = 0; j < m; j++) {
    S[j].in_tile = false;
    for (int c = j + 1; c < m && !S[j].in_tile; c++) {
      const ir_node *cn = &g->nodes[S[c].node];
      for (int k = 0; k <= cn->n_inputs; k++)
        if (rt_slot_tensor(cn, k) == S[j].y) S[j].in_tile = true;
    }
    S[j].materialize = S[j].in_tile && read_outside(e, b, S[j].y);
  }
  b->batch = g->tensors[S[m - 1].y].dims[0];
  const int64_t H = S[m - 1].out_h;
  if (H < 1) return DLF_OK; /* empty output: nothing to tile */
  /* Tile height: the plan's, else the tallest tile whose scratch fits in half of L2 while
   * giving every core at least two tiles (when the rows allow). */
  int64_t h = tile_rows > 0 ? (tile_rows < H ? tile_rows : H) : 0;
  int64_t *rows = NULL, *owned = NULL;
  size_t cap = (size_t)H * (size_t)m * 2;
  rows = dlf_malloc_array(cap, sizeof *rows);
  owned = dlf_malloc_array(cap, sizeof *owned);
  if (!rows || !owned) {
    free(rows);
    free(owned);
    return dlf_error(DLF_ERR_NOMEM, "%s: out of memory for a tile schedule", g->source);
  }
  if (h == 0) {
    /* A step that computes whole groups of row_align rows (Winograd's 4-row tiles: a band
     * of 7 rows costs 8 rows, plus the inputs of 8) gets heights in multiples of them
     * (measured on SqueezeNet's fire modules at 2 cores: auto 7-row tiles ran 0.91x of
     * unfused, 8-row tiles 1.07x). Alignments are 1 or 4: the largest is a multiple of all. */
    int64_t step = 1;
    for (int j = 0; j < m; j++)
      if (S[j].row_align > step) step = S[j].row_align;
    const dlf_cpu_info *ci = dlf_cpu_info_get();
    int64_t budget = (ci->l2_bytes > 0 ? ci->l2_bytes : 1 << 20) / 2 / (int64_t)sizeof(float);
    int64_t want_tiles = b->cores > 1 ? (2 * b->cores + b->batch - 1) / b->batch : 1;
    h = (H + want_tiles - 1) / want_tiles;
    if (h > AUTO_MAX_TILE_ROWS) h = AUTO_MAX_TILE_ROWS;
    h = (h + step - 1) / step * step;
    if (h > H) h = H;
    for (; h > step; h -= step) {
      int64_t tiles = (H + h - 1) / h;
      if (schedule(e, b, h, tiles, rows, owned) <= budget) break;
    }
    if (h < 1) h = 1;
  }
  b->tiles = (H + h - 1) / h;
  int64_t floats = schedule(e, b, h, b->tiles, rows, owned);
  b->rows = rows;
  b->owned = owned;
  if (floats > e->tile_floats) e->tile_floats = floats;
  return DLF_OK;
}

/* Per-image view of slot k's tensor for tile `i` of the running block. */
static const float *slot_view(const rt_engine *e, const rt_block *b, float *tile, int64_t img,
                              int64_t i, int t) {
  if (t < 0 || e->g->tensors[t].data) return NULL;
  int p = e->tensor_step[t];
  if (p >= b->first && p < b->first + b->n && e->steps[p].in_tile) {
    const rt_step *ps = &e->steps[p];
    int64_t lo = b->rows[(i * b->n + (p - b->first)) * 2];
    return rt_row_view(tile + ps->tile_off, lo, ps->row_floats);
  }
  const ir_tensor *tt = &e->g->tensors[t];
  return (const float *)e->ptr[t] + img * (ir_tensor_numel(tt) / tt->dims[0]);
}

static void run_tiles(void *ctx, int t, int64_t begin, int64_t end) {
  rt_engine *e = ctx;
  const rt_block *b = e->cur_block;
  float *tile = e->tile + (int64_t)t * e->tile_floats;
  const float *in[MAX_FUSED_SLOTS];
  for (int64_t it = begin; it < end; it++) {
    const int64_t img = it / b->tiles, i = it % b->tiles;
    for (int j = 0; j < b->n; j++) {
      const rt_step *s = &e->steps[b->first + j];
      const int64_t lo = b->rows[(i * b->n + j) * 2], hi = b->rows[(i * b->n + j) * 2 + 1];
      if (lo >= hi) continue;
      const ir_node *n = &e->g->nodes[s->node];
      for (int k = 0; k <= n->n_inputs; k++)
        in[k] = slot_view(e, b, tile, img, i, rt_slot_tensor(n, k));
      float *full = e->ptr[s->y] ? (float *)e->ptr[s->y] + img * s->y_img : NULL;
      float *y = s->in_tile ? rt_row_view(tile + s->tile_off, lo, s->row_floats) : full;
      rt_exec_rows(e, s, t, in, y, lo, hi);
      if (s->materialize) {
        const int64_t o0 = b->owned[(i * b->n + j) * 2], o1 = b->owned[(i * b->n + j) * 2 + 1];
        if (o1 > o0)
          memcpy(full + o0 * s->row_floats, y + o0 * s->row_floats,
                 (size_t)((o1 - o0) * s->row_floats) * sizeof(float));
      }
    }
  }
}

dlf_status rt_fused_run(rt_engine *e, const rt_block *b) {
  e->cur_block = b;
  return rt_pool_run_grain(e->pool, b->cores, b->batch * b->tiles, 1, run_tiles, e);
}

/* Work of a step per output row (multiply-adds for convs, window visits for pools, element
 * visits otherwise). */
static double work_per_row(const rt_step *s) {
  const rt_step_class *c = rt_step_class_of(s->kind);
  return c->work_per_row ? c->work_per_row(s) : (double)s->row_floats;
}

static int64_t tensor_bytes(const ir_graph *g, int t) {
  return ir_tensor_numel(&g->tensors[t]) * (int64_t)ir_dtype_size(g->tensors[t].dtype);
}

void rt_engine_block_stats(const rt_engine *e, int bi, dlf_block_stats *out) {
  const ir_graph *g = e->g;
  const rt_block *b = &e->blocks[bi];
  memset(out, 0, sizeof *out);
  out->tiles = b->n > 1 ? b->tiles : 1;
  out->recompute = 1.0;
  const dlf_cpu_info *ci = dlf_cpu_info_get();
  out->l2_bytes = ci->l2_bytes;
  double work = 0, work_unfused = 0;
  for (int j = 0; j < b->n; j++) {
    const rt_step *s = &e->steps[b->first + j];
    const ir_node *n = &g->nodes[s->node];
    out->dram_read_bytes += s->packed_floats * (int64_t)sizeof(float);
    for (int k = 0; k <= n->n_inputs; k++) {
      int t = rt_slot_tensor(n, k);
      if (t < 0 || g->tensors[t].data) continue;
      int p = e->tensor_step[t];
      bool inside = p >= b->first && p < b->first + b->n;
      bool seen = false; /* count a tensor read by several layers of the block once */
      for (int j2 = 0; j2 < j && !seen; j2++) {
        const ir_node *n2 = &g->nodes[e->steps[b->first + j2].node];
        for (int k2 = 0; k2 <= n2->n_inputs; k2++)
          if (rt_slot_tensor(n2, k2) == t) seen = true;
      }
      for (int k2 = 0; k2 < k && !seen; k2++)
        if (rt_slot_tensor(n, k2) == t) seen = true;
      if (!inside && !seen) out->dram_read_bytes += tensor_bytes(g, t);
    }
    for (int o = 0; o < n->n_outputs; o++)
      if (n->outputs[o] >= 0 && (!s->in_tile || s->materialize))
        out->dram_write_bytes += tensor_bytes(g, n->outputs[o]);
    if (b->n == 1 || s->out_h < 1) continue;
    int64_t rows = 0;
    for (int64_t i = 0; i < b->tiles; i++)
      rows += b->rows[(i * b->n + j) * 2 + 1] - b->rows[(i * b->n + j) * 2];
    rows *= b->batch;
    work += (double)rows * work_per_row(s);
    work_unfused += (double)(s->out_h * b->batch) * work_per_row(s);
    if (s->in_tile) {
      out->cache_bytes += 2 * rows * s->row_floats * (int64_t)sizeof(float);
      if (!s->materialize) out->saved_bytes += 2 * tensor_bytes(g, s->y);
      out->scratch_bytes += s->tile_cap * s->row_floats * (int64_t)sizeof(float);
    }
  }
  if (work_unfused > 0) out->recompute = work / work_unfused;
}
