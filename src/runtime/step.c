/* step.c — the step-class table (step.h): which class compiles a node, the run / rows
 * dispatch through it, and the helpers the classes share. */
#include <string.h>

#include "runtime/engine_internal.h"

/* By kind: the class of every step (a CONV step that its bands turn into CONV_CSPLIT changes
 * class with its kind). */
static const rt_step_class *const by_kind[STEP_KIND_COUNT] = {
    [STEP_CONV] = &rt_class_conv,
    [STEP_CONV_CSPLIT] = &rt_class_conv_csplit,
    [STEP_DWCONV] = &rt_class_dwconv,
    [STEP_MAXPOOL] = &rt_class_maxpool,
    [STEP_AVGPOOL] = &rt_class_avgpool,
    [STEP_GAP] = &rt_class_gap,
    [STEP_GEMM] = &rt_class_gemm,
    [STEP_COPY] = &rt_class_copy,
    [STEP_TO_NCHW] = &rt_class_to_nchw,
    [STEP_CONCAT] = &rt_class_concat,
    [STEP_CHAN_GATHER] = &rt_class_chan_gather,
    [STEP_BINARY] = &rt_class_binary,
    [STEP_CHAN_BINARY] = &rt_class_chan_binary,
    [STEP_UNARY] = &rt_class_unary,
    [STEP_RESIZE] = &rt_class_resize,
    [STEP_CHAN_NORM] = &rt_class_chan_norm,
    [STEP_FALLBACK] = &rt_class_fallback,
};

const rt_step_class *rt_step_class_of(step_kind k) {
  return k >= 0 && k < STEP_KIND_COUNT ? by_kind[k] : &rt_class_fallback;
}

/* The order in which classes are asked to compile a node: the first that applies wins, so a
 * more specific class comes before a general one of the same op (depthwise before conv,
 * same-shape binary before per-channel binary). The fallback takes what none took. */
static const rt_step_class *const compile_order[] = {
    &rt_class_dwconv,      &rt_class_conv,   &rt_class_maxpool,     &rt_class_avgpool,
    &rt_class_gap,         &rt_class_gemm,   &rt_class_binary,      &rt_class_chan_binary,
    &rt_class_unary,       &rt_class_concat, &rt_class_chan_gather, &rt_class_resize,
    &rt_class_chan_norm,   &rt_class_to_nchw, &rt_class_copy,
};

/* s back to what the engine set (node, layer, block, cores) before a class tried it. */
static void reset_step(rt_step *s) {
  const rt_step keep = *s;
  memset(s, 0, sizeof *s);
  s->node = keep.node, s->layer = keep.layer, s->block = keep.block, s->cores = keep.cores;
  s->residual = -1;
  s->row_align = 1;
}

dlf_status rt_compile_step(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo) {
  bool ok = false;
  const int classes = (int)(sizeof compile_order / sizeof compile_order[0]);
  for (int c = 0; c < classes && !ok && algo != PLAN_ALGO_REFERENCE; c++) {
    reset_step(s);
    DLF_TRY(compile_order[c]->compile(e, n, s, algo, &ok));
  }
  if (!ok) {
    reset_step(s);
    DLF_TRY(rt_class_fallback.compile(e, n, s, algo, &ok));
  }
  const ir_tensor *yt = &e->g->tensors[s->y];
  if (s->kind != STEP_FALLBACK && e->nhwc[s->y]) {
    s->out_h = yt->dims[2];
    s->row_floats = yt->dims[1] * yt->dims[3];
    if (yt->dims[0] > 0) s->y_img = ir_tensor_numel(yt) / yt->dims[0];
  }
  return DLF_OK;
}

dlf_status rt_run_step(rt_engine *e, const rt_step *s) {
  e->cur = s;
  return rt_step_class_of(s->kind)->run(e, s);
}

void rt_exec_rows(rt_engine *e, const rt_step *s, int t, const float *const *in, float *y,
                  int64_t lo, int64_t hi) {
  if (lo < hi) rt_step_class_of(s->kind)->rows(e, s, t, in, y, lo, hi);
}

/* Thread t's im2col scratch; NULL when no conv needs any (all 1x1 read in place). */
float *rt_thread_scratch(const rt_engine *e, int t) {
  return e->scratch ? e->scratch + (int64_t)t * e->scratch_floats : NULL;
}

/* ------------------------------------------------------------ helpers -- */

bool rt_is_const(const ir_graph *g, int t) { return t >= 0 && g->tensors[t].data != NULL; }

bool rt_is_act_f32(const ir_graph *g, int t) {
  return t >= 0 && !rt_is_const(g, t) && g->tensors[t].dtype == IR_F32;
}

bool rt_same_dims(const ir_tensor *a, const ir_tensor *b) {
  if (a->ndim != b->ndim) return false;
  for (int i = 0; i < a->ndim; i++)
    if (a->dims[i] != b->dims[i]) return false;
  return true;
}

bool rt_layout_free(const rt_engine *e, int t) {
  if (!e->nhwc[t]) return true;
  const int64_t *d = e->g->tensors[t].dims;
  return d[1] == 1 || d[2] * d[3] == 1;
}

void rt_set_epilogue(rt_step *s, const ir_node *n) {
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

void rt_set_post_epilogue(rt_step *s, const ir_node *n) {
  s->residual = n->residual;
  s->kact = KERN_ACT_NONE;
  s->post_act = n->act;
  s->p0 = n->act_p0, s->p1 = n->act_p1;
}

void rt_limit_small(const rt_engine *e, rt_step *s, int64_t work) {
  if (work < e->min_parallel_work) s->cores = 1;
}

void rt_need_scratch(rt_engine *e, int64_t floats) {
  const int64_t f16 = (floats + 15) / 16 * 16;
  if (f16 > e->scratch_floats) e->scratch_floats = f16;
}

_Static_assert((int)IR_ACT_TANH == (int)KERN_UNARY_TANH &&
                   (int)IR_ACT_SILU == (int)KERN_UNARY_SILU &&
                   (int)IR_ACT_GELU == (int)KERN_UNARY_GELU && (int)IR_ACT_RELU == (int)KERN_UNARY_RELU,
               "kern_unary_op follows ir_act member for member");

kern_unary rt_unary_of(const rt_step *s) {
  return (kern_unary){(kern_unary_op)s->post_act, s->p0, s->p1};
}

/* The activation the kernel's epilogue could not apply (hardswish, sigmoid, ...), in place. */
void rt_post_act(const rt_engine *e, const rt_step *s, float *y, int64_t count) {
  if (s->post_act == IR_ACT_NONE) return;
  kern_unary u = rt_unary_of(s);
  kern_eltwise_unary(e->cfg, count, y, y, &u);
}

rt_span rt_window_rows(rt_span r, int64_t sh, int64_t pad, int64_t kh, int64_t dh, int64_t H) {
  if (r.lo >= r.hi) return (rt_span){0, 0};
  rt_span in = {r.lo * sh - pad, (r.hi - 1) * sh - pad + (kh - 1) * dh + 1};
  if (in.lo < 0) in.lo = 0;
  if (in.hi > H) in.hi = H;
  return in.lo < in.hi ? in : (rt_span){0, 0};
}

/* Bands of output rows per image: one per image on one thread (fewest weight passes), else
 * enough that there are >= 4 items per thread when the rows allow; whole groups of
 * row_align rows per band (a partial Winograd tile would be computed in full by both bands). */
void rt_choose_row_bands(rt_step *s, int64_t OH, int64_t tile_rows) {
  if (tile_rows > 0) {
    s->band_h = tile_rows < OH ? tile_rows : OH;
  } else {
    int64_t want = s->cores <= 1 ? 1 : (4 * (int64_t)s->cores + s->batch - 1) / s->batch;
    if (want > OH) want = OH;
    if (want < 1) want = 1;
    s->band_h = (OH + want - 1) / want;
    if (s->row_align > 1 && s->band_h < OH)
      s->band_h = (s->band_h + s->row_align - 1) / s->row_align * s->row_align;
  }
  s->bands = OH > 0 ? (OH + s->band_h - 1) / s->band_h : 0;
}

static void run_image_rows_items(void *ctx, int t, int64_t b, int64_t end) {
  (void)t;
  rt_engine *e = ctx;
  const rt_step *s = e->cur;
  const int64_t H = s->out_h > 0 ? s->out_h : 1;
  const ir_tensor *xt = &e->g->tensors[s->x];
  const int64_t ximg = ir_tensor_numel(xt) / xt->dims[0];
  while (b < end) {
    const int64_t n = b / H, lo = b % H, hi = end - n * H < H ? end - n * H : H;
    e->cur_rows(e, s, (const float *)e->ptr[s->x] + n * ximg, (float *)e->ptr[s->y] + n * s->y_img,
                lo, hi);
    b = n * H + hi;
  }
}

dlf_status rt_run_image_rows(rt_engine *e, const rt_step *s, rt_image_rows_fn fn) {
  e->cur_rows = fn;
  return rt_pool_run(e->pool, s->cores, e->g->tensors[s->y].dims[0] * s->out_h,
                     run_image_rows_items, e);
}
