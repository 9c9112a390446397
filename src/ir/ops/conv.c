/* conv.c — ONNX Conv (1-D, 2-D, 3-D; groups, dilations, auto_pad): shape
 * inference and the reference loop nest, with the fused epilogue. */
#include "ir/ops/epilogue.h"
#include "ir/ops/window.h"

/* Geometry from X's and W's shapes and n's attributes. */
static bool conv_geom(const ir_node *n, int ndim, const int64_t *xd, const int64_t *wd, win_geom *w,
                      char *msg, size_t cap) {
  int nsp = ndim - 2;
  int64_t ks[WIN_MAX_SPATIAL];
  int c = ir_node_ints(n, "kernel_shape", ks, WIN_MAX_SPATIAL);
  if (c >= 0) {
    if (c != nsp) {
      snprintf(msg, cap, "kernel_shape has %d values, expected %d", c, nsp);
      return false;
    }
    for (int i = 0; i < nsp; i++)
      if (ks[i] != wd[2 + i]) {
        char a[64], b[64];
        snprintf(msg, cap, "kernel_shape %s does not match W's spatial dims %s",
                 ir_dims_str(ks, nsp, a, sizeof a), ir_dims_str(wd + 2, nsp, b, sizeof b));
        return false;
      }
  }
  return win_geom_init(n, nsp, xd + 2, wd + 2, false, true, w, msg, cap);
}

dlf_status ir_op_conv_shape(ir_graph *g, ir_node *n) {
  if (n->n_inputs < 2 || n->n_inputs > 3 || n->n_outputs != 1)
    return ir_node_error(g, n, DLF_ERR_PARSE, "expects 2 or 3 inputs and 1 output, has %d and %d",
                         n->n_inputs, n->n_outputs);
  const ir_tensor *x = ir_node_input(g, n, 0), *wt = ir_node_input(g, n, 1),
                  *b = ir_node_input(g, n, 2);
  ir_tensor *y = ir_node_output(g, n, 0);
  if (!x || !wt || !y) return ir_node_error(g, n, DLF_ERR_PARSE, "X, W and Y are required");
  if (x->dtype != IR_F32 || wt->dtype != IR_F32 || (b && b->dtype != IR_F32))
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "only float32 is supported");
  if (x->ndim < 3 || x->ndim > 5)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "X '%s' has rank %d; 3 to 5 are supported",
                         x->name, x->ndim);
  if (wt->ndim != x->ndim)
    return ir_node_error(g, n, DLF_ERR_SHAPE, "W '%s' has rank %d, X '%s' has rank %d", wt->name,
                         wt->ndim, x->name, x->ndim);
  int64_t group = ir_node_int(n, "group", 1);
  int64_t C = x->dims[1], M = wt->dims[0];
  if (group < 1 || C % group)
    return ir_node_error(g, n, DLF_ERR_SHAPE, "group %lld does not divide X's %lld channels",
                         (long long)group, (long long)C);
  if (wt->dims[1] != C / group)
    return ir_node_error(
        g, n, DLF_ERR_SHAPE, "W has %lld input channels, expected X's %lld / group %lld = %lld",
        (long long)wt->dims[1], (long long)C, (long long)group, (long long)(C / group));
  if (M < 1 || M % group)
    return ir_node_error(g, n, DLF_ERR_SHAPE,
                         "W's %lld output channels are not a multiple of group %lld", (long long)M,
                         (long long)group);
  if (b && (b->ndim != 1 || b->dims[0] != M))
    return ir_node_error(g, n, DLF_ERR_SHAPE, "B '%s' must be 1-D of size %lld", b->name,
                         (long long)M);
  win_geom w;
  char msg[256];
  if (!conv_geom(n, x->ndim, x->dims, wt->dims, &w, msg, sizeof msg))
    return ir_node_error(g, n, DLF_ERR_SHAPE, "%s", msg);
  y->dtype = IR_F32;
  y->ndim = x->ndim;
  y->dims[0] = x->dims[0];
  y->dims[1] = M;
  for (int i = 0; i < w.nsp; i++)
    y->dims[2 + i] = w.out[WIN_MAX_SPATIAL - w.nsp + i];
  return epilogue_check(g, n, y);
}

dlf_status ir_op_conv_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                          int n_out) {
  const ir_value *xv = &in[0], *wv = &in[1];
  const float *x = xv->data, *wt = wv->data;
  const float *bias = n->n_inputs > 2 && in[2].data ? in[2].data : NULL;
  float *y = out[0].data;
  win_geom w;
  char msg[256];
  if (!conv_geom(n, xv->ndim, xv->dims, wv->dims, &w, msg, sizeof msg))
    return dlf_error(DLF_ERR_SHAPE, "%s", msg);
  int64_t N = xv->dims[0], C = xv->dims[1], M = wv->dims[0];
  int64_t group = ir_node_int(n, "group", 1);
  int64_t cg = C / group, mg = M / group;
  int64_t in_sz = w.in[0] * w.in[1] * w.in[2], out_sz = w.out[0] * w.out[1] * w.out[2];
  int64_t k_sz = w.k[0] * w.k[1] * w.k[2];
  for (int64_t b = 0; b < N; b++)
    for (int64_t m = 0; m < M; m++) {
      float *yo = y + (b * M + m) * out_sz;
      float init = bias ? bias[m] : 0.0f;
      for (int64_t o = 0; o < out_sz; o++)
        yo[o] = init;
      int64_t gi = m / mg;
      for (int64_t ci = 0; ci < cg; ci++) {
        const float *xi = x + (b * C + gi * cg + ci) * in_sz;
        const float *wk = wt + (m * cg + ci) * k_sz;
        for (int64_t kd = 0; kd < w.k[0]; kd++)
          for (int64_t kh = 0; kh < w.k[1]; kh++)
            for (int64_t kw = 0; kw < w.k[2]; kw++) {
              float wval = wk[(kd * w.k[1] + kh) * w.k[2] + kw];
              /* Output rows/cols innermost, input index = o*stride - pad + k*dilation. */
              for (int64_t od = 0; od < w.out[0]; od++) {
                int64_t id = od * w.stride[0] - w.pad_b[0] + kd * w.dil[0];
                if (id < 0 || id >= w.in[0]) continue;
                for (int64_t oh = 0; oh < w.out[1]; oh++) {
                  int64_t ih = oh * w.stride[1] - w.pad_b[1] + kh * w.dil[1];
                  if (ih < 0 || ih >= w.in[1]) continue;
                  const float *xrow = xi + (id * w.in[1] + ih) * w.in[2];
                  float *yrow = yo + (od * w.out[1] + oh) * w.out[2];
                  for (int64_t ow = 0; ow < w.out[2]; ow++) {
                    int64_t iw = ow * w.stride[2] - w.pad_b[2] + kw * w.dil[2];
                    if (iw < 0 || iw >= w.in[2]) continue;
                    yrow[ow] += xrow[iw] * wval;
                  }
                }
              }
            }
      }
    }
  return epilogue_apply(n, in, n_in, y, N * M * out_sz);
}
