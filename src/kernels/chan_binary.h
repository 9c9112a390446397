/* chan_binary.h — elementwise ops of an NHWC tensor with a per-channel vector or a scalar:
 * squeeze-and-excitation's scale (x[n,h,w,c] * s[n,c]) and the broadcast Add/Sub/Mul/Div
 * CNN exporters emit ([N,C,H,W] op [N,C,1,1], [1,C,1,1] or a scalar). One body
 * (chan_binary_body.h) over the SIMD vocabulary, compiled per ISA. */
#ifndef DLF_KERNELS_CHAN_BINARY_H
#define DLF_KERNELS_CHAN_BINARY_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels.h"

typedef enum kern_chan_op {
  KERN_CHAN_ADD = 0, /* x + s */
  KERN_CHAN_SUB,     /* x - s */
  KERN_CHAN_MUL,     /* x * s */
  KERN_CHAN_DIV,     /* x / s */
  KERN_CHAN_RSUB,    /* s - x (the vector is the first operand) */
  KERN_CHAN_RDIV,    /* s / x */
  KERN_CHAN_AFFINE,  /* x * s[c] + s[C + c]: an inference BatchNormalization (s_step 1 only) */
} kern_chan_op;

/* For pixels p < P and channels c < C:
 *   y[p * ys + c] = act(x[p * xs + c] OP s[c * s_step])
 * xs, ys: floats between pixels (0 = C: dense); s_step 1 = one value per channel, 0 = one
 * scalar s[0]. act: KERN_ACT_NONE, RELU or CLIP [lo, hi] (NaN passes, as ir_act_apply).
 * y may be x (each element is read before it is written); no other overlap. */
typedef void (*kern_chan_binary_fn)(kern_chan_op op, int64_t P, int64_t C, const float *x,
                                    ptrdiff_t xs, const float *s, int s_step, float *y,
                                    ptrdiff_t ys, kern_act act, float lo, float hi);


/* The kernel of cfg's ISA (never NULL). */
kern_chan_binary_fn kern_chan_binary_for(const kern_config *cfg);

#endif
