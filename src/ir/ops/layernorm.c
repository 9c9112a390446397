/* layernorm.c — LayerNormalization (opset 17): y = (x - mean) / sqrt(var + epsilon) * scale
 * + bias over the axes [axis, rank), scale and bias broadcast to that trailing shape; the
 * optional Mean and InvStdDev outputs (shape of x with 1 on the normalized axes). Statistics
 * in double (stash_type 1 asks for float32 or wider).
 *
 * Internal form (set by the channels_last pass, never read from a file): attribute
 * dlf_channels = 1 normalizes a 4-D NCHW tensor over axis 1 alone, per pixel, with scale and
 * bias of C values — the same layer as LayerNorm over the last axis of its NHWC transpose. */
#include <math.h>
#include <string.h>

#include "ir/ops/ops_util.h"

static bool trailing_broadcasts(const ir_tensor *t, const ir_tensor *x, int axis) {
  if (t->ndim > x->ndim - axis) return false;
  for (int j = 0; j < t->ndim; j++) {
    const int64_t d = x->dims[x->ndim - t->ndim + j];
    if (t->dims[j] != 1 && t->dims[j] != d) return false;
  }
  return true;
}

bool ir_layernorm_channels(const ir_node *n) { return ir_node_int(n, "dlf_channels", 0) == 1; }

dlf_status ir_op_layernorm_shape(ir_graph *g, ir_node *n) {
  DLF_TRY(op_check_io(g, n, 2, 3, 2, 1, 3));
  const ir_tensor *x = ir_node_input(g, n, 0), *sc = ir_node_input(g, n, 1);
  const ir_tensor *b = ir_node_input(g, n, 2);
  if (x->dtype != IR_F32 || sc->dtype != IR_F32 || (b && b->dtype != IR_F32))
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "only float32 is supported");
  if (ir_layernorm_channels(n)) {
    if (x->ndim != 4 || ir_tensor_numel(sc) != x->dims[1] || (b && ir_tensor_numel(b) != x->dims[1]) ||
        n->n_outputs != 1)
      return ir_node_error(g, n, DLF_ERR_INTERNAL, "a channel LayerNorm needs 4-D X and C-value scale / bias");
    op_set_output(g, n, 0, IR_F32, x->ndim, x->dims);
    return DLF_OK;
  }
  int axis;
  if (!op_norm_axis(ir_node_int(n, "axis", -1), x->ndim, &axis))
    return ir_node_error(g, n, DLF_ERR_SHAPE, "axis %lld is out of range for rank %d",
                         (long long)ir_node_int(n, "axis", -1), x->ndim);
  char bs[96], bx[96];
  if (!trailing_broadcasts(sc, x, axis) || (b && !trailing_broadcasts(b, x, axis)))
    return ir_node_error(g, n, DLF_ERR_SHAPE, "scale %s or bias does not broadcast to the %d normalized axes of %s",
                         ir_dims_str(sc->dims, sc->ndim, bs, sizeof bs), x->ndim - axis,
                         ir_dims_str(x->dims, x->ndim, bx, sizeof bx));
  op_set_output(g, n, 0, IR_F32, x->ndim, x->dims);
  int64_t sd[IR_MAX_DIMS];
  for (int d = 0; d < x->ndim; d++)
    sd[d] = d < axis ? x->dims[d] : 1;
  for (int o = 1; o < n->n_outputs; o++)
    op_set_output(g, n, o, IR_F32, x->ndim, sd);
  if (n->act != IR_ACT_NONE || n->residual >= 0)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "LayerNormalization takes no epilogue");
  return DLF_OK;
}

/* Offset into a trailing-broadcast operand t for element k of the normalized block. */
static int64_t trailing_index(const ir_value *t, const int64_t *block_dims, int nb, int64_t k) {
  int64_t idx = 0, stride = 1;
  for (int j = nb - 1; j >= 0; j--) {
    const int64_t c = k % block_dims[j];
    k /= block_dims[j];
    const int tj = j - (nb - t->ndim);
    if (tj < 0) continue;
    if (t->dims[tj] != 1) idx += c * stride;
    stride *= t->dims[tj];
  }
  return idx;
}

dlf_status ir_op_layernorm_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                               int n_out) {
  const ir_value *x = &in[0], *sc = &in[1];
  const ir_value *b = n_in > 2 && n->n_inputs > 2 && in[2].data ? &in[2] : NULL;
  int axis;
  if (!op_norm_axis(ir_node_int(n, "axis", -1), x->ndim, &axis))
    return dlf_error(DLF_ERR_SHAPE, "axis out of range");
  const float eps = ir_node_float(n, "epsilon", 1e-5f);
  if (ir_layernorm_channels(n)) {
    const int64_t N = x->dims[0], C = x->dims[1], HW = x->dims[2] * x->dims[3];
    const float *xs = x->data, *s = sc->data, *bv = b ? b->data : NULL;
    float *y = out[0].data;
    for (int64_t i = 0; i < N; i++)
      for (int64_t p = 0; p < HW; p++) {
        const float *xp = xs + i * C * HW + p;
        double sum = 0, sq = 0;
        for (int64_t c = 0; c < C; c++)
          sum += xp[c * HW];
        const double mean = C > 0 ? sum / (double)C : 0;
        for (int64_t c = 0; c < C; c++)
          sq += ((double)xp[c * HW] - mean) * ((double)xp[c * HW] - mean);
        const double inv = 1.0 / sqrt((C > 0 ? sq / (double)C : 0) + (double)eps);
        for (int64_t c = 0; c < C; c++)
          y[i * C * HW + c * HW + p] =
              (float)(((double)xp[c * HW] - mean) * inv * (double)s[c] + (bv ? (double)bv[c] : 0));
      }
    return DLF_OK;
  }
  const int nb = x->ndim - axis;
  const int64_t outer = op_prod(x->dims, 0, axis), inner = op_prod(x->dims, axis, x->ndim);
  const float *xs = x->data, *s = sc->data, *bv = b ? b->data : NULL;
  float *y = out[0].data;
  float *mean_out = n_out > 1 && out[1].data ? out[1].data : NULL;
  float *inv_out = n_out > 2 && out[2].data ? out[2].data : NULL;
  for (int64_t o = 0; o < outer; o++) {
    const float *xr = xs + o * inner;
    double sum = 0, sq = 0;
    for (int64_t k = 0; k < inner; k++)
      sum += xr[k];
    const double mean = inner > 0 ? sum / (double)inner : 0;
    for (int64_t k = 0; k < inner; k++)
      sq += ((double)xr[k] - mean) * ((double)xr[k] - mean);
    const double var = inner > 0 ? sq / (double)inner : 0;
    const double inv = 1.0 / sqrt(var + (double)eps);
    for (int64_t k = 0; k < inner; k++) {
      double v = ((double)xr[k] - mean) * inv * (double)s[trailing_index(sc, x->dims + axis, nb, k)];
      if (bv) v += (double)bv[trailing_index(b, x->dims + axis, nb, k)];
      y[o * inner + k] = (float)v;
    }
    if (mean_out) mean_out[o] = (float)mean;
    if (inv_out) inv_out[o] = (float)inv;
  }
  return DLF_OK;
}
