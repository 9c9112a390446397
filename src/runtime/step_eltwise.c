/* step_eltwise.c — the elementwise step classes: same-shape Add / Mul (BINARY), an NHWC tensor
 * against a per-channel vector or a scalar (CHAN_BINARY: squeeze-and-excitation's scale, the
 * exporters' broadcast constants, a BatchNormalization no conv absorbed), and standalone
 * activations (UNARY). Unfused they run in chunks of the flat tensor (BINARY, UNARY) or in
 * rows of every image (CHAN_BINARY); all are fusable. */
#include <math.h>

#include "runtime/engine_internal.h"

/* Unfused elementwise steps run in chunks of this many elements. */
#define EW_CHUNK 4096

static void run_ew_chunks(void *ctx, int t, int64_t b, int64_t end) {
  (void)t;
  rt_engine *e = ctx;
  const rt_step *s = e->cur;
  int64_t i0 = b * EW_CHUNK, i1 = end * EW_CHUNK < s->numel ? end * EW_CHUNK : s->numel;
  const float *x = e->ptr[s->x];
  float *y = e->ptr[s->y];
  kern_unary u = rt_unary_of(s);
  if (s->kind == STEP_BINARY) {
    const float *x2 = e->ptr[s->u.binary.x2];
    const float *r = s->residual >= 0 ? e->ptr[s->residual] : NULL;
    kern_eltwise_binary(e->cfg, s->u.binary.op == IR_OP_ADD ? KERN_BINARY_ADD : KERN_BINARY_MUL,
                        i1 - i0, x + i0, x2 + i0, r ? r + i0 : NULL, y + i0, &u);
  } else {
    kern_eltwise_unary(e->cfg, i1 - i0, x + i0, y + i0, &u);
  }
}

static dlf_status run_ew(rt_engine *e, const rt_step *s) {
  return rt_pool_run(e->pool, s->cores, (s->numel + EW_CHUNK - 1) / EW_CHUNK, run_ew_chunks, e);
}

/* ------------------------------------------------------------- binary -- */

static dlf_status compile_binary(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo,
                                 bool *ok) {
  (void)algo;
  const ir_graph *g = e->g;
  if ((n->op != IR_OP_ADD && n->op != IR_OP_MUL) || n->n_inputs != 2 || n->n_outputs != 1)
    return DLF_OK;
  const int x = n->inputs[0], x2 = n->inputs[1], y = n->outputs[0];
  if (y < 0 || !rt_is_act_f32(g, x) || !rt_is_act_f32(g, x2)) return DLF_OK;
  const ir_tensor *yt = &g->tensors[y];
  if (yt->dtype != IR_F32 || !rt_same_dims(&g->tensors[x], yt) ||
      !rt_same_dims(&g->tensors[x2], yt))
    return DLF_OK;
  if (n->residual >= 0 &&
      (!rt_is_act_f32(g, n->residual) || !rt_same_dims(&g->tensors[n->residual], yt)))
    return DLF_OK;
  s->kind = STEP_BINARY;
  s->algo = PLAN_ALGO_DIRECT;
  s->x = x, s->y = y;
  s->u.binary = (step_binary){n->op, x2};
  s->numel = ir_tensor_numel(yt);
  rt_limit_small(e, s, s->numel);
  rt_set_post_epilogue(s, n); /* the kernel applies residual and activation itself */
  *ok = true;
  return DLF_OK;
}

static void binary_rows(rt_engine *e, const rt_step *s, int t, const float *const *in, float *y,
                        int64_t lo, int64_t hi) {
  (void)t;
  const ir_node *n = &e->g->nodes[s->node];
  const float *r = s->residual >= 0 ? in[n->n_inputs] : NULL;
  const int64_t row = s->row_floats;
  kern_unary u = rt_unary_of(s);
  kern_eltwise_binary(e->cfg, s->u.binary.op == IR_OP_ADD ? KERN_BINARY_ADD : KERN_BINARY_MUL,
                      (hi - lo) * row, in[0] + lo * row, in[1] + lo * row, r ? r + lo * row : NULL,
                      y + lo * row, &u);
}

const rt_step_class rt_class_binary = {
    .name = "binary",
    .compile = compile_binary,
    .run = run_ew,
    .rows = binary_rows,
};

/* -------------------------------------------------------------- unary -- */

/* A standalone activation (ir_act_of_node's ops, the reference's own mapping); Clip's opset-11
 * bounds must be float32 constants. */
static dlf_status compile_unary(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo,
                                bool *ok) {
  (void)algo;
  const ir_graph *g = e->g;
  if (!ir_op_is_activation(n->op) || n->n_inputs < 1 || n->n_outputs < 1) return DLF_OK;
  for (int o = 1; o < n->n_outputs; o++)
    if (n->outputs[o] >= 0) return DLF_OK;
  const int x = n->inputs[0], y = n->outputs[0];
  if (y < 0 || n->act != IR_ACT_NONE || n->residual >= 0 || !rt_is_act_f32(g, x) ||
      !rt_same_dims(&g->tensors[x], &g->tensors[y]))
    return DLF_OK;
  const float *bound[2] = {NULL, NULL};
  if (n->op == IR_OP_CLIP && n->opset >= 11)
    for (int k = 0; k < 2; k++) {
      const int t = n->n_inputs > k + 1 ? n->inputs[k + 1] : -1;
      if (t < 0) continue;
      if (!rt_is_const(g, t) || g->tensors[t].dtype != IR_F32) return DLF_OK;
      bound[k] = g->tensors[t].data;
    }
  float p0, p1;
  const ir_act act = ir_act_of_node(n, bound[0], bound[1], &p0, &p1);
  if (act == IR_ACT_NONE) return DLF_OK;
  s->kind = STEP_UNARY;
  s->algo = PLAN_ALGO_DIRECT;
  s->x = x, s->y = y;
  s->post_act = act;
  s->p0 = p0, s->p1 = p1;
  s->numel = ir_tensor_numel(&g->tensors[y]);
  rt_limit_small(e, s, s->numel);
  *ok = true;
  return DLF_OK;
}

static void unary_rows(rt_engine *e, const rt_step *s, int t, const float *const *in, float *y,
                       int64_t lo, int64_t hi) {
  (void)t;
  const int64_t row = s->row_floats;
  kern_unary u = rt_unary_of(s);
  kern_eltwise_unary(e->cfg, (hi - lo) * row, in[0] + lo * row, y + lo * row, &u);
}

const rt_step_class rt_class_unary = {
    .name = "unary",
    .compile = compile_unary,
    .run = run_ew,
    .rows = unary_rows,
};

/* ----------------------------------------------- per-channel binary -- */

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
  if (v->ndim == 3 && rt_is_const(g, t)) return v->dims[0] == C && v->dims[1] == 1 && v->dims[2] == 1;
  if (v->ndim != 4 || v->dims[1] != C || v->dims[2] != 1 || v->dims[3] != 1) return false;
  if (v->dims[0] == N && N > 1) {
    if (rt_is_const(g, t)) return false; /* a per-image constant: rare, left to the fallback */
    *vimg = C;
    return true;
  }
  return v->dims[0] == 1;
}

/* Add / Sub / Mul / Div of an NHWC tensor and a per-channel vector or a scalar, in either
 * order. */
static bool compile_chan_op(rt_engine *e, const ir_node *n, rt_step *s) {
  const ir_graph *g = e->g;
  if (n->n_inputs != 2 || n->n_outputs != 1 || n->outputs[0] < 0) return false;
  const int y = n->outputs[0];
  const ir_tensor *yt = &g->tensors[y];
  if (yt->ndim != 4 || yt->dtype != IR_F32 || !e->nhwc[y]) return false;
  int xslot = -1;
  for (int k = 0; k < 2 && xslot < 0; k++) {
    int t = n->inputs[k];
    if (rt_is_act_f32(g, t) && e->nhwc[t] && rt_same_dims(&g->tensors[t], yt)) xslot = k;
  }
  if (xslot < 0) return false;
  const int vslot = 1 - xslot, v = n->inputs[vslot];
  int sstep;
  int64_t vimg;
  if (v < 0 || !chan_vector(g, v, yt, &sstep, &vimg)) return false;
  if (n->residual >= 0 && (!rt_is_act_f32(g, n->residual) || !e->nhwc[n->residual] ||
                           !rt_same_dims(&g->tensors[n->residual], yt)))
    return false;
  kern_chan_op op;
  switch (n->op) {
  case IR_OP_ADD: op = KERN_CHAN_ADD; break;
  case IR_OP_MUL: op = KERN_CHAN_MUL; break;
  case IR_OP_SUB: op = xslot == 0 ? KERN_CHAN_SUB : KERN_CHAN_RSUB; break;
  case IR_OP_DIV: op = xslot == 0 ? KERN_CHAN_DIV : KERN_CHAN_RDIV; break;
  default: return false;
  }
  s->x = n->inputs[xslot], s->y = y;
  s->u.chan = (step_chan_binary){op,   xslot, vslot, sstep, rt_is_const(g, v) ? -1 : v,
                                 vimg, rt_is_const(g, v) ? g->tensors[v].data : NULL};
  if (n->residual >= 0)
    rt_set_post_epilogue(s, n); /* act(x OP v + residual): the residual add applies it all */
  else
    rt_set_epilogue(s, n);
  return true;
}

/* A BatchNormalization that no conv absorbed (DenseNet's pre-activation BN -> ReLU -> Conv
 * after a concat): y = x * a[c] + b[c] with a = scale / sqrt(var + eps), b = B - mean * a.
 * Returns an error status only for out of memory; *fits false when it does not apply. */
static dlf_status compile_batchnorm(rt_engine *e, const ir_node *n, rt_step *s, bool *fits) {
  const ir_graph *g = e->g;
  *fits = false;
  if (n->n_inputs != 5 || n->n_outputs < 1 || n->outputs[0] < 0 || n->act != IR_ACT_NONE ||
      n->residual >= 0)
    return DLF_OK;
  const int x = n->inputs[0], y = n->outputs[0];
  const ir_tensor *yt = &g->tensors[y];
  if (!rt_is_act_f32(g, x) || !e->nhwc[x] || !e->nhwc[y] || !rt_same_dims(&g->tensors[x], yt))
    return DLF_OK;
  const int64_t C = yt->dims[1];
  for (int k = 1; k < 5; k++) {
    const ir_tensor *p = &g->tensors[n->inputs[k]];
    if (!rt_is_const(g, n->inputs[k]) || p->dtype != IR_F32 || ir_tensor_numel(p) != C)
      return DLF_OK;
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
  s->x = x, s->y = y;
  s->u.chan = (step_chan_binary){KERN_CHAN_AFFINE, 0, 1, 1, -1, 0, ab};
  s->bias_owned = ab;
  rt_set_epilogue(s, n);
  *fits = true;
  return DLF_OK;
}

static dlf_status compile_chan_binary(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo,
                                      bool *ok) {
  (void)algo;
  bool fits = false;
  switch (n->op) {
  case IR_OP_ADD:
  case IR_OP_MUL:
  case IR_OP_SUB:
  case IR_OP_DIV: fits = compile_chan_op(e, n, s); break;
  case IR_OP_BATCHNORM: DLF_TRY(compile_batchnorm(e, n, s, &fits)); break;
  default: break;
  }
  if (!fits) return DLF_OK;
  s->kind = STEP_CHAN_BINARY;
  s->algo = PLAN_ALGO_DIRECT;
  s->numel = ir_tensor_numel(&e->g->tensors[s->y]);
  rt_limit_small(e, s, s->numel);
  *ok = true;
  return DLF_OK;
}

/* Rows [lo, hi) of one image: x, r, y address row 0 of their image, v is the image's vector
 * (or scalar). */
static void chan_binary_image_rows(const rt_engine *e, const rt_step *s, const float *x,
                                   const float *v, const float *r, float *y, int64_t lo,
                                   int64_t hi) {
  const int64_t row = s->row_floats, C = e->g->tensors[s->y].dims[1];
  const int64_t count = (hi - lo) * row;
  kern_chan_binary_for(e->cfg)(s->u.chan.op, count / C, C, x + lo * row, 0, v, s->u.chan.sstep,
                               y + lo * row, 0, s->kact, s->lo, s->hi);
  if (r) {
    kern_unary u = rt_unary_of(s);
    kern_eltwise_binary(e->cfg, KERN_BINARY_ADD, count, y + lo * row, r + lo * row, NULL,
                        y + lo * row, &u);
  } else {
    rt_post_act(e, s, y + lo * row, count);
  }
}

static void chan_binary_rows(rt_engine *e, const rt_step *s, int t, const float *const *in,
                             float *y, int64_t lo, int64_t hi) {
  (void)t;
  const step_chan_binary *c = &s->u.chan;
  const float *r = s->residual >= 0 ? in[e->g->nodes[s->node].n_inputs] : NULL;
  chan_binary_image_rows(e, s, in[c->xslot], c->x2 >= 0 ? in[c->vslot] : c->v, r, y, lo, hi);
}

/* items = rows of every image */
static void run_chan_binary_rows(void *ctx, int t, int64_t b, int64_t end) {
  (void)t;
  rt_engine *e = ctx;
  const rt_step *s = e->cur;
  const step_chan_binary *c = &s->u.chan;
  const int64_t H = s->out_h > 0 ? s->out_h : 1;
  while (b < end) {
    const int64_t n = b / H, lo = b % H, hi = end - n * H < H ? end - n * H : H;
    const float *x = (const float *)e->ptr[s->x] + n * s->y_img;
    const float *v = c->x2 >= 0 ? (const float *)e->ptr[c->x2] + n * c->vimg : c->v;
    const float *r = s->residual >= 0 ? (const float *)e->ptr[s->residual] + n * s->y_img : NULL;
    chan_binary_image_rows(e, s, x, v, r, (float *)e->ptr[s->y] + n * s->y_img, lo, hi);
    b = n * H + hi;
  }
}

static dlf_status run_chan_binary(rt_engine *e, const rt_step *s) {
  return rt_pool_run(e->pool, s->cores, e->g->tensors[s->y].dims[0] * s->out_h,
                     run_chan_binary_rows, e);
}

/* A channel vector is one row that every output row reads. */
static rt_span chan_binary_rows_in(const rt_engine *e, const rt_step *s, int k, rt_span r) {
  (void)e;
  return k == s->u.chan.vslot ? (rt_span){0, 1} : r;
}

const rt_step_class rt_class_chan_binary = {
    .name = "per-channel binary",
    .compile = compile_chan_binary,
    .run = run_chan_binary,
    .rows = chan_binary_rows,
    .rows_in = chan_binary_rows_in,
};
