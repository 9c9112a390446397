/* step_fallback.c — the fallback step class: a node no fast step fits runs its reference
 * function (ir_op_ref_fn) on NCHW copies of its NHWC inputs and outputs, one thread. A
 * fallback inside a fast run is a gap to report: `dlfusion info` and `bench --profile` mark
 * every one. Also the layout conversions the engine uses at its boundary. */
#include <string.h>

#include "core/checked.h"
#include "runtime/engine_internal.h"

/* Per image, the transpose of a rows x cols matrix: dst[j * rows + i] = src[i * cols + j]. */
static void transpose_images(const float *src, float *dst, int64_t N, int64_t rows,
                             int64_t cols) {
  for (int64_t n = 0; n < N; n++) {
    const float *s = src + n * rows * cols;
    float *d = dst + n * rows * cols;
    for (int64_t i = 0; i < rows; i++)
      for (int64_t j = 0; j < cols; j++)
        d[j * rows + i] = s[i * cols + j];
  }
}

void rt_nchw_to_nhwc(const float *src, float *dst, int64_t N, int64_t C, int64_t H, int64_t W) {
  transpose_images(src, dst, N, C, H * W);
}

void rt_nhwc_to_nchw(const float *src, float *dst, int64_t N, int64_t C, int64_t H, int64_t W) {
  transpose_images(src, dst, N, H * W, C);
}

/* Always applies: NCHW scratch for every NHWC input / output, reserved in e->fb_floats. */
static dlf_status compile_fallback(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo,
                                   bool *ok) {
  (void)algo;
  const ir_graph *g = e->g;
  s->kind = STEP_FALLBACK;
  s->algo = PLAN_ALGO_REFERENCE;
  s->cores = 1;
  if (n->n_outputs > 0 && n->outputs[0] >= 0) s->y = n->outputs[0];
  int64_t off = 0;
  const int n_in = n->n_inputs + (n->residual >= 0 ? 1 : 0);
  step_fallback *f = &s->u.fb;
  f->in_off = dlf_malloc_array((size_t)(n_in + n->n_outputs + 1), sizeof *f->in_off);
  if (!f->in_off) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory for a fallback step");
  f->out_off = f->in_off + n_in;
  for (int k = 0; k < n_in; k++) {
    int t = rt_slot_tensor(n, k);
    f->in_off[k] = -1;
    if (t >= 0 && e->nhwc[t]) {
      f->in_off[k] = off;
      off += (ir_tensor_numel(&g->tensors[t]) + 15) / 16 * 16;
    }
  }
  for (int o = 0; o < n->n_outputs; o++) {
    int t = n->outputs[o];
    f->out_off[o] = -1;
    if (t >= 0 && e->nhwc[t]) {
      f->out_off[o] = off;
      off += (ir_tensor_numel(&g->tensors[t]) + 15) / 16 * 16;
    }
  }
  if (off > e->fb_floats) e->fb_floats = off;
  e->n_fallback++;
  *ok = true;
  return DLF_OK;
}

static dlf_status run_fallback(rt_engine *e, const rt_step *s) {
  const ir_graph *g = e->g;
  const ir_node *n = &g->nodes[s->node];
  const step_fallback *f = &s->u.fb;
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
    if (f->in_off[k] >= 0) {
      float *d = e->fb + f->in_off[k];
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
    out[o].data = f->out_off[o] >= 0 ? e->fb + f->out_off[o] : e->ptr[t];
  }
  dlf_status st = ir_op_ref_fn(n->op)(n, in, n_in, out, n->n_outputs);
  if (st != DLF_OK) {
    free(in);
    return ir_node_error(g, n, st, "%s", dlf_last_error());
  }
  for (int o = 0; o < n->n_outputs; o++) {
    int t = n->outputs[o];
    if (t < 0 || f->out_off[o] < 0) continue;
    const int64_t *d = g->tensors[t].dims;
    rt_nchw_to_nhwc(out[o].data, e->ptr[t], d[0], d[1], d[2], d[3]);
  }
  free(in);
  return DLF_OK;
}

static void release_fallback(rt_step *s) {
  free(s->u.fb.in_off);
  s->u.fb.in_off = s->u.fb.out_off = NULL;
}

const rt_step_class rt_class_fallback = {
    .name = "reference fallback",
    .compile = compile_fallback,
    .run = run_fallback,
    .release = release_fallback,
};
