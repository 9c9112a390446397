/* conv_small_c.h — direct NHWC convolution for few input channels: CNN stems (conv_small_c*.c). */
#ifndef DLF_KERNELS_CONV_SMALL_C_H
#define DLF_KERNELS_CONV_SMALL_C_H

#include "kernels/kernels.h"

/* ---- Direct NHWC convolution for few input channels (conv_small_c*.c) ----
 * The stem of a CNN (C = 3: resnet 7x7/2, alexnet 11x11/4, vgg 3x3, mobilenet 3x3/2) without
 * im2col: a register tile of output pixels x output channels accumulates over the
 * kh*kw*C taps (conv_small_c_body.h). groups == 1, any kernel / stride / dilation / pads /
 * Cout, x_stride / y_stride, bands; epilogue as kern_conv2d_nhwc (bias_n, residual with
 * pixel stride ldr (0 = Cout), act, accumulate; bias_m ignored). No scratch. Weights packed
 * as [kh][kw][C][Cout rounded up to 16] (the same for every ISA). */
bool kern_conv2d_small_c_applies(const kern_config *cfg, const kern_conv2d_params *p);
/* Floats of the packed weights. false on overflow. */
bool kern_conv2d_small_c_packed_floats(const kern_conv2d_params *p, size_t *floats);
/* Packs ONNX Conv weights W[Cout, C, kh, kw] (OIHW). */
void kern_conv2d_small_c_pack(const kern_conv2d_params *p, const float *w_oihw, float *packed);
/* Output rows [oh0, oh1) of one image. Single-threaded. cfg->conv_small_c.fn must be set
 * (kern_conv2d_small_c_applies). */
static inline void kern_conv2d_small_c(const kern_config *cfg, const kern_conv2d_params *p,
                                       const float *x, const float *packed_w, float *y,
                                       int64_t oh0, int64_t oh1, const kern_epilogue *epi) {
  cfg->conv_small_c.fn(p, x, packed_w, y, oh0, oh1, epi);
}

#endif
