/* step_conv.c — the Conv step classes: dense and grouped convolution by im2col + SGEMM, by
 * Winograd F(4x4,3x3), or by the direct small-channel kernel (CONV); the same on output-channel
 * slices when a wide layer's weights dominate (CONV_CSPLIT, chosen when its bands are); and
 * depthwise convolution (DWCONV). Which algorithm may run a Conv is plan_algo_supports; the
 * choice by shape (PLAN_ALGO_AUTO) is here. */
#include <string.h>

#include "ir/ops/window.h"
#include "runtime/engine_internal.h"

/* Each band streams all packed weights (K x Cout) through the cache, each channel slice
 * redoes the band's im2col (pixels x K): when a conv has more output channels than output
 * pixels per image (late ResNet stages: 7x7 x 512), split channels across threads instead
 * of rows. groups == 1 only: a slice at a multiple of nr is a plain range of panels. */
static void choose_channel_split(rt_step *s, int64_t nr) {
  const kern_conv2d_params *p = &s->u.conv.p;
  int64_t panels = (p->Cout + nr - 1) / nr;
  if (s->cores <= 1 || p->groups != 1 || p->Cout <= p->OH * p->OW || panels < 2) return;
  int64_t want = s->cores < panels ? s->cores : panels;
  int64_t per = (panels + want - 1) / want;
  s->u.conv.csplit_w = per * nr;
  s->u.conv.csplits = (p->Cout + s->u.conv.csplit_w - 1) / s->u.conv.csplit_w;
  s->band_h = p->OH;
  s->bands = p->OH > 0 ? 1 : 0;
}

/* Winograd streams all 36 transformed weight matrices (36 * C * Cout floats: 37.7 MB at
 * 512 x 512) once per band of rows, so row bands on k threads multiply that stream by the
 * bands: ResNet-18's 7x7x512 convs ran 1.41 ms on one thread and 1.88 ms on two. Past
 * WINO_SPLIT_MIN_BYTES of transformed weights, split output channels instead: each thread
 * streams its slice of the weights once and redoes the (cheap) input transform of every
 * tile, which costs ~6 / (Cout / k) of the GEMM's flops, hence at least WINO_SPLIT_MIN_COLS
 * channels per slice. Measured at 2 threads, interleaved (bench: resnet18 whole model):
 * splitting from 4 MiB up 1.41x faster than never splitting, and 1.11x faster than
 * splitting only past 10 MB (the 14x14x256 layers, 9.4 MB, gain); splitting from L2 / 2
 * (512 KiB) up also split SqueezeNet's 2.4 MB fire-module 3x3 convs, whose weights the
 * bands share through L3, and ran it 0.87x. */
#define WINO_SPLIT_MIN_COLS 64
#define WINO_SPLIT_MIN_BYTES (4 << 20)

static void choose_winograd_split(rt_engine *e, rt_step *s) {
  const kern_conv2d_params *p = &s->u.conv.p;
  const int64_t nr = e->cfg->sgemm.nr, panels = (p->Cout + nr - 1) / nr;
  const int64_t wbytes = 36 * p->C * p->Cout * (int64_t)sizeof(float);
  if (s->cores <= 1 || p->Cout / s->cores < WINO_SPLIT_MIN_COLS || wbytes < WINO_SPLIT_MIN_BYTES)
    return;
  int64_t want = s->cores < panels ? s->cores : panels;
  int64_t per = (panels + want - 1) / want;
  s->u.conv.csplit_w = per * nr;
  s->u.conv.csplits = (p->Cout + s->u.conv.csplit_w - 1) / s->u.conv.csplit_w;
  if (s->u.conv.csplits < 2) return;
  s->band_h = p->OH;
  s->bands = p->OH > 0 ? 1 : 0;
  s->kind = STEP_CONV_CSPLIT;
  /* A slice's chunks hold more tiles (the chunk budget is over C + slice width). */
  kern_conv2d_params sp = *p;
  sp.Cout = s->u.conv.csplit_w;
  size_t sf;
  if (kern_winograd_f43_scratch_floats(e->cfg, &sp, &sf)) rt_need_scratch(e, (int64_t)sf);
}

static void conv_bands(rt_engine *e, rt_step *s, int64_t tile_rows) {
  const int64_t OH = s->u.conv.p.OH;
  s->u.conv.csplits = 1;
  rt_choose_row_bands(s, OH, tile_rows);
  if (tile_rows > 0 || s->kind != STEP_CONV) return;
  if (s->algo == PLAN_ALGO_IM2COL) {
    choose_channel_split(s, e->cfg->sgemm.nr);
    if (s->u.conv.csplits > 1) s->kind = STEP_CONV_CSPLIT;
  } else if (s->algo == PLAN_ALGO_WINOGRAD) {
    choose_winograd_split(e, s);
  }
}

/* ------------------------------------------------------------ compile -- */

/* The geometry of n as the kernels see it, or false when it is not a 2-D Conv the fast
 * kernels run (float32 activation in, constant weights and bias, output shape matching). */
static bool conv_params(const rt_engine *e, const ir_node *n, rt_step *s) {
  const ir_graph *g = e->g;
  if (n->op != IR_OP_CONV || n->n_inputs < 2 || n->n_outputs != 1) return false;
  int x = n->inputs[0], w = n->inputs[1], b = n->n_inputs > 2 ? n->inputs[2] : -1, y = n->outputs[0];
  if (!rt_is_act_f32(g, x) || !rt_is_const(g, w) || (b >= 0 && !rt_is_const(g, b)) || y < 0)
    return false;
  const ir_tensor *xt = &g->tensors[x], *wt = &g->tensors[w], *yt = &g->tensors[y];
  if (xt->ndim != 4 || wt->ndim != 4 || wt->dtype != IR_F32) return false;
  if (n->residual >= 0 &&
      (!rt_is_act_f32(g, n->residual) || !rt_same_dims(&g->tensors[n->residual], yt)))
    return false;
  win_geom wg;
  char msg[256];
  if (!win_geom_init(n, 2, xt->dims + 2, wt->dims + 2, false, true, &wg, msg, sizeof msg))
    return false;
  if (wg.out[1] != yt->dims[2] || wg.out[2] != yt->dims[3]) return false;
  kern_conv2d_params *p = &s->u.conv.p;
  memset(p, 0, sizeof *p);
  p->H = xt->dims[2], p->W = xt->dims[3], p->C = xt->dims[1];
  p->OH = yt->dims[2], p->OW = yt->dims[3], p->Cout = yt->dims[1];
  p->kh = wt->dims[2], p->kw = wt->dims[3];
  p->sh = wg.stride[1], p->sw = wg.stride[2], p->dh = wg.dil[1], p->dw = wg.dil[2];
  p->pad_t = wg.pad_b[1], p->pad_l = wg.pad_b[2];
  p->groups = ir_node_int(n, "group", 1);
  p->scratch_bytes = e->conv_scratch_bytes;
  s->x = x, s->y = y;
  s->batch = xt->dims[0];
  s->x_img = p->H * p->W * p->C;
  s->y_img = p->OH * p->OW * p->Cout;
  s->bias = b >= 0 ? g->tensors[b].data : NULL;
  s->u.conv.csplits = 1;
  rt_set_epilogue(s, n);
  rt_limit_small(e, s, s->batch * s->y_img * p->kh * p->kw * (p->C / p->groups));
  return true;
}

static bool is_depthwise(const kern_conv2d_params *p) {
  return p->groups > 1 && p->groups == p->C && p->groups == p->Cout;
}

static dlf_status pack_failed(const rt_engine *e, const ir_node *n) {
  return ir_node_error(e->g, n, DLF_ERR_NOMEM, "out of memory packing weights");
}

static dlf_status compile_dwconv(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo,
                                 bool *ok) {
  if (algo == PLAN_ALGO_IM2COL || !conv_params(e, n, s) || !is_depthwise(&s->u.conv.p))
    return DLF_OK;
  const kern_conv2d_params *p = &s->u.conv.p;
  s->kind = STEP_DWCONV;
  s->algo = PLAN_ALGO_DIRECT;
  s->packed_floats = (int64_t)kern_dwconv2d_nhwc_packed_floats(p);
  s->packed = rt_alloc_floats(s->packed_floats);
  if (!s->packed) return pack_failed(e, n);
  kern_dwconv2d_nhwc_pack(p, e->g->tensors[n->inputs[1]].data, s->packed);
  *ok = true;
  return DLF_OK;
}

/* Dense and grouped convolution (a depthwise one forced to im2col too). By shape: the direct
 * kernel for few input channels (a stem, bench/stem_bench.c), Winograd F(4x4,3x3) for 3x3
 * stride-1 convs with at least 8 input channels (at C = 3 im2col is as fast, kernels.h),
 * im2col + SGEMM otherwise. */
static dlf_status compile_conv(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo,
                               bool *ok) {
  if (!conv_params(e, n, s)) return DLF_OK;
  const kern_conv2d_params *p = &s->u.conv.p;
  if (algo != PLAN_ALGO_IM2COL && is_depthwise(p)) return DLF_OK; /* compile_dwconv's */
  const float *w = e->g->tensors[n->inputs[1]].data;
  plan_algo a = algo;
  if (a == PLAN_ALGO_AUTO)
    a = kern_conv2d_small_c_applies(e->cfg, p)                              ? PLAN_ALGO_DIRECT
        : e->winograd && p->C >= 8 && kern_winograd_f43_applies(p) ? PLAN_ALGO_WINOGRAD
                                                                            : PLAN_ALGO_IM2COL;
  size_t pf = 0, sf = 0;
  bool sized = a == PLAN_ALGO_DIRECT ? kern_conv2d_small_c_packed_floats(p, &pf)
               : a == PLAN_ALGO_WINOGRAD
                   ? kern_winograd_f43_packed_floats(e->cfg, p, &pf) &&
                         kern_winograd_f43_scratch_floats(e->cfg, p, &sf)
                   : kern_conv2d_nhwc_packed_floats(e->cfg, p, &pf) &&
                         kern_conv2d_nhwc_scratch_floats(e->cfg, p, &sf);
  if (!sized) return ir_node_error(e->g, n, DLF_ERR_LIMIT, "packed weights or scratch too large");
  s->kind = STEP_CONV;
  s->algo = a;
  s->row_align = a == PLAN_ALGO_WINOGRAD ? 4 : 1;
  s->packed_floats = (int64_t)pf;
  s->packed = rt_alloc_floats((int64_t)pf);
  if (!s->packed) return pack_failed(e, n);
  if (a == PLAN_ALGO_DIRECT)
    kern_conv2d_small_c_pack(p, w, s->packed);
  else if (a == PLAN_ALGO_WINOGRAD)
    kern_winograd_f43_pack(e->cfg, p, w, s->packed);
  else
    kern_conv2d_nhwc_pack(e->cfg, p, w, s->packed);
  rt_need_scratch(e, (int64_t)sf);
  *ok = true;
  return DLF_OK;
}

/* ---------------------------------------------------------------- run -- */

static void conv_rows(rt_engine *e, const rt_step *s, int t, const float *const *in, float *y,
                      int64_t lo, int64_t hi) {
  const ir_node *n = &e->g->nodes[s->node];
  const float *r = s->residual >= 0 ? in[n->n_inputs] : NULL;
  kern_epilogue ep = {false, s->bias, NULL, r, 0, s->kact, s->lo, s->hi};
  const kern_conv2d_params *p = &s->u.conv.p;
  if (s->kind == STEP_DWCONV)
    kern_dwconv2d_nhwc(e->cfg, p, in[0], s->packed, y, lo, hi, &ep);
  else if (s->algo == PLAN_ALGO_WINOGRAD)
    kern_winograd_f43(e->cfg, p, in[0], s->packed, y, lo, hi, rt_thread_scratch(e, t), &ep);
  else if (s->algo == PLAN_ALGO_DIRECT)
    kern_conv2d_small_c(e->cfg, p, in[0], s->packed, y, lo, hi, &ep);
  else
    kern_conv2d_nhwc(e->cfg, p, in[0], s->packed, y, lo, hi, rt_thread_scratch(e, t), &ep);
  rt_post_act(e, s, y + lo * s->row_floats, (hi - lo) * s->row_floats);
}

/* Items = (image, band of rows): the body of every windowed step's unfused run (conv and
 * pooling), through the class's rows. */
static void run_bands(void *ctx, int t, int64_t b, int64_t end) {
  rt_engine *e = ctx;
  const rt_step *s = e->cur;
  const rt_step_class *c = rt_step_class_of(s->kind);
  const float *x = e->ptr[s->x];
  float *y = e->ptr[s->y];
  const float *r = s->residual >= 0 ? e->ptr[s->residual] : NULL;
  const int n_in = e->g->nodes[s->node].n_inputs;
  const float *in[4] = {0}; /* conv / pool: x, weights, bias, residual */
  for (int64_t it = b; it < end; it++) {
    int64_t img = it / s->bands, oh0 = (it % s->bands) * s->band_h, oh1 = oh0 + s->band_h;
    if (oh1 > s->out_h) oh1 = s->out_h;
    in[0] = x + img * s->x_img;
    in[n_in] = r ? r + img * s->y_img : NULL;
    c->rows(e, s, t, in, y + img * s->y_img, oh0, oh1);
  }
}

dlf_status rt_run_bands(rt_engine *e, const rt_step *s) {
  return rt_pool_run(e->pool, s->cores, s->batch * s->bands, run_bands, e);
}

/* item = (image, channel slice); the slice is a conv with Cout = its width writing a strided
 * view of y, reading the panels from j0 (see choose_channel_split). */
static void run_csplit(void *ctx, int t, int64_t b, int64_t end) {
  rt_engine *e = ctx;
  const rt_step *s = e->cur;
  const step_conv *c = &s->u.conv;
  const float *x = e->ptr[s->x];
  float *y = e->ptr[s->y];
  const float *r = s->residual >= 0 ? e->ptr[s->residual] : NULL;
  const int64_t OH = c->p.OH;
  for (int64_t it = b; it < end; it++) {
    int64_t img = it / c->csplits, j0 = (it % c->csplits) * c->csplit_w;
    kern_conv2d_params p = c->p;
    p.Cout = c->p.Cout - j0 < c->csplit_w ? c->p.Cout - j0 : c->csplit_w;
    p.y_stride = c->p.Cout;
    kern_epilogue ep = {false, s->bias ? s->bias + j0 : NULL, NULL,
                        r ? r + img * s->y_img + j0 : NULL, c->p.Cout, s->kact, s->lo, s->hi};
    float *yi = y + img * s->y_img;
    if (s->algo == PLAN_ALGO_WINOGRAD) {
      size_t per = 0;
      kern_sgemm_packed_b_floats(e->cfg, p.C, c->p.Cout, &per);
      const float *pw = kern_sgemm_packed_b_at(e->cfg, s->packed, p.C, j0);
      kern_winograd_f43_strided(e->cfg, &p, x + img * s->x_img, pw, per, yi + j0, 0, OH,
                                rt_thread_scratch(e, t), &ep);
    } else {
      const float *pw = kern_sgemm_packed_b_at(e->cfg, s->packed, p.kh * p.kw * p.C, j0);
      kern_conv2d_nhwc(e->cfg, &p, x + img * s->x_img, pw, yi + j0, 0, OH,
                       rt_thread_scratch(e, t), &ep);
    }
    if (s->post_act != IR_ACT_NONE)
      for (int64_t px = 0; px < OH * p.OW; px++)
        rt_post_act(e, s, yi + px * c->p.Cout + j0, p.Cout);
  }
}

static dlf_status run_conv_csplit(rt_engine *e, const rt_step *s) {
  return rt_pool_run(e->pool, s->cores, s->batch * s->u.conv.csplits, run_csplit, e);
}

static rt_span conv_rows_in(const rt_engine *e, const rt_step *s, int k, rt_span r) {
  if (k != 0) return r;
  const kern_conv2d_params *p = &s->u.conv.p;
  return rt_window_rows(r, p->sh, p->pad_t, p->kh, p->dh, p->H);
}

static double conv_work_per_row(const rt_step *s) {
  const kern_conv2d_params *p = &s->u.conv.p;
  return (double)s->row_floats * (double)(p->kh * p->kw * (p->C / p->groups));
}

const rt_step_class rt_class_conv = {
    .name = "conv",
    .compile = compile_conv,
    .run = rt_run_bands,
    .rows = conv_rows,
    .rows_in = conv_rows_in,
    .bands = conv_bands,
    .work_per_row = conv_work_per_row,
};

/* Never compiled directly: a CONV step becomes one when its bands are chosen. Not fusable
 * (a fused block runs rows of whole channels). */
const rt_step_class rt_class_conv_csplit = {
    .name = "conv (channel slices)",
    .run = run_conv_csplit,
    .rows_in = conv_rows_in,
    .work_per_row = conv_work_per_row,
};

const rt_step_class rt_class_dwconv = {
    .name = "depthwise conv",
    .compile = compile_dwconv,
    .run = rt_run_bands,
    .rows = conv_rows,
    .rows_in = conv_rows_in,
    .bands = conv_bands,
    .work_per_row = conv_work_per_row,
};
