/* pool.c — ONNX MaxPool, AveragePool (1-D to 3-D; pads, strides, dilations,
 * ceil_mode, count_include_pad) and GlobalAveragePool / GlobalMaxPool. */
#include <math.h>

#include "ir/ops/window.h"

static bool is_global(const ir_node *n) {
  return n->op == IR_OP_GLOBALAVERAGEPOOL || n->op == IR_OP_GLOBALMAXPOOL;
}

/* Geometry of a windowed pool from X's dims and n's attributes. */
static bool pool_geom(const ir_node *n, int ndim, const int64_t *xd, win_geom *w, char *msg,
                      size_t cap) {
  int nsp = ndim - 2;
  int64_t ks[WIN_MAX_SPATIAL];
  int c = ir_node_ints(n, "kernel_shape", ks, WIN_MAX_SPATIAL);
  if (c < 0) {
    snprintf(msg, cap, "attribute kernel_shape is required");
    return false;
  }
  if (c != nsp) {
    snprintf(msg, cap, "kernel_shape has %d values, X has %d spatial dims", c, nsp);
    return false;
  }
  bool ceil_mode = ir_node_int(n, "ceil_mode", 0) != 0;
  return win_geom_init(n, nsp, xd + 2, ks, ceil_mode, true, w, msg, cap);
}

dlf_status ir_op_pool_shape(ir_graph *g, ir_node *n) {
  bool global = is_global(n);
  if (n->n_inputs != 1 || n->n_outputs < 1 || (global && n->n_outputs != 1))
    return ir_node_error(g, n, DLF_ERR_PARSE, "expects 1 input and 1 output, has %d and %d",
                         n->n_inputs, n->n_outputs);
  if (n->n_outputs > 2)
    return ir_node_error(g, n, DLF_ERR_PARSE, "has %d outputs, at most 2", n->n_outputs);
  if (n->n_outputs == 2 && ir_node_output(g, n, 1))
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED,
                         "the Indices output of MaxPool is not supported");
  if (n->op == IR_OP_AVERAGEPOOL && n->n_outputs != 1)
    return ir_node_error(g, n, DLF_ERR_PARSE, "AveragePool has one output, node has %d",
                         n->n_outputs);
  const ir_tensor *x = ir_node_input(g, n, 0);
  ir_tensor *y = ir_node_output(g, n, 0);
  if (!x || !y) return ir_node_error(g, n, DLF_ERR_PARSE, "X and Y are required");
  if (x->dtype != IR_F32)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "only float32 is supported");
  if (x->ndim < 3 || (!global && x->ndim > 5))
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "X '%s' has rank %d; %s are supported", x->name,
                         x->ndim, global ? "3 or more" : "3 to 5");
  y->dtype = IR_F32;
  y->ndim = x->ndim;
  y->dims[0] = x->dims[0];
  y->dims[1] = x->dims[1];
  if (global) {
    for (int i = 2; i < x->ndim; i++)
      y->dims[i] = 1;
    return DLF_OK;
  }
  win_geom w;
  char msg[256];
  if (!pool_geom(n, x->ndim, x->dims, &w, msg, sizeof msg))
    return ir_node_error(g, n, DLF_ERR_SHAPE, "%s", msg);
  for (int i = 0; i < w.nsp; i++)
    y->dims[2 + i] = w.out[WIN_MAX_SPATIAL - w.nsp + i];
  return DLF_OK;
}

static void global_pool(bool is_max, const float *x, float *y, int64_t planes, int64_t S) {
  for (int64_t p = 0; p < planes; p++) {
    const float *xp = x + p * S;
    float acc = is_max ? -INFINITY : 0.0f;
    for (int64_t s = 0; s < S; s++) {
      if (!is_max)
        acc += xp[s];
      else if (xp[s] > acc || isnan(xp[s]))
        acc = xp[s];
    }
    y[p] = is_max ? acc : acc / (float)S;
  }
}

dlf_status ir_op_pool_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                          int n_out) {
  const float *x = in[0].data;
  float *y = out[0].data;
  int64_t planes = in[0].dims[0] * in[0].dims[1];
  if (is_global(n)) {
    int64_t S = 1;
    for (int i = 2; i < in[0].ndim; i++)
      S *= in[0].dims[i];
    global_pool(n->op == IR_OP_GLOBALMAXPOOL, x, y, planes, S);
    return DLF_OK;
  }
  win_geom w;
  char msg[256];
  if (!pool_geom(n, in[0].ndim, in[0].dims, &w, msg, sizeof msg))
    return dlf_error(DLF_ERR_SHAPE, "%s", msg);
  bool is_max = n->op == IR_OP_MAXPOOL;
  bool include_pad = ir_node_int(n, "count_include_pad", 0) != 0;
  int64_t in_sz = w.in[0] * w.in[1] * w.in[2], out_sz = w.out[0] * w.out[1] * w.out[2];
  for (int64_t p = 0; p < planes; p++) {
    const float *xp = x + p * in_sz;
    float *yp = y + p * out_sz;
    for (int64_t od = 0; od < w.out[0]; od++)
      for (int64_t oh = 0; oh < w.out[1]; oh++)
        for (int64_t ow = 0; ow < w.out[2]; ow++) {
          float acc = is_max ? -INFINITY : 0.0f;
          int64_t count = 0;
          for (int64_t kd = 0; kd < w.k[0]; kd++) {
            int64_t id = od * w.stride[0] - w.pad_b[0] + kd * w.dil[0];
            for (int64_t kh = 0; kh < w.k[1]; kh++) {
              int64_t ih = oh * w.stride[1] - w.pad_b[1] + kh * w.dil[1];
              for (int64_t kw = 0; kw < w.k[2]; kw++) {
                int64_t iw = ow * w.stride[2] - w.pad_b[2] + kw * w.dil[2];
                bool inside =
                    id >= 0 && id < w.in[0] && ih >= 0 && ih < w.in[1] && iw >= 0 && iw < w.in[2];
                /* count_include_pad counts pad positions but not a ceil_mode
                 * window's overhang beyond the padded input (onnx, PyTorch). */
                bool in_padded = id < w.in[0] + w.pad_e[0] && ih < w.in[1] + w.pad_e[1] &&
                                 iw < w.in[2] + w.pad_e[2];
                if (inside) {
                  float v = xp[(id * w.in[1] + ih) * w.in[2] + iw];
                  if (!is_max)
                    acc += v;
                  else if (v > acc || isnan(v))
                    acc = v;
                }
                if (include_pad ? in_padded : inside) count++;
              }
            }
          }
          yp[(od * w.out[1] + oh) * w.out[2] + ow] =
              is_max ? acc : (count ? acc / (float)count : NAN);
        }
  }
  return DLF_OK;
}
