/* accel_sim.c — the detailed accelerator simulator (accel_sim.h): a block on k cores tiled to
 * each core's private on-chip memory, halos recomputed or exchanged, DMA with setup latency
 * and per-cluster bandwidth, lane efficiency per op class, fill/drain pipelines. */
#include "target/accel_sim.h"

#include <math.h>
#include <string.h>

#include "core/status.h"

/* dlfusion's layer table counts float32 bytes (the runtime is fp32 only); the part moves
 * sim.elem_bytes per element, so every byte count is rescaled by elem_bytes / 4. */
#define SIM_TABLE_ELEM_BYTES 4.0
/* Weights that do not fit beside the tiles are streamed in chunks through what memory the
 * tiles leave, two chunks in flight (double buffering); a chunk holds at least one output
 * channel's filter. */
/* When not even one row of tiles fits, rows are split along the width into q = 2, 4, ...
 * segments (their column halo is not counted) up to this many. */
#define SIM_MAX_WIDTH_SPLIT 64

static bool weight_chunk(double w, int64_t cout, double free_bytes, double *chunk) {
  double filter = w / (double)(cout > 0 ? cout : 1);
  *chunk = fmin(w, free_bytes / 2);
  return w > 0 && *chunk >= filter;
}

/* One layer as the simulator prices it: bytes on the part. */
typedef struct sim_layer {
  const target_layer *l;
  double in_row, out_row; /* bytes per row: all activation inputs / the output */
  double prev_row;        /* bytes per input row produced by the previous layer of the block */
  double w;               /* weight bytes */
  double in_elems, out_elems;
  int64_t in_rows, out_rows;
} sim_layer;

typedef struct sim {
  const target *t;
  const target_accel *a;
  const target_sim *p;
  double scale;      /* elem_bytes / 4 */
  double mac_per_us; /* one core's MACs per microsecond at full lane use */
  double vec_per_us; /* one core's vector elements per microsecond */
  double mem;        /* on-chip bytes per core */
  int k;
} sim;

/* A stage's account: what one core spends (the slowest core's). */
typedef struct stage {
  double us, mac_us, vec_us, halo_us, setup_us, dma_us, fill_drain_us;
  double dram_bytes; /* all cores */
  int64_t transfers;
  int tiles;
  int64_t tile_rows;
  bool streamed, spilled;
} stage;

static int64_t ceil_div(int64_t a, int64_t b) { return b > 0 ? (a + b - 1) / b : a; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static double lane_fill(int64_t x, int lanes) {
  if (x <= 0) return 1.0;
  return (double)x / ((double)ceil_div(x, lanes) * lanes);
}

double target_sim_mac_eff(int lanes, int64_t cin_g, int64_t cout_g, int64_t groups) {
  if (lanes <= 1) return 1.0;
  if (cin_g < 1) cin_g = 1;
  if (cout_g < 1) cout_g = 1;
  /* Small groups (depthwise: 1 x 1) are packed along the array's diagonal: p groups of
   * cin_g x cout_g MACs in one lanes x lanes pass. */
  if (groups > 1 && cin_g < lanes && cout_g < lanes) {
    int64_t p = lanes / max64(cin_g, cout_g);
    if (p > groups) p = groups;
    return (double)(p * cin_g * cout_g) / ((double)lanes * lanes);
  }
  return lane_fill(cin_g, lanes) * lane_fill(cout_g, lanes);
}

/* Rows of layer L's input needed for r rows of its output. */
static int64_t need_rows(const sim_layer *L, int64_t r) {
  const target_layer *l = L->l;
  if (L->out_rows <= 1 || L->in_rows <= 1) return L->in_rows; /* no row structure: all */
  if ((l->op_class == TARGET_OP_CONV || l->op_class == TARGET_OP_POOL) && l->kernel_h > 0) {
    int64_t s = l->stride_h > 0 ? l->stride_h : 1;
    return min64(L->in_rows, (r - 1) * s + l->kernel_h);
  }
  return min64(L->in_rows, ceil_div(r * L->in_rows, L->out_rows));
}

/* Compute of `rows` output rows of L and a fraction cf of its output channels on one core. */
static void compute(const sim *s, const sim_layer *L, int64_t rows, double cf, double *mac_us,
                    double *vec_us) {
  const target_layer *l = L->l;
  double frac = (double)rows / (double)(L->out_rows > 0 ? L->out_rows : 1) * cf;
  double mac = 0, vec = 0;
  switch (l->op_class) {
  case TARGET_OP_CONV:
  case TARGET_OP_GEMM: {
    int64_t g = l->groups > 0 ? l->groups : 1;
    int64_t cin_g = l->in_channels / g, cout_g = l->out_channels / g;
    if (g == 1) /* a channel slice narrows the output side of the array */
      cout_g = (int64_t)ceil((double)l->out_channels * cf - 1e-9);
    else /* whole groups per core */
      g = max64(1, (int64_t)ceil((double)g * cf - 1e-9));
    double eff = target_sim_mac_eff(s->a->lanes, cin_g, cout_g, g);
    mac = (double)l->macs * frac / (s->mac_per_us * eff);
    if (l->residual) vec = L->out_elems * frac; /* the fused add */
    break;
  }
  case TARGET_OP_POOL: {
    double window =
        (double)(l->kernel_h > 0 ? l->kernel_h : 1) * (l->kernel_w > 0 ? l->kernel_w : 1);
    vec = L->out_elems * window * frac;
    break;
  }
  case TARGET_OP_ELTWISE: vec = L->in_elems * frac; break;
  case TARGET_OP_CONCAT: vec = L->out_elems * frac; break;
  default: break; /* a view */
  }
  *mac_us = mac;
  *vec_us = vec / s->vec_per_us;
}

/* Bytes per microsecond one of `busy` cores gets: its cluster's channel, shared. */
static double core_bw(const sim *s, int busy) {
  const target_accel *a = s->a;
  int64_t clusters = min64(a->dram_channels, ceil_div(busy, a->cores_per_channel));
  if (clusters < 1) clusters = 1;
  int64_t sharing = ceil_div(busy, clusters);
  if (sharing < 1) sharing = 1;
  return a->dram_gbps_per_channel * 1e3 / (double)sharing;
}

static double dma_us(const sim *s, double bytes, int64_t transfers, double bw) {
  return (double)transfers * s->p->dma_setup_us + bytes / bw;
}

/* T tiles, each c us of compute, l us of load and s us of store; f us of loads before the
 * first tile (weights). Fill (first load) and drain (last store) do not overlap compute. */
static double pipeline(int64_t T, double c, double l, double st, double f, double *fill_drain) {
  double steady = c > l + st ? c : l + st;
  *fill_drain = l + c + st - steady;
  return f + l + c + (double)(T - 1) * steady + st;
}

/* ------------------------------------------------- way 1: rows, recompute -- */

static stage rows_recompute(const sim *s, const sim_layer *L, int n, double ext_in,
                            double ext_out) {
  stage best = {.us = INFINITY};
  const sim_layer *last = &L[n - 1];
  int64_t R = last->out_rows > 0 ? last->out_rows : 1;
  int64_t ku = min64(s->k, R), B = ceil_div(R, ku);
  ku = ceil_div(R, B);
  double bw = core_bw(s, (int)ku);
  double wsum = 0, wmax = 0, fair_mac = 0, fair_vec = 0;
  int64_t wlayers = 0, in_transfers = 1, wmax_cout = 1;
  for (int j = 0; j < n; j++) {
    wsum += L[j].w;
    if (L[j].w > wmax) wmax = L[j].w, wmax_cout = L[j].l->out_channels;
    wlayers += L[j].w > 0;
    in_transfers += L[j].l->residual;
    double m, v;
    compute(s, &L[j], L[j].out_rows, 1.0, &m, &v);
    fair_mac += m / (double)ku;
    fair_vec += v / (double)ku;
  }
  int64_t r[n];
  for (int q = 1; q <= SIM_MAX_WIDTH_SPLIT && !isfinite(best.us); q *= 2)
    for (int64_t t = 1; t <= B; t++) {
      int64_t T = ceil_div(B, t) * q;
      const double iq = 1.0 / q; /* a tile's share of a row */
      r[n - 1] = t;
      for (int j = n - 1; j > 0; j--)
        r[j - 1] = min64(L[j - 1].out_rows, need_rows(&L[j], r[j]));
      int64_t need0 = need_rows(&L[0], r[0]);
      /* live set: at layer j its input and output tiles, plus inputs of later layers that do
       * not come from their predecessor (skip connections, concat inputs), held from the start */
      double held = 0, peak = 0, mac = 0, vec = 0;
      for (int j = n - 1; j >= 0; j--) {
        double in_tile = (double)need_rows(&L[j], r[j]) * L[j].in_row * iq;
        double out_tile = (double)r[j] * L[j].out_row * iq;
        double live = in_tile + out_tile + held;
        if (live > peak) peak = live;
        if (j > 0) {
          double extra = L[j].in_row - L[j].prev_row;
          if (extra > 0) held += (double)need_rows(&L[j], r[j]) * extra * iq;
        }
        double m, v;
        compute(s, &L[j], r[j], 1.0, &m, &v);
        mac += m * iq;
        vec += v * iq;
      }
      double in_bytes = ext_in * iq * (double)need0 / (double)(L[0].in_rows > 0 ? L[0].in_rows : 1);
      double out_bytes = ext_out * iq * (double)t / (double)R;
      double dbuf = T > 1 ? in_bytes + out_bytes : 0;
      double f = 0, l, wtile = 0;
      int64_t wtransfers = wlayers;
      bool streamed = false;
      if (wsum + peak + dbuf <= s->mem) {
        f = dma_us(s, wsum, wlayers, bw);
      } else {
        double chunk;
        if (!weight_chunk(wmax, wmax_cout, s->mem - peak - dbuf, &chunk)) continue;
        streamed = true;
        wtransfers = 0;
        for (int j = 0; j < n; j++)
          if (L[j].w > 0) wtransfers += (int64_t)ceil(L[j].w / chunk);
        wtile = wsum;
      }
      l = dma_us(s, in_bytes + wtile, in_transfers + (streamed ? wtransfers : 0), bw);
      double st = dma_us(s, out_bytes, 1, bw), fd;
      double c = mac + vec;
      double us = pipeline(T, c, l, st, f, &fd);
      if (us <= best.us) { /* ties: the larger tile (fewer transfers) */
        best = (stage){.us = us,
                       .mac_us = T * mac,
                       .vec_us = T * vec,
                       .halo_us = T * c - (fair_mac + fair_vec),
                       .fill_drain_us = fd,
                       .tiles = (int)T,
                       .tile_rows = t,
                       .streamed = streamed};
        best.transfers =
            (streamed ? 0 : wtransfers) + T * (in_transfers + 1 + (streamed ? wtransfers : 0));
        best.setup_us = (double)best.transfers * s->p->dma_setup_us;
        best.dma_us = f + T * (l + st);
        best.dram_bytes = (double)ku * ((streamed ? 0 : wsum) + T * (in_bytes + wtile + out_bytes));
      }
    }
  if (best.halo_us < 0) best.halo_us = 0;
  /* the end of the kernel: its cores' barrier */
  best.us += target_accel_sync_us(s->a, s->k);
  return best;
}

/* ------------------------------------- ways 2 and 3: one layer at a time -- */

/* One layer on `busy` cores, each computing `rows` of its output rows and a fraction cf of
 * its output channels, reading a fraction infrac of each input row. in_onchip: its input band
 * (in_band bytes) is already in the core's memory; out_keep: its output band stays there. */
static stage layer_stage(const sim *s, const sim_layer *L, int busy, int64_t rows, double cf,
                         double infrac, bool in_onchip, double in_band, bool out_keep) {
  stage best = {.us = INFINITY};
  double bw = core_bw(s, busy);
  double w = L->w * (cf < 1 ? cf : 1.0); /* a channel slice's weights */
  int64_t in_transfers = 1 + L->l->residual;
  if (rows < 1) rows = 1;
  double out_band = (double)rows * L->out_row * cf;
  for (int q = 1; q <= SIM_MAX_WIDTH_SPLIT && !isfinite(best.us); q *= 2)
    for (int64_t t = 1; t <= rows; t++) {
      int64_t T = ceil_div(rows, t) * q;
      const double iq = 1.0 / q; /* a tile's share of a row */
      double in_tile = in_onchip ? 0 : (double)need_rows(L, t) * L->in_row * infrac * iq;
      double out_tile = (double)t * L->out_row * cf * iq;
      double db = T > 1 ? 2.0 : 1.0;
      double live = (in_onchip ? in_band : db * in_tile) + (out_keep ? out_band : db * out_tile);
      double f = 0, wtile = 0;
      int64_t wtransfers = w > 0;
      bool streamed = false;
      if (w + live > s->mem) {
        double chunk;
        int64_t cout = (int64_t)ceil((double)L->l->out_channels * cf - 1e-9);
        if (!weight_chunk(w, cout, s->mem - live, &chunk)) continue;
        streamed = true;
        wtransfers = (int64_t)ceil(w / chunk);
        wtile = w;
      } else {
        f = dma_us(s, w, wtransfers, bw);
      }
      double l = in_onchip && !streamed
                     ? 0
                     : dma_us(s, in_tile + wtile,
                              (in_onchip ? 0 : in_transfers) + (streamed ? wtransfers : 0), bw);
      double st = out_keep ? 0 : dma_us(s, out_tile, 1, bw);
      double mac, vec, fd;
      compute(s, L, t, cf, &mac, &vec);
      mac *= iq;
      vec *= iq;
      double us = pipeline(T, mac + vec, l, st, f, &fd);
      if (us <= best.us) { /* ties: the larger tile (fewer transfers) */
        int64_t per_tile = (in_onchip ? 0 : in_transfers) + (streamed ? wtransfers : 0) + !out_keep;
        best = (stage){.us = us,
                       .mac_us = T * mac,
                       .vec_us = T * vec,
                       .fill_drain_us = fd,
                       .tiles = (int)T,
                       .tile_rows = t,
                       .streamed = streamed};
        best.transfers = (streamed ? 0 : wtransfers) + T * per_tile;
        best.setup_us = (double)best.transfers * s->p->dma_setup_us;
        best.dma_us = f + T * (l + st);
        best.dram_bytes =
            (double)busy * ((streamed ? 0 : w) + T * (in_tile + wtile + (out_keep ? 0 : out_tile)));
      }
    }
  return best;
}

static void stage_add(stage *acc, const stage *s) {
  acc->us += s->us;
  acc->mac_us += s->mac_us;
  acc->vec_us += s->vec_us;
  acc->halo_us += s->halo_us;
  acc->setup_us += s->setup_us;
  acc->dma_us += s->dma_us;
  acc->fill_drain_us += s->fill_drain_us;
  acc->dram_bytes += s->dram_bytes;
  acc->transfers += s->transfers;
  if (s->tiles > acc->tiles) acc->tiles = s->tiles, acc->tile_rows = s->tile_rows;
  acc->streamed |= s->streamed;
  acc->spilled |= s->spilled;
}

/* Way 2: each layer's rows in bands over the cores; an intermediate band stays on chip when
 * it fits beside both layers' weights and a one-row output tile, and then only its halo rows
 * travel (through DRAM: the cores' memories are private); a barrier after every layer. What
 * the block reads besides its first layer's inputs (a later layer's residual from outside)
 * and writes besides its last layer's output (an intermediate used outside) is moved once,
 * shared by the cores, not overlapped. */
static stage rows_exchange(const sim *s, const sim_layer *L, int n, double ext_in, double ext_out) {
  stage acc = {0};
  bool prev_keep = false;
  double prev_band_bytes = 0;
  double sync = target_accel_sync_us(s->a, s->k);
  for (int j = 0; j < n; j++) {
    int64_t R = L[j].out_rows > 0 ? L[j].out_rows : 1;
    int64_t ku = min64(s->k, R), band = ceil_div(R, ku);
    ku = ceil_div(R, band);
    bool keep = false;
    if (j + 1 < n) {
      int64_t R2 = L[j + 1].out_rows > 0 ? L[j + 1].out_rows : 1;
      int64_t band2 = ceil_div(R2, min64(s->k, R2));
      double in2 = (double)need_rows(&L[j + 1], band2) * L[j + 1].in_row;
      keep = in2 + fmax(L[j].w, L[j + 1].w) + 2 * L[j + 1].out_row <= s->mem &&
             ku == min64(s->k, R2 > 0 ? R2 : 1);
    }
    stage st = layer_stage(s, &L[j], (int)ku, band, 1.0, 1.0, prev_keep, prev_band_bytes, keep);
    if (!isfinite(st.us) && prev_keep) { /* no room for the held band after all: spill it */
      acc.us += dma_us(s, prev_band_bytes, 1, core_bw(s, (int)ku));
      st = layer_stage(s, &L[j], (int)ku, band, 1.0, 1.0, false, 0, keep);
    }
    if (!isfinite(st.us) && keep) {
      keep = false;
      st = layer_stage(s, &L[j], (int)ku, band, 1.0, 1.0, prev_keep, prev_band_bytes, false);
    }
    if (!isfinite(st.us)) return (stage){.us = INFINITY};
    stage_add(&acc, &st);
    acc.us += sync;
    if (j + 1 < n && !keep) acc.spilled = true;
    if (keep) { /* send the edge rows to both neighbours, barrier, receive theirs */
      int64_t R2 = L[j + 1].out_rows > 0 ? L[j + 1].out_rows : 1;
      int64_t band2 = ceil_div(R2, min64(s->k, R2));
      int64_t needed = need_rows(&L[j + 1], band2);
      int64_t halo = max64(0, needed - band), side = ceil_div(halo, 2);
      prev_band_bytes = (double)needed * L[j + 1].in_row;
      if (halo > 0 && ku > 1) {
        double hb = (double)side * L[j].out_row, bw = core_bw(s, (int)ku);
        double h = 2 * dma_us(s, 2 * hb, 2, bw) + sync;
        acc.us += h;
        acc.halo_us += h;
        acc.setup_us += 4 * s->p->dma_setup_us;
        acc.transfers += 4;
        acc.dma_us += h - sync;
        acc.dram_bytes += (double)ku * 4 * hb;
      }
    }
    prev_keep = keep;
  }
  const sim_layer *last = &L[n - 1];
  double extra = fmax(0, ext_in - L[0].in_row * (double)L[0].in_rows) +
                 fmax(0, ext_out - last->out_row * (double)last->out_rows);
  if (extra > 0 && n > 1) {
    int busy = (int)min64(s->k, last->out_rows);
    double e = dma_us(s, extra / busy, 2, core_bw(s, busy));
    acc.us += e;
    acc.dma_us += e;
    acc.setup_us += 2 * s->p->dma_setup_us;
    acc.transfers += 2;
    acc.dram_bytes += extra;
  }
  return acc;
}

/* Way 3: each layer on a grid of kr x kc cores (kr * kc <= k, the best grid per layer): kr
 * bands of output rows times kc slices of output channels. A core loads its slice of the
 * weights and its band's input rows with every input channel (a channel-local layer —
 * depthwise, pool, eltwise — only its slice); outputs go through DRAM; a barrier after every
 * layer. kr = k is rows without on-chip intermediates; kc = k is a pure channel split, the
 * only way a fully connected layer uses many cores. */
static stage channels(const sim *s, const sim_layer *L, int n) {
  stage acc = {0};
  double sync = target_accel_sync_us(s->a, s->k);
  for (int j = 0; j < n; j++) {
    const target_layer *l = L[j].l;
    int64_t cout = l->out_channels > 0 ? l->out_channels : 1;
    bool local = l->op_class == TARGET_OP_POOL || l->op_class == TARGET_OP_ELTWISE ||
                 (l->op_class == TARGET_OP_CONV && l->groups > 1 && l->groups == l->in_channels);
    stage best = {.us = INFINITY};
    for (int64_t kr = 1; kr <= s->k; kr++) {
      if (s->k % kr || kr > L[j].out_rows) continue;
      int64_t kc = min64(s->k / kr, cout), slice = ceil_div(cout, kc);
      kc = ceil_div(cout, slice);
      int64_t band = ceil_div(L[j].out_rows, kr);
      int64_t used_r = ceil_div(L[j].out_rows, band);
      double cf = (double)slice / (double)cout;
      stage st =
          layer_stage(s, &L[j], (int)(used_r * kc), band, cf, local ? cf : 1.0, false, 0, false);
      if (st.us < best.us) best = st;
    }
    if (!isfinite(best.us)) return (stage){.us = INFINITY};
    stage_add(&acc, &best);
    acc.us += sync;
  }
  acc.spilled = n > 1;
  return acc;
}

/* ----------------------------------------------------------------- entry -- */

static dlf_status bad(const target *t, const char *what, long long v) {
  return dlf_error(DLF_ERR_INVALID_ARG, "target '%s': simulator: %s (%lld)", t->name, what, v);
}

dlf_status target_sim_block_detail(const target *t, const target_layer *layers, int n, int k,
                                   int64_t ext_in_bytes, int64_t ext_out_bytes, int force,
                                   target_sim_detail *out) {
  memset(out, 0, sizeof *out);
  if (t->kind != TARGET_ACCEL || !t->sim.present)
    return dlf_error(DLF_ERR_INVALID_ARG, "target '%s' has no detailed simulator (\"sim\")",
                     t->name);
  if (!target_allows_cores(t, k))
    return dlf_error(DLF_ERR_INVALID_ARG, "target '%s': %d is not an allowed core number", t->name,
                     k);
  if (n < 1 || !layers) return bad(t, "a block needs layers", n);
  if (ext_in_bytes < 0) return bad(t, "ext_in_bytes is negative", ext_in_bytes);
  if (ext_out_bytes < 0) return bad(t, "ext_out_bytes is negative", ext_out_bytes);
  sim s = {.t = t, .a = &t->accel, .p = &t->sim, .k = k};
  s.scale = (double)t->sim.elem_bytes / SIM_TABLE_ELEM_BYTES;
  s.mac_per_us = t->accel.peak_gflops_per_core * 1e3 / 2.0; /* 2 FLOP per MAC */
  s.vec_per_us = t->sim.vector_elems_per_cycle * t->accel.clock_ghz * 1e3;
  s.mem = (double)t->accel.onchip_bytes_per_core;
  sim_layer L[n];
  for (int j = 0; j < n; j++) {
    const target_layer *l = &layers[j];
    if (l->macs < 0 || l->weight_bytes < 0 || l->act_in_bytes < 0 || l->act_out_bytes < 0 ||
        l->params < 0)
      return bad(t, "a layer has a negative count", j);
    sim_layer *x = &L[j];
    x->l = l;
    x->in_rows = l->in_rows > 0 ? l->in_rows : 1;
    x->out_rows = l->out_rows > 0 ? l->out_rows : 1;
    x->in_elems = (double)l->act_in_bytes / SIM_TABLE_ELEM_BYTES;
    x->out_elems = (double)l->act_out_bytes / SIM_TABLE_ELEM_BYTES;
    x->in_row = (double)l->act_in_bytes * s.scale / (double)x->in_rows;
    x->out_row = (double)l->act_out_bytes * s.scale / (double)x->out_rows;
    x->w =
        l->params > 0 ? (double)l->params * t->sim.elem_bytes : (double)l->weight_bytes * s.scale;
    x->prev_row = 0;
    if (j > 0) x->prev_row = fmin(x->in_row, L[j - 1].out_row);
  }
  double ein = (double)ext_in_bytes * s.scale, eout = (double)ext_out_bytes * s.scale;
  stage ways[3] = {{.us = INFINITY}, {.us = INFINITY}, {.us = INFINITY}};
  if (force < 0 || force == TARGET_SIM_ROWS_RECOMPUTE)
    ways[0] = rows_recompute(&s, L, n, ein, eout);
  if (force < 0 || force == TARGET_SIM_ROWS_EXCHANGE) ways[1] = rows_exchange(&s, L, n, ein, eout);
  if (force < 0 || force == TARGET_SIM_CHANNELS) ways[2] = channels(&s, L, n);
  /* channels reads every layer's inputs and writes every layer's output, a superset of
   * ext_in / ext_out (what the graph says the block reads and writes); rows-recompute streams
   * ext_in / ext_out; rows-exchange adds what its first and last layers do not cover. */
  int w = 0;
  for (int i = 1; i < 3; i++)
    if (ways[i].us < ways[w].us) w = i;
  stage *b = &ways[w];
  if (!isfinite(b->us))
    return dlf_error(DLF_ERR_LIMIT,
                     "target '%s': simulator: a block of %d layers (the first %lld -> %lld "
                     "bytes, %lld weight bytes) fits no core's %lld on-chip bytes on %d cores",
                     t->name, n, (long long)layers[0].act_in_bytes,
                     (long long)layers[0].act_out_bytes, (long long)layers[0].weight_bytes,
                     (long long)t->accel.onchip_bytes_per_core, k);
  out->way = (target_sim_way)w;
  out->tiles = b->tiles;
  out->tile_rows = b->tile_rows;
  out->mac_us = b->mac_us;
  out->vector_us = b->vec_us;
  out->halo_us = b->halo_us;
  out->setup_us = b->setup_us;
  out->transfers = b->transfers;
  out->fill_drain_us = b->fill_drain_us;
  out->weights_streamed = b->streamed;
  int64_t rows = L[n - 1].out_rows,
          ch = layers[n - 1].out_channels > 0 ? layers[n - 1].out_channels : 1;
  out->cores_used = (int)min64(k, w == TARGET_SIM_CHANNELS ? rows * ch : rows);
  target_block_time *bt = &out->bt;
  bt->launch_us = t->accel.launch_us;
  bt->total_us = bt->launch_us + b->us;
  bt->compute_us = b->mac_us + b->vec_us;
  bt->dram_us = b->dma_us;
  bt->dram_bytes = (int64_t)llround(b->dram_bytes);
  bt->spilled = b->spilled;
  bt->sync_us = (w == TARGET_SIM_ROWS_RECOMPUTE ? 1 : n) * target_accel_sync_us(&t->accel, k);
  return DLF_OK;
}

dlf_status target_sim_block_time(const target *t, const target_layer *layers, int n, int k,
                                 int64_t ext_in_bytes, int64_t ext_out_bytes,
                                 target_block_time *out) {
  target_sim_detail d;
  dlf_status st = target_sim_block_detail(t, layers, n, k, ext_in_bytes, ext_out_bytes, -1, &d);
  *out = d.bt;
  return st;
}

dlf_status target_block_time_of(const target *t, const target_layer *layers, int n, int k,
                                int64_t ext_in_bytes, int64_t ext_out_bytes,
                                target_block_time *out) {
  if (t->kind == TARGET_ACCEL && t->sim.present)
    return target_sim_block_time(t, layers, n, k, ext_in_bytes, ext_out_bytes, out);
  return target_accel_block_time(t, layers, n, k, ext_in_bytes, ext_out_bytes, out);
}
