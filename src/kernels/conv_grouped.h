/* conv_grouped.h — direct NHWC grouped convolution (1 < groups < channels: ResNeXt, RegNet),
 * one vector of output channels at a time, in place of im2col + SGEMM per group, whose GEMMs
 * are 4 to 16 columns wide there and whose im2col copies a few floats per tap. Two modes by
 * the output channels per group Ng and the vector width VL of the ISA:
 *
 *   Ng < VL, VL % Ng == 0, input channels per group Cg == Ng (ResNeXt's first stages): a vector
 *     holds VL / Ng whole groups; the input operand of step j is the block's input vector with
 *     each group's j-th channel spread over the group's lanes (simd_permute);
 *   Ng % VL == 0: a vector lies in one group; the operand is input channel j broadcast.
 *
 * Packed weights [Cout / VL][kh * kw][Cg][VL]. Same contract as kern_conv2d_nhwc (kernels.h):
 * output rows [oh0, oh1) of one image, pixel strides, the epilogue (bias_n, residual, act). */
#ifndef DLF_KERNELS_CONV_GROUPED_H
#define DLF_KERNELS_CONV_GROUPED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels.h"

typedef void (*kern_conv_grouped_fn)(const kern_conv2d_params *p, const float *x,
                                     const float *packed_w, float *y, int64_t oh0, int64_t oh1,
                                     const kern_epilogue *epi);


/* Whether cfg's ISA runs p this way (groups > 1, not depthwise, one of the two modes). */
bool kern_conv_grouped_applies(const kern_config *cfg, const kern_conv2d_params *p);
size_t kern_conv_grouped_packed_floats(const kern_conv2d_params *p);
void kern_conv_grouped_pack(const kern_config *cfg, const kern_conv2d_params *p,
                            const float *w_oihw, float *packed);
void kern_conv_grouped(const kern_config *cfg, const kern_conv2d_params *p, const float *x,
                       const float *packed_w, float *y, int64_t oh0, int64_t oh1,
                       const kern_epilogue *epi);

#endif
