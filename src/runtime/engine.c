/* engine.c — the fast execution engine (see engine.h): step compilation at create,
 * parallel step execution at run, NCHW <-> NHWC at the graph boundary and around fallbacks. */
#include "runtime/engine.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/checked.h"
#include "core/cpu.h"
#include "ir/ops/window.h"
#include "runtime/memplan.h"
#include "runtime/threadpool.h"

typedef enum step_kind {
  STEP_CONV,     /* kern_conv2d_nhwc (groups >= 1) */
  STEP_CONV_CSPLIT, /* kern_conv2d_nhwc on output-channel slices (groups == 1) */
  STEP_DWCONV,   /* kern_dwconv2d_nhwc */
  STEP_MAXPOOL,  /* kern_maxpool2d_nhwc */
  STEP_AVGPOOL,  /* kern_avgpool2d_nhwc */
  STEP_GAP,      /* kern_global_avgpool_nhwc */
  STEP_GEMM,     /* kern_sgemm with packed B */
  STEP_COPY,     /* layout-free reshape / identity: memcpy */
  STEP_CONCAT,   /* channel concat of NHWC tensors */
  STEP_BINARY,   /* same-shape Add / Mul (+ residual, act) */
  STEP_UNARY,    /* elementwise activation */
  STEP_FALLBACK, /* reference function on NCHW copies */
} step_kind;

#define MAX_FB_IN 17 /* 16 inputs + a residual, as the reference executor */
#define MAX_FB_OUT 8

typedef struct rt_step {
  int node;
  step_kind kind;
  rt_algo algo;
  int cores; /* threads of this step's parallel region */
  int x, y;  /* main input / output tensor */
  int residual;
  /* Epilogue: what the kernel applies (kact) and what runs after it (post_act). */
  kern_act kact;
  float lo, hi;
  ir_act post_act;
  float p0, p1;
  /* Conv / pool geometry, batch, floats per image. */
  kern_conv2d_params cp;
  kern_pool2d_params pp;
  int64_t batch, x_img, y_img, bands, band_h;
  int64_t csplits, csplit_w; /* STEP_CONV: output-channel slices (multiples of nr) per band */
  float *packed; /* owned packed weights */
  const float *bias;
  float *bias_owned;
  /* Gemm: C[M,N] = A[M,K] * B + bias. */
  int64_t M, N, K, panels;
  /* Elementwise: element count; binary second input; chunk. */
  int64_t numel;
  int x2;
  ir_op op;
  /* Concat: inputs are the node's inputs. GAP: channel chunks per image. */
  int64_t pixels, cchunks;
  /* Fallback: scratch offsets (floats) of NCHW copies, -1 = use the tensor directly. */
  int64_t fb_in_off[MAX_FB_IN], fb_out_off[MAX_FB_OUT];
} rt_step;

struct rt_engine {
  const ir_graph *g;
  const kern_config *cfg;
  int threads;
  int64_t min_parallel_work;
  bool winograd;
  rt_pool *pool;
  int n_steps, n_fallback;
  rt_step *steps;
  void **ptr;    /* per tensor: where its value lives during a run */
  bool *nhwc;    /* per tensor: stored NHWC (4-D float activation) */
  float *arena;  /* intermediate activations */
  float *inbuf;  /* NHWC copies of 4-D graph inputs */
  int64_t *in_off;
  float *scratch; /* threads x scratch_floats (im2col) */
  int64_t scratch_floats;
  float *fb;      /* fallback NCHW copies */
  const rt_step *cur; /* the step the pool is running */
};

/* ------------------------------------------------------------- helpers -- */

static void *alloc_floats(int64_t n) {
  size_t bytes = (size_t)(n > 0 ? n : 1) * sizeof(float);
  bytes = (bytes + 63) / 64 * 64;
  return aligned_alloc(64, bytes);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void nchw_to_nhwc(const float *src, float *dst, int64_t N, int64_t C, int64_t H, int64_t W) {
  const int64_t HW = H * W;
  for (int64_t n = 0; n < N; n++) {
    const float *s = src + n * C * HW;
    float *d = dst + n * C * HW;
    for (int64_t c = 0; c < C; c++)
      for (int64_t p = 0; p < HW; p++)
        d[p * C + c] = s[c * HW + p];
  }
}

static void nhwc_to_nchw(const float *src, float *dst, int64_t N, int64_t C, int64_t H, int64_t W) {
  const int64_t HW = H * W;
  for (int64_t n = 0; n < N; n++) {
    const float *s = src + n * C * HW;
    float *d = dst + n * C * HW;
    for (int64_t p = 0; p < HW; p++)
      for (int64_t c = 0; c < C; c++)
        d[c * HW + p] = s[p * C + c];
  }
}

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

static void post_act(const rt_step *s, float *y, int64_t count) {
  if (s->post_act == IR_ACT_NONE) return;
  for (int64_t i = 0; i < count; i++)
    y[i] = ir_act_apply(s->post_act, s->p0, s->p1, y[i]);
}

/* A step with less work than this (multiply-adds, or element visits) runs on one thread:
 * waking a second worker costs ~1 us when it spins, and up to a scheduler time slice on a
 * loaded machine, either way more than such a step gains. The fusion plan overrides cores. */
#define SMALL_STEP_WORK ((int64_t)1 << 20)

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

/* ------------------------------------------------------------ compile -- */

static bool geom2d(const ir_node *n, const int64_t *xd, const int64_t *k, bool ceil_mode,
                   win_geom *w) {
  char msg[256];
  return win_geom_init(n, 2, xd + 2, k, ceil_mode, true, w, msg, sizeof msg);
}

static dlf_status compile_conv(rt_engine *e, const ir_node *n, rt_step *s, bool *ok) {
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
  s->x = x, s->y = y;
  s->batch = xt->dims[0];
  s->x_img = p->H * p->W * p->C;
  s->y_img = p->OH * p->OW * p->Cout;
  s->bias = b >= 0 ? g->tensors[b].data : NULL;
  set_epilogue(s, n);
  limit_small(e, s, s->batch * s->y_img * p->kh * p->kw * (p->C / p->groups));
  bool dw = p->groups > 1 && p->groups == p->C && p->groups == p->Cout;
  if (dw) {
    s->kind = STEP_DWCONV;
    s->algo = RT_ALGO_DIRECT;
    s->packed = alloc_floats((int64_t)kern_dwconv2d_nhwc_packed_floats(p));
    if (!s->packed) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory packing weights");
    kern_dwconv2d_nhwc_pack(p, wt->data, s->packed);
  } else {
    size_t pf, sf;
    /* Winograd F(4x4,3x3) for 3x3 stride-1 convs with enough channels (at C = 3 im2col is
     * as fast, see kernels.h); im2col + SGEMM otherwise. */
    bool wino = e->winograd && kern_winograd_f43_applies(p) && p->C >= 8;
    if (wino ? !kern_winograd_f43_packed_floats(e->cfg, p, &pf) ||
                   !kern_winograd_f43_scratch_floats(e->cfg, p, &sf)
             : !kern_conv2d_nhwc_packed_floats(e->cfg, p, &pf) ||
                   !kern_conv2d_nhwc_scratch_floats(e->cfg, p, &sf))
      return ir_node_error(g, n, DLF_ERR_LIMIT, "packed weights or scratch too large");
    s->kind = STEP_CONV;
    s->algo = wino ? RT_ALGO_WINOGRAD : RT_ALGO_IM2COL;
    s->packed = alloc_floats((int64_t)pf);
    if (!s->packed) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory packing weights");
    if (wino)
      kern_winograd_f43_pack(e->cfg, p, wt->data, s->packed);
    else
      kern_conv2d_nhwc_pack(e->cfg, p, wt->data, s->packed);
    int64_t sf16 = ((int64_t)sf + 15) / 16 * 16;
    if (sf16 > e->scratch_floats) e->scratch_floats = sf16;
  }
  choose_bands(s, p->OH);
  if (s->algo == RT_ALGO_WINOGRAD && s->band_h < p->OH) {
    /* Whole 4-row tiles per band: a partial tile is computed in full by both bands. */
    s->band_h = (s->band_h + 3) / 4 * 4;
    s->bands = (p->OH + s->band_h - 1) / s->band_h;
  }
  if (s->kind == STEP_CONV && s->algo == RT_ALGO_IM2COL) {
    choose_channel_split(s, e->cfg->sgemm.nr);
    if (s->csplits > 1) s->kind = STEP_CONV_CSPLIT;
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
  choose_bands(s, p->OH);
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
      s->bias_owned = alloc_floats(N);
      if (!s->bias_owned) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory for a bias");
      for (int64_t j = 0; j < N; j++)
        s->bias_owned[j] = *(const float *)ct->data;
      s->bias = s->bias_owned;
    }
  }
  size_t pf;
  if (!kern_sgemm_packed_b_floats(e->cfg, K, N, &pf))
    return ir_node_error(g, n, DLF_ERR_LIMIT, "packed weights too large");
  s->packed = alloc_floats((int64_t)pf);
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
    if (g->tensors[x].dtype != yt->dtype || !layout_free(e, x) || !layout_free(e, y)) return;
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
  case IR_OP_ADD:
  case IR_OP_MUL: {
    if (n->n_inputs != 2) return;
    int x2 = n->inputs[1];
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

/* Fallback: NCHW scratch for every NHWC input/output; returns the floats it needs. */
static int64_t compile_fallback(rt_engine *e, const ir_node *n, rt_step *s) {
  const ir_graph *g = e->g;
  s->kind = STEP_FALLBACK;
  s->algo = RT_ALGO_REFERENCE;
  s->cores = 1;
  int64_t off = 0;
  int n_in = n->n_inputs + (n->residual >= 0 ? 1 : 0);
  for (int k = 0; k < MAX_FB_IN; k++)
    s->fb_in_off[k] = -1;
  for (int k = 0; k < MAX_FB_OUT; k++)
    s->fb_out_off[k] = -1;
  for (int k = 0; k < n_in && k < MAX_FB_IN; k++) {
    int t = k < n->n_inputs ? n->inputs[k] : n->residual;
    if (t >= 0 && e->nhwc[t]) {
      s->fb_in_off[k] = off;
      off += (ir_tensor_numel(&g->tensors[t]) + 15) / 16 * 16;
    }
  }
  for (int o = 0; o < n->n_outputs && o < MAX_FB_OUT; o++) {
    int t = n->outputs[o];
    if (t >= 0 && e->nhwc[t]) {
      s->fb_out_off[o] = off;
      off += (ir_tensor_numel(&g->tensors[t]) + 15) / 16 * 16;
    }
  }
  return off;
}

void rt_engine_free(rt_engine *e) {
  if (!e) return;
  rt_pool_free(e->pool);
  for (int i = 0; i < e->n_steps; i++) {
    free(e->steps[i].packed);
    free(e->steps[i].bias_owned);
  }
  free(e->steps);
  free(e->ptr);
  free(e->nhwc);
  free(e->arena);
  free(e->inbuf);
  free(e->in_off);
  free(e->scratch);
  free(e->fb);
  free(e);
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
  dlf_status st = DLF_OK;
  rt_memplan plan = {0};
  e->ptr = dlf_calloc_array((size_t)g->n_tensors + 1, sizeof *e->ptr);
  e->nhwc = dlf_calloc_array((size_t)g->n_tensors + 1, sizeof *e->nhwc);
  e->steps = dlf_calloc_array((size_t)g->n_nodes + 1, sizeof *e->steps);
  e->in_off = dlf_calloc_array((size_t)g->n_inputs + 1, sizeof *e->in_off);
  if (!e->ptr || !e->nhwc || !e->steps || !e->in_off) {
    st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory creating the engine", g->source);
    goto fail;
  }
  for (int t = 0; t < g->n_tensors; t++) {
    const ir_tensor *tt = &g->tensors[t];
    e->nhwc[t] = !tt->data && tt->dtype == IR_F32 && tt->ndim == 4;
    if (tt->data) e->ptr[t] = tt->data;
  }
  /* Graph inputs: NHWC copies for 4-D float ones. */
  int64_t in_floats = 0;
  for (int i = 0; i < g->n_inputs; i++) {
    int t = g->inputs[i];
    e->in_off[i] = -1;
    if (e->nhwc[t]) {
      e->in_off[i] = in_floats;
      in_floats += (ir_tensor_numel(&g->tensors[t]) + 15) / 16 * 16;
    }
  }
  if (in_floats) {
    e->inbuf = alloc_floats(in_floats);
    if (!e->inbuf) {
      st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory for input buffers", g->source);
      goto fail;
    }
  }
  /* Activation arena. */
  st = rt_memplan_for_graph(g, RT_MEMPLAN_ALIGNMENT, &plan);
  if (st != DLF_OK) goto fail;
  e->arena = alloc_floats(plan.arena_bytes / (int64_t)sizeof(float) + 1);
  if (!e->arena) {
    st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory for the activation arena (%lld bytes)",
                   g->source, (long long)plan.arena_bytes);
    goto fail;
  }
  for (int i = 0; i < plan.n_items; i++)
    e->ptr[plan.tensor[i]] = (char *)e->arena + plan.offsets[i];
  /* Steps. */
  int64_t fb_floats = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    rt_step *s = &e->steps[e->n_steps++];
    s->node = i;
    s->cores = e->threads;
    s->residual = -1;
    bool ok = false;
    if (n->n_inputs > 16 || n->n_outputs > MAX_FB_OUT) {
      st = ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "too many inputs or outputs");
      goto fail;
    }
    for (int o = 0; o < n->n_outputs; o++)
      if (n->outputs[o] >= 0 && !e->ptr[n->outputs[o]]) {
        st = ir_node_error(g, n, DLF_ERR_INTERNAL, "output '%s' has no buffer",
                           g->tensors[n->outputs[o]].name);
        goto fail;
      }
    switch (n->op) {
    case IR_OP_CONV: st = compile_conv(e, n, s, &ok); break;
    case IR_OP_GEMM: st = compile_gemm(e, n, s, &ok); break;
    case IR_OP_MAXPOOL:
    case IR_OP_AVERAGEPOOL:
    case IR_OP_GLOBALAVERAGEPOOL: compile_pool(e, n, s, &ok); break;
    default: compile_simple(e, n, s, &ok); break;
    }
    if (st != DLF_OK) goto fail;
    if (!ok) {
      int64_t f = compile_fallback(e, n, s);
      if (f > fb_floats) fb_floats = f;
      e->n_fallback++;
    }
  }
  if (e->scratch_floats) {
    int64_t total;
    if (!dlf_mul_i64(e->scratch_floats, e->threads, &total) ||
        !(e->scratch = alloc_floats(total))) {
      st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory for im2col scratch", g->source);
      goto fail;
    }
  }
  if (fb_floats && !(e->fb = alloc_floats(fb_floats))) {
    st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory for fallback buffers", g->source);
    goto fail;
  }
  st = rt_pool_create(e->threads, NULL, &e->pool);
  if (st != DLF_OK) goto fail;
  rt_memplan_free(&plan);
  *out = e;
  return DLF_OK;
fail:
  rt_memplan_free(&plan);
  rt_engine_free(e);
  return st;
}

/* ---------------------------------------------------------------- run -- */

/* Thread t's im2col scratch; NULL when no conv needs any (all 1x1 read in place). */
static float *thread_scratch(const rt_engine *e, int t) {
  return e->scratch ? e->scratch + (int64_t)t * e->scratch_floats : NULL;
}

static void run_conv(void *ctx, int t, int64_t b, int64_t end) {
  rt_engine *e = ctx;
  const rt_step *s = e->cur;
  const float *x = e->ptr[s->x];
  float *y = e->ptr[s->y];
  const float *r = s->residual >= 0 ? e->ptr[s->residual] : NULL;
  const int64_t OH = s->kind <= STEP_DWCONV ? s->cp.OH : s->pp.OH;
  const int64_t row = s->y_img / (OH > 0 ? OH : 1);
  if (s->kind == STEP_CONV_CSPLIT) {
    /* item = (image, channel slice); the slice is a conv with Cout = its width writing a
     * strided view of y, reading the panels from j0 (see choose_channel_split). */
    for (int64_t it = b; it < end; it++) {
      int64_t img = it / s->csplits, j0 = (it % s->csplits) * s->csplit_w;
      kern_conv2d_params p = s->cp;
      p.Cout = s->cp.Cout - j0 < s->csplit_w ? s->cp.Cout - j0 : s->csplit_w;
      p.y_stride = s->cp.Cout;
      kern_epilogue ep = {false, s->bias ? s->bias + j0 : NULL, NULL,
                          r ? r + img * s->y_img + j0 : NULL, s->cp.Cout, s->kact, s->lo, s->hi};
      const float *pw = kern_sgemm_packed_b_at(e->cfg, s->packed, p.kh * p.kw * p.C, j0);
      float *yi = y + img * s->y_img;
      kern_conv2d_nhwc(e->cfg, &p, x + img * s->x_img, pw, yi + j0, 0, OH,
                       thread_scratch(e, t), &ep);
      if (s->post_act != IR_ACT_NONE)
        for (int64_t px = 0; px < OH * p.OW; px++)
          post_act(s, yi + px * s->cp.Cout + j0, p.Cout);
    }
    return;
  }
  for (int64_t it = b; it < end; it++) {
    int64_t img = it / s->bands, oh0 = (it % s->bands) * s->band_h, oh1 = oh0 + s->band_h;
    if (oh1 > OH) oh1 = OH;
    const float *xi = x + img * s->x_img;
    float *yi = y + img * s->y_img;
    kern_epilogue ep = {false, s->bias, NULL, r ? r + img * s->y_img : NULL, 0,
                        s->kact,  s->lo,   s->hi};
    switch (s->kind) {
    case STEP_CONV:
      if (s->algo == RT_ALGO_WINOGRAD)
        kern_winograd_f43(e->cfg, &s->cp, xi, s->packed, yi, oh0, oh1, thread_scratch(e, t), &ep);
      else
        kern_conv2d_nhwc(e->cfg, &s->cp, xi, s->packed, yi, oh0, oh1, thread_scratch(e, t), &ep);
      break;
    case STEP_DWCONV: kern_dwconv2d_nhwc(e->cfg, &s->cp, xi, s->packed, yi, oh0, oh1, &ep); break;
    case STEP_MAXPOOL: kern_maxpool2d_nhwc(e->cfg, &s->pp, xi, yi, oh0, oh1); break;
    case STEP_AVGPOOL: kern_avgpool2d_nhwc(e->cfg, &s->pp, xi, yi, oh0, oh1); break;
    default: break;
    }
    post_act(s, yi + oh0 * row, (oh1 - oh0) * row);
  }
}

static void run_gap(void *ctx, int t, int64_t b, int64_t end) {
  rt_engine *e = ctx;
  const rt_step *s = e->cur;
  const float *x = e->ptr[s->x];
  float *y = e->ptr[s->y];
  const int64_t C = s->y_img, HW = s->x_img / (C > 0 ? C : 1);
  for (int64_t it = b; it < end; it++) {
    int64_t img = it / s->cchunks, c0 = (it % s->cchunks) * 64, c1 = c0 + 64 < C ? c0 + 64 : C;
    kern_global_avgpool_nhwc(e->cfg, HW, c1 - c0, x + img * s->x_img + c0, C, y + img * C + c0);
  }
}

static void run_gemm(void *ctx, int t, int64_t b, int64_t end) {
  rt_engine *e = ctx;
  const rt_step *s = e->cur;
  const int64_t nr = e->cfg->sgemm.nr, j0 = b * nr, j1 = end * nr < s->N ? end * nr : s->N;
  const float *a = e->ptr[s->x];
  float *y = e->ptr[s->y];
  const float *r = s->residual >= 0 ? e->ptr[s->residual] : NULL;
  kern_epilogue ep = {false,          s->bias ? s->bias + j0 : NULL, NULL, r ? r + j0 : NULL, s->N,
                      s->kact,        s->lo,                         s->hi};
  kern_sgemm(e->cfg, s->M, j1 - j0, s->K, a, s->K,
             kern_sgemm_packed_b_at(e->cfg, s->packed, s->K, j0), y + j0, s->N, &ep);
  if (s->post_act != IR_ACT_NONE)
    for (int64_t m = 0; m < s->M; m++)
      post_act(s, y + m * s->N + j0, j1 - j0);
}

#define EW_CHUNK 4096

static void run_elementwise(void *ctx, int t, int64_t b, int64_t end) {
  rt_engine *e = ctx;
  const rt_step *s = e->cur;
  int64_t i0 = b * EW_CHUNK, i1 = end * EW_CHUNK < s->numel ? end * EW_CHUNK : s->numel;
  const float *x = e->ptr[s->x];
  float *y = e->ptr[s->y];
  if (s->kind == STEP_BINARY) {
    const float *x2 = e->ptr[s->x2];
    const float *r = s->residual >= 0 ? e->ptr[s->residual] : NULL;
    if (s->op == IR_OP_ADD)
      for (int64_t i = i0; i < i1; i++)
        y[i] = x[i] + x2[i];
    else
      for (int64_t i = i0; i < i1; i++)
        y[i] = x[i] * x2[i];
    if (r)
      for (int64_t i = i0; i < i1; i++)
        y[i] += r[i];
    post_act(s, y + i0, i1 - i0);
  } else if (s->post_act == IR_ACT_RELU) {
    for (int64_t i = i0; i < i1; i++)
      y[i] = x[i] < 0 ? 0 : x[i];
  } else if (s->post_act == IR_ACT_CLIP) {
    const float lo = s->p0, hi = s->p1;
    for (int64_t i = i0; i < i1; i++)
      y[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
  } else {
    for (int64_t i = i0; i < i1; i++)
      y[i] = ir_act_apply(s->post_act, s->p0, s->p1, x[i]);
  }
}

static void run_concat(void *ctx, int t, int64_t b, int64_t end) {
  rt_engine *e = ctx;
  const rt_step *s = e->cur;
  const ir_node *n = &e->g->nodes[s->node];
  float *y = e->ptr[s->y];
  const int64_t Cy = e->g->tensors[s->y].dims[1];
  int64_t c0 = 0;
  for (int i = 0; i < n->n_inputs; i++) {
    const float *x = e->ptr[n->inputs[i]];
    const int64_t C = e->g->tensors[n->inputs[i]].dims[1];
    for (int64_t p = b; p < end; p++)
      memcpy(y + p * Cy + c0, x + p * C, (size_t)C * sizeof(float));
    c0 += C;
  }
}

static dlf_status run_fallback(rt_engine *e, const rt_step *s) {
  const ir_graph *g = e->g;
  const ir_node *n = &g->nodes[s->node];
  ir_value in[MAX_FB_IN], out[MAX_FB_OUT];
  int n_in = n->n_inputs + (n->residual >= 0 ? 1 : 0);
  for (int k = 0; k < n_in; k++) {
    int t = k < n->n_inputs ? n->inputs[k] : n->residual;
    memset(&in[k], 0, sizeof in[k]);
    if (t < 0) continue;
    const ir_tensor *tt = &g->tensors[t];
    in[k].dtype = tt->dtype;
    in[k].ndim = tt->ndim;
    memcpy(in[k].dims, tt->dims, sizeof tt->dims);
    in[k].data = e->ptr[t];
    if (s->fb_in_off[k] >= 0) {
      float *d = e->fb + s->fb_in_off[k];
      nhwc_to_nchw(e->ptr[t], d, tt->dims[0], tt->dims[1], tt->dims[2], tt->dims[3]);
      in[k].data = d;
    }
  }
  for (int o = 0; o < n->n_outputs; o++) {
    int t = n->outputs[o];
    memset(&out[o], 0, sizeof out[o]);
    if (t < 0) continue;
    const ir_tensor *tt = &g->tensors[t];
    out[o].dtype = tt->dtype;
    out[o].ndim = tt->ndim;
    memcpy(out[o].dims, tt->dims, sizeof tt->dims);
    out[o].data = s->fb_out_off[o] >= 0 ? e->fb + s->fb_out_off[o] : e->ptr[t];
  }
  dlf_status st = ir_op_ref_fn(n->op)(n, in, n_in, out, n->n_outputs);
  if (st != DLF_OK) return ir_node_error(g, n, st, "%s", dlf_last_error());
  for (int o = 0; o < n->n_outputs; o++) {
    int t = n->outputs[o];
    if (t < 0 || s->fb_out_off[o] < 0) continue;
    const int64_t *d = g->tensors[t].dims;
    nchw_to_nhwc(out[o].data, e->ptr[t], d[0], d[1], d[2], d[3]);
  }
  return DLF_OK;
}

static dlf_status run_step(rt_engine *e, const rt_step *s) {
  e->cur = s;
  switch (s->kind) {
  case STEP_CONV:
  case STEP_DWCONV:
  case STEP_MAXPOOL:
  case STEP_AVGPOOL: return rt_pool_run(e->pool, s->cores, s->batch * s->bands, run_conv, e);
  case STEP_CONV_CSPLIT:
    return rt_pool_run(e->pool, s->cores, s->batch * s->csplits, run_conv, e);
  case STEP_GAP: return rt_pool_run(e->pool, s->cores, s->batch * s->cchunks, run_gap, e);
  case STEP_GEMM: return rt_pool_run_static(e->pool, s->cores, s->panels, run_gemm, e);
  case STEP_BINARY:
  case STEP_UNARY:
    return rt_pool_run(e->pool, s->cores, (s->numel + EW_CHUNK - 1) / EW_CHUNK, run_elementwise,
                       e);
  case STEP_CONCAT: return rt_pool_run(e->pool, s->cores, s->pixels, run_concat, e);
  case STEP_COPY:
    if (e->ptr[s->y] != e->ptr[s->x]) memcpy(e->ptr[s->y], e->ptr[s->x], (size_t)s->numel);
    return DLF_OK;
  case STEP_FALLBACK: return run_fallback(e, s);
  }
  return DLF_OK;
}

dlf_status rt_engine_run(rt_engine *e, const void *const *inputs, void *const *outputs,
                         double *node_ms) {
  const ir_graph *g = e->g;
  for (int i = 0; i < g->n_inputs; i++) {
    int t = g->inputs[i];
    if (e->in_off[i] >= 0) {
      const int64_t *d = g->tensors[t].dims;
      nchw_to_nhwc(inputs[i], e->inbuf + e->in_off[i], d[0], d[1], d[2], d[3]);
      e->ptr[t] = e->inbuf + e->in_off[i];
    } else {
      e->ptr[t] = (void *)inputs[i];
    }
  }
  if (node_ms)
    for (int i = 0; i < g->n_nodes; i++)
      node_ms[i] = 0;
  for (int i = 0; i < e->n_steps; i++) {
    const rt_step *s = &e->steps[i];
    double t0 = node_ms ? now_ms() : 0;
    dlf_status st = run_step(e, s);
    if (st != DLF_OK) return st;
    if (node_ms) node_ms[s->node] = now_ms() - t0;
  }
  for (int j = 0; j < g->n_outputs; j++) {
    int t = g->outputs[j];
    const ir_tensor *tt = &g->tensors[t];
    if (e->nhwc[t])
      nhwc_to_nchw(e->ptr[t], outputs[j], tt->dims[0], tt->dims[1], tt->dims[2], tt->dims[3]);
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
