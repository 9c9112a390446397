/* resize.c — Resize (opset 10, 11, 13, 18, 19) and Upsample (opset 7, 9): nearest and linear
 * (multilinear over every resized axis) with every coordinate transformation mode except
 * tf_crop_and_resize. The geometry (ir_resize_setup, ir_resize_source) is shared with the
 * engine's NHWC resize step (src/runtime/step_layout.c), so both compute the same
 * source coordinates.
 *
 * Conventions follow the ONNX operator text and ONNX Runtime where the text leaves room:
 * output size floor(in * scale) from scales, scale = out / in from sizes; a linear source
 * coordinate is clamped to [0, in - 1] (as ORT and PyTorch's bilinear do); a nearest index is
 * rounded by nearest_mode and clamped. Before opset 11 (Upsample, Resize-10) coordinates are
 * asymmetric and nearest rounds down when upsampling and up when downsampling (ORT's
 * "simple" mode). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "ir/ops/ops_util.h"

/* The inputs holding scales and sizes (-1: none at this opset). */
static void resize_inputs(const ir_node *n, int *scales, int *sizes) {
  *scales = -1, *sizes = -1;
  if (n->op == IR_OP_UPSAMPLE) {
    if (n->opset >= 9) *scales = 1;
  } else if (n->opset < 11) {
    *scales = 1;
  } else {
    *scales = 2, *sizes = 3;
  }
}

static bool str_is(const char *s, const char *v) { return s && !strcmp(s, v); }

/* Upsample-7's scales attribute into scales (IR_MAX_DIMS): its count, or -1 when absent. */
static int attr_scales(const ir_node *n, float *scales) {
  const ir_attr *a = ir_node_attr(n, "scales");
  if (!a || a->kind != IR_ATTR_FLOATS || a->n > IR_MAX_DIMS) return -1;
  for (int k = 0; k < a->n; k++)
    scales[k] = a->floats[k];
  return a->n;
}

/* Attributes into r; false with a message for a mode dlfusion does not implement. */
static bool resize_modes(const ir_node *n, ir_resize *r, char *why, size_t cap) {
  const char *mode = ir_node_string(n, "mode", "nearest");
  if (str_is(mode, "nearest")) {
    r->linear = false;
  } else if (str_is(mode, "linear") || str_is(mode, "bilinear")) {
    r->linear = true;
  } else {
    snprintf(why, cap, "mode '%s' is not supported (nearest, linear)", mode ? mode : "?");
    return false;
  }
  const bool old = n->op == IR_OP_UPSAMPLE || n->opset < 11;
  const char *ct = old ? "asymmetric" : ir_node_string(n, "coordinate_transformation_mode", "half_pixel");
  static const char *const coords[] = {"half_pixel", "pytorch_half_pixel", "align_corners",
                                       "asymmetric", "tf_half_pixel_for_nearest",
                                       "half_pixel_symmetric"};
  r->coord = -1;
  for (int k = 0; k < (int)(sizeof coords / sizeof coords[0]); k++)
    if (str_is(ct, coords[k])) r->coord = k;
  if (r->coord < 0) {
    snprintf(why, cap, "coordinate_transformation_mode '%s' is not supported", ct ? ct : "?");
    return false;
  }
  const char *nm = old ? "simple" : ir_node_string(n, "nearest_mode", "round_prefer_floor");
  static const char *const nearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                        "ceil", "simple"};
  r->nearest = -1;
  for (int k = 0; k < (int)(sizeof nearest / sizeof nearest[0]); k++)
    if (str_is(nm, nearest[k])) r->nearest = k;
  if (r->nearest < 0) {
    snprintf(why, cap, "nearest_mode '%s' is not supported", nm ? nm : "?");
    return false;
  }
  if (ir_node_int(n, "antialias", 0) != 0) {
    snprintf(why, cap, "antialias is not supported");
    return false;
  }
  const char *ka = ir_node_string(n, "keep_aspect_ratio_policy", "stretch");
  if (!str_is(ka, "stretch")) {
    snprintf(why, cap, "keep_aspect_ratio_policy '%s' is not supported (stretch)", ka ? ka : "?");
    return false;
  }
  return true;
}

/* Fill r's sizes and scales from the input dims and scales (n_scales values, < 0 absent) or
 * sizes (n_sizes values), on the axes attribute's axes (all when absent). */
static bool resize_sizes(const ir_node *n, const int64_t *dims, int rank, const float *scales,
                         int n_scales, const int64_t *sizes, int n_sizes, ir_resize *r, char *why,
                         size_t cap) {
  int64_t axes[IR_MAX_DIMS];
  int n_axes = n->op == IR_OP_RESIZE ? ir_node_ints(n, "axes", axes, IR_MAX_DIMS) : -1;
  if (n_axes > rank) {
    snprintf(why, cap, "axes has %d values, the input has rank %d", n_axes, rank);
    return false;
  }
  if (n_axes < 0) {
    n_axes = rank;
    for (int d = 0; d < rank; d++)
      axes[d] = d;
  }
  r->rank = rank;
  for (int d = 0; d < rank; d++) {
    r->in[d] = r->out[d] = dims[d];
    r->scale[d] = 1.0;
  }
  const bool by_scales = n_scales > 0;
  const int count = by_scales ? n_scales : n_sizes;
  if (count <= 0) {
    snprintf(why, cap, "neither scales nor sizes is given");
    return false;
  }
  if (count != n_axes) {
    snprintf(why, cap, "%s has %d values, expected %d", by_scales ? "scales" : "sizes", count,
             n_axes);
    return false;
  }
  for (int i = 0; i < n_axes; i++) {
    int ax;
    if (!op_norm_axis(axes[i], rank, &ax)) {
      snprintf(why, cap, "axis %lld is out of range for rank %d", (long long)axes[i], rank);
      return false;
    }
    if (by_scales) {
      const double s = scales[i];
      if (!(s > 0) || s > 1e6) {
        snprintf(why, cap, "scale %g on axis %d is not in (0, 1e6]", s, ax);
        return false;
      }
      r->scale[ax] = s;
      r->out[ax] = (int64_t)floor((double)dims[ax] * s);
    } else {
      if (sizes[i] < 0 || sizes[i] > ((int64_t)1 << 40)) {
        snprintf(why, cap, "size %lld on axis %d is out of range", (long long)sizes[i], ax);
        return false;
      }
      r->out[ax] = sizes[i];
      r->scale[ax] = dims[ax] > 0 ? (double)sizes[i] / (double)dims[ax] : 1.0;
    }
  }
  return true;
}

double ir_resize_source(const ir_resize *r, int d, int64_t o) {
  const double s = r->scale[d], x = (double)o;
  const double in = (double)r->in[d], out = (double)r->out[d];
  switch (r->coord) {
  case 0: return (x + 0.5) / s - 0.5; /* half_pixel */
  case 1: return out > 1 ? (x + 0.5) / s - 0.5 : 0.0; /* pytorch_half_pixel */
  case 2: /* align_corners, over the unrounded in * scale (ONNX's reference: with scales 0.6 a
           * length 4 maps to 2.4, not 2) */
    return out > 1 ? x * (in - 1) / (in * s - 1) : 0.0;
  case 3: return x / s; /* asymmetric */
  case 4: return (x + 0.5) / s; /* tf_half_pixel_for_nearest */
  default: { /* half_pixel_symmetric */
    const double adj = out / (s * in), center = in / 2;
    return center * (1 - adj) + (x + 0.5) / s - 0.5;
  }
  }
}

void ir_resize_taps(const ir_resize *r, int d, int64_t o, int64_t *i0, int64_t *i1, float *w1) {
  const int64_t last = r->in[d] - 1;
  double x = ir_resize_source(r, d, o);
  if (!r->linear) {
    double k;
    switch (r->nearest) {
    case 0: k = x == floor(x) + 0.5 ? floor(x) : floor(x + 0.5); break; /* round_prefer_floor */
    case 1: k = floor(x + 0.5); break;                                  /* round_prefer_ceil */
    case 2: k = floor(x); break;
    case 3: k = ceil(x); break;
    default: k = r->scale[d] < 1 ? ceil(x) : floor(x); break; /* simple */
    }
    int64_t i = k < 0 ? 0 : k > (double)last ? last : (int64_t)k;
    *i0 = *i1 = i;
    *w1 = 0.0f;
    return;
  }
  if (x < 0) x = 0;
  if (x > (double)last) x = (double)last;
  int64_t a = (int64_t)floor(x);
  *i0 = a;
  *i1 = a < last ? a + 1 : a;
  *w1 = (float)(x - (double)a);
}

bool ir_resize_geometry(const ir_graph *g, const ir_node *n, ir_resize *r) {
  char why[160];
  return ir_resize_setup(g, n, r, why, sizeof why) == DLF_OK;
}

dlf_status ir_resize_setup(const ir_graph *g, const ir_node *n, ir_resize *r, char *why,
                           size_t cap) {
  memset(r, 0, sizeof *r);
  if (!resize_modes(n, r, why, cap)) return DLF_ERR_UNSUPPORTED;
  const ir_tensor *x = ir_node_input(g, n, 0);
  if (!x) {
    snprintf(why, cap, "input X is required");
    return DLF_ERR_PARSE;
  }
  int si, zi;
  resize_inputs(n, &si, &zi);
  float scales[IR_MAX_DIMS];
  int64_t sizes[IR_MAX_DIMS];
  int n_scales = -1, n_sizes = -1;
  if (si < 0) { /* Upsample-7: an attribute */
    n_scales = attr_scales(n, scales);
  } else {
    const ir_tensor *t = ir_node_input(g, n, si);
    if (t && ir_tensor_numel(t) > 0) {
      if (!t->data || t->dtype != IR_F32) {
        snprintf(why, cap, "scales '%s' must be a float32 constant", t->name);
        return DLF_ERR_UNSUPPORTED;
      }
      if (ir_tensor_numel(t) > IR_MAX_DIMS) {
        snprintf(why, cap, "scales '%s' has too many values", t->name);
        return DLF_ERR_SHAPE;
      }
      n_scales = (int)ir_tensor_numel(t);
      memcpy(scales, t->data, (size_t)n_scales * sizeof *scales);
    }
    const ir_tensor *z = zi >= 0 ? ir_node_input(g, n, zi) : NULL;
    if (z && ir_tensor_numel(z) > 0) {
      if (n_scales > 0) {
        snprintf(why, cap, "both scales and sizes are given");
        return DLF_ERR_PARSE;
      }
      if (!z->data || z->dtype != IR_I64) {
        snprintf(why, cap, "sizes '%s' must be an int64 constant", z->name);
        return DLF_ERR_UNSUPPORTED;
      }
      n_sizes = ir_node_const_ints(g, n, zi, sizes, IR_MAX_DIMS);
      if (n_sizes > IR_MAX_DIMS) {
        snprintf(why, cap, "sizes '%s' has too many values", z->name);
        return DLF_ERR_SHAPE;
      }
    }
  }
  if (!resize_sizes(n, x->dims, x->ndim, scales, n_scales, sizes, n_sizes, r, why, cap))
    return DLF_ERR_SHAPE;
  return DLF_OK;
}

dlf_status ir_op_resize_shape(ir_graph *g, ir_node *n) {
  const int max_in = n->op == IR_OP_UPSAMPLE ? (n->opset >= 9 ? 2 : 1) : n->opset < 11 ? 2 : 4;
  DLF_TRY(op_check_io(g, n, 1, max_in, 1, 1, 1));
  const ir_tensor *x = ir_node_input(g, n, 0);
  if (x->dtype != IR_F32)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "only float32 is supported");
  ir_resize r;
  char why[160];
  dlf_status st = ir_resize_setup(g, n, &r, why, sizeof why);
  if (st != DLF_OK) return ir_node_error(g, n, st, "%s", why);
  if (!ir_shape_ok(g, IR_F32, r.rank, r.out, NULL))
    return ir_node_error(g, n, DLF_ERR_LIMIT, "the output is too large");
  op_set_output(g, n, 0, IR_F32, r.rank, r.out);
  return DLF_OK;
}

/* The reference: every output element as the weighted sum of the 2^k corners of the k
 * resized axes (nearest: one corner). The ref function sees values, not the graph: it rebuilds
 * the geometry from the node and its inputs' values through a one-node view. */
dlf_status ir_op_resize_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                            int n_out) {
  ir_resize r;
  memset(&r, 0, sizeof r);
  char why[160];
  if (!resize_modes(n, &r, why, sizeof why)) return dlf_error(DLF_ERR_UNSUPPORTED, "%s", why);
  int si, zi;
  resize_inputs(n, &si, &zi);
  float scales[IR_MAX_DIMS];
  int64_t sizes[IR_MAX_DIMS];
  int n_scales = -1, n_sizes = -1;
  if (si < 0) {
    n_scales = attr_scales(n, scales);
  } else {
    if (si < n_in && si < n->n_inputs && in[si].data && ir_value_numel(&in[si]) > 0) {
      if (in[si].dtype != IR_F32 || ir_value_numel(&in[si]) > IR_MAX_DIMS)
        return dlf_error(DLF_ERR_SHAPE, "bad scales input");
      n_scales = (int)ir_value_numel(&in[si]);
      memcpy(scales, in[si].data, (size_t)n_scales * sizeof *scales);
    }
    if (zi >= 0 && zi < n_in && zi < n->n_inputs && in[zi].data && ir_value_numel(&in[zi]) > 0) {
      n_sizes = op_value_ints(&in[zi], sizes, IR_MAX_DIMS);
      if (n_sizes > IR_MAX_DIMS) return dlf_error(DLF_ERR_SHAPE, "bad sizes input");
    }
  }
  if (!resize_sizes(n, in[0].dims, in[0].ndim, scales, n_scales, sizes, n_sizes, &r, why,
                    sizeof why))
    return dlf_error(DLF_ERR_SHAPE, "%s", why);
  const int rank = r.rank;
  for (int d = 0; d < rank; d++)
    if (out[0].dims[d] != r.out[d]) return dlf_error(DLF_ERR_INTERNAL, "resize output shape");
  int64_t total_out = 0;
  for (int d = 0; d < rank; d++)
    total_out += r.out[d];
  int64_t *i0 = dlf_malloc_array((size_t)(total_out > 0 ? total_out : 1), 2 * sizeof *i0);
  float *w1 = dlf_malloc_array((size_t)(total_out > 0 ? total_out : 1), sizeof *w1);
  if (!i0 || !w1) {
    free(i0);
    free(w1);
    return dlf_error(DLF_ERR_NOMEM, "out of memory for a resize");
  }
  int64_t off[IR_MAX_DIMS], istride[IR_MAX_DIMS];
  for (int d = 0, o = 0; d < rank; o += (int)r.out[d], d++) {
    off[d] = o;
    for (int64_t k = 0; k < r.out[d]; k++)
      ir_resize_taps(&r, d, k, &i0[2 * (o + k)], &i0[2 * (o + k) + 1], &w1[o + k]);
  }
  int64_t stride = 1;
  for (int d = rank - 1; d >= 0; d--) {
    istride[d] = stride;
    stride *= r.in[d];
  }
  (void)n_out;
  const float *x = in[0].data;
  float *y = out[0].data;
  const int64_t total = ir_value_numel(&out[0]);
  for (int64_t lin = 0; lin < total; lin++) {
    int64_t c[IR_MAX_DIMS], rem = lin;
    for (int d = rank - 1; d >= 0; d--) {
      c[d] = rem % r.out[d];
      rem /= r.out[d];
    }
    /* corners: bit d of m picks tap 1 on axis d (skipped when its weight is 0) */
    double acc = 0;
    for (int m = 0; m < (1 << rank); m++) {
      double w = 1;
      int64_t src = 0;
      bool skip = false;
      for (int d = 0; d < rank && !skip; d++) {
        const int64_t t = off[d] + c[d];
        const float wd = w1[t];
        const int bit = (m >> d) & 1;
        if (bit && wd == 0.0f) skip = true;
        w *= bit ? (double)wd : 1.0 - (double)wd;
        src += i0[2 * t + bit] * istride[d];
      }
      if (!skip) acc += w * (double)x[src];
    }
    y[lin] = (float)acc;
  }
  free(i0);
  free(w1);
  return DLF_OK;
}
