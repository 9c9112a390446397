/* conv_taps.h — a convolution as one GEMM per kernel tap over that tap's live output rectangle
 * (conv_taps.c), for dilated convolutions whose taps mostly read padding. Same contract, packed
 * weights and epilogue as kern_conv2d_nhwc, no scratch; reached through kern_conv2d_nhwc. */
#ifndef DLF_KERNELS_CONV_TAPS_H
#define DLF_KERNELS_CONV_TAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "kernels/kernels.h"

/* Whether kern_conv2d_nhwc runs p this way: groups 1, dilated, and fewer operations than
 * im2col + SGEMM by the work counts in conv_taps.c. */
bool kern_conv_taps_applies(const kern_config *cfg, const kern_conv2d_params *p);
/* Output rows [oh0, oh1) of one image (epi non-NULL). Single-threaded. */
void kern_conv_taps(const kern_config *cfg, const kern_conv2d_params *p, const float *x,
                    const float *packed_w, float *y, int64_t oh0, int64_t oh1,
                    const kern_epilogue *epi);

#endif
