/* engine_exec.c — running steps: the parallel-region bodies of unfused steps, one step's
 * rows for one image (rt_exec_rows, what fused tiles call), fallbacks, layout conversion. */
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "runtime/engine_internal.h"

void rt_nchw_to_nhwc(const float *src, float *dst, int64_t N, int64_t C, int64_t H, int64_t W) {
  const int64_t HW = H * W;
  for (int64_t n = 0; n < N; n++) {
    const float *s = src + n * C * HW;
    float *d = dst + n * C * HW;
    for (int64_t c = 0; c < C; c++)
      for (int64_t p = 0; p < HW; p++)
        d[p * C + c] = s[c * HW + p];
  }
}

void rt_nhwc_to_nchw(const float *src, float *dst, int64_t N, int64_t C, int64_t H, int64_t W) {
  const int64_t HW = H * W;
  for (int64_t n = 0; n < N; n++) {
    const float *s = src + n * C * HW;
    float *d = dst + n * C * HW;
    for (int64_t p = 0; p < HW; p++)
      for (int64_t c = 0; c < C; c++)
        d[c * HW + p] = s[p * C + c];
  }
}

_Static_assert((int)IR_ACT_TANH == (int)KERN_UNARY_TANH &&
                   (int)IR_ACT_SILU == (int)KERN_UNARY_SILU &&
                   (int)IR_ACT_GELU == (int)KERN_UNARY_GELU && (int)IR_ACT_RELU == (int)KERN_UNARY_RELU,
               "kern_unary_op follows ir_act member for member");

static kern_unary unary_of(const rt_step *s) {
  return (kern_unary){(kern_unary_op)s->post_act, s->p0, s->p1};
}

/* The activation the kernel's epilogue could not apply (hardswish, sigmoid, ...), in place. */
static void post_act(const rt_engine *e, const rt_step *s, float *y, int64_t count) {
  if (s->post_act == IR_ACT_NONE) return;
  kern_unary u = unary_of(s);
  kern_eltwise_unary(e->cfg, count, y, y, &u);
}

/* ---------------------------------------------------------------- run -- */

/* Thread t's im2col scratch; NULL when no conv needs any (all 1x1 read in place). */
float *rt_thread_scratch(const rt_engine *e, int t) {
  return e->scratch ? e->scratch + (int64_t)t * e->scratch_floats : NULL;
}

/* Rows [lo, hi) of a channel-broadcast binary step for one image: x, r, y address row 0
 * of their image, v is the image's vector (or scalar). */
static void chan_binary_rows(const rt_engine *e, const rt_step *s, const float *x, const float *v,
                             const float *r, float *y, int64_t lo, int64_t hi) {
  const int64_t row = s->row_floats, C = e->g->tensors[s->y].dims[1];
  const int64_t count = (hi - lo) * row;
  kern_chan_binary_for(e->cfg)(s->chan_op, count / C, C, x + lo * row, 0, v, s->sstep,
                               y + lo * row, 0, s->kact, s->lo, s->hi);
  if (r) {
    kern_unary u = unary_of(s);
    kern_eltwise_binary(e->cfg, KERN_BINARY_ADD, count, y + lo * row, r + lo * row, NULL,
                        y + lo * row, &u);
  } else {
    post_act(e, s, y + lo * row, count);
  }
}

/* Rows [lo, hi) of a channel gather for one image (x, y address row 0 of their image). */
static void chan_gather_rows(const rt_engine *e, const rt_step *s, const float *x, float *y,
                             int64_t lo, int64_t hi) {
  const int64_t C = e->g->tensors[s->x].dims[1], K = e->g->tensors[s->y].dims[1];
  const int64_t W = e->g->tensors[s->y].dims[3];
  const int64_t *idx = s->gidx;
  for (int64_t p = lo * W; p < hi * W; p++) {
    const float *xp = x + p * C;
    float *yp = y + p * K;
    if (s->gcontig) {
      memcpy(yp, xp + idx[0], (size_t)K * sizeof *yp);
    } else {
      for (int64_t c = 0; c < K; c++)
        yp[c] = xp[idx[c]];
    }
  }
}

/* Rows [lo, hi) of a resize for one image (x, y address row 0 of their image): each output
 * pixel is the bilinear blend of four source pixels' C channels (nearest: a copy of one). */
static void resize_rows(const rt_engine *e, const rt_step *s, const float *x, float *y,
                        int64_t lo, int64_t hi) {
  const int64_t *xd = e->g->tensors[s->x].dims, *yd = e->g->tensors[s->y].dims;
  const int64_t C = yd[1], W = xd[3], OH = yd[2], OW = yd[3];
  const int64_t *rows = s->ridx, *cols = s->ridx + 2 * OH;
  const float *cw = s->rw + OH;
  for (int64_t oh = lo; oh < hi; oh++) {
    const float *x0 = x + rows[2 * oh] * W * C, *x1 = x + rows[2 * oh + 1] * W * C;
    const float b = s->rw[oh], a = 1.0f - b;
    float *yr = y + oh * OW * C;
    for (int64_t ow = 0; ow < OW; ow++) {
      const int64_t c0 = cols[2 * ow] * C, c1 = cols[2 * ow + 1] * C;
      float *yp = yr + ow * C;
      if (!s->rlinear) {
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

void rt_exec_rows(rt_engine *e, const rt_step *s, int t, const float *const *in, float *y,
                  int64_t lo, int64_t hi) {
  if (lo >= hi) return;
  const ir_node *n = &e->g->nodes[s->node];
  const float *r = s->residual >= 0 ? in[n->n_inputs] : NULL;
  const int64_t row = s->row_floats;
  kern_epilogue ep = {false, s->bias, NULL, r, 0, s->kact, s->lo, s->hi};
  switch (s->kind) {
  case STEP_CONV:
    if (s->algo == RT_ALGO_WINOGRAD)
      kern_winograd_f43(e->cfg, &s->cp, in[0], s->packed, y, lo, hi, rt_thread_scratch(e, t), &ep);
    else if (s->algo == RT_ALGO_DIRECT) /* few input channels (compile_conv) */
      kern_conv2d_small_c(e->cfg, &s->cp, in[0], s->packed, y, lo, hi, &ep);
    else
      kern_conv2d_nhwc(e->cfg, &s->cp, in[0], s->packed, y, lo, hi, rt_thread_scratch(e, t), &ep);
    break;
  case STEP_DWCONV: kern_dwconv2d_nhwc(e->cfg, &s->cp, in[0], s->packed, y, lo, hi, &ep); break;
  case STEP_MAXPOOL: kern_maxpool2d_nhwc(e->cfg, &s->pp, in[0], y, lo, hi); break;
  case STEP_AVGPOOL: kern_avgpool2d_nhwc(e->cfg, &s->pp, in[0], y, lo, hi); break;
  case STEP_BINARY: {
    kern_unary u = unary_of(s);
    kern_eltwise_binary(e->cfg, s->op == IR_OP_ADD ? KERN_BINARY_ADD : KERN_BINARY_MUL,
                        (hi - lo) * row, in[0] + lo * row, in[1] + lo * row,
                        r ? r + lo * row : NULL, y + lo * row, &u);
    return; /* the activation is applied by the kernel */
  }
  case STEP_UNARY: {
    kern_unary u = unary_of(s);
    kern_eltwise_unary(e->cfg, (hi - lo) * row, in[0] + lo * row, y + lo * row, &u);
    return;
  }
  case STEP_CHAN_GATHER: chan_gather_rows(e, s, in[0], y, lo, hi); return;
  case STEP_RESIZE: resize_rows(e, s, in[0], y, lo, hi); return;
  case STEP_CHAN_NORM:
    kern_chan_norm_for(e->cfg)((hi - lo) * row / e->g->tensors[s->y].dims[1],
                               e->g->tensors[s->y].dims[1], in[0] + lo * row, s->vconst, s->bias,
                               s->p0, y + lo * row);
    return;
  case STEP_CHAN_BINARY:
    chan_binary_rows(e, s, in[s->xslot], s->x2 >= 0 ? in[s->vslot] : s->vconst, r, y, lo, hi);
    return;
  case STEP_CONCAT: {
    const int64_t Cy = e->g->tensors[s->y].dims[1], W = row / (Cy > 0 ? Cy : 1);
    int64_t c0 = 0;
    for (int k = 0; k < n->n_inputs; k++) {
      const int64_t C = e->g->tensors[n->inputs[k]].dims[1];
      for (int64_t p = lo * W; p < hi * W; p++)
        memcpy(y + p * Cy + c0, in[k] + p * C, (size_t)C * sizeof(float));
      c0 += C;
    }
    return;
  }
  default: return;
  }
  post_act(e, s, y + lo * row, (hi - lo) * row);
}

static void run_conv(void *ctx, int t, int64_t b, int64_t end) {
  rt_engine *e = ctx;
  const rt_step *s = e->cur;
  const float *x = e->ptr[s->x];
  float *y = e->ptr[s->y];
  const float *r = s->residual >= 0 ? e->ptr[s->residual] : NULL;
  const int64_t OH = s->kind <= STEP_DWCONV ? s->cp.OH : s->pp.OH;
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
      float *yi = y + img * s->y_img;
      if (s->algo == RT_ALGO_WINOGRAD) {
        size_t per = 0;
        kern_sgemm_packed_b_floats(e->cfg, p.C, s->cp.Cout, &per);
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
          post_act(e, s, yi + px * s->cp.Cout + j0, p.Cout);
    }
    return;
  }
  const int n_in = e->g->nodes[s->node].n_inputs;
  const float *in[4] = {0}; /* conv / pool: x, weights, bias, residual */
  for (int64_t it = b; it < end; it++) {
    int64_t img = it / s->bands, oh0 = (it % s->bands) * s->band_h, oh1 = oh0 + s->band_h;
    if (oh1 > OH) oh1 = OH;
    in[0] = x + img * s->x_img;
    in[n_in] = r ? r + img * s->y_img : NULL;
    rt_exec_rows(e, s, t, in, y + img * s->y_img, oh0, oh1);
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
      post_act(e, s, y + m * s->N + j0, j1 - j0);
}

#define EW_CHUNK 4096

static void run_elementwise(void *ctx, int t, int64_t b, int64_t end) {
  rt_engine *e = ctx;
  const rt_step *s = e->cur;
  int64_t i0 = b * EW_CHUNK, i1 = end * EW_CHUNK < s->numel ? end * EW_CHUNK : s->numel;
  const float *x = e->ptr[s->x];
  float *y = e->ptr[s->y];
  kern_unary u = unary_of(s);
  if (s->kind == STEP_BINARY) {
    const float *x2 = e->ptr[s->x2];
    const float *r = s->residual >= 0 ? e->ptr[s->residual] : NULL;
    kern_eltwise_binary(e->cfg, s->op == IR_OP_ADD ? KERN_BINARY_ADD : KERN_BINARY_MUL, i1 - i0,
                        x + i0, x2 + i0, r ? r + i0 : NULL, y + i0, &u);
  } else {
    kern_eltwise_unary(e->cfg, i1 - i0, x + i0, y + i0, &u);
  }
}

typedef void (*image_rows_fn)(const rt_engine *e, const rt_step *s, const float *x, float *y,
                              int64_t lo, int64_t hi);

/* Items [b, end) of N * H (rows of every image) as per-image row ranges of fn, which gets x and
 * y at row 0 of their image. */
static void run_image_rows(rt_engine *e, int64_t b, int64_t end, image_rows_fn fn) {
  const rt_step *s = e->cur;
  const int64_t H = s->out_h > 0 ? s->out_h : 1;
  const ir_tensor *xt = &e->g->tensors[s->x], *yt = &e->g->tensors[s->y];
  const int64_t ximg = ir_tensor_numel(xt) / xt->dims[0], yimg = ir_tensor_numel(yt) / yt->dims[0];
  while (b < end) {
    const int64_t n = b / H, lo = b % H, hi = end - n * H < H ? end - n * H : H;
    fn(e, s, (const float *)e->ptr[s->x] + n * ximg, (float *)e->ptr[s->y] + n * yimg, lo, hi);
    b = n * H + hi;
  }
}

static void run_chan_gather(void *ctx, int t, int64_t b, int64_t end) {
  (void)t;
  run_image_rows(ctx, b, end, chan_gather_rows);
}

static void run_resize(void *ctx, int t, int64_t b, int64_t end) {
  (void)t;
  run_image_rows(ctx, b, end, resize_rows);
}

static void run_chan_norm(void *ctx, int t, int64_t b, int64_t end) {
  (void)t;
  rt_engine *e = ctx;
  const rt_step *s = e->cur;
  const int64_t C = e->g->tensors[s->y].dims[1], P = (end - b) * s->row_floats / C;
  kern_chan_norm_for(e->cfg)(P, C, (const float *)e->ptr[s->x] + b * s->row_floats, s->vconst,
                             s->bias, s->p0, (float *)e->ptr[s->y] + b * s->row_floats);
}

static void run_chan_binary(void *ctx, int t, int64_t b, int64_t end) {
  (void)t;
  rt_engine *e = ctx;
  const rt_step *s = e->cur;
  const int64_t H = s->out_h > 0 ? s->out_h : 1;
  const int64_t img = ir_tensor_numel(&e->g->tensors[s->y]) / e->g->tensors[s->y].dims[0];
  while (b < end) {
    const int64_t n = b / H, lo = b % H, hi = end - n * H < H ? end - n * H : H;
    const float *x = (const float *)e->ptr[s->x] + n * img;
    const float *v = s->x2 >= 0 ? (const float *)e->ptr[s->x2] + n * s->vimg : s->vconst;
    const float *r = s->residual >= 0 ? (const float *)e->ptr[s->residual] + n * img : NULL;
    chan_binary_rows(e, s, x, v, r, (float *)e->ptr[s->y] + n * img, lo, hi);
    b = n * H + hi;
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
  int n_in = n->n_inputs + (n->residual >= 0 ? 1 : 0);
  /* The slow path: a heap array per run is noise next to the NCHW copies. */
  ir_value *in = dlf_calloc_array((size_t)(n_in + n->n_outputs + 1), sizeof *in);
  if (!in) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory running a fallback step");
  ir_value *out = in + n_in;
  for (int k = 0; k < n_in; k++) {
    int t = rt_slot_tensor(n, k);
    memset(&in[k], 0, sizeof in[k]);
    if (t < 0) continue;
    const ir_tensor *tt = &g->tensors[t];
    in[k].dtype = tt->dtype;
    in[k].ndim = tt->ndim;
    memcpy(in[k].dims, tt->dims, sizeof tt->dims);
    in[k].data = e->ptr[t];
    if (s->fb_in_off[k] >= 0) {
      float *d = e->fb + s->fb_in_off[k];
      rt_nhwc_to_nchw(e->ptr[t], d, tt->dims[0], tt->dims[1], tt->dims[2], tt->dims[3]);
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
  if (st != DLF_OK) {
    free(in);
    return ir_node_error(g, n, st, "%s", dlf_last_error());
  }
  for (int o = 0; o < n->n_outputs; o++) {
    int t = n->outputs[o];
    if (t < 0 || s->fb_out_off[o] < 0) continue;
    const int64_t *d = g->tensors[t].dims;
    rt_nchw_to_nhwc(out[o].data, e->ptr[t], d[0], d[1], d[2], d[3]);
  }
  free(in);
  return DLF_OK;
}

dlf_status rt_run_step(rt_engine *e, const rt_step *s) {
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
  case STEP_CHAN_GATHER:
    return rt_pool_run(e->pool, s->cores, e->g->tensors[s->y].dims[0] * s->out_h,
                       run_chan_gather, e);
  case STEP_CHAN_BINARY:
    return rt_pool_run(e->pool, s->cores, e->g->tensors[s->y].dims[0] * s->out_h,
                       run_chan_binary, e);
  case STEP_RESIZE:
    return rt_pool_run(e->pool, s->cores, e->g->tensors[s->y].dims[0] * s->out_h, run_resize, e);
  case STEP_CHAN_NORM: /* items: rows of all images (contiguous: an image is out_h rows) */
    return rt_pool_run(e->pool, s->cores, e->g->tensors[s->y].dims[0] * s->out_h, run_chan_norm,
                       e);
  case STEP_CONCAT: return rt_pool_run(e->pool, s->cores, s->pixels, run_concat, e);
  case STEP_COPY:
    if (e->ptr[s->y] != e->ptr[s->x]) memcpy(e->ptr[s->y], e->ptr[s->x], (size_t)s->numel);
    return DLF_OK;
  case STEP_TO_NCHW: {
    const int64_t *d = e->g->tensors[s->x].dims;
    rt_nhwc_to_nchw(e->ptr[s->x], e->ptr[s->y], d[0], d[1], d[2], d[3]);
    return DLF_OK;
  }
  case STEP_FALLBACK: return run_fallback(e, s);
  }
  return DLF_OK;
}
