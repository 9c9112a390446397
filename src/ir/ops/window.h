/* window.h — the sliding-window geometry that Conv and the pools share:
 * ONNX auto_pad / pads / strides / dilations / ceil_mode → output sizes. */
#ifndef DLF_IR_OPS_WINDOW_H
#define DLF_IR_OPS_WINDOW_H

#include <stdio.h>
#include <string.h>

#include "ir/ir.h"

/* Spatial dims handled by the window ops (1-D, 2-D and 3-D ONNX ops). The
 * reference loops always run over 3 dims; unused leading dims have size 1. */
#define WIN_MAX_SPATIAL 3

typedef struct win_geom {
  int nsp; /* spatial dims of the op (1..3) */
  /* Indexed 0..2 with the op's dims right-aligned; dims before 3-nsp are 1. */
  int64_t in[3], k[3], stride[3], dil[3], pad_b[3], pad_e[3], out[3];
} win_geom;

/* Fill w for nsp spatial dims with input sizes in[] and kernel sizes k[]
 * (both nsp long). Reads auto_pad, pads, strides, dilations from n; ceil_mode
 * applies to explicit pads only (as in ONNX). Returns false with a message in
 * msg when the attributes are malformed or the window does not fit. */
static inline bool win_geom_init(const ir_node *n, int nsp, const int64_t *in, const int64_t *k,
                                 bool ceil_mode, bool allow_dilations, win_geom *w, char *msg,
                                 size_t cap) {
  int64_t strides[WIN_MAX_SPATIAL], dil[WIN_MAX_SPATIAL], pads[2 * WIN_MAX_SPATIAL];
  memset(w, 0, sizeof *w);
  w->nsp = nsp;
  if (nsp < 1 || nsp > WIN_MAX_SPATIAL) {
    snprintf(msg, cap, "%d spatial dims are not supported (1 to 3)", nsp);
    return false;
  }
  int c = ir_node_ints(n, "strides", strides, WIN_MAX_SPATIAL);
  if (c < 0)
    for (int i = 0; i < nsp; i++)
      strides[i] = 1;
  else if (c != nsp) {
    snprintf(msg, cap, "strides has %d values, expected %d", c, nsp);
    return false;
  }
  c = ir_node_ints(n, "dilations", dil, WIN_MAX_SPATIAL);
  if (c < 0)
    for (int i = 0; i < nsp; i++)
      dil[i] = 1;
  else if (c != nsp) {
    snprintf(msg, cap, "dilations has %d values, expected %d", c, nsp);
    return false;
  } else if (!allow_dilations) {
    for (int i = 0; i < nsp; i++)
      if (dil[i] != 1) {
        snprintf(msg, cap, "dilations are not supported by this op at this opset");
        return false;
      }
  }
  const char *ap = ir_node_string(n, "auto_pad", "NOTSET");
  bool same_upper = !strcmp(ap, "SAME_UPPER"), same_lower = !strcmp(ap, "SAME_LOWER");
  bool valid = !strcmp(ap, "VALID"), notset = !strcmp(ap, "NOTSET") || !ap[0];
  if (!same_upper && !same_lower && !valid && !notset) {
    snprintf(msg, cap, "auto_pad '%s' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID", ap);
    return false;
  }
  /* ONNX pads: [x1_begin, x2_begin, ..., x1_end, x2_end, ...]. */
  c = ir_node_ints(n, "pads", pads, 2 * WIN_MAX_SPATIAL);
  if (c < 0 || !notset)
    for (int i = 0; i < 2 * nsp; i++)
      pads[i] = 0;
  else if (c != 2 * nsp) {
    snprintf(msg, cap, "pads has %d values, expected %d", c, 2 * nsp);
    return false;
  }
  int off = WIN_MAX_SPATIAL - nsp;
  for (int i = 0; i < WIN_MAX_SPATIAL; i++) {
    w->in[i] = w->k[i] = w->stride[i] = w->dil[i] = w->out[i] = 1;
    w->pad_b[i] = w->pad_e[i] = 0;
  }
  int64_t dk[WIN_MAX_SPATIAL], padded[WIN_MAX_SPATIAL];
  for (int i = 0; i < nsp; i++) {
    if (strides[i] < 1 || dil[i] < 1 || k[i] < 1 || pads[i] < 0 || pads[i + nsp] < 0) {
      snprintf(msg, cap, "strides, dilations and kernel sizes must be positive, pads non-negative");
      return false;
    }
    if (k[i] > (1 << 20) || dil[i] > (1 << 20) || strides[i] > (1 << 20) || pads[i] > (1 << 20) ||
        pads[i + nsp] > (1 << 20)) {
      snprintf(msg, cap, "window attributes beyond 2^20");
      return false;
    }
    int j = off + i;
    w->in[j] = in[i];
    w->k[j] = k[i];
    w->stride[j] = strides[i];
    w->dil[j] = dil[i];
    dk[i] = (k[i] - 1) * dil[i] + 1;
    if (same_upper || same_lower) {
      int64_t o = (in[i] + strides[i] - 1) / strides[i];
      int64_t total = (o - 1) * strides[i] + dk[i] - in[i];
      if (total < 0) total = 0;
      /* SAME_UPPER puts the odd extra pad at the end, SAME_LOWER at the beginning. */
      w->pad_b[j] = same_upper ? total / 2 : total - total / 2;
      w->pad_e[j] = total - w->pad_b[j];
    } else {
      w->pad_b[j] = pads[i];
      w->pad_e[j] = pads[i + nsp];
    }
    padded[i] = in[i] + w->pad_b[j] + w->pad_e[j];
  }
  for (int i = 0; i < nsp; i++)
    if (padded[i] < dk[i]) {
      char a[64], b[64];
      ir_dims_str(dk, nsp, a, sizeof a);
      ir_dims_str(padded, nsp, b, sizeof b);
      snprintf(msg, cap, "kernel %s larger than padded input %s", a, b);
      return false;
    }
  for (int i = 0; i < nsp; i++) {
    int j = off + i;
    int64_t span = padded[i] - dk[i];
    if (same_upper || same_lower) {
      w->out[j] = (in[i] + strides[i] - 1) / strides[i];
    } else if (ceil_mode) {
      int64_t o = (span + strides[i] - 1) / strides[i] + 1;
      /* ONNX/PyTorch: the last window must start inside the input or the
       * left padding, never only in the right padding. */
      if ((o - 1) * strides[i] >= in[i] + w->pad_b[j]) o--;
      w->out[j] = o;
    } else {
      w->out[j] = span / strides[i] + 1;
    }
  }
  return true;
}

#endif
