/* convtranspose.c — ONNX ConvTranspose (1-D, 2-D, 3-D; groups, dilations, output_padding,
 * output_shape, auto_pad): shape inference and the reference loop nest (each input pixel
 * scatters its kernel-weighted contribution into the output), with the fused epilogue.
 * Not on the fast engine: the layer runs on the reference path (marked fallback). */
#include "ir/ops/epilogue.h"
#include "ir/ops/window.h"

typedef struct ct_geom {
  int nsp;
  /* right-aligned in 3 slots as win_geom; unused leading dims are 1 */
  int64_t in[3], k[3], stride[3], dil[3], pad_b[3], out[3];
} ct_geom;

/* Reads an ints attribute of nsp values (default dflt), false with a message otherwise. */
static bool spatial_ints(const ir_node *n, const char *name, int nsp, int64_t dflt, int64_t *v,
                         char *msg, size_t cap) {
  int c = ir_node_ints(n, name, v, 2 * WIN_MAX_SPATIAL);
  if (c < 0) {
    for (int i = 0; i < nsp; i++)
      v[i] = dflt;
    return true;
  }
  if (c != nsp) {
    snprintf(msg, cap, "%s has %d values, expected %d", name, c, nsp);
    return false;
  }
  return true;
}

static bool ct_geom_init(const ir_node *n, int ndim, const int64_t *xd, const int64_t *wd,
                         ct_geom *g, char *msg, size_t cap) {
  const int nsp = ndim - 2;
  int64_t st[2 * WIN_MAX_SPATIAL], dl[2 * WIN_MAX_SPATIAL], op[2 * WIN_MAX_SPATIAL];
  int64_t pads[2 * WIN_MAX_SPATIAL], os[WIN_MAX_SPATIAL + 2], ks[2 * WIN_MAX_SPATIAL];
  if (!spatial_ints(n, "strides", nsp, 1, st, msg, cap) ||
      !spatial_ints(n, "dilations", nsp, 1, dl, msg, cap) ||
      !spatial_ints(n, "output_padding", nsp, 0, op, msg, cap) ||
      !spatial_ints(n, "kernel_shape", nsp, 0, ks, msg, cap))
    return false;
  int c = ir_node_ints(n, "pads", pads, 2 * WIN_MAX_SPATIAL);
  if (c >= 0 && c != 2 * nsp) {
    snprintf(msg, cap, "pads has %d values, expected %d", c, 2 * nsp);
    return false;
  }
  if (c < 0)
    for (int i = 0; i < 2 * nsp; i++)
      pads[i] = 0;
  int n_os = ir_node_ints(n, "output_shape", os, WIN_MAX_SPATIAL + 2);
  if (n_os >= 0 && n_os != nsp && n_os != nsp + 2) {
    snprintf(msg, cap, "output_shape has %d values, expected %d", n_os, nsp);
    return false;
  }
  const int64_t *oshape = n_os == nsp + 2 ? os + 2 : os;
  const char *ap = ir_node_string(n, "auto_pad", "NOTSET");
  const bool upper = !strcmp(ap, "SAME_UPPER"), lower = !strcmp(ap, "SAME_LOWER");
  if (!upper && !lower && strcmp(ap, "VALID") && strcmp(ap, "NOTSET") && ap[0]) {
    snprintf(msg, cap, "auto_pad '%s' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID", ap);
    return false;
  }
  memset(g, 0, sizeof *g);
  g->nsp = nsp;
  for (int j = 0; j < 3; j++)
    g->in[j] = g->k[j] = g->stride[j] = g->dil[j] = g->out[j] = 1;
  for (int i = 0; i < nsp; i++) {
    const int j = 3 - nsp + i;
    const int64_t in = xd[2 + i], k = wd[2 + i];
    if (ks[i] && ks[i] != k) {
      snprintf(msg, cap, "kernel_shape does not match W's spatial dims");
      return false;
    }
    if (st[i] < 1 || st[i] > 1 << 20 || dl[i] < 1 || dl[i] > 1 << 20 || op[i] < 0 ||
        op[i] >= (st[i] > dl[i] ? st[i] : dl[i]) || in > ((int64_t)1 << 40)) {
      snprintf(msg, cap, "strides, dilations or output_padding out of range on axis %d", i);
      return false;
    }
    const int64_t span = (k - 1) * dl[i] + 1, full = st[i] * (in - 1) + op[i] + span;
    int64_t pb = pads[i], pe = pads[i + nsp], out;
    if (n_os >= 0 || upper || lower) {
      out = n_os >= 0 ? oshape[i] : in * st[i];
      const int64_t total = full - out;
      if (total < 0 && n_os < 0) {
        snprintf(msg, cap, "the output does not fit on axis %d", i);
        return false;
      }
      if (upper || (n_os >= 0 && !lower)) /* ONNX: output_shape pads like SAME_UPPER */
        pb = total / 2, pe = total - total / 2;
      else
        pb = total - total / 2, pe = total / 2;
    } else {
      out = full - pb - pe;
    }
    if (pb < 0 && n_os < 0) {
      snprintf(msg, cap, "negative pads on axis %d", i);
      return false;
    }
    (void)pe;
    if (out < 0) {
      snprintf(msg, cap, "the output has negative size on axis %d", i);
      return false;
    }
    g->in[j] = in, g->k[j] = k, g->stride[j] = st[i], g->dil[j] = dl[i];
    g->pad_b[j] = pb, g->out[j] = out;
  }
  return true;
}

dlf_status ir_op_convtranspose_shape(ir_graph *g, ir_node *n) {
  if (n->n_inputs < 2 || n->n_inputs > 3 || n->n_outputs != 1)
    return ir_node_error(g, n, DLF_ERR_PARSE, "expects 2 or 3 inputs and 1 output, has %d and %d",
                         n->n_inputs, n->n_outputs);
  const ir_tensor *x = ir_node_input(g, n, 0), *wt = ir_node_input(g, n, 1),
                  *b = ir_node_input(g, n, 2);
  ir_tensor *y = ir_node_output(g, n, 0);
  if (!x || !wt || !y) return ir_node_error(g, n, DLF_ERR_PARSE, "X, W and Y are required");
  if (x->dtype != IR_F32 || wt->dtype != IR_F32 || (b && b->dtype != IR_F32))
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "only float32 is supported");
  if (x->ndim < 3 || x->ndim > 5 || wt->ndim != x->ndim)
    return ir_node_error(g, n, DLF_ERR_SHAPE, "X and W must have the same rank, 3 to 5");
  const int64_t group = ir_node_int(n, "group", 1), C = x->dims[1];
  if (group < 1 || C % group || wt->dims[0] != C)
    return ir_node_error(g, n, DLF_ERR_SHAPE,
                         "W has %lld input channels, X %lld; group %lld must divide them",
                         (long long)wt->dims[0], (long long)C, (long long)group);
  const int64_t M = wt->dims[1] * group;
  if (b && (b->ndim != 1 || b->dims[0] != M))
    return ir_node_error(g, n, DLF_ERR_SHAPE, "B '%s' must be 1-D of size %lld", b->name,
                         (long long)M);
  ct_geom cg;
  char msg[256];
  if (!ct_geom_init(n, x->ndim, x->dims, wt->dims, &cg, msg, sizeof msg))
    return ir_node_error(g, n, DLF_ERR_SHAPE, "%s", msg);
  int64_t dims[IR_MAX_DIMS] = {x->dims[0], M};
  for (int i = 0; i < cg.nsp; i++)
    dims[2 + i] = cg.out[3 - cg.nsp + i];
  if (!ir_shape_ok(g, IR_F32, x->ndim, dims, NULL))
    return ir_node_error(g, n, DLF_ERR_LIMIT, "the output is too large");
  y->dtype = IR_F32;
  y->ndim = x->ndim;
  memcpy(y->dims, dims, (size_t)x->ndim * sizeof dims[0]);
  return epilogue_check(g, n, y);
}

dlf_status ir_op_convtranspose_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                                   int n_out) {
  const ir_value *xv = &in[0], *wv = &in[1];
  const float *x = xv->data, *w = wv->data;
  const float *bias = n->n_inputs > 2 && in[2].data ? in[2].data : NULL;
  float *y = out[0].data;
  ct_geom cg;
  char msg[256];
  if (!ct_geom_init(n, xv->ndim, xv->dims, wv->dims, &cg, msg, sizeof msg))
    return dlf_error(DLF_ERR_SHAPE, "%s", msg);
  const int64_t N = xv->dims[0], C = xv->dims[1], G = ir_node_int(n, "group", 1);
  const int64_t Cg = C / G, Mg = wv->dims[1], M = Mg * G;
  const int64_t ipix = cg.in[0] * cg.in[1] * cg.in[2], opix = cg.out[0] * cg.out[1] * cg.out[2];
  const int64_t kpix = cg.k[0] * cg.k[1] * cg.k[2];
  for (int64_t b = 0; b < N; b++)
    for (int64_t m = 0; m < M; m++)
      for (int64_t p = 0; p < opix; p++)
        y[(b * M + m) * opix + p] = bias ? bias[m] : 0.0f;
  for (int64_t b = 0; b < N; b++)
    for (int64_t c = 0; c < C; c++) {
      const int64_t gi = c / Cg;
      const float *xc = x + (b * C + c) * ipix;
      for (int64_t i0 = 0; i0 < cg.in[0]; i0++)
        for (int64_t i1 = 0; i1 < cg.in[1]; i1++)
          for (int64_t i2 = 0; i2 < cg.in[2]; i2++) {
            const float xval = xc[(i0 * cg.in[1] + i1) * cg.in[2] + i2];
            for (int64_t mm = 0; mm < Mg; mm++) {
              const int64_t m = gi * Mg + mm;
              const float *wk = w + (c * Mg + mm) * kpix;
              float *ym = y + (b * M + m) * opix;
              for (int64_t k0 = 0; k0 < cg.k[0]; k0++) {
                const int64_t o0 = i0 * cg.stride[0] - cg.pad_b[0] + k0 * cg.dil[0];
                if (o0 < 0 || o0 >= cg.out[0]) continue;
                for (int64_t k1 = 0; k1 < cg.k[1]; k1++) {
                  const int64_t o1 = i1 * cg.stride[1] - cg.pad_b[1] + k1 * cg.dil[1];
                  if (o1 < 0 || o1 >= cg.out[1]) continue;
                  for (int64_t k2 = 0; k2 < cg.k[2]; k2++) {
                    const int64_t o2 = i2 * cg.stride[2] - cg.pad_b[2] + k2 * cg.dil[2];
                    if (o2 < 0 || o2 >= cg.out[2]) continue;
                    ym[(o0 * cg.out[1] + o1) * cg.out[2] + o2] +=
                        xval * wk[(k0 * cg.k[1] + k1) * cg.k[2] + k2];
                  }
                }
              }
            }
          }
    }
  return epilogue_apply(n, in, n_in, y, N * M * opix);
}
