/* dwconv.h — depthwise NHWC convolution (dwconv_body.h, dwconv3x3.h, dwconvkxk.h). */
#ifndef DLF_KERNELS_DWCONV_H
#define DLF_KERNELS_DWCONV_H

#include "kernels/kernels.h"

/* ---- Depthwise NHWC convolution (dwconv_<isa>.c) ----
 * groups == C == Cout (channel multiplier 1), any kernel/stride/dilation/pads,
 * vectorized over channels. Weights packed as [kh*kw, C]. Same epilogue as above. */
size_t kern_dwconv2d_nhwc_packed_floats(const kern_conv2d_params *p);
/* Packs ONNX depthwise weights W[C, 1, kh, kw]. */
void kern_dwconv2d_nhwc_pack(const kern_conv2d_params *p, const float *w_oihw, float *packed);
static inline void kern_dwconv2d_nhwc(const kern_config *cfg, const kern_conv2d_params *p,
                                      const float *x, const float *packed_w, float *y, int64_t oh0,
                                      int64_t oh1, const kern_epilogue *epi) {
  cfg->nhwc.dwconv2d(p, x, packed_w, y, oh0, oh1, epi);
}

#endif
