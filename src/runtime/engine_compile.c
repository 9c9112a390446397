/* engine_compile.c — layers to steps: which kernel runs a node, its geometry, packed
 * weights, epilogue split and parallel decomposition (bands / channel slices / chunks);
 * a node no fast step fits becomes a fallback step (the reference function on NCHW). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "ir/ops/window.h"
#include "runtime/engine_internal.h"

static bool is_const(const ir_graph *g, int t) { return t >= 0 && g->tensors[t].data != NULL; }

/* An activation the fast steps can read: present, not a constant, float32. */
static bool is_act_f32(const ir_graph *g, int t) {
  return t >= 0 && !is_const(g, t) && g->tensors[t].dtype == IR_F32;
}

/* NHWC and NCHW hold the same bytes when C == 1 or H*W == 1. */
static bool layout_free(const rt_engine *e, int t) {
  if (!e->nhwc[t]) return true;
  const int64_t *d = e->g->tensors[t].dims;
  return d[1] == 1 || d[2] * d[3] == 1;
}

static bool same_dims(const ir_tensor *a, const ir_tensor *b) {
  if (a->ndim != b->ndim) return false;
  for (int i = 0; i < a->ndim; i++)
    if (a->dims[i] != b->dims[i]) return false;
  return true;
}

/* Split the epilogue between the kernel and a post pass. */
static void set_epilogue(rt_step *s, const ir_node *n) {
  s->residual = n->residual;
  s->kact = KERN_ACT_NONE;
  s->post_act = IR_ACT_NONE;
  if (n->act == IR_ACT_RELU) {
    s->kact = KERN_ACT_RELU;
  } else if (n->act == IR_ACT_CLIP) {
    s->kact = KERN_ACT_CLIP;
    s->lo = n->act_p0;
    s->hi = n->act_p1;
  } else {
    s->post_act = n->act;
    s->p0 = n->act_p0;
    s->p1 = n->act_p1;
  }
}

static void limit_small(const rt_engine *e, rt_step *s, int64_t work) {
  if (work < e->min_parallel_work) s->cores = 1;
}

/* Bands of output rows per image: one per image on one thread (fewest weight passes),
 * else enough that there are >= 4 items per thread when the rows allow. */
static void choose_bands(rt_step *s, int64_t OH) {
  int64_t want = s->cores <= 1 ? 1 : (4 * (int64_t)s->cores + s->batch - 1) / s->batch;
  if (want > OH) want = OH;
  if (want < 1) want = 1;
  s->band_h = (OH + want - 1) / want;
  s->bands = OH > 0 ? (OH + s->band_h - 1) / s->band_h : 0;
  s->csplits = 1;
}

/* Each band streams all packed weights (K x Cout) through the cache, each channel slice
 * redoes the band's im2col (pixels x K): when a conv has more output channels than output
 * pixels per image (late ResNet stages: 7x7 x 512), split channels across threads instead
 * of rows. groups == 1 only: a slice at a multiple of nr is a plain range of panels. */
static void choose_channel_split(rt_step *s, int64_t nr) {
  const kern_conv2d_params *p = &s->cp;
  int64_t panels = (p->Cout + nr - 1) / nr;
  if (s->cores <= 1 || p->groups != 1 || p->Cout <= p->OH * p->OW || panels < 2) return;
  int64_t want = s->cores < panels ? s->cores : panels;
  int64_t per = (panels + want - 1) / want;
  s->csplit_w = per * nr;
  s->csplits = (p->Cout + s->csplit_w - 1) / s->csplit_w;
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
  const kern_conv2d_params *p = &s->cp;
  const int64_t nr = e->cfg->sgemm.nr, panels = (p->Cout + nr - 1) / nr;
  const int64_t wbytes = 36 * p->C * p->Cout * (int64_t)sizeof(float);
  if (s->cores <= 1 || p->Cout / s->cores < WINO_SPLIT_MIN_COLS || wbytes < WINO_SPLIT_MIN_BYTES)
    return;
  int64_t want = s->cores < panels ? s->cores : panels;
  int64_t per = (panels + want - 1) / want;
  s->csplit_w = per * nr;
  s->csplits = (p->Cout + s->csplit_w - 1) / s->csplit_w;
  if (s->csplits < 2) return;
  s->band_h = p->OH;
  s->bands = p->OH > 0 ? 1 : 0;
  s->kind = STEP_CONV_CSPLIT;
  /* A slice's chunks hold more tiles (the chunk budget is over C + slice width). */
  kern_conv2d_params sp = *p;
  sp.Cout = s->csplit_w;
  size_t sf;
  if (kern_winograd_f43_scratch_floats(e->cfg, &sp, &sf)) {
    int64_t sf16 = ((int64_t)sf + 15) / 16 * 16;
    if (sf16 > e->scratch_floats) e->scratch_floats = sf16;
  }
}

/* ------------------------------------------------------------ compile -- */

static bool geom2d(const ir_node *n, const int64_t *xd, const int64_t *k, bool ceil_mode,
                   win_geom *w) {
  char msg[256];
  return win_geom_init(n, 2, xd + 2, k, ceil_mode, true, w, msg, sizeof msg);
}

static dlf_status compile_conv(rt_engine *e, const ir_node *n, rt_step *s, int force, bool *ok) {
  const ir_graph *g = e->g;
  *ok = false;
  if (n->n_inputs < 2 || n->n_outputs != 1) return DLF_OK;
  int x = n->inputs[0], w = n->inputs[1], b = n->n_inputs > 2 ? n->inputs[2] : -1, y = n->outputs[0];
  if (!is_act_f32(g, x) || !is_const(g, w) || (b >= 0 && !is_const(g, b)) || y < 0) return DLF_OK;
  const ir_tensor *xt = &g->tensors[x], *wt = &g->tensors[w], *yt = &g->tensors[y];
  if (xt->ndim != 4 || wt->ndim != 4 || wt->dtype != IR_F32) return DLF_OK;
  if (n->residual >= 0 && (!is_act_f32(g, n->residual) || !same_dims(&g->tensors[n->residual], yt)))
    return DLF_OK;
  win_geom wg;
  if (!geom2d(n, xt->dims, wt->dims + 2, false, &wg)) return DLF_OK;
  if (wg.out[1] != yt->dims[2] || wg.out[2] != yt->dims[3]) return DLF_OK;
  kern_conv2d_params *p = &s->cp;
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
  set_epilogue(s, n);
  limit_small(e, s, s->batch * s->y_img * p->kh * p->kw * (p->C / p->groups));
  bool dw = p->groups > 1 && p->groups == p->C && p->groups == p->Cout;
  if (dw && force != PLAN_ALGO_IM2COL) {
    s->kind = STEP_DWCONV;
    s->algo = RT_ALGO_DIRECT;
    s->packed_floats = (int64_t)kern_dwconv2d_nhwc_packed_floats(p);
    s->packed = rt_alloc_floats(s->packed_floats);
    if (!s->packed) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory packing weights");
    kern_dwconv2d_nhwc_pack(p, wt->data, s->packed);
  } else if ((force == PLAN_ALGO_AUTO && kern_conv2d_small_c_applies(e->cfg, p)) ||
             (force == PLAN_ALGO_DIRECT && p->groups == 1 && e->cfg->conv_small_c.fn)) {
    /* Few input channels (a stem): the direct kernel, no im2col (bench/stem_bench.c). */
    size_t pf;
    if (!kern_conv2d_small_c_packed_floats(p, &pf))
      return ir_node_error(g, n, DLF_ERR_LIMIT, "packed weights too large");
    s->kind = STEP_CONV;
    s->algo = RT_ALGO_DIRECT;
    s->packed_floats = (int64_t)pf;
    s->packed = rt_alloc_floats((int64_t)pf);
    if (!s->packed) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory packing weights");
    kern_conv2d_small_c_pack(p, wt->data, s->packed);
  } else {
    size_t pf, sf;
    /* Winograd F(4x4,3x3) for 3x3 stride-1 convs with enough channels (at C = 3 im2col is
     * as fast, see kernels.h); im2col + SGEMM otherwise. */
    bool wino = force == PLAN_ALGO_WINOGRAD ||
                (force == PLAN_ALGO_AUTO && e->winograd && p->C >= 8);
    wino = wino && kern_winograd_f43_applies(p);
    if (wino ? !kern_winograd_f43_packed_floats(e->cfg, p, &pf) ||
                   !kern_winograd_f43_scratch_floats(e->cfg, p, &sf)
             : !kern_conv2d_nhwc_packed_floats(e->cfg, p, &pf) ||
                   !kern_conv2d_nhwc_scratch_floats(e->cfg, p, &sf))
      return ir_node_error(g, n, DLF_ERR_LIMIT, "packed weights or scratch too large");
    s->kind = STEP_CONV;
    s->algo = wino ? RT_ALGO_WINOGRAD : RT_ALGO_IM2COL;
    s->packed_floats = (int64_t)pf;
    s->packed = rt_alloc_floats((int64_t)pf);
    if (!s->packed) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory packing weights");
    if (wino)
      kern_winograd_f43_pack(e->cfg, p, wt->data, s->packed);
    else
      kern_conv2d_nhwc_pack(e->cfg, p, wt->data, s->packed);
    int64_t sf16 = ((int64_t)sf + 15) / 16 * 16;
    if (sf16 > e->scratch_floats) e->scratch_floats = sf16;
  }
  *ok = true;
  return DLF_OK;
}

static void compile_pool(rt_engine *e, const ir_node *n, rt_step *s, bool *ok) {
  const ir_graph *g = e->g;
  *ok = false;
  if (n->n_inputs != 1 || n->n_outputs < 1 || n->act != IR_ACT_NONE || n->residual >= 0) return;
  for (int o = 1; o < n->n_outputs; o++)
    if (n->outputs[o] >= 0) return;
  int x = n->inputs[0], y = n->outputs[0];
  if (!is_act_f32(g, x) || y < 0 || g->tensors[x].ndim != 4) return;
  const ir_tensor *xt = &g->tensors[x], *yt = &g->tensors[y];
  s->x = x, s->y = y, s->residual = -1;
  s->batch = xt->dims[0];
  s->x_img = xt->dims[1] * xt->dims[2] * xt->dims[3];
  s->y_img = yt->dims[1] * yt->dims[2] * yt->dims[3];
  if (n->op == IR_OP_GLOBALAVERAGEPOOL) {
    s->kind = STEP_GAP;
    s->cchunks = (xt->dims[1] + 63) / 64;
    limit_small(e, s, s->batch * s->x_img);
    *ok = true;
    return;
  }
  int64_t ks[2];
  if (ir_node_ints(n, "kernel_shape", ks, 2) != 2) return;
  win_geom wg;
  if (!geom2d(n, xt->dims, ks, ir_node_int(n, "ceil_mode", 0) != 0, &wg)) return;
  if (wg.out[1] != yt->dims[2] || wg.out[2] != yt->dims[3]) return;
  kern_pool2d_params *p = &s->pp;
  memset(p, 0, sizeof *p);
  p->H = xt->dims[2], p->W = xt->dims[3], p->C = xt->dims[1], p->OH = yt->dims[2],
  p->OW = yt->dims[3];
  p->kh = ks[0], p->kw = ks[1], p->sh = wg.stride[1], p->sw = wg.stride[2];
  p->dh = wg.dil[1], p->dw = wg.dil[2];
  p->pad_t = wg.pad_b[1], p->pad_l = wg.pad_b[2], p->pad_b = wg.pad_e[1], p->pad_r = wg.pad_e[2];
  p->count_include_pad = ir_node_int(n, "count_include_pad", 0) != 0;
  s->kind = n->op == IR_OP_MAXPOOL ? STEP_MAXPOOL : STEP_AVGPOOL;
  s->algo = RT_ALGO_DIRECT;
  limit_small(e, s, s->batch * s->y_img * p->kh * p->kw);
  *ok = true;
}

static dlf_status compile_gemm(rt_engine *e, const ir_node *n, rt_step *s, bool *ok) {
  const ir_graph *g = e->g;
  *ok = false;
  if (n->n_inputs < 2 || n->n_outputs != 1) return DLF_OK;
  int a = n->inputs[0], b = n->inputs[1], c = n->n_inputs > 2 ? n->inputs[2] : -1, y = n->outputs[0];
  if (!is_act_f32(g, a) || !is_const(g, b) || (c >= 0 && !is_const(g, c)) || y < 0) return DLF_OK;
  const ir_tensor *at = &g->tensors[a], *bt = &g->tensors[b], *yt = &g->tensors[y];
  if (at->ndim != 2 || bt->ndim != 2 || bt->dtype != IR_F32 || yt->ndim != 2) return DLF_OK;
  if (ir_node_int(n, "transA", 0) != 0 || ir_node_float(n, "alpha", 1.0f) != 1.0f) return DLF_OK;
  if (c >= 0 && ir_node_float(n, "beta", 1.0f) != 1.0f) return DLF_OK;
  if (n->residual >= 0 && (!is_act_f32(g, n->residual) || !same_dims(&g->tensors[n->residual], yt)))
    return DLF_OK;
  bool tb = ir_node_int(n, "transB", 0) != 0;
  int64_t M = yt->dims[0], N = yt->dims[1], K = at->dims[1];
  if (c >= 0) {
    const ir_tensor *ct = &g->tensors[c];
    if (ct->dtype != IR_F32) return DLF_OK;
    int64_t cn = ir_tensor_numel(ct);
    bool row = cn == N && (ct->ndim == 1 || (ct->ndim == 2 && ct->dims[0] == 1));
    if (!row && cn != 1) return DLF_OK;
    if (row) {
      s->bias = ct->data;
    } else {
      s->bias_owned = rt_alloc_floats(N);
      if (!s->bias_owned) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory for a bias");
      for (int64_t j = 0; j < N; j++)
        s->bias_owned[j] = *(const float *)ct->data;
      s->bias = s->bias_owned;
    }
  }
  size_t pf;
  if (!kern_sgemm_packed_b_floats(e->cfg, K, N, &pf))
    return ir_node_error(g, n, DLF_ERR_LIMIT, "packed weights too large");
  s->packed_floats = (int64_t)pf;
  s->packed = rt_alloc_floats((int64_t)pf);
  if (!s->packed) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory packing weights");
  /* B[k, n] is W[k*N + n] (transB = 0) or W[n*K + k] (transB = 1). */
  kern_sgemm_pack_b(e->cfg, K, N, bt->data, tb ? 1 : N, tb ? K : 1, s->packed);
  s->kind = STEP_GEMM;
  s->algo = RT_ALGO_NONE;
  s->x = a, s->y = y;
  s->M = M, s->N = N, s->K = K;
  s->panels = (N + e->cfg->sgemm.nr - 1) / e->cfg->sgemm.nr;
  limit_small(e, s, M * N * K);
  set_epilogue(s, n);
  *ok = true;
  return DLF_OK;
}

/* Activation of a standalone unary op, false when it cannot be a fast step. */
static bool unary_params(const ir_graph *g, const ir_node *n, ir_act *act, float *p0, float *p1) {
  *p0 = 0, *p1 = 0;
  switch (n->op) {
  case IR_OP_RELU: *act = IR_ACT_RELU; return true;
  case IR_OP_SIGMOID: *act = IR_ACT_SIGMOID; return true;
  case IR_OP_TANH: *act = IR_ACT_TANH; return true;
  case IR_OP_HARDSWISH: *act = IR_ACT_HARDSWISH; return true;
  case IR_OP_ERF: *act = IR_ACT_ERF; return true;
  case IR_OP_SQRT: *act = IR_ACT_SQRT; return true;
  case IR_OP_LEAKYRELU:
    *act = IR_ACT_LEAKYRELU;
    *p0 = ir_node_float(n, "alpha", 0.01f);
    return true;
  case IR_OP_HARDSIGMOID:
    *act = IR_ACT_HARDSIGMOID;
    *p0 = ir_node_float(n, "alpha", 0.2f);
    *p1 = ir_node_float(n, "beta", 0.5f);
    return true;
  case IR_OP_CLIP:
    *act = IR_ACT_CLIP;
    if (n->opset < 11) {
      *p0 = ir_node_float(n, "min", -FLT_MAX);
      *p1 = ir_node_float(n, "max", FLT_MAX);
    } else {
      int lo = n->n_inputs > 1 ? n->inputs[1] : -1, hi = n->n_inputs > 2 ? n->inputs[2] : -1;
      if ((lo >= 0 && (!is_const(g, lo) || g->tensors[lo].dtype != IR_F32)) ||
          (hi >= 0 && (!is_const(g, hi) || g->tensors[hi].dtype != IR_F32)))
        return false;
      *p0 = lo >= 0 ? *(const float *)g->tensors[lo].data : -INFINITY;
      *p1 = hi >= 0 ? *(const float *)g->tensors[hi].data : INFINITY;
    }
    if (*p0 > *p1) *p0 = *p1;
    return true;
  default: return false;
  }
}

/* Is tensor t, against NHWC output y [N,C,H,W], one value per channel ([N,C,1,1] /
 * [1,C,1,1] activation or constant, [C,1,1] constant) or one value (numel 1)? Sets
 * *sstep (1 per channel, 0 scalar) and *vimg (floats per image of an activation, 0 = shared). */
static bool chan_vector(const ir_graph *g, int t, const ir_tensor *yt, int *sstep, int64_t *vimg) {
  const ir_tensor *v = &g->tensors[t];
  if (v->dtype != IR_F32) return false;
  const int64_t N = yt->dims[0], C = yt->dims[1];
  *vimg = 0;
  if (ir_tensor_numel(v) == 1 && v->ndim <= 4) {
    *sstep = 0;
    return true;
  }
  *sstep = 1;
  if (v->ndim == 3 && is_const(g, t)) return v->dims[0] == C && v->dims[1] == 1 && v->dims[2] == 1;
  if (v->ndim != 4 || v->dims[1] != C || v->dims[2] != 1 || v->dims[3] != 1) return false;
  if (v->dims[0] == N && N > 1) {
    if (is_const(g, t)) return false; /* a per-image constant: rare, left to the fallback */
    *vimg = C;
    return true;
  }
  return v->dims[0] == 1;
}

/* Add / Sub / Mul / Div of an NHWC tensor and a per-channel vector or a scalar, in either
 * order: squeeze-and-excitation's x * scale[N,C,1,1], the exporters' broadcast constants. */
static void compile_chan_binary(rt_engine *e, const ir_node *n, rt_step *s, bool *ok) {
  const ir_graph *g = e->g;
  *ok = false;
  if (n->n_inputs != 2) return;
  const ir_tensor *yt = &g->tensors[s->y];
  if (yt->ndim != 4 || yt->dtype != IR_F32 || !e->nhwc[s->y]) return;
  int xslot = -1;
  for (int k = 0; k < 2 && xslot < 0; k++) {
    int t = n->inputs[k];
    if (is_act_f32(g, t) && e->nhwc[t] && same_dims(&g->tensors[t], yt)) xslot = k;
  }
  if (xslot < 0) return;
  const int vslot = 1 - xslot, v = n->inputs[vslot];
  int sstep;
  int64_t vimg;
  if (v < 0 || !chan_vector(g, v, yt, &sstep, &vimg)) return;
  if (n->residual >= 0 && (!is_act_f32(g, n->residual) || !e->nhwc[n->residual] ||
                           !same_dims(&g->tensors[n->residual], yt)))
    return;
  kern_chan_op op;
  switch (n->op) {
  case IR_OP_ADD: op = KERN_CHAN_ADD; break;
  case IR_OP_MUL: op = KERN_CHAN_MUL; break;
  case IR_OP_SUB: op = xslot == 0 ? KERN_CHAN_SUB : KERN_CHAN_RSUB; break;
  case IR_OP_DIV: op = xslot == 0 ? KERN_CHAN_DIV : KERN_CHAN_RDIV; break;
  default: return;
  }
  s->kind = STEP_CHAN_BINARY;
  s->op = n->op;
  s->chan_op = op;
  s->x = n->inputs[xslot];
  s->xslot = xslot, s->vslot = vslot, s->sstep = sstep, s->vimg = vimg;
  s->x2 = is_const(g, v) ? -1 : v;
  s->vconst = is_const(g, v) ? (const float *)g->tensors[v].data : NULL;
  s->numel = ir_tensor_numel(yt);
  limit_small(e, s, s->numel);
  if (n->residual >= 0) {
    /* act(x OP v + residual): the residual add applies the whole activation. */
    s->residual = n->residual;
    s->kact = KERN_ACT_NONE;
    s->post_act = n->act;
    s->p0 = n->act_p0, s->p1 = n->act_p1;
  } else {
    set_epilogue(s, n);
  }
  *ok = true;
}

/* A BatchNormalization that no conv absorbed (DenseNet's pre-activation BN -> ReLU -> Conv
 * after a concat): y = x * a[c] + b[c] with a = scale / sqrt(var + eps), b = B - mean * a. */
static dlf_status compile_batchnorm(rt_engine *e, const ir_node *n, rt_step *s, bool *ok) {
  const ir_graph *g = e->g;
  *ok = false;
  if (n->n_inputs != 5 || n->act != IR_ACT_NONE || n->residual >= 0) return DLF_OK;
  const int x = n->inputs[0];
  const ir_tensor *yt = &g->tensors[s->y];
  if (!is_act_f32(g, x) || !e->nhwc[x] || !e->nhwc[s->y] || !same_dims(&g->tensors[x], yt))
    return DLF_OK;
  const int64_t C = yt->dims[1];
  for (int k = 1; k < 5; k++) {
    const ir_tensor *p = &g->tensors[n->inputs[k]];
    if (!is_const(g, n->inputs[k]) || p->dtype != IR_F32 || ir_tensor_numel(p) != C) return DLF_OK;
  }
  const float *scale = g->tensors[n->inputs[1]].data, *bias = g->tensors[n->inputs[2]].data;
  const float *mean = g->tensors[n->inputs[3]].data, *var = g->tensors[n->inputs[4]].data;
  const double eps = ir_node_float(n, "epsilon", 1e-5f);
  float *ab = rt_alloc_floats(2 * C);
  if (!ab) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory for a BatchNormalization");
  for (int64_t c = 0; c < C; c++) {
    double a = scale[c] / sqrt((double)var[c] + eps);
    ab[c] = (float)a;
    ab[C + c] = (float)(bias[c] - mean[c] * a);
  }
  s->kind = STEP_CHAN_BINARY;
  s->op = n->op;
  s->chan_op = KERN_CHAN_AFFINE;
  s->x = x, s->x2 = -1;
  s->xslot = 0, s->vslot = 1, s->sstep = 1, s->vimg = 0;
  s->bias_owned = ab;
  s->vconst = ab;
  s->numel = ir_tensor_numel(yt);
  limit_small(e, s, s->numel);
  set_epilogue(s, n);
  *ok = true;
  return DLF_OK;
}

/* Slice of channels only (ShuffleNetV2's split), or Gather of channels with constant indices
 * (the channel shuffle, channel_shuffle.c), on NHWC tensors: per pixel, output channel c is
 * input channel gidx[c]. */
static dlf_status compile_chan_gather(rt_engine *e, const ir_node *n, rt_step *s, bool *ok) {
  const ir_graph *g = e->g;
  *ok = false;
  if (n->n_outputs != 1 || n->act != IR_ACT_NONE || n->residual >= 0) return DLF_OK;
  const int x = n->inputs[0], y = n->outputs[0];
  if (!is_act_f32(g, x) || !e->nhwc[x] || y < 0 || !e->nhwc[y]) return DLF_OK;
  const ir_tensor *xt = &g->tensors[x], *yt = &g->tensors[y];
  if (xt->dims[0] != yt->dims[0] || xt->dims[2] != yt->dims[2] || xt->dims[3] != yt->dims[3])
    return DLF_OK;
  const int64_t C = xt->dims[1], K = yt->dims[1];
  int64_t *idx = dlf_malloc_array((size_t)(K > 0 ? K : 1), sizeof *idx);
  if (!idx) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory for a channel gather");
  bool fits = true;
  if (n->op == IR_OP_SLICE) {
    int64_t start[IR_MAX_DIMS], step[IR_MAX_DIMS], len[IR_MAX_DIMS];
    fits = ir_slice_geometry(g, n, start, step, len) && len[1] == K;
    for (int d = 0; d < 4 && fits; d++)
      if (d != 1 && (start[d] != 0 || step[d] != 1 || len[d] != xt->dims[d])) fits = false;
    for (int64_t c = 0; c < K && fits; c++)
      idx[c] = start[1] + c * step[1];
  } else { /* Gather */
    int64_t a = ir_node_int(n, "axis", 0);
    const int it = n->n_inputs > 1 ? n->inputs[1] : -1;
    fits = (a == 1 || a == -3) && it >= 0 && is_const(g, it) && g->tensors[it].ndim == 1 &&
           g->tensors[it].dtype == IR_I64 && ir_tensor_numel(&g->tensors[it]) == K;
    for (int64_t c = 0; c < K && fits; c++) {
      int64_t v = ((const int64_t *)g->tensors[it].data)[c];
      idx[c] = v < 0 ? v + C : v;
    }
  }
  for (int64_t c = 0; c < K && fits; c++)
    if (idx[c] < 0 || idx[c] >= C) fits = false;
  if (!fits) {
    free(idx);
    return DLF_OK;
  }
  s->kind = STEP_CHAN_GATHER;
  s->x = x, s->y = y, s->residual = -1;
  s->gidx = idx;
  s->gcontig = true;
  for (int64_t c = 1; c < K; c++)
    if (idx[c] != idx[0] + c) s->gcontig = false;
  s->numel = ir_tensor_numel(yt);
  limit_small(e, s, s->numel);
  *ok = true;
  return DLF_OK;
}

/* Resize / Upsample of H and W only (N and C unchanged) on NHWC tensors, nearest or linear:
 * the source taps of every output row and column come from ir_resize_taps, the reference's
 * own geometry. */
static dlf_status compile_resize(rt_engine *e, const ir_node *n, rt_step *s, bool *ok) {
  const ir_graph *g = e->g;
  *ok = false;
  if (n->n_outputs != 1 || n->act != IR_ACT_NONE || n->residual >= 0) return DLF_OK;
  const int x = n->inputs[0], y = n->outputs[0];
  if (!is_act_f32(g, x) || !e->nhwc[x] || y < 0 || !e->nhwc[y]) return DLF_OK;
  ir_resize r;
  if (!ir_resize_geometry(g, n, &r) || r.rank != 4 || r.in[0] != r.out[0] || r.in[1] != r.out[1])
    return DLF_OK;
  const int64_t OH = r.out[2], OW = r.out[3];
  s->ridx = dlf_malloc_array((size_t)(OH + OW + 1), 2 * sizeof *s->ridx);
  s->rw = dlf_malloc_array((size_t)(OH + OW + 1), sizeof *s->rw);
  if (!s->ridx || !s->rw) {
    free(s->ridx), free(s->rw);
    s->ridx = NULL, s->rw = NULL;
    return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory for a resize");
  }
  for (int64_t i = 0; i < OH; i++)
    ir_resize_taps(&r, 2, i, &s->ridx[2 * i], &s->ridx[2 * i + 1], &s->rw[i]);
  for (int64_t j = 0; j < OW; j++)
    ir_resize_taps(&r, 3, j, &s->ridx[2 * (OH + j)], &s->ridx[2 * (OH + j) + 1], &s->rw[OH + j]);
  s->kind = STEP_RESIZE;
  s->rlinear = r.linear;
  s->x = x, s->y = y, s->residual = -1;
  s->numel = ir_tensor_numel(&g->tensors[y]);
  limit_small(e, s, s->numel * (r.linear ? 4 : 1));
  *ok = true;
  return DLF_OK;
}

/* LayerNorm over the channels of an NHWC tensor (the channels_last pass's form), constant scale
 * and bias: kern_chan_norm per pixel; vconst = scale, bias = bias (or NULL), p0 = epsilon. */
static void compile_chan_norm(rt_engine *e, const ir_node *n, rt_step *s, bool *ok) {
  const ir_graph *g = e->g;
  *ok = false;
  if (!ir_layernorm_channels(n) || n->n_outputs != 1 || n->residual >= 0 || n->act != IR_ACT_NONE)
    return;
  const int x = n->inputs[0], y = n->outputs[0], sc = n->inputs[1];
  const int b = n->n_inputs > 2 ? n->inputs[2] : -1;
  if (!is_act_f32(g, x) || !e->nhwc[x] || y < 0 || !e->nhwc[y] || !is_const(g, sc) ||
      (b >= 0 && !is_const(g, b)))
    return;
  s->kind = STEP_CHAN_NORM;
  s->x = x, s->y = y, s->residual = -1;
  s->vconst = g->tensors[sc].data;
  s->bias = b >= 0 ? g->tensors[b].data : NULL;
  s->p0 = ir_node_float(n, "epsilon", 1e-5f);
  s->numel = ir_tensor_numel(&g->tensors[y]);
  limit_small(e, s, 4 * s->numel);
  *ok = true;
}

static void compile_simple(rt_engine *e, const ir_node *n, rt_step *s, bool *ok) {
  const ir_graph *g = e->g;
  *ok = false;
  if (n->n_inputs < 1 || n->n_outputs < 1 || n->outputs[0] < 0) return;
  int x = n->inputs[0], y = n->outputs[0];
  const ir_tensor *yt = &g->tensors[y];
  for (int o = 1; o < n->n_outputs; o++)
    if (n->outputs[o] >= 0) return;
  s->x = x, s->y = y, s->residual = -1;
  switch (n->op) {
  case IR_OP_IDENTITY:
  case IR_OP_DROPOUT:
  case IR_OP_RESHAPE:
  case IR_OP_FLATTEN:
  case IR_OP_SQUEEZE:
  case IR_OP_UNSQUEEZE:
    if (n->act != IR_ACT_NONE || n->residual >= 0 || x < 0 || is_const(g, x)) return;
    if (g->tensors[x].dtype != yt->dtype) return;
    if (e->nhwc[x] && !layout_free(e, x) && !e->nhwc[y] && yt->dtype == IR_F32) {
      /* VGG's / AlexNet's Flatten of [N, C, H, W] before the classifier: the reshape reads
       * NCHW order, so it is a transposing copy. */
      s->kind = STEP_TO_NCHW;
      s->numel = ir_tensor_numel(yt);
      *ok = true;
      return;
    }
    if (!layout_free(e, x) || !layout_free(e, y)) return;
    s->kind = STEP_COPY;
    s->numel = ir_tensor_numel(yt) * (int64_t)ir_dtype_size(yt->dtype); /* bytes */
    *ok = true;
    return;
  case IR_OP_CONCAT: {
    if (n->act != IR_ACT_NONE || n->residual >= 0 || yt->ndim != 4 || !e->nhwc[y]) return;
    int64_t axis = ir_node_int(n, "axis", 0);
    if (axis < 0) axis += 4;
    if (axis != 1) return;
    for (int i = 0; i < n->n_inputs; i++)
      if (!is_act_f32(g, n->inputs[i]) || !e->nhwc[n->inputs[i]]) return;
    s->kind = STEP_CONCAT;
    s->pixels = yt->dims[0] * yt->dims[2] * yt->dims[3];
    limit_small(e, s, ir_tensor_numel(yt));
    *ok = true;
    return;
  }
  case IR_OP_SUB:
  case IR_OP_DIV: compile_chan_binary(e, n, s, ok); return;
  case IR_OP_ADD:
  case IR_OP_MUL: {
    if (n->n_inputs != 2) return;
    int x2 = n->inputs[1];
    if (x >= 0 && x2 >= 0 && !(same_dims(&g->tensors[x], yt) && same_dims(&g->tensors[x2], yt))) {
      compile_chan_binary(e, n, s, ok);
      return;
    }
    if (!is_act_f32(g, x) || !is_act_f32(g, x2) || yt->dtype != IR_F32) return;
    if (!same_dims(&g->tensors[x], yt) || !same_dims(&g->tensors[x2], yt)) return;
    if (n->residual >= 0 && (!is_act_f32(g, n->residual) || !same_dims(&g->tensors[n->residual], yt)))
      return;
    s->kind = STEP_BINARY;
    s->op = n->op;
    s->x2 = x2;
    s->numel = ir_tensor_numel(yt);
    limit_small(e, s, s->numel);
    /* All epilogue activations go through the generic post pass here. */
    s->residual = n->residual;
    s->kact = KERN_ACT_NONE;
    s->post_act = n->act;
    s->p0 = n->act_p0, s->p1 = n->act_p1;
    *ok = true;
    return;
  }
  default: {
    ir_act act;
    float p0, p1;
    if (n->act != IR_ACT_NONE || n->residual >= 0 || !is_act_f32(g, x)) return;
    if (!same_dims(&g->tensors[x], yt) || !unary_params(g, n, &act, &p0, &p1)) return;
    s->kind = STEP_UNARY;
    s->post_act = act;
    s->p0 = p0, s->p1 = p1;
    s->numel = ir_tensor_numel(yt);
    limit_small(e, s, s->numel);
    *ok = true;
    return;
  }
  }
}

/* Fallback: NCHW scratch for every NHWC input/output. */
dlf_status rt_compile_fallback(rt_engine *e, const ir_node *n, rt_step *s, int64_t *floats) {
  const ir_graph *g = e->g;
  s->kind = STEP_FALLBACK;
  s->algo = RT_ALGO_REFERENCE;
  s->cores = 1;
  int64_t off = 0;
  const int n_in = n->n_inputs + (n->residual >= 0 ? 1 : 0);
  s->fb_in_off = dlf_malloc_array((size_t)(n_in + n->n_outputs + 1), sizeof *s->fb_in_off);
  if (!s->fb_in_off) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory for a fallback step");
  s->fb_out_off = s->fb_in_off + n_in;
  for (int k = 0; k < n_in; k++) {
    int t = rt_slot_tensor(n, k);
    s->fb_in_off[k] = -1;
    if (t >= 0 && e->nhwc[t]) {
      s->fb_in_off[k] = off;
      off += (ir_tensor_numel(&g->tensors[t]) + 15) / 16 * 16;
    }
  }
  for (int o = 0; o < n->n_outputs; o++) {
    int t = n->outputs[o];
    s->fb_out_off[o] = -1;
    if (t >= 0 && e->nhwc[t]) {
      s->fb_out_off[o] = off;
      off += (ir_tensor_numel(&g->tensors[t]) + 15) / 16 * 16;
    }
  }
  *floats = off;
  return DLF_OK;
}

void rt_choose_bands(rt_engine *e, rt_step *s, int64_t tile_rows) {
  if (s->kind != STEP_CONV && s->kind != STEP_DWCONV && s->kind != STEP_MAXPOOL &&
      s->kind != STEP_AVGPOOL)
    return;
  const int64_t OH = s->kind <= STEP_DWCONV ? s->cp.OH : s->pp.OH;
  if (tile_rows > 0) {
    s->band_h = tile_rows < OH ? tile_rows : OH;
    s->bands = OH > 0 ? (OH + s->band_h - 1) / s->band_h : 0;
    s->csplits = 1;
    return;
  }
  choose_bands(s, OH);
  if (s->algo == RT_ALGO_WINOGRAD && s->band_h < OH) {
    /* Whole 4-row tiles per band: a partial tile is computed in full by both bands. */
    s->band_h = (s->band_h + 3) / 4 * 4;
    s->bands = (OH + s->band_h - 1) / s->band_h;
  }
  if (s->kind == STEP_CONV && s->algo == RT_ALGO_IM2COL) {
    choose_channel_split(s, e->cfg->sgemm.nr);
    if (s->csplits > 1) s->kind = STEP_CONV_CSPLIT;
  } else if (s->kind == STEP_CONV && s->algo == RT_ALGO_WINOGRAD) {
    choose_winograd_split(e, s);
  }
}

dlf_status rt_compile_step(rt_engine *e, const ir_node *n, rt_step *s, int force, bool *ok) {
  dlf_status st = DLF_OK;
  *ok = false;
  if (force == PLAN_ALGO_REFERENCE) return DLF_OK;
  switch (n->op) {
  case IR_OP_CONV: st = compile_conv(e, n, s, force, ok); break;
  case IR_OP_GEMM: st = compile_gemm(e, n, s, ok); break;
  case IR_OP_MAXPOOL:
  case IR_OP_AVERAGEPOOL:
  case IR_OP_GLOBALAVERAGEPOOL: compile_pool(e, n, s, ok); break;
  case IR_OP_SLICE:
  case IR_OP_GATHER: st = compile_chan_gather(e, n, s, ok); break;
  case IR_OP_RESIZE:
  case IR_OP_UPSAMPLE: st = compile_resize(e, n, s, ok); break;
  case IR_OP_LAYERNORM: compile_chan_norm(e, n, s, ok); break;
  case IR_OP_BATCHNORM:
    s->x = n->inputs[0], s->y = n->outputs[0], s->residual = -1;
    st = compile_batchnorm(e, n, s, ok);
    break;
  default: compile_simple(e, n, s, ok); break;
  }
  if (st != DLF_OK || !*ok) return st;
  const ir_tensor *yt = &e->g->tensors[s->y];
  if (e->nhwc[s->y]) {
    s->out_h = yt->dims[2];
    s->row_floats = yt->dims[1] * yt->dims[3];
    if (yt->dims[0] > 0) s->y_img = ir_tensor_numel(yt) / yt->dims[0];
  }
  return DLF_OK;
}
