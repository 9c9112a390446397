/* chan_norm.h — normalization over the channels of each NHWC pixel: ConvNeXt's LayerNorm (over
 * C, as channels_last.c rewrites it) and any LayerNorm over the last axis of a channels-last
 * tensor. One body (chan_norm_body.h) over the SIMD vocabulary, compiled per ISA. */
#ifndef DLF_KERNELS_CHAN_NORM_H
#define DLF_KERNELS_CHAN_NORM_H

#include <stdint.h>

#include "kernels/kernels.h"

/* For pixels p < P (C floats each, dense) and channels c < C:
 *   mean = sum_c x / C, var = sum_c (x - mean)^2 / C,
 *   y[p * C + c] = (x[p * C + c] - mean) / sqrt(var + eps) * scale[c] + bias[c]
 * (bias NULL: 0). Sums in float, lane-wise then reduced. y may be x; no other overlap. */
typedef void (*kern_chan_norm_fn)(int64_t P, int64_t C, const float *x, const float *scale,
                                  const float *bias, float eps, float *y);


/* The kernel of cfg's ISA (never NULL). */
kern_chan_norm_fn kern_chan_norm_for(const kern_config *cfg);

#endif
