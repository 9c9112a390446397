/* step_pool.c — the pooling step classes: MaxPool and AveragePool 2-D (windowed, fusable,
 * unfused as row bands like a conv) and GlobalAveragePool (whole images, in 64-channel
 * chunks). */
#include <string.h>

#include "ir/ops/window.h"
#include "runtime/engine_internal.h"

/* A pool of one float32 NHWC input with no epilogue (nothing folds into a pool), one live
 * output. Sets x, y, batch and the per-image sizes. */
static bool pool_io(const rt_engine *e, const ir_node *n, rt_step *s) {
  const ir_graph *g = e->g;
  if (n->n_inputs != 1 || n->n_outputs < 1 || n->act != IR_ACT_NONE || n->residual >= 0)
    return false;
  for (int o = 1; o < n->n_outputs; o++)
    if (n->outputs[o] >= 0) return false;
  int x = n->inputs[0], y = n->outputs[0];
  if (!rt_is_act_f32(g, x) || y < 0 || g->tensors[x].ndim != 4) return false;
  const ir_tensor *xt = &g->tensors[x], *yt = &g->tensors[y];
  s->x = x, s->y = y;
  s->batch = xt->dims[0];
  s->x_img = xt->dims[1] * xt->dims[2] * xt->dims[3];
  s->y_img = yt->dims[1] * yt->dims[2] * yt->dims[3];
  s->algo = PLAN_ALGO_DIRECT;
  return true;
}

static dlf_status compile_window_pool(rt_engine *e, const ir_node *n, rt_step *s, ir_op op,
                                      step_kind kind, bool *ok) {
  if (n->op != op || !pool_io(e, n, s)) return DLF_OK;
  const ir_tensor *xt = &e->g->tensors[s->x], *yt = &e->g->tensors[s->y];
  int64_t ks[2];
  if (ir_node_ints(n, "kernel_shape", ks, 2) != 2) return DLF_OK;
  win_geom wg;
  char msg[256];
  if (!win_geom_init(n, 2, xt->dims + 2, ks, ir_node_int(n, "ceil_mode", 0) != 0, true, &wg, msg,
                     sizeof msg))
    return DLF_OK;
  if (wg.out[1] != yt->dims[2] || wg.out[2] != yt->dims[3]) return DLF_OK;
  kern_pool2d_params *p = &s->u.pool;
  memset(p, 0, sizeof *p);
  p->H = xt->dims[2], p->W = xt->dims[3], p->C = xt->dims[1], p->OH = yt->dims[2],
  p->OW = yt->dims[3];
  p->kh = ks[0], p->kw = ks[1], p->sh = wg.stride[1], p->sw = wg.stride[2];
  p->dh = wg.dil[1], p->dw = wg.dil[2];
  p->pad_t = wg.pad_b[1], p->pad_l = wg.pad_b[2], p->pad_b = wg.pad_e[1], p->pad_r = wg.pad_e[2];
  p->count_include_pad = ir_node_int(n, "count_include_pad", 0) != 0;
  s->kind = kind;
  rt_limit_small(e, s, s->batch * s->y_img * p->kh * p->kw);
  *ok = true;
  return DLF_OK;
}

static dlf_status compile_maxpool(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo,
                                  bool *ok) {
  (void)algo;
  return compile_window_pool(e, n, s, IR_OP_MAXPOOL, STEP_MAXPOOL, ok);
}

static dlf_status compile_avgpool(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo,
                                  bool *ok) {
  (void)algo;
  return compile_window_pool(e, n, s, IR_OP_AVERAGEPOOL, STEP_AVGPOOL, ok);
}

static void pool_rows(rt_engine *e, const rt_step *s, int t, const float *const *in, float *y,
                      int64_t lo, int64_t hi) {
  (void)t;
  if (s->kind == STEP_MAXPOOL)
    kern_maxpool2d_nhwc(e->cfg, &s->u.pool, in[0], y, lo, hi);
  else
    kern_avgpool2d_nhwc(e->cfg, &s->u.pool, in[0], y, lo, hi);
}

static rt_span pool_rows_in(const rt_engine *e, const rt_step *s, int k, rt_span r) {
  (void)e, (void)k;
  const kern_pool2d_params *p = &s->u.pool;
  return rt_window_rows(r, p->sh, p->pad_t, p->kh, p->dh, p->H);
}

static void pool_bands(rt_engine *e, rt_step *s, int64_t tile_rows) {
  (void)e;
  rt_choose_row_bands(s, s->u.pool.OH, tile_rows);
}

static double pool_work_per_row(const rt_step *s) {
  return (double)s->row_floats * (double)(s->u.pool.kh * s->u.pool.kw);
}

const rt_step_class rt_class_maxpool = {
    .name = "max pool",
    .compile = compile_maxpool,
    .run = rt_run_bands,
    .rows = pool_rows,
    .rows_in = pool_rows_in,
    .bands = pool_bands,
    .work_per_row = pool_work_per_row,
};

const rt_step_class rt_class_avgpool = {
    .name = "average pool",
    .compile = compile_avgpool,
    .run = rt_run_bands,
    .rows = pool_rows,
    .rows_in = pool_rows_in,
    .bands = pool_bands,
    .work_per_row = pool_work_per_row,
};

/* ------------------------------------------------------ global average -- */

static dlf_status compile_gap(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo,
                              bool *ok) {
  (void)algo;
  if (n->op != IR_OP_GLOBALAVERAGEPOOL || !pool_io(e, n, s)) return DLF_OK;
  s->kind = STEP_GAP;
  s->u.gap_cchunks = (e->g->tensors[s->x].dims[1] + 63) / 64;
  rt_limit_small(e, s, s->batch * s->x_img);
  *ok = true;
  return DLF_OK;
}

/* item = (image, chunk of 64 channels) */
static void run_gap_items(void *ctx, int t, int64_t b, int64_t end) {
  (void)t;
  rt_engine *e = ctx;
  const rt_step *s = e->cur;
  const float *x = e->ptr[s->x];
  float *y = e->ptr[s->y];
  const int64_t C = s->y_img, HW = s->x_img / (C > 0 ? C : 1), chunks = s->u.gap_cchunks;
  for (int64_t it = b; it < end; it++) {
    int64_t img = it / chunks, c0 = (it % chunks) * 64, c1 = c0 + 64 < C ? c0 + 64 : C;
    kern_global_avgpool_nhwc(e->cfg, HW, c1 - c0, x + img * s->x_img + c0, C, y + img * C + c0);
  }
}

static dlf_status run_gap(rt_engine *e, const rt_step *s) {
  return rt_pool_run(e->pool, s->cores, s->batch * s->u.gap_cchunks, run_gap_items, e);
}

const rt_step_class rt_class_gap = {
    .name = "global average pool",
    .compile = compile_gap,
    .run = run_gap,
};
