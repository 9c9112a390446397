/* step_layout.c — the step classes that move data without arithmetic on it, or with only a
 * blend: layout-free reshapes (COPY, one memcpy), a Flatten of an NHWC tensor that reads NCHW
 * order (TO_NCHW), channel Concat, channel gathers (Slice / Gather of channels: ShuffleNetV2's
 * split and shuffle), and Resize / Upsample of H and W (nearest or bilinear). */
#include <string.h>

#include "core/checked.h"
#include "runtime/engine_internal.h"

/* One live output, every other output left empty. */
static bool one_output(const ir_node *n) {
  if (n->n_inputs < 1 || n->n_outputs < 1 || n->outputs[0] < 0) return false;
  for (int o = 1; o < n->n_outputs; o++)
    if (n->outputs[o] >= 0) return false;
  return true;
}

static bool is_reshape_like(ir_op op) {
  return op == IR_OP_IDENTITY || op == IR_OP_DROPOUT || op == IR_OP_RESHAPE ||
         op == IR_OP_FLATTEN || op == IR_OP_SQUEEZE || op == IR_OP_UNSQUEEZE;
}

/* A reshape-like op whose input and output are the same bytes: the input is stored as it
 * would be in ONNX layout (rt_layout_free), so is the output. */
static bool reshape_io(const rt_engine *e, const ir_node *n, rt_step *s) {
  const ir_graph *g = e->g;
  if (!is_reshape_like(n->op) || !one_output(n) || n->act != IR_ACT_NONE || n->residual >= 0)
    return false;
  const int x = n->inputs[0], y = n->outputs[0];
  if (x < 0 || rt_is_const(g, x) || g->tensors[x].dtype != g->tensors[y].dtype) return false;
  s->x = x, s->y = y;
  s->algo = PLAN_ALGO_DIRECT;
  return true;
}

/* ---------------------------------------------------------------- copy -- */

static dlf_status compile_copy(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo,
                               bool *ok) {
  (void)algo;
  if (!reshape_io(e, n, s) || !rt_layout_free(e, s->x) || !rt_layout_free(e, s->y)) return DLF_OK;
  const ir_tensor *yt = &e->g->tensors[s->y];
  s->kind = STEP_COPY;
  s->numel = ir_tensor_numel(yt) * (int64_t)ir_dtype_size(yt->dtype); /* bytes */
  *ok = true;
  return DLF_OK;
}

static dlf_status run_copy(rt_engine *e, const rt_step *s) {
  if (e->ptr[s->y] != e->ptr[s->x]) memcpy(e->ptr[s->y], e->ptr[s->x], (size_t)s->numel);
  return DLF_OK;
}

const rt_step_class rt_class_copy = {.name = "copy", .compile = compile_copy, .run = run_copy};

/* ------------------------------------------------------------- to NCHW -- */

/* VGG's / AlexNet's Flatten of [N, C, H, W] before the classifier: the reshape reads NCHW
 * order, so it is a transposing copy. */
static dlf_status compile_to_nchw(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo,
                                  bool *ok) {
  (void)algo;
  if (!reshape_io(e, n, s)) return DLF_OK;
  const ir_tensor *yt = &e->g->tensors[s->y];
  if (!e->nhwc[s->x] || rt_layout_free(e, s->x) || e->nhwc[s->y] || yt->dtype != IR_F32)
    return DLF_OK;
  s->kind = STEP_TO_NCHW;
  s->numel = ir_tensor_numel(yt);
  *ok = true;
  return DLF_OK;
}

static dlf_status run_to_nchw(rt_engine *e, const rt_step *s) {
  const int64_t *d = e->g->tensors[s->x].dims;
  rt_nhwc_to_nchw(e->ptr[s->x], e->ptr[s->y], d[0], d[1], d[2], d[3]);
  return DLF_OK;
}

const rt_step_class rt_class_to_nchw = {
    .name = "to NCHW", .compile = compile_to_nchw, .run = run_to_nchw};

/* -------------------------------------------------------------- concat -- */

static dlf_status compile_concat(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo,
                                 bool *ok) {
  (void)algo;
  const ir_graph *g = e->g;
  if (n->op != IR_OP_CONCAT || !one_output(n) || n->act != IR_ACT_NONE || n->residual >= 0)
    return DLF_OK;
  const int y = n->outputs[0];
  const ir_tensor *yt = &g->tensors[y];
  if (yt->ndim != 4 || !e->nhwc[y]) return DLF_OK;
  int64_t axis = ir_node_int(n, "axis", 0);
  if (axis < 0) axis += 4;
  if (axis != 1) return DLF_OK;
  for (int i = 0; i < n->n_inputs; i++)
    if (!rt_is_act_f32(g, n->inputs[i]) || !e->nhwc[n->inputs[i]]) return DLF_OK;
  s->kind = STEP_CONCAT;
  s->algo = PLAN_ALGO_DIRECT;
  s->x = n->inputs[0], s->y = y;
  s->u.concat_pixels = yt->dims[0] * yt->dims[2] * yt->dims[3];
  rt_limit_small(e, s, ir_tensor_numel(yt));
  *ok = true;
  return DLF_OK;
}

/* Pixels [p0, p1) of the output from the inputs' same pixels (in[k] at pixel 0). */
static void concat_pixels(const rt_engine *e, const rt_step *s, const float *const *in, float *y,
                          int64_t p0, int64_t p1) {
  const ir_node *n = &e->g->nodes[s->node];
  const int64_t Cy = e->g->tensors[s->y].dims[1];
  int64_t c0 = 0;
  for (int k = 0; k < n->n_inputs; k++) {
    const int64_t C = e->g->tensors[n->inputs[k]].dims[1];
    for (int64_t p = p0; p < p1; p++)
      memcpy(y + p * Cy + c0, in[k] + p * C, (size_t)C * sizeof(float));
    c0 += C;
  }
}

static void concat_rows(rt_engine *e, const rt_step *s, int t, const float *const *in, float *y,
                        int64_t lo, int64_t hi) {
  (void)t;
  const int64_t W = e->g->tensors[s->y].dims[3];
  concat_pixels(e, s, in, y, lo * W, hi * W);
}

/* items = pixels of the batch (the tensors are whole: pixel 0 of image 0); any number of
 * inputs (DenseNet's concats have up to 49, more than a fused tile's views). */
static void run_concat_pixels(void *ctx, int t, int64_t b, int64_t end) {
  (void)t;
  rt_engine *e = ctx;
  const rt_step *s = e->cur;
  const ir_node *n = &e->g->nodes[s->node];
  float *y = e->ptr[s->y];
  const int64_t Cy = e->g->tensors[s->y].dims[1];
  int64_t c0 = 0;
  for (int k = 0; k < n->n_inputs; k++) {
    const float *x = e->ptr[n->inputs[k]];
    const int64_t C = e->g->tensors[n->inputs[k]].dims[1];
    for (int64_t p = b; p < end; p++)
      memcpy(y + p * Cy + c0, x + p * C, (size_t)C * sizeof(float));
    c0 += C;
  }
}

static dlf_status run_concat(rt_engine *e, const rt_step *s) {
  return rt_pool_run(e->pool, s->cores, s->u.concat_pixels, run_concat_pixels, e);
}

const rt_step_class rt_class_concat = {
    .name = "concat", .compile = compile_concat, .run = run_concat, .rows = concat_rows};

/* ------------------------------------------------------ channel gather -- */

/* Slice of channels only (ShuffleNetV2's split), or Gather of channels with constant indices
 * (the channel shuffle, channel_shuffle.c), on NHWC tensors: per pixel, output channel c is
 * input channel idx[c]. */
static dlf_status compile_chan_gather(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo,
                                      bool *ok) {
  (void)algo;
  const ir_graph *g = e->g;
  if ((n->op != IR_OP_SLICE && n->op != IR_OP_GATHER) || n->n_inputs < 1 || n->n_outputs != 1 ||
      n->act != IR_ACT_NONE || n->residual >= 0)
    return DLF_OK;
  const int x = n->inputs[0], y = n->outputs[0];
  if (!rt_is_act_f32(g, x) || !e->nhwc[x] || y < 0 || !e->nhwc[y]) return DLF_OK;
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
    fits = (a == 1 || a == -3) && it >= 0 && rt_is_const(g, it) && g->tensors[it].ndim == 1 &&
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
  s->algo = PLAN_ALGO_DIRECT;
  s->x = x, s->y = y;
  s->u.gather.idx = idx;
  s->u.gather.contig = true;
  for (int64_t c = 1; c < K; c++)
    if (idx[c] != idx[0] + c) s->u.gather.contig = false;
  s->numel = ir_tensor_numel(yt);
  rt_limit_small(e, s, s->numel);
  *ok = true;
  return DLF_OK;
}

static void chan_gather_image_rows(const rt_engine *e, const rt_step *s, const float *x, float *y,
                                   int64_t lo, int64_t hi) {
  const int64_t C = e->g->tensors[s->x].dims[1], K = e->g->tensors[s->y].dims[1];
  const int64_t W = e->g->tensors[s->y].dims[3];
  const int64_t *idx = s->u.gather.idx;
  for (int64_t p = lo * W; p < hi * W; p++) {
    const float *xp = x + p * C;
    float *yp = y + p * K;
    if (s->u.gather.contig) {
      memcpy(yp, xp + idx[0], (size_t)K * sizeof *yp);
    } else {
      for (int64_t c = 0; c < K; c++)
        yp[c] = xp[idx[c]];
    }
  }
}

static void chan_gather_rows(rt_engine *e, const rt_step *s, int t, const float *const *in,
                             float *y, int64_t lo, int64_t hi) {
  (void)t;
  chan_gather_image_rows(e, s, in[0], y, lo, hi);
}

static dlf_status run_chan_gather(rt_engine *e, const rt_step *s) {
  return rt_run_image_rows(e, s, chan_gather_image_rows);
}

static void release_gather(rt_step *s) {
  free(s->u.gather.idx);
  s->u.gather.idx = NULL;
}

const rt_step_class rt_class_chan_gather = {
    .name = "channel gather",
    .compile = compile_chan_gather,
    .run = run_chan_gather,
    .rows = chan_gather_rows,
    .release = release_gather,
};

/* -------------------------------------------------------------- resize -- */

/* Resize / Upsample of H and W only (N and C unchanged) on NHWC tensors, nearest or linear:
 * the source taps of every output row and column come from ir_resize_taps, the reference's
 * own geometry. */
static dlf_status compile_resize(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo,
                                 bool *ok) {
  (void)algo;
  const ir_graph *g = e->g;
  if ((n->op != IR_OP_RESIZE && n->op != IR_OP_UPSAMPLE) || n->n_inputs < 1 ||
      n->n_outputs != 1 || n->act != IR_ACT_NONE || n->residual >= 0)
    return DLF_OK;
  const int x = n->inputs[0], y = n->outputs[0];
  if (!rt_is_act_f32(g, x) || !e->nhwc[x] || y < 0 || !e->nhwc[y]) return DLF_OK;
  ir_resize r;
  if (!ir_resize_geometry(g, n, &r) || r.rank != 4 || r.in[0] != r.out[0] || r.in[1] != r.out[1])
    return DLF_OK;
  const int64_t OH = r.out[2], OW = r.out[3];
  step_resize *z = &s->u.resize;
  z->idx = dlf_malloc_array((size_t)(OH + OW + 1), 2 * sizeof *z->idx);
  z->w = dlf_malloc_array((size_t)(OH + OW + 1), sizeof *z->w);
  if (!z->idx || !z->w) {
    free(z->idx), free(z->w);
    z->idx = NULL, z->w = NULL;
    return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory for a resize");
  }
  for (int64_t i = 0; i < OH; i++)
    ir_resize_taps(&r, 2, i, &z->idx[2 * i], &z->idx[2 * i + 1], &z->w[i]);
  for (int64_t j = 0; j < OW; j++)
    ir_resize_taps(&r, 3, j, &z->idx[2 * (OH + j)], &z->idx[2 * (OH + j) + 1], &z->w[OH + j]);
  z->linear = r.linear;
  s->kind = STEP_RESIZE;
  s->algo = PLAN_ALGO_DIRECT;
  s->x = x, s->y = y;
  s->numel = ir_tensor_numel(&g->tensors[y]);
  rt_limit_small(e, s, s->numel * (r.linear ? 4 : 1));
  *ok = true;
  return DLF_OK;
}

/* Rows [lo, hi) of one image (x, y address row 0 of their image): each output pixel is the
 * bilinear blend of four source pixels' C channels (nearest: a copy of one). */
static void resize_image_rows(const rt_engine *e, const rt_step *s, const float *x, float *y,
                              int64_t lo, int64_t hi) {
  const int64_t *xd = e->g->tensors[s->x].dims, *yd = e->g->tensors[s->y].dims;
  const int64_t C = yd[1], W = xd[3], OH = yd[2], OW = yd[3];
  const step_resize *z = &s->u.resize;
  const int64_t *rows = z->idx, *cols = z->idx + 2 * OH;
  const float *cw = z->w + OH;
  for (int64_t oh = lo; oh < hi; oh++) {
    const float *x0 = x + rows[2 * oh] * W * C, *x1 = x + rows[2 * oh + 1] * W * C;
    const float b = z->w[oh], a = 1.0f - b;
    float *yr = y + oh * OW * C;
    for (int64_t ow = 0; ow < OW; ow++) {
      const int64_t c0 = cols[2 * ow] * C, c1 = cols[2 * ow + 1] * C;
      float *yp = yr + ow * C;
      if (!z->linear) {
        memcpy(yp, x0 + c0, (size_t)C * sizeof *yp);
        continue;
      }
      const float d = cw[ow], c = 1.0f - d;
      const float w00 = a * c, w01 = a * d, w10 = b * c, w11 = b * d;
      const float *p00 = x0 + c0, *p01 = x0 + c1, *p10 = x1 + c0, *p11 = x1 + c1;
      for (int64_t k = 0; k < C; k++)
        yp[k] = w00 * p00[k] + w01 * p01[k] + w10 * p10[k] + w11 * p11[k];
    }
  }
}

static dlf_status run_resize(rt_engine *e, const rt_step *s) {
  return rt_run_image_rows(e, s, resize_image_rows);
}

static void release_resize(rt_step *s) {
  free(s->u.resize.idx);
  free(s->u.resize.w);
  s->u.resize.idx = NULL, s->u.resize.w = NULL;
}

/* Not fusable: an output row reads source rows the tiler does not know (rows_in would be
 * the taps' hull); the engine runs it as a block of its own. */
const rt_step_class rt_class_resize = {
    .name = "resize",
    .compile = compile_resize,
    .run = run_resize,
    .release = release_resize,
};
