/* step_norm.c — the LayerNorm-over-channels step class (the channels_last pass's form of
 * ConvNeXt's LayerNorm): kern_chan_norm per pixel of an NHWC tensor, constant scale and
 * bias. Unfused it runs in rows of all images (an image is out_h contiguous rows); fused, the
 * tile's rows of its input. */
#include "runtime/engine_internal.h"

static dlf_status compile_chan_norm(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo,
                                    bool *ok) {
  (void)algo;
  const ir_graph *g = e->g;
  if (n->op != IR_OP_LAYERNORM || !ir_layernorm_channels(n) || n->n_outputs != 1 ||
      n->residual >= 0 || n->act != IR_ACT_NONE)
    return DLF_OK;
  const int x = n->inputs[0], y = n->outputs[0], sc = n->inputs[1];
  const int b = n->n_inputs > 2 ? n->inputs[2] : -1;
  if (!rt_is_act_f32(g, x) || !e->nhwc[x] || y < 0 || !e->nhwc[y] || !rt_is_const(g, sc) ||
      (b >= 0 && !rt_is_const(g, b)))
    return DLF_OK;
  s->kind = STEP_CHAN_NORM;
  s->algo = PLAN_ALGO_DIRECT;
  s->x = x, s->y = y;
  s->u.norm = (step_norm){g->tensors[sc].data, b >= 0 ? g->tensors[b].data : NULL,
                          ir_node_float(n, "epsilon", 1e-5f)};
  s->numel = ir_tensor_numel(&g->tensors[y]);
  rt_limit_small(e, s, 4 * s->numel);
  *ok = true;
  return DLF_OK;
}

/* items = rows of all images */
static void run_chan_norm_rows(void *ctx, int t, int64_t b, int64_t end) {
  (void)t;
  rt_engine *e = ctx;
  const rt_step *s = e->cur;
  const int64_t C = e->g->tensors[s->y].dims[1], P = (end - b) * s->row_floats / C;
  kern_chan_norm_for(e->cfg)(P, C, (const float *)e->ptr[s->x] + b * s->row_floats,
                             s->u.norm.scale, s->u.norm.bias, s->u.norm.eps,
                             (float *)e->ptr[s->y] + b * s->row_floats);
}

static void chan_norm_rows(rt_engine *e, const rt_step *s, int t, const float *const *in, float *y,
                           int64_t lo, int64_t hi) {
  (void)t;
  const int64_t C = e->g->tensors[s->y].dims[1], row = s->row_floats;
  kern_chan_norm_for(e->cfg)((hi - lo) * row / C, C, in[0] + lo * row, s->u.norm.scale,
                             s->u.norm.bias, s->u.norm.eps, y + lo * row);
}

static dlf_status run_chan_norm(rt_engine *e, const rt_step *s) {
  return rt_pool_run(e->pool, s->cores, e->g->tensors[s->y].dims[0] * s->out_h,
                     run_chan_norm_rows, e);
}

const rt_step_class rt_class_chan_norm = {
    .name = "channel norm",
    .compile = compile_chan_norm,
    .run = run_chan_norm,
    .rows = chan_norm_rows, /* per pixel: fusable, rows aligned with its input */
};
